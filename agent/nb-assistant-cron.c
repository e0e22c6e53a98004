/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "nb-assistant-private.h"
#include "nb-cron-lock.h"
#include "nb-cron-tool.h"
#include "nb-heartbeat.h"

/*
 * Scheduled jobs on the assistant: the `cron` tool, the NbCronService of
 * $XDG_DATA_HOME/nanobot/cron/jobs.json (beside the sessions folder) and
 * its runner.
 *
 * A run is an agent turn in the job's own conversation, cron:<id>, with
 * the job's message as the user's input (and a line saying that the run
 * is late, when it is a missed one caught up at start-up). Its reply is
 * then appended to the conversation the job was made in, as an assistant
 * message with "sender": "cron" that names the job: out of band, like a
 * sub-agent's report, but without a turn of its own. If a turn is running
 * in that conversation, the message waits for its end, so it never lands
 * between a tool call and its result.
 *
 * Nothing runs jobs until a front end that stays running calls
 * nb_assistant_start_scheduler() (the window's application). `nanobot -m`
 * only has the tool; `nanobot --run-due-jobs` calls
 * nb_assistant_run_due_jobs_async(). The scheduler holds a lock on
 * cron/scheduler.lock, so --run-due-jobs leaves the jobs to a running app.
 * When --run-due-jobs has the lock as the scheduler starts, the scheduler
 * waits for it (nb-cron-lock.c: a thread blocked in flock, detached if
 * the scheduler is stopped first) and starts the moment it is free,
 * reading jobs.json again, so what --run-due-jobs ran does not run twice.
 */

#define SERVICE_KEY   "nb-cron-service"
#define HEARTBEAT_KEY "nb-heartbeat"
#define LOCK_KEY      "nb-cron-lock"
#define WAIT_KEY      "nb-cron-lock-wait"

static char *
cron_dir (NbAssistant *self)
{
  g_autofree char *data_dir = g_path_get_dirname (self->sessions_dir);

  return g_build_filename (data_dir, "cron", NULL);
}

/* Delivery to the conversation the job came from */

typedef struct {
  NbAssistant *self;
  NbSession   *session;
  char        *text;
  char        *job_id;
  char        *job_name;
  gulong       handler;
  NbCronRun   *run;     /* ended once the message is in */
  char        *reply;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->self);
  g_clear_object (&delivery->session);
  g_free (delivery->text);
  g_free (delivery->job_id);
  g_free (delivery->job_name);
  g_free (delivery->reply);
  g_free (delivery);
}

/* The run ends when its result is where it goes: `--run-due-jobs` exits then. */
static void
delivery_done (Delivery *delivery)
{
  nb_cron_run_done (delivery->run, delivery->reply, NULL);
  delivery_free (delivery);
}

