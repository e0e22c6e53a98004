/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-cron-service-private.h"

/*
 * NbCronService: the scheduled jobs of jobs.json as a GListModel of
 * NbCronJob, and the one timer that runs them.
 *
 * The timer is armed for the earliest nextRunAtMs of the enabled jobs
 * that are not running, and re-armed after every change; there is no
 * timer at all without jobs. When it goes off (nb_cron_service_fire()),
 * each due job gets its next time computed from now before its run
 * starts, so a run that takes long, or a machine that was off for a
 * week, gives one run and not one per missed tick. A run more than
 * NB_CRON_LATE_MS after its time is "late"; the runner says so.
 *
 * The service does not know what a run is: the runner (NbAssistant's,
 * nb-assistant-cron.c) runs an agent turn and calls nb_cron_run_done().
 * The clock ("now" and arming the timer) can be replaced, so the tests
 * move time by hand and never wait.
 */

typedef struct {
  guint           id;
  gint64          due_ms;
  NbCronWakeFunc  func;
  gpointer        data;
} Wake;

struct _NbCronRun
{
  NbCronService *service;
  NbCronJob     *job;
  gint64         due_ms;
  gint64         start_ms;
  gboolean       late;
};

enum {
  PROP_0,
  PROP_ERROR_MESSAGE,
  N_PROPS
};

enum {
  JOB_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void nb_cron_service_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbCronService, nb_cron_service, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_cron_service_list_model_init))

static GType
nb_cron_service_get_item_type (GListModel *model)
{
  return NB_TYPE_CRON_JOB;
}

static guint
nb_cron_service_get_n_items (GListModel *model)
{
  return NB_CRON_SERVICE (model)->jobs->len;
}

static gpointer
nb_cron_service_get_item (GListModel *model,
                          guint       position)
{
  NbCronService *self = NB_CRON_SERVICE (model);

  if (position >= self->jobs->len)
    return NULL;
  return g_object_ref (self->jobs->pdata[position]);
}

static void
nb_cron_service_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_cron_service_get_item_type;
  iface->get_n_items = nb_cron_service_get_n_items;
  iface->get_item = nb_cron_service_get_item;
}

/* The default clock */

static gint64
real_now (gpointer data)
{
  return g_get_real_time () / 1000;
}

static gboolean
timeout_cb (gpointer data)
{
  NbCronService *self = data;

  self->timeout_id = 0;
  nb_cron_service_fire (self);
  return G_SOURCE_REMOVE;
}

static void
real_arm (NbCronService *self,
          gint64         due_ms,
          gpointer       data)
{
  gint64 delay;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (due_ms < 0)
    return;
  delay = CLAMP (due_ms - real_now (NULL), 0, NB_CRON_MAX_SLEEP_MS);
  self->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) delay, timeout_cb, self, NULL);
}

/* The object */

static void
nb_cron_service_dispose (GObject *object)
{
  NbCronService *self = NB_CRON_SERVICE (object);

  nb_cron_store_stop_monitor (self);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->runner_destroy != NULL)
    self->runner_destroy (self->runner_data);
  self->runner = NULL;
  self->runner_data = NULL;
  self->runner_destroy = NULL;

  G_OBJECT_CLASS (nb_cron_service_parent_class)->dispose (object);
}

static void
nb_cron_service_finalize (GObject *object)
{
  NbCronService *self = NB_CRON_SERVICE (object);

  g_free (self->path);
  g_ptr_array_unref (self->jobs);
  g_free (self->error_message);
  g_free (self->disk_text);
  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->running);
  g_array_unref (self->wakes);

  G_OBJECT_CLASS (nb_cron_service_parent_class)->finalize (object);
}

static void
nb_cron_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NbCronService *self = NB_CRON_SERVICE (object);

  switch (prop_id)
    {
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_cron_service_class_init (NbCronServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_cron_service_dispose;
  object_class->finalize = nb_cron_service_finalize;
  object_class->get_property = nb_cron_service_get_property;

  /**
   * NbCronService:error-message:
   *
   * What is wrong with jobs.json (it does not parse, it cannot be
   * written), translated; %NULL when all is well.
   */
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbCronService::job-finished:
   * @job: the job (already removed when it was a one-shot job)
   * @result: (nullable): the reply of the run
   * @error: (nullable): why the run failed
   * @late: whether the run was a missed one caught up
   */
  signals[JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  NB_TYPE_CRON_JOB,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_BOOLEAN);
}

static void
nb_cron_service_init (NbCronService *self)
{
  self->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  self->running = g_hash_table_new (g_str_hash, g_str_equal);
  self->cancellable = g_cancellable_new ();
  self->now = real_now;
  self->arm = real_arm;
  self->next_wake = -1;
  self->wakes = g_array_new (FALSE, FALSE, sizeof (Wake));
}

/**
 * nb_cron_service_new:
 * @path: jobs.json
 *
 * Reads nothing yet: see nb_cron_service_load_async().
 */
NbCronService *
nb_cron_service_new (const char *path)
{
  NbCronService *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (NB_TYPE_CRON_SERVICE, NULL);
  self->path = g_strdup (path);
  return self;
}

const char *
nb_cron_service_get_path (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), NULL);
  return self->path;
}

