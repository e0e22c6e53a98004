/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation"
/* memmem(), memrchr() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nb-conversation-reader.h"
#include "nb-json-util.h"
#include "nb-session-store-private.h"
#include "nb-session-store.h"

/*
 * A session file is a metadata line, message lines and, appended later,
 * more metadata records; readers take the last record. Our store appends
 * one at the end of every turn with "updated_at" and "message_count" (the
 * message lines before it), so the last record is near the end: the last
 * 64 KiB are scanned backwards for it, and the message lines after it are
 * counted on top. The title needs the first user message, near the start.
 * Without a record in the tail, the first line's record counts (the Python
 * nanobot rewrites the file with a current record first).
 */

#define HEAD_BYTES       (64 * 1024)
#define TAIL_BYTES       (64 * 1024)
/* Reads start small: the first user message is usually the second line,
 * and our last record the last one. */
#define FIRST_READ_BYTES (8 * 1024)
/* Files without a message_count (the Python nanobot's) have their lines
 * counted up to this size; larger ones get an estimate. */
#define COUNT_MAX_BYTES  (4 * 1024 * 1024)
/* A folder is read by up to this many threads, one per so many files. */
#define READ_THREADS     4
#define FILES_PER_THREAD 64
/* Lines parsed from the end to find the last message's timestamp. */
#define TIMESTAMP_TRIES  4

void
nb_conversation_data_free (NbConversationData *data)
{
  if (data == NULL)
    return;
  g_free (data->path);
  g_free (data->key);
  g_free (data->title);
  g_free (data->updated_at);
  g_clear_pointer (&data->created_at, g_date_time_unref);
  g_clear_pointer (&data->updated, g_date_time_unref);
  g_free (data->forked_from);
  g_free (data);
}

char *
nb_conversation_make_title (const char *text)
{
  const char *end;
  const char *cut;
  g_autofree char *line = NULL;

  if (text == NULL)
    return NULL;
  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0')
    return NULL;
  end = strchr (text, '\n');
  line = end != NULL ? g_strndup (text, end - text) : g_strdup (text);
  g_strchomp (line);
  if (!g_utf8_validate (line, -1, NULL))
    {
      char *valid = g_utf8_make_valid (line, -1);

      g_free (line);
      line = valid;
    }
  if (g_utf8_strlen (line, -1) <= NB_CONVERSATION_TITLE_MAX_CHARS)
    return g_steal_pointer (&line);
  cut = g_utf8_offset_to_pointer (line, NB_CONVERSATION_TITLE_MAX_CHARS - 1);
  line[cut - line] = '\0';
  g_strchomp (line);
  return g_strconcat (line, "…", NULL);
}

/* The text of a user message, unless it is the agent's runtime context. */
static char *
title_of_message (JsonObject *message)
{
  JsonNode *content = json_object_get_member (message, "content");
  const char *text = NULL;

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
  if (g_str_has_prefix (text, "[Runtime Context"))
    return NULL;
  return nb_conversation_make_title (text);
}

static GDateTime *
parse_date (const char *iso)
{
  g_autoptr(GTimeZone) local = NULL;

  if (iso == NULL)
    return NULL;
  local = g_time_zone_new_local ();
  return g_date_time_new_from_iso8601 (iso, local);
}

/* An integer member, or -1: a hand-edited 2.5 or "3" is not trusted. */
static gint64
get_count (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return MAX (json_node_get_int (node), -1);
}

/* Sets title, pinned and the fork from the record's "metadata". */
static void
take_metadata (NbConversationData *data,
               JsonObject         *record)
{
  JsonNode *inner = record != NULL ? json_object_get_member (record, "metadata") : NULL;
  JsonObject *metadata;

  if (inner == NULL || !JSON_NODE_HOLDS_OBJECT (inner))
    return;
  metadata = json_node_get_object (inner);
  data->title = nb_conversation_make_title (nb_json_get_string (metadata, "title"));
  data->pinned = nb_json_get_boolean (metadata, "pinned");
  data->forked_from = g_strdup (nb_json_get_string (metadata, "forked_from"));
  data->fork_index = (int) MIN (get_count (metadata, "fork_index"), G_MAXINT);
}

/* Reading */

