/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_PREFERENCES_WINDOW (nb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (NbPreferencesWindow, nb_preferences_window, NB, PREFERENCES_WINDOW, AdwPreferencesWindow)

NbPreferencesWindow *nb_preferences_window_new          (GtkWindow           *transient_for,
                                                         NbAssistant         *assistant);
NbAssistant         *nb_preferences_window_get_assistant (NbPreferencesWindow *self);

/* For pages made elsewhere (permissions, background and desktop): added
 * after the built-in ones, in the order added. Its changes are its own
 * to save (see nb_config_write_async()). */
void                 nb_preferences_window_add_page     (NbPreferencesWindow *self,
                                                         AdwPreferencesPage  *page);
/* Shows the page named @name: "providers", "tools", "mcp", "memory", or
 * the name of an added page. */
void                 nb_preferences_window_show_page    (NbPreferencesWindow *self,
                                                         const char          *name);

G_END_DECLS
