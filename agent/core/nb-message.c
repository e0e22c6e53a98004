/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-message"

#include "config.h"

#include "nb-json-util.h"
#include "nb-message.h"

/*
 * A message is one line of a session: its JSON object, as stored. Stored
 * messages never change. The one exception is the reply being streamed
 * (nb_message_new_streaming()): its text and reasoning grow with every
 * delta, and `notify::text` / `notify::reasoning` are coalesced to one per
 * NB_MESSAGE_NOTIFY_INTERVAL_MS, so a delta of a few tokens does not wake
 * a view more than once per frame's worth of time.
 */

#define NB_MESSAGE_NOTIFY_INTERVAL_MS 16

struct _NbMessage
{
  GObject     parent_instance;

  JsonObject *json;

  /* Only while streaming. */
  GString    *text;
  GString    *reasoning;
  guint       notify_id;
  guint       text_dirty : 1;
  guint       reasoning_dirty : 1;
  guint       streaming : 1;
};

G_DEFINE_FINAL_TYPE (NbMessage, nb_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROLE,
  PROP_TEXT,
  PROP_REASONING,
  PROP_TOOL_CALLS,
  PROP_TOOL_NAME,
  PROP_TOOL_CALL_ID,
  PROP_TIMESTAMP,
  PROP_SENDER,
  PROP_STREAMING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nb_message_dispose (GObject *object)
{
  NbMessage *self = NB_MESSAGE (object);

  g_clear_handle_id (&self->notify_id, g_source_remove);

  G_OBJECT_CLASS (nb_message_parent_class)->dispose (object);
}

static void
nb_message_finalize (GObject *object)
{
  NbMessage *self = NB_MESSAGE (object);

  g_clear_pointer (&self->json, json_object_unref);
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  if (self->reasoning != NULL)
    g_string_free (self->reasoning, TRUE);

  G_OBJECT_CLASS (nb_message_parent_class)->finalize (object);
}

static void
nb_message_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  NbMessage *self = NB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      g_value_set_string (value, nb_message_get_role (self));
      break;
    case PROP_TEXT:
      g_value_take_string (value, nb_message_dup_text (self));
      break;
    case PROP_REASONING:
      g_value_set_string (value, nb_message_get_reasoning (self));
      break;
    case PROP_TOOL_CALLS:
      g_value_set_boxed (value, nb_message_get_tool_calls (self));
      break;
    case PROP_TOOL_NAME:
      g_value_set_string (value, nb_message_get_name (self));
      break;
    case PROP_TOOL_CALL_ID:
      g_value_set_string (value, nb_message_get_tool_call_id (self));
      break;
    case PROP_TIMESTAMP:
      g_value_set_string (value, nb_message_get_timestamp (self));
      break;
    case PROP_SENDER:
      g_value_set_string (value, nb_message_get_sender (self));
      break;
    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_message_class_init (NbMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_message_dispose;
  object_class->finalize = nb_message_finalize;
  object_class->get_property = nb_message_get_property;

  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The text content: a string content, or the text parts joined. */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REASONING] =
    g_param_spec_string ("reasoning", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOOL_CALLS] =
    g_param_spec_boxed ("tool-calls", NULL, NULL, JSON_TYPE_ARRAY,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOOL_NAME] =
    g_param_spec_string ("tool-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOOL_CALL_ID] =
    g_param_spec_string ("tool-call-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TIMESTAMP] =
    g_param_spec_string ("timestamp", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SENDER] =
    g_param_spec_string ("sender", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* TRUE for the reply being streamed; it is replaced in its session by
   * the stored message when the reply is complete. */
  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_message_init (NbMessage *self)
{
}

/**
 * nb_message_make_timestamp:
 *
 * Returns: (transfer full): the local time as the Python nanobot's
 *   isoformat() writes it
 */
char *
nb_message_make_timestamp (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%f");
}

/**
 * nb_message_new:
 * @role: "user", "assistant", "tool" or "system"
 * @content: (nullable): the text
 *
 * Returns: (transfer full): a message stamped with the current time
 */
NbMessage *
nb_message_new (const char *role,
                const char *content)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *timestamp = nb_message_make_timestamp ();

  g_return_val_if_fail (role != NULL, NULL);

  json_object_set_string_member (object, "role", role);
  if (content != NULL)
    json_object_set_string_member (object, "content", content);
  else
    json_object_set_null_member (object, "content");
  json_object_set_string_member (object, "timestamp", timestamp);

  return nb_message_new_from_json (object);
}

/**
 * nb_message_new_from_json:
 * @object: a session line's object; a reference is taken
 *
 * Returns: (transfer full): the message
 */
NbMessage *
nb_message_new_from_json (JsonObject *object)
{
  NbMessage *self;

  g_return_val_if_fail (object != NULL, NULL);

  self = g_object_new (NB_TYPE_MESSAGE, NULL);
  self->json = json_object_ref (object);
  return self;
}

/**
 * nb_message_get_json:
 *
 * Returns: (transfer none): the message's object
 */
JsonObject *
nb_message_get_json (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return self->json;
}

const char *
nb_message_get_role (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "role");
}

const char *
nb_message_get_content (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "content");
}

/**
 * nb_message_get_tool_calls:
 *
 * Returns: (transfer none) (nullable): the assistant's tool calls
 */
JsonArray *
nb_message_get_tool_calls (NbMessage *self)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);

  node = json_object_get_member (self->json, "tool_calls");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

