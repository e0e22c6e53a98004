/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-http-transport.h"
#include "nb-mcp-server-private.h"
#include "nb-mcp-stdio-transport.h"
#include "nb-mcp-transport.h"

/*
 * One configured MCP server: its connection (a transport plus the JSON-RPC
 * bookkeeping on top of it, in nb-mcp-server-rpc.c), its state for the UI,
 * and its tool list (nb-mcp-server-tools.c).
 *
 * A connection is made on demand and again after any failure; request ids
 * keep counting across connections so a late answer never matches a new
 * request. Callbacks of a connection carry its generation number and do
 * nothing once that connection has been torn down.
 */

static const char * const supported_versions[] = {
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
  NULL
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

/* State. */

void
nb_mcp_server_set_state (NbMcpServer      *self,
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

void
nb_mcp_server_set_tools (NbMcpServer *self,
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
void
nb_mcp_server_teardown (NbMcpServer  *self,
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
  nb_mcp_server_fail_all_requests (self, error);
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

  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_MCP_SERVER (self));

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
  g_assert (G_IS_CANCELLABLE (cancellable));
  g_assert (G_IS_TASK (task));

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

void
nb_mcp_server_connection_failed (NbMcpServer  *self,
                                 const GError *error)
{
  g_debug ("MCP server %s failed: %s", self->name, error->message);
  nb_mcp_server_teardown (self, error);
  nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_FAILED, error->message);
  complete_waiters (self, error);
}

void
nb_mcp_server_finish_connecting (NbMcpServer *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_CONNECTED, NULL);
  complete_waiters (self, NULL);
}

/* Messages from the server: see nb-mcp-server-rpc.c. */

static void
transport_message_cb (NbMcpTransport *transport,
                      JsonNode       *node,
                      NbMcpServer    *self)
{
  g_assert (NB_IS_MCP_TRANSPORT (transport));
  g_assert (node != NULL);
  g_assert (NB_IS_MCP_SERVER (self));

  nb_mcp_server_receive (self, transport, node);
}

static void
transport_closed_cb (NbMcpTransport *transport,
                     const GError   *error,
                     NbMcpServer    *self)
{
  g_autoptr(NbMcpServer) hold G_GNUC_UNUSED = g_object_ref (self);

  g_assert (NB_IS_MCP_TRANSPORT (transport));
  g_assert (error != NULL);
  g_assert (NB_IS_MCP_SERVER (self));

  if (transport != self->transport)
    return;

  if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
    nb_mcp_server_connection_failed (self, error);
  else
    {
      nb_mcp_server_teardown (self, error);
      nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_FAILED, error->message);
    }
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

  g_assert (NB_IS_MCP_TRANSPORT (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_SERVER (self));

  nb_mcp_transport_send_finish (NB_MCP_TRANSPORT (object), result, &error);
  if (data->generation != self->generation)
    return;
  if (error != NULL)
    nb_mcp_server_connection_failed (self, error);
  else
    nb_mcp_server_list_tools (self, NULL, NULL, 0);
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

  g_assert (NB_IS_MCP_SERVER (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_SERVER (self));

  reply = nb_mcp_server_request_finish (self, result, &error);
  if (data->generation != self->generation)
    return;
  if (reply == NULL)
    {
      nb_mcp_server_connection_failed (self, error);
      return;
    }

  version = nb_json_get_string_or (reply, "protocolVersion", "");
  if (!g_strv_contains (supported_versions, version))
    {
      g_autoptr(GError) version_error =
        g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_VERSION,
                     _("The server speaks MCP version “%s”, which Nanobot does not support"),
                     version);

      nb_mcp_server_connection_failed (self, version_error);
      return;
    }

  g_free (self->protocol_version);
  self->protocol_version = g_strdup (version);
  self->has_tools = nb_json_get_object (nb_json_get_object (reply, "capabilities"), "tools") != NULL;
  nb_mcp_transport_set_protocol_version (self->transport, version);

  /* Over HTTP messages may overtake each other: list the tools only once
   * the server has taken the notification. */
  message = nb_mcp_rpc_message_new (0, "notifications/initialized", NULL);
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

  g_assert (NB_IS_MCP_TRANSPORT (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_SERVER (self));

  if (!nb_mcp_transport_start_finish (NB_MCP_TRANSPORT (object), result, &error))
    {
      if (data->generation == self->generation)
        nb_mcp_server_connection_failed (self, error);
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
  nb_mcp_server_request_async (self, "initialize", params, self->tool_timeout, NULL,
                               initialize_cb, connect_data_new (self));
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  NbMcpServer *self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_SERVER (self));

  self->connect_timeout_id = 0;
  error = g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_TIMEOUT,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "The server did not start within %u second",
                                    "The server did not start within %u seconds",
                                    self->tool_timeout),
                       self->tool_timeout);
  nb_mcp_server_connection_failed (self, error);
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

  nb_mcp_server_teardown (self, replaced);
  self->connection_cancellable = g_cancellable_new ();
  nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_CONNECTING, NULL);

  self->transport = create_transport (self, &error);
  if (self->transport == NULL)
    {
      nb_mcp_server_connection_failed (self, error);
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
  timeout = nb_mcp_json_get_integer (config, "toolTimeout");
  if (timeout <= 0)
    timeout = nb_mcp_json_get_integer (config, "tool_timeout");
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
  nb_mcp_server_teardown (self, error);
  if (self->connect_waiters->len > 0)
    complete_waiters (self, error);
  nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_IDLE, NULL);
}
