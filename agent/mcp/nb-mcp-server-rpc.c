/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-server-private.h"
#include "nb-mcp-transport.h"

/*
 * The JSON-RPC side of NbMcpServer: request ids (they keep counting across
 * connections, so a late answer never matches a new request), the requests
 * in flight with their time-outs and cancellation, and the dispatch of what
 * the server sends: answers, its own requests (ping) and notifications.
 */

/* An integer member, else 0: JSON-RPC codes and toolTimeout are integers,
 * and anything else falls back to the default. */
gint64
nb_mcp_json_get_integer (JsonObject *object,
                         const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  return 0;
}

/* Requests in flight. */

typedef struct
{
  NbMcpServer  *server;
  guint         id;
  guint         timeout_s;
  gboolean      is_initialize;  /* never announced as cancelled (spec) */
  GTask        *task;
  GCancellable *cancellable;
  gulong        cancelled_id;
  guint         timeout_id;
  GCancellable *send_cancellable;
} Request;

typedef struct
{
  NbMcpServer *server;
  guint        id;
} RequestRef;

static void send_notification (NbMcpServer *self,
                               const char  *method,
                               JsonObject  *params);

static void
request_free (Request *request)
{
  if (request->cancelled_id != 0)
    g_cancellable_disconnect (request->cancellable, request->cancelled_id);
  g_clear_handle_id (&request->timeout_id, g_source_remove);
  g_cancellable_cancel (request->send_cancellable);
  g_clear_object (&request->send_cancellable);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->task);
  g_free (request);
}

static void
request_ref_free (RequestRef *ref)
{
  g_clear_object (&ref->server);
  g_free (ref);
}

static RequestRef *
request_ref_new (NbMcpServer *self,
                 guint        id)
{
  RequestRef *ref = g_new0 (RequestRef, 1);

  ref->server = g_object_ref (self);
  ref->id = id;
  return ref;
}

/* Completes request @id with @result or @error (taken), if still pending. */
static void
request_return (NbMcpServer *self,
                guint        id,
                JsonObject  *result,
                GError      *error)
{
  g_autoptr(GError) owned_error = error;
  g_autoptr(GTask) task = NULL;
  Request *request = NULL;

  if (!g_hash_table_steal_extended (self->requests, GUINT_TO_POINTER (id), NULL, (gpointer *) &request))
    return;

  task = g_steal_pointer (&request->task);
  request_free (request);

  if (owned_error != NULL)
    g_task_return_error (task, g_steal_pointer (&owned_error));
  else
    g_task_return_pointer (task, json_object_ref (result), (GDestroyNotify) json_object_unref);
}

void
nb_mcp_server_fail_all_requests (NbMcpServer  *self,
                                 const GError *error)
{
  g_autoptr(GList) ids = g_hash_table_get_keys (self->requests);

  for (GList *l = ids; l != NULL; l = l->next)
    request_return (self, GPOINTER_TO_UINT (l->data), NULL, g_error_copy (error));
}

static gboolean
request_cancelled_idle_cb (gpointer user_data)
{
  RequestRef *ref = user_data;
  NbMcpServer *self = ref->server;

  g_assert (NB_IS_MCP_SERVER (self));

  if (g_hash_table_contains (self->requests, GUINT_TO_POINTER (ref->id)))
    {
      JsonObject *params = json_object_new ();

      json_object_set_int_member (params, "requestId", ref->id);
      json_object_set_string_member (params, "reason", "Cancelled by the user");
      send_notification (self, "notifications/cancelled", params);
      request_return (self, ref->id, NULL,
                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The operation was cancelled")));
    }
  return G_SOURCE_REMOVE;
}

static void
request_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  Request *request = user_data;

  g_assert (G_IS_CANCELLABLE (cancellable));
  g_assert (request != NULL);
  g_assert (NB_IS_MCP_SERVER (request->server));

  /* Not here: disconnecting from inside the handler would deadlock. */
  g_idle_add_full (G_PRIORITY_DEFAULT, request_cancelled_idle_cb,
                   request_ref_new (request->server, request->id),
                   (GDestroyNotify) request_ref_free);
}

static gboolean
request_timeout_cb (gpointer user_data)
{
  Request *request = user_data;
  NbMcpServer *self = request->server;
  JsonObject *params = json_object_new ();
  guint id = request->id;
  guint timeout_s = request->timeout_s;

  g_assert (NB_IS_MCP_SERVER (self));

  request->timeout_id = 0;
  json_object_set_int_member (params, "requestId", id);
  json_object_set_string_member (params, "reason", "Timed out");
  if (!request->is_initialize)
    send_notification (self, "notifications/cancelled", params);
  else
    json_object_unref (params);
  request_return (self, id, NULL,
                  g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_TIMEOUT,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "No answer within %u second",
                                            "No answer within %u seconds",
                                            timeout_s),
                               timeout_s));
  return G_SOURCE_REMOVE;
}

static void
request_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RequestRef *ref = user_data;
  NbMcpServer *self = ref->server;
  NbMcpTransport *transport = NB_MCP_TRANSPORT (object);
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_TRANSPORT (transport));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_SERVER (self));

  if (!nb_mcp_transport_send_finish (transport, result, &error))
    request_return (self, ref->id, NULL, g_steal_pointer (&error));
  else if (nb_mcp_transport_get_replies_in_send (transport))
    request_return (self, ref->id, NULL,
                    g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                         _("The server ended its reply without answering")));
  request_ref_free (ref);
}

