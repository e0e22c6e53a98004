/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "nb-file-util.h"
#include "nb-json-util.h"
#include "nb-session-store-private.h"

/* Only a real integer counts: a hand-edited 2.5 or "3" is not trusted. */
static gint64
obj_get_int (JsonObject *object,
             const char *member,
             gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

/* Loading */

typedef struct
{
  GPtrArray  *messages;        /* NbMessage */
  JsonObject *metadata;        /* the last metadata record */
  guint       metadata_lines;
  const char *last_timestamp;  /* in messages */
  gsize       valid_length;    /* bytes up to the end of the last good line */
  gboolean    needs_newline;
  gboolean    torn;
  guint       bad_lines;
} Parsed;

static void
parsed_clear (Parsed *parsed)
{
  g_clear_pointer (&parsed->messages, g_ptr_array_unref);
  g_clear_pointer (&parsed->metadata, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Parsed, parsed_clear)

static void
take_object (Parsed     *parsed,
             JsonObject *object)
{
  const char *type = nb_json_get_string_or (object, "_type", NULL);

  if (g_strcmp0 (type, "metadata") == 0)
    {
      g_clear_pointer (&parsed->metadata, json_object_unref);
      parsed->metadata = json_object_ref (object);
      parsed->metadata_lines++;
    }
  /* Other records are no messages: today's Python nanobot writes a
   * provider's private state as `{"_type": "provider_state", …}` (a
   * session imported from it has one), which no provider here reads. */
  else if (type != NULL)
    return;
  else
    {
      NbMessage *message = nb_message_new_from_json (object);
      const char *timestamp = nb_message_get_timestamp (message);

      g_ptr_array_add (parsed->messages, message);
      if (timestamp != NULL)
        parsed->last_timestamp = timestamp;
    }
}

typedef struct
{
  gsize offset;
  gsize length;
  guint number;
} Line;

/* The fast path for a healthy file: all its lines parsed as the elements
 * of one JSON array, which spares a parser run per line. */
static gboolean
parse_all_at_once (const char *contents,
                   GArray     *lines,
                   Parsed     *parsed)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) array = NULL;
  gsize total = 2;
  JsonArray *elements;

  for (guint i = 0; i < lines->len; i++)
    total += g_array_index (lines, Line, i).length + 1;
  array = g_string_sized_new (total);
  g_string_append_c (array, '[');
  for (guint i = 0; i < lines->len; i++)
    {
      const Line *line = &g_array_index (lines, Line, i);

      if (i > 0)
        g_string_append_c (array, ',');
      g_string_append_len (array, contents + line->offset, line->length);
    }
  g_string_append_c (array, ']');

  if (!nb_json_parser_load (parser, array->str, array->len, NULL) ||
      !nb_json_parser_holds_array (parser))
    return FALSE;
  elements = json_node_get_array (json_parser_get_root (parser));
  /* A line like `1, 2` would pass as two elements. */
  if (json_array_get_length (elements) != lines->len)
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (elements, i)))
      return FALSE;

  for (guint i = 0; i < lines->len; i++)
    take_object (parsed, json_array_get_object_element (elements, i));
  return TRUE;
}

static void
parse_lines (const char *path,
             const char *contents,
             gsize       length,
             Parsed     *parsed)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (Line));
  gboolean unterminated = FALSE;
  gsize pos = 0;
  guint number = 0;

  parsed->messages = g_ptr_array_new_with_free_func (g_object_unref);

  while (pos < length)
    {
      const char *start = contents + pos;
      const char *newline = memchr (start, '\n', length - pos);
      Line line = { pos, newline != NULL ? (gsize) (newline - start) : length - pos, ++number };

      if (!nb_session_store_is_blank (start, line.length))
        g_array_append_val (lines, line);
      unterminated = newline == NULL;
      pos += line.length + (newline != NULL);
    }
  /* Until a torn last line says otherwise, the whole file is good. */
  parsed->valid_length = length;
  if (unterminated && lines->len > 0 &&
      g_array_index (lines, Line, lines->len - 1).offset + g_array_index (lines, Line, lines->len - 1).length == length)
    parsed->needs_newline = TRUE;

  if (parse_all_at_once (contents, lines, parsed))
    return;

  /* Something is wrong somewhere: line by line, keeping the good ones. */
  g_ptr_array_set_size (parsed->messages, 0);
  g_clear_pointer (&parsed->metadata, json_object_unref);
  parsed->metadata_lines = 0;
  parsed->last_timestamp = NULL;
  parser = json_parser_new ();

  for (guint i = 0; i < lines->len; i++)
    {
      const Line *line = &g_array_index (lines, Line, i);
      gboolean last_unterminated = parsed->needs_newline && i == lines->len - 1;
      g_autoptr(GError) error = NULL;

      if (!nb_json_parser_load (parser, contents + line->offset, line->length, &error) ||
          !nb_json_parser_holds_object (parser))
        {
          if (last_unterminated)
            {
              /* A write cut short by a crash: drop it. */
              g_message ("%s:%u: dropped an incomplete last line", path, line->number);
              parsed->torn = TRUE;
              parsed->needs_newline = FALSE;
              parsed->valid_length = line->offset;
              break;
            }
          g_message ("%s:%u: skipped a malformed line: %s", path, line->number,
                     error != NULL ? error->message : "not a JSON object");
          parsed->bad_lines++;
          continue;
        }
      take_object (parsed, json_node_get_object (json_parser_get_root (parser)));
    }
}

