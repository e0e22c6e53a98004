/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-cron-job.h"

G_BEGIN_DECLS

#define NB_TYPE_CRON_SERVICE (nb_cron_service_get_type ())
G_DECLARE_FINAL_TYPE (NbCronService, nb_cron_service, NB, CRON_SERVICE, GObject)

/* Runs later than this after their time count as late (a missed run
 * caught up at start-up). */
#define NB_CRON_LATE_MS (60 * 1000)
/* The longest the timer sleeps: GLib's timers follow the monotonic
 * clock, which stops while the machine is suspended. */
#define NB_CRON_MAX_SLEEP_MS (10 * 60 * 1000)

/* The clock: "now" in Unix milliseconds, and arming the one timer to call
 * nb_cron_service_fire() at @due_ms (-1: no timer). Tests give their own. */
typedef gint64 (*NbCronNowFunc) (gpointer       data);
typedef void   (*NbCronArmFunc) (NbCronService *service,
                                 gint64         due_ms,
                                 gpointer       data);

/* One run of a job, handed to the runner, which ends it with
 * nb_cron_run_done() (exactly once, possibly later). */
typedef struct _NbCronRun NbCronRun;
typedef void   (*NbCronRunFunc) (NbCronService *service,
                                 NbCronJob     *job,
                                 NbCronRun     *run,
                                 gpointer       data);

NbCronService *nb_cron_service_new          (const char     *path);
const char    *nb_cron_service_get_path     (NbCronService  *self);
void           nb_cron_service_set_clock    (NbCronService  *self,
                                             NbCronNowFunc   now,
                                             NbCronArmFunc   arm,
                                             gpointer        data);
gint64         nb_cron_service_now          (NbCronService  *self);
void           nb_cron_service_set_runner   (NbCronService  *self,
                                             NbCronRunFunc   runner,
                                             gpointer        data,
                                             GDestroyNotify  destroy);

/* Reads jobs.json once (a missing file is no jobs). A file that does not
 * parse is copied to jobs.json.corrupt-<time>, left in place and never
 * written; the error says so and stays in #NbCronService:error-message
 * until the file is fixed. */
void           nb_cron_service_load_async   (NbCronService       *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       nb_cron_service_load_finish  (NbCronService       *self,
                                             GAsyncResult        *result,
                                             GError             **error);
gboolean       nb_cron_service_is_loaded    (NbCronService  *self);
/* The problem with jobs.json, translated, or NULL. */
const char    *nb_cron_service_get_error_message (NbCronService *self);

/* Runs jobs as they come due: loads, runs the missed ones once (late),
 * arms the timer and follows changes of the file by other programs. */
void           nb_cron_service_start        (NbCronService  *self);
void           nb_cron_service_stop         (NbCronService  *self);
gboolean       nb_cron_service_is_started   (NbCronService  *self);
/* The timer went off: runs what is due and arms the timer again. */
void           nb_cron_service_fire         (NbCronService  *self);
/* When the timer is set to go off next, or -1. */
gint64         nb_cron_service_get_next_wake (NbCronService *self);

/* Other timers on the service's clock (the heartbeat): @func is called
 * once, from nb_cron_service_fire(), when "now" has reached @due_ms. The
 * one timer is armed for the earliest of these and of the jobs (also
 * while the service is stopped), so a test that moves its clock moves
 * them all, and they share the timer's care for suspend. Returns an id
 * (> 0) for nb_cron_service_remove_wake(). */
typedef void   (*NbCronWakeFunc) (NbCronService *service,
                                  gpointer       data);
guint          nb_cron_service_add_wake     (NbCronService  *self,
                                             gint64          due_ms,
                                             NbCronWakeFunc  func,
                                             gpointer        data);
void           nb_cron_service_remove_wake  (NbCronService  *self,
                                             guint           id);

/* Loads, runs the due jobs once each, waits for them and for the file. */
void           nb_cron_service_run_due_async  (NbCronService       *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean       nb_cron_service_run_due_finish (NbCronService       *self,
                                               GAsyncResult        *result,
                                               guint               *n_run,
                                               GError             **error);

/* Changes (after loading). Each is saved at once, atomically; wait with
 * nb_cron_service_flush_async() when the process is about to end. */
NbCronJob     *nb_cron_service_add_job      (NbCronService       *self,
                                             const char          *name,
                                             const char          *message,
                                             NbCronScheduleKind   kind,
                                             gint64               at_or_every_ms,
                                             const char          *expr,
                                             const char          *tz,
                                             const char          *origin_key,
                                             GError             **error);
NbCronJob     *nb_cron_service_lookup       (NbCronService  *self,
                                             const char     *id);
/* Removes the job; returns it (for Undo) or NULL. */
NbCronJob     *nb_cron_service_remove_job   (NbCronService  *self,
                                             const char     *id);
/* Puts back a job nb_cron_service_remove_job() returned. */
void           nb_cron_service_restore_job  (NbCronService  *self,
                                             NbCronJob      *job);
gboolean       nb_cron_service_set_enabled  (NbCronService  *self,
                                             const char     *id,
                                             gboolean        enabled);
/* Runs the job now, whatever its schedule (not while it runs already). */
gboolean       nb_cron_service_run_now      (NbCronService  *self,
                                             const char     *id);
gboolean       nb_cron_service_is_running   (NbCronService  *self,
                                             const char     *id);
void           nb_cron_service_flush_async  (NbCronService       *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       nb_cron_service_flush_finish (NbCronService       *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* The run's facts, for the runner. */
gint64         nb_cron_run_get_due_ms       (NbCronRun      *run);
gboolean       nb_cron_run_is_late          (NbCronRun      *run);
void           nb_cron_run_done             (NbCronRun      *run,
                                             const char     *result,
                                             const GError   *error);

G_END_DECLS
