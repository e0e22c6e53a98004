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
#include "nb-session-store.h"

/*
 * Sessions are JSONL files in the Python nanobot's format. Saving only
 * appends: every new line goes out in one write(2) on an O_APPEND
 * descriptor, so a crash can tear at most the last line, and the loader
 * drops such a line. A changed metadata record (last_consolidated,
 * metadata) is appended as one more metadata line; readers take the last.
 * The file is rewritten (temp file, fsync, rename) only on compaction:
 * after the session was cleared, or when superseded metadata lines pile up.
 *
 * updated_at is not worth a line per message: the loader takes the later
 * of the last metadata record and the last message's timestamp.
 */

#define TOOL_RESULT_FILE_MAX_CHARS 500
#define COMPACT_METADATA_LINES     64
#define LIST_PEEK_BYTES            (64 * 1024)
/* File names are at most 255 bytes on the usual file systems. */
#define FILE_NAME_MAX              255
#define FILE_SUFFIX                ".jsonl"
#define STEM_HASH_CHARS            16

typedef struct
{
  NbSession *session;
  char      *path;
  int        fd;
  /* Messages of the session that are on disk (or were dropped on purpose). */
  guint      written;
  /* In-memory positions of messages left out of the file, ascending. */
  GArray    *dropped;
  /* The last metadata record written, without updated_at. */
  char      *metadata_signature;
  guint      metadata_lines;
  /* The file ends without a newline: the next line starts with one. */
  gboolean   needs_newline;
  /* Malformed lines the loader skipped. */
  guint      damaged_lines;
  /* The file's size when it was read. */
  gsize      loaded_size;
} SessionFile;

struct _NbSessionStore
{
  GObject     parent_instance;

  char       *dir;
  GHashTable *files;      /* key → SessionFile */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (NbSessionStore, nb_session_store, G_TYPE_OBJECT)

static void
session_file_free (gpointer data)
{
  SessionFile *sf = data;

  if (sf->fd >= 0)
    close (sf->fd);
  g_clear_object (&sf->session);
  g_free (sf->path);
  g_array_unref (sf->dropped);
  g_free (sf->metadata_signature);
  g_free (sf);
}

void
nb_session_info_free (NbSessionInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->key);
  g_free (info->updated_at);
  g_free (info->title);
  g_free (info->path);
  g_free (info);
}

static void
nb_session_store_dispose (GObject *object)
{
  NbSessionStore *self = NB_SESSION_STORE (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (nb_session_store_parent_class)->dispose (object);
}

static void
nb_session_store_finalize (GObject *object)
{
  NbSessionStore *self = NB_SESSION_STORE (object);

  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->files, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_session_store_parent_class)->finalize (object);
}

static void
nb_session_store_class_init (NbSessionStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_session_store_dispose;
  object_class->finalize = nb_session_store_finalize;
}

static void
nb_session_store_init (NbSessionStore *self)
{
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, session_file_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * nb_session_store_new:
 * @sessions_dir: the folder of the JSONL files; created on first write
 *
 * Returns: (transfer full): a store
 */
NbSessionStore *
nb_session_store_new (const char *sessions_dir)
{
  NbSessionStore *self;

  g_return_val_if_fail (sessions_dir != NULL, NULL);

  self = g_object_new (NB_TYPE_SESSION_STORE, NULL);
  self->dir = g_strdup (sessions_dir);
  return self;
}

const char *
nb_session_store_get_dir (NbSessionStore *self)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  return self->dir;
}

