/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-http-transport.h"
#include "nb-mcp-server.h"
#include "nb-mcp-stdio-transport.h"
#include "nb-mcp-transport.h"

/*
 * One configured MCP server: its connection (a transport plus the JSON-RPC
 * bookkeeping on top of it), its state for the UI, and its tool list.
 *
 * A connection is made on demand and again after any failure; request ids
 * keep counting across connections so a late answer never matches a new
 * request. Callbacks of a connection carry its generation number and do
 * nothing once that connection has been torn down.
 */

#define MAX_TOOL_PAGES 1000

static const char * const supported_versions[] = {
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
  NULL
};

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

enum {
  PROP_0,
  PROP_NAME,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_N_TOOLS,
  N_PROPS
};

enum {
  TOOLS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_ENUM_TYPE (NbMcpServerState, nb_mcp_server_state,
                    G_DEFINE_ENUM_VALUE (NB_MCP_SERVER_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (NB_MCP_SERVER_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (NB_MCP_SERVER_STATE_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (NB_MCP_SERVER_STATE_FAILED, "failed"))

G_DEFINE_FINAL_TYPE (NbMcpServer, nb_mcp_server, G_TYPE_OBJECT)

/* An integer member, else 0: JSON-RPC codes and toolTimeout are integers,
 * and anything else falls back to the default. */
static gint64
get_integer (JsonObject *object,
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

static void send_notification   (NbMcpServer *self,
                                 const char  *method,
                                 JsonObject  *params);
static void list_tools          (NbMcpServer *self,
                                 const char  *cursor,
                                 GPtrArray   *collected,
                                 guint        page);

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

static void
fail_all_requests (NbMcpServer  *self,
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

  if (!nb_mcp_transport_send_finish (transport, result, &error))
    request_return (self, ref->id, NULL, g_steal_pointer (&error));
  else if (nb_mcp_transport_get_replies_in_send (transport))
    request_return (self, ref->id, NULL,
                    g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                         _("The server ended its reply without answering")));
  request_ref_free (ref);
}

static JsonNode *
make_message (guint       id,
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
static void
request_async (NbMcpServer         *self,
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

  g_task_set_source_tag (task, request_async);

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

  message = make_message (request->id, method, params);
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

static JsonObject *
request_finish (NbMcpServer   *self,
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
  g_autoptr(JsonNode) message = make_message (0, method, params);

  send_message (self, message);
}

/* State. */

static void
set_state (NbMcpServer      *self,
           NbMcpServerState  state,
           const char       *error_message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->error_message, error_message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_tools (NbMcpServer *self,
           GPtrArray   *tools)
{
  guint old = self->tools->len;

  g_ptr_array_unref (self->tools);
  self->tools = g_ptr_array_ref (tools);
  if (old != tools->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOOLS]);
  g_signal_emit (self, signals[TOOLS_CHANGED], 0);
}

/* Drops the current connection, failing what waits on it with @error. */
static void
teardown (NbMcpServer  *self,
          const GError *error)
{
  g_autoptr(NbMcpTransport) transport = g_steal_pointer (&self->transport);

  self->generation++;
  self->listing = FALSE;
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  g_cancellable_cancel (self->connection_cancellable);
  g_clear_object (&self->connection_cancellable);

  if (transport != NULL)
    {
      g_signal_handlers_disconnect_by_data (transport, self);
      nb_mcp_transport_close (transport);
    }
  fail_all_requests (self, error);
}

/* A caller of connect_async() that may give up before the connection
 * settles. */
typedef struct
{
  GCancellable *cancellable;
  gulong        cancelled_id;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  if (waiter->cancelled_id != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
}

static void
waiter_done (GTask *task)
{
  Waiter *waiter = g_task_get_task_data (task);

  if (waiter->cancelled_id != 0)
    {
      g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
      waiter->cancelled_id = 0;
    }
}

static gboolean
waiter_cancelled_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  NbMcpServer *self = g_task_get_source_object (task);

  if (g_ptr_array_find (self->connect_waiters, task, NULL))
    {
      g_autoptr(GTask) owned = g_object_ref (task);

      g_ptr_array_remove (self->connect_waiters, task);
      waiter_done (owned);
      g_task_return_new_error (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The operation was cancelled"));
    }
  return G_SOURCE_REMOVE;
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     GTask        *task)
{
  /* Not here: disconnecting from inside the handler would deadlock. */
  g_idle_add_full (G_PRIORITY_DEFAULT, waiter_cancelled_idle_cb,
                   g_object_ref (task), g_object_unref);
}

static void
complete_waiters (NbMcpServer  *self,
                  const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->connect_waiters);

  self->connect_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      waiter_done (task);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
connection_failed (NbMcpServer  *self,
                   const GError *error)
{
  g_debug ("MCP server %s failed: %s", self->name, error->message);
  teardown (self, error);
  set_state (self, NB_MCP_SERVER_STATE_FAILED, error->message);
  complete_waiters (self, error);
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
handle_notification (NbMcpServer *self,
                     JsonObject  *message)
{
  const char *method = nb_json_get_string_or (message, "method", "");

  if (g_str_equal (method, "notifications/tools/list_changed"))
    {
      if (self->state == NB_MCP_SERVER_STATE_CONNECTED && !self->listing)
        list_tools (self, NULL, NULL, 0);
      else
        self->list_again = TRUE;
    }
  else if (g_str_equal (method, "notifications/message"))
    {
      JsonObject *params = nb_json_get_object (message, "params");
      JsonNode *data = params != NULL ? json_object_get_member (params, "data") : NULL;
      g_autofree char *text = data != NULL ? json_to_string (data, FALSE) : NULL;

      g_debug ("MCP server %s log: %s", self->name, text != NULL ? text : "");
    }
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
                                   text, get_integer (object, "code")));
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
        handle_notification (self, message);
    }
  else if (json_object_has_member (message, "id"))
    handle_response (self, message);
}

static void
transport_message_cb (NbMcpTransport *transport,
                      JsonNode       *node,
                      NbMcpServer    *self)
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

static void
transport_closed_cb (NbMcpTransport *transport,
                     const GError   *error,
                     NbMcpServer    *self)
{
  g_autoptr(NbMcpServer) hold G_GNUC_UNUSED = g_object_ref (self);

  if (transport != self->transport)
    return;

  if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
    connection_failed (self, error);
  else
    {
      teardown (self, error);
      set_state (self, NB_MCP_SERVER_STATE_FAILED, error->message);
    }
}

/* Tool listing, first and on notifications/tools/list_changed. */

typedef struct
{
  NbMcpServer *server;
  GPtrArray   *collected;
  guint        generation;
  guint        page;
} ListData;

static void
list_data_free (ListData *data)
{
  g_clear_object (&data->server);
  g_clear_pointer (&data->collected, g_ptr_array_unref);
  g_free (data);
}

static void
finish_connecting (NbMcpServer *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  set_state (self, NB_MCP_SERVER_STATE_CONNECTED, NULL);
  complete_waiters (self, NULL);
}

static void
list_tools_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ListData *data = user_data;
  NbMcpServer *self = data->server;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tools;
  const char *cursor;

  reply = request_finish (self, result, &error);
  if (data->generation != self->generation)
    goto out;

  if (reply == NULL)
    {
      if (self->state == NB_MCP_SERVER_STATE_CONNECTING && !self->has_tools &&
          g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SERVER))
        {
          /* Only prompts or resources: connected, with no tools to offer. */
          self->listing = FALSE;
          set_tools (self, data->collected);
          finish_connecting (self);
        }
      else if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
        connection_failed (self, error);
      else
        {
          g_debug ("Refreshing the tools of MCP server %s failed: %s", self->name, error->message);
          self->listing = FALSE;
        }
      goto out;
    }

  tools = nb_json_get_array (reply, "tools");
  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonNode *tool = json_array_get_element (tools, i);

      if (JSON_NODE_HOLDS_OBJECT (tool) &&
          nb_json_get_string_or (json_node_get_object (tool), "name", NULL) != NULL)
        g_ptr_array_add (data->collected, json_object_ref (json_node_get_object (tool)));
    }

  cursor = nb_json_get_string_or (reply, "nextCursor", NULL);
  if (cursor != NULL && *cursor != '\0' && data->page + 1 < MAX_TOOL_PAGES)
    {
      list_tools (self, cursor, data->collected, data->page + 1);
      goto out;
    }

  self->listing = FALSE;
  set_tools (self, data->collected);
  if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
    finish_connecting (self);
  if (self->list_again && self->state == NB_MCP_SERVER_STATE_CONNECTED)
    {
      self->list_again = FALSE;
      list_tools (self, NULL, NULL, 0);
    }

out:
  list_data_free (data);
}

static void
list_tools (NbMcpServer *self,
            const char  *cursor,
            GPtrArray   *collected,
            guint        page)
{
  ListData *data = g_new0 (ListData, 1);
  JsonObject *params = NULL;

  if (cursor != NULL)
    {
      params = json_object_new ();
      json_object_set_string_member (params, "cursor", cursor);
    }
  self->listing = TRUE;
  if (page == 0)
    self->list_again = FALSE;
  data->server = g_object_ref (self);
  data->generation = self->generation;
  data->page = page;
  data->collected = collected != NULL
    ? g_ptr_array_ref (collected)
    : g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  request_async (self, "tools/list", params, self->tool_timeout, NULL, list_tools_cb, data);
}

/* Connecting. */

typedef struct
{
  NbMcpServer *server;
  guint        generation;
} ConnectData;

static ConnectData *
connect_data_new (NbMcpServer *self)
{
  ConnectData *data = g_new0 (ConnectData, 1);

  data->server = g_object_ref (self);
  data->generation = self->generation;
  return data;
}

static void
connect_data_free (ConnectData *data)
{
  g_clear_object (&data->server);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConnectData, connect_data_free)

static void
initialized_sent_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(ConnectData) data = user_data;
  NbMcpServer *self = data->server;
  g_autoptr(GError) error = NULL;

  nb_mcp_transport_send_finish (NB_MCP_TRANSPORT (object), result, &error);
  if (data->generation != self->generation)
    return;
  if (error != NULL)
    connection_failed (self, error);
  else
    list_tools (self, NULL, NULL, 0);
}

static void
initialize_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConnectData) data = user_data;
  NbMcpServer *self = data->server;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) message = NULL;
  g_autoptr(GError) error = NULL;
  const char *version;

  reply = request_finish (self, result, &error);
  if (data->generation != self->generation)
    return;
  if (reply == NULL)
    {
      connection_failed (self, error);
      return;
    }

  version = nb_json_get_string_or (reply, "protocolVersion", "");
  if (!g_strv_contains (supported_versions, version))
    {
      g_autoptr(GError) version_error =
        g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_VERSION,
                     _("The server speaks MCP version “%s”, which Nanobot does not support"),
                     version);

      connection_failed (self, version_error);
      return;
    }

  g_free (self->protocol_version);
  self->protocol_version = g_strdup (version);
  self->has_tools = nb_json_get_object (nb_json_get_object (reply, "capabilities"), "tools") != NULL;
  nb_mcp_transport_set_protocol_version (self->transport, version);

  /* Over HTTP messages may overtake each other: list the tools only once
   * the server has taken the notification. */
  message = make_message (0, "notifications/initialized", NULL);
  nb_mcp_transport_send_async (self->transport, message, self->connection_cancellable,
                               initialized_sent_cb, g_steal_pointer (&data));
}

