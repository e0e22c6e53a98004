/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool-registry"

#include "config.h"

#include <string.h>

#include "nb-json-util.h"
#include "nb-tool-registry.h"

/*
 * The tools the model may call. Definitions are serialized once into the
 * OpenAI shape and cached until a tool is added or removed (B5): built-in
 * tools sorted by name, then MCP tools (`mcp_…`) sorted by name, so the
 * prefix of every request stays byte-stable for prompt caching.
 */

struct _NbToolRegistry
{
  GObject     parent_instance;

  GHashTable *tools;       /* name → NbTool */
  JsonArray  *definitions; /* cached, NULL when stale */
};

G_DEFINE_FINAL_TYPE (NbToolRegistry, nb_tool_registry, G_TYPE_OBJECT)

static void
nb_tool_registry_finalize (GObject *object)
{
  NbToolRegistry *self = NB_TOOL_REGISTRY (object);

  g_clear_pointer (&self->tools, g_hash_table_unref);
  g_clear_pointer (&self->definitions, json_array_unref);

  G_OBJECT_CLASS (nb_tool_registry_parent_class)->finalize (object);
}

static void
nb_tool_registry_class_init (NbToolRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_tool_registry_finalize;
}

static void
nb_tool_registry_init (NbToolRegistry *self)
{
  self->tools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * nb_tool_registry_new:
 *
 * Returns: (transfer full): an empty registry
 */
NbToolRegistry *
nb_tool_registry_new (void)
{
  return g_object_new (NB_TYPE_TOOL_REGISTRY, NULL);
}

/**
 * nb_tool_registry_add:
 * @tool: a tool; a reference is taken
 *
 * Registers @tool, replacing a tool of the same name.
 */
void
nb_tool_registry_add (NbToolRegistry *self,
                      NbTool         *tool)
{
  g_return_if_fail (NB_IS_TOOL_REGISTRY (self));
  g_return_if_fail (NB_IS_TOOL (tool));
  g_return_if_fail (nb_tool_get_name (tool) != NULL);

  g_hash_table_replace (self->tools, g_strdup (nb_tool_get_name (tool)), g_object_ref (tool));
  g_clear_pointer (&self->definitions, json_array_unref);
}

gboolean
nb_tool_registry_remove (NbToolRegistry *self,
                         const char     *name)
{
  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_hash_table_remove (self->tools, name))
    return FALSE;
  g_clear_pointer (&self->definitions, json_array_unref);
  return TRUE;
}

/**
 * nb_tool_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the tool called @name
 */
NbTool *
nb_tool_registry_lookup (NbToolRegistry *self,
                         const char     *name)
{
  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), NULL);

  if (name == NULL)
    return NULL;
  return g_hash_table_lookup (self->tools, name);
}

guint
nb_tool_registry_get_n_tools (NbToolRegistry *self)
{
  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), 0);
  return g_hash_table_size (self->tools);
}

static int
compare_tools (gconstpointer a,
               gconstpointer b)
{
  const char *name_a = nb_tool_get_name (*(NbTool * const *) a);
  const char *name_b = nb_tool_get_name (*(NbTool * const *) b);
  gboolean mcp_a = g_str_has_prefix (name_a, "mcp_");
  gboolean mcp_b = g_str_has_prefix (name_b, "mcp_");

  if (mcp_a != mcp_b)
    return mcp_a ? 1 : -1;
  return strcmp (name_a, name_b);
}

/**
 * nb_tool_registry_list_tools:
 *
 * Returns: (transfer container) (element-type NbTool): the tools in
 *   definition order (built-in ones by name, then MCP ones by name)
 */
GPtrArray *
nb_tool_registry_list_tools (NbToolRegistry *self)
{
  GPtrArray *tools = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), tools);

  g_hash_table_iter_init (&iter, self->tools);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (tools, g_object_ref (value));
  g_ptr_array_sort (tools, compare_tools);
  return tools;
}

/**
 * nb_tool_registry_dup_names:
 *
 * Returns: (transfer full): the tool names in definition order, joined by ", "
 */
char *
nb_tool_registry_dup_names (NbToolRegistry *self)
{
  g_autoptr(GPtrArray) tools = NULL;
  GString *names;

  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), NULL);

  tools = nb_tool_registry_list_tools (self);
  names = g_string_new (NULL);
  for (guint i = 0; i < tools->len; i++)
    {
      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, nb_tool_get_name (g_ptr_array_index (tools, i)));
    }
  return g_string_free (names, FALSE);
}

/**
 * nb_tool_registry_get_definitions:
 *
 * The tool definitions in the OpenAI shape
 * `[{type:"function", function:{name, description, parameters}}]`, built
 * once and kept until a tool is added or removed: the same array is
 * returned until then.
 *
 * Returns: (transfer none): the definitions; take a reference to keep them
 */
