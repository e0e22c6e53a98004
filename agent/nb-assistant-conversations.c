/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"
#include "nb-conversation-private.h"
#include "nb-json-util.h"
#include "nb-session-store-private.h"

/*
 * What the conversations sidebar asks of the assistant: rename, pin,
 * move to the trash, and whether a turn runs.
 *
 * Rename and pin change the session's metadata through the NbSession the
 * assistant hands out (opened first when nobody has it open), and the
 * store appends one metadata record: one small write(2) of a line on the
 * main thread, as every append is. The item in the conversations model is
 * changed at once, before the file, so the sidebar never waits.
 *
 * Trash stops the conversation's turns, waits until none runs (a turn
 * being cancelled still appends its "cancelled" tool results, which would
 * create the file again), forgets the session, and moves the file with
 * g_file_trash_async(). Where the trash is not supported that is an
 * error: the file is never unlinked.
 */

#define METADATA_TITLE  "title"
#define METADATA_PINNED "pinned"

static NbConversation *
lookup_item (NbAssistant *self,
             const char  *key)
{
  if (self->conversations == NULL)
    return NULL;
  return nb_conversation_list_lookup (self->conversations, key);
}

/* Changing the metadata */

typedef void (*MetadataEdit) (JsonObject *metadata,
                              gpointer    data);

typedef struct
{
  MetadataEdit    edit;
  gpointer        data;
  GDestroyNotify  data_free;
} EditData;

static void
edit_data_free (EditData *edit)
{
  if (edit->data_free != NULL)
    edit->data_free (edit->data);
  g_free (edit);
}

static void
apply_edit (NbAssistant *self,
            NbSession   *session,
            EditData    *edit)
{
  g_autoptr(GError) error = NULL;

  edit->edit (nb_session_get_metadata (session), edit->data);
  /* Appends the changed metadata record (and nothing else: a turn saves
   * its messages as they come). */
  if (!nb_session_store_append (self->store, session, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the conversation: %s"), error->message);

      nb_assistant_warn (self, message);
    }
  if (self->conversations != NULL)
    nb_conversation_list_update_from_session (self->conversations, session);
}

/* Edits of a key whose session is being opened, applied in order once it
 * is: key → GPtrArray of EditData. Kept on the assistant as data, which
 * leaves its struct to nb-assistant.c. */
static GHashTable *
pending_edits (NbAssistant *self)
{
  GHashTable *table = g_object_get_data (G_OBJECT (self), "nb-pending-edits");

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
      g_object_set_data_full (G_OBJECT (self), "nb-pending-edits", table, (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

static void
edit_session_opened_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  NbAssistant *self = NB_ASSISTANT (source);
  g_autofree char *key = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (self, result, &error);
  g_autoptr(GPtrArray) edits = NULL;
  g_autofree char *stolen_key = NULL;

  g_hash_table_steal_extended (pending_edits (self), key, (gpointer *) &stolen_key, (gpointer *) &edits);
  if (session == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("Could not save the conversation: %s"), error->message);

          nb_assistant_warn (self, message);
        }
      return;
    }
  for (guint i = 0; edits != NULL && i < edits->len; i++)
    apply_edit (self, session, g_ptr_array_index (edits, i));
}

/* Takes @edit. The session is the one already open, else opened (read in
 * a worker thread) first; edits made meanwhile wait in order. */
static void
edit_metadata (NbAssistant *self,
               const char  *key,
               EditData    *edit)
{
  NbSession *session = g_hash_table_lookup (self->sessions, key);
  GPtrArray *waiting = g_hash_table_lookup (pending_edits (self), key);
  NbSessionFile *sf;

  if (session == NULL && (sf = g_hash_table_lookup (self->store->files, key)) != NULL)
    session = sf->session;
  if (session != NULL && waiting == NULL)
    {
      apply_edit (self, session, edit);
      edit_data_free (edit);
      return;
    }
  if (waiting != NULL)
    {
      g_ptr_array_add (waiting, edit);
      return;
    }
  waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) edit_data_free);
  g_ptr_array_add (waiting, edit);
  g_hash_table_insert (pending_edits (self), g_strdup (key), waiting);
  nb_assistant_open_session_async (self, key, self->cancellable, edit_session_opened_cb, g_strdup (key));
}

