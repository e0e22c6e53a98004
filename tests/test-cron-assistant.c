/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nb-assistant.h"
#include "nb-config-edit.h"
#include "nb-cron-service.h"
#include "nb-fake-llm.h"
#include "nb-heartbeat.h"
#include "nb-test-util.h"

/*
 * Scheduled jobs through NbAssistant, against the fake OpenAI-compatible
 * server: the `cron` tool in a turn, a job firing (by a hand-moved
 * clock) whose reply lands in cron:<id> and in the conversation it was
 * made in, a missed job caught up late, the heartbeat's decision and
 * run, and the real binary's --run-due-jobs and -m.
 */

typedef struct {
  char        *dir;
  char        *workspace;
  char        *config_path;
  char        *jobs_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  gint64       now;
  gint64       armed;
  guint        n_finished;
  char        *last_result;
  gboolean     last_late;
} Fixture;

static void
write_config (Fixture    *f,
              const char *extra)
{
  g_autofree char *text =
    g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"main-model\",\"workspace\":\"%s\"}},"
                     "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}%s}",
                     f->workspace, nb_fake_llm_get_url (f->fake), extra != NULL ? extra : "");

  nb_test_write_file (f->config_path, text);
}

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
  ((Fixture *) data)->armed = due_ms;
}

static void
finished_cb (NbCronService *service,
             NbCronJob     *job,
             const char    *result,
             const char    *error,
             gboolean       late,
             Fixture       *f)
{
  g_free (f->last_result);
  f->last_result = g_strdup (result != NULL ? result : error);
  f->last_late = late;
  f->n_finished++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autoptr(GError) error = NULL;
  NbCronService *service;

  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->jobs_path = g_build_filename (f->dir, "cron", "jobs.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  g_mkdir_with_parents (f->workspace, 0700);
  write_config (f, data);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);
  f->now = g_get_real_time () / 1000;
  f->armed = -2;
  service = nb_assistant_get_cron_service (f->assistant);
  g_assert_cmpstr (nb_cron_service_get_path (service), ==, f->jobs_path);
  nb_cron_service_set_clock (service, fake_now, fake_arm, f);
  g_signal_connect (service, "job-finished", G_CALLBACK (finished_cb), f);
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
  g_autoptr(GAsyncResult) result = NULL;
  gboolean gone = FALSE;

  if (f->assistant == NULL)
    goto done;  /* the test closed it */
  nb_assistant_stop_scheduler (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, NULL));
  g_clear_object (&result);
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_object_unref (f->assistant);
  /* The last reference may go in a worker thread: poll. */
  for (int i = 0; i < 30000 && !g_atomic_int_get (&gone); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_true (gone);
done:
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->config_path);
  g_free (f->jobs_path);
  g_free (f->last_result);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
