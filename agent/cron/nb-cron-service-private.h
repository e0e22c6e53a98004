/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-cron-job-private.h"
#include "nb-cron-service.h"

G_BEGIN_DECLS

/* NbCronService is nb-cron-service.c (the list, the timer, runs) and
 * nb-cron-service-edit.c (changes) and nb-cron-store.c (reading, writing
 * and watching jobs.json). */
struct _NbCronService
{
  GObject         parent_instance;

  char           *path;
  GPtrArray      *jobs;            /* NbCronJob, the file's order */

  /* the file */
  gboolean        loaded;
  gboolean        loading;
  GQueue          load_waiters;    /* GTask */
  char           *error_message;   /* the file's problem, translated */
  gboolean        broken;          /* the file did not parse: never write it */
  char           *disk_text;       /* what the file holds as far as we know */
  gboolean        saving;
  gboolean        dirty;
  GQueue          flush_waiters;   /* GTask */
  GFileMonitor   *monitor;
  gboolean        reloading;
  gboolean        reload_again;
  GCancellable   *cancellable;

  /* the timer */
  gboolean        started;
  NbCronNowFunc   now;
  NbCronArmFunc   arm;
  gpointer        clock_data;
  guint           timeout_id;
  gint64          next_wake;
  GArray         *wakes;           /* Wake: other timers on the clock */
  guint           last_wake_id;

  /* runs */
  NbCronRunFunc   runner;
  gpointer        runner_data;
  GDestroyNotify  runner_destroy;
  GHashTable     *running;         /* id → NbCronRun */
  GQueue          idle_waiters;    /* GTask: run_due waiting for the runs */
};

/* nb-cron-store.c */
void     nb_cron_store_save            (NbCronService *self);
void     nb_cron_store_start_monitor   (NbCronService *self);
void     nb_cron_store_stop_monitor    (NbCronService *self);
void     nb_cron_store_load            (NbCronService *self);
void     nb_cron_store_flush_done      (NbCronService *self);
/* Reads the file again, then nb_cron_service_begin(). */
void     nb_cron_store_refresh         (NbCronService *self);

/* nb-cron-service.c */
/* Replaces the jobs with those read from the file. */
void     nb_cron_service_replace_jobs  (NbCronService *self,
                                        GPtrArray     *jobs);
void     nb_cron_service_set_error     (NbCronService *self,
                                        const char    *message);
void     nb_cron_service_loaded        (NbCronService *self);
void     nb_cron_service_rearm         (NbCronService *self);
/* Started and loaded: watches the file, runs what is due, arms. */
void     nb_cron_service_begin         (NbCronService *self);
gint     nb_cron_service_job_index     (NbCronService *self,
                                        const char    *id);
/* Announces a change of @job as items-changed of its position. */
void     nb_cron_service_job_changed   (NbCronService *self,
                                        NbCronJob     *job);
/* Gives a job read from the file (or put back) its next run. */
void     nb_cron_service_normalize     (NbCronService *self,
                                        NbCronJob     *job,
                                        gint64         now);
/* Starts a run of @job; @scheduled: it was due (else "run now"). */
void     nb_cron_service_start_run     (NbCronService *self,
                                        NbCronJob     *job,
                                        gint64         now,
                                        gboolean       scheduled);

G_END_DECLS
