/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-agent.h"

G_BEGIN_DECLS

/*
 * Desktop notifications (GNotification) for what happens while the user
 * looks elsewhere: a turn or a sub-agent finished, a tool waits for
 * approval. Nothing is sent while a window of @app is focused (the user
 * sees the conversation), nor when the "notifications" setting is off.
 * Activating one runs app.open-conversation with the session key.
 * Each conversation has at most one notification of each kind; the
 * window withdraws them when it shows the conversation.
 */

gboolean nb_notifications_app_is_focused   (GtkApplication *app);
void     nb_notifications_watch_agent      (GtkApplication *app,
                                            NbAgent        *agent);
gboolean nb_notifications_turn_finished    (GtkApplication *app,
                                            NbSession      *session,
                                            const char     *reply,
                                            const GError   *error);
/* For tool approvals: call when a tool of conversation @key waits for the
 * user; @tool_name is the tool, @detail (nullable) what it would do
 * (a command, a path). Returns whether a notification was sent. */
gboolean nb_notifications_approval_needed  (GtkApplication *app,
                                            const char     *key,
                                            const char     *tool_name,
                                            const char     *detail);
void     nb_notifications_withdraw         (GtkApplication *app,
                                            const char     *key);

G_END_DECLS