void
nb_cron_service_set_clock (NbCronService *self,
                           NbCronNowFunc  now,
                           NbCronArmFunc  arm,
                           gpointer       data)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->now = now != NULL ? now : real_now;
  self->arm = arm != NULL ? arm : real_arm;
  self->clock_data = data;
}

gint64
nb_cron_service_now (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), 0);
  return self->now (self->clock_data);
}

void
nb_cron_service_set_runner (NbCronService  *self,
                            NbCronRunFunc   runner,
                            gpointer        data,
                            GDestroyNotify  destroy)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  if (self->runner_destroy != NULL)
    self->runner_destroy (self->runner_data);
  self->runner = runner;
  self->runner_data = data;
  self->runner_destroy = destroy;
}

void
nb_cron_service_set_error (NbCronService *self,
                           const char    *message)
{
  if (g_strcmp0 (self->error_message, message) == 0)
    return;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  /* A message, not a warning: the problem is the user's file, shown
   * where the jobs are (and a warning would abort the tests). */
  if (message != NULL)
    g_message ("%s", message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

const char *
nb_cron_service_get_error_message (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), NULL);
  return self->error_message;
}

gint
nb_cron_service_job_index (NbCronService *self,
           const char    *id)
{
  for (guint i = 0; i < self->jobs->len; i++)
    if (g_strcmp0 (nb_cron_job_get_id (self->jobs->pdata[i]), id) == 0)
      return (gint) i;
  return -1;
}

void
nb_cron_service_job_changed (NbCronService *self,
             NbCronJob     *job)
{
  gint index = nb_cron_service_job_index (self, job->id);

  if (index >= 0)
    g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 1);
}

/* Gives a job read from the file a next run: an enabled job without one
 * gets the first after now, except a one-shot job that never ran, which
 * runs (late) if its time has passed. A time in the file is kept, even
 * when it has passed: that is a missed run. */
void
nb_cron_service_normalize (NbCronService *self,
           NbCronJob     *job,
           gint64         now)
{
  if (!job->enabled)
    {
      job->next_run_ms = -1;
      return;
    }
  if (job->next_run_ms >= 0)
    return;
  if (job->kind == NB_CRON_SCHEDULE_AT && job->last_run_ms < 0 && job->at_ms >= 0)
    job->next_run_ms = job->at_ms;
  else if (job->kind != NB_CRON_SCHEDULE_AT)
    job->next_run_ms = nb_cron_job_compute_next (job, now);
}

static gboolean
same_schedule (NbCronJob *a,
               NbCronJob *b)
{
  return a->kind == b->kind && a->at_ms == b->at_ms && a->every_ms == b->every_ms &&
         g_strcmp0 (a->expr, b->expr) == 0 && g_strcmp0 (a->tz, b->tz) == 0;
}

void
nb_cron_service_replace_jobs (NbCronService *self,
                              GPtrArray     *jobs)
{
  g_autoptr(GPtrArray) old = self->jobs;
  gint64 now = self->now (self->clock_data);

  self->jobs = g_ptr_array_ref (jobs);
  for (guint i = 0; i < jobs->len; i++)
    {
      NbCronJob *job = jobs->pdata[i];

      /* A running job's next run was set when it started. */
      if (g_hash_table_contains (self->running, job->id))
        continue;
      /* Someone changed the schedule (in an editor) but not the next
       * run: the next run follows the new schedule, from now. */
      for (guint j = 0; j < old->len; j++)
        {
          NbCronJob *before = old->pdata[j];

          if (g_str_equal (before->id, job->id) && job->enabled && !same_schedule (before, job) &&
              job->next_run_ms == before->next_run_ms)
            job->next_run_ms = nb_cron_job_compute_next (job, now);
        }
      nb_cron_service_normalize (self, job, now);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old->len, jobs->len);
}

/* Loading */

gboolean
nb_cron_service_is_loaded (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), FALSE);
  return self->loaded;
}

void
nb_cron_service_loaded (NbCronService *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->load_waiters)) != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

void
nb_cron_service_load_async (NbCronService       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_cron_service_load_async);
  if (self->loaded)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_queue_push_tail (&self->load_waiters, g_steal_pointer (&task));
  if (!self->loading)
    nb_cron_store_load (self);
}

