/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"
#include "nb-conversation-list.h"
#include "nb-json-util.h"

/*
 * Forks: "Regenerate" and "Edit" in the window never rewrite a
 * conversation. They make a new one holding a copy of the messages before
 * the point where the user wants something else, with `forked_from` and
 * `fork_index` in its metadata, and run the turn there. The alternatives
 * at one point are the parent and its forks at that index
 * (nb_conversation_list_get_fork_siblings()).
 */

#define FORK_CHANNEL "desktop"

static gboolean
get_fork (JsonObject  *metadata,
          const char **forked_from,
          gint64      *fork_index)
{
  *forked_from = nb_json_get_string (metadata, "forked_from");
  if (*forked_from == NULL || **forked_from == '\0' || !json_object_has_member (metadata, "fork_index"))
    return FALSE;
  *fork_index = nb_json_get_int (metadata, "fork_index");
  return *fork_index >= 0;
}

/* The conversation the first @n_keep messages of @source belong to: a
 * fork's first fork_index messages are its parent's, so forking it at or
 * before that point makes a sibling of it rather than a child, and the
 * switcher shows every alternative at that point together. Ancestors
 * further up are known from the conversations' metadata when loaded. */
static char *
fork_parent (NbAssistant *self,
             NbSession   *source,
             guint        n_keep)
{
  const char *key = nb_session_get_key (source);
  const char *forked_from;
  gint64 fork_index;

  if (!get_fork (nb_session_get_metadata (source), &forked_from, &fork_index) ||
      (gint64) n_keep > fork_index)
    return g_strdup (key);

  key = forked_from;
  for (guint depth = 0; depth < 64 && self->conversations != NULL; depth++)
    {
      NbConversation *conversation = nb_conversation_list_lookup (self->conversations, key);
      const char *up = conversation != NULL ? nb_conversation_get_forked_from (conversation) : NULL;

      if (up == NULL || *up == '\0' || g_str_equal (up, key) ||
          (gint64) n_keep > nb_conversation_get_fork_index (conversation))
        break;
      key = up;
    }
  return g_strdup (key);
}

/* @n_keep, or less so that every tool call kept has its result kept too:
 * a provider refuses a call without its result, and a turn in progress
 * may have saved a call whose tools still run. */
static guint
complete_prefix (NbSession *source,
                 guint      n_keep)
{
  g_autoptr(GHashTable) answered = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_keep; i++)
    {
      NbMessage *message = nb_session_get_message (source, i);
      const char *id = nb_message_get_tool_call_id (message);

      if (g_strcmp0 (nb_message_get_role (message), "tool") == 0 && id != NULL)
        g_hash_table_add (answered, (gpointer) id);
    }
  for (guint i = 0; i < n_keep; i++)
    {
      JsonArray *calls = nb_message_get_tool_calls (nb_session_get_message (source, i));

      for (guint c = 0; calls != NULL && c < json_array_get_length (calls); c++)
        {
          JsonNode *node = json_array_get_element (calls, c);
          const char *id = JSON_NODE_HOLDS_OBJECT (node) ? nb_json_get_string (json_node_get_object (node), "id") : NULL;

          if (id != NULL && !g_hash_table_contains (answered, id))
            return i;
        }
    }
  return n_keep;
}

typedef struct
{
  NbSession *source;
} ForkData;

static void
fork_data_free (gpointer data)
{
  ForkData *fork = data;

  g_clear_object (&fork->source);
  g_free (fork);
}

static void
fork_opened_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = NB_ASSISTANT (object);
  GError *error = NULL;
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (self, result, &error);

  if (session == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* In the sidebar at once, without waiting for the file monitor. */
  if (self->conversations != NULL)
    nb_conversation_list_update_from_session (self->conversations, session);
  g_task_return_pointer (task, g_steal_pointer (&session), g_object_unref);
}

static void
fork_written_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autofree char *key = nb_session_store_fork_finish (NB_SESSION_STORE (object), result, &error);

  if (key == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  nb_assistant_open_session_async (self, key, cancellable, fork_opened_cb, g_steal_pointer (&task));
}

/**
 * nb_assistant_fork_async:
 * @source: the conversation to fork
 * @n_keep: how many of its first messages the fork keeps
 *
 * Makes a new conversation `desktop:<id>` holding a copy of the first
 * @n_keep messages of @source (only those already saved, and no tool
 * call without its result: a turn in progress is left out), with
 * `forked_from`, `fork_index` (the number of messages kept) and the
 * source's `model` and `title` in its metadata.
 * The file is written once, in a worker thread, and synced; @source and
 * its file stay as they are. `forked_from` is @source, or the conversation
 * @source was forked from when @n_keep is at or before the point where
 * @source diverged from it, so that all alternatives at one point share
 * one parent. The new conversation joins the conversations model.
 *
 * For "Regenerate", fork at the user message that started the turn and
 * run its text again in the fork; for "Edit", fork at the edited message
 * and run the new text.
 */
void
nb_assistant_fork_async (NbAssistant         *self,
                         NbSession           *source,
                         guint                n_keep,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) metadata = json_object_new ();
  g_autofree char *parent = NULL;
  JsonObject *source_metadata;
  ForkData *fork;
  const char *value;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (NB_IS_SESSION (source));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_fork_async);
  fork = g_new0 (ForkData, 1);
  fork->source = g_object_ref (source);
  g_task_set_task_data (task, fork, fork_data_free);

  n_keep = MIN (n_keep, nb_session_get_saved_count (source));
  n_keep = MIN (n_keep, nb_session_get_n_messages (source));
  n_keep = complete_prefix (source, n_keep);
  parent = fork_parent (self, source, n_keep);

  source_metadata = nb_session_get_metadata (source);
  json_object_set_string_member (metadata, "forked_from", parent);
  json_object_set_int_member (metadata, "fork_index", n_keep);
  if ((value = nb_json_get_string (source_metadata, "model")) != NULL && *value != '\0')
    json_object_set_string_member (metadata, "model", value);
  if ((value = nb_json_get_string (source_metadata, "title")) != NULL && *value != '\0')
    json_object_set_string_member (metadata, "title", value);

  nb_session_store_fork_async (self->store, source, n_keep, metadata, FORK_CHANNEL,
                               cancellable, fork_written_cb, g_steal_pointer (&task));
}

/**
 * nb_assistant_fork_finish:
 *
 * Returns: (transfer full): the new conversation, open (the same object
 *   nb_assistant_open_session_async() gives for its key), or %NULL with
 *   @error set
 */
NbSession *
nb_assistant_fork_finish (NbAssistant   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
