/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include <gio/gio.h>

#include "nb-conversation-reader.h"
#include "nb-session-store-private.h"

/* Listing: what NbConversationList reads of each file, as NbSessionInfo. */

static GPtrArray *
list_dir (const char  *dir_path,
          GError     **error)
{
  g_autoptr(GPtrArray) conversations = nb_conversation_data_read_dir (dir_path, error);
  GPtrArray *infos;

  if (conversations == NULL)
    return NULL;
  infos = g_ptr_array_new_full (conversations->len, (GDestroyNotify) nb_session_info_free);
  for (guint i = 0; i < conversations->len; i++)
    {
      NbConversationData *data = g_ptr_array_index (conversations, i);
      NbSessionInfo *info = g_new0 (NbSessionInfo, 1);

      info->key = g_steal_pointer (&data->key);
      info->updated_at = g_steal_pointer (&data->updated_at);
      info->title = g_steal_pointer (&data->title);
      info->path = g_steal_pointer (&data->path);
      g_ptr_array_add (infos, info);
    }
  return infos;
}

/**
 * nb_session_store_list:
 *
 * Returns: (transfer container) (element-type NbSessionInfo): the stored
 *   sessions, most recently updated first
 */
GPtrArray *
nb_session_store_list (NbSessionStore  *self,
                       GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  return list_dir (self->dir, error);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *infos = list_dir (task_data, &error);

  if (infos == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * nb_session_store_list_async:
 *
 * Lists the stored sessions in a worker thread (it reads every file's
 * head and tail).
 */
void
nb_session_store_list_async (NbSessionStore      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_SESSION_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_session_store_list_async);
  g_task_set_task_data (task, g_strdup (self->dir), g_free);
  g_task_run_in_thread (task, list_thread);
}

/**
 * nb_session_store_list_finish:
 *
 * Returns: (transfer container) (element-type NbSessionInfo): the sessions
 */
GPtrArray *
nb_session_store_list_finish (NbSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
