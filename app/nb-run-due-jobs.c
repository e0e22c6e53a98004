/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-run-due-jobs"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant.h"
#include "nb-cron-service.h"
#include "nb-http.h"
#include "nb-run-due-jobs.h"

/*
 * For a systemd user timer (see the README): the jobs that came due while
 * no Nanobot was running run now, once each, late ones saying so, and
 * their results go to their conversations as they would in the app.
 * Without a window nothing is notified: the results are printed.
 */

typedef struct {
  GMainLoop *loop;
  int        status;
} RunDue;

static void
job_finished_cb (NbCronService *service,
                 NbCronJob     *job,
                 const char    *result,
                 const char    *error,
                 gboolean       late,
                 RunDue        *self)
{
  if (error != NULL)
    {
      g_printerr (_("nanobot: job “%s” (%s) failed: %s\n"), nb_cron_job_get_name (job),
                  nb_cron_job_get_id (job), error);
      self->status = 1;
      return;
    }
  g_print (late ? _("Ran job “%s” (%s), late\n") : _("Ran job “%s” (%s)\n"),
           nb_cron_job_get_name (job), nb_cron_job_get_id (job));
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  RunDue *self = user_data;

  nb_assistant_close_finish (NB_ASSISTANT (source), result, NULL);
  g_main_loop_quit (self->loop);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RunDue *self = user_data;
  g_autoptr(GError) error = NULL;
  int n = nb_assistant_run_due_jobs_finish (NB_ASSISTANT (source), result, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    g_print ("%s\n", error->message);
  else if (n < 0)
    {
      g_printerr ("nanobot: %s\n", error->message);
      self->status = 1;
    }
  else if (n == 0)
    g_print ("%s\n", _("No scheduled job is due"));
  nb_assistant_close_async (NB_ASSISTANT (source), NULL, closed_cb, self);
}

int
nb_run_due_jobs (const char *config_path)
{
  g_autofree char *default_path = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(NbAssistant) assistant = NULL;
  g_autoptr(GError) error = NULL;
  RunDue self = { 0 };
  NbCronService *service;
  const char *problem;

  if (config_path == NULL)
    config_path = default_path = nb_config_get_default_path ();
  config = nb_config_load (config_path, &error);
  if (config == NULL || !nb_config_check_workspace (config, &error))
    {
      g_printerr ("nanobot: %s\n", error->message);
      return 2;
    }

  self.loop = g_main_loop_new (NULL, FALSE);
  assistant = nb_assistant_new (config);
  service = nb_assistant_get_cron_service (assistant);
  g_signal_connect (service, "job-finished", G_CALLBACK (job_finished_cb), &self);
  nb_assistant_run_due_jobs_async (assistant, NULL, done_cb, &self);
  g_main_loop_run (self.loop);

  problem = nb_cron_service_get_error_message (service);
  if (problem != NULL)
    {
      g_printerr ("nanobot: %s\n", problem);
      self.status = 1;
    }
  g_signal_handlers_disconnect_by_data (service, &self);
  g_clear_object (&assistant);
  g_main_loop_unref (self.loop);
  nb_http_shutdown ();
  return self.status;
}
