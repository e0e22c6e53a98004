/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_GLOBAL_SHORTCUT (nb_global_shortcut_get_type ())
G_DECLARE_FINAL_TYPE (NbGlobalShortcut, nb_global_shortcut, NB, GLOBAL_SHORTCUT, GObject)

/*
 * The quick prompt's shortcut through the GlobalShortcuts portal
 * (org.freedesktop.portal.GlobalShortcuts), where the desktop offers it:
 * a session (CreateSession), one shortcut "quick-prompt" bound with the
 * user's choice as the preferred trigger (BindShortcuts; the desktop asks
 * the user the first time and remembers), and NbGlobalShortcut::activated
 * when it is pressed. Binding fails with G_IO_ERROR_NOT_SUPPORTED when the
 * portal lacks the interface.
 */

#define NB_GLOBAL_SHORTCUT_ID "quick-prompt"

NbGlobalShortcut *nb_global_shortcut_new            (GDBusConnection      *connection);
void              nb_global_shortcut_bind_async     (NbGlobalShortcut     *self,
                                                     const char           *accelerator,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean          nb_global_shortcut_bind_finish    (NbGlobalShortcut     *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
gboolean          nb_global_shortcut_get_bound      (NbGlobalShortcut     *self);
/* A GTK accelerator ("<Super><Alt>space") in the shortcuts
 * specification's words ("LOGO+ALT+space"), or NULL. */
char             *nb_global_shortcut_trigger_from_accelerator (const char *accelerator);

G_END_DECLS