queue_tool_call (Fixture    *f,
                 const char *name,
                 const char *arguments_json)
{
  g_autofree char *escaped = g_strescape (arguments_json, NULL);
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                     "\"id\":\"call_%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\","
                     "\"arguments\":\"%s\"}}]}}]}\n\n"
                     "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                     "data: [DONE]\n\n", name, name, escaped);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static NbSession *
open_session (Fixture    *f,
              const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NbSession *session;

  nb_assistant_open_session_async (f->assistant, key, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  return session;
}

static char *
run (Fixture    *f,
     NbSession  *session,
     const char *input)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *reply;

  nb_assistant_run_async (f->assistant, session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static void
wait_finished (Fixture *f,
               guint    n)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (f->n_finished < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
start_scheduler (Fixture *f)
{
  nb_assistant_start_scheduler (f->assistant);
  while (f->armed == -2)
    g_main_context_iteration (NULL, TRUE);
}

static const char *
last_text (NbSession *session)
{
  guint n = nb_session_get_n_messages (session);

  g_assert_cmpuint (n, >, 0);
  return nb_message_get_content (nb_session_get_message (session, n - 1));
}

static void
test_tool_add (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(NbSession) session = open_session (f, "desktop:abc");
  g_autofree char *reply = NULL;
  g_autofree char *file = NULL;
  NbCronService *service = nb_assistant_get_cron_service (f->assistant);
  NbCronJob *job;
  const char *result;

  queue_tool_call (f, "cron", "{\"action\":\"add\",\"name\":\"stretch\",\"message\":\"Remind me to stretch\","
                              "\"cron_expr\":\"0 9 * * mon-fri\",\"tz\":\"Europe/Berlin\"}");
  queue_text (f, "Done: every weekday at 9.");
  reply = run (f, session, "Remind me to stretch every weekday at 9");
  g_assert_cmpstr (reply, ==, "Done: every weekday at 9.");

  /* The tool's answer, in the Python nanobot's words. */
  result = nb_message_get_content (nb_session_get_message (session, 2));
  g_assert_true (g_str_has_prefix (result, "Created job 'stretch' (id: "));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (service)), ==, 1);
  job = g_list_model_get_item (G_LIST_MODEL (service), 0);
  g_object_unref (job);
  g_assert_cmpstr (nb_cron_job_get_origin_key (job), ==, "desktop:abc");
  g_assert_cmpstr (nb_cron_job_get_tz (job), ==, "Europe/Berlin");

  /* Written before the tool answered. */
  file = nb_test_read_file (f->jobs_path);
  g_assert_nonnull (strstr (file, "\"sessionKey\" : \"desktop:abc\""));

  /* list and remove. */
  queue_tool_call (f, "cron", "{\"action\":\"list\"}");
  queue_text (f, "One job.");
  g_free (reply);
  reply = run (f, session, "What is scheduled?");
  result = nb_message_get_content (nb_session_get_message (session, 6));
  g_assert_true (g_str_has_prefix (result, "Scheduled jobs:\n- stretch (id: "));
  g_assert_nonnull (strstr (result, "cron: 0 9 * * mon-fri (Europe/Berlin)"));
  g_assert_nonnull (strstr (result, "Next run: "));

  {
    g_autofree char *arguments = g_strdup_printf ("{\"action\":\"remove\",\"job_id\":\"%s\"}", nb_cron_job_get_id (job));
    g_autofree char *expected = g_strdup_printf ("Removed job %s", nb_cron_job_get_id (job));

    queue_tool_call (f, "cron", arguments);
    queue_text (f, "Removed.");
    g_free (reply);
    reply = run (f, session, "Remove it");
    g_assert_cmpstr (nb_message_get_content (nb_session_get_message (session, 10)), ==, expected);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (service)), ==, 0);
  }

  /* Errors the model can act on. */
  queue_tool_call (f, "cron", "{\"action\":\"add\",\"message\":\"x\",\"every_seconds\":60,\"tz\":\"Europe/Berlin\"}");
  queue_text (f, "Oops.");
  g_free (reply);
  reply = run (f, session, "Again");
  g_assert_true (g_str_has_prefix (nb_message_get_content (nb_session_get_message (session, 14)),
                                   "Error: tz can only be used with cron_expr"));
}

static void
test_job_fires (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(NbSession) origin = open_session (f, "desktop:abc");
  g_autoptr(NbSession) own = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *origin_file = NULL;
  g_autofree char *origin_path = NULL;
  NbCronService *service = nb_assistant_get_cron_service (f->assistant);
  NbCronJob *job;
  JsonObject *request;

  start_scheduler (f);
  job = nb_cron_service_add_job (service, "stretch", "Remind me to stretch", NB_CRON_SCHEDULE_EVERY,
                                 3600 * 1000, NULL, NULL, "desktop:abc", &error);
  g_assert_no_error (error);
  g_assert_cmpint (f->armed, ==, f->now + 3600 * 1000);
  key = nb_cron_job_dup_session_key (job);

  queue_text (f, "Time to stretch!");
  f->now += 3600 * 1000;
  nb_cron_service_fire (service);
  wait_finished (f, 1);
  g_assert_cmpstr (f->last_result, ==, "Time to stretch!");
  g_assert_false (f->last_late);

  /* The model got the job's message in its own conversation … */
  request = nb_fake_llm_get_request_object (f->fake, 0);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "Remind me to stretch"));
  g_assert_null (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "This run is late"));
  (void) request;
  own = open_session (f, key);
  g_assert_cmpstr (last_text (own), ==, "Time to stretch!");

  /* … and the reply is in the conversation the job was made in, marked. */
  g_assert_cmpuint (nb_session_get_n_messages (origin), ==, 1);
  g_assert_nonnull (strstr (last_text (origin), "Time to stretch!"));
  g_assert_nonnull (strstr (last_text (origin), "Scheduled job “stretch”"));
  g_assert_cmpstr (nb_message_get_sender (nb_session_get_message (origin, 0)), ==, "cron");
  origin_path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:abc");
  origin_file = nb_test_read_file (origin_path);
  g_assert_nonnull (strstr (origin_file, "Time to stretch!"));

  g_assert_cmpstr (nb_cron_job_get_last_status (job), ==, "ok");
  g_assert_cmpint (f->armed, ==, f->now + 3600 * 1000);
}

