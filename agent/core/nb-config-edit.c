/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-config-edit.h"
#include "nb-config-private.h"
#include "nb-file-util.h"
#include "nb-json-util.h"

typedef struct {
  GStrv             parts;    /* the path; the last part is the member */
  gboolean          exact;    /* the last part is a user's name, taken as written */
  JsonNode         *value;    /* NULL: remove */
  NbConfigEditFunc  func;     /* instead of the above: nb_config_edit_add_func() */
  gpointer          func_data;
  GDestroyNotify    func_destroy;
} Change;

struct _NbConfigEdit
{
  GPtrArray *changes;
};

static void
change_free (gpointer data)
{
  Change *change = data;

  g_strfreev (change->parts);
  g_clear_pointer (&change->value, json_node_unref);
  if (change->func_destroy != NULL)
    change->func_destroy (change->func_data);
  g_free (change);
}

NbConfigEdit *
nb_config_edit_new (void)
{
  NbConfigEdit *edit = g_new0 (NbConfigEdit, 1);

  edit->changes = g_ptr_array_new_with_free_func (change_free);
  return edit;
}

void
nb_config_edit_free (NbConfigEdit *edit)
{
  if (edit == NULL)
    return;
  g_ptr_array_unref (edit->changes);
  g_free (edit);
}

gboolean
nb_config_edit_is_empty (NbConfigEdit *edit)
{
  g_return_val_if_fail (edit != NULL, TRUE);
  return edit->changes->len == 0;
}

/**
 * nb_config_edit_deep_copy:
 *
 * json_node_copy() shares the objects and arrays of a node; a value to
 * change must not be shared with the loaded configuration, which others
 * (the MCP manager) keep and compare.
 *
 * Returns: (transfer full): a copy sharing nothing with @node
 */
JsonNode *
nb_config_edit_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  g_return_val_if_fail (node != NULL, NULL);

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_object_new ();
      g_autoptr(GList) names = json_object_get_members (json_node_get_object (node));

      for (GList *l = names; l != NULL; l = l->next)
        json_object_set_member (object, l->data,
                                nb_config_edit_deep_copy (json_object_get_member (json_node_get_object (node), l->data)));
      copy = json_node_alloc ();
      json_node_init_object (copy, object);
      json_object_unref (object);
      return copy;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *source = json_node_get_array (node);
      JsonArray *array = json_array_sized_new (json_array_get_length (source));

      for (guint i = 0; i < json_array_get_length (source); i++)
        json_array_add_element (array, nb_config_edit_deep_copy (json_array_get_element (source, i)));
      copy = json_node_alloc ();
      json_node_init_array (copy, array);
      json_array_unref (array);
      return copy;
    }
  return json_node_copy (node);
}

static void
add_change (NbConfigEdit *edit,
            GStrv         parts,
            gboolean      exact,
            JsonNode     *value)
{
  Change *change = g_new0 (Change, 1);

  g_assert (parts != NULL && parts[0] != NULL);
  change->parts = parts;
  change->exact = exact;
  change->value = value;
  g_ptr_array_add (edit->changes, change);
}

/**
 * nb_config_edit_set_node:
 * @value: (transfer none): copied
 */
void
nb_config_edit_set_node (NbConfigEdit *edit,
                         const char   *path,
                         JsonNode     *value)
{
  g_return_if_fail (edit != NULL);
  g_return_if_fail (path != NULL && *path != '\0');
  g_return_if_fail (value != NULL);

  add_change (edit, g_strsplit (path, ".", -1), FALSE, nb_config_edit_deep_copy (value));
}

void
nb_config_edit_set_string (NbConfigEdit *edit,
                           const char   *path,
                           const char   *value)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_NULL);

  if (value != NULL)
    json_node_init_string (node, value);
  nb_config_edit_set_node (edit, path, node);
}

void
nb_config_edit_set_int (NbConfigEdit *edit,
                        const char   *path,
                        gint64        value)
{
  g_autoptr(JsonNode) node = json_node_init_int (json_node_alloc (), value);

  nb_config_edit_set_node (edit, path, node);
}

