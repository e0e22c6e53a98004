/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "nb-cron-lock.h"

/*
 * Waiting for the lock. There is nothing to watch on an flock(2): the
 * only way to learn the moment another process lets go, without polling,
 * is to block in flock (LOCK_EX). That happens in a worker thread (a
 * GTask's), on a descriptor of the thread's own; the result goes back to
 * the main loop.
 *
 * A blocked flock cannot be interrupted from another thread (closing the
 * descriptor does not wake it on Linux; a signal would reach the whole
 * process). So cancelling does not stop the thread, it detaches it: the
 * task is run with g_task_set_return_on_cancel(), so the caller gets
 * G_IO_ERROR_CANCELLED at once and may go away (quit the application)
 * while the thread still waits. The thread owns nothing but its path and
 * its descriptor; when flock returns it turns return-on-cancel off, and
 * if that says the task was cancelled meanwhile, it closes the
 * descriptor, so the lock is let go the moment it was had. If the
 * process ends first, the kernel closes the descriptor with it. What the
 * thread costs while it waits is one thread of GLib's pool, which adds
 * threads when its tasks run long.
 */

int
nb_cron_lock_try (const char *path,
                  gboolean   *busy)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  *busy = FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return -1;
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      close (fd);
      *busy = saved_errno == EWOULDBLOCK;
      return -1;
    }
  return fd;
}

static void
close_fd (gpointer data)
{
  close (GPOINTER_TO_INT (data) - 1);
}

static void
wait_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int saved_errno = errno;
  int result;

  if (fd < 0)
    {
      if (g_task_set_return_on_cancel (task, FALSE))
        g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                 "%s: %s", path, g_strerror (saved_errno));
      return;
    }
  do
    result = flock (fd, LOCK_EX);
  while (result != 0 && errno == EINTR);
  saved_errno = errno;

  /* Cancelled while waiting: the caller is gone; let the lock go. */
  if (!g_task_set_return_on_cancel (task, FALSE))
    {
      close (fd);
      return;
    }
  if (result != 0)
    {
      close (fd);
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", path, g_strerror (saved_errno));
      return;
    }
  /* A result nobody takes (cancelled after this) closes the descriptor. */
  g_task_return_pointer (task, GINT_TO_POINTER (fd + 1), close_fd);
}

void
nb_cron_lock_wait_async (const char          *path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);

  /* No source object: the thread must hold nothing of the caller's. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_cron_lock_wait_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, wait_thread);
}

int
nb_cron_lock_wait_finish (GAsyncResult  *result,
                          GError       **error)
{
  gpointer fd;

  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);

  fd = g_task_propagate_pointer (G_TASK (result), error);
  return fd != NULL ? GPOINTER_TO_INT (fd) - 1 : -1;
}
