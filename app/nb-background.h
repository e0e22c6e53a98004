/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Running in the background and starting at login. Inside Flatpak both
 * go through the Background portal (org.freedesktop.portal.Background,
 * RequestBackground): the user may be asked once. Outside, nothing is
 * needed to keep running, and starting at login is an autostart entry,
 * $XDG_CONFIG_HOME/autostart/io.github.nanobot.Nanobot.desktop, that runs
 * `nanobot --gapplication-service` (the tray icon, no window).
 */

gboolean  nb_background_in_flatpak         (void);
char     *nb_background_autostart_path     (void);
gboolean  nb_background_set_autostart_file (gboolean              enabled,
                                            GError              **error);

void      nb_background_request_async      (GDBusConnection      *connection,
                                            gboolean              autostart,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* TRUE when the portal allowed running in the background. */
gboolean  nb_background_request_finish     (GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