static void
test_late (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->jobs_path);
  g_autofree char *text =
    g_strdup_printf ("{\"version\":1,\"jobs\":[{\"id\":\"late0001\",\"name\":\"digest\",\"enabled\":true,"
                     "\"schedule\":{\"kind\":\"cron\",\"expr\":\"0 7 * * *\",\"tz\":\"UTC\"},"
                     "\"payload\":{\"kind\":\"agent_turn\",\"message\":\"Send the digest\",\"sessionKey\":\"desktop:abc\"},"
                     "\"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                     f->now - 3 * 86400 * 1000);
  g_autoptr(NbSession) origin = NULL;

  g_mkdir_with_parents (dir, 0700);
  nb_test_write_file (f->jobs_path, text);
  queue_text (f, "Here is the digest, a bit late.");
  start_scheduler (f);
  wait_finished (f, 1);
  g_assert_true (f->last_late);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "This run is late"));
  origin = open_session (f, "desktop:abc");
  g_assert_nonnull (strstr (last_text (origin), "(late: it was due at "));
  /* Once, not three times. */
  nb_cron_service_fire (nb_assistant_get_cron_service (f->assistant));
  g_assert_cmpuint (f->n_finished, ==, 1);
}

static char *
beat (Fixture *f)
{
  NbHeartbeat *heartbeat = nb_assistant_get_heartbeat (f->assistant);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *report;

  nb_heartbeat_tick_async (heartbeat, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  report = nb_heartbeat_tick_finish (heartbeat, result, &error);
  g_assert_no_error (error);
  return report;
}

static void
test_heartbeat (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->workspace, "HEARTBEAT.md", NULL);
  g_autofree char *report = NULL;
  g_autoptr(NbSession) session = NULL;
  JsonObject *request;

  /* No file, no tasks: no call at all. */
  g_assert_null (beat (f));
  nb_test_write_file (path, "# Heartbeat\n\n## Tasks\n\n<!-- - [ ] an example -->\n");
  g_assert_null (beat (f));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);

  /* Tasks, but the model says skip: one small call. */
  nb_test_write_file (path, "# Heartbeat\n\n## Tasks\n\n- [ ] Check notes/inbox.md for new notes\n");
  queue_tool_call (f, "heartbeat", "{\"action\":\"skip\"}");
  g_assert_null (beat (f));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  request = nb_fake_llm_get_request_object (f->fake, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (request, "tools")), ==, 1);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "Check notes/inbox.md"));

  /* Run: the tasks become a turn in the heartbeat conversation. */
  queue_tool_call (f, "heartbeat", "{\"action\":\"run\",\"tasks\":\"Check the inbox for new notes\"}");
  queue_text (f, "You have 2 new notes in your inbox.");
  report = beat (f);
  g_assert_cmpstr (report, ==, "You have 2 new notes in your inbox.");
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 2)->body, "Check the inbox for new notes"));
  session = open_session (f, "heartbeat");
  g_assert_cmpstr (last_text (session), ==, "You have 2 new notes in your inbox.");

  /* Nothing to say: no report. */
  queue_tool_call (f, "heartbeat", "{\"action\":\"run\",\"tasks\":\"Check the inbox\"}");
  queue_text (f, "All clear.");
  g_clear_pointer (&report, g_free);
  report = beat (f);
  g_assert_null (report);

  /* Off by default; the setting turns it on. */
  nb_assistant_start_scheduler (f->assistant);
  g_assert_false (nb_heartbeat_is_active (nb_assistant_get_heartbeat (f->assistant)));
  nb_config_set_boolean (f->config, "gateway.heartbeat.enabled", TRUE);
  nb_config_set_int (f->config, "gateway.heartbeat.intervalS", 600);
  g_assert_true (nb_config_save (f->config, f->config_path, NULL));
  g_assert_true (nb_heartbeat_is_active (nb_assistant_get_heartbeat (f->assistant)));
  g_assert_cmpuint (nb_heartbeat_get_interval (nb_assistant_get_heartbeat (f->assistant)), ==, 600);
}