void
nb_config_edit_set_double (NbConfigEdit *edit,
                           const char   *path,
                           double        value)
{
  g_autoptr(JsonNode) node = json_node_init_double (json_node_alloc (), value);

  nb_config_edit_set_node (edit, path, node);
}

void
nb_config_edit_set_boolean (NbConfigEdit *edit,
                            const char   *path,
                            gboolean      value)
{
  g_autoptr(JsonNode) node = json_node_init_boolean (json_node_alloc (), value);

  nb_config_edit_set_node (edit, path, node);
}

void
nb_config_edit_remove (NbConfigEdit *edit,
                       const char   *path)
{
  g_return_if_fail (edit != NULL);
  g_return_if_fail (path != NULL && *path != '\0');

  add_change (edit, g_strsplit (path, ".", -1), FALSE, NULL);
}

static GStrv
member_parts (const char *parent_path,
              const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parents = g_strsplit (parent_path, ".", -1);

  g_strv_builder_addv (builder, (const char **) parents);
  g_strv_builder_add (builder, member);
  return g_strv_builder_end (builder);
}

/**
 * nb_config_edit_set_member:
 * @value: (transfer none): copied
 */
void
nb_config_edit_set_member (NbConfigEdit *edit,
                           const char   *parent_path,
                           const char   *member,
                           JsonNode     *value)
{
  g_return_if_fail (edit != NULL);
  g_return_if_fail (parent_path != NULL && *parent_path != '\0');
  g_return_if_fail (member != NULL);
  g_return_if_fail (value != NULL);

  add_change (edit, member_parts (parent_path, member), TRUE, nb_config_edit_deep_copy (value));
}

void
nb_config_edit_remove_member (NbConfigEdit *edit,
                              const char   *parent_path,
                              const char   *member)
{
  g_return_if_fail (edit != NULL);
  g_return_if_fail (parent_path != NULL && *parent_path != '\0');
  g_return_if_fail (member != NULL);

  add_change (edit, member_parts (parent_path, member), TRUE, NULL);
}

/**
 * nb_config_edit_add_func:
 * @func: changes the file's top object; called in a worker thread
 * @user_data: (transfer full): owned by @edit
 * @destroy: (nullable): frees @user_data
 *
 * Adds a change made by @func, applied in order with the others.
 */
void
nb_config_edit_add_func (NbConfigEdit     *edit,
                         NbConfigEditFunc  func,
                         gpointer          user_data,
                         GDestroyNotify    destroy)
{
  Change *change;

  g_return_if_fail (edit != NULL);
  g_return_if_fail (func != NULL);

  change = g_new0 (Change, 1);
  change->func = func;
  change->func_data = user_data;
  change->func_destroy = destroy;
  g_ptr_array_add (edit->changes, change);
}

/* "maxTokens" → "max_tokens"; NULL when the name has no capital. */
static char *
snake_spelling (const char *name)
{
  GString *out;

  if (strchr (name, '_') != NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = name; *p; p++)
    {
      if (g_ascii_isupper (*p) && p != name)
        {
          g_string_append_c (out, '_');
          g_string_append_c (out, g_ascii_tolower (*p));
        }
      else
        g_string_append_c (out, *p);
    }
  if (g_str_equal (out->str, name))
    return (g_string_free (out, TRUE), NULL);
  return g_string_free (out, FALSE);
}

/* The name @object spells @name with: as written, else its snake_case
 * twin (what the Python nanobot's files may hold); NULL when absent. */
static const char *
find_member (JsonObject *object,
             const char *name,
             gboolean    exact)
{
  g_autofree char *snake = NULL;
  g_autoptr(GList) members = NULL;

  if (json_object_has_member (object, name))
    return name;
  if (exact || (snake = snake_spelling (name)) == NULL)
    return NULL;
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (g_str_equal (l->data, snake))
      return l->data;
  return NULL;
}

