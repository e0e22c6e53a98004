/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  NB_CRON_SCHEDULE_AT,     /* once, at a time */
  NB_CRON_SCHEDULE_EVERY,  /* every N milliseconds */
  NB_CRON_SCHEDULE_CRON,   /* a cron expression in a time zone */
} NbCronScheduleKind;

#define NB_TYPE_CRON_JOB (nb_cron_job_get_type ())
G_DECLARE_FINAL_TYPE (NbCronJob, nb_cron_job, NB, CRON_JOB, GObject)

/*
 * One scheduled job as the Python nanobot's jobs.json keeps it: id, name,
 * enabled, schedule {kind, atMs, everyMs, expr, tz}, payload {kind,
 * message, sessionKey, originChannel, originChatId, …}, state
 * {nextRunAtMs, lastRunAtMs, lastStatus, lastError, runHistory},
 * createdAtMs, updatedAtMs, deleteAfterRun. Times are Unix milliseconds;
 * -1 stands for null. The service owns and changes jobs; everyone else
 * reads them.
 */

/* Reads one job of jobs.json (camelCase, snake_case accepted). */
NbCronJob          *nb_cron_job_new_from_json      (JsonObject  *object,
                                                    GError     **error);
JsonObject         *nb_cron_job_to_json            (NbCronJob   *self);

const char         *nb_cron_job_get_id             (NbCronJob   *self);
const char         *nb_cron_job_get_name           (NbCronJob   *self);
const char         *nb_cron_job_get_message        (NbCronJob   *self);
gboolean            nb_cron_job_get_enabled        (NbCronJob   *self);
NbCronScheduleKind  nb_cron_job_get_kind           (NbCronJob   *self);
gint64              nb_cron_job_get_at_ms          (NbCronJob   *self);
gint64              nb_cron_job_get_every_ms       (NbCronJob   *self);
const char         *nb_cron_job_get_expr           (NbCronJob   *self);
const char         *nb_cron_job_get_tz             (NbCronJob   *self);
/* The conversation the job was made in (payload.sessionKey). */
const char         *nb_cron_job_get_origin_key     (NbCronJob   *self);
gboolean            nb_cron_job_get_delete_after_run (NbCronJob *self);
gint64              nb_cron_job_get_next_run_ms    (NbCronJob   *self);
gint64              nb_cron_job_get_last_run_ms    (NbCronJob   *self);
/* "ok", "error", "skipped" or NULL */
const char         *nb_cron_job_get_last_status    (NbCronJob   *self);
const char         *nb_cron_job_get_last_error     (NbCronJob   *self);
/* The start of the last reply (state.lastResult, ours). */
const char         *nb_cron_job_get_last_result    (NbCronJob   *self);
/* "session key" of the job's own conversation: cron:<id> */
char               *nb_cron_job_dup_session_key    (NbCronJob   *self);

/* The schedule in the Python nanobot's words: "every 5m",
 * "cron: 0 9 * * * (Europe/Berlin)", "at 2026-02-12T10:30:00+01:00". */
char               *nb_cron_job_describe_schedule  (NbCronJob   *self);

/* The next run strictly after @now_ms by the schedule alone, or -1. */
gint64              nb_cron_job_compute_next       (NbCronJob   *self,
                                                    gint64       now_ms);

G_END_DECLS
