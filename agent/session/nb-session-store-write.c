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

#include "nb-json-util.h"
#include "nb-session-store-private.h"
#include "nb-utf8.h"

/* Serialising */

/* The last line of defence: whatever reached the session, the file gets
 * valid UTF-8 only (a loader refuses the whole file otherwise). */
static char *
node_to_line (JsonNode *node)
{
  char *line = nb_json_to_data (node, FALSE, NULL);

  nb_utf8_ensure_valid (&line);
  return line;
}

static char *
object_to_line (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node_to_line (node);
}

static gboolean
is_inline_image (JsonNode *part_node)
{
  JsonObject *part;
  JsonNode *image;
  const char *url = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (part_node))
    return FALSE;
  part = json_node_get_object (part_node);
  if (g_strcmp0 (nb_json_get_string_or (part, "type", ""), "image_url") != 0)
    return FALSE;
  image = json_object_get_member (part, "image_url");
  if (image != NULL && JSON_NODE_HOLDS_OBJECT (image))
    url = nb_json_get_string_or (json_node_get_object (image), "url", NULL);
  else if (image != NULL && JSON_NODE_HOLDS_VALUE (image) && json_node_get_value_type (image) == G_TYPE_STRING)
    url = json_node_get_string (image);
  return url != NULL && g_str_has_prefix (url, "data:image/");
}

/* See nb-session-store-private.h. */
gboolean
nb_session_store_is_empty_assistant (NbMessage *message)
{
  JsonObject *json = nb_message_get_json (message);
  JsonNode *content = json_object_get_member (json, "content");
  JsonArray *calls = nb_message_get_tool_calls (message);

  if (g_strcmp0 (nb_message_get_role (message), "assistant") != 0)
    return FALSE;
  if (calls != NULL && json_array_get_length (calls) > 0)
    return FALSE;
  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    return json_node_get_string (content)[0] == '\0';
  if (JSON_NODE_HOLDS_ARRAY (content))
    return json_array_get_length (json_node_get_array (content)) == 0;
  return FALSE;
}

/* The message's line as stored: long tool results cut, inline images
 * replaced by a placeholder. %NULL for an empty assistant message, which
 * is not stored at all. */
static char *
message_to_line (NbMessage *message)
{
  JsonObject *json = nb_message_get_json (message);
  JsonNode *content = json_object_get_member (json, "content");
  const char *role = nb_message_get_role (message);
  g_autoptr(JsonObject) copy = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (nb_session_store_is_empty_assistant (message))
    return NULL;

  if (g_strcmp0 (role, "tool") == 0 && content != NULL && JSON_NODE_HOLDS_VALUE (content) &&
      json_node_get_value_type (content) == G_TYPE_STRING &&
      g_utf8_strlen (json_node_get_string (content), -1) > TOOL_RESULT_FILE_MAX_CHARS)
    {
      const char *text = json_node_get_string (content);
      const char *cut = g_utf8_offset_to_pointer (text, TOOL_RESULT_FILE_MAX_CHARS);
      g_autofree char *head = g_strndup (text, cut - text);
      g_autofree char *shortened = g_strconcat (head, "\n... (truncated)", NULL);

      copy = json_object_new ();
      json_object_iter_init (&iter, json);
      while (json_object_iter_next (&iter, &member, &node))
        json_object_set_member (copy, member, json_node_ref (node));
      json_object_set_string_member (copy, "content", shortened);
    }
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);
      gboolean has_image = FALSE;

      for (guint i = 0; i < json_array_get_length (parts) && !has_image; i++)
        has_image = is_inline_image (json_array_get_element (parts, i));

      if (has_image)
        {
          JsonArray *stored = json_array_new ();

          for (guint i = 0; i < json_array_get_length (parts); i++)
            {
              JsonNode *part = json_array_get_element (parts, i);

              if (is_inline_image (part))
                {
                  JsonObject *placeholder = json_object_new ();

                  json_object_set_string_member (placeholder, "type", "text");
                  json_object_set_string_member (placeholder, "text", "[image]");
                  json_array_add_object_element (stored, placeholder);
                }
              else
                json_array_add_element (stored, json_node_ref (part));
            }

          copy = json_object_new ();
          json_object_iter_init (&iter, json);
          while (json_object_iter_next (&iter, &member, &node))
            json_object_set_member (copy, member, json_node_ref (node));
          json_object_set_array_member (copy, "content", stored);
        }
    }

  return object_to_line (copy != NULL ? copy : json);
}

/* See nb-session-store-private.h. */
char *
nb_session_store_message_line (NbMessage *message)
{
  return message_to_line (message);
}

/* last_consolidated counts messages in memory; the file may lack the
 * empty assistant messages that were left out. */
static guint
file_position (NbSessionFile *sf,
               guint          position)
{
  guint before = 0;

  for (guint i = 0; i < sf->dropped->len; i++)
    if (g_array_index (sf->dropped, guint, i) < position)
      before++;
  return position - before;
}

/* @with_progress: with updated_at and message_count, which the
 * signature leaves out (they change with every message). */