JsonArray *
nb_tool_registry_get_definitions (NbToolRegistry *self)
{
  g_autoptr(GPtrArray) tools = NULL;

  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), NULL);

  if (self->definitions != NULL)
    return self->definitions;

  tools = nb_tool_registry_list_tools (self);
  self->definitions = json_array_sized_new (tools->len);
  for (guint i = 0; i < tools->len; i++)
    {
      NbTool *tool = g_ptr_array_index (tools, i);
      JsonObject *definition = json_object_new ();
      JsonObject *function = json_object_new ();

      json_object_set_string_member (function, "name", nb_tool_get_name (tool));
      json_object_set_string_member (function, "description", nb_tool_get_description (tool));
      json_object_set_object_member (function, "parameters",
                                     json_object_ref (nb_tool_get_parameters (tool)));
      json_object_set_string_member (definition, "type", "function");
      json_object_set_object_member (definition, "function", function);
      json_array_add_object_element (self->definitions, definition);
    }
  return self->definitions;
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
  return (gint64) node_number (node);
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
      gint64 length = g_utf8_strlen (json_node_get_string (value), -1);
      gint64 min_length = schema_count (schema, "minLength");
      gint64 max_length = schema_count (schema, "maxLength");

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
 * nb_tool_registry_validate:
 * @tool: a tool
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
nb_tool_registry_validate (NbTool     *tool,
                           JsonObject *arguments)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  JsonObject *schema;

  g_return_val_if_fail (NB_IS_TOOL (tool), NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  schema = nb_tool_get_parameters (tool);
  /* The top level is always an object, whatever the schema says. */
  validate_object (arguments, schema, "", errors);

  if (errors->len == 0)
    return NULL;
  g_ptr_array_add (errors, NULL);
  return g_strjoinv ("; ", (char **) errors->pdata);
}

static char *
with_hint (char *result)
{
  char *hinted;

  /* Tools that answer in JSON (web_fetch) report errors as {"error": …}. */
  if (result == NULL || (!g_str_has_prefix (result, "Error") && !g_str_has_prefix (result, "{\"error\"")))
    return result;
  hinted = g_strconcat (result, NB_TOOL_REGISTRY_ERROR_HINT, NULL);
  g_free (result);
  return hinted;
}

/**
 * nb_tool_registry_check_call:
 * @call: a tool call from the model
 * @tool: (out) (optional) (transfer none): the tool to run when the call is good
 *
 * Everything that can be wrong with a call before it runs: an unknown tool,
 * arguments that did not parse, arguments that break the schema.
 *
 * Returns: (transfer full) (nullable): the error result for the model
 *   (with the hint), or %NULL when the call may run
 */
char *
nb_tool_registry_check_call (NbToolRegistry    *self,
                             const NbToolCall  *call,
                             NbTool           **tool)
{
  NbTool *found;
  g_autofree char *problems = NULL;

  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (self), NULL);
  g_return_val_if_fail (call != NULL, NULL);

  if (tool != NULL)
    *tool = NULL;

  found = nb_tool_registry_lookup (self, call->name);
  if (found == NULL)
    {
      g_autofree char *names = nb_tool_registry_dup_names (self);

      return with_hint (g_strdup_printf ("Error: Tool '%s' not found. Available: %s",
                                         call->name != NULL ? call->name : "", names));
    }

  if (call->arguments == NULL)
    return with_hint (g_strdup_printf ("Error: Invalid parameters for tool '%s': "
                                       "the arguments are not valid JSON (%s)",
                                       call->name,
                                       call->parse_error != NULL ? call->parse_error : "no arguments"));

  problems = nb_tool_registry_validate (found, call->arguments);
  if (problems != NULL)
    return with_hint (g_strdup_printf ("Error: Invalid parameters for tool '%s': %s",
                                       call->name, problems));

  if (tool != NULL)
    *tool = found;
  return NULL;
}

static void
execute_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  NbTool *tool = NB_TOOL (source);
  char *text = nb_tool_execute_finish (tool, result, &error);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task,
                               with_hint (g_strdup_printf ("Error executing %s: %s",
                                                           nb_tool_get_name (tool), error->message)),
                               g_free);
      return;
    }

  g_task_return_pointer (task, with_hint (text != NULL ? text : g_strdup ("")), g_free);
}

/**
 * nb_tool_registry_execute_async:
 * @call: the call; only borrowed until this function returns
 * @context: (nullable): per-call facts for the tool
 *
 * Checks and runs one tool call. The result is always text for the model;
 * errors of any kind become results starting with "Error" (or a JSON
 * tool's {"error": …}) and ending with
 * the hint. Only cancellation finishes with a #GError.
 */
void
nb_tool_registry_execute_async (NbToolRegistry      *self,
                                const NbToolCall    *call,
                                const NbToolContext *context,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *problem;
  NbTool *tool = NULL;
  NbToolContext empty = { 0 };

  g_return_if_fail (NB_IS_TOOL_REGISTRY (self));
  g_return_if_fail (call != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_tool_registry_execute_async);

  problem = nb_tool_registry_check_call (self, call, &tool);
  if (problem != NULL)
    {
      g_task_return_pointer (task, problem, g_free);
      return;
    }

  nb_tool_execute_async (tool, call->arguments, context != NULL ? context : &empty,
                         cancellable, execute_cb, g_steal_pointer (&task));
}

/**
 * nb_tool_registry_execute_finish:
 *
 * Returns: (transfer full): the result text, or %NULL when cancelled
 */
char *
nb_tool_registry_execute_finish (NbToolRegistry  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