static void
apply_change (JsonObject *root,
              Change     *change)
{
  JsonObject *object = root;
  guint n;
  const char *leaf;
  const char *existing;

  if (change->func != NULL)
    {
      change->func (root, change->func_data);
      return;
    }
  n = g_strv_length (change->parts);
  leaf = change->parts[n - 1];

  for (guint i = 0; i + 1 < n; i++)
    {
      const char *name = find_member (object, change->parts[i], FALSE);
      JsonNode *node = name != NULL ? json_object_get_member (object, name) : NULL;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          /* Nothing to remove below a member that is not there. */
          if (change->value == NULL)
            return;
          /* A null or mistyped parent becomes an object, in its place. */
          json_object_set_object_member (object, name != NULL ? name : change->parts[i],
                                         json_object_new ());
          node = json_object_get_member (object, name != NULL ? name : change->parts[i]);
        }
      object = json_node_get_object (node);
    }

  existing = find_member (object, leaf, change->exact);
  if (change->value == NULL)
    {
      if (existing != NULL)
        json_object_remove_member (object, existing);
      return;
    }
  /* json_object_set_member() keeps the place of a member it replaces. */
  json_object_set_member (object, existing != NULL ? existing : leaf, nb_config_edit_deep_copy (change->value));
}

/* json-glib says "<data>:3:15: Parse error: unexpected …". */
static void
set_parse_error (GError     **error,
                 const char  *file,
                 GError      *parse_error)
{
  g_autoptr(GRegex) regex = g_regex_new (":(\\d+):(\\d+): (?:Parse error: )?(.*)$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (g_regex_match (regex, parse_error->message, 0, &match))
    {
      g_autofree char *line = g_match_info_fetch (match, 1);
      g_autofree char *col = g_match_info_fetch (match, 2);
      g_autofree char *what = g_match_info_fetch (match, 3);

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE, "%s:%s:%s: %s", file, line, col, what);
    }
  else
    g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE, "%s:1:1: %s", file, parse_error->message);
}

static JsonNode *
apply_to_text (NbConfigEdit  *edit,
               const char    *file,
               const char    *text,
               char         **out_text,
               GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *result = NULL;

  if (text != NULL && *text != '\0')
    {
      if (!g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                       _("%s:1:1: the file is not UTF-8 text"), file);
          return NULL;
        }
      if (!nb_json_parser_load (parser, text, -1, &local_error))
        {
          set_parse_error (error, file, local_error);
          return NULL;
        }
      root = json_parser_steal_root (parser);
    }
  if (root == NULL || JSON_NODE_HOLDS_NULL (root))
    {
      g_clear_pointer (&root, json_node_unref);
      root = json_node_init_object (json_node_alloc (), NULL);
      json_node_take_object (root, json_object_new ());
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                   _("%s:1:1: the configuration must be a JSON object"), file);
      return NULL;
    }

  for (guint i = 0; i < edit->changes->len; i++)
    apply_change (json_node_get_object (root), g_ptr_array_index (edit->changes, i));

  result = nb_json_to_data (root, TRUE, NULL);
  /* What this process would refuse to load is not written. */
  if (!nb_config_validate (file, result, json_node_get_object (root), error))
    return NULL;
  if (out_text != NULL)
    *out_text = g_steal_pointer (&result);
  return g_steal_pointer (&root);
}

/**
 * nb_config_edit_apply_to_text:
 * @text: (nullable): the file's text; %NULL or empty for no file
 *
 * Returns: (transfer full): the new text, or %NULL with @error set
 */
char *
nb_config_edit_apply_to_text (NbConfigEdit  *edit,
                              const char    *file,
                              const char    *text,
                              GError       **error)
{
  g_autoptr(JsonNode) root = NULL;
  char *result = NULL;

  g_return_val_if_fail (edit != NULL, NULL);
  g_return_val_if_fail (file != NULL, NULL);

  root = apply_to_text (edit, file, text, &result, error);
  return root != NULL ? result : NULL;
}