static void
transport_started_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(ConnectData) data = user_data;
  NbMcpServer *self = data->server;
  g_autoptr(GError) error = NULL;
  JsonObject *params;
  JsonObject *client_info;

  if (!nb_mcp_transport_start_finish (NB_MCP_TRANSPORT (object), result, &error))
    {
      if (data->generation == self->generation)
        connection_failed (self, error);
      return;
    }
  if (data->generation != self->generation)
    return;

  params = json_object_new ();
  client_info = json_object_new ();
  json_object_set_string_member (client_info, "name", "nanobot");
  json_object_set_string_member (client_info, "version", PACKAGE_VERSION);
  json_object_set_string_member (params, "protocolVersion", NB_MCP_PROTOCOL_VERSION);
  json_object_set_object_member (params, "capabilities", json_object_new ());
  json_object_set_object_member (params, "clientInfo", client_info);
  request_async (self, "initialize", params, self->tool_timeout, NULL,
                 initialize_cb, connect_data_new (self));
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  NbMcpServer *self = user_data;
  g_autoptr(GError) error = NULL;

  self->connect_timeout_id = 0;
  error = g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_TIMEOUT,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "The server did not start within %u second",
                                    "The server did not start within %u seconds",
                                    self->tool_timeout),
                       self->tool_timeout);
  connection_failed (self, error);
  return G_SOURCE_REMOVE;
}

