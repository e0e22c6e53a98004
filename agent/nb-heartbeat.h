/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_HEARTBEAT (nb_heartbeat_get_type ())
G_DECLARE_FINAL_TYPE (NbHeartbeat, nb_heartbeat, NB, HEARTBEAT, GObject)

typedef struct _NbAssistant NbAssistant;

/* The default of gateway.heartbeat.intervalS. */
#define NB_HEARTBEAT_DEFAULT_INTERVAL_S (30 * 60)

NbHeartbeat *nb_heartbeat_new            (NbAssistant         *assistant);
/* Follows gateway.heartbeat.enabled (default false) and intervalS. */
void         nb_heartbeat_start          (NbHeartbeat         *self);
void         nb_heartbeat_stop           (NbHeartbeat         *self);
/* Whether a beat is armed (started and enabled). */
gboolean     nb_heartbeat_is_active      (NbHeartbeat         *self);
/* Whether a beat the timer started is under way. */
gboolean     nb_heartbeat_is_beating     (NbHeartbeat         *self);
guint        nb_heartbeat_get_interval   (NbHeartbeat         *self);

/* One beat, now: reads HEARTBEAT.md, asks the model whether anything is
 * to be done (one small call with a `heartbeat` tool: skip, or run with
 * tasks), runs the tasks in the `heartbeat` conversation. The result is
 * what the user should be told, or NULL when there is nothing to say. */
void         nb_heartbeat_tick_async     (NbHeartbeat         *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char        *nb_heartbeat_tick_finish    (NbHeartbeat         *self,
                                          GAsyncResult        *result,
                                          GError             **error);

/* Whether HEARTBEAT.md lists anything under a "## …Tasks" heading
 * (headings, blank lines and comments aside); without, no call is made. */
gboolean     nb_heartbeat_has_tasks      (const char          *content);

G_END_DECLS
