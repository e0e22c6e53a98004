/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-json"

#include "config.h"

#include "nb-json-util.h"

static JsonNode *
get_member (JsonObject *object,
            const char *member)
{
  g_return_val_if_fail (member != NULL, NULL);

  return object != NULL ? json_object_get_member (object, member) : NULL;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/**
 * nb_json_get_string:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member's text, or %NULL when
 *   @object is %NULL or the member is missing or not a string
 */
const char *
nb_json_get_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = get_member (object, member);

  return holds_type (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

/**
 * nb_json_get_string_or:
 * @object: (nullable): an object
 * @member: a member name
 * @fallback: (nullable): what a missing or non-string member reads as
 *
 * Returns: (transfer none) (nullable): the member's text, else @fallback
 */
const char *
nb_json_get_string_or (JsonObject *object,
                       const char *member,
                       const char *fallback)
{
  const char *value = nb_json_get_string (object, member);

  return value != NULL ? value : fallback;
}

/**
 * nb_json_get_object:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an object
 */
JsonObject *
nb_json_get_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * nb_json_get_array:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an array
 */
JsonArray *
nb_json_get_array (JsonObject *object,
                   const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/**
 * nb_json_get_boolean:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: %TRUE only for a member that is the boolean `true`
 */
gboolean
nb_json_get_boolean (JsonObject *object,
                     const char *member)
{
  JsonNode *node = get_member (object, member);

  return holds_type (node, G_TYPE_BOOLEAN) && json_node_get_boolean (node);
}

/**
 * nb_json_get_int:
 * @object: (nullable): an object
 * @member: a member name
 *
 * A number with a fraction is truncated (servers send counts as `12.0`).
 *
 * Returns: the member's value as an integer, 0 when it is missing or not
 *   a scalar
 */
gint64
nb_json_get_int (JsonObject *object,
                 const char *member)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return json_node_get_int (node);
}

/**
 * nb_json_dup_strv:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer full): the strings of an array member, skipping
 *   elements that are not strings; empty when there is no such array
 */
GStrv
nb_json_dup_strv (JsonObject *object,
                  const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array = nb_json_get_array (object, member);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (holds_type (element, G_TYPE_STRING))
        g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);
}