/* Without a "type", a URL whose path ends in /sse is the legacy HTTP+SSE
 * transport, as the Python nanobot decides. */
static gboolean
is_legacy_sse (const char *type,
               const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  gsize length;

  if (*type != '\0')
    return g_str_equal (type, "sse");
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  path = g_strdup (g_uri_get_path (uri));
  length = strlen (path);
  while (length > 0 && path[length - 1] == '/')
    path[--length] = '\0';
  return g_str_has_suffix (path, "/sse");
}

static NbMcpTransport *
create_transport (NbMcpServer  *self,
                  GError      **error)
{
  const char *command = nb_json_get_string_or (self->config, "command", "");
  const char *url = nb_json_get_string_or (self->config, "url", "");
  const char *type = nb_json_get_string_or (self->config, "type", "");
  JsonObject *headers = nb_json_get_object (self->config, "headers");

  if (command != NULL && *command != '\0' && !g_str_equal (type, "sse") &&
      !g_str_equal (type, "streamableHttp") && !g_str_equal (type, "http"))
    {
      g_auto(GStrv) args = nb_json_dup_strv (self->config, "args");

      return nb_mcp_stdio_transport_new (self->name, command, (const char * const *) args,
                                         nb_json_get_object (self->config, "env"));
    }
  if (url != NULL && *url != '\0')
    {
      NbMcpHttpTransport *transport =
        nb_mcp_http_transport_new (self->name, url, headers, is_legacy_sse (type, url), error);

      return transport != NULL ? NB_MCP_TRANSPORT (transport) : NULL;
    }

  g_set_error_literal (error, NB_MCP_ERROR, NB_MCP_ERROR_CONFIG,
                       _("The server has neither a “command” nor a “url” in the configuration"));
  return NULL;
}