static JsonObject *
metadata_record (NbSessionFile *sf,
                 gboolean       with_progress,
                 guint          message_count)
{
  NbSession *session = sf->session;
  JsonObject *record = json_object_new ();

  json_object_set_string_member (record, "_type", "metadata");
  json_object_set_string_member (record, "key", nb_session_get_key (session));
  json_object_set_string_member (record, "created_at", nb_session_get_created_at (session));
  if (with_progress)
    json_object_set_string_member (record, "updated_at", nb_session_get_updated_at (session));
  json_object_set_object_member (record, "metadata", json_object_ref (nb_session_get_metadata (session)));
  json_object_set_int_member (record, "last_consolidated",
                              file_position (sf, nb_session_get_last_consolidated (session)));
  /* For readers that list sessions without reading them whole (the
   * Python loader ignores it): the message lines before this record. */
  if (with_progress && message_count != NB_SESSION_FILE_COUNT_UNKNOWN)
    json_object_set_int_member (record, "message_count", message_count);
  return record;
}

char *
nb_session_file_metadata_signature (NbSessionFile *sf)
{
  g_autoptr(JsonObject) record = metadata_record (sf, FALSE, 0);

  return object_to_line (record);
}

/* Writing */

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           GError     **error)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "%s", g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

/* One line, one write(2). On failure the file is cut back to where it
 * was, so that it never keeps half a line. */
static gboolean
append_line (NbSessionFile  *sf,
             const char     *line,
             GError        **error)
{
  g_autoptr(GString) buffer = g_string_sized_new (strlen (line) + 2);
  struct stat st;
  gboolean have_size;
  g_autoptr(GError) local_error = NULL;

  if (sf->needs_newline)
    g_string_append_c (buffer, '\n');
  g_string_append (buffer, line);
  g_string_append_c (buffer, '\n');

  have_size = fstat (sf->fd, &st) == 0;
  if (!write_all (sf->fd, buffer->str, buffer->len, &local_error))
    {
      if (have_size && ftruncate (sf->fd, st.st_size) != 0)
        sf->needs_newline = TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Could not write to %s: ", sf->path);
      return FALSE;
    }
  sf->needs_newline = FALSE;
  return TRUE;
}

static gboolean
ensure_open (NbSessionStore  *self,
             NbSessionFile   *sf,
             gboolean        *is_new,
             GError         **error)
{
  struct stat st;
  struct stat at_path;

  *is_new = FALSE;
  if (sf->fd >= 0)
    {
      /* Another process rewrote the file (a compaction, /new, a repair)
       * or it was removed: lines appended to the old one would be lost. */
      if (fstat (sf->fd, &st) == 0 && g_stat (sf->path, &at_path) == 0 &&
          st.st_dev == at_path.st_dev && st.st_ino == at_path.st_ino)
        return TRUE;
      close (sf->fd);
      sf->fd = -1;
      sf->needs_newline = FALSE;
      /* What the new file holds is the other process's business. */
      sf->file_messages = NB_SESSION_FILE_COUNT_UNKNOWN;
      sf->unrecorded = 0;
    }

  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", self->dir, g_strerror (saved_errno));
      return FALSE;
    }

  sf->fd = g_open (sf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (sf->fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not open %s: %s", sf->path, g_strerror (saved_errno));
      return FALSE;
    }
  *is_new = fstat (sf->fd, &st) == 0 && st.st_size == 0;
  return TRUE;
}


static gboolean
fsync_dir (const char *dir)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

/* See nb-session-store-private.h. */
gboolean
nb_session_store_rewrite (NbSessionStore  *self,
                          NbSessionFile   *sf,
                          gboolean         verbatim,
                          GError         **error)
{
  g_autofree char *base = g_path_get_basename (sf->path);
  g_autofree char *tmp = NULL;
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(JsonObject) record = NULL;
  g_autofree char *record_line = NULL;
  guint n = nb_session_get_n_messages (sf->session);
  int fd;

  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", self->dir, g_strerror (saved_errno));
      return FALSE;
    }

  g_array_set_size (sf->dropped, 0);
  for (guint i = 0; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (sf->session, i);
      g_autofree char *line = NULL;

      if (!verbatim)
        line = message_to_line (message);
      else if (!nb_session_store_is_empty_assistant (message))
        line = object_to_line (nb_message_get_json (message));

      if (line == NULL)
        {
          g_array_append_val (sf->dropped, i);
          continue;
        }
      g_string_append (contents, line);
      g_string_append_c (contents, '\n');
    }
  /* The metadata line goes first, as the Python nanobot writes it. */
  record = metadata_record (sf, TRUE, n - sf->dropped->len);
  record_line = object_to_line (record);
  g_string_prepend_c (contents, '\n');
  g_string_prepend (contents, record_line);

  /* ".NAME.XXXXXX" must fit in a file name too. */
  if (strlen (base) + strlen (".") + strlen (".XXXXXX") > FILE_NAME_MAX)
    tmp = g_strdup_printf ("%s/.compact%s.XXXXXX", self->dir, FILE_SUFFIX);
  else
    tmp = g_strdup_printf ("%s/.%s.XXXXXX", self->dir, base);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create a file in %s: %s", self->dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!write_all (fd, contents->str, contents->len, error) || fsync (fd) != 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
      close (fd);
      g_unlink (tmp);
      g_prefix_error (error, "Could not write %s: ", sf->path);
      return FALSE;
    }
  close (fd);
  if (g_rename (tmp, sf->path) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not replace %s: %s", sf->path, g_strerror (saved_errno));
      return FALSE;
    }
  fsync_dir (self->dir);

  if (sf->fd >= 0)
    close (sf->fd);
  sf->fd = -1;
  sf->written = n;
  sf->file_messages = n - sf->dropped->len;
  sf->unrecorded = 0;
  sf->needs_newline = FALSE;
  sf->metadata_lines = 1;
  g_free (sf->metadata_signature);
  sf->metadata_signature = nb_session_file_metadata_signature (sf);
  nb_session_set_saved_count (sf->session, n);
  return TRUE;
}