/* Iterates the main loop until @done (a predicate on @f) or fails. */
static void
wait_until (Fixture     *f,
            gboolean   (*done) (Fixture *f),
            const char  *what)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!done (f))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
beat_over (Fixture *f)
{
  return !nb_heartbeat_is_beating (nb_assistant_get_heartbeat (f->assistant));
}

/* Moves the fake clock by @seconds and lets the timer go off: returns
 * whether a beat started (and waits for its end). */
static gboolean
advance (Fixture *f,
         gint64   seconds)
{
  NbHeartbeat *heartbeat = nb_assistant_get_heartbeat (f->assistant);
  gboolean beat;

  f->now += seconds * 1000;
  nb_cron_service_fire (nb_assistant_get_cron_service (f->assistant));
  beat = nb_heartbeat_is_beating (heartbeat);
  wait_until (f, beat_over, "the beat to end");
  return beat;
}

static gint64 expected_armed;

static gboolean
armed_as_expected (Fixture *f)
{
  return f->armed == expected_armed;
}

/* The heartbeat's timer is the scheduler's clock: a beat exactly once
 * per interval, none while disabled, and config.json's settings applied
 * while running, whether Preferences wrote them or another program. */
static void
test_heartbeat_clock (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->workspace, "HEARTBEAT.md", NULL);
  NbHeartbeat *heartbeat = nb_assistant_get_heartbeat (f->assistant);
  NbConfigEdit *edit;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  nb_test_write_file (path, "# Heartbeat\n\n## Active Tasks\n\n- Check notes/inbox.md\n");
  start_scheduler (f);

  /* Off by default: no timer, and a day passes without a call. */
  g_assert_cmpint (f->armed, ==, -1);
  g_assert_false (nb_heartbeat_is_active (heartbeat));
  g_assert_false (advance (f, 86400));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);

  /* Turned on as Preferences does: due one interval from now. */
  edit = nb_config_edit_new ();
  nb_config_edit_set_boolean (edit, "gateway.heartbeat.enabled", TRUE);
  nb_config_edit_set_int (edit, "gateway.heartbeat.intervalS", 600);
  g_assert_true (nb_config_write (f->config, edit, &error));
  g_assert_no_error (error);
  g_assert_true (nb_heartbeat_is_active (heartbeat));
  g_assert_cmpint (f->armed, ==, f->now + 600 * 1000);

  /* Not a second early; then exactly one beat, and the next one armed. */
  g_assert_false (advance (f, 599));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);
  queue_tool_call (f, "heartbeat", "{\"action\":\"skip\"}");
  g_assert_true (advance (f, 1));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  g_assert_cmpint (f->armed, ==, f->now + 600 * 1000);
  g_assert_false (advance (f, 0));
  g_assert_false (advance (f, 300));
  queue_tool_call (f, "heartbeat", "{\"action\":\"skip\"}");
  g_assert_true (advance (f, 300));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);

  /* Asleep for three intervals: one beat, not three. */
  queue_tool_call (f, "heartbeat", "{\"action\":\"skip\"}");
  g_assert_true (advance (f, 3 * 600 + 10));
  g_assert_false (advance (f, 0));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  g_assert_cmpint (f->armed, ==, f->now + 600 * 1000);

  /* Another program edits config.json: the file monitor's reload
   * applies the new interval without a restart … */
  text = nb_test_read_file (f->config_path);
  g_assert_nonnull (strstr (text, "\"intervalS\" : 600"));
  {
    g_autoptr(GString) edited = g_string_new (text);

    g_string_replace (edited, "\"intervalS\" : 600", "\"intervalS\" : 120", 1);
    nb_test_write_file (f->config_path, edited->str);
  }
  expected_armed = f->now + 120 * 1000;
  wait_until (f, armed_as_expected, "the new interval");
  g_assert_cmpuint (nb_heartbeat_get_interval (heartbeat), ==, 120);
  g_assert_false (advance (f, 119));
  queue_tool_call (f, "heartbeat", "{\"action\":\"skip\"}");
  g_assert_true (advance (f, 1));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 4);

  /* … and turns it off: no timer, no beat. */
  g_free (text);
  text = nb_test_read_file (f->config_path);
  {
    g_autoptr(GString) edited = g_string_new (text);

    g_string_replace (edited, "\"enabled\" : true", "\"enabled\" : false", 1);
    nb_test_write_file (f->config_path, edited->str);
  }
  expected_armed = -1;
  wait_until (f, armed_as_expected, "the timer to go");
  g_assert_false (nb_heartbeat_is_active (heartbeat));
  g_assert_false (advance (f, 7 * 86400));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 4);
}

