/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool"

#include "config.h"

#include "nb-json-util.h"
#include "nb-tool.h"

typedef struct
{
  char       *name;
  char       *description;
  JsonObject *parameters;
  gboolean    side_effects;
  gboolean    for_subagents;
} NbToolPrivate;

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_PARAMETERS,
  PROP_SIDE_EFFECTS,
  PROP_FOR_SUBAGENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbTool, nb_tool, G_TYPE_OBJECT)

static void
nb_tool_finalize (GObject *object)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->description, g_free);
  g_clear_pointer (&priv->parameters, json_object_unref);

  G_OBJECT_CLASS (nb_tool_parent_class)->finalize (object);
}

static void
nb_tool_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, priv->description);
      break;
    case PROP_PARAMETERS:
      g_value_set_boxed (value, priv->parameters);
      break;
    case PROP_SIDE_EFFECTS:
      g_value_set_boolean (value, priv->side_effects);
      break;
    case PROP_FOR_SUBAGENTS:
      g_value_set_boolean (value, priv->for_subagents);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_tool_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    case PROP_DESCRIPTION:
      g_free (priv->description);
      priv->description = g_value_dup_string (value);
      break;
    case PROP_PARAMETERS:
      g_clear_pointer (&priv->parameters, json_object_unref);
      priv->parameters = g_value_dup_boxed (value);
      break;
    case PROP_SIDE_EFFECTS:
      priv->side_effects = g_value_get_boolean (value);
      break;
    case PROP_FOR_SUBAGENTS:
      priv->for_subagents = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
nb_tool_real_execute_finish (NbTool        *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
nb_tool_class_init (NbToolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nb_tool_finalize;
  object_class->get_property = nb_tool_get_property;
  object_class->set_property = nb_tool_set_property;

  klass->execute_finish = nb_tool_real_execute_finish;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PARAMETERS] =
    g_param_spec_boxed ("parameters", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIDE_EFFECTS] =
    g_param_spec_boolean ("side-effects", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether a sub-agent gets the tool too. Tools that talk to the user,
   * start agents, schedule work or reach outside services do not. */
  properties[PROP_FOR_SUBAGENTS] =
    g_param_spec_boolean ("for-subagents", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_tool_init (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  priv->side_effects = TRUE;
  priv->for_subagents = TRUE;
}

const char *
nb_tool_get_name (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);
  return priv->name;
}

const char *
nb_tool_get_description (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);
  return priv->description != NULL ? priv->description : "";
}

/**
 * nb_tool_get_parameters:
 *
 * Returns: (transfer none): the argument schema
 */
JsonObject *
nb_tool_get_parameters (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);

  if (priv->parameters == NULL)
    {
      priv->parameters = json_object_new ();
      json_object_set_string_member (priv->parameters, "type", "object");
      json_object_set_object_member (priv->parameters, "properties", json_object_new ());
    }
  return priv->parameters;
}

gboolean
nb_tool_has_side_effects (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), TRUE);
  return priv->side_effects;
}

gboolean
nb_tool_is_for_subagents (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), FALSE);
  return priv->for_subagents;
}

/**
 * nb_tool_parse_schema:
 *
 * Returns: (transfer full): the parsed schema object
 */
JsonObject *
nb_tool_parse_schema (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, -1, &error))
    g_error ("Invalid built-in tool schema: %s", error->message);
  g_assert (nb_json_parser_holds_object (parser));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

void
nb_tool_execute_async (NbTool              *self,
                       JsonObject          *arguments,
                       const NbToolContext *context,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (NB_IS_TOOL (self));
  g_return_if_fail (arguments != NULL);

  NB_TOOL_GET_CLASS (self)->execute_async (self, arguments, context, cancellable,
                                           callback, user_data);
}

/**
 * nb_tool_execute_finish:
 *
 * Returns: (transfer full): the result text for the model
 */
char *
nb_tool_execute_finish (NbTool        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (NB_IS_TOOL (self), NULL);

  return NB_TOOL_GET_CLASS (self)->execute_finish (self, result, error);
}

/* Schema validation: the subset of JSON Schema that tool schemas use. The
 * messages follow the Python nanobot's so that models see the same text. */

static char *
subpath (const char *path,
         const char *key)
{
  return *path != '\0' ? g_strdup_printf ("%s.%s", path, key) : g_strdup (key);
}

