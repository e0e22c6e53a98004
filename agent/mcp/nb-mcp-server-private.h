/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-mcp-server.h"

G_BEGIN_DECLS

/*
 * Shared by the files of NbMcpServer:
 *   nb-mcp-server.c        the object, its state, connecting (initialize and
 *                          version negotiation), shutdown;
 *   nb-mcp-server-rpc.c    JSON-RPC: request ids, pending requests, time-outs,
 *                          cancellation, dispatch of what the server sends;
 *   nb-mcp-server-tools.c  tools/list with pagination, list_changed,
 *                          tools/call and the result text for the model.
 */

struct _NbMcpServer
{
  GObject           parent_instance;

  char             *name;
  JsonObject       *config;
  guint             tool_timeout;

  NbMcpServerState  state;
  char             *error_message;
  char             *protocol_version;
  GPtrArray        *tools;

  NbMcpTransport   *transport;
  GCancellable     *connection_cancellable;
  guint             generation;
  guint             connect_timeout_id;
  guint             next_id;
  GHashTable       *requests;
  GPtrArray        *connect_waiters;
  gboolean          listing;
  gboolean          list_again;
  gboolean          has_tools;     /* the server declared the tools capability */
};

/* nb-mcp-server.c */
void        nb_mcp_server_set_state             (NbMcpServer          *self,
                                                 NbMcpServerState      state,
                                                 const char           *error_message);
void        nb_mcp_server_set_tools             (NbMcpServer          *self,
                                                 GPtrArray            *tools);
void        nb_mcp_server_teardown              (NbMcpServer          *self,
                                                 const GError         *error);
void        nb_mcp_server_connection_failed     (NbMcpServer          *self,
                                                 const GError         *error);
void        nb_mcp_server_finish_connecting     (NbMcpServer          *self);

/* nb-mcp-server-rpc.c */
gint64      nb_mcp_json_get_integer             (JsonObject           *object,
                                                 const char           *member);
JsonNode   *nb_mcp_rpc_message_new              (guint                 id,
                                                 const char           *method,
                                                 JsonObject           *params);
void        nb_mcp_server_request_async         (NbMcpServer          *self,
                                                 const char           *method,
                                                 JsonObject           *params,
                                                 guint                 timeout_s,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject *nb_mcp_server_request_finish        (NbMcpServer          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void        nb_mcp_server_fail_all_requests     (NbMcpServer          *self,
                                                 const GError         *error);
void        nb_mcp_server_receive               (NbMcpServer          *self,
                                                 NbMcpTransport       *transport,
                                                 JsonNode             *node);

/* nb-mcp-server-tools.c */
void        nb_mcp_server_list_tools            (NbMcpServer          *self,
                                                 const char           *cursor,
                                                 GPtrArray            *collected,
                                                 guint                 page);
void        nb_mcp_server_handle_notification   (NbMcpServer          *self,
                                                 JsonObject           *message);

G_END_DECLS
