/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NB_MCP_ERROR (nb_mcp_error_quark ())

typedef enum {
  NB_MCP_ERROR_CONFIG,           /* neither a command nor a URL, … */
  NB_MCP_ERROR_PROTOCOL,         /* invalid JSON, unexpected reply */
  NB_MCP_ERROR_TOO_LARGE,        /* a line or body over NB_MCP_MAX_MESSAGE_SIZE */
  NB_MCP_ERROR_CLOSED,           /* the server went away */
  NB_MCP_ERROR_SESSION_EXPIRED,  /* HTTP 404 for our Mcp-Session-Id */
  NB_MCP_ERROR_TIMEOUT,
  NB_MCP_ERROR_SERVER,           /* a JSON-RPC error response */
  NB_MCP_ERROR_VERSION,          /* no protocol version in common */
  NB_MCP_ERROR_HTTP,             /* an HTTP status we cannot use */
} NbMcpError;

GQuark nb_mcp_error_quark (void);

/* The largest single message (stdio line, HTTP body, SSE event) we accept. */
#define NB_MCP_MAX_MESSAGE_SIZE (16 * 1024 * 1024)

#define NB_TYPE_MCP_TRANSPORT (nb_mcp_transport_get_type ())
G_DECLARE_DERIVABLE_TYPE (NbMcpTransport, nb_mcp_transport, NB, MCP_TRANSPORT, GObject)

/**
 * NbMcpTransportClass:
 * @start_async: connects (spawns the process, opens the event stream).
 * @send_async: sends one JSON-RPC message (or batch).
 * @set_protocol_version: called once initialization succeeded.
 * @close: stops everything; no signal is emitted afterwards.
 *
 * Messages from the server arrive through the #NbMcpTransport::message
 * signal; the end of the connection through #NbMcpTransport::closed,
 * emitted at most once.
 */
struct _NbMcpTransportClass
{
  GObjectClass parent_class;

  void     (*start_async)          (NbMcpTransport      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
  gboolean (*start_finish)         (NbMcpTransport      *self,
                                    GAsyncResult        *result,
                                    GError             **error);
  void     (*send_async)           (NbMcpTransport      *self,
                                    JsonNode            *message,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
  gboolean (*send_finish)          (NbMcpTransport      *self,
                                    GAsyncResult        *result,
                                    GError             **error);
  void     (*set_protocol_version) (NbMcpTransport      *self,
                                    const char          *version);
  void     (*close)                (NbMcpTransport      *self);
};

const char *nb_mcp_transport_get_name             (NbMcpTransport      *self);
gboolean    nb_mcp_transport_get_replies_in_send  (NbMcpTransport      *self);
gboolean    nb_mcp_transport_is_closed            (NbMcpTransport      *self);

void        nb_mcp_transport_start_async          (NbMcpTransport      *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean    nb_mcp_transport_start_finish         (NbMcpTransport      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void        nb_mcp_transport_send_async           (NbMcpTransport      *self,
                                                   JsonNode            *message,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean    nb_mcp_transport_send_finish          (NbMcpTransport      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void        nb_mcp_transport_set_protocol_version (NbMcpTransport      *self,
                                                   const char          *version);
void        nb_mcp_transport_close                (NbMcpTransport      *self);

G_END_DECLS