static NbSession *
load_session (NbSessionStore  *self,
              const char      *key,
              NbSessionFile  **out_file,
              GError         **error)
{
  g_autofree char *path = nb_session_store_get_path (self, key);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(Parsed) parsed = { 0 };
  g_autoptr(NbSession) session = nb_session_new (key);
  NbSessionFile *sf;
  gsize length = 0;

  if (!nb_file_read_bounded (path, NB_FILE_MAX_SESSION, &contents, &length, &local_error))
    {
      /* No file yet is a new session; so is a folder that cannot exist,
         whose error the first write reports. */
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
          !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "Could not load the session %s: ", key);
          return NULL;
        }
      *out_file = nb_session_file_new (self, session);
      return g_steal_pointer (&session);
    }

  parse_lines (path, contents, length, &parsed);

  if (parsed.torn)
    {
      /* Cut the torn line off, so that the file stays valid JSONL for
       * every reader, the Python nanobot's included. */
      int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
      struct stat st;

      /* Only when the file is still what was read: if it grew, the "torn"
       * line may be another process's write in progress, not a crash. */
      if (fd < 0 || fstat (fd, &st) != 0 || (gsize) st.st_size != length ||
          ftruncate (fd, parsed.valid_length) != 0)
        parsed.needs_newline = TRUE;
      if (fd >= 0)
        close (fd);
    }

  if (parsed.metadata != NULL)
    {
      JsonObject *meta = parsed.metadata;
      JsonNode *inner = json_object_get_member (meta, "metadata");
      const char *created_at = nb_json_get_string_or (meta, "created_at", NULL);
      const char *updated_at = nb_json_get_string_or (meta, "updated_at", NULL);
      gint64 last_consolidated = obj_get_int (meta, "last_consolidated", 0);

      if (created_at != NULL)
        nb_session_set_created_at (session, created_at);
      if (inner != NULL && JSON_NODE_HOLDS_OBJECT (inner))
        {
          JsonObjectIter iter;
          const char *member;
          JsonNode *node;

          json_object_iter_init (&iter, json_node_get_object (inner));
          while (json_object_iter_next (&iter, &member, &node))
            json_object_set_member (nb_session_get_metadata (session), member, json_node_copy (node));
        }
      nb_session_add_saved (session, parsed.messages);
      /* An offset past the end (a damaged or hand-edited file) would hide
       * the whole conversation from the model and stop consolidation:
       * start over from the first message, as the Python nanobot now does. */
      if (last_consolidated > (gint64) nb_session_get_n_messages (session))
        {
          g_message ("%s: last_consolidated %" G_GINT64_FORMAT " is past the %u messages; counting from the first again",
                     path, last_consolidated, nb_session_get_n_messages (session));
          last_consolidated = 0;
        }
      nb_session_set_last_consolidated (session, (guint) CLAMP (last_consolidated, 0, G_MAXUINT));
      if (g_strcmp0 (parsed.last_timestamp, updated_at) > 0)
        updated_at = parsed.last_timestamp;
      if (updated_at != NULL)
        nb_session_set_updated_at (session, updated_at);
    }
  else
    {
      nb_session_add_saved (session, parsed.messages);
      if (parsed.last_timestamp != NULL)
        nb_session_set_updated_at (session, parsed.last_timestamp);
    }

  sf = nb_session_file_new (self, session);
  sf->written = nb_session_get_n_messages (session);
  sf->file_messages = sf->written;
  sf->needs_newline = parsed.needs_newline;
  sf->metadata_lines = parsed.metadata_lines;
  sf->damaged_lines = parsed.bad_lines;
  sf->loaded_size = parsed.torn ? parsed.valid_length : length;
  if (parsed.metadata != NULL)
    sf->metadata_signature = nb_session_file_metadata_signature (sf);

  *out_file = sf;
  return g_steal_pointer (&session);
}

/* A file with malformed lines is kept aside as it was, then rewritten
 * from what loaded, so that every reader (the Python nanobot's loader
 * refuses the whole file) can read it again. */
