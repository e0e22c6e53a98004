/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-config.h"

G_BEGIN_DECLS

#define NB_TYPE_ONBOARDING_WINDOW (nb_onboarding_window_get_type ())
G_DECLARE_FINAL_TYPE (NbOnboardingWindow, nb_onboarding_window, NB, ONBOARDING_WINDOW, AdwApplicationWindow)

/*
 * First run, when there is no config.json: pick a provider (a local
 * Ollama first when one answers), enter the key, Test Connection, pick a
 * model; or import the Python nanobot's ~/.nanobot/config.json. Writes
 * @config's file (the key goes to the keyring) and emits ::finished.
 *
 * ::import-python-sessions (const char *python_dir) is emitted after the
 * Python configuration was imported: the hook for importing its sessions
 * too (nanobot --import-python); nothing here reads or writes them.
 */
NbOnboardingWindow *nb_onboarding_window_new (GtkApplication *application,
                                              NbConfig       *config,
                                              const char     *ollama_base,
                                              const char     *python_config);

G_END_DECLS
