/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-tool.h"

/* A tool of an MCP server, offered to the model as mcp_<server>_<tool>. */

struct _NbMcpTool
{
  NbTool       parent_instance;

  NbMcpServer *server;
  char        *remote_name;
};

G_DEFINE_FINAL_TYPE (NbMcpTool, nb_mcp_tool, NB_TYPE_TOOL)

static void
call_tool_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *text;

  g_assert (NB_IS_MCP_SERVER (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  text = nb_mcp_server_call_tool_finish (NB_MCP_SERVER (object), result, &error);
  if (text == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, text, g_free);
}

static void
nb_mcp_tool_execute_async (NbTool              *tool,
                           JsonObject          *arguments,
                           const NbToolContext *context,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  NbMcpTool *self = NB_MCP_TOOL (tool);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, nb_mcp_tool_execute_async);
  nb_mcp_server_call_tool_async (self->server, self->remote_name, arguments, cancellable,
                                 call_tool_cb, task);
}

static void
nb_mcp_tool_finalize (GObject *object)
{
  NbMcpTool *self = NB_MCP_TOOL (object);

  g_clear_object (&self->server);
  g_clear_pointer (&self->remote_name, g_free);

  G_OBJECT_CLASS (nb_mcp_tool_parent_class)->finalize (object);
}

static void
nb_mcp_tool_class_init (NbMcpToolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbToolClass *tool_class = NB_TOOL_CLASS (klass);

  object_class->finalize = nb_mcp_tool_finalize;
  tool_class->execute_async = nb_mcp_tool_execute_async;
}

static void
nb_mcp_tool_init (NbMcpTool *self)
{
}

/**
 * nb_mcp_tool_make_name:
 *
 * "mcp_<server>_<tool>" with anything outside [a-zA-Z0-9_-] replaced by
 * "_", cut to %NB_MCP_TOOL_NAME_MAX characters.
 *
 * Returns: (transfer full): the name the model sees
 */
char *
nb_mcp_tool_make_name (const char *server_name,
                       const char *tool_name)
{
  char *name;

  g_return_val_if_fail (server_name != NULL, NULL);
  g_return_val_if_fail (tool_name != NULL, NULL);

  name = g_strdup_printf ("mcp_%s_%s", server_name, tool_name);
  for (char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      *p = '_';
  if (strlen (name) > NB_MCP_TOOL_NAME_MAX)
    name[NB_MCP_TOOL_NAME_MAX] = '\0';
  return name;
}

static JsonObject *
dup_schema (JsonObject *definition)
{
  JsonNode *node = json_object_get_member (definition, "inputSchema");
  JsonObject *schema;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      /* A deep, mutable copy: messages are parsed immutable. */
      g_autofree char *text = nb_json_to_data (node, FALSE, NULL);
      g_autoptr(JsonNode) copy = json_from_string (text, NULL);

      /* What json-glib wrote it may not read back (found by
       * tests/fuzz/fuzz-mcp.c): then the schema constrains nothing. */
      schema = copy != NULL && JSON_NODE_HOLDS_OBJECT (copy)
        ? json_object_ref (json_node_get_object (copy)) : json_object_new ();
    }
  else
    schema = json_object_new ();

  /* Providers want an object schema with properties. */
  if (!json_object_has_member (schema, "type"))
    json_object_set_string_member (schema, "type", "object");
  if (!json_object_has_member (schema, "properties"))
    json_object_set_object_member (schema, "properties", json_object_new ());
  json_object_remove_member (schema, "$schema");
  return schema;
}

static gboolean
is_read_only (JsonObject *definition)
{
  return nb_json_get_boolean (nb_json_get_object (definition, "annotations"), "readOnlyHint");
}

/**
 * nb_mcp_tool_new:
 * @definition: a tools/list entry
 *
 * Returns: (transfer full): the tool
 */
NbTool *
nb_mcp_tool_new (NbMcpServer *server,
                 JsonObject  *definition)
{
  g_autofree char *name = NULL;
  g_autoptr(JsonObject) schema = NULL;
  const char *remote_name;
  const char *description;
  NbMcpTool *self;

  g_return_val_if_fail (NB_IS_MCP_SERVER (server), NULL);
  g_return_val_if_fail (definition != NULL, NULL);

  remote_name = nb_json_get_string_or (definition, "name", "");
  description = nb_json_get_string_or (definition, "description", NULL);
  if (description == NULL)
    description = nb_json_get_string_or (definition, "title", "");
  name = nb_mcp_tool_make_name (nb_mcp_server_get_name (server), remote_name);
  schema = dup_schema (definition);

  self = g_object_new (NB_TYPE_MCP_TOOL,
                       "name", name,
                       "description", description,
                       "parameters", schema,
                       "side-effects", !is_read_only (definition),
                       "for-subagents", FALSE,
                       NULL);
  self->server = g_object_ref (server);
  self->remote_name = g_strdup (remote_name);
  return NB_TOOL (self);
}

/**
 * nb_mcp_tool_get_server:
 * @self: an MCP tool
 *
 * Returns: (transfer none): the server the tool calls
 */
NbMcpServer *
nb_mcp_tool_get_server (NbMcpTool *self)
{
  g_return_val_if_fail (NB_IS_MCP_TOOL (self), NULL);
  return self->server;
}

const char *
nb_mcp_tool_get_remote_name (NbMcpTool *self)
{
  g_return_val_if_fail (NB_IS_MCP_TOOL (self), NULL);
  return self->remote_name;
}