static void
start_connection (NbMcpServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) replaced = g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                                    _("The connection was replaced"));

  teardown (self, replaced);
  self->connection_cancellable = g_cancellable_new ();
  set_state (self, NB_MCP_SERVER_STATE_CONNECTING, NULL);

  self->transport = create_transport (self, &error);
  if (self->transport == NULL)
    {
      connection_failed (self, error);
      return;
    }

  g_signal_connect (self->transport, "message", G_CALLBACK (transport_message_cb), self);
  g_signal_connect (self->transport, "closed", G_CALLBACK (transport_closed_cb), self);
  self->connect_timeout_id = g_timeout_add (self->tool_timeout * 1000, connect_timeout_cb, self);
  nb_mcp_transport_start_async (self->transport, self->connection_cancellable,
                                transport_started_cb, connect_data_new (self));
}

/* GObject. */

static void
nb_mcp_server_dispose (GObject *object)
{
  NbMcpServer *self = NB_MCP_SERVER (object);

  nb_mcp_server_shutdown (self);

  G_OBJECT_CLASS (nb_mcp_server_parent_class)->dispose (object);
}

static void
nb_mcp_server_finalize (GObject *object)
{
  NbMcpServer *self = NB_MCP_SERVER (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->config, json_object_unref);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->protocol_version, g_free);
  g_clear_pointer (&self->tools, g_ptr_array_unref);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->connect_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_mcp_server_parent_class)->finalize (object);
}

