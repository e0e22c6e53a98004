/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

/* Scheduled jobs in the app: the actions app.scheduled-jobs (the jobs
 * window) and app.open-conversation(s), notifications of jobs' and the
 * heartbeat's results, and the scheduler started. */
void     nb_application_cron_setup        (GtkApplication *app,
                                           NbAssistant    *assistant);

/* Whether a result should be a notification: no Nanobot window is the
 * active one (the user is elsewhere). */
gboolean nb_application_cron_should_notify (GtkApplication *app);

G_END_DECLS
