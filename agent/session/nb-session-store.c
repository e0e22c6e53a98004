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
 * of the last metadata record and the last message's timestamp. It is
 * worth one line per turn: the sync at the end of a turn appends a record
 * with updated_at and "message_count" (the message lines before it) when
 * messages were appended since the last record, so that a listing reads
 * the file's first and last lines only (NbConversationList).
 */

G_DEFINE_FINAL_TYPE (NbSessionStore, nb_session_store, G_TYPE_OBJECT)

void
nb_session_file_free (gpointer data)
{
  NbSessionFile *sf = data;

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
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, nb_session_file_free);
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

NbSessionFile *
nb_session_file_new (NbSessionStore *self,
                     NbSession      *session)
{
  NbSessionFile *sf = g_new0 (NbSessionFile, 1);

  sf->session = g_object_ref (session);
  sf->path = nb_session_store_get_path (self, nb_session_get_key (session));
  sf->fd = -1;
  sf->dropped = g_array_new (FALSE, FALSE, sizeof (guint));
  sf->file_messages = NB_SESSION_FILE_COUNT_UNKNOWN;
  return sf;
}

NbSessionFile *
nb_session_store_lookup_file (NbSessionStore *self,
                              NbSession      *session)
{
  const char *key = nb_session_get_key (session);
  NbSessionFile *sf = g_hash_table_lookup (self->files, key);

  if (sf == NULL)
    {
      sf = nb_session_file_new (self, session);
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
 * The end of a turn: appends a metadata record with the current
 * updated_at and message_count if messages were appended since the last
 * one (so that readers of the last record, such as NbConversationList,
 * are current), then flushes the file to the disk (fdatasync in a worker
 * thread).
 */
void
nb_session_store_sync_async (NbSessionStore      *self,
                             NbSession           *session,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  NbSessionFile *sf;
  int fd;

  g_return_if_fail (NB_IS_SESSION_STORE (self));
  g_return_if_fail (NB_IS_SESSION (session));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_sync_async);

  sf = nb_session_store_lookup_file (self, session);
  if (!nb_session_store_record_progress (self, sf, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
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
 * Appends a metadata record with the current updated_at and message_count
 * if messages were appended since the last one, then starts making the
 * file durable and returns at once; a failure of the fdatasync is logged.
 * Use nb_session_store_sync_async() to wait for it.
 *
 * Returns: %FALSE with @error set when the metadata record could not be
 *   written
 */
gboolean
nb_session_store_sync (NbSessionStore  *self,
                       NbSession       *session,
                       GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  if (!nb_session_store_record_progress (self, nb_session_store_lookup_file (self, session), error))
    return FALSE;
  nb_session_store_sync_async (self, session, NULL, sync_done_cb, NULL);
  return TRUE;
}