const char *
nb_message_get_tool_call_id (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "tool_call_id");
}

const char *
nb_message_get_name (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "name");
}

const char *
nb_message_get_timestamp (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "timestamp");
}

const char *
nb_message_get_sender (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);
  return nb_json_get_string (self->json, "sender");
}

/**
 * nb_message_get_reasoning:
 *
 * Returns: (transfer none) (nullable): the model's reasoning text
 */
const char *
nb_message_get_reasoning (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);

  if (self->streaming)
    return self->reasoning->len > 0 ? self->reasoning->str : NULL;
  return nb_json_get_string (self->json, "reasoning_content");
}

/**
 * nb_message_dup_text:
 *
 * The text a reader sees: a string content as it is, the text parts of a
 * content array joined by newlines (images are left out), or the text
 * streamed so far.
 *
 * Returns: (transfer full) (nullable): the text, %NULL when there is none
 */
char *
nb_message_dup_text (NbMessage *self)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_MESSAGE (self), NULL);

  if (self->streaming)
    return self->text->len > 0 ? g_strndup (self->text->str, self->text->len) : NULL;

  node = json_object_get_member (self->json, "content");
  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *parts = json_node_get_array (node);
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonNode *part = json_array_get_element (parts, i);
          const char *part_text;

          if (!JSON_NODE_HOLDS_OBJECT (part))
            continue;
          if (g_strcmp0 (nb_json_get_string (json_node_get_object (part), "type"), "text") != 0)
            continue;
          part_text = nb_json_get_string (json_node_get_object (part), "text");
          if (part_text == NULL)
            continue;
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, part_text);
        }
      return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
    }
  return NULL;
}

gboolean
nb_message_is_streaming (NbMessage *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE (self), FALSE);
  return self->streaming;
}

/**
 * nb_message_new_streaming:
 *
 * Returns: (transfer full): an assistant message that grows with
 *   nb_message_append_text() and nb_message_append_reasoning()
 */
NbMessage *
nb_message_new_streaming (void)
{
  NbMessage *self = nb_message_new ("assistant", NULL);

  self->streaming = TRUE;
  self->text = g_string_new (NULL);
  self->reasoning = g_string_new (NULL);
  return self;
}

static gboolean
notify_cb (gpointer user_data)
{
  NbMessage *self = user_data;

  g_assert (NB_IS_MESSAGE (self));

  self->notify_id = 0;
  nb_message_flush_notify (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_notify (NbMessage *self)
{
  if (self->notify_id == 0)
    {
      self->notify_id = g_timeout_add (NB_MESSAGE_NOTIFY_INTERVAL_MS, notify_cb, self);
      g_source_set_name_by_id (self->notify_id, "[nanobot] message notify");
    }
}

/**
 * nb_message_flush_notify:
 *
 * Emits the notifications that streamed text still owes at once (the
 * agent calls it before a streaming message is replaced).
 */
void
nb_message_flush_notify (NbMessage *self)
{
  g_return_if_fail (NB_IS_MESSAGE (self));

  g_clear_handle_id (&self->notify_id, g_source_remove);
  if (self->text_dirty)
    {
      self->text_dirty = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
    }
  if (self->reasoning_dirty)
    {
      self->reasoning_dirty = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASONING]);
    }
}

void
nb_message_append_text (NbMessage  *self,
                        const char *text)
{
  g_return_if_fail (NB_IS_MESSAGE (self));
  g_return_if_fail (self->streaming);

  if (text == NULL || *text == '\0')
    return;
  g_string_append (self->text, text);
  self->text_dirty = TRUE;
  schedule_notify (self);
}

void
nb_message_append_reasoning (NbMessage  *self,
                             const char *text)
{
  g_return_if_fail (NB_IS_MESSAGE (self));
  g_return_if_fail (self->streaming);

  if (text == NULL || *text == '\0')
    return;
  g_string_append (self->reasoning, text);
  self->reasoning_dirty = TRUE;
  schedule_notify (self);
}
