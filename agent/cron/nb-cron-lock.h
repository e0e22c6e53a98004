/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The scheduler's lock (cron/scheduler.lock): an flock(2) that the one
 * process running the scheduled jobs holds, the application or
 * `nanobot --run-due-jobs`. It goes with the process, also on a crash.
 */

/* Takes the lock if it is free: returns the descriptor that holds it
 * (close it to let go). -1 with @busy TRUE when another process holds
 * it; -1 with @busy FALSE when there is no lock to take (the folder or
 * file cannot be made): go on without. */
int      nb_cron_lock_try          (const char           *path,
                                    gboolean             *busy);

/* Waits, without blocking the main loop, until the lock is free and
 * takes it. Cancelling returns G_IO_ERROR_CANCELLED at once; the waiting
 * thread then lets the lock go as soon as it gets it. */
void     nb_cron_lock_wait_async   (const char           *path,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
/* Returns: the descriptor holding the lock, or -1 with @error set. */
int      nb_cron_lock_wait_finish  (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
