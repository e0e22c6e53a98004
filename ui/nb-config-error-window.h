/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NB_TYPE_CONFIG_ERROR_WINDOW (nb_config_error_window_get_type ())
G_DECLARE_FINAL_TYPE (NbConfigErrorWindow, nb_config_error_window, NB, CONFIG_ERROR_WINDOW, AdwApplicationWindow)

/* Shown instead of the main window when config.json cannot be used: the
 * error with its line and column, Open File, Try Again, and Reset to
 * Defaults (the file is kept as a backup). Emits ::resolved once the file
 * loads (or is gone); never writes over the file. */
NbConfigErrorWindow *nb_config_error_window_new (GtkApplication *application,
                                                 const char     *path,
                                                 const char     *message);

G_END_DECLS
