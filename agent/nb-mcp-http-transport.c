/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-mcp-http-transport.h"

struct _NbMcpHttpTransport
{
  NbMcpTransport parent_instance;
};

G_DEFINE_FINAL_TYPE (NbMcpHttpTransport, nb_mcp_http_transport, NB_TYPE_MCP_TRANSPORT)

static void
nb_mcp_http_transport_class_init (NbMcpHttpTransportClass *klass)
{
}

static void
nb_mcp_http_transport_init (NbMcpHttpTransport *self)
{
}

NbMcpHttpTransport *
nb_mcp_http_transport_new (const char  *name,
                           const char  *url,
                           JsonObject  *headers,
                           gboolean     legacy_sse,
                           GError     **error)
{
  g_set_error_literal (error, NB_MCP_ERROR, NB_MCP_ERROR_CONFIG, _("MCP over HTTP is not supported yet"));
  return NULL;
}

const char *
nb_mcp_http_transport_get_session_id (NbMcpHttpTransport *self)
{
  return NULL;
}