/* The first non-null type of "type": "string" or ["string", "null"]. */
static const char *
schema_type (JsonObject *schema,
             gboolean   *nullable)
{
  JsonNode *node = json_object_get_member (schema, "type");
  const char *type = NULL;

  *nullable = json_object_has_member (schema, "nullable") &&
              JSON_NODE_HOLDS_VALUE (json_object_get_member (schema, "nullable")) &&
              json_object_get_boolean_member (schema, "nullable");

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *types = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (types); i++)
        {
          JsonNode *element = json_array_get_element (types, i);
          const char *name;

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            continue;
          name = json_node_get_string (element);
          if (g_str_equal (name, "null"))
            *nullable = TRUE;
          else if (type == NULL)
            type = name;
        }
    }
  return type;
}

static gboolean
node_is_integer (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
node_is_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 ||
          json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static double
node_number (JsonNode *node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return json_node_get_double (node);
}

static gboolean
type_matches (const char *type,
              JsonNode   *node)
{
  if (g_str_equal (type, "integer"))
    return node_is_integer (node);
  if (g_str_equal (type, "number"))
    return node_is_number (node);
  if (g_str_equal (type, "string"))
    return node_is_string (node);
  if (g_str_equal (type, "boolean"))
    return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
  if (g_str_equal (type, "array"))
    return JSON_NODE_HOLDS_ARRAY (node);
  if (g_str_equal (type, "object"))
    return JSON_NODE_HOLDS_OBJECT (node);
  /* Unknown type names constrain nothing. */
  return TRUE;
}

/* The schema keyword @member as a non-negative count, or -1 if absent. */
static gint64
schema_count (JsonObject *schema,
              const char *member)
{
  JsonNode *node = json_object_get_member (schema, member);

  if (node == NULL || !node_is_number (node))
    return -1;
  return nb_json_double_to_int64 (node_number (node));
}

static char *
node_to_text (JsonNode *node)
{
  return nb_json_to_data (node, FALSE, NULL);
}

static void validate_node (JsonNode   *value,
                           JsonObject *schema,
                           const char *path,
                           GPtrArray  *errors);

static void
validate_object (JsonObject *object,
                 JsonObject *schema,
                 const char *path,
                 GPtrArray  *errors)
{
  JsonObject *properties = NULL;
  JsonNode *required = json_object_get_member (schema, "required");
  JsonNode *additional = json_object_get_member (schema, "additionalProperties");
  g_autoptr(GList) members = NULL;

  if (json_object_has_member (schema, "properties") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (schema, "properties")))
    properties = json_object_get_object_member (schema, "properties");

  if (required != NULL && JSON_NODE_HOLDS_ARRAY (required))
    {
      JsonArray *names = json_node_get_array (required);

      for (guint i = 0; i < json_array_get_length (names); i++)
        {
          JsonNode *name = json_array_get_element (names, i);

          if (node_is_string (name) && !json_object_has_member (object, json_node_get_string (name)))
            {
              g_autofree char *missing = subpath (path, json_node_get_string (name));

              g_ptr_array_add (errors, g_strdup_printf ("missing required %s", missing));
            }
        }
    }

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *child_path = subpath (path, key);
      JsonNode *child = json_object_get_member (object, key);

      if (properties != NULL && json_object_has_member (properties, key) &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (properties, key)))
        validate_node (child, json_object_get_object_member (properties, key), child_path, errors);
      else if (additional != NULL && JSON_NODE_HOLDS_VALUE (additional) &&
               json_node_get_value_type (additional) == G_TYPE_BOOLEAN &&
               !json_node_get_boolean (additional))
        g_ptr_array_add (errors, g_strdup_printf ("unexpected parameter %s", child_path));
      else if (additional != NULL && JSON_NODE_HOLDS_OBJECT (additional))
        validate_node (child, json_node_get_object (additional), child_path, errors);
    }
}

