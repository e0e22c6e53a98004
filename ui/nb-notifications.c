/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-notifications"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-notifications.h"

/* How much of a reply the notification's body shows. */
#define BODY_CHARS 160

gboolean
nb_notifications_app_is_focused (GtkApplication *app)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (app), FALSE);

  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (gtk_widget_get_visible (l->data) && gtk_window_is_active (l->data))
      return TRUE;
  return FALSE;
}

static gboolean
enabled (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  return g_settings_get_boolean (settings, "notifications");
}

/* The first @BODY_CHARS characters of @text on one line. */
static char *
shorten (const char *text)
{
  g_autofree char *flat = g_strdup (text != NULL ? text : "");
  g_autofree char *start = NULL;

  g_strdelimit (flat, "\r\n\t", ' ');
  g_strstrip (flat);
  if (g_utf8_strlen (flat, -1) <= BODY_CHARS)
    return g_steal_pointer (&flat);
  start = g_utf8_substring (flat, 0, BODY_CHARS - 1);
  return g_strconcat (start, "…", NULL);
}

static void
send (GtkApplication *app,
      const char     *kind,
      const char     *key,
      const char     *title,
      const char     *body,
      gboolean        urgent)
{
  g_autoptr(GNotification) notification = g_notification_new (title);
  g_autofree char *id = g_strconcat (kind, ":", key, NULL);
  g_autoptr(GIcon) icon = g_themed_icon_new (APPLICATION_ID);

  if (body != NULL && *body != '\0')
    g_notification_set_body (notification, body);
  g_notification_set_icon (notification, icon);
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s", key);
  if (urgent)
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_application_send_notification (G_APPLICATION (app), id, notification);
}

/* The last user message of @session came from a sub-agent's report. */
static gboolean
is_subagent_report (NbSession *session)
{
  for (guint i = nb_session_get_n_messages (session); i > 0; i--)
    {
      NbMessage *message = nb_session_get_message (session, i - 1);

      if (g_strcmp0 (nb_message_get_role (message), "user") == 0)
        return g_strcmp0 (nb_message_get_sender (message), "subagent") == 0;
    }
  return FALSE;
}

/**
 * nb_notifications_turn_finished:
 *
 * Notifies that the turn of @session ended, with the start of @reply or
 * the error, unless a window of @app is focused. A cancelled turn (the
 * user stopped it) notifies nothing. Returns whether one was sent.
 */
gboolean
nb_notifications_turn_finished (GtkApplication *app,
                                NbSession      *session,
                                const char     *reply,
                                const GError   *error)
{
  const char *key;
  g_autofree char *body = NULL;
  const char *title;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  key = nb_session_get_key (session);
  if (key == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  /* Scheduled jobs notify in their own way. */
  if (!g_str_has_prefix (key, "desktop:") && !g_str_has_prefix (key, "quick:"))
    return FALSE;
  if (nb_notifications_app_is_focused (app) || !enabled ())
    return FALSE;

  if (error != NULL)
    {
      title = _("The reply failed");
      body = shorten (error->message);
    }
  else
    {
      title = is_subagent_report (session) ? _("A background task finished") : _("Nanobot replied");
      body = shorten (reply);
    }
  send (app, "turn", key, title, body, FALSE);
  return TRUE;
}

gboolean
nb_notifications_approval_needed (GtkApplication *app,
                                  const char     *key,
                                  const char     *tool_name,
                                  const char     *detail)
{
  g_autofree char *body = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (tool_name != NULL, FALSE);

  if (nb_notifications_app_is_focused (app) || !enabled ())
    return FALSE;

  shown = shorten (detail);
  if (*shown != '\0')
    /* Translators: a tool's name, then what it would do (a command). */
    body = g_strdup_printf (_("%s wants to run: %s"), tool_name, shown);
  else
    body = g_strdup_printf (_("%s waits for your approval"), tool_name);
  send (app, "approval", key, _("A tool needs your approval"), body, TRUE);
  return TRUE;
}

void
nb_notifications_withdraw (GtkApplication *app,
                           const char     *key)
{
  static const char *kinds[] = { "turn", "approval" };

  g_return_if_fail (GTK_IS_APPLICATION (app));

  if (key == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *id = g_strconcat (kinds[i], ":", key, NULL);

      g_application_withdraw_notification (G_APPLICATION (app), id);
    }
}

static void
turn_finished_cb (NbAgent        *agent,
                  NbSession      *session,
                  const char     *reply,
                  const GError   *error,
                  GtkApplication *app)
{
  nb_notifications_turn_finished (app, session, reply, error);
}

/**
 * nb_notifications_watch_agent:
 *
 * Notifies at the end of every turn of @agent (sub-agents' reports
 * included) for as long as both live.
 */
void
nb_notifications_watch_agent (GtkApplication *app,
                              NbAgent        *agent)
{
  g_return_if_fail (GTK_IS_APPLICATION (app));
  g_return_if_fail (NB_IS_AGENT (agent));

  g_signal_connect_object (agent, "turn-finished", G_CALLBACK (turn_finished_cb), app, 0);
}