/**
 * nb_cron_service_load_finish:
 *
 * Returns: %TRUE, also when the file did not parse (see
 *   nb_cron_service_get_error_message()): the service is usable, with the
 *   jobs it had
 */
gboolean
nb_cron_service_load_finish (NbCronService  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The timer */

void
nb_cron_service_rearm (NbCronService *self)
{
  gint64 due = -1;

  /* Stopped and no other timer: nothing to arm; the last wake's timer
   * goes. */
  if (!self->started && self->wakes->len == 0)
    {
      if (self->next_wake >= 0)
        {
          self->next_wake = -1;
          self->arm (self, -1, self->clock_data);
        }
      return;
    }
  for (guint i = 0; self->started && i < self->jobs->len; i++)
    {
      NbCronJob *job = self->jobs->pdata[i];

      if (!job->enabled || job->next_run_ms < 0 || g_hash_table_contains (self->running, job->id))
        continue;
      if (due < 0 || job->next_run_ms < due)
        due = job->next_run_ms;
    }
  for (guint i = 0; i < self->wakes->len; i++)
    {
      Wake *wake = &g_array_index (self->wakes, Wake, i);

      if (due < 0 || wake->due_ms < due)
        due = wake->due_ms;
    }
  self->next_wake = due;
  self->arm (self, due, self->clock_data);
}

gint64
nb_cron_service_get_next_wake (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), -1);
  return self->next_wake;
}

void
nb_cron_service_start_run (NbCronService *self,
           NbCronJob     *job,
           gint64         now,
           gboolean       scheduled)
{
  NbCronRun *run = g_new0 (NbCronRun, 1);

  run->service = g_object_ref (self);
  run->job = g_object_ref (job);
  run->start_ms = now;
  run->due_ms = scheduled ? job->next_run_ms : now;
  run->late = scheduled && now - job->next_run_ms > NB_CRON_LATE_MS;
  if (scheduled)
    job->next_run_ms = job->kind == NB_CRON_SCHEDULE_AT ? -1 : nb_cron_job_compute_next (job, now);
  g_hash_table_insert (self->running, job->id, run);
  nb_cron_service_job_changed (self, job);

  g_debug ("Running job %s (%s)%s", job->name, job->id, run->late ? ", late" : "");
  if (self->runner != NULL)
    self->runner (self, job, run, self->runner_data);
  else
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                     _("Nothing runs scheduled jobs here"));

      nb_cron_run_done (run, NULL, error);
    }
}

static guint
run_due (NbCronService *self)
{
  gint64 now = self->now (self->clock_data);
  g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->jobs->len; i++)
    {
      NbCronJob *job = self->jobs->pdata[i];

      if (job->enabled && job->next_run_ms >= 0 && job->next_run_ms <= now &&
          !g_hash_table_contains (self->running, job->id))
        g_ptr_array_add (due, g_object_ref (job));
    }
  if (due->len > 0)
    nb_cron_store_save (self);
  for (guint i = 0; i < due->len; i++)
    nb_cron_service_start_run (self, due->pdata[i], now, TRUE);
  return due->len;
}

/* Calls the other timers that are due, each once. */
static guint
run_wakes (NbCronService *self)
{
  gint64 now = self->now (self->clock_data);
  g_autoptr(GArray) due = g_array_new (FALSE, FALSE, sizeof (Wake));

  for (guint i = 0; i < self->wakes->len;)
    {
      Wake *wake = &g_array_index (self->wakes, Wake, i);

      if (wake->due_ms <= now)
        {
          g_array_append_vals (due, wake, 1);
          g_array_remove_index (self->wakes, i);
        }
      else
        i++;
    }
  /* A function may add a wake (the next beat) or remove one. */
  for (guint i = 0; i < due->len; i++)
    {
      Wake *wake = &g_array_index (due, Wake, i);

      wake->func (self, wake->data);
    }
  return due->len;
}

void
nb_cron_service_fire (NbCronService *self)
{
  guint n_wakes;

  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  g_object_ref (self);
  n_wakes = run_wakes (self);
  if (self->loaded)
    run_due (self);
  /* Before the first read only the other timers are armed (a timer that
   * went off early, after NB_CRON_MAX_SLEEP_MS, is armed again). */
  if (self->loaded || n_wakes > 0 || self->wakes->len > 0)
    nb_cron_service_rearm (self);
  g_object_unref (self);
}

guint
nb_cron_service_add_wake (NbCronService  *self,
                          gint64          due_ms,
                          NbCronWakeFunc  func,
                          gpointer        data)
{
  Wake wake = { 0 };

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  wake.id = ++self->last_wake_id;
  wake.due_ms = due_ms;
  wake.func = func;
  wake.data = data;
  g_array_append_val (self->wakes, wake);
  nb_cron_service_rearm (self);
  return wake.id;
}

