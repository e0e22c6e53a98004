/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-config.h"

G_BEGIN_DECLS

/*
 * Writing config.json without losing anything of the user's: a list of
 * changes (set or remove a member) applied to the file as it is on disk
 * now, read and parsed again, so keys nobody here knows, keys another
 * program wrote meanwhile and the order of the user's keys all survive;
 * only the touched members change (an existing member keeps its place and
 * its camelCase or snake_case spelling). The result is checked like a
 * loaded file, then written atomically (temporary file, fsync, rename)
 * with mode 0600. A file that does not parse is never overwritten.
 */

typedef struct _NbConfigEdit NbConfigEdit;

NbConfigEdit *nb_config_edit_new             (void);
void          nb_config_edit_free            (NbConfigEdit  *edit);
gboolean      nb_config_edit_is_empty        (NbConfigEdit  *edit);

/* @path is dotted camelCase ("agents.defaults.maxTokens"). */
void          nb_config_edit_set_string      (NbConfigEdit  *edit,
                                              const char    *path,
                                              const char    *value);
void          nb_config_edit_set_int         (NbConfigEdit  *edit,
                                              const char    *path,
                                              gint64         value);
void          nb_config_edit_set_double      (NbConfigEdit  *edit,
                                              const char    *path,
                                              double         value);
void          nb_config_edit_set_boolean     (NbConfigEdit  *edit,
                                              const char    *path,
                                              gboolean       value);
void          nb_config_edit_set_node        (NbConfigEdit  *edit,
                                              const char    *path,
                                              JsonNode      *value);
void          nb_config_edit_remove          (NbConfigEdit  *edit,
                                              const char    *path);
/* For the user's own names, which may hold dots ("tools.mcpServers" and
 * a server name): @member is taken as written. */
void          nb_config_edit_set_member      (NbConfigEdit  *edit,
                                              const char    *parent_path,
                                              const char    *member,
                                              JsonNode      *value);
void          nb_config_edit_remove_member   (NbConfigEdit  *edit,
                                              const char    *parent_path,
                                              const char    *member);

/* A change no path can say (insert into an array at a place found by
 * looking at it): @func changes the file's parsed top object in place,
 * in order with the other changes. It runs in the writer's worker
 * thread, so it may touch only @root and @user_data, which the edit owns
 * (@destroy frees it, in any thread). The result is checked like every
 * other change. */
typedef void (*NbConfigEditFunc) (JsonObject *root,
                                  gpointer    user_data);

void          nb_config_edit_add_func        (NbConfigEdit     *edit,
                                              NbConfigEditFunc  func,
                                              gpointer          user_data,
                                              GDestroyNotify    destroy);

/* A copy of @node that shares no object or array with it (json_node_copy()
 * shares them). */
JsonNode     *nb_config_edit_deep_copy       (JsonNode      *node);

/* Applies @edit to @text (NULL or "" for a file that does not exist) and
 * returns the new text; @file names the file in errors. */
char         *nb_config_edit_apply_to_text   (NbConfigEdit  *edit,
                                              const char    *file,
                                              const char    *text,
                                              GError       **error);

/* Reads the file of @config, applies @edit, writes it and gives @config
 * the result (emitting NbConfig::changed). The file work runs in a worker
 * thread; writes of one process are applied one after another, in the
 * order they were asked for. Takes @edit. */
void          nb_config_write_async          (NbConfig             *config,
                                              NbConfigEdit         *edit,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      nb_config_write_finish         (NbConfig             *config,
                                              GAsyncResult         *result,
                                              GError              **error);
/* The same, blocking: for tests and the command line. */
gboolean      nb_config_write                (NbConfig             *config,
                                              NbConfigEdit         *edit,
                                              GError              **error);

/* Moves a config.json that cannot be used aside to
 * "config.json.broken-YYYYMMDD-HHMMSS" (returned in @backup_path), so the
 * defaults apply; nothing is deleted. */
gboolean      nb_config_reset_file           (const char           *path,
                                              char                **backup_path,
                                              GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbConfigEdit, nb_config_edit_free)

G_END_DECLS