static void
deliver_now (Delivery *delivery)
{
  NbAssistant *self = delivery->self;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(NbMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *timestamp = nb_message_make_timestamp ();

  json_object_set_string_member (object, "role", "assistant");
  json_object_set_string_member (object, "content", delivery->text);
  json_object_set_string_member (object, "timestamp", timestamp);
  json_object_set_string_member (object, "sender", "cron");
  json_object_set_string_member (object, "cron_job_id", delivery->job_id);
  json_object_set_string_member (object, "cron_job_name", delivery->job_name);
  message = nb_message_new_from_json (object);
  nb_session_append (delivery->session, message);
  if (!nb_session_store_append (self->store, delivery->session, &error) ||
      !nb_session_store_sync (self->store, delivery->session, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the conversation: %s"), error->message);

      nb_assistant_warn (self, text);
    }
  if (self->conversations != NULL)
    nb_conversation_list_update_from_session (self->conversations, delivery->session);
}

static void
turn_finished_cb (NbAgent    *agent,
                  NbSession  *session,
                  const char *reply,
                  GError     *error,
                  Delivery   *delivery)
{
  if (session != delivery->session || nb_agent_is_running (agent, nb_session_get_key (session)))
    return;
  g_signal_handler_disconnect (agent, delivery->handler);
  deliver_now (delivery);
  delivery_done (delivery);
}

static void
origin_opened_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  delivery->session = nb_assistant_open_session_finish (delivery->self, result, &error);
  if (delivery->session == NULL)
    {
      g_message ("Could not open the conversation of job %s: %s", delivery->job_id, error->message);
      delivery_done (delivery);
      return;
    }
  if (nb_agent_is_running (delivery->self->agent, nb_session_get_key (delivery->session)))
    {
      delivery->handler = g_signal_connect (delivery->self->agent, "turn-finished",
                                            G_CALLBACK (turn_finished_cb), delivery);
      return;
    }
  deliver_now (delivery);
  delivery_done (delivery);
}

/* Runs */

typedef struct {
  NbAssistant *self;
  NbCronRun   *run;
  NbCronJob   *job;
} JobRun;

static void
job_run_free (JobRun *job_run)
{
  g_clear_object (&job_run->self);
  g_clear_object (&job_run->job);
  g_free (job_run);
}

static char *
local_time (gint64 ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static void
job_turn_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  JobRun *job_run = user_data;
  NbAssistant *self = job_run->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = nb_assistant_run_finish (self, result, NULL, &error);
  const char *origin = nb_cron_job_get_origin_key (job_run->job);
  g_autofree char *own_key = nb_cron_job_dup_session_key (job_run->job);

  if (reply != NULL && *reply != '\0' && origin != NULL && !g_str_equal (origin, own_key))
    {
      Delivery *delivery = g_new0 (Delivery, 1);
      g_autofree char *heading = NULL;

      if (nb_cron_run_is_late (job_run->run))
        {
          g_autofree char *due = local_time (nb_cron_run_get_due_ms (job_run->run));

          /* Translators: a heading over a scheduled job's result in the chat */
          heading = g_strdup_printf (_("Scheduled job “%s” (late: it was due at %s)"),
                                     nb_cron_job_get_name (job_run->job), due);
        }
      else
        heading = g_strdup_printf (_("Scheduled job “%s”"), nb_cron_job_get_name (job_run->job));
      delivery->self = g_object_ref (self);
      delivery->text = g_strdup_printf ("*%s*\n\n%s", heading, reply);
      delivery->job_id = g_strdup (nb_cron_job_get_id (job_run->job));
      delivery->job_name = g_strdup (nb_cron_job_get_name (job_run->job));
      delivery->run = job_run->run;
      delivery->reply = g_steal_pointer (&reply);
      nb_assistant_open_session_async (self, origin, NULL, origin_opened_cb, delivery);
    }
  else
    nb_cron_run_done (job_run->run, reply, error);
  job_run_free (job_run);
}

static void
job_session_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  JobRun *job_run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (job_run->self, result, &error);
  g_autofree char *input = NULL;

  if (session == NULL)
    {
      nb_cron_run_done (job_run->run, NULL, error);
      job_run_free (job_run);
      return;
    }
  if (nb_cron_run_is_late (job_run->run))
    {
      g_autofree char *due = local_time (nb_cron_run_get_due_ms (job_run->run));

      input = g_strdup_printf ("[Scheduled job \"%s\". This run is late: it was due at %s, "
                               "while Nanobot was not running or the computer was asleep. Say so in your answer.]\n\n%s",
                               nb_cron_job_get_name (job_run->job), due, nb_cron_job_get_message (job_run->job));
    }
  else
    input = g_strdup_printf ("[Scheduled job \"%s\"]\n\n%s", nb_cron_job_get_name (job_run->job),
                             nb_cron_job_get_message (job_run->job));
  nb_assistant_run_async (job_run->self, session, input, NULL, job_turn_cb, job_run);
}

static void
runner (NbCronService *service,
        NbCronJob     *job,
        NbCronRun     *run,
        gpointer       data)
{
  NbAssistant *self = data;
  JobRun *job_run = g_new0 (JobRun, 1);
  g_autofree char *key = nb_cron_job_dup_session_key (job);

  job_run->self = g_object_ref (self);
  job_run->run = run;
  job_run->job = g_object_ref (job);
  nb_assistant_open_session_async (self, key, NULL, job_session_cb, job_run);
}

/* See nb-assistant-private.h: the service (nothing read yet) and the tool. */
void
nb_assistant_cron_init (NbAssistant *self)
{
  g_autofree char *dir = cron_dir (self);
  g_autofree char *path = g_build_filename (dir, "jobs.json", NULL);
  NbCronService *service = nb_cron_service_new (path);
  g_autoptr(NbTool) tool = nb_cron_tool_new (service);

  /* The service is the assistant's (qdata, dropped in dispose); the
   * runner borrows the assistant. */
  nb_cron_service_set_runner (service, runner, self, NULL);
  g_object_set_data_full (G_OBJECT (self), SERVICE_KEY, service, g_object_unref);
  nb_tool_registry_add (self->tools, tool);
}

/**
 * nb_assistant_get_cron_service:
 *
 * Returns: (transfer none): the scheduled jobs (a GListModel of NbCronJob)
 */
NbCronService *
nb_assistant_get_cron_service (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);

  return g_object_get_data (G_OBJECT (self), SERVICE_KEY);
}

/**
 * nb_assistant_get_heartbeat:
 *
 * Returns: (transfer none): the heartbeat (made on first use)
 */
NbHeartbeat *
nb_assistant_get_heartbeat (NbAssistant *self)
{
  NbHeartbeat *heartbeat;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);

  heartbeat = g_object_get_data (G_OBJECT (self), HEARTBEAT_KEY);
  if (heartbeat == NULL)
    {
      heartbeat = nb_heartbeat_new (self);
      g_object_set_data_full (G_OBJECT (self), HEARTBEAT_KEY, heartbeat, g_object_unref);
    }
  return heartbeat;
}

