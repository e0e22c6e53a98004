/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

/* Scheduled jobs in the app: the actions app.scheduled-jobs (the jobs
 * window) and app.open-conversation(s), notifications of jobs' and the
 * heartbeat's results, and the scheduler started. */
void     nb_cron_notifier_setup          (GtkApplication *app,
                                          NbAssistant    *assistant);

/* The notifications alone: a finished job of @service, a report of
 * @heartbeat (either may be NULL). */
void     nb_cron_notifier_watch          (GtkApplication *app,
                                          GObject        *service,
                                          GObject        *heartbeat);

/* Whether a result should be a notification: no window of @app is the
 * active one (the user is elsewhere). */
gboolean nb_cron_notifier_should_notify  (GtkApplication *app);

/* Where notifications go: g_application_send_notification() unless a
 * test sets another function (NULL puts the default back). @key is the
 * conversation the notification opens. */
typedef void (*NbCronSendFunc) (GApplication *app,
                                const char   *id,
                                const char   *title,
                                const char   *body,
                                const char   *key,
                                gpointer      data);
void     nb_cron_notifier_set_send_func  (NbCronSendFunc  func,
                                          gpointer        data);

G_END_DECLS
