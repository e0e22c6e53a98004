/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-mcp-transport.h"

G_BEGIN_DECLS

#define NB_TYPE_MCP_HTTP_TRANSPORT (nb_mcp_http_transport_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpHttpTransport, nb_mcp_http_transport, NB, MCP_HTTP_TRANSPORT, NbMcpTransport)

NbMcpHttpTransport *nb_mcp_http_transport_new            (const char          *name,
                                                          const char          *url,
                                                          JsonObject          *headers,
                                                          gboolean             legacy_sse,
                                                          GError             **error);

G_END_DECLS
