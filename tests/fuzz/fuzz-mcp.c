/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What an MCP server sends: one JSON-RPC message or a batch, parsed as
 * the transports parse it and handed to the server object (requests,
 * notifications, answers to no request); a result with "tools" becomes
 * NbMcpTools (names made safe, schemas checked, definitions for the
 * model), and a result is formatted as a tools/call answer for the model.
 */
#include "config.h"

#include "nb-mcp-server-private.h"
#include "nb-mcp-tool.h"
#include "nb-mcp-transport-private.h"
#include "nb-fuzz.h"

static void
use_result (NbMcpServer *server,
            JsonObject  *result)
{
  g_autofree char *text = nb_mcp_server_format_result (result);
  JsonNode *tools = json_object_get_member (result, "tools");

  g_assert (text == NULL || g_utf8_validate (text, -1, NULL));
  if (tools == NULL || !JSON_NODE_HOLDS_ARRAY (tools))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (tools), i);
      g_autoptr(NbTool) tool = NULL;
      g_autoptr(JsonObject) empty = json_object_new ();
      g_autofree char *problems = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      tool = nb_mcp_tool_new (server, json_node_get_object (element));
      if (tool == NULL)
        continue;
      g_assert (g_utf8_validate (nb_tool_get_name (tool), -1, NULL));
      g_assert (strlen (nb_tool_get_name (tool)) <= NB_MCP_TOOL_NAME_MAX);
      problems = nb_tool_validate_arguments (tool, empty);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static NbMcpServer *server;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  nb_fuzz_init ();
  if (server == NULL)
    {
      g_autoptr(JsonObject) config = json_object_new ();

      json_object_set_string_member (config, "command", "true");
      server = nb_mcp_server_new ("fuzz", config);
    }
  node = nb_mcp_transport_parse ((const char *) data, size, &error);
  if (node == NULL)
    return 0;
  nb_mcp_server_receive (server, NULL, node);
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonNode *result = json_object_get_member (json_node_get_object (node), "result");

      if (result != NULL && JSON_NODE_HOLDS_OBJECT (result))
        use_result (server, json_node_get_object (result));
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}
