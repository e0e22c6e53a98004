/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session"

#include "config.h"

#include "nb-session.h"

struct _NbSession
{
  GObject     parent_instance;

  char       *key;
  GPtrArray  *messages;
  JsonObject *metadata;
  char       *created_at;
  char       *updated_at;
  guint       last_consolidated;
  guint       saved_count;
  /* The reply being streamed, the list model's last item while set. */
  NbMessage  *streaming;
};

static void nb_session_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbSession, nb_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_session_list_model_init))

static GType
nb_session_get_item_type (GListModel *model)
{
  return NB_TYPE_MESSAGE;
}

static guint
nb_session_get_n_items (GListModel *model)
{
  NbSession *self = NB_SESSION (model);

  return self->messages->len + (self->streaming != NULL ? 1 : 0);
}

static gpointer
nb_session_get_item (GListModel *model,
                     guint       position)
{
  NbSession *self = NB_SESSION (model);

  if (position < self->messages->len)
    return g_object_ref (g_ptr_array_index (self->messages, position));
  if (position == self->messages->len && self->streaming != NULL)
    return g_object_ref (self->streaming);
  return NULL;
}

static void
nb_session_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_session_get_item_type;
  iface->get_n_items = nb_session_get_n_items;
  iface->get_item = nb_session_get_item;
}

static void
nb_session_finalize (GObject *object)
{
  NbSession *self = NB_SESSION (object);

  g_clear_pointer (&self->key, g_free);
  g_clear_object (&self->streaming);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->metadata, json_object_unref);
  g_clear_pointer (&self->created_at, g_free);
  g_clear_pointer (&self->updated_at, g_free);

  G_OBJECT_CLASS (nb_session_parent_class)->finalize (object);
}

static void
nb_session_class_init (NbSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_session_finalize;
}

static void
nb_session_init (NbSession *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->metadata = json_object_new ();
  self->created_at = nb_message_make_timestamp ();
  self->updated_at = g_strdup (self->created_at);
}

/**
 * nb_session_new:
 * @key: the session key, "channel:chat_id"
 *
 * Returns: (transfer full): an empty session
 */
NbSession *
nb_session_new (const char *key)
{
  NbSession *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (NB_TYPE_SESSION, NULL);
  self->key = g_strdup (key);
  return self;
}

const char *
nb_session_get_key (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  return self->key;
}

void
nb_session_append (NbSession *self,
                   NbMessage *message)
{
  g_return_if_fail (NB_IS_SESSION (self));
  g_return_if_fail (NB_IS_MESSAGE (message));

  g_ptr_array_add (self->messages, g_object_ref (message));
  g_free (self->updated_at);
  self->updated_at = nb_message_make_timestamp ();

  /* The stored reply takes the place of the streamed one. */
  if (self->streaming != NULL && g_strcmp0 (nb_message_get_role (message), "assistant") == 0)
    {
      g_autoptr(NbMessage) streaming = g_steal_pointer (&self->streaming);

      nb_message_flush_notify (streaming);
      g_list_model_items_changed (G_LIST_MODEL (self), self->messages->len - 1, 1, 1);
      return;
    }
  /* Anything else goes before a streaming reply, which stays last. */
  g_list_model_items_changed (G_LIST_MODEL (self), self->messages->len - 1, 0, 1);
}

/**
 * nb_session_begin_streaming:
 *
 * Adds the reply being streamed as the list model's last item, or returns
 * the one there is. It is not a stored message: nb_session_get_n_messages()
 * and the history leave it out. The next assistant message appended
 * replaces it; nb_session_end_streaming() removes it.
 *
 * Returns: (transfer none): the streaming message
 */
NbMessage *
nb_session_begin_streaming (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);

  if (self->streaming == NULL)
    {
      self->streaming = nb_message_new_streaming ();
      g_list_model_items_changed (G_LIST_MODEL (self), self->messages->len, 0, 1);
    }
  return self->streaming;
}

/**
 * nb_session_get_streaming:
 *
 * Returns: (transfer none) (nullable): the reply being streamed
 */
NbMessage *
nb_session_get_streaming (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  return self->streaming;
}

/* Removes the streaming reply without a stored one (an error, a cancel, a
 * reply with nothing to keep). */
