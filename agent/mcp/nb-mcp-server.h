/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "nb-mcp-transport.h"

G_BEGIN_DECLS

typedef enum {
  NB_MCP_SERVER_STATE_IDLE,        /* not connected yet (or shut down) */
  NB_MCP_SERVER_STATE_CONNECTING,
  NB_MCP_SERVER_STATE_CONNECTED,
  NB_MCP_SERVER_STATE_FAILED,      /* see nb_mcp_server_get_error_message() */
} NbMcpServerState;

#define NB_TYPE_MCP_SERVER_STATE (nb_mcp_server_state_get_type ())
GType nb_mcp_server_state_get_type (void);

/* Protocol versions we speak, newest first. */
#define NB_MCP_PROTOCOL_VERSION "2025-06-18"

/* Default for tools.mcpServers.<name>.toolTimeout, in seconds. */
#define NB_MCP_DEFAULT_TOOL_TIMEOUT 30

/* Tool results longer than this many bytes are cut for the model. */
#define NB_MCP_MAX_RESULT_SIZE (256 * 1024)

#define NB_TYPE_MCP_SERVER (nb_mcp_server_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpServer, nb_mcp_server, NB, MCP_SERVER, GObject)

NbMcpServer      *nb_mcp_server_new                (const char           *name,
                                                    JsonObject           *config);
const char       *nb_mcp_server_get_name           (NbMcpServer          *self);
NbMcpServerState  nb_mcp_server_get_state          (NbMcpServer          *self);
const char       *nb_mcp_server_get_error_message  (NbMcpServer          *self);
guint             nb_mcp_server_get_n_tools        (NbMcpServer          *self);
guint             nb_mcp_server_get_tool_timeout   (NbMcpServer          *self);
const char       *nb_mcp_server_get_protocol_version (NbMcpServer        *self);
GPtrArray        *nb_mcp_server_dup_tool_definitions (NbMcpServer        *self);
char             *nb_mcp_server_dup_status_line    (NbMcpServer          *self);

void              nb_mcp_server_connect_async      (NbMcpServer          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          nb_mcp_server_connect_finish     (NbMcpServer          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void              nb_mcp_server_call_tool_async    (NbMcpServer          *self,
                                                    const char           *tool_name,
                                                    JsonObject           *arguments,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char             *nb_mcp_server_call_tool_finish   (NbMcpServer          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void              nb_mcp_server_shutdown           (NbMcpServer          *self);

/* Turns a tools/call result into the text the model sees. */
char             *nb_mcp_server_format_result      (JsonObject           *result);

G_END_DECLS