char *
nb_session_store_key_to_file_stem (const char *key)
{
  GString *stem;

  g_return_val_if_fail (key != NULL, NULL);

  stem = g_string_new (NULL);
  for (const char *p = key; *p != '\0'; p++)
    {
      if (strchr (":<>\"/\\|?*", *p) != NULL || (guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_c (stem, '_');
      else
        g_string_append_c (stem, *p);
    }
  /* Leading or trailing blanks and a bare "." or ".." make awkward names. */
  g_strstrip (stem->str);
  stem->len = strlen (stem->str);
  if (stem->len == 0 || g_str_equal (stem->str, ".") || g_str_equal (stem->str, ".."))
    g_string_prepend_c (stem, '_');

  /* A name too long for the file system: a prefix and a hash of the whole
   * key, so that each key keeps its own file. The metadata line has the
   * full key. */
  if (stem->len + strlen (FILE_SUFFIX) > FILE_NAME_MAX)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
      gsize keep = FILE_NAME_MAX - strlen (FILE_SUFFIX) - 1 - STEM_HASH_CHARS;

      /* Do not cut a UTF-8 character in two. */
      while (keep > 0 && ((guchar) stem->str[keep] & 0xc0) == 0x80)
        keep--;
      g_string_truncate (stem, keep);
      g_string_append_printf (stem, "-%.*s", STEM_HASH_CHARS, hash);
    }
  return g_string_free (stem, FALSE);
}

char *
nb_session_store_get_path (NbSessionStore *self,
                           const char     *key)
{
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stem = nb_session_store_key_to_file_stem (key);
  name = g_strconcat (stem, FILE_SUFFIX, NULL);
  return g_build_filename (self->dir, name, NULL);
}

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

/* Serialising */

static char *
node_to_line (JsonNode *node)
{
  return nb_json_to_data (node, FALSE, NULL);
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

static gboolean
is_empty_assistant (NbMessage *message)
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

  if (is_empty_assistant (message))
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

/* last_consolidated counts messages in memory; the file may lack the
 * empty assistant messages that were left out. */
static guint
file_position (SessionFile *sf,
               guint        position)
{
  guint before = 0;

  for (guint i = 0; i < sf->dropped->len; i++)
    if (g_array_index (sf->dropped, guint, i) < position)
      before++;
  return position - before;
}

static JsonObject *
metadata_record (SessionFile *sf,
                 gboolean     with_updated_at)
{
  NbSession *session = sf->session;
  JsonObject *record = json_object_new ();

  json_object_set_string_member (record, "_type", "metadata");
  json_object_set_string_member (record, "key", nb_session_get_key (session));
  json_object_set_string_member (record, "created_at", nb_session_get_created_at (session));
  if (with_updated_at)
    json_object_set_string_member (record, "updated_at", nb_session_get_updated_at (session));
  json_object_set_object_member (record, "metadata", json_object_ref (nb_session_get_metadata (session)));
  json_object_set_int_member (record, "last_consolidated",
                              file_position (sf, nb_session_get_last_consolidated (session)));
  return record;
}

static char *
metadata_signature (SessionFile *sf)
{
  g_autoptr(JsonObject) record = metadata_record (sf, FALSE);

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
append_line (SessionFile  *sf,
             const char   *line,
             GError      **error)
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
             SessionFile     *sf,
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

static SessionFile *
session_file_new (NbSessionStore *self,
                  NbSession      *session)
{
  SessionFile *sf = g_new0 (SessionFile, 1);

  sf->session = g_object_ref (session);
  sf->path = nb_session_store_get_path (self, nb_session_get_key (session));
  sf->fd = -1;
  sf->dropped = g_array_new (FALSE, FALSE, sizeof (guint));
  return sf;
}

static SessionFile *
lookup_file (NbSessionStore *self,
             NbSession      *session)
{
  const char *key = nb_session_get_key (session);
  SessionFile *sf = g_hash_table_lookup (self->files, key);

  if (sf == NULL)
    {
      sf = session_file_new (self, session);
      g_hash_table_insert (self->files, g_strdup (key), sf);
    }
  else if (sf->session != session)
    {
      /* Another object for the same key replaces the first. */
      g_set_object (&sf->session, session);
      sf->written = 0;
      g_array_set_size (sf->dropped, 0);
    }
  return sf;
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

/* @verbatim: the lines as loaded, without cutting long tool results or
 * replacing inline images (the repair of a damaged file). */
static gboolean
compact (NbSessionStore  *self,
         SessionFile     *sf,
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
      else if (!is_empty_assistant (message))
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
  record = metadata_record (sf, TRUE);
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
  sf->needs_newline = FALSE;
  sf->metadata_lines = 1;
  g_free (sf->metadata_signature);
  sf->metadata_signature = metadata_signature (sf);
  nb_session_set_saved_count (sf->session, n);
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

  return compact (self, lookup_file (self, session), FALSE, error);
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
  SessionFile *sf;
  g_autofree char *signature = NULL;
  gboolean is_new;
  guint n;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  sf = lookup_file (self, session);
  n = nb_session_get_n_messages (session);

  if (nb_session_get_saved_count (session) < sf->written)
    return compact (self, sf, FALSE, error);

  if (!ensure_open (self, sf, &is_new, error))
    return FALSE;

  if (is_new)
    {
      g_autoptr(JsonObject) record = metadata_record (sf, TRUE);
      g_autofree char *line = object_to_line (record);

      if (!append_line (sf, line, error))
        return FALSE;
      sf->metadata_lines = 1;
      g_free (sf->metadata_signature);
      sf->metadata_signature = metadata_signature (sf);
    }

  for (guint i = nb_session_get_saved_count (session); i < n; i++)
    {
      g_autofree char *line = message_to_line (nb_session_get_message (session, i));

      if (line == NULL)
        g_array_append_val (sf->dropped, i);
      else if (!append_line (sf, line, error))
        return FALSE;
      nb_session_set_saved_count (session, i + 1);
      sf->written = i + 1;
    }

  signature = metadata_signature (sf);
  if (g_strcmp0 (signature, sf->metadata_signature) != 0)
    {
      g_autoptr(JsonObject) record = metadata_record (sf, TRUE);
      g_autofree char *line = object_to_line (record);

      if (!append_line (sf, line, error))
        return FALSE;
      sf->metadata_lines++;
      g_free (sf->metadata_signature);
      sf->metadata_signature = g_steal_pointer (&signature);
    }

  if (sf->metadata_lines > COMPACT_METADATA_LINES)
    return compact (self, sf, FALSE, error);
  return TRUE;
}

/* Syncing */

static void
datasync_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  int fd = GPOINTER_TO_INT (task_data);

  if (fdatasync (fd) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Could not sync the session file: %s", g_strerror (saved_errno));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
close_fd (gpointer data)
{
  close (GPOINTER_TO_INT (data));
}

/**
 * nb_session_store_sync_async:
 *
 * Flushes what was appended to the disk (fdatasync in a worker thread).
 */
void
nb_session_store_sync_async (NbSessionStore      *self,
                             NbSession           *session,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SessionFile *sf;
  int fd;

  g_return_if_fail (NB_IS_SESSION_STORE (self));
  g_return_if_fail (NB_IS_SESSION (session));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_sync_async);

  sf = lookup_file (self, session);
  if (sf->fd < 0)
    {
      /* Nothing appended since the file was last opened or compacted. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The thread gets its own descriptor, so a compaction meanwhile cannot
   * pull the one it syncs from under it. */
  fd = fcntl (sf->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Could not sync %s: %s", sf->path, g_strerror (saved_errno));
      return;
    }
  g_task_set_task_data (task, GINT_TO_POINTER (fd), close_fd);
  g_task_run_in_thread (task, datasync_thread);
}

gboolean
nb_session_store_sync_finish (NbSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sync_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!nb_session_store_sync_finish (NB_SESSION_STORE (object), result, &error))
    g_message ("%s", error->message);
}

/**
 * nb_session_store_sync:
 *
 * Starts making the session's appended lines durable and returns at once;
 * a failure is logged. Use nb_session_store_sync_async() to wait for it.
 */
gboolean
nb_session_store_sync (NbSessionStore  *self,
                       NbSession       *session,
                       GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  nb_session_store_sync_async (self, session, NULL, sync_done_cb, NULL);
  return TRUE;
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

static gboolean
is_blank (const char *line,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

static void
take_object (Parsed     *parsed,
             JsonObject *object)
{
  if (g_strcmp0 (nb_json_get_string_or (object, "_type", NULL), "metadata") == 0)
    {
      g_clear_pointer (&parsed->metadata, json_object_unref);
      parsed->metadata = json_object_ref (object);
      parsed->metadata_lines++;
    }
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
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
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

      if (!is_blank (start, line.length))
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
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
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
              SessionFile    **out_file,
              GError         **error)
{
  g_autofree char *path = nb_session_store_get_path (self, key);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(Parsed) parsed = { 0 };
  g_autoptr(NbSession) session = nb_session_new (key);
  SessionFile *sf;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
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
      *out_file = session_file_new (self, session);
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

  sf = session_file_new (self, session);
  sf->written = nb_session_get_n_messages (session);
  sf->needs_newline = parsed.needs_newline;
  sf->metadata_lines = parsed.metadata_lines;
  sf->damaged_lines = parsed.bad_lines;
  sf->loaded_size = parsed.torn ? parsed.valid_length : length;
  if (parsed.metadata != NULL)
    sf->metadata_signature = metadata_signature (sf);

  *out_file = sf;
  return g_steal_pointer (&session);
}

/* A file with malformed lines is kept aside as it was, then rewritten
 * from what loaded, so that every reader (the Python nanobot's loader
 * refuses the whole file) can read it again. */
static void
repair_damaged (NbSessionStore *self,
                SessionFile    *sf)
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
  if (!compact (self, sf, TRUE, &error))
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
       SessionFile    *sf)
{
  SessionFile *existing = g_hash_table_lookup (self->files, key);

  if (existing != NULL)
    {
      session_file_free (sf);
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
  SessionFile *sf;
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
  char        *key;
  NbSession   *session;
  SessionFile *file;
} OpenData;

static void
open_data_free (gpointer data)
{
  OpenData *open = data;

  g_free (open->key);
  g_clear_object (&open->session);
  g_clear_pointer (&open->file, session_file_free);
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
  SessionFile *sf;
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
      if (is_blank (line, line_length) || !nb_json_parser_load (parser, line, line_length, NULL) ||
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
      if (is_blank (line, line_length) || !nb_json_parser_load (parser, line, line_length, NULL) ||
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
