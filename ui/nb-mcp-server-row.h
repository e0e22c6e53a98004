/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-mcp-server.h"

G_BEGIN_DECLS

#define NB_TYPE_MCP_SERVER_ROW (nb_mcp_server_row_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpServerRow, nb_mcp_server_row, NB, MCP_SERVER_ROW, AdwExpanderRow)

/* One tools.mcpServers entry: its live state in words, a switch that
 * turns it on and off, its tools when expanded, Edit and Remove. Emits
 * ::toggled (gboolean enabled), ::edit and ::remove; the page saves. */
NbMcpServerRow *nb_mcp_server_row_new      (const char     *name);
const char     *nb_mcp_server_row_get_name (NbMcpServerRow *self);
/* @server: (nullable): the running server, NULL when not started. */
void            nb_mcp_server_row_update   (NbMcpServerRow *self,
                                            JsonObject     *config,
                                            NbMcpServer    *server);

G_END_DECLS