static gboolean
write_atomically (const char  *path,
                  const char  *text,
                  GError     **error)
{
  g_autofree char *target = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) local_error = NULL;

  /* A config.json that is a symbolic link (a dotfiles repository) is
   * written where it points; the rename would replace the link. */
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) && (target = realpath (path, NULL)) != NULL)
    path = target;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, "%s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                 0600, &local_error))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  /* An existing file keeps its mode on replace; keys must stay private. */
  if (g_chmod (path, 0600) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, "%s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* One write at a time per process: each reads what the one before wrote,
 * so none loses another's change. The number orders the results. */
static GMutex write_lock;
static guint64 write_serial;

typedef struct {
  char         *path;
  NbConfigEdit *edit;
  JsonNode     *root;    /* the result */
  guint64       serial;
} WriteData;

static void
write_data_free (gpointer data)
{
  WriteData *write = data;

  g_free (write->path);
  nb_config_edit_free (write->edit);
  g_clear_pointer (&write->root, json_node_unref);
  g_free (write);
}

static gboolean
write_file (WriteData  *write,
            GError    **error)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&write_lock);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *result = NULL;
  gsize length = 0;

  if (!nb_file_read_bounded (write->path, NB_FILE_MAX_CONFIG, &text, &length, &local_error) &&
      !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, "%s: %s", write->path, local_error->message);
      return FALSE;
    }
  if (text != NULL && memchr (text, '\0', length) != NULL)
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                   _("%s:1:1: the file is not UTF-8 text"), write->path);
      return FALSE;
    }
  write->root = apply_to_text (write->edit, write->path, text, &result, error);
  if (write->root == NULL)
    return FALSE;
  if (!write_atomically (write->path, result, error))
    return FALSE;
  write->serial = ++write_serial;
  return TRUE;
}

/* The writes of this process run in one worker thread, in the order
 * they were asked for: a later write reads what an earlier one wrote. */
static void
write_in_pool (gpointer data,
               gpointer user_data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (write_file (g_task_get_task_data (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static GThreadPool *
write_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (write_in_pool, NULL, 1, FALSE, NULL));
  return pool;
}

static char *
config_file (NbConfig *config)
{
  const char *path = nb_config_get_path (config);

  return path != NULL ? g_strdup (path) : nb_config_get_default_path ();
}

void
nb_config_write_async (NbConfig            *config,
                       NbConfigEdit        *edit,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteData *write;

  g_return_if_fail (NB_IS_CONFIG (config));
  g_return_if_fail (edit != NULL);

  write = g_new0 (WriteData, 1);
  write->path = config_file (config);
  write->edit = edit;
  task = g_task_new (config, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_config_write_async);
  g_task_set_task_data (task, write, write_data_free);
  /* Once started, a write is finished even if the caller goes away. */
  g_task_set_check_cancellable (task, FALSE);
  g_thread_pool_push (write_pool (), g_steal_pointer (&task), NULL);
}

static void
take_result (NbConfig  *config,
             WriteData *write)
{
  guint64 last = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (config), "nb-config-write-serial"));

  /* A later write already gave the configuration a newer tree. */
  if (write->serial <= last)
    return;
  g_object_set_data (G_OBJECT (config), "nb-config-write-serial", GSIZE_TO_POINTER ((gsize) write->serial));
  nb_config_take_root (config, g_steal_pointer (&write->root), write->path);
}

/**
 * nb_config_write_finish:
 *
 * Returns: whether the file was written; @config has its contents then
 */
gboolean
nb_config_write_finish (NbConfig      *config,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, config), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  take_result (config, g_task_get_task_data (G_TASK (result)));
  return TRUE;
}

/**
 * nb_config_write:
 * @edit: (transfer full): the changes
 */
gboolean
nb_config_write (NbConfig      *config,
                 NbConfigEdit  *edit,
                 GError       **error)
{
  WriteData *write;
  gboolean ok;

  g_return_val_if_fail (NB_IS_CONFIG (config), FALSE);
  g_return_val_if_fail (edit != NULL, FALSE);

  write = g_new0 (WriteData, 1);
  write->path = config_file (config);
  write->edit = edit;
  ok = write_file (write, error);
  if (ok)
    take_result (config, write);
  write_data_free (write);
  return ok;
}

/**
 * nb_config_reset_file:
 * @backup_path: (out) (optional): where the file went
 */
gboolean
nb_config_reset_file (const char  *path,
                      char       **backup_path,
                      GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *backup = g_strdup_printf ("%s.broken-%s", path, stamp);

  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 2; g_file_test (backup, G_FILE_TEST_EXISTS); i++)
    {
      g_free (backup);
      backup = g_strdup_printf ("%s.broken-%s-%u", path, stamp, i);
    }
  if (g_rename (path, backup) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, "%s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  if (backup_path != NULL)
    *backup_path = g_steal_pointer (&backup);
  return TRUE;
}
