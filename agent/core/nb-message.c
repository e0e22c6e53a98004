/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-message"

#include "config.h"

#include "nb-json-util.h"
#include "nb-message.h"

struct _NbMessage
{
  GObject     parent_instance;
  JsonObject *json;
};

G_DEFINE_FINAL_TYPE (NbMessage, nb_message, G_TYPE_OBJECT)

static void
nb_message_finalize (GObject *object)
{
  NbMessage *self = NB_MESSAGE (object);

  g_clear_pointer (&self->json, json_object_unref);

  G_OBJECT_CLASS (nb_message_parent_class)->finalize (object);
}

static void
nb_message_class_init (NbMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_message_finalize;
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