static void
validate_node (JsonNode   *value,
               JsonObject *schema,
               const char *path,
               GPtrArray  *errors)
{
  gboolean nullable = FALSE;
  const char *type = schema_type (schema, &nullable);
  const char *label = *path != '\0' ? path : "parameter";
  JsonNode *enum_node = json_object_get_member (schema, "enum");

  if (nullable && JSON_NODE_HOLDS_NULL (value))
    return;
  if (type != NULL && !type_matches (type, value))
    {
      g_ptr_array_add (errors, g_strdup_printf ("%s should be %s", label, type));
      return;
    }

  if (enum_node != NULL && JSON_NODE_HOLDS_ARRAY (enum_node))
    {
      JsonArray *choices = json_node_get_array (enum_node);
      gboolean found = FALSE;

      for (guint i = 0; i < json_array_get_length (choices) && !found; i++)
        found = json_node_equal (value, json_array_get_element (choices, i));
      if (!found)
        {
          g_autofree char *text = node_to_text (enum_node);

          g_ptr_array_add (errors, g_strdup_printf ("%s must be one of %s", label, text));
        }
    }

  if (type == NULL)
    return;

  if (g_str_equal (type, "integer") || g_str_equal (type, "number"))
    {
      JsonNode *minimum = json_object_get_member (schema, "minimum");
      JsonNode *maximum = json_object_get_member (schema, "maximum");

      if (minimum != NULL && node_is_number (minimum) && node_number (value) < node_number (minimum))
        {
          g_autofree char *text = node_to_text (minimum);

          g_ptr_array_add (errors, g_strdup_printf ("%s must be >= %s", label, text));
        }
      if (maximum != NULL && node_is_number (maximum) && node_number (value) > node_number (maximum))
        {
          g_autofree char *text = node_to_text (maximum);

          g_ptr_array_add (errors, g_strdup_printf ("%s must be <= %s", label, text));
        }
    }
  else if (g_str_equal (type, "string"))
    {
      const char *text = json_node_get_string (value);
      gint64 length;
      gint64 min_length = schema_count (schema, "minLength");
      gint64 max_length = schema_count (schema, "maxLength");

      /* json-glib turns a lone surrogate ("\ud800") into bytes that are
       * not UTF-8; no tool is given such a string. */
      if (!g_utf8_validate (text, -1, NULL))
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s is not valid UTF-8", label));
          return;
        }
      length = g_utf8_strlen (text, -1);
      if (min_length >= 0 && length < min_length)
        g_ptr_array_add (errors, g_strdup_printf ("%s must be at least %" G_GINT64_FORMAT " chars",
                                                  label, min_length));
      else if (max_length >= 0 && length > max_length)
        g_ptr_array_add (errors, g_strdup_printf ("%s must be at most %" G_GINT64_FORMAT " chars",
                                                  label, max_length));
    }
  else if (g_str_equal (type, "object"))
    {
      validate_object (json_node_get_object (value), schema, path, errors);
    }
  else if (g_str_equal (type, "array"))
    {
      JsonArray *array = json_node_get_array (value);
      gint64 length = json_array_get_length (array);
      gint64 min_items = schema_count (schema, "minItems");
      gint64 max_items = schema_count (schema, "maxItems");
      JsonNode *items = json_object_get_member (schema, "items");

      if (min_items >= 0 && length < min_items)
        g_ptr_array_add (errors, g_strdup_printf ("%s must have at least %" G_GINT64_FORMAT " items",
                                                  label, min_items));
      if (max_items >= 0 && length > max_items)
        g_ptr_array_add (errors, g_strdup_printf ("%s must be at most %" G_GINT64_FORMAT " items",
                                                  label, max_items));
      if (items != NULL && JSON_NODE_HOLDS_OBJECT (items))
        {
          for (guint i = 0; i < length; i++)
            {
              g_autofree char *item_path = g_strdup_printf ("%s[%u]", path, i);

              validate_node (json_array_get_element (array, i), json_node_get_object (items),
                             item_path, errors);
            }
        }
    }
}

/**
 * nb_tool_validate_arguments:
 * @self: a tool
 * @arguments: the parsed arguments of a call
 *
 * Checks @arguments against the tool's parameter schema: types (integer is
 * not number), enum, minimum/maximum, minLength/maxLength,
 * minItems/maxItems, required, additionalProperties, nested objects and
 * arrays (errors name paths like `meta.flags[0]`).
 *
 * Returns: (transfer full) (nullable): the problems joined by "; ", or
 *   %NULL when the arguments are valid
 */
char *
nb_tool_validate_arguments (NbTool     *self,
                            JsonObject *arguments)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  JsonObject *schema;

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  schema = nb_tool_get_parameters (self);
  /* The top level is always an object, whatever the schema says. */
  validate_object (arguments, schema, "", errors);

  if (errors->len == 0)
    return NULL;
  g_ptr_array_add (errors, NULL);
  return g_strjoinv ("; ", (char **) errors->pdata);
}
