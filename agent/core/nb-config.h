/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NB_CONFIG_ERROR (nb_config_error_quark ())

typedef enum {
  NB_CONFIG_ERROR_PARSE,    /* not JSON */
  NB_CONFIG_ERROR_INVALID,  /* JSON, but a value has the wrong type or range */
  NB_CONFIG_ERROR_IO,
} NbConfigError;

GQuark nb_config_error_quark (void);

#define NB_TYPE_CONFIG (nb_config_get_type ())
G_DECLARE_FINAL_TYPE (NbConfig, nb_config, NB, CONFIG, GObject)

/*
 * Values are addressed by dotted paths of camelCase names, e.g.
 * "agents.defaults.maxTokens" or "providers.openai.apiKey". The file may
 * spell any name in snake_case ("max_tokens"); lookups find both. Names
 * below "providers.<name>", "tools.mcpServers.<name>", "env", "headers" and
 * "extraHeaders" are the user's own and are taken as written. A value that
 * is missing or null yields the nanobot-redux default.
 */

NbConfig   *nb_config_new               (void);
NbConfig   *nb_config_load              (const char  *path,
                                         GError     **error);
gboolean    nb_config_save              (NbConfig    *self,
                                         const char  *path,
                                         GError     **error);
const char *nb_config_get_path          (NbConfig    *self);
gboolean    nb_config_reload            (NbConfig    *self,
                                         GError     **error);

const char *nb_config_get_string        (NbConfig    *self,
                                         const char  *path);
gint64      nb_config_get_int           (NbConfig    *self,
                                         const char  *path);
double      nb_config_get_double        (NbConfig    *self,
                                         const char  *path);
gboolean    nb_config_get_boolean       (NbConfig    *self,
                                         const char  *path);
JsonObject *nb_config_get_object        (NbConfig    *self,
                                         const char  *path);
JsonArray  *nb_config_get_array         (NbConfig    *self,
                                         const char  *path);

void        nb_config_set_string        (NbConfig    *self,
                                         const char  *path,
                                         const char  *value);
void        nb_config_set_int           (NbConfig    *self,
                                         const char  *path,
                                         gint64       value);
void        nb_config_set_boolean       (NbConfig    *self,
                                         const char  *path,
                                         gboolean     value);

/* agents.defaults.workspace with "~" expanded. */
char       *nb_config_dup_workspace     (NbConfig    *self);
/* agents.defaults.memoryModel when set, else agents.defaults.model. */
const char *nb_config_get_memory_model  (NbConfig    *self);

/* $XDG_CONFIG_HOME/nanobot/config.json */
char       *nb_config_get_default_path  (void);
/* $XDG_DATA_HOME/nanobot */
char       *nb_config_get_data_dir      (void);

/* Checks of configured values (nb-config-validate.c). */
gboolean  nb_config_is_http_url        (const char  *text);
gboolean  nb_config_secret_has_control (const char  *secret);
/* Whether agents.defaults.workspace is a folder or can be made one (it is
 * created); the error names the key and the file. */
gboolean  nb_config_check_workspace    (NbConfig    *self,
                                        GError     **error);

G_END_DECLS