static void
count_message_line (NbSessionFile *sf)
{
  if (sf->file_messages != NB_SESSION_FILE_COUNT_UNKNOWN)
    sf->file_messages++;
  sf->unrecorded++;
}

/* Appends a metadata record with the current updated_at and message
 * count; compacts the file when superseded records pile up. */
static gboolean
append_metadata (NbSessionStore  *self,
                 NbSessionFile   *sf,
                 char            *signature,
                 GError         **error)
{
  g_autofree char *owned_signature = signature;
  g_autoptr(JsonObject) record = metadata_record (sf, TRUE, sf->file_messages);
  g_autofree char *line = object_to_line (record);

  if (!append_line (sf, line, error))
    return FALSE;
  sf->metadata_lines++;
  sf->unrecorded = 0;
  g_free (sf->metadata_signature);
  sf->metadata_signature = g_steal_pointer (&owned_signature);

  if (sf->metadata_lines > COMPACT_METADATA_LINES)
    return nb_session_store_rewrite (self, sf, FALSE, error);
  return TRUE;
}

/**
 * nb_session_store_compact:
 *
 * Rewrites the session's file from the session: one metadata line, then
 * the messages. Atomic: a temp file is written, synced and renamed over
 * the old one.
 */
gboolean
nb_session_store_compact (NbSessionStore  *self,
                          NbSession       *session,
                          GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  return nb_session_store_rewrite (self, nb_session_store_lookup_file (self, session), FALSE, error);
}

/**
 * nb_session_store_append:
 *
 * Writes the messages the session gained since the last call, one line
 * each, then a metadata line if last_consolidated or the metadata changed.
 * A session that was cleared is compacted instead.
 */
gboolean
nb_session_store_append (NbSessionStore  *self,
                         NbSession       *session,
                         GError         **error)
{
  NbSessionFile *sf;
  g_autofree char *signature = NULL;
  gboolean is_new;
  guint n;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  sf = nb_session_store_lookup_file (self, session);
  n = nb_session_get_n_messages (session);

  if (nb_session_get_saved_count (session) < sf->written)
    return nb_session_store_rewrite (self, sf, FALSE, error);

  if (!ensure_open (self, sf, &is_new, error))
    return FALSE;

  if (is_new)
    {
      g_autoptr(JsonObject) record = metadata_record (sf, TRUE, 0);
      g_autofree char *line = object_to_line (record);

      if (!append_line (sf, line, error))
        return FALSE;
      sf->file_messages = 0;
      sf->unrecorded = 0;
      sf->metadata_lines = 1;
      g_free (sf->metadata_signature);
      sf->metadata_signature = nb_session_file_metadata_signature (sf);
    }

  for (guint i = nb_session_get_saved_count (session); i < n; i++)
    {
      g_autofree char *line = message_to_line (nb_session_get_message (session, i));

      if (line == NULL)
        g_array_append_val (sf->dropped, i);
      else if (!append_line (sf, line, error))
        return FALSE;
      else
        count_message_line (sf);
      nb_session_set_saved_count (session, i + 1);
      sf->written = i + 1;
    }

  signature = nb_session_file_metadata_signature (sf);
  if (g_strcmp0 (signature, sf->metadata_signature) != 0)
    return append_metadata (self, sf, g_steal_pointer (&signature), error);
  return TRUE;
}

/* See nb-session-store-private.h. */
gboolean
nb_session_store_record_progress (NbSessionStore  *self,
                                  NbSessionFile   *sf,
                                  GError         **error)
{
  struct stat st;
  struct stat at_path;

  if (sf->fd < 0 || sf->unrecorded == 0)
    return TRUE;
  /* The file was replaced or removed since our lines went out: they are
   * not in the file the record would go to. The next append starts over. */
  if (fstat (sf->fd, &st) != 0 || g_stat (sf->path, &at_path) != 0 ||
      st.st_dev != at_path.st_dev || st.st_ino != at_path.st_ino)
    {
      sf->unrecorded = 0;
      return TRUE;
    }
  return append_metadata (self, sf, nb_session_file_metadata_signature (sf), error);
}
