/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_TRAY (nb_tray_get_type ())
G_DECLARE_FINAL_TYPE (NbTray, nb_tray, NB, TRAY, GObject)

/*
 * The tray icon: a StatusNotifierItem (org.kde.StatusNotifierItem) with a
 * com.canonical.dbusmenu menu, both exported on @connection with GDBus
 * alone (no GTK 3 library). Whenever org.kde.StatusNotifierWatcher
 * appears on the bus the item registers with it (again after a restart
 * of the watcher); NbTray:registered says whether a watcher accepted it.
 * The menu's items and a click on the icon activate actions of @actions:
 * "quick-prompt" (also the icon's Activate), "show-window", "new-chat",
 * "quit".
 */

#define NB_TRAY_ITEM_PATH "/StatusNotifierItem"
#define NB_TRAY_MENU_PATH "/StatusNotifierItem/Menu"

NbTray   *nb_tray_new            (GDBusConnection *connection,
                                  GActionGroup    *actions);
gboolean  nb_tray_get_registered (NbTray          *self);
void      nb_tray_set_busy       (NbTray          *self,
                                  gboolean         busy);
gboolean  nb_tray_get_busy       (NbTray          *self);

G_END_DECLS