static void
nb_mcp_server_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NbMcpServer *self = NB_MCP_SERVER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_N_TOOLS:
      g_value_set_uint (value, self->tools->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_mcp_server_class_init (NbMcpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_mcp_server_dispose;
  object_class->finalize = nb_mcp_server_finalize;
  object_class->get_property = nb_mcp_server_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       NB_TYPE_MCP_SERVER_STATE, NB_MCP_SERVER_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_TOOLS] =
    g_param_spec_uint ("n-tools", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbMcpServer::tools-changed:
   *
   * The tool list was (re)loaded; see nb_mcp_server_dup_tool_definitions().
   */
  signals[TOOLS_CHANGED] =
    g_signal_new ("tools-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
nb_mcp_server_init (NbMcpServer *self)
{
  self->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->requests = g_hash_table_new (NULL, NULL);
  self->connect_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->tool_timeout = NB_MCP_DEFAULT_TOOL_TIMEOUT;
}

/**
 * nb_mcp_server_new:
 * @name: the key under tools.mcpServers
 * @config: the server's configuration object
 *
 * Returns: (transfer full): a server, not connected yet
 */
NbMcpServer *
nb_mcp_server_new (const char *name,
                   JsonObject *config)
{
  NbMcpServer *self;
  gint64 timeout;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (NB_TYPE_MCP_SERVER, NULL);
  self->name = g_strdup (name);
  self->config = json_object_ref (config);
  timeout = get_integer (config, "toolTimeout");
  if (timeout <= 0)
    timeout = get_integer (config, "tool_timeout");
  if (timeout > 0)
    self->tool_timeout = (guint) MIN (timeout, 24 * 3600);
  return self;
}

const char *
nb_mcp_server_get_name (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NULL);
  return self->name;
}

NbMcpServerState
nb_mcp_server_get_state (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NB_MCP_SERVER_STATE_IDLE);
  return self->state;
}

/* The last connection error, or %NULL. */
const char *
nb_mcp_server_get_error_message (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NULL);
  return self->error_message;
}

guint
nb_mcp_server_get_n_tools (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), 0);
  return self->tools->len;
}

guint
nb_mcp_server_get_tool_timeout (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), 0);
  return self->tool_timeout;
}

/* The version agreed with the server, or %NULL before the first connection. */
const char *
nb_mcp_server_get_protocol_version (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NULL);
  return self->protocol_version;
}

/**
 * nb_mcp_server_dup_tool_definitions:
 *
 * The last tool list the server gave: tools/list entries (name,
 * description, inputSchema, annotations, …).
 *
 * Returns: (transfer container) (element-type JsonObject): the tools
 */
GPtrArray *
nb_mcp_server_dup_tool_definitions (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NULL);
  return g_ptr_array_ref (self->tools);
}

/**
 * nb_mcp_server_dup_status_line:
 *
 * A one-line description of the state, e.g. for `nanobot -m` on stderr.
 *
 * Returns: (transfer full): the line, without a newline
 */
char *
nb_mcp_server_dup_status_line (NbMcpServer *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER (self), NULL);

  switch (self->state)
    {
    case NB_MCP_SERVER_STATE_CONNECTING:
      return g_strdup_printf (_("MCP server “%s”: connecting"), self->name);
    case NB_MCP_SERVER_STATE_CONNECTED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "MCP server “%s”: connected, %u tool",
                                           "MCP server “%s”: connected, %u tools",
                                           self->tools->len),
                              self->name, self->tools->len);
    case NB_MCP_SERVER_STATE_FAILED:
      return g_strdup_printf (_("MCP server “%s” failed: %s"), self->name,
                              self->error_message != NULL ? self->error_message : "");
    case NB_MCP_SERVER_STATE_IDLE:
    default:
      return g_strdup_printf (_("MCP server “%s”: not connected"), self->name);
    }
}

/**
 * nb_mcp_server_connect_async:
 *
 * Connects unless connected; joins a connection attempt in progress.
 * Connecting initializes the session and loads the tool list.
 */