static void
repair_damaged (NbSessionStore *self,
                NbSessionFile  *sf)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  if (sf->damaged_lines == 0)
    return;

  /* Another process appended since the file was read: its lines would
   * be lost from the file. The next open repairs it. */
  if (g_stat (sf->path, &st) != 0 || (gsize) st.st_size != sf->loaded_size)
    {
      g_message ("%s has %u malformed lines; left as it is (it changed while it was read)",
                 sf->path, sf->damaged_lines);
      return;
    }

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  backup = g_strdup_printf ("%s.damaged-%s", sf->path, stamp);
  if (link (sf->path, backup) != 0)
    {
      g_message ("%s has %u malformed lines; left as it is (no copy could be made: %s)",
                 sf->path, sf->damaged_lines, g_strerror (errno));
      return;
    }
  if (!nb_session_store_rewrite (self, sf, TRUE, &error))
    {
      g_message ("%s has %u malformed lines and could not be rewritten: %s",
                 sf->path, sf->damaged_lines, error->message);
      return;
    }
  g_message ("%s had %u malformed lines: rewrote it without them, the original is %s",
             sf->path, sf->damaged_lines, backup);
  sf->damaged_lines = 0;
}

/* Takes the loaded file unless another open of the key won the race. */
static NbSession *
adopt (NbSessionStore *self,
       const char     *key,
       NbSession      *session,
       NbSessionFile  *sf)
{
  NbSessionFile *existing = g_hash_table_lookup (self->files, key);

  if (existing != NULL)
    {
      nb_session_file_free (sf);
      g_object_unref (session);
      return g_object_ref (existing->session);
    }
  g_hash_table_insert (self->files, g_strdup (key), sf);
  repair_damaged (self, sf);
  return session;
}

/**
 * nb_session_store_open:
 * @key: the session key
 *
 * Reads the file on the calling thread; nb_session_store_open_async()
 * parses it in a worker thread.
 *
 * Returns: (transfer full): the session for @key, loaded from its file or
 *   new; %NULL with @error set when the file exists but cannot be read
 */
NbSession *
nb_session_store_open (NbSessionStore  *self,
                       const char      *key,
                       GError         **error)
{
  NbSessionFile *sf;
  NbSession *session;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  sf = g_hash_table_lookup (self->files, key);
  if (sf != NULL)
    return g_object_ref (sf->session);

  session = load_session (self, key, &sf, error);
  if (session == NULL)
    return NULL;
  return adopt (self, key, session, sf);
}

typedef struct
{
  char          *key;
  NbSession     *session;
  NbSessionFile *file;
} OpenData;

static void
open_data_free (gpointer data)
{
  OpenData *open = data;

  g_free (open->key);
  g_clear_object (&open->session);
  g_clear_pointer (&open->file, nb_session_file_free);
  g_free (open);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *open = task_data;
  GError *error = NULL;

  /* Parsing a long session is CPU work on a large input. */
  open->session = load_session (source_object, open->key, &open->file, &error);
  if (open->session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
open_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  NbSessionStore *self = NB_SESSION_STORE (object);
  g_autoptr(GTask) task = user_data;
  OpenData *open = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task,
                         adopt (self, open->key, g_steal_pointer (&open->session), g_steal_pointer (&open->file)),
                         g_object_unref);
}

/**
 * nb_session_store_open_async:
 * @key: the session key
 *
 * Like nb_session_store_open(), with the file read and parsed in a worker
 * thread.
 */
void
nb_session_store_open_async (NbSessionStore      *self,
                             const char          *key,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) load = NULL;
  NbSessionFile *sf;
  OpenData *open;

  g_return_if_fail (NB_IS_SESSION_STORE (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_open_async);

  sf = g_hash_table_lookup (self->files, key);
  if (sf != NULL)
    {
      g_task_return_pointer (task, g_object_ref (sf->session), g_object_unref);
      return;
    }

  load = g_task_new (self, cancellable, open_loaded_cb, g_steal_pointer (&task));
  g_task_set_source_tag (load, nb_session_store_open_async);
  open = g_new0 (OpenData, 1);
  open->key = g_strdup (key);
  g_task_set_task_data (load, open, open_data_free);
  g_task_run_in_thread (load, open_thread);
}

/**
 * nb_session_store_open_finish:
 *
 * Returns: (transfer full): the session, or %NULL with @error set
 */
NbSession *
nb_session_store_open_finish (NbSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* See nb-session-store-private.h. */
GPtrArray *
nb_session_store_parse_messages (const char *path,
                                 const char *contents,
                                 gsize       length,
                                 gint64     *last_consolidated)
{
  g_auto(Parsed) parsed = { 0 };

  parse_lines (path, contents, length, &parsed);
  *last_consolidated = parsed.metadata != NULL ? obj_get_int (parsed.metadata, "last_consolidated", 0) : -1;
  return g_steal_pointer (&parsed.messages);
}
