/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A tool call's arguments as the model streams them, checked the way the
 * registry checks them before anything runs: parsed into an object (or
 * refused), validated against the tool's JSON schema. The first byte
 * picks one of the built-in tools; an input of the form
 * "DEFINITION\n---\nARGUMENTS" instead checks ARGUMENTS against the
 * schema of an MCP tool made from DEFINITION (schemas come from servers).
 */
#include "config.h"

#include "nb-builtin-tools.h"
#include "nb-mcp-server.h"
#include "nb-mcp-tool.h"
#include "nb-provider.h"
#include "nb-tool-registry.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static NbToolRegistry *registry;
  static GPtrArray *tools;
  static NbMcpServer *server;
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(NbToolCall) call = NULL;
  g_autofree char *problems = NULL;
  const char *separator;
  NbTool *tool = NULL;

  nb_fuzz_init ();
  if (registry == NULL)
    {
      g_autoptr(NbConfig) config = nb_config_new ();
      g_autoptr(JsonObject) server_config = json_object_new ();

      json_object_set_string_member (server_config, "command", "true");
      server = nb_mcp_server_new ("fuzz", server_config);
      registry = nb_tool_registry_new ();
      tools = nb_builtin_tools_new (config);
      for (guint i = 0; i < tools->len; i++)
        nb_tool_registry_add (registry, tools->pdata[i]);
    }
  if (size < 1)
    return 0;

  separator = strstr (text, "\n---\n");
  if (separator != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(NbTool) mcp_tool = NULL;
      JsonNode *root;

      if (!json_parser_load_from_data (parser, text, separator - text, NULL))
        return 0;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        return 0;
      mcp_tool = nb_mcp_tool_new (server, json_node_get_object (root));
      if (mcp_tool == NULL)
        return 0;
      call = nb_tool_call_new ("call_1", nb_tool_get_name (mcp_tool), separator + 5);
      if (call->arguments != NULL)
        problems = nb_tool_validate_arguments (mcp_tool, call->arguments);
      if (problems != NULL && !g_utf8_validate (problems, -1, NULL))
        g_error ("not UTF-8: %s", problems);
      return 0;
    }

  call = nb_tool_call_new ("call_1", nb_tool_get_name (tools->pdata[data[0] % tools->len]), text + 1);
  problems = nb_tool_registry_check_call (registry, call, &tool);
  g_assert ((problems == NULL) == (tool != NULL));
  if (problems != NULL && !g_utf8_validate (problems, -1, NULL))
    g_error ("not UTF-8: %s", problems);
  return 0;
}
