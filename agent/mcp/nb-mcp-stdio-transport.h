/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-mcp-transport.h"

G_BEGIN_DECLS

#define NB_TYPE_MCP_STDIO_TRANSPORT (nb_mcp_stdio_transport_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpStdioTransport, nb_mcp_stdio_transport, NB, MCP_STDIO_TRANSPORT, NbMcpTransport)

NbMcpTransport *nb_mcp_stdio_transport_new     (const char          *name,
                                                const char          *command,
                                                const char * const  *args,
                                                JsonObject          *env);

G_END_DECLS
