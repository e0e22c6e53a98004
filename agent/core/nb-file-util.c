/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-file"

#include "config.h"

#include "nb-file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "Could not %s %s: %s", what, path, g_strerror (saved_errno));
}

gboolean
nb_file_read_bounded (const char  *path,
                      gsize        max_size,
                      char       **contents,
                      gsize       *length,
                      GError     **error)
{
  g_autofree char *buffer = NULL;
  struct stat st;
  gsize done = 0;
  gsize allocated;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  /* O_NONBLOCK: opening a FIFO must not wait for a writer; it changes
   * nothing for a regular file. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      set_errno_error (error, errno, "open", path);
      return FALSE;
    }
  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      set_errno_error (error, saved_errno, "read", path);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s is not a regular file", path);
      return FALSE;
    }
  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%s is larger than %" G_GSIZE_FORMAT " MiB", path, max_size / (1024 * 1024));
      return FALSE;
    }

  /* The file may grow while it is read: read up to one byte past the cap
   * to notice. */
  allocated = (gsize) st.st_size + 1;
  buffer = g_malloc (allocated + 1);
  for (;;)
    {
      gssize n;

      if (done == allocated)
        {
          if (done > max_size)
            {
              close (fd);
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                           "%s is larger than %" G_GSIZE_FORMAT " MiB", path, max_size / (1024 * 1024));
              return FALSE;
            }
          allocated = MIN (MAX (allocated * 2, 4096), max_size + 1);
          buffer = g_realloc (buffer, allocated + 1);
        }
      n = read (fd, buffer + done, allocated - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          set_errno_error (error, saved_errno, "read", path);
          return FALSE;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  close (fd);

  buffer[done] = '\0';
  *contents = g_steal_pointer (&buffer);
  if (length != NULL)
    *length = done;
  return TRUE;
}

typedef struct {
  char  *path;
  gsize  max_size;
} ReadData;

static void
read_data_free (ReadData *data)
{
  g_free (data->path);
  g_free (data);
}

static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadData *data = task_data;
  GError *error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!nb_file_read_bounded (data->path, data->max_size, &contents, &length, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_bytes_new_take (contents, length + 1), (GDestroyNotify) g_bytes_unref);
}

void
nb_file_read_bounded_async (const char          *path,
                            gsize                max_size,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadData *data;

  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_file_read_bounded_async);
  data = g_new0 (ReadData, 1);
  data->path = g_strdup (path);
  data->max_size = max_size;
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  g_task_run_in_thread (task, read_thread);
}

gboolean
nb_file_read_bounded_finish (GAsyncResult  *result,
                             char         **contents,
                             gsize         *length,
                             GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize size = 0;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  bytes = g_task_propagate_pointer (G_TASK (result), error);
  if (bytes == NULL)
    return FALSE;
  /* The bytes hold the terminating NUL too. */
  *contents = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
  if (length != NULL)
    *length = size - 1;
  return TRUE;
}