void
nb_mcp_server_connect_async (NbMcpServer         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Waiter *waiter;

  g_return_if_fail (NB_IS_MCP_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_mcp_server_connect_async);

  if (self->state == NB_MCP_SERVER_STATE_CONNECTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  waiter = g_new0 (Waiter, 1);
  g_task_set_task_data (task, waiter, (GDestroyNotify) waiter_free);
  if (cancellable != NULL)
    {
      waiter->cancellable = g_object_ref (cancellable);
      waiter->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                                    task, NULL);
    }

  g_ptr_array_add (self->connect_waiters, g_steal_pointer (&task));
  if (self->state != NB_MCP_SERVER_STATE_CONNECTING)
    start_connection (self);
}

gboolean
nb_mcp_server_connect_finish (NbMcpServer   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Calling tools. The wrappers of tool results are for the model and stay in
 * English, so that the registry sees the "Error" prefix whatever the locale. */

typedef struct
{
  char       *tool_name;
  JsonObject *arguments;
  gboolean    retried;
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_pointer (&data->tool_name, g_free);
  g_clear_pointer (&data->arguments, json_object_unref);
  g_free (data);
}

static void call_connected_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data);

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbMcpServer *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = request_finish (self, result, &error);
  if (reply != NULL)
    {
      g_task_return_pointer (task, nb_mcp_server_format_result (reply), g_free);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SESSION_EXPIRED) && !data->retried)
    {
      /* The server forgot our session: initialize a new one and retry. */
      data->retried = TRUE;
      if (self->state == NB_MCP_SERVER_STATE_CONNECTED)
        {
          teardown (self, error);
          set_state (self, NB_MCP_SERVER_STATE_IDLE, NULL);
        }
      GCancellable *cancellable = g_task_get_cancellable (task);

      nb_mcp_server_connect_async (self, cancellable, call_connected_cb, g_steal_pointer (&task));
    }
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_TIMEOUT))
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP tool '%s' of server '%s' timed out: %s",
                                            data->tool_name, self->name, error->message),
                           g_free);
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SERVER))
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP tool '%s' of server '%s' failed: %s",
                                            data->tool_name, self->name, error->message),
                           g_free);
  else
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP server '%s': %s",
                                            self->name, error->message),
                           g_free);
}

static void
call_tool (GTask *task)
{
  NbMcpServer *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "name", data->tool_name);
  json_object_set_object_member (params, "arguments", json_object_ref (data->arguments));
  request_async (self, "tools/call", params, self->tool_timeout,
                 g_task_get_cancellable (task), call_done_cb, task);
}

static void
call_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbMcpServer *self = NB_MCP_SERVER (object);
  g_autoptr(GError) error = NULL;

  if (!nb_mcp_server_connect_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task,
                               g_strdup_printf ("Error: MCP server '%s' is not available: %s",
                                                self->name, error->message),
                               g_free);
      return;
    }
  call_tool (g_steal_pointer (&task));
}

/**
 * nb_mcp_server_call_tool_async:
 * @tool_name: the tool's name on the server
 * @arguments: the arguments object
 *
 * Calls a tool, connecting first if needed. Failures (server down, time-out,
 * protocol errors) are results starting with "Error:"; only cancellation is
 * a #GError.
 */
void
nb_mcp_server_call_tool_async (NbMcpServer         *self,
                               const char          *tool_name,
                               JsonObject          *arguments,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CallData *data;

  g_return_if_fail (NB_IS_MCP_SERVER (self));
  g_return_if_fail (tool_name != NULL);
  g_return_if_fail (arguments != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_mcp_server_call_tool_async);
  data = g_new0 (CallData, 1);
  data->tool_name = g_strdup (tool_name);
  data->arguments = json_object_ref (arguments);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  if (self->state == NB_MCP_SERVER_STATE_CONNECTED)
    call_tool (g_steal_pointer (&task));
  else
    nb_mcp_server_connect_async (self, cancellable, call_connected_cb, g_steal_pointer (&task));
}

/**
 * nb_mcp_server_call_tool_finish:
 *
 * Returns: (transfer full): the result text for the model
 */