static void
close_lock (gpointer data)
{
  close (GPOINTER_TO_INT (data) - 1);
}

static char *
lock_path (NbAssistant *self)
{
  g_autofree char *dir = cron_dir (self);

  return g_build_filename (dir, "scheduler.lock", NULL);
}

/* Takes cron/scheduler.lock; FALSE when another process has it. */
static gboolean
take_lock (NbAssistant *self)
{
  g_autofree char *path = NULL;
  gboolean busy;
  int fd;

  if (g_object_get_data (G_OBJECT (self), LOCK_KEY) != NULL)
    return TRUE;
  path = lock_path (self);
  fd = nb_cron_lock_try (path, &busy);
  if (fd < 0)
    return !busy;  /* nowhere to lock: go on without */
  g_object_set_data_full (G_OBJECT (self), LOCK_KEY, GINT_TO_POINTER (fd + 1), close_lock);
  return TRUE;
}

static void
begin_scheduler (NbAssistant *self)
{
  nb_cron_service_start (nb_assistant_get_cron_service (self));
  nb_heartbeat_start (nb_assistant_get_heartbeat (self));
}

/* Waiting for the lock: the assistant keeps the wait's cancellable (as
 * WAIT_KEY; stopping the scheduler or disposing the assistant cancels
 * it), the wait holds only a weak reference to the assistant. */

static void
cancel_wait (gpointer data)
{
  g_cancellable_cancel (data);
  g_object_unref (data);
}

static void
lock_waited_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(NbAssistant) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  int fd = nb_cron_lock_wait_finish (result, &error);

  g_weak_ref_clear (weak);
  g_free (weak);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* stopped meanwhile; the thread lets the lock go */
  if (self == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  g_object_set_data (G_OBJECT (self), WAIT_KEY, NULL);
  if (fd < 0)
    g_message ("Could not wait for the scheduler's lock: %s", error->message);
  else
    {
      g_debug ("The scheduler's lock is free: running the scheduled jobs here");
      g_object_set_data_full (G_OBJECT (self), LOCK_KEY, GINT_TO_POINTER (fd + 1), close_lock);
    }
  begin_scheduler (self);
}

/**
 * nb_assistant_start_scheduler:
 *
 * Runs scheduled jobs from now on (the missed ones once, late) and the
 * heartbeat when gateway.heartbeat.enabled is set. For front ends that
 * stay running; `nanobot -m` never calls it. While another process
 * (`nanobot --run-due-jobs`) holds the scheduler's lock, nothing runs
 * here; the scheduler starts as soon as that process lets go.
 */
void
nb_assistant_start_scheduler (NbAssistant *self)
{
  GCancellable *cancellable;
  GWeakRef *weak;
  g_autofree char *path = NULL;

  g_return_if_fail (NB_IS_ASSISTANT (self));

  if (g_object_get_data (G_OBJECT (self), WAIT_KEY) != NULL)
    return;  /* waiting already */
  if (take_lock (self))
    {
      begin_scheduler (self);
      return;
    }
  g_message ("Another process runs the scheduled jobs now (%s); they run here when it ends",
             "nanobot --run-due-jobs");
  cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (self), WAIT_KEY, cancellable, cancel_wait);
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  path = lock_path (self);
  nb_cron_lock_wait_async (path, cancellable, lock_waited_cb, weak);
}

void
nb_assistant_stop_scheduler (NbAssistant *self)
{
  g_return_if_fail (NB_IS_ASSISTANT (self));

  g_object_set_data (G_OBJECT (self), WAIT_KEY, NULL);
  nb_cron_service_stop (nb_assistant_get_cron_service (self));
  nb_heartbeat_stop (nb_assistant_get_heartbeat (self));
  g_object_set_data (G_OBJECT (self), LOCK_KEY, NULL);
}

static void
run_due_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  if (!nb_cron_service_run_due_finish (NB_CRON_SERVICE (source), result, &n, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, n);
}

/**
 * nb_assistant_run_due_jobs_async:
 *
 * Runs the jobs that are due, once each, and ends when they and
 * jobs.json are done. Fails with G_IO_ERROR_BUSY when a running Nanobot
 * runs the jobs itself.
 */
void
nb_assistant_run_due_jobs_async (NbAssistant         *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_ASSISTANT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_run_due_jobs_async);
  if (!take_lock (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("Nanobot is running and runs the scheduled jobs itself"));
      return;
    }
  nb_cron_service_run_due_async (nb_assistant_get_cron_service (self), cancellable,
                                 run_due_cb, g_steal_pointer (&task));
}

/**
 * nb_assistant_run_due_jobs_finish:
 *
 * Returns: how many jobs ran, or -1 with @error set
 */
int
nb_assistant_run_due_jobs_finish (NbAssistant   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}
