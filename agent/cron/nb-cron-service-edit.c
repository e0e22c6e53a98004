/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-cron-expr.h"
#include "nb-cron-service-private.h"

/* NbCronService: changes to the jobs (add, remove and put back, enable,
 * run now) and waiting for the file. Each change is saved at once and
 * re-arms the timer. */

static gboolean
check_writable (NbCronService  *self,
                GError        **error)
{
  if (!self->loaded)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING, _("The scheduled jobs are not loaded yet"));
      return FALSE;
    }
  if (self->broken)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, self->error_message);
      return FALSE;
    }
  return TRUE;
}

/**
 * nb_cron_service_add_job:
 * @kind: the schedule
 * @at_or_every_ms: the time (AT, Unix ms) or interval (EVERY, ms)
 * @expr: (nullable): the cron expression (CRON)
 * @tz: (nullable): its IANA time zone (CRON; the local one when %NULL)
 * @origin_key: (nullable): the conversation the result goes to
 *
 * Returns: (transfer none) (nullable): the new job, or %NULL with @error
 *   set (G_IO_ERROR_INVALID_ARGUMENT for a bad schedule)
 */
NbCronJob *
nb_cron_service_add_job (NbCronService       *self,
                         const char          *name,
                         const char          *message,
                         NbCronScheduleKind   kind,
                         gint64               at_or_every_ms,
                         const char          *expr,
                         const char          *tz,
                         const char          *origin_key,
                         GError             **error)
{
  g_autoptr(NbCronJob) job = NULL;
  gint64 now;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), NULL);

  if (!check_writable (self, error))
    return NULL;
  if (message == NULL || *message == '\0' || strspn (message, " \t\r\n") == strlen (message))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("a job needs a message"));
      return NULL;
    }
  if (tz != NULL && kind != NB_CRON_SCHEDULE_CRON)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("tz can only be used with cron_expr"));
      return NULL;
    }
  if (tz != NULL)
    {
      g_autoptr(GTimeZone) zone = g_time_zone_new_identifier (tz);

      if (zone == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("unknown timezone '%s'"), tz);
          return NULL;
        }
    }
  now = self->now (self->clock_data);
  switch (kind)
    {
    case NB_CRON_SCHEDULE_CRON:
      {
        g_autoptr(NbCronExpr) parsed = NULL;
        g_autoptr(GError) local_error = NULL;

        if (expr == NULL || (parsed = nb_cron_expr_parse (expr, &local_error)) == NULL)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("invalid cron expression '%s': %s"),
                         expr != NULL ? expr : "", local_error != NULL ? local_error->message : "");
            return NULL;
          }
        break;
      }
    case NB_CRON_SCHEDULE_EVERY:
      if (at_or_every_ms <= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("the interval must be positive"));
          return NULL;
        }
      break;
    case NB_CRON_SCHEDULE_AT:
    default:
      if (at_or_every_ms <= now)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("that time has already passed"));
          return NULL;
        }
      break;
    }

  job = nb_cron_job_new (name != NULL && *name != '\0' ? name : NULL, message, kind);
  if (job->name == NULL)
    {
      /* The first 30 characters of the message, as the Python nanobot does. */
      const char *end = message;

      for (int i = 0; i < 30 && *end != '\0'; i++)
        end = g_utf8_next_char (end);
      job->name = g_strndup (message, end - message);
    }
  if (kind == NB_CRON_SCHEDULE_AT)
    job->at_ms = at_or_every_ms;
  else if (kind == NB_CRON_SCHEDULE_EVERY)
    job->every_ms = at_or_every_ms;
  job->expr = g_strdup (expr);
  job->tz = g_strdup (tz);
  job->origin_key = g_strdup (origin_key);
  json_object_set_string_member (job->payload, "kind", "agent_turn");
  job->created_ms = job->updated_ms = now;
  job->delete_after_run = kind == NB_CRON_SCHEDULE_AT;
  job->next_run_ms = nb_cron_job_compute_next (job, now);

  g_ptr_array_add (self->jobs, g_object_ref (job));
  g_list_model_items_changed (G_LIST_MODEL (self), self->jobs->len - 1, 0, 1);
  nb_cron_store_save (self);
  nb_cron_service_rearm (self);
  return job;
}

/**
 * nb_cron_service_lookup:
 *
 * Returns: (transfer none) (nullable): the job with @id
 */
NbCronJob *
nb_cron_service_lookup (NbCronService *self,
                        const char    *id)
{
  gint index;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), NULL);

  index = nb_cron_service_job_index (self, id);
  return index >= 0 ? self->jobs->pdata[index] : NULL;
}

/**
 * nb_cron_service_remove_job:
 *
 * Returns: (transfer full) (nullable): the removed job
 */
NbCronJob *
nb_cron_service_remove_job (NbCronService *self,
                            const char    *id)
{
  gint index;
  NbCronJob *job;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), NULL);

  index = nb_cron_service_job_index (self, id);
  if (index < 0 || !check_writable (self, NULL))
    return NULL;
  job = g_ptr_array_steal_index (self->jobs, index);
  g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);
  nb_cron_store_save (self);
  nb_cron_service_rearm (self);
  return job;
}

void
nb_cron_service_restore_job (NbCronService *self,
                             NbCronJob     *job)
{
  g_return_if_fail (NB_IS_CRON_SERVICE (self));
  g_return_if_fail (NB_IS_CRON_JOB (job));

  if (nb_cron_service_job_index (self, job->id) >= 0 || !check_writable (self, NULL))
    return;
  nb_cron_service_normalize (self, job, self->now (self->clock_data));
  g_ptr_array_add (self->jobs, g_object_ref (job));
  g_list_model_items_changed (G_LIST_MODEL (self), self->jobs->len - 1, 0, 1);
  nb_cron_store_save (self);
  nb_cron_service_rearm (self);
}

gboolean
nb_cron_service_set_enabled (NbCronService *self,
                             const char    *id,
                             gboolean       enabled)
{
  NbCronJob *job;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), FALSE);

  job = nb_cron_service_lookup (self, id);
  if (job == NULL || !check_writable (self, NULL))
    return FALSE;
  if (job->enabled == !!enabled)
    return TRUE;
  job->enabled = !!enabled;
  job->updated_ms = self->now (self->clock_data);
  job->next_run_ms = enabled ? nb_cron_job_compute_next (job, job->updated_ms) : -1;
  nb_cron_service_job_changed (self, job);
  nb_cron_store_save (self);
  nb_cron_service_rearm (self);
  return TRUE;
}

gboolean
nb_cron_service_run_now (NbCronService *self,
                         const char    *id)
{
  NbCronJob *job;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), FALSE);

  job = nb_cron_service_lookup (self, id);
  if (job == NULL || g_hash_table_contains (self->running, id))
    return FALSE;
  nb_cron_service_start_run (self, job, self->now (self->clock_data), FALSE);
  nb_cron_service_rearm (self);
  return TRUE;
}

gboolean
nb_cron_service_is_running (NbCronService *self,
                            const char    *id)
{
  g_return_val_if_fail (NB_IS_CRON_SERVICE (self), FALSE);
  return g_hash_table_contains (self->running, id);
}

void
nb_cron_service_flush_async (NbCronService       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NB_IS_CRON_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_cron_service_flush_async);
  g_queue_push_tail (&self->flush_waiters, task);
  nb_cron_store_flush_done (self);
}

gboolean
nb_cron_service_flush_finish (NbCronService  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