void
nb_session_end_streaming (NbSession *self)
{
  g_autoptr(NbMessage) streaming = NULL;

  g_return_if_fail (NB_IS_SESSION (self));

  if (self->streaming == NULL)
    return;
  streaming = g_steal_pointer (&self->streaming);
  g_list_model_items_changed (G_LIST_MODEL (self), self->messages->len, 1, 0);
}

/**
 * nb_session_add_saved:
 * @messages: (element-type NbMessage): messages already on disk
 */
void
nb_session_add_saved (NbSession *self,
                      GPtrArray *messages)
{
  guint position;

  g_return_if_fail (NB_IS_SESSION (self));
  g_return_if_fail (messages != NULL);

  if (messages->len == 0)
    return;

  position = self->messages->len;
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (self->messages, g_object_ref (g_ptr_array_index (messages, i)));
  if (self->saved_count == position)
    self->saved_count = self->messages->len;
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, messages->len);
}

guint
nb_session_get_n_messages (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), 0);
  return self->messages->len;
}

/**
 * nb_session_get_message:
 *
 * Returns: (transfer none): the message at @position
 */
NbMessage *
nb_session_get_message (NbSession *self,
                        guint      position)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  g_return_val_if_fail (position < self->messages->len, NULL);
  return g_ptr_array_index (self->messages, position);
}

void
nb_session_clear (NbSession *self)
{
  guint removed;

  g_return_if_fail (NB_IS_SESSION (self));

  removed = self->messages->len;
  g_ptr_array_set_size (self->messages, 0);
  self->last_consolidated = 0;
  self->saved_count = 0;
  g_free (self->updated_at);
  self->updated_at = nb_message_make_timestamp ();
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
}

guint
nb_session_get_last_consolidated (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), 0);
  return self->last_consolidated;
}

void
nb_session_set_last_consolidated (NbSession *self,
                                  guint      last_consolidated)
{
  g_return_if_fail (NB_IS_SESSION (self));
  self->last_consolidated = MIN (last_consolidated, self->messages->len);
}

/**
 * nb_session_get_metadata:
 *
 * Returns: (transfer none): the free-form metadata object
 */
JsonObject *
nb_session_get_metadata (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  return self->metadata;
}

const char *
nb_session_get_created_at (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  return self->created_at;
}

void
nb_session_set_created_at (NbSession  *self,
                           const char *created_at)
{
  g_return_if_fail (NB_IS_SESSION (self));
  g_free (self->created_at);
  self->created_at = g_strdup (created_at);
}

const char *
nb_session_get_updated_at (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), NULL);
  return self->updated_at;
}

void
nb_session_set_updated_at (NbSession  *self,
                           const char *updated_at)
{
  g_return_if_fail (NB_IS_SESSION (self));
  g_free (self->updated_at);
  self->updated_at = g_strdup (updated_at);
}

guint
nb_session_get_saved_count (NbSession *self)
{
  g_return_val_if_fail (NB_IS_SESSION (self), 0);
  return self->saved_count;
}

void
nb_session_set_saved_count (NbSession *self,
                            guint      saved_count)
{
  g_return_if_fail (NB_IS_SESSION (self));
  self->saved_count = MIN (saved_count, self->messages->len);
}

static JsonObject *
history_entry (NbMessage *message)
{
  static const char * const keep[] = { "role", "content", "tool_calls", "tool_call_id", "name" };
  JsonObject *json = nb_message_get_json (message);
  JsonObject *entry = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (keep); i++)
    {
      JsonNode *node = json_object_get_member (json, keep[i]);

      if (node != NULL)
        json_object_set_member (entry, keep[i], json_node_copy (node));
    }
  if (!json_object_has_member (entry, "content"))
    json_object_set_null_member (entry, "content");
  return entry;
}

/* The history entry of the assistant message at @index with only the tool
 * calls that have a result in the tool messages right after it (a process
 * killed while its tools ran leaves calls without results, which providers
 * refuse); their ids go into @call_ids. NULL when nothing is left. */