void
nb_cron_service_remove_wake (NbCronService *self,
                             guint          id)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  for (guint i = 0; i < self->wakes->len; i++)
    if (g_array_index (self->wakes, Wake, i).id == id)
      {
        g_array_remove_index (self->wakes, i);
        break;
      }
  nb_cron_service_rearm (self);
}

void
nb_cron_service_begin (NbCronService *self)
{
  if (!self->started)
    return;
  nb_cron_store_start_monitor (self);
  nb_cron_service_fire (self);
}

static void
start_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NbCronService *self = NB_CRON_SERVICE (source);

  if (nb_cron_service_load_finish (self, result, NULL))
    nb_cron_service_begin (self);
}

void
nb_cron_service_start (NbCronService *self)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  if (self->started)
    return;
  self->started = TRUE;
  /* Loaded before (the tool, the jobs window): the file may have
   * changed since, unwatched. */
  if (self->loaded)
    nb_cron_store_refresh (self);
  else
    nb_cron_service_load_async (self, self->cancellable, start_loaded_cb, NULL);
}

void
nb_cron_service_stop (NbCronService *self)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  if (!self->started)
    return;
  self->started = FALSE;
  nb_cron_store_stop_monitor (self);
  /* Reads of the file under way change nothing any more. */
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->wakes->len > 0)
    {
      nb_cron_service_rearm (self);
      return;
    }
  self->next_wake = -1;
  self->arm (self, -1, self->clock_data);
}

gboolean
nb_cron_service_is_started (NbCronService *self)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), FALSE);
  return self->started;
}

/* Runs */

gint64
nb_cron_run_get_due_ms (NbCronRun *run)
{
  return run->due_ms;
}

gboolean
nb_cron_run_is_late (NbCronRun *run)
{
  return run->late;
}

static void
check_idle (NbCronService *self)
{
  if (g_hash_table_size (self->running) > 0)
    return;
  /* Waiting for the runs ends with waiting for the file. */
  while (!g_queue_is_empty (&self->idle_waiters))
    g_queue_push_tail (&self->flush_waiters, g_queue_pop_head (&self->idle_waiters));
  nb_cron_store_flush_done (self);
}

/**
 * nb_cron_run_done:
 * @run: (transfer full): the run, freed here
 * @result: (nullable): the reply
 * @error: (nullable): why it failed
 *
 * Records the run in the job's state (a one-shot job is removed, or
 * disabled when it is not to be deleted), saves, and emits
 * #NbCronService::job-finished.
 */
void
nb_cron_run_done (NbCronRun    *run,
                  const char   *result,
                  const GError *error)
{
  NbCronService *self = run->service;
  gint64 now = self->now (self->clock_data);
  gint index;
  g_autoptr(NbCronJob) job = NULL;

  g_hash_table_remove (self->running, run->job->id);
  /* The file may have been read again meanwhile: the job of that id now. */
  index = nb_cron_service_job_index (self, run->job->id);
  job = g_object_ref (index >= 0 ? self->jobs->pdata[index] : run->job);
  nb_cron_job_record_run (job, run->start_ms, now,
                          error != NULL ? "error" : "ok",
                          error != NULL ? error->message : NULL, result);
  if (index >= 0 && job->kind == NB_CRON_SCHEDULE_AT && job->next_run_ms < 0)
    {
      if (job->delete_after_run)
        {
          g_ptr_array_remove_index (self->jobs, index);
          g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);
        }
      else
        {
          job->enabled = FALSE;
          nb_cron_service_job_changed (self, job);
        }
    }
  else if (index >= 0)
    nb_cron_service_job_changed (self, job);
  nb_cron_store_save (self);
  nb_cron_service_rearm (self);

  g_signal_emit (self, signals[JOB_FINISHED], 0, job, result,
                 error != NULL ? error->message : NULL, run->late);

  g_object_unref (run->job);
  g_free (run);
  check_idle (self);
  g_object_unref (self);
}

/* run_due: for nanobot --run-due-jobs */

static void
run_due_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  NbCronService *self = NB_CRON_SERVICE (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  guint n;

  if (!nb_cron_service_load_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  n = run_due (self);
  g_task_set_task_data (task, GUINT_TO_POINTER (n), NULL);
  g_queue_push_tail (&self->idle_waiters, g_steal_pointer (&task));
  check_idle (self);
}

void
nb_cron_service_run_due_async (NbCronService       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_cron_service_run_due_async);
  nb_cron_service_load_async (self, cancellable, run_due_loaded_cb, task);
}

gboolean
nb_cron_service_run_due_finish (NbCronService  *self,
                                GAsyncResult   *result,
                                guint          *n_run,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (n_run != NULL)
    *n_run = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_boolean (G_TASK (result), error);
}
