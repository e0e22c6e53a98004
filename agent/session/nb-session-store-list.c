/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "nb-json-util.h"
#include "nb-session-store-private.h"

#define LIST_PEEK_BYTES (64 * 1024)

/* Listing */

static char *
title_of (JsonObject *message)
{
  JsonNode *content = json_object_get_member (message, "content");
  const char *text = NULL;
  const char *end;

  if (content != NULL && JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    text = json_node_get_string (content);
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts) && text == NULL; i++)
        {
          JsonNode *part = json_array_get_element (parts, i);

          if (JSON_NODE_HOLDS_OBJECT (part) &&
              g_strcmp0 (nb_json_get_string_or (json_node_get_object (part), "type", ""), "text") == 0)
            text = nb_json_get_string_or (json_node_get_object (part), "text", NULL);
        }
    }

  if (text == NULL)
    return NULL;
  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0' || g_str_has_prefix (text, "[Runtime Context"))
    return NULL;
  end = strchr (text, '\n');
  return end != NULL ? g_strndup (text, end - text) : g_strdup (text);
}

/* Reads the head for the key and the title and the tail for the latest
 * dates, so that listing does not read whole long sessions. */
static NbSessionInfo *
peek_session (const char *path,
              const char *stem)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *meta_key = NULL;
  g_autofree char *updated_at = NULL;
  NbSessionInfo *info;
  const char *contents;
  gsize length;
  gsize head_end;
  gsize tail_start;
  gsize pos;

  mapped = g_mapped_file_new (path, FALSE, NULL);
  if (mapped == NULL)
    return NULL;
  contents = g_mapped_file_get_contents (mapped);
  length = g_mapped_file_get_length (mapped);

  info = g_new0 (NbSessionInfo, 1);
  info->path = g_strdup (path);

  head_end = MIN (length, LIST_PEEK_BYTES);
  tail_start = length > LIST_PEEK_BYTES ? length - LIST_PEEK_BYTES : 0;

  /* Head: the first metadata line's key and the first user message. */
  for (pos = 0; pos < head_end && (info->title == NULL || meta_key == NULL);)
    {
      const char *line = contents + pos;
      const char *newline = memchr (line, '\n', length - pos);
      gsize line_length = newline != NULL ? (gsize) (newline - line) : length - pos;
      JsonObject *object;

      pos += line_length + 1;
      if (nb_session_store_is_blank (line, line_length) || !nb_json_parser_load (parser, line, line_length, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      object = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (nb_json_get_string_or (object, "_type", NULL), "metadata") == 0)
        {
          if (meta_key == NULL)
            meta_key = g_strdup (nb_json_get_string_or (object, "key", NULL));
        }
      else if (info->title == NULL &&
               g_strcmp0 (nb_json_get_string_or (object, "role", NULL), "user") == 0)
        info->title = title_of (object);
    }

  /* Tail: the latest updated_at or message timestamp. */
  pos = tail_start;
  if (pos > 0)
    {
      const char *newline = memchr (contents + pos, '\n', length - pos);

      pos = newline != NULL ? (gsize) (newline - contents) + 1 : length;
    }
  while (pos < length)
    {
      const char *line = contents + pos;
      const char *newline = memchr (line, '\n', length - pos);
      gsize line_length = newline != NULL ? (gsize) (newline - line) : length - pos;
      JsonObject *object;
      const char *stamp;

      pos += line_length + 1;
      if (nb_session_store_is_blank (line, line_length) || !nb_json_parser_load (parser, line, line_length, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      object = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (nb_json_get_string_or (object, "_type", NULL), "metadata") == 0)
        stamp = nb_json_get_string_or (object, "updated_at", NULL);
      else
        stamp = nb_json_get_string_or (object, "timestamp", NULL);
      if (stamp != NULL && g_strcmp0 (stamp, updated_at) > 0)
        {
          g_free (updated_at);
          updated_at = g_strdup (stamp);
        }
    }

  if (meta_key != NULL)
    info->key = g_steal_pointer (&meta_key);
  else
    {
      /* As the Python nanobot guesses: the first "_" was the ":". */
      char *underscore;

      info->key = g_strdup (stem);
      underscore = strchr (info->key, '_');
      if (underscore != NULL)
        *underscore = ':';
    }
  info->updated_at = g_steal_pointer (&updated_at);
  return info;
}

static int
compare_info (gconstpointer a,
              gconstpointer b)
{
  const NbSessionInfo *ia = *(NbSessionInfo * const *) a;
  const NbSessionInfo *ib = *(NbSessionInfo * const *) b;

  return -g_strcmp0 (ia->updated_at, ib->updated_at);
}

static GPtrArray *
list_dir (const char  *dir_path,
          GError     **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) nb_session_info_free);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &local_error);
  const char *name;

  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&infos);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stem = NULL;
      NbSessionInfo *info;

      if (name[0] == '.' || !g_str_has_suffix (name, ".jsonl"))
        continue;
      path = g_build_filename (dir_path, name, NULL);
      stem = g_strndup (name, strlen (name) - strlen (".jsonl"));
      info = peek_session (path, stem);
      if (info != NULL)
        g_ptr_array_add (infos, info);
    }

  g_ptr_array_sort (infos, compare_info);
  return g_steal_pointer (&infos);
}

/**
 * nb_session_store_list:
 *
 * Returns: (transfer container) (element-type NbSessionInfo): the stored
 *   sessions, most recently updated first
 */
GPtrArray *
nb_session_store_list (NbSessionStore  *self,
                       GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  return list_dir (self->dir, error);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *infos = list_dir (task_data, &error);

  if (infos == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * nb_session_store_list_async:
 *
 * Lists the stored sessions in a worker thread (it reads every file's
 * head and tail).
 */
void
nb_session_store_list_async (NbSessionStore      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_SESSION_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_list_async);
  g_task_set_task_data (task, g_strdup (self->dir), g_free);
  g_task_run_in_thread (task, list_thread);
}

/**
 * nb_session_store_list_finish:
 *
 * Returns: (transfer container) (element-type NbSessionInfo): the sessions
 */
GPtrArray *
nb_session_store_list_finish (NbSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