static gssize
read_at (int    fd,
         char  *buffer,
         gsize  length,
         goffset offset)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = pread (fd, buffer + done, length - done, offset + done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      done += n;
    }
  return done;
}

/* "_type" unescaped is a key: inside a string its quotes are escaped.
 * Whether it is the top-level one is for the parser to say. Both we and
 * the Python nanobot write it first, so only the start of a line is
 * searched: long message lines are not read through. */
#define METADATA_KEY_WITHIN 64

static gboolean
looks_like_metadata (const char *line,
                     gsize       length)
{
  const char *end = line + length;
  const char *p = memmem (line, MIN (length, METADATA_KEY_WITHIN), "\"_type\"", strlen ("\"_type\""));

  if (p == NULL)
    return FALSE;
  p += strlen ("\"_type\"");
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p >= end || *p++ != ':')
    return FALSE;
  while (p < end && g_ascii_isspace (*p))
    p++;
  return (gsize) (end - p) >= strlen ("\"metadata\"") && memcmp (p, "\"metadata\"", strlen ("\"metadata\"")) == 0;
}

/* Any record: metadata, or another `_type` such as today's Python
 * nanobot's provider_state, which the loader passes over too. */
static gboolean
looks_like_record (const char *line,
                   gsize       length)
{
  const char *end = line + length;
  const char *p = memmem (line, MIN (length, METADATA_KEY_WITHIN), "\"_type\"", strlen ("\"_type\""));

  if (p == NULL)
    return FALSE;
  p += strlen ("\"_type\"");
  while (p < end && g_ascii_isspace (*p))
    p++;
  return p < end && *p == ':';
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *line,
              gsize       length)
{
  JsonNode *root;

  if (!nb_json_parser_load (parser, line, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
parse_metadata (JsonParser *parser,
                const char *line,
                gsize       length)
{
  g_autoptr(JsonObject) object = NULL;

  if (!looks_like_metadata (line, length))
    return NULL;
  object = parse_object (parser, line, length);
  if (object == NULL || g_strcmp0 (nb_json_get_string (object, "_type"), "metadata") != 0)
    return NULL;
  return g_steal_pointer (&object);
}

typedef struct
{
  JsonObject *head_record;     /* the first line's */
  JsonObject *tail_record;     /* the last one in the tail */
  char       *title;           /* of the first user message */
  char       *first_timestamp;
  char       *last_timestamp;
  guint       after_record;    /* message lines after tail_record */
  guint       sample_lines;    /* non-blank lines seen, for an estimate */
  gsize       sample_bytes;
} Scan;

static void
scan_clear (Scan *scan)
{
  g_clear_pointer (&scan->head_record, json_object_unref);
  g_clear_pointer (&scan->tail_record, json_object_unref);
  g_clear_pointer (&scan->title, g_free);
  g_clear_pointer (&scan->first_timestamp, g_free);
  g_clear_pointer (&scan->last_timestamp, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scan, scan_clear)

static void
scan_clear_head (Scan *scan)
{
  g_clear_pointer (&scan->head_record, json_object_unref);
  g_clear_pointer (&scan->title, g_free);
  g_clear_pointer (&scan->first_timestamp, g_free);
}

static void
scan_clear_tail (Scan *scan)
{
  g_clear_pointer (&scan->tail_record, json_object_unref);
  g_clear_pointer (&scan->last_timestamp, g_free);
  scan->after_record = 0;
}

/* Forward from the start: the first line's record and the first user
 * message. @complete: @buffer is the whole file. */
static void
scan_head (Scan       *scan,
           JsonParser *parser,
           const char *buffer,
           gsize       length,
           gboolean    complete)
{
  gsize pos = 0;
  gboolean first = TRUE;

  while (pos < length && scan->title == NULL)
    {
      const char *line = buffer + pos;
      const char *newline = memchr (line, '\n', length - pos);
      gsize line_length = newline != NULL ? (gsize) (newline - line) : length - pos;
      g_autoptr(JsonObject) object = NULL;

      /* A line cut by the end of the buffer is not read. */
      if (newline == NULL && !complete)
        break;
      pos += line_length + 1;
      if (nb_session_store_is_blank (line, line_length))
        continue;
      scan->sample_lines++;
      scan->sample_bytes += line_length + 1;
      if (first)
        {
          first = FALSE;
          scan->head_record = parse_metadata (parser, line, line_length);
          if (scan->head_record != NULL)
            continue;
        }
      /* Only a line that mentions "user" needs parsing. */
      if (memmem (line, line_length, "\"user\"", strlen ("\"user\"")) == NULL)
        continue;
      object = parse_object (parser, line, line_length);
      if (object == NULL || g_strcmp0 (nb_json_get_string (object, "role"), "user") != 0)
        continue;
      if (scan->first_timestamp == NULL)
        scan->first_timestamp = g_strdup (nb_json_get_string (object, "timestamp"));
      scan->title = title_of_message (object);
    }
}

/* Backwards from the end: the last record, the message lines after it
 * and the last message's timestamp. @starts_file: @buffer begins at the
 * start of the file (else its first, partial, line is skipped). Returns
 * whether a record was found. */
static gboolean
scan_tail (Scan       *scan,
           JsonParser *parser,
           const char *buffer,
           gsize       length,
           gboolean    starts_file)
{
  gsize end = length;
  guint tries = 0;

  while (end > 0)
    {
      const char *newline = memrchr (buffer, '\n', end);
      gsize start = newline != NULL ? (gsize) (newline - buffer) + 1 : 0;
      const char *line = buffer + start;
      gsize line_length = end - start;
      gboolean unterminated = end == length && buffer[length - 1] != '\n';
      g_autoptr(JsonObject) object = NULL;

      if (newline == NULL && !starts_file)
        break;
      end = newline != NULL ? start - 1 : 0;
      if (line_length == 0 || nb_session_store_is_blank (line, line_length))
        continue;

      object = parse_metadata (parser, line, line_length);
      if (object != NULL)
        {
          scan->tail_record = g_steal_pointer (&object);
          return TRUE;
        }
      if (looks_like_record (line, line_length))
        continue;
      /* A last line without its newline may be a write in progress: it
       * counts only once it parses. */
      if (unterminated || (scan->last_timestamp == NULL && tries < TIMESTAMP_TRIES))
        {
          tries++;
          object = parse_object (parser, line, line_length);
          if (object == NULL && unterminated)
            continue;
          if (object != NULL && scan->last_timestamp == NULL)
            scan->last_timestamp = g_strdup (nb_json_get_string (object, "timestamp"));
        }
      scan->after_record++;
      scan->sample_lines++;
      scan->sample_bytes += line_length + 1;
    }
  return FALSE;
}

/* Message lines in @buffer: the non-blank ones that are not metadata. */
static guint
count_lines (const char *buffer,
             gsize       length)
{
  guint count = 0;
  gsize pos = 0;

  while (pos < length)
    {
      const char *line = buffer + pos;
      const char *newline = memchr (line, '\n', length - pos);
      gsize line_length = newline != NULL ? (gsize) (newline - line) : length - pos;

      pos += line_length + 1;
      if (line_length == 0 || nb_session_store_is_blank (line, line_length))
        continue;
      if (looks_like_record (line, line_length))
        continue;
      count++;
    }
  return count;
}

/* Reads up to @length bytes at @offset into a new buffer; *@out_length
 * is 0 on failure (see errno). */
static char *
read_range (int      fd,
            goffset  offset,
            gsize    length,
            gsize   *out_length)
{
  char *buffer = g_malloc (MAX (length, 1));
  gssize n;

  /* Left as read(2) set it, or 0 for the end of the file. */
  errno = 0;
  n = read_at (fd, buffer, length, offset);

  *out_length = n > 0 ? (gsize) n : 0;
  return buffer;
}

static char *
key_from_stem (const char *path)
{
  g_autofree char *name = g_path_get_basename (path);
  char *underscore;

  if (g_str_has_suffix (name, FILE_SUFFIX))
    name[strlen (name) - strlen (FILE_SUFFIX)] = '\0';
  /* As the Python nanobot guesses: the first "_" was the ":". */
  underscore = strchr (name, '_');
  if (underscore != NULL)
    *underscore = ':';
  return g_steal_pointer (&name);
}

static NbConversationData *
read_fd (const char  *path,
         int          fd,
         GError     **error)
{
  g_autoptr(NbConversationData) data = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_auto(Scan) scan = { 0 };
  g_autofree char *head = NULL;
  g_autofree char *tail = NULL;
  gsize head_length = 0;
  gsize tail_length = 0;
  gsize size;
  gboolean whole;
  JsonObject *record;
  const char *updated_at;
  gint64 recorded;
  struct stat st;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s is not a file", path);
      return NULL;
    }
  if (st.st_size == 0)
    return NULL;

  size = st.st_size;
  for (gsize want = FIRST_READ_BYTES;; want = HEAD_BYTES)
    {
      g_free (head);
      head = read_range (fd, 0, MIN (size, want), &head_length);
      if (head_length == 0)
        {
          if (errno != 0)
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Could not read %s: %s", path, g_strerror (errno));
          return NULL;
        }
      whole = head_length >= size;
      scan_head (&scan, parser, head, head_length, whole);
      if (scan.title != NULL || whole || want == HEAD_BYTES)
        break;
      scan_clear_head (&scan);
    }

  /* A first record without message_count is most likely the Python
   * nanobot's, its only one: the file's lines must be counted, and one
   * read of the whole file serves for the tail too. */
  if (!whole && size <= COUNT_MAX_BYTES && (scan.head_record == NULL || get_count (scan.head_record, "message_count") < 0))
    {
      g_free (head);
      head = read_range (fd, 0, size, &head_length);
      whole = head_length >= size;
    }

  if (whole)
    scan_tail (&scan, parser, head, head_length, TRUE);
  else
    for (gsize want = FIRST_READ_BYTES;; want = TAIL_BYTES)
      {
        gsize length = MIN (size, want);

        g_free (tail);
        tail = read_range (fd, size - length, length, &tail_length);
        if (scan_tail (&scan, parser, tail, tail_length, length >= size) || length >= size || want == TAIL_BYTES)
          break;
        scan_clear_tail (&scan);
      }

  data = g_new0 (NbConversationData, 1);
  data->path = g_strdup (path);
  data->fork_index = -1;
  record = scan.tail_record != NULL ? scan.tail_record : scan.head_record;

  data->key = g_strdup (record != NULL ? nb_json_get_string (record, "key") : NULL);
  if (data->key == NULL && scan.head_record != NULL)
    data->key = g_strdup (nb_json_get_string (scan.head_record, "key"));
  if (data->key == NULL)
    data->key = key_from_stem (path);

  take_metadata (data, record);
  if (data->title == NULL)
    data->title = g_steal_pointer (&scan.title);

  if (record != NULL)
    data->created_at = parse_date (nb_json_get_string (record, "created_at"));
  if (data->created_at == NULL)
    data->created_at = parse_date (scan.first_timestamp);

  /* As the loader does: the later of the record's and the last message's. */
  updated_at = record != NULL ? nb_json_get_string (record, "updated_at") : NULL;
  if (g_strcmp0 (scan.last_timestamp, updated_at) > 0)
    updated_at = scan.last_timestamp;
  data->updated = parse_date (updated_at);
  if (data->updated != NULL)
    data->updated_at = g_strdup (updated_at);
  else
    {
      data->updated = g_date_time_new_from_unix_local (st.st_mtime);
      data->updated_at = g_date_time_format (data->updated, "%Y-%m-%dT%H:%M:%S.%f");
    }

  recorded = scan.tail_record != NULL ? get_count (scan.tail_record, "message_count") : -1;
  if (recorded >= 0)
    data->message_count = (guint) MIN ((guint64) recorded + scan.after_record, G_MAXUINT);
  else if (whole)
    data->message_count = count_lines (head, head_length);
  else if (size <= COUNT_MAX_BYTES)
    {
      /* Our own files from before message_count. */
      g_autofree char *contents = NULL;
      gsize length;

      contents = read_range (fd, 0, size, &length);
      data->message_count = count_lines (contents, length);
    }
  else
    {
      /* Reading a large file whole to count its lines is what listing
       * must not do: extrapolate from the lines seen in the head and
       * tail. */
      data->message_count_estimated = TRUE;
      if (scan.sample_bytes > 0)
        data->message_count = (guint) MIN ((double) size * scan.sample_lines / scan.sample_bytes, G_MAXUINT);
    }

  return g_steal_pointer (&data);
}

NbConversationData *
nb_conversation_data_read (const char  *path,
                           GError     **error)
{
  NbConversationData *data;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  /* O_NONBLOCK: a FIFO must not wait for a writer (read_fd refuses it). */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not open %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  data = read_fd (path, fd, error);
  close (fd);
  return data;
}

NbConversationData *
nb_conversation_data_new_from_session (NbSession  *session,
                                       const char *path)
{
  NbConversationData *data;
  g_autoptr(JsonObject) record = json_object_new ();
  guint n;

  g_return_val_if_fail (NB_IS_SESSION (session), NULL);

  data = g_new0 (NbConversationData, 1);
  data->path = g_strdup (path);
  data->key = g_strdup (nb_session_get_key (session));
  data->fork_index = -1;
  json_object_set_object_member (record, "metadata", json_object_ref (nb_session_get_metadata (session)));
  take_metadata (data, record);

  n = nb_session_get_n_messages (session);
  for (guint i = 0; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);

      /* As in the file, which leaves them out. */
      if (nb_session_store_is_empty_assistant (message))
        continue;
      data->message_count++;
      if (data->title == NULL && g_strcmp0 (nb_message_get_role (message), "user") == 0)
        data->title = title_of_message (nb_message_get_json (message));
    }

  data->created_at = parse_date (nb_session_get_created_at (session));
  data->updated_at = g_strdup (nb_session_get_updated_at (session));
  data->updated = parse_date (data->updated_at);
  if (data->updated == NULL)
    {
      g_clear_pointer (&data->updated_at, g_free);
      data->updated = g_date_time_new_now_local ();
      data->updated_at = g_date_time_format (data->updated, "%Y-%m-%dT%H:%M:%S.%f");
    }
  return data;
}

int
nb_conversation_data_compare (const NbConversationData *a,
                              const NbConversationData *b)
{
  int order = -g_date_time_compare (a->updated, b->updated);

  if (order == 0)
    order = g_strcmp0 (a->key, b->key);
  if (order == 0)
    order = g_strcmp0 (a->path, b->path);
  return order;
}

gboolean
nb_conversation_is_session_file (const char *name)
{
  return name[0] != '.' && g_str_has_suffix (name, FILE_SUFFIX) && strlen (name) > strlen (FILE_SUFFIX);
}

static int
compare_data (gconstpointer a,
              gconstpointer b)
{
  return nb_conversation_data_compare (*(NbConversationData * const *) a, *(NbConversationData * const *) b);
}

typedef struct
{
  GPtrArray           *paths;
  NbConversationData **results;
  guint                first;
  guint                step;
} ReadShare;

static gpointer
read_share_thread (gpointer data)
{
  ReadShare *share = data;

  for (guint i = share->first; i < share->paths->len; i += share->step)
    /* A file removed meanwhile, or unreadable: not listed. */
    share->results[i] = nb_conversation_data_read (g_ptr_array_index (share->paths, i), NULL);
  return NULL;
}

GPtrArray *
nb_conversation_data_read_dir (const char  *dir_path,
                               GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) nb_conversation_data_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &local_error);
  g_autofree NbConversationData **results = NULL;
  ReadShare shares[READ_THREADS];
  GThread *threads[READ_THREADS] = { NULL };
  guint n_threads;
  const char *name;

  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&list);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (nb_conversation_is_session_file (name))
      g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));

  /* The reads are mostly system calls and copies from the page cache: a
   * few threads share them (the caller is a worker thread already). */
  results = g_new0 (NbConversationData *, MAX (paths->len, 1));
  n_threads = CLAMP (paths->len / FILES_PER_THREAD, 1, MIN (READ_THREADS, g_get_num_processors ()));
  for (guint t = 0; t < n_threads; t++)
    {
      shares[t] = (ReadShare) { paths, results, t, n_threads };
      if (t > 0)
        threads[t] = g_thread_try_new ("nb-list-read", read_share_thread, &shares[t], NULL);
    }
  read_share_thread (&shares[0]);
  for (guint t = 1; t < n_threads; t++)
    {
      if (threads[t] != NULL)
        g_thread_join (threads[t]);
      else
        read_share_thread (&shares[t]);
    }

  for (guint i = 0; i < paths->len; i++)
    if (results[i] != NULL)
      g_ptr_array_add (list, results[i]);
  g_ptr_array_sort (list, compare_data);
  return g_steal_pointer (&list);
}
