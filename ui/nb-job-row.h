/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-cron-job.h"

G_BEGIN_DECLS

#define NB_TYPE_JOB_ROW (nb_job_row_get_type ())
G_DECLARE_FINAL_TYPE (NbJobRow, nb_job_row, NB, JOB_ROW, AdwActionRow)

/* One scheduled job: its name, schedule, next run in local time and last
 * result; a switch (enabled), Run Now and Delete. Emits "toggled",
 * "run-now" and "delete"; the jobs window acts on them. */
NbJobRow  *nb_job_row_new     (NbCronJob *job,
                               gboolean   running);
NbCronJob *nb_job_row_get_job (NbJobRow  *self);

/* "Today 09:00", "Tomorrow 09:00", "Tue 10 Mar 09:00" (local time). */
char      *nb_job_row_format_time (gint64 ms,
                                   gint64 now_ms);

G_END_DECLS