static void
set_title (JsonObject *metadata,
           gpointer    data)
{
  if (data != NULL)
    json_object_set_string_member (metadata, METADATA_TITLE, data);
  else if (json_object_has_member (metadata, METADATA_TITLE))
    json_object_remove_member (metadata, METADATA_TITLE);
}

static void
set_pinned (JsonObject *metadata,
            gpointer    data)
{
  if (GPOINTER_TO_INT (data))
    json_object_set_boolean_member (metadata, METADATA_PINNED, TRUE);
  else if (json_object_has_member (metadata, METADATA_PINNED))
    json_object_remove_member (metadata, METADATA_PINNED);
}

/**
 * nb_assistant_rename_conversation:
 * @key: the conversation's session key
 * @title: (nullable): the new title; %NULL or blank goes back to the
 *   first user message
 *
 * Stores @title in the session's metadata (`title`, one appended metadata
 * record) and shows it in the conversations model at once.
 */
void
nb_assistant_rename_conversation (NbAssistant *self,
                                  const char  *key,
                                  const char  *title)
{
  g_autofree char *stripped = NULL;
  NbConversation *item;
  EditData *edit;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (key != NULL);

  stripped = g_strstrip (g_strdup (title != NULL ? title : ""));
  if (*stripped == '\0')
    g_clear_pointer (&stripped, g_free);

  item = lookup_item (self, key);
  if (item != NULL && stripped != NULL)
    {
      g_autofree char *shown = nb_conversation_make_title (stripped);

      nb_conversation_set_title (item, shown);
    }

  edit = g_new0 (EditData, 1);
  edit->edit = set_title;
  edit->data = g_steal_pointer (&stripped);
  edit->data_free = g_free;
  edit_metadata (self, key, edit);
}

/**
 * nb_assistant_set_conversation_pinned:
 * @key: the conversation's session key
 *
 * Stores `pinned` in the session's metadata (one appended metadata record)
 * and shows it in the conversations model at once.
 */
void
nb_assistant_set_conversation_pinned (NbAssistant *self,
                                      const char  *key,
                                      gboolean     pinned)
{
  NbConversation *item;
  EditData *edit;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (key != NULL);

  item = lookup_item (self, key);
  if (item != NULL)
    nb_conversation_set_pinned (item, pinned);

  edit = g_new0 (EditData, 1);
  edit->edit = set_pinned;
  edit->data = GINT_TO_POINTER (!!pinned);
  edit_metadata (self, key, edit);
}

/* Moving to the trash */

typedef struct
{
  char   *key;
  char   *path;
  gulong  finished_handler;
} TrashData;

static void
trash_data_free (TrashData *data)
{
  g_assert (data->finished_handler == 0);
  g_free (data->key);
  g_free (data->path);
  g_free (data);
}

static void
trashed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  TrashData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_trash_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                 _("This conversation cannot be moved to the trash here, so it was kept: %s"),
                                 error->message);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The turn lock beside it has no more use; best effort. */
  {
    g_autofree char *lock_path = nb_session_store_get_lock_path (self->store, data->key);
    g_autoptr(GFile) lock = g_file_new_for_path (lock_path);

    g_file_delete_async (lock, G_PRIORITY_LOW, NULL, NULL, NULL);
  }

  /* Gone from the model now, not when the file monitor tells. */
  if (self->conversations != NULL)
    nb_conversation_list_refresh_path (self->conversations, data->path);
  g_task_return_boolean (task, TRUE);
}

