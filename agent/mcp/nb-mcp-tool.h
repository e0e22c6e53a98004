/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-mcp-server.h"
#include "nb-tool.h"

G_BEGIN_DECLS

/* Longest tool name providers accept. */
#define NB_MCP_TOOL_NAME_MAX 64

#define NB_TYPE_MCP_TOOL (nb_mcp_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpTool, nb_mcp_tool, NB, MCP_TOOL, NbTool)

NbTool      *nb_mcp_tool_new              (NbMcpServer *server,
                                           JsonObject  *definition);
NbMcpServer *nb_mcp_tool_get_server       (NbMcpTool   *self);
const char  *nb_mcp_tool_get_remote_name  (NbMcpTool   *self);

char        *nb_mcp_tool_make_name        (const char  *server_name,
                                           const char  *tool_name);

G_END_DECLS
