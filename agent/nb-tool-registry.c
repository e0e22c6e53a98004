/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool-registry"

#include "config.h"

#include <string.h>

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

  problems = nb_tool_validate_arguments (found, call->arguments);
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

  g_assert (NB_IS_TOOL (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

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
