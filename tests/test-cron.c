/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "nb-cron-expr.h"
#include "nb-cron-service.h"
#include "nb-test-util.h"

/*
 * Scheduled jobs without an agent: cron expressions against known
 * times (daylight saving time in Berlin and New York), every/at
 * schedules, jobs.json across a restart, missed runs caught up once,
 * the file changed by another program, and a file that does not parse.
 * The service gets a clock the test moves by hand: nothing waits for
 * real time except file monitoring.
 */

static gint64
iso_ms (const char *text)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (time);
  return g_date_time_to_unix (time) * 1000;
}

static char *
ms_iso (gint64      ms,
        const char *zone)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%FT%T%:z");
}

static void
test_expr_table (void)
{
  static const struct {
    const char *zone;
    const char *expr;
    const char *after;
    const char *expected;
  } cases[] = {
    { "Europe/Berlin", "0 9 * * *", "2026-03-10T10:00:00+01:00", "2026-03-11T09:00:00+01:00" },
    { "Europe/Berlin", "0 9 * * *", "2026-03-10T08:59:59+01:00", "2026-03-10T09:00:00+01:00" },
    { "Europe/Berlin", "0 9 * * *", "2026-03-10T09:00:00+01:00", "2026-03-11T09:00:00+01:00" },
    /* Clocks go forward at 02:00 on 29 March: 02:30 does not exist and
     * runs once, when the gap ends; the next day is normal again. */
    { "Europe/Berlin", "30 2 * * *", "2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00" },
    { "Europe/Berlin", "30 2 * * *", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00" },
    { "Europe/Berlin", "0-59/15 2 * * *", "2026-03-29T01:50:00+01:00", "2026-03-29T03:00:00+02:00" },
    { "Europe/Berlin", "*/15 2 * * *", "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00" },
    { "Europe/Berlin", "0 * * * *", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00" },
    { "Europe/Berlin", "0 * * * *", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00" },
    /* Clocks go back at 03:00 on 25 October: 02:30 comes twice and runs
     * at the first only. */
    { "Europe/Berlin", "30 2 * * *", "2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00" },
    { "Europe/Berlin", "30 2 * * *", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00" },
    { "Europe/Berlin", "30 2 * * *", "2026-10-25T02:10:00+01:00", "2026-10-26T02:30:00+01:00" },
    { "Europe/Berlin", "0 * * * *", "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00" },
    /* Names, ranges, lists, steps, both day fields. */
    { "Europe/Berlin", "0 9 * * mon-fri", "2026-03-13T09:00:00+01:00", "2026-03-16T09:00:00+01:00" },
    { "Europe/Berlin", "0 0 1,15 * *", "2026-01-01T00:00:00+01:00", "2026-01-15T00:00:00+01:00" },
    { "Europe/Berlin", "0 12 * JAN,jul sun", "2026-06-01T00:00:00+02:00", "2026-07-05T12:00:00+02:00" },
    { "Europe/Berlin", "0 0 13 * fri", "2026-02-01T00:00:00+01:00", "2026-02-06T00:00:00+01:00" },
    { "Europe/Berlin", "0 0 29 2 *", "2026-03-01T00:00:00+01:00", "2028-02-29T00:00:00+01:00" },
    { "Europe/Berlin", "5/20 * * * *", "2026-03-10T10:06:00+01:00", "2026-03-10T10:25:00+01:00" },
    { "Europe/Berlin", "0 8-18/4 * * 7", "2026-03-15T12:30:00+01:00", "2026-03-15T16:00:00+01:00" },
    { "Europe/Berlin", "0 0 * * 0", "2026-03-13T00:00:00+01:00", "2026-03-15T00:00:00+01:00" },
    /* New York: forward on 8 March, back on 1 November 2026. */
    { "America/New_York", "30 2 * * *", "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00" },
    { "America/New_York", "30 2 * * *", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00" },
    { "America/New_York", "30 1 * * *", "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00" },
    { "America/New_York", "30 1 * * *", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00" },
    { "America/New_York", "30 1 * * *", "2026-11-01T01:10:00-05:00", "2026-11-02T01:30:00-05:00" },
    { "America/New_York", "0 9 * * *", "2026-11-01T01:30:00-05:00", "2026-11-01T09:00:00-05:00" },
    { "UTC", "0 0 1 1 *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00+00:00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NbCronExpr) expr = nb_cron_expr_parse (cases[i].expr, &error);
      g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (cases[i].zone);
      g_autofree char *got = NULL;
      gint64 next;

      g_assert_no_error (error);
      g_assert_nonnull (tz);
      next = nb_cron_expr_next (expr, tz, iso_ms (cases[i].after));
      got = ms_iso (next, cases[i].zone);
      if (g_strcmp0 (got, cases[i].expected) != 0)
        g_error ("%s in %s after %s: got %s, expected %s", cases[i].expr, cases[i].zone,
                 cases[i].after, got, cases[i].expected);
    }

  /* No such day within five years. */
  {
    g_autoptr(NbCronExpr) expr = nb_cron_expr_parse ("0 0 30 2 *", NULL);
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();

    g_assert_cmpint (nb_cron_expr_next (expr, tz, iso_ms ("2026-01-01T00:00:00Z")), ==, -1);
  }
}

static void
test_expr_invalid (void)
{
  static const char *const bad[] = {
    "60 * * * *", "* * *", "* * * * * *", "0 0 0 * *", "0 0 * 13 *", "a b c d e",
    "*/0 * * * *", "5-1 * * * *", "0 24 * * *", "0 0 * * 8", "1,,2 * * * *", "", "0 0 * foo *",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NbCronExpr) expr = nb_cron_expr_parse (bad[i], &error);

      if (expr != NULL)
        g_error ("“%s” parsed", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

/* The service with a hand-moved clock */

typedef struct {
  char          *dir;
  char          *path;
  NbCronService *service;
  gint64         now;
  gint64         armed;
  guint          n_armed;
  GPtrArray     *runs;        /* "id" or "id late" */
  GPtrArray     *finished;    /* results of job-finished */
} Fixture;

static gint64
fake_now (gpointer data)
{
  return ((Fixture *) data)->now;
}

static void
fake_arm (NbCronService *service,
          gint64         due_ms,
          gpointer       data)
{
  Fixture *f = data;

  f->armed = due_ms;
  f->n_armed++;
}

static void
runner (NbCronService *service,
        NbCronJob     *job,
        NbCronRun     *run,
        gpointer       data)
{
  Fixture *f = data;
  g_autofree char *result = g_strdup_printf ("ran %s", nb_cron_job_get_name (job));

  g_ptr_array_add (f->runs, g_strdup_printf ("%s%s", nb_cron_job_get_name (job),
                                             nb_cron_run_is_late (run) ? " late" : ""));
  nb_cron_run_done (run, result, NULL);
}

static void
finished_cb (NbCronService *service,
             NbCronJob     *job,
             const char    *result,
             const char    *error,
             gboolean       late,
             Fixture       *f)
{
  g_ptr_array_add (f->finished, g_strdup (result));
}

static NbCronService *
make_service (Fixture *f)
{
  NbCronService *service = nb_cron_service_new (f->path);

  nb_cron_service_set_clock (service, fake_now, fake_arm, f);
  nb_cron_service_set_runner (service, runner, f, NULL);
  g_signal_connect (service, "job-finished", G_CALLBACK (finished_cb), f);
  return service;
}

static void
load (NbCronService *service)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_cron_service_load_async (service, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_cron_service_load_finish (service, result, &error));
  g_assert_no_error (error);
}

static void
flush (NbCronService *service)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_cron_service_flush_async (service, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_cron_service_flush_finish (service, result, NULL));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "cron", "jobs.json", NULL);
  f->now = iso_ms ("2026-03-10T10:00:00+01:00");
  f->armed = -2;
  f->runs = g_ptr_array_new_with_free_func (g_free);
  f->finished = g_ptr_array_new_with_free_func (g_free);
  f->service = make_service (f);
}

static void
gone_cb (gpointer  data,
         GObject  *where_the_object_was)
{
  g_atomic_int_set ((gint *) data, TRUE);
  g_main_context_wakeup (NULL);  /* it may go in a worker thread */
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gboolean gone = FALSE;

  /* Reads and writes under way hold the service until they end. */
  nb_cron_service_stop (f->service);
  g_object_weak_ref (G_OBJECT (f->service), gone_cb, &gone);
  g_clear_object (&f->service);
  /* The last reference may go in a worker thread (a GTask's), which
   * does not wake the main loop: poll. */
  for (int i = 0; i < 20000 && !g_atomic_int_get (&gone); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_true (gone);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_ptr_array_unref (f->runs);
  g_ptr_array_unref (f->finished);
}

static void
make_folder (Fixture *f)
{
  g_autofree char *folder = g_path_get_dirname (f->path);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
}

static void
wait_until_n_items (NbCronService *service,
                    guint          n)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_list_model_get_n_items (G_LIST_MODEL (service)) != n)
    {
      if (g_get_monotonic_time () > end)
        g_error ("the service has %u jobs, not %u", g_list_model_get_n_items (G_LIST_MODEL (service)), n);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
start (Fixture *f)
{
  nb_cron_service_start (f->service);
  while (f->armed == -2)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_every_and_at (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  NbCronJob *every, *at;
  gint64 t0 = f->now;

  start (f);
  g_assert_cmpint (f->armed, ==, -1);  /* no jobs, no timer */

  every = nb_cron_service_add_job (f->service, "ping", "say ping", NB_CRON_SCHEDULE_EVERY, 300000,
                                   NULL, NULL, "desktop:abc", &error);
  g_assert_no_error (error);
  g_assert_cmpint (nb_cron_job_get_next_run_ms (every), ==, t0 + 300000);
  g_assert_cmpint (f->armed, ==, t0 + 300000);
  g_assert_cmpstr (nb_cron_job_get_origin_key (every), ==, "desktop:abc");
  g_assert_cmpint (strlen (nb_cron_job_get_id (every)), ==, 8);

  at = nb_cron_service_add_job (f->service, NULL, "a one-shot reminder that is long", NB_CRON_SCHEDULE_AT,
                                t0 + 60000, NULL, NULL, "desktop:abc", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nb_cron_job_get_name (at), ==, "a one-shot reminder that is lo");
  g_assert_cmpint (f->armed, ==, t0 + 60000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->service)), ==, 2);

  /* Nothing before its time. */
  f->now = t0 + 59999;
  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 0);

  f->now = t0 + 60000;
  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 1);
  g_assert_cmpstr (f->runs->pdata[0], ==, "a one-shot reminder that is lo");
  /* The one-shot job is gone, the timer waits for the other. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->service)), ==, 1);
  g_assert_cmpint (f->armed, ==, t0 + 300000);

  f->now = t0 + 300000;
  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 2);
  g_assert_cmpstr (f->runs->pdata[1], ==, "ping");
  g_assert_cmpint (nb_cron_job_get_next_run_ms (every), ==, t0 + 600000);
  g_assert_cmpint (nb_cron_job_get_last_run_ms (every), ==, t0 + 300000);
  g_assert_cmpstr (nb_cron_job_get_last_status (every), ==, "ok");
  g_assert_cmpstr (nb_cron_job_get_last_result (every), ==, "ran ping");
  g_assert_cmpint (f->armed, ==, t0 + 600000);

  /* Disabled: no timer; enabled again: from now. */
  g_assert_true (nb_cron_service_set_enabled (f->service, nb_cron_job_get_id (every), FALSE));
  g_assert_cmpint (f->armed, ==, -1);
  f->now += 1000;
  g_assert_true (nb_cron_service_set_enabled (f->service, nb_cron_job_get_id (every), TRUE));
  g_assert_cmpint (f->armed, ==, f->now + 300000);

  /* Run now leaves the schedule alone. */
  g_assert_true (nb_cron_service_run_now (f->service, nb_cron_job_get_id (every)));
  g_assert_cmpuint (f->runs->len, ==, 3);
  g_assert_cmpint (nb_cron_job_get_next_run_ms (every), ==, f->now + 300000);

  /* Bad schedules. */
  g_assert_null (nb_cron_service_add_job (f->service, "x", "m", NB_CRON_SCHEDULE_CRON, 0, "61 * * * *",
                                          NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "invalid cron expression '61 * * * *'"));
  g_clear_error (&error);
  g_assert_null (nb_cron_service_add_job (f->service, "x", "m", NB_CRON_SCHEDULE_CRON, 0, "0 9 * * *",
                                          "Mars/Olympus", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (nb_cron_service_add_job (f->service, "x", "m", NB_CRON_SCHEDULE_AT, f->now - 1,
                                          NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (nb_cron_service_add_job (f->service, "x", "  ", NB_CRON_SCHEDULE_EVERY, 1000,
                                          NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  flush (f->service);
}

static void
test_persistence (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbCronService) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;
  JsonObject *root, *job, *schedule, *state, *payload;
  NbCronJob *copy;

  load (f->service);
  id = g_strdup (nb_cron_job_get_id (nb_cron_service_add_job (f->service, "morning", "good morning",
                                                              NB_CRON_SCHEDULE_CRON, 0, "0 9 * * *",
                                                              "Europe/Berlin", "desktop:abc", &error)));
  g_assert_no_error (error);
  flush (f->service);

  /* The Python nanobot's format. */
  text = nb_test_read_file (f->path);
  root = nb_test_parse_object (text);
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  job = json_array_get_object_element (json_object_get_array_member (root, "jobs"), 0);
  g_assert_cmpstr (json_object_get_string_member (job, "id"), ==, id);
  g_assert_true (json_object_get_boolean_member (job, "enabled"));
  schedule = json_object_get_object_member (job, "schedule");
  g_assert_cmpstr (json_object_get_string_member (schedule, "kind"), ==, "cron");
  g_assert_cmpstr (json_object_get_string_member (schedule, "expr"), ==, "0 9 * * *");
  g_assert_cmpstr (json_object_get_string_member (schedule, "tz"), ==, "Europe/Berlin");
  g_assert_true (json_object_get_null_member (schedule, "everyMs"));
  payload = json_object_get_object_member (job, "payload");
  g_assert_cmpstr (json_object_get_string_member (payload, "kind"), ==, "agent_turn");
  g_assert_cmpstr (json_object_get_string_member (payload, "message"), ==, "good morning");
  g_assert_cmpstr (json_object_get_string_member (payload, "sessionKey"), ==, "desktop:abc");
  g_assert_cmpstr (json_object_get_string_member (payload, "originChannel"), ==, "desktop");
  g_assert_cmpstr (json_object_get_string_member (payload, "originChatId"), ==, "abc");
  state = json_object_get_object_member (job, "state");
  g_assert_cmpint (json_object_get_int_member (state, "nextRunAtMs"), ==, iso_ms ("2026-03-11T09:00:00+01:00"));
  g_assert_false (json_object_get_boolean_member (job, "deleteAfterRun"));
  json_object_unref (root);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_IS_SYMLINK));

  /* Another start reads the same. */
  again = make_service (f);
  load (again);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
  copy = nb_cron_service_lookup (again, id);
  g_assert_nonnull (copy);
  g_assert_cmpstr (nb_cron_job_get_name (copy), ==, "morning");
  g_assert_cmpstr (nb_cron_job_get_expr (copy), ==, "0 9 * * *");
  g_assert_cmpint (nb_cron_job_get_next_run_ms (copy), ==, iso_ms ("2026-03-11T09:00:00+01:00"));
  g_assert_cmpstr (nb_cron_job_get_origin_key (copy), ==, "desktop:abc");
  g_assert_null (nb_cron_service_get_error_message (again));
}

static void
test_catch_up (Fixture       *f,
               gconstpointer  data)
{
  /* Written while the app was not running: an hourly job last due five
   * hours ago, a one-shot job due yesterday, a job due in the future. */
  g_autofree char *text =
    g_strdup_printf ("{\"version\":1,\"jobs\":["
                     "{\"id\":\"hourly01\",\"name\":\"hourly\",\"enabled\":true,"
                     " \"schedule\":{\"kind\":\"cron\",\"expr\":\"0 * * * *\",\"tz\":\"Europe/Berlin\"},"
                     " \"payload\":{\"kind\":\"agent_turn\",\"message\":\"tick\",\"sessionKey\":\"desktop:a\"},"
                     " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}},"
                     "{\"id\":\"once0001\",\"name\":\"once\",\"enabled\":true,\"deleteAfterRun\":true,"
                     " \"schedule\":{\"kind\":\"at\",\"atMs\":%" G_GINT64_FORMAT "},"
                     " \"payload\":{\"message\":\"remind\"},\"state\":{}},"
                     "{\"id\":\"later001\",\"name\":\"later\",\"enabled\":true,"
                     " \"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                     " \"payload\":{\"message\":\"later\"},"
                     " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                     f->now - 5 * 3600000, f->now - 86400000, f->now + 1800000);
  NbCronJob *hourly;

  make_folder (f);
  nb_test_write_file (f->path, text);
  start (f);

  /* Once each, late; not once per missed hour. */
  g_assert_cmpuint (f->runs->len, ==, 2);
  g_assert_cmpstr (f->runs->pdata[0], ==, "hourly late");
  g_assert_cmpstr (f->runs->pdata[1], ==, "once late");
  hourly = nb_cron_service_lookup (f->service, "hourly01");
  g_assert_cmpint (nb_cron_job_get_next_run_ms (hourly), ==, iso_ms ("2026-03-10T11:00:00+01:00"));
  g_assert_null (nb_cron_service_lookup (f->service, "once0001"));
  g_assert_cmpint (f->armed, ==, iso_ms ("2026-03-10T10:30:00+01:00"));

  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 2);

  /* On time is not late. */
  f->now = iso_ms ("2026-03-10T10:30:00+01:00");
  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 3);
  g_assert_cmpstr (f->runs->pdata[2], ==, "later");
  flush (f->service);
  nb_cron_service_stop (f->service);

  /* What ran is in the file: a restart runs nothing again. */
  {
    g_autoptr(NbCronService) again = make_service (f);

    g_clear_object (&f->service);
    f->service = g_steal_pointer (&again);
    f->armed = -2;
    start (f);
    g_assert_cmpuint (f->runs->len, ==, 3);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->service)), ==, 2);
  }
}

static void
test_external_edit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;

  start (f);
  nb_cron_service_add_job (f->service, "mine", "m", NB_CRON_SCHEDULE_EVERY, 60000, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  flush (f->service);

  /* Another program replaces the file (as the Python nanobot does) … */
  tmp = g_strconcat (f->path, ".tmp", NULL);
  nb_test_write_file (tmp, "{\"version\":1,\"jobs\":["
                      "{\"id\":\"other001\",\"name\":\"from elsewhere\",\"schedule\":{\"kind\":\"every\",\"everyMs\":1000},"
                      " \"payload\":{\"message\":\"x\"}},"
                      "{\"id\":\"other002\",\"name\":\"second\",\"schedule\":{\"kind\":\"every\",\"everyMs\":5000},"
                      " \"payload\":{\"message\":\"y\"}}]}");
  g_assert_cmpint (g_rename (tmp, f->path), ==, 0);
  wait_until_n_items (f->service, 2);
  g_assert_nonnull (nb_cron_service_lookup (f->service, "other001"));
  /* … and the timer follows. */
  g_assert_cmpint (f->armed, ==, f->now + 1000);

  /* A text editor writes it in place. */
  nb_test_write_file (f->path, "{\"version\":1,\"jobs\":["
                      "{\"id\":\"other002\",\"name\":\"second\",\"schedule\":{\"kind\":\"every\",\"everyMs\":5000},"
                      " \"payload\":{\"message\":\"y\"}}]}");
  wait_until_n_items (f->service, 1);
  g_assert_null (nb_cron_service_lookup (f->service, "other001"));
  g_assert_cmpint (f->armed, ==, f->now + 5000);

  /* The schedule edited, its next run not: it follows the new schedule. */
  {
    static const char format[] =
      "{\"version\":1,\"jobs\":[{\"id\":\"other002\",\"name\":\"second\","
      "\"schedule\":{\"kind\":\"every\",\"everyMs\":%d},\"payload\":{\"message\":\"y\"},"
      "\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}";
    g_autofree char *before = g_strdup_printf (format, 5000, f->now + 5000);
    g_autofree char *after = g_strdup_printf (format, 7000, f->now + 5000);
    gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    nb_test_write_file (f->path, before);
    while (nb_cron_job_get_next_run_ms (nb_cron_service_lookup (f->service, "other002")) != f->now + 5000 ||
           g_list_model_get_n_items (G_LIST_MODEL (f->service)) != 1)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
    f->now += 1000;
    nb_test_write_file (f->path, after);
    while (nb_cron_job_get_every_ms (nb_cron_service_lookup (f->service, "other002")) != 7000)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
  g_assert_cmpint (f->armed, ==, f->now + 7000);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  static const char broken[] = "{\"version\":1,\"jobs\":[{\"id\":\"a\",";
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autofree char *text = NULL;
  const char *name;
  gboolean backup = FALSE;

  g_mkdir_with_parents (folder, 0700);
  nb_test_write_file (f->path, broken);
  start (f);

  g_assert_nonnull (nb_cron_service_get_error_message (f->service));
  g_assert_nonnull (strstr (nb_cron_service_get_error_message (f->service), f->path));
  g_assert_nonnull (strstr (nb_cron_service_get_error_message (f->service), "cannot be read"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->service)), ==, 0);

  /* Nothing can be added, and the file is never written over. */
  g_assert_null (nb_cron_service_add_job (f->service, "x", "m", NB_CRON_SCHEDULE_EVERY, 1000,
                                          NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  flush (f->service);
  text = nb_test_read_file (f->path);
  g_assert_cmpstr (text, ==, broken);

  /* A copy is kept beside it. */
  dir = g_dir_open (folder, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "jobs.json.corrupt-"))
      {
        g_autofree char *path = g_build_filename (folder, name, NULL);
        g_autofree char *copy = nb_test_read_file (path);

        g_assert_cmpstr (copy, ==, broken);
        backup = TRUE;
      }
  g_assert_true (backup);

  /* Fixed in an editor: read, and the error is gone. */
  nb_test_write_file (f->path, "{\"version\":1,\"jobs\":[{\"id\":\"fixed001\",\"name\":\"fixed\","
                      "\"schedule\":{\"kind\":\"every\",\"everyMs\":1000},\"payload\":{\"message\":\"x\"}}]}");
  wait_until_n_items (f->service, 1);
  g_assert_null (nb_cron_service_get_error_message (f->service));
  g_assert_nonnull (nb_cron_service_add_job (f->service, "x", "m", NB_CRON_SCHEDULE_EVERY, 1000,
                                             NULL, NULL, NULL, NULL));
  flush (f->service);
}

static void
test_run_due (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text =
    g_strdup_printf ("{\"version\":1,\"jobs\":["
                     "{\"id\":\"due00001\",\"name\":\"due\",\"schedule\":{\"kind\":\"every\",\"everyMs\":60000},"
                     " \"payload\":{\"message\":\"x\"},\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}},"
                     "{\"id\":\"notdue01\",\"name\":\"not due\",\"schedule\":{\"kind\":\"every\",\"everyMs\":60000},"
                     " \"payload\":{\"message\":\"y\"},\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                     f->now - 1000, f->now + 1000);
  guint n = 0;

  make_folder (f);
  nb_test_write_file (f->path, text);
  nb_cron_service_run_due_async (f->service, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_cron_service_run_due_finish (f->service, result, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (f->runs->len, ==, 1);
  g_assert_cmpstr (f->runs->pdata[0], ==, "due");
  /* Not started: no timer. */
  g_assert_cmpint (f->armed, ==, -2);
  g_free (text);
  text = nb_test_read_file (f->path);
  g_assert_nonnull (strstr (text, "\"lastStatus\" : \"ok\""));
}

static char *
two_jobs (gint64 water_next,
          gint64 tea_next)
{
  return g_strdup_printf ("{\"version\":1,\"jobs\":["
                          "{\"id\":\"water001\",\"name\":\"water\",\"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                          " \"payload\":{\"message\":\"x\"},\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}},"
                          "{\"id\":\"tea00001\",\"name\":\"tea\",\"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                          " \"payload\":{\"message\":\"y\"},\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                          water_next, tea_next);
}

/* Loaded (by the tool or the jobs window) before it is started: while
 * another process held the scheduler's lock it ran a job and saved, and
 * nothing watched the file here. Starting reads it again, so that job
 * does not run a second time; the one that came due meanwhile runs once. */
static void
test_start_reads_again (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *before = two_jobs (f->now - 60000, f->now + 30000);
  g_autofree char *after = two_jobs (f->now - 60000 + 3600000, f->now + 30000);

  make_folder (f);
  nb_test_write_file (f->path, before);
  load (f->service);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->service)), ==, 2);

  /* nanobot --run-due-jobs ran "water"; a minute later "tea" is due. */
  nb_test_write_file (f->path, after);
  f->now += 60000;
  start (f);
  g_assert_cmpuint (f->runs->len, ==, 1);
  g_assert_cmpstr (f->runs->pdata[0], ==, "tea");
  g_assert_cmpint (f->armed, ==, f->now - 120000 + 3600000);
  nb_cron_service_fire (f->service);
  g_assert_cmpuint (f->runs->len, ==, 1);
}

static void
test_python_file (Fixture       *f,
                  gconstpointer  data)
{
  /* As the Python nanobot writes it, and a snake_case job. */
  static const char text[] =
    "{\"version\": 1, \"jobs\": [{\"id\": \"ab12cd34\", \"name\": \"daily\", \"enabled\": true,"
    " \"schedule\": {\"kind\": \"cron\", \"atMs\": null, \"everyMs\": null, \"expr\": \"0 9 * * *\", \"tz\": \"UTC\"},"
    " \"payload\": {\"kind\": \"agent_turn\", \"message\": \"hi\", \"deliver\": false, \"channel\": null,"
    "  \"to\": null, \"channelMeta\": {}, \"sessionKey\": \"telegram:123\", \"originChannel\": \"telegram\","
    "  \"originChatId\": \"123\", \"originMetadata\": {\"thread\": 7}},"
    " \"state\": {\"nextRunAtMs\": 4102444800000, \"lastRunAtMs\": null, \"lastStatus\": null, \"lastError\": null,"
    "  \"runHistory\": [{\"runAtMs\": 1, \"status\": \"ok\", \"durationMs\": 5, \"error\": null}]},"
    " \"createdAtMs\": 1, \"updatedAtMs\": 2, \"deleteAfterRun\": false},"
    " {\"id\": \"snake001\", \"name\": \"s\", \"schedule\": {\"kind\": \"every\", \"every_ms\": 60000},"
    "  \"payload\": {\"message\": \"m\", \"session_key\": \"cli:direct\"},"
    "  \"state\": {\"next_run_at_ms\": 4102444800000}, \"delete_after_run\": true}]}";
  g_autofree char *saved = NULL;
  NbCronJob *daily, *snake;
  JsonObject *root, *job, *payload, *state;

  make_folder (f);
  nb_test_write_file (f->path, text);
  load (f->service);
  g_assert_null (nb_cron_service_get_error_message (f->service));
  daily = nb_cron_service_lookup (f->service, "ab12cd34");
  g_assert_cmpint (nb_cron_job_get_kind (daily), ==, NB_CRON_SCHEDULE_CRON);
  g_assert_cmpstr (nb_cron_job_get_tz (daily), ==, "UTC");
  g_assert_cmpstr (nb_cron_job_get_origin_key (daily), ==, "telegram:123");
  g_assert_cmpint (nb_cron_job_get_next_run_ms (daily), ==, G_GINT64_CONSTANT (4102444800000));
  g_assert_cmpint (nb_cron_job_get_last_run_ms (daily), ==, -1);
  snake = nb_cron_service_lookup (f->service, "snake001");
  g_assert_cmpint (nb_cron_job_get_every_ms (snake), ==, 60000);
  g_assert_cmpstr (nb_cron_job_get_origin_key (snake), ==, "cli:direct");
  g_assert_true (nb_cron_job_get_delete_after_run (snake));
  g_assert_cmpint (nb_cron_job_get_next_run_ms (snake), ==, G_GINT64_CONSTANT (4102444800000));

  /* Written back: what the Python nanobot keeps is still there. */
  g_assert_true (nb_cron_service_set_enabled (f->service, "snake001", FALSE));
  flush (f->service);
  saved = nb_test_read_file (f->path);
  root = nb_test_parse_object (saved);
  job = json_array_get_object_element (json_object_get_array_member (root, "jobs"), 0);
  payload = json_object_get_object_member (job, "payload");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (payload, "originMetadata"), "thread"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (payload, "originChannel"), ==, "telegram");
  state = json_object_get_object_member (job, "state");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (state, "runHistory")), ==, 1);
  g_assert_true (json_object_get_null_member (state, "lastRunAtMs"));
  job = json_array_get_object_element (json_object_get_array_member (root, "jobs"), 1);
  g_assert_false (json_object_get_boolean_member (job, "enabled"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (job, "schedule"), "everyMs"), ==, 60000);
  json_object_unref (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cron/expr/table", test_expr_table);
  g_test_add_func ("/cron/expr/invalid", test_expr_invalid);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/cron/every-and-at", test_every_and_at);
  ADD ("/cron/persistence", test_persistence);
  ADD ("/cron/catch-up", test_catch_up);
  ADD ("/cron/external-edit", test_external_edit);
  ADD ("/cron/malformed", test_malformed);
  ADD ("/cron/run-due", test_run_due);
  ADD ("/cron/python-file", test_python_file);
  ADD ("/cron/start-reads-again", test_start_reads_again);
#undef ADD

  return g_test_run ();
}