/* Taking the scheduler over from nanobot --run-due-jobs */

typedef struct {
  pid_t pid;
  int   release;  /* closing it lets the child go */
} LockHolder;

/* A forked child holds @path's lock until lock_holder_release(). It only
 * makes async-signal-safe calls (this process has threads). */
static LockHolder
lock_holder_start (const char *path)
{
  LockHolder holder;
  int ready[2], release[2];
  char c;

  g_assert_true (g_unix_open_pipe (ready, FD_CLOEXEC, NULL));
  g_assert_true (g_unix_open_pipe (release, FD_CLOEXEC, NULL));
  holder.pid = fork ();
  g_assert_cmpint (holder.pid, >=, 0);
  if (holder.pid == 0)
    {
      int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

      close (ready[0]);
      close (release[1]);
      if (fd < 0 || flock (fd, LOCK_EX) != 0 || write (ready[1], "x", 1) != 1)
        _exit (1);
      while (read (release[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (ready[1]);
  close (release[0]);
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  close (ready[0]);
  holder.release = release[1];
  return holder;
}

static void
lock_holder_release (LockHolder *holder)
{
  int status = 0;

  close (holder->release);
  g_assert_cmpint (waitpid (holder->pid, &status, 0), ==, holder->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* Whether this process could take @path's lock now. */
static gboolean
lock_is_free (const char *path)
{
  int fd = open (path, O_RDWR | O_CLOEXEC);
  gboolean is_free;

  g_assert_cmpint (fd, >=, 0);
  is_free = flock (fd, LOCK_EX | LOCK_NB) == 0;
  close (fd);
  return is_free;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  /* A blocked main loop would not come back from here in time. */
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
water_and_tea (gint64 water_next,
               gint64 tea_next)
{
  return g_strdup_printf ("{\"version\":1,\"jobs\":["
                          "{\"id\":\"water001\",\"name\":\"water\",\"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                          " \"payload\":{\"message\":\"Remind me to water the plants\"},"
                          " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}},"
                          "{\"id\":\"tea00001\",\"name\":\"tea\",\"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                          " \"payload\":{\"message\":\"Remind me to make tea\"},"
                          " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                          water_next, tea_next);
}

static gboolean
scheduler_started (Fixture *f)
{
  return nb_cron_service_is_started (nb_assistant_get_cron_service (f->assistant));
}

/* Another process (nanobot --run-due-jobs) holds the lock when the
 * scheduler starts: nothing runs here, the main loop goes on, and the
 * moment the other process ends the scheduler starts, reads jobs.json
 * again and runs what came due meanwhile, once; not what the other
 * process ran. */
static void
test_takeover (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *cron = g_path_get_dirname (f->jobs_path);
  g_autofree char *lock = g_build_filename (cron, "scheduler.lock", NULL);
  g_autofree char *before = water_and_tea (f->now - 10 * 60 * 1000, f->now + 30 * 1000);
  g_autofree char *after = water_and_tea (f->now - 10 * 60 * 1000 + 3600 * 1000, f->now + 30 * 1000);
  NbCronService *service = nb_assistant_get_cron_service (f->assistant);
  g_autoptr(GAsyncResult) result = NULL;
  LockHolder holder;

  g_mkdir_with_parents (cron, 0700);
  nb_test_write_file (f->jobs_path, before);
  holder = lock_holder_start (lock);

  /* The jobs window has read the jobs. */
  nb_cron_service_load_async (service, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_cron_service_load_finish (service, result, NULL));

  nb_assistant_start_scheduler (f->assistant);
  spin (300);
  g_assert_false (scheduler_started (f));
  g_assert_cmpint (f->armed, ==, -2);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);
  /* Once more changes nothing. */
  nb_assistant_start_scheduler (f->assistant);

  /* The other process runs "water" and saves; a minute later, as it
   * ends, "tea" is due. */
  nb_test_write_file (f->jobs_path, after);
  f->now += 60 * 1000;
  queue_text (f, "Time for tea.");
  lock_holder_release (&holder);

  wait_until (f, scheduler_started, "the scheduler to start");
  wait_finished (f, 1);
  g_assert_cmpstr (f->last_result, ==, "Time for tea.");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "Remind me to make tea"));
  g_assert_null (strstr (nb_fake_llm_get_request (f->fake, 0)->body, "water the plants"));
  /* The lock is ours now, and the timer armed for "water". */
  g_assert_false (lock_is_free (lock));
  g_assert_cmpint (f->armed, ==, f->now - 11 * 60 * 1000 + 3600 * 1000);
  nb_cron_service_fire (service);
  spin (100);
  g_assert_cmpuint (f->n_finished, ==, 1);

  /* Stopping lets it go (--run-due-jobs may run them again). */
  nb_assistant_stop_scheduler (f->assistant);
  g_assert_true (lock_is_free (lock));
}

static gboolean
lock_free_now (Fixture *f)
{
  g_autofree char *cron = g_path_get_dirname (f->jobs_path);
  g_autofree char *lock = g_build_filename (cron, "scheduler.lock", NULL);

  return lock_is_free (lock);
}

/* Quitting while the scheduler waits: the assistant goes at once (the
 * waiting thread holds nothing of it), and when the other process ends
 * the thread lets the lock go; nothing runs. */
static void
test_takeover_quit (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *cron = g_path_get_dirname (f->jobs_path);
  g_autofree char *lock = g_build_filename (cron, "scheduler.lock", NULL);
  g_autofree char *jobs = water_and_tea (f->now - 60 * 1000, f->now - 60 * 1000);
  g_autofree char *unchanged = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  NbAssistant *assistant = f->assistant;
  gboolean gone = FALSE;
  LockHolder holder;

  g_mkdir_with_parents (cron, 0700);
  nb_test_write_file (f->jobs_path, jobs);
  holder = lock_holder_start (lock);
  nb_assistant_start_scheduler (assistant);
  spin (200);
  g_assert_false (scheduler_started (f));

  /* Quit as the application does, but without stopping the scheduler
   * first: disposing the assistant must end the wait too. */
  nb_assistant_close_async (assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (assistant, result, NULL));
  g_clear_object (&result);
  f->assistant = NULL;
  g_object_weak_ref (G_OBJECT (assistant), gone_cb, &gone);
  g_object_unref (assistant);
  for (int i = 0; i < 10000 && !g_atomic_int_get (&gone); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_true (gone);

  lock_holder_release (&holder);
  wait_until (f, lock_free_now, "the waiting thread to let the lock go");
  spin (200);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);
  unchanged = nb_test_read_file (f->jobs_path);
  g_assert_cmpstr (unchanged, ==, jobs);
}

/* The real binary */

static int
run_nanobot (Fixture     *f,
             const char  *data_home,
             const char  *const *args,
             char       **out,
             char       **err)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", f->dir, TRUE);
  g_ptr_array_add (argv, (char *) g_getenv ("NANOBOT_BIN"));
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, f->config_path);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  g_subprocess_communicate_utf8_finish (process, result, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_run_due_jobs (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *data_home = g_build_filename (f->dir, "data", NULL);
  g_autofree char *cron = g_build_filename (data_home, "nanobot", "cron", NULL);
  g_autofree char *jobs = g_build_filename (cron, "jobs.json", NULL);
  g_autofree char *session = g_build_filename (data_home, "nanobot", "sessions", "cron_due00001.jsonl", NULL);
  g_autofree char *origin = g_build_filename (data_home, "nanobot", "sessions", "desktop_abc.jsonl", NULL);
  g_autofree char *text =
    g_strdup_printf ("{\"version\":1,\"jobs\":["
                     "{\"id\":\"due00001\",\"name\":\"water\",\"schedule\":{\"kind\":\"every\",\"everyMs\":3600000},"
                     " \"payload\":{\"message\":\"Remind me to water the plants\",\"sessionKey\":\"desktop:abc\"},"
                     " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}}]}",
                     f->now - 10 * 60 * 1000);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *after = NULL;
  g_autofree char *file = NULL;
  const char *run_due[] = { "--run-due-jobs", NULL };
  const char *message[] = { "-m", "hello", NULL };

  g_mkdir_with_parents (cron, 0700);
  nb_test_write_file (jobs, text);

  /* -m never runs jobs: one request, for the message. */
  queue_text (f, "Hi.");
  g_assert_cmpint (run_nanobot (f, data_home, message, &out, &err), ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  after = nb_test_read_file (jobs);
  g_assert_cmpstr (after, ==, text);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  queue_text (f, "Water the plants now.");
  g_assert_cmpint (run_nanobot (f, data_home, run_due, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "Ran job “water” (due00001), late\n");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 1)->body, "Remind me to water the plants"));
  file = nb_test_read_file (session);
  g_assert_nonnull (strstr (file, "Water the plants now."));
  g_free (file);
  file = nb_test_read_file (origin);
  g_assert_nonnull (strstr (file, "Water the plants now."));
  g_free (after);
  after = nb_test_read_file (jobs);
  g_assert_nonnull (strstr (after, "\"lastStatus\" : \"ok\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A running Nanobot (it holds the scheduler's lock) runs them itself. */
  {
    g_autofree char *lock = g_build_filename (cron, "scheduler.lock", NULL);
    g_autofree char *due = g_strdup_printf ("{\"version\":1,\"jobs\":[{\"id\":\"due00002\",\"name\":\"again\","
                                            "\"schedule\":{\"kind\":\"every\",\"everyMs\":60000},"
                                            "\"payload\":{\"message\":\"x\"},\"state\":{\"nextRunAtMs\":1}}]}");
    g_autofree char *unchanged = NULL;
    int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
    nb_test_write_file (jobs, due);
    g_assert_cmpint (run_nanobot (f, data_home, run_due, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "Nanobot is running and runs the scheduled jobs itself\n");
    g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
    unchanged = nb_test_read_file (jobs);
    g_assert_cmpstr (unchanged, ==, due);
    close (fd);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    nb_test_write_file (jobs, after);
  }

  /* Nothing due now. */
  g_assert_cmpint (run_nanobot (f, data_home, run_due, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "No scheduled job is due\n");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/cron-assistant/tool", test_tool_add);
  ADD ("/cron-assistant/job-fires", test_job_fires);
  ADD ("/cron-assistant/late", test_late);
  ADD ("/cron-assistant/heartbeat", test_heartbeat);
  ADD ("/cron-assistant/heartbeat-clock", test_heartbeat_clock);
  ADD ("/cron-assistant/takeover", test_takeover);
  ADD ("/cron-assistant/takeover-quit", test_takeover_quit);
  ADD ("/cron-assistant/run-due-jobs", test_run_due_jobs);
#undef ADD

  return g_test_run ();
}