JsonNode *
nb_mcp_rpc_message_new (guint       id,
                        const char *method,
                        JsonObject *params)
{
  JsonObject *message = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (message, "jsonrpc", "2.0");
  if (id != 0)
    json_object_set_int_member (message, "id", id);
  json_object_set_string_member (message, "method", method);
  if (params != NULL)
    json_object_set_object_member (message, "params", params);
  json_node_take_object (node, message);
  return node;
}

/* Sends a request on the current connection; the result is the JSON-RPC
 * result object. @params is taken. */
void
nb_mcp_server_request_async (NbMcpServer         *self,
                             const char          *method,
                             JsonObject          *params,
                             guint                timeout_s,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonNode) message = NULL;
  Request *request;

  g_task_set_source_tag (task, nb_mcp_server_request_async);

  if (self->transport == NULL || nb_mcp_transport_is_closed (self->transport))
    {
      if (params != NULL)
        json_object_unref (params);
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("The connection to the server is closed"));
      return;
    }

  request = g_new0 (Request, 1);
  request->server = self;
  request->id = ++self->next_id;
  request->timeout_s = timeout_s;
  request->is_initialize = g_str_equal (method, "initialize");
  request->task = g_steal_pointer (&task);
  request->send_cancellable = g_cancellable_new ();
  g_hash_table_insert (self->requests, GUINT_TO_POINTER (request->id), request);

  message = nb_mcp_rpc_message_new (request->id, method, params);
  if (timeout_s > 0)
    request->timeout_id = g_timeout_add (timeout_s * 1000, request_timeout_cb, request);
  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      request->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (request_cancelled_cb),
                                                     request, NULL);
    }

  nb_mcp_transport_send_async (self->transport, message, request->send_cancellable,
                               request_sent_cb, request_ref_new (self, request->id));
}

JsonObject *
nb_mcp_server_request_finish (NbMcpServer   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
notification_sent_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_TRANSPORT (object));
  g_assert (G_IS_ASYNC_RESULT (result));

  if (!nb_mcp_transport_send_finish (NB_MCP_TRANSPORT (object), result, &error))
    g_debug ("Could not send a notification to MCP server %s: %s",
             nb_mcp_transport_get_name (NB_MCP_TRANSPORT (object)), error->message);
}

static void
send_message (NbMcpServer *self,
              JsonNode    *message)
{
  if (self->transport == NULL || nb_mcp_transport_is_closed (self->transport))
    return;
  nb_mcp_transport_send_async (self->transport, message, self->connection_cancellable,
                               notification_sent_cb, NULL);
}

/* @params is taken. */
static void
send_notification (NbMcpServer *self,
                   const char  *method,
                   JsonObject  *params)
{
  g_autoptr(JsonNode) message = nb_mcp_rpc_message_new (0, method, params);

  send_message (self, message);
}

/* Messages from the server. */

static void
answer_request (NbMcpServer *self,
                JsonObject  *message)
{
  const char *method = nb_json_get_string_or (message, "method", "");
  JsonObject *reply = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (reply, "jsonrpc", "2.0");
  json_object_set_member (reply, "id", json_node_copy (json_object_get_member (message, "id")));
  if (g_str_equal (method, "ping"))
    json_object_set_object_member (reply, "result", json_object_new ());
  else
    {
      JsonObject *error = json_object_new ();

      json_object_set_int_member (error, "code", -32601);
      json_object_set_string_member (error, "message", "Method not found");
      json_object_set_object_member (reply, "error", error);
    }
  json_node_take_object (node, reply);
  send_message (self, node);
}

static void
handle_response (NbMcpServer *self,
                 JsonObject  *message)
{
  JsonNode *id_node = json_object_get_member (message, "id");
  JsonNode *result;
  JsonNode *error;
  gint64 id;

  if (!JSON_NODE_HOLDS_VALUE (id_node) || json_node_get_value_type (id_node) != G_TYPE_INT64)
    return;
  id = json_node_get_int (id_node);
  if (id <= 0 || id > G_MAXUINT)
    return;

  result = json_object_get_member (message, "result");
  error = json_object_get_member (message, "error");
  if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
    {
      JsonObject *object = json_node_get_object (error);
      const char *text = nb_json_get_string_or (object, "message", "");

      request_return (self, id, NULL,
                      g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_SERVER, "%s (%" G_GINT64_FORMAT ")",
                                   text, nb_mcp_json_get_integer (object, "code")));
    }
  else if (result != NULL && JSON_NODE_HOLDS_OBJECT (result))
    request_return (self, id, json_node_get_object (result), NULL);
  else
    request_return (self, id, NULL,
                    g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                                         _("The server sent an answer without a result")));
}

static void
handle_message (NbMcpServer *self,
                JsonNode    *node)
{
  JsonObject *message;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;
  message = json_node_get_object (node);

  if (json_object_has_member (message, "method"))
    {
      if (json_object_has_member (message, "id"))
        answer_request (self, message);
      else
        nb_mcp_server_handle_notification (self, message);
    }
  else if (json_object_has_member (message, "id"))
    handle_response (self, message);
}

/* What @transport delivered: one message or a batch. */
void
nb_mcp_server_receive (NbMcpServer    *self,
                       NbMcpTransport *transport,
                       JsonNode       *node)
{
  g_autoptr(NbMcpServer) hold G_GNUC_UNUSED = g_object_ref (self);

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *batch = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (batch) && transport == self->transport; i++)
        handle_message (self, json_array_get_element (batch, i));
    }
  else
    handle_message (self, node);
}
