/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A GNOME custom keyboard shortcut that runs `nanobot --quick-prompt`:
 * an entry of org.gnome.settings-daemon.plugins.media-keys
 * custom-keybindings pointing at our own path of the relocatable
 * org.gnome.settings-daemon.plugins.media-keys.custom-keybinding schema,
 * as GNOME Settings' Keyboard panel writes them. @source (nullable: the
 * default) is where the schemas are looked up; when they are missing (not
 * GNOME) nb_gnome_shortcut_available() is FALSE and the others fail with
 * G_IO_ERROR_NOT_SUPPORTED.
 */

#define NB_GNOME_SHORTCUT_PATH "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/nanobot-quick-prompt/"
#define NB_GNOME_SHORTCUT_COMMAND "nanobot --quick-prompt"

gboolean  nb_gnome_shortcut_available (GSettingsSchemaSource  *source);
gboolean  nb_gnome_shortcut_set       (GSettingsSchemaSource  *source,
                                       const char             *accelerator,
                                       GError                **error);
gboolean  nb_gnome_shortcut_remove    (GSettingsSchemaSource  *source,
                                       GError                **error);
/* The accelerator of our entry, or NULL when there is none. */
char     *nb_gnome_shortcut_dup       (GSettingsSchemaSource  *source);

G_END_DECLS
