/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-assistant-private.h"

/*
 * One turn at a time per session across processes. A turn takes flock()
 * on `<stem>.lock` beside the session file and holds it until its task is
 * finalized (after the caller's callback). The lock is tried without
 * blocking; while another process holds it, the assistant says so once
 * (a warning: `nanobot -m` prints it to stderr) and tries again every
 * RETRY_MS on a timer, so the main loop never waits. A lock dies with its
 * process, so one left by a killed Nanobot never blocks. Turns of this
 * process on one session are queued by NbAgent already: they share the
 * lock. Once held, the lines the other process appended meanwhile are read
 * into the session (nb_session_store_reload_new()), so the model sees its
 * turn and this process appends after it. Where no lock file can be made
 * (no sessions folder yet and none can be created, a read-only folder),
 * the turn runs without one, as before.
 */

#define RETRY_MS 100

typedef struct {
  char  *path;
  int    fd;
  guint  holders;
} HeldLock;

/* path → HeldLock: the locks this process holds (main thread only). */
static GHashTable *held_locks;

static void
held_lock_free (HeldLock *lock)
{
  close (lock->fd);
  g_free (lock->path);
  g_free (lock);
}

static void
held_lock_release (gpointer data)
{
  HeldLock *lock = data;

  if (--lock->holders == 0)
    g_hash_table_remove (held_locks, lock->path);
}

typedef struct {
  GTask               *task;
  NbSession           *session;
  NbAssistantTurnFunc  run;
  char                *path;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  g_clear_object (&waiter->task);
  g_clear_object (&waiter->session);
  g_free (waiter->path);
  g_free (waiter);
}

static void
attach (Waiter   *waiter,
        HeldLock *lock)
{
  lock->holders++;
  g_object_set_data_full (G_OBJECT (waiter->task), "nb-turn-lock", lock, held_lock_release);
}

/* TRUE when the turn can run: the lock is held, or there can be none. */
static gboolean
try_lock (Waiter *waiter)
{
  g_autofree char *dir = NULL;
  HeldLock *lock;
  int fd;

  if (held_locks == NULL)
    held_locks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) held_lock_free);

  lock = g_hash_table_lookup (held_locks, waiter->path);
  if (lock != NULL)
    {
      attach (waiter, lock);
      return TRUE;
    }

  dir = g_path_get_dirname (waiter->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_debug ("no lock for %s: %s", waiter->path, g_strerror (errno));
      return TRUE;
    }
  /* CLOEXEC: a process a tool started must not keep the lock. */
  fd = g_open (waiter->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0)
    {
      g_debug ("no lock for %s: %s", waiter->path, g_strerror (errno));
      return TRUE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      close (fd);
      if (saved_errno == EWOULDBLOCK || saved_errno == EINTR)
        return FALSE;
      g_debug ("no lock for %s: %s", waiter->path, g_strerror (saved_errno));
      return TRUE;
    }

  lock = g_new0 (HeldLock, 1);
  lock->path = g_strdup (waiter->path);
  lock->fd = fd;
  g_hash_table_insert (held_locks, lock->path, lock);
  attach (waiter, lock);
  return TRUE;
}

/* Takes @waiter. */
static void
run_locked (Waiter *waiter)
{
  NbAssistant *self = g_task_get_source_object (waiter->task);
  g_autoptr(GError) error = NULL;

  nb_session_store_reload_new (self->store, waiter->session, &error);
  /* The turn runs on what this process has; writing will report a file
   * that cannot be used. */
  if (error != NULL)
    g_message ("%s", error->message);
  waiter->run (g_steal_pointer (&waiter->task));
  waiter_free (waiter);
}

static gboolean
retry_cb (gpointer user_data)
{
  Waiter *waiter = user_data;

  if (g_task_return_error_if_cancelled (waiter->task))
    {
      waiter_free (waiter);
      return G_SOURCE_REMOVE;
    }
  if (!try_lock (waiter))
    return G_SOURCE_CONTINUE;
  run_locked (waiter);
  return G_SOURCE_REMOVE;
}

void
nb_assistant_turn_lock_then (GTask               *task,
                             NbSession           *session,
                             NbAssistantTurnFunc  run)
{
  NbAssistant *self = g_task_get_source_object (task);
  Waiter *waiter;

  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (NB_IS_SESSION (session));

  waiter = g_new0 (Waiter, 1);
  waiter->task = task;
  waiter->session = g_object_ref (session);
  waiter->run = run;
  waiter->path = nb_session_store_get_lock_path (self->store, nb_session_get_key (session));

  if (try_lock (waiter))
    {
      run_locked (waiter);
      return;
    }
  nb_assistant_warn (self, _("another Nanobot is answering in this conversation; waiting…"));
  g_timeout_add (RETRY_MS, retry_cb, waiter);
}
