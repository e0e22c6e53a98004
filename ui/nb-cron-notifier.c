/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron-notifier"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-cron-notifier.h"
#include "nb-cron-service.h"
#include "nb-heartbeat.h"
#include "nb-jobs-window.h"
#include "nb-window.h"

/*
 * What the application adds for scheduled jobs. A finished job's result
 * is already in its conversation (nb-assistant-cron.c); here it also
 * becomes a GNotification, but only when no Nanobot window is active:
 * someone looking at Nanobot sees the message arrive. Clicking the
 * notification opens the conversation. The heartbeat notifies only when
 * it has something to say (NbHeartbeat::report).
 *
 * This is the notification policy of scheduled jobs only; chat turns
 * have their own.
 */

#define NOTIFY_BODY_MAX 300

gboolean
nb_cron_notifier_should_notify (GtkApplication *app)
{
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (gtk_window_is_active (l->data))
      return FALSE;
  return TRUE;
}

static char *
shorten (const char *text)
{
  const char *end = text;
  int i;

  for (i = 0; i < NOTIFY_BODY_MAX && *end != '\0'; i++)
    end = g_utf8_next_char (end);
  if (*end == '\0')
    return g_strdup (text);
  return g_strdup_printf ("%.*s…", (int) (end - text), text);
}

static NbCronSendFunc send_func;
static gpointer send_data;

void
nb_cron_notifier_set_send_func (NbCronSendFunc func,
                                gpointer       data)
{
  send_func = func;
  send_data = data;
}

static void
notify (GtkApplication *app,
        const char     *id,
        const char     *title,
        const char     *body,
        const char     *key)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *shown = shorten (body != NULL ? body : "");

  if (send_func != NULL)
    {
      send_func (G_APPLICATION (app), id, title, shown, key, send_data);
      return;
    }
  notification = g_notification_new (title);
  g_notification_set_body (notification, shown);
  if (key != NULL)
    g_notification_set_default_action_and_target (notification, "app.open-conversation", "s", key);
  g_application_send_notification (G_APPLICATION (app), id, notification);
}

static void
job_finished_cb (NbCronService  *service,
                 NbCronJob      *job,
                 const char     *result,
                 const char     *error,
                 gboolean        late,
                 GtkApplication *app)
{
  g_autofree char *id = g_strconcat ("cron-", nb_cron_job_get_id (job), NULL);
  g_autofree char *title = NULL;
  g_autofree char *own_key = nb_cron_job_dup_session_key (job);
  const char *key = nb_cron_job_get_origin_key (job) != NULL ? nb_cron_job_get_origin_key (job) : own_key;

  if (!nb_cron_notifier_should_notify (app))
    return;
  if (error != NULL)
    /* Translators: %s is the name of a scheduled job */
    title = g_strdup_printf (_("Scheduled job “%s” failed"), nb_cron_job_get_name (job));
  else if (late)
    title = g_strdup_printf (_("%s (late)"), nb_cron_job_get_name (job));
  else
    title = g_strdup (nb_cron_job_get_name (job));
  notify (app, id, title, error != NULL ? error : result, key);
}

static void
heartbeat_report_cb (NbHeartbeat    *heartbeat,
                     const char     *text,
                     GtkApplication *app)
{
  if (nb_cron_notifier_should_notify (app))
    notify (app, "heartbeat", _("Heartbeat"), text, "heartbeat");
}

static NbAssistant *
app_assistant (GtkApplication *app)
{
  return g_object_get_data (G_OBJECT (app), "nb-cron-assistant");
}

static void
scheduled_jobs_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkApplication *app = user_data;
  NbAssistant *assistant = app_assistant (app);
  GtkWindow *parent = gtk_application_get_active_window (app);

  if (assistant == NULL)
    return;
  /* One jobs window: raise it if it is open. */
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (NB_IS_JOBS_WINDOW (l->data))
      {
        gtk_window_present (l->data);
        return;
      }
  {
    NbJobsWindow *window = nb_jobs_window_new (parent, nb_assistant_get_cron_service (assistant));

    gtk_window_set_application (GTK_WINDOW (window), app);
    gtk_window_present (GTK_WINDOW (window));
  }
}

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *key = g_variant_get_string (parameter, NULL);
  NbWindow *window = NULL;

  for (GList *l = gtk_application_get_windows (app); l != NULL && window == NULL; l = l->next)
    if (NB_IS_WINDOW (l->data))
      window = l->data;
  if (window == NULL)
    {
      g_application_activate (G_APPLICATION (app));
      for (GList *l = gtk_application_get_windows (app); l != NULL && window == NULL; l = l->next)
        if (NB_IS_WINDOW (l->data))
          window = l->data;
    }
  if (window == NULL)
    return;
  nb_window_open_conversation (window, key);
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry cron_actions[] = {
  { "scheduled-jobs", scheduled_jobs_action },
};

/* Only where the application has none of its own (the desktop part's,
 * which also withdraws the conversation's notifications). */
static const GActionEntry open_conversation_entry[] = {
  { "open-conversation", open_conversation_action, "s" },
};

void
nb_cron_notifier_watch (GtkApplication *app,
                        GObject        *service,
                        GObject        *heartbeat)
{
  g_return_if_fail (GTK_IS_APPLICATION (app));

  if (service != NULL)
    g_signal_connect_object (service, "job-finished", G_CALLBACK (job_finished_cb), app, 0);
  if (heartbeat != NULL)
    g_signal_connect_object (heartbeat, "report", G_CALLBACK (heartbeat_report_cb), app, 0);
}

void
nb_cron_notifier_setup (GtkApplication *app,
                        NbAssistant    *assistant)
{
  g_return_if_fail (GTK_IS_APPLICATION (app));
  g_return_if_fail (NB_IS_ASSISTANT (assistant));

  g_object_set_data_full (G_OBJECT (app), "nb-cron-assistant", g_object_ref (assistant), g_object_unref);
  g_action_map_add_action_entries (G_ACTION_MAP (app), cron_actions, G_N_ELEMENTS (cron_actions), app);
  if (g_action_map_lookup_action (G_ACTION_MAP (app), "open-conversation") == NULL)
    g_action_map_add_action_entries (G_ACTION_MAP (app), open_conversation_entry,
                                     G_N_ELEMENTS (open_conversation_entry), app);
  nb_cron_notifier_watch (app, G_OBJECT (nb_assistant_get_cron_service (assistant)),
                          G_OBJECT (nb_assistant_get_heartbeat (assistant)));
  nb_assistant_start_scheduler (assistant);
}