static JsonObject *
answered_calls_entry (NbSession  *self,
                      guint       index,
                      GHashTable *call_ids)
{
  NbMessage *message = g_ptr_array_index (self->messages, index);
  JsonArray *calls = nb_message_get_tool_calls (message);
  g_autoptr(GHashTable) answered = NULL;
  g_autoptr(JsonArray) kept = NULL;
  JsonObject *entry = history_entry (message);
  JsonNode *content;

  if (calls == NULL || json_array_get_length (calls) == 0)
    return entry;

  answered = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = index + 1; i < self->messages->len; i++)
    {
      NbMessage *next = g_ptr_array_index (self->messages, i);
      const char *id;

      if (g_strcmp0 (nb_message_get_role (next), "tool") != 0)
        break;
      id = nb_message_get_tool_call_id (next);
      if (id != NULL)
        g_hash_table_add (answered, (gpointer) id);
    }

  kept = json_array_new ();
  for (guint j = 0; j < json_array_get_length (calls); j++)
    {
      JsonNode *node = json_array_get_element (calls, j);
      JsonNode *id = JSON_NODE_HOLDS_OBJECT (node) ? json_object_get_member (json_node_get_object (node), "id") : NULL;

      if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING ||
          !g_hash_table_contains (answered, json_node_get_string (id)))
        continue;
      json_array_add_element (kept, json_node_copy (node));
      g_hash_table_add (call_ids, (gpointer) json_node_get_string (id));
    }

  if (json_array_get_length (kept) == json_array_get_length (calls))
    return entry;
  if (json_array_get_length (kept) > 0)
    {
      json_object_set_array_member (entry, "tool_calls", g_steal_pointer (&kept));
      return entry;
    }

  json_object_remove_member (entry, "tool_calls");
  content = json_object_get_member (entry, "content");
  if (JSON_NODE_HOLDS_NULL (content) ||
      (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING &&
       *json_node_get_string (content) == '\0'))
    {
      json_object_unref (entry);
      return NULL;
    }
  return entry;
}

static gboolean
sendable (NbMessage *message)
{
  const char *role = nb_message_get_role (message);
  JsonNode *content = json_object_get_member (nb_message_get_json (message), "content");

  if (g_strcmp0 (role, "user") != 0 && g_strcmp0 (role, "system") != 0)
    return FALSE;
  return content != NULL &&
         (JSON_NODE_HOLDS_ARRAY (content) ||
          (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING));
}

/**
 * nb_session_get_history:
 * @max_messages: the most messages to return (memoryWindow)
 *
 * The part of the conversation the LLM sees: the unconsolidated tail, at
 * most @max_messages long, starting at a user message, with no tool result
 * whose assistant call was cut off and no tool call without its result.
 *
 * Returns: (transfer container) (element-type JsonObject): the messages in
 *   the canonical request shape
 */
GPtrArray *
nb_session_get_history (NbSession *self,
                        guint      max_messages)
{
  GPtrArray *history = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) call_ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint start;

  g_return_val_if_fail (NB_IS_SESSION (self), history);

  start = MIN (self->last_consolidated, self->messages->len);
  if (max_messages > 0 && self->messages->len - start > max_messages)
    start = self->messages->len - max_messages;

  /* Start at a user message. */
  while (start < self->messages->len &&
         g_strcmp0 (nb_message_get_role (g_ptr_array_index (self->messages, start)), "user") != 0)
    start++;

  for (guint i = start; i < self->messages->len; i++)
    {
      NbMessage *message = g_ptr_array_index (self->messages, i);
      const char *role = nb_message_get_role (message);

      if (g_strcmp0 (role, "assistant") == 0)
        {
          /* Tool results answer the assistant message right before them. */
          JsonObject *entry;

          g_hash_table_remove_all (call_ids);
          entry = answered_calls_entry (self, i, call_ids);
          if (entry != NULL)
            g_ptr_array_add (history, entry);
          continue;
        }
      else if (g_strcmp0 (role, "tool") == 0)
        {
          const char *id = nb_message_get_tool_call_id (message);

          /* One result per call, and only for a call that was kept. */
          if (id == NULL || !g_hash_table_remove (call_ids, id))
            continue;
        }
      else
        {
          g_hash_table_remove_all (call_ids);
          /* A hand-edited line without a role, with one no API knows or
           * with content neither text nor parts would make every later
           * request fail: the session keeps it, the model does not see it. */
          if (!sendable (message))
            continue;
        }

      g_ptr_array_add (history, history_entry (message));
    }

  return history;
}