char *
nb_mcp_server_call_tool_finish (NbMcpServer   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * nb_mcp_server_shutdown:
 *
 * Closes the connection (killing a stdio server and its process group) and
 * fails everything pending. The server connects again when asked to.
 */
void
nb_mcp_server_shutdown (NbMcpServer *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (NB_IS_MCP_SERVER (self));

  error = g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED, _("The server was shut down"));
  teardown (self, error);
  if (self->connect_waiters->len > 0)
    complete_waiters (self, error);
  set_state (self, NB_MCP_SERVER_STATE_IDLE, NULL);
}

/* Results. */

static gsize
base64_decoded_size (const char *data)
{
  gsize length = strlen (data);
  gsize padding = 0;

  while (length > 0 && g_ascii_isspace (data[length - 1]))
    length--;
  if (length > 0 && data[length - 1] == '=')
    padding++;
  if (length > 1 && data[length - 2] == '=')
    padding++;
  return length / 4 * 3 + (length % 4 != 0 ? (length % 4) * 3 / 4 : 0) - padding;
}

static void
append_block (GString    *text,
              JsonObject *block)
{
  const char *type = nb_json_get_string_or (block, "type", "");

  if (text->len > 0)
    g_string_append_c (text, '\n');

  if (g_str_equal (type, "text"))
    g_string_append (text, nb_json_get_string_or (block, "text", ""));
  else if (g_str_equal (type, "image") || g_str_equal (type, "audio"))
    g_string_append_printf (text, "[%s: %s, %" G_GSIZE_FORMAT " bytes]", type,
                            nb_json_get_string_or (block, "mimeType", "?"),
                            base64_decoded_size (nb_json_get_string_or (block, "data", "")));
  else if (g_str_equal (type, "resource"))
    {
      JsonObject *resource = nb_json_get_object (block, "resource");
      const char *resource_text = resource != NULL
        ? nb_json_get_string_or (resource, "text", NULL) : NULL;

      if (resource_text != NULL)
        g_string_append (text, resource_text);
      else
        g_string_append_printf (text, "[resource: %s]",
                                resource != NULL
                                ? nb_json_get_string_or (resource, "uri", "?")
                                : "?");
    }
  else if (g_str_equal (type, "resource_link"))
    g_string_append_printf (text, "[resource: %s]",
                            nb_json_get_string_or (block, "uri", "?"));
  else
    g_string_append_printf (text, "[%s]", type);
}

/**
 * nb_mcp_server_format_result:
 * @result: a tools/call result
 *
 * Text blocks are joined by newlines, images and audio are described,
 * resources are inlined when they are text; `isError` results start with
 * "Error: ". Results over %NB_MCP_MAX_RESULT_SIZE bytes are cut with a note.
 *
 * Returns: (transfer full): the text for the model
 */
char *
nb_mcp_server_format_result (JsonObject *result)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *content = NULL;
  gboolean is_error;

  g_return_val_if_fail (result != NULL, NULL);

  is_error = nb_json_get_boolean (result, "isError");
  content = nb_json_get_array (result, "content");

  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      JsonNode *block = json_array_get_element (content, i);

      if (JSON_NODE_HOLDS_OBJECT (block))
        append_block (text, json_node_get_object (block));
    }

  if (text->len == 0 && json_object_has_member (result, "structuredContent"))
    {
      g_autofree char *json = json_to_string (json_object_get_member (result, "structuredContent"), FALSE);

      g_string_append (text, json);
    }

  if (is_error)
    g_string_prepend (text, text->len > 0 ? "Error: " : "Error: the tool failed");
  else if (text->len == 0)
    g_string_append (text, "(no output)");

  if (text->len > NB_MCP_MAX_RESULT_SIZE)
    {
      gsize total = text->len;
      const char *cut = g_utf8_find_prev_char (text->str, text->str + NB_MCP_MAX_RESULT_SIZE + 1);

      g_string_truncate (text, cut != NULL ? (gsize) (cut - text->str) : NB_MCP_MAX_RESULT_SIZE);
      g_string_append_printf (text, "\n\n[output truncated: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes shown]",
                              text->len, total);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
