/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"

/* Closing */

typedef struct {
  GPtrArray *sessions;  /* left to sync */
  GError    *error;     /* the first sync failure */
  guint      timeout_id;
  gulong     consolidated_id;
  gboolean   timed_out;
} CloseData;

static void
close_data_free (CloseData *data)
{
  g_assert (data->timeout_id == 0);
  g_assert (data->consolidated_id == 0);
  g_clear_pointer (&data->sessions, g_ptr_array_unref);
  g_clear_error (&data->error);
  g_free (data);
}

static gboolean
any_consolidating (NbAssistant *self)
{
  GHashTableIter iter;
  gpointer session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    if (nb_memory_store_is_consolidating (self->memory, session))
      return TRUE;
  return FALSE;
}

static void close_sync_next (GTask *task);

/* Takes @task: the sessions are synced and the permission rules written. */
static void
close_done (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  CloseData *data = g_task_get_task_data (task);

  nb_mcp_manager_shutdown (self->mcp);
  if (data->error != NULL)
    g_task_return_error (task, g_steal_pointer (&data->error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
synced_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CloseData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!nb_session_store_sync_finish (NB_SESSION_STORE (source), result, &error) && data->error == NULL)
    data->error = g_steal_pointer (&error);
  close_sync_next (g_steal_pointer (&task));
}

/* Takes @task. */
static void
close_sync_next (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  CloseData *data = g_task_get_task_data (task);

  if (data->sessions->len > 0)
    {
      g_autoptr(NbSession) session = g_ptr_array_steal_index (data->sessions, data->sessions->len - 1);

      nb_session_store_sync_async (self->store, session, NULL, synced_cb, task);
      return;
    }

  nb_assistant_permissions_flush_then (self, task, close_done);
}

static void
close_after_consolidation (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  CloseData *data = g_task_get_task_data (task);
  GHashTableIter iter;
  gpointer session;

  g_clear_signal_handler (&data->consolidated_id, self->memory);
  g_clear_handle_id (&data->timeout_id, g_source_remove);

  data->sessions = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    g_ptr_array_add (data->sessions, g_object_ref (session));
  close_sync_next (task);
}

static void
close_consolidated_cb (NbMemoryStore *memory,
                       NbSession     *session,
                       gboolean       success,
                       GTask         *task)
{
  NbAssistant *self = g_task_get_source_object (task);

  if (!any_consolidating (self))
    close_after_consolidation (task);
}

/* The bound on the wait after a cancelled consolidation (issue 9, item 3). */
#define NB_ASSISTANT_CANCEL_WAIT_S 2

static gboolean
close_cancel_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  CloseData *data = g_task_get_task_data (task);

  data->timeout_id = 0;
  g_warning ("a cancelled memory consolidation did not end within %u seconds; closing without it",
             NB_ASSISTANT_CANCEL_WAIT_S);
  close_after_consolidation (task);
  return G_SOURCE_REMOVE;
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  CloseData *data = g_task_get_task_data (task);
  /* Translators: the number of seconds is 30 */
  g_autofree char *message =
    g_strdup_printf (_("memory consolidation did not finish within %u seconds; "
                       "cancelled it, it runs again after the next message"),
                     NB_ASSISTANT_CONSOLIDATION_WAIT_S);

  data->timeout_id = 0;
  data->timed_out = TRUE;
  nb_assistant_warn (self, message);
  /* Cancelling ends it at once, changing nothing; ::consolidated follows.
   * Should it not (a read the cancellable cannot interrupt), the wait is
   * bounded too: closing goes on without it. */
  g_object_ref (task);
  nb_agent_cancel_background (self->agent);
  if (data->consolidated_id != 0)
    data->timeout_id = g_timeout_add_seconds (NB_ASSISTANT_CANCEL_WAIT_S, close_cancel_timeout_cb, task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/**
 * nb_assistant_close_async:
 *
 * Shuts down in bounded time: a memory consolidation that runs gets
 * NB_ASSISTANT_CONSOLIDATION_WAIT_S seconds (then it is cancelled, which
 * changes nothing, and said as a warning), every open session is synced
 * to disk, and the MCP servers are stopped. Turns and sub-agents are the
 * caller's to stop first. The error is the first session that could not
 * be synced.
 */
void
nb_assistant_close_async (NbAssistant         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  CloseData *data;

  g_return_if_fail (NB_IS_ASSISTANT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_close_async);
  data = g_new0 (CloseData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) close_data_free);

  if (!any_consolidating (self))
    {
      close_after_consolidation (task);
      return;
    }
  data->consolidated_id = g_signal_connect (self->memory, "consolidated",
                                            G_CALLBACK (close_consolidated_cb), task);
  data->timeout_id = g_timeout_add_seconds (NB_ASSISTANT_CONSOLIDATION_WAIT_S, close_timeout_cb, task);
}

gboolean
nb_assistant_close_finish (NbAssistant   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
