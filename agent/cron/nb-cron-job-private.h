/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-cron-job.h"

G_BEGIN_DECLS

/* What NbCronService changes; nobody else includes this. */
struct _NbCronJob
{
  GObject             parent_instance;

  char               *id;
  char               *name;
  gboolean            enabled;
  NbCronScheduleKind  kind;
  gint64              at_ms;
  gint64              every_ms;
  char               *expr;
  char               *tz;
  char               *message;
  char               *origin_key;
  JsonObject         *payload;      /* the whole payload as read: unknown members survive */
  gint64              next_run_ms;
  gint64              last_run_ms;
  char               *last_status;
  char               *last_error;
  char               *last_result;
  JsonArray          *run_history;
  gint64              created_ms;
  gint64              updated_ms;
  gboolean            delete_after_run;
};

#define NB_CRON_MAX_RUN_HISTORY 20

NbCronJob *nb_cron_job_new (const char         *name,
                            const char         *message,
                            NbCronScheduleKind  kind);
/* Records a run in state (lastRunAtMs, lastStatus, lastError, runHistory). */
void       nb_cron_job_record_run (NbCronJob  *self,
                                   gint64      start_ms,
                                   gint64      end_ms,
                                   const char *status,
                                   const char *error,
                                   const char *result);
void       nb_cron_job_set_string (char      **field,
                                   const char *value);

G_END_DECLS