static void
trash_now (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  TrashData *data = g_task_get_task_data (task);
  g_autoptr(GFile) file = g_file_new_for_path (data->path);

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Nobody should append to the file again: a later open reads whatever
   * is at the path then (nothing). */
  g_hash_table_remove (self->sessions, data->key);
  g_hash_table_remove (self->store->files, data->key);

  g_file_trash_async (file, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                      trashed_cb, g_object_ref (task));
}

static void
trash_turn_finished_cb (NbAgent      *agent,
                        NbSession    *session,
                        const char   *reply,
                        const GError *error,
                        GTask        *task)
{
  TrashData *data = g_task_get_task_data (task);

  if (session == NULL || g_strcmp0 (nb_session_get_key (session), data->key) != 0 ||
      nb_agent_is_running (agent, data->key))
    return;
  g_clear_signal_handler (&data->finished_handler, agent);
  trash_now (task);
  g_object_unref (task);
}

/**
 * nb_assistant_trash_conversation_async:
 * @key: the conversation's session key
 *
 * Stops the conversation's turns, forgets its session and moves its file
 * to the trash (never deletes it: where the trash is unsupported, this
 * fails with %G_IO_ERROR_NOT_SUPPORTED and the file stays). The item
 * leaves the conversations model when the file is gone.
 */
void
nb_assistant_trash_conversation_async (NbAssistant         *self,
                                       const char          *key,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TrashData *data;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_trash_conversation_async);
  data = g_new0 (TrashData, 1);
  data->key = g_strdup (key);
  data->path = nb_session_store_get_path (self->store, key);
  g_task_set_task_data (task, data, (GDestroyNotify) trash_data_free);

  nb_agent_stop_session (self->agent, key);
  if (nb_agent_is_running (self->agent, key))
    {
      /* The cancelled turn finishes soon; its last lines go to the file
       * before it moves. */
      data->finished_handler = g_signal_connect (self->agent, "turn-finished",
                                                 G_CALLBACK (trash_turn_finished_cb),
                                                 g_steal_pointer (&task));
      return;
    }
  trash_now (task);
}

gboolean
nb_assistant_trash_conversation_finish (NbAssistant   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The running state */

static void
update_running (NbAssistant *self,
               const char  *key)
{
  NbConversation *item = lookup_item (self, key);

  if (item != NULL)
    nb_conversation_set_running (item, nb_agent_is_running (self->agent, key));
}

static void
message_appended_cb (NbAgent     *agent,
                     NbSession   *session,
                     NbMessage   *message,
                     NbAssistant *self)
{
  const char *key = nb_session_get_key (session);
  NbConversation *item = lookup_item (self, key);

  /* A new conversation is listed with its first message, titled by it. */
  if (item == NULL)
    {
      nb_conversation_list_update_from_session (self->conversations, session);
      item = lookup_item (self, key);
    }
  if (item != NULL && !nb_conversation_get_running (item))
    nb_conversation_set_running (item, nb_agent_is_running (agent, key));
}

static void
turn_done_cb (NbAgent      *agent,
              NbSession    *session,
              const char   *reply,
              const GError *error,
              NbAssistant  *self)
{
  if (session != NULL)
    update_running (self, nb_session_get_key (session));
}

/* An item that comes (back) while its turn runs. */
static void
conversations_changed_cb (GListModel  *model,
                          guint        position,
                          guint        removed,
                          guint        added,
                          NbAssistant *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (model, i);

      nb_conversation_set_running (item, nb_agent_is_running (self->agent, nb_conversation_get_key (item)));
    }
}

/* See nb-assistant-private.h; called once the model exists. */
void
nb_assistant_watch_turns (NbAssistant *self)
{
  g_assert (self->conversations != NULL);

  g_signal_connect_object (self->agent, "message-appended", G_CALLBACK (message_appended_cb), self, 0);
  g_signal_connect_object (self->agent, "turn-finished", G_CALLBACK (turn_done_cb), self, 0);
  g_signal_connect_object (self->conversations, "items-changed", G_CALLBACK (conversations_changed_cb), self, 0);
}
