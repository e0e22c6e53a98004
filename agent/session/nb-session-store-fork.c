/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "nb-json-util.h"
#include "nb-session-store-private.h"

/*
 * A fork is a new session file holding a copy of the first messages of
 * another session: the lines are made on the calling thread from the
 * messages in memory (as the store would append them), and written once,
 * in a worker thread, into a hidden temp file that is fsynced and then
 * linked to its final name, so that the folder never shows half a fork
 * and an existing file is never replaced. The source's file is neither
 * read nor written: it stays byte for byte as it was.
 */

#define FORK_KEY_ATTEMPTS 4

typedef struct
{
  char    *dir;
  char    *channel;   /* "desktop" */
  GString *lines;     /* every line after the metadata record */
  char    *record;    /* the metadata record without "key" */
  char    *key;       /* the result */
} ForkData;

static void
fork_data_free (gpointer data)
{
  ForkData *fork = data;

  g_free (fork->dir);
  g_free (fork->channel);
  g_string_free (fork->lines, TRUE);
  g_free (fork->record);
  g_free (fork->key);
  g_free (fork);
}

static char *
new_fork_key (const char *channel)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *id = g_string_new (NULL);

  /* 16 hex digits: short enough to read, 64 random bits. */
  for (const char *p = uuid; *p != '\0' && id->len < 16; p++)
    if (*p != '-')
      g_string_append_c (id, *p);
  g_string_prepend_c (id, ':');
  g_string_prepend (id, channel);
  return g_string_free (id, FALSE);
}

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
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      length -= n;
    }
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

/* Writes @contents to a temp file in @dir, syncs it and links it as
 * @path; FALSE with EEXIST in @link_errno when @path exists. */
static gboolean
write_new_file (const char  *dir,
                const char  *path,
                GString     *contents,
                int         *link_errno,
                GError     **error)
{
  g_autofree char *tmp = g_build_filename (dir, ".fork.jsonl.XXXXXX", NULL);
  int fd;
  gboolean linked;

  *link_errno = 0;
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create a file in %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!write_all (fd, contents->str, contents->len, error) || fsync (fd) != 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
      close (fd);
      g_unlink (tmp);
      g_prefix_error (error, "Could not write %s: ", path);
      return FALSE;
    }
  close (fd);

  /* link(2) never replaces a file; a file system without hard links gets
   * a rename after a check, which a random key makes safe enough. */
  linked = link (tmp, path) == 0;
  if (!linked)
    *link_errno = errno;
  if (!linked && *link_errno != EEXIST && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_rename (tmp, path) == 0)
        {
          fsync_dir (dir);
          return TRUE;
        }
      *link_errno = errno;
    }
  g_unlink (tmp);
  if (!linked)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (*link_errno),
                   "Could not create %s: %s", path, g_strerror (*link_errno));
      return FALSE;
    }
  fsync_dir (dir);
  return TRUE;
}

static void
fork_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  NbSessionStore *self = source_object;
  ForkData *fork = task_data;
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (fork->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Could not create %s: %s", fork->dir, g_strerror (saved_errno));
      return;
    }

  for (guint attempt = 0; attempt < FORK_KEY_ATTEMPTS; attempt++)
    {
      g_autofree char *key = new_fork_key (fork->channel);
      g_autofree char *path = nb_session_store_get_path (self, key);
      g_autofree char *key_json = NULL;
      g_autoptr(GString) contents = NULL;
      g_autoptr(JsonNode) key_node = json_node_new (JSON_NODE_VALUE);
      int link_errno;

      json_node_set_string (key_node, key);
      key_json = nb_json_to_data (key_node, FALSE, NULL);
      /* "key" goes second, as in every metadata record. */
      contents = g_string_new ("{\"_type\":\"metadata\",\"key\":");
      g_string_append (contents, key_json);
      g_string_append (contents, fork->record);
      g_string_append_c (contents, '\n');
      g_string_append_len (contents, fork->lines->str, fork->lines->len);

      g_clear_error (&error);
      if (write_new_file (fork->dir, path, contents, &link_errno, &error))
        {
          fork->key = g_steal_pointer (&key);
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (link_errno != EEXIST)
        break;
    }
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
fork_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ForkData *fork = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&fork->key), g_free);
}

/**
 * nb_session_store_fork_async:
 * @source: the session to copy from
 * @n_keep: how many of its first messages to copy; at most those already
 *   saved are copied (a turn in progress is left out)
 * @metadata: the new session's `metadata` object (forked_from, …)
 * @channel: the new key's channel, e.g. "desktop"
 *
 * Writes a new session file `<channel>:<16 hex digits>` holding a
 * metadata record and the lines of the first @n_keep messages of
 * @source, once, in a worker thread, synced before it gets its name.
 * @source and its file are not touched. Open the new session with
 * nb_session_store_open_async().
 */
void
nb_session_store_fork_async (NbSessionStore      *self,
                             NbSession           *source,
                             guint                n_keep,
                             JsonObject          *metadata,
                             const char          *channel,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) write = NULL;
  g_autoptr(JsonObject) record = json_object_new ();
  g_autofree char *now = nb_message_make_timestamp ();
  ForkData *fork;
  guint consolidated;
  guint lines = 0;
  guint consolidated_lines = 0;

  g_return_if_fail (NB_IS_SESSION_STORE (self));
  g_return_if_fail (NB_IS_SESSION (source));
  g_return_if_fail (metadata != NULL);
  g_return_if_fail (channel != NULL && *channel != '\0');

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_fork_async);

  n_keep = MIN (n_keep, nb_session_get_saved_count (source));
  n_keep = MIN (n_keep, nb_session_get_n_messages (source));
  consolidated = MIN (nb_session_get_last_consolidated (source), n_keep);

  fork = g_new0 (ForkData, 1);
  fork->dir = g_strdup (self->dir);
  fork->channel = g_strdup (channel);
  fork->lines = g_string_new (NULL);
  for (guint i = 0; i < n_keep; i++)
    {
      g_autofree char *line = nb_session_store_message_line (nb_session_get_message (source, i));

      if (line == NULL)
        continue;
      g_string_append (fork->lines, line);
      g_string_append_c (fork->lines, '\n');
      lines++;
      if (i < consolidated)
        consolidated_lines++;
    }

  /* The members after "key", which the worker puts first. */
  json_object_set_string_member (record, "created_at", now);
  json_object_set_string_member (record, "updated_at", now);
  json_object_set_object_member (record, "metadata", json_object_ref (metadata));
  json_object_set_int_member (record, "last_consolidated", consolidated_lines);
  json_object_set_int_member (record, "message_count", lines);
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), record);
    g_autofree char *text = nb_json_to_data (node, FALSE, NULL);

    /* "{…}" → ",…}" to follow "key". */
    g_assert (text[0] == '{' && text[1] != '}');
    text[0] = ',';
    fork->record = g_steal_pointer (&text);
  }

  write = g_task_new (self, cancellable, fork_done_cb, g_steal_pointer (&task));
  g_task_set_source_tag (write, nb_session_store_fork_async);
  g_task_set_task_data (write, fork, fork_data_free);
  g_task_run_in_thread (write, fork_thread);
}

/**
 * nb_session_store_fork_finish:
 *
 * Returns: (transfer full): the new session's key, or %NULL with @error set
 */
char *
nb_session_store_fork_finish (NbSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
