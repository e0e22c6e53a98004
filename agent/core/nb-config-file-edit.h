/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Changes @root (the file's top object) in place; returns FALSE with
 * @error set to leave the file as it is. */
typedef gboolean (*NbConfigEditFunc) (JsonObject  *root,
                                      gpointer     user_data,
                                      GError     **error);

gboolean    nb_config_file_edit         (const char        *path,
                                         NbConfigEditFunc   func,
                                         gpointer           user_data,
                                         GError           **error);
JsonObject *nb_config_file_ensure_object (JsonObject       *parent,
                                          const char       *camel_name,
                                          const char       *snake_name);

G_END_DECLS
