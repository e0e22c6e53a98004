/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-transport-private.h"

typedef struct
{
  char     *name;
  gboolean  closed;
  gboolean  replies_in_send;
} NbMcpTransportPrivate;

enum {
  PROP_0,
  PROP_NAME,
  N_PROPS
};

enum {
  MESSAGE,
  CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (nb-mcp-error-quark, nb_mcp_error)
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbMcpTransport, nb_mcp_transport, G_TYPE_OBJECT)

static void
nb_mcp_transport_finalize (GObject *object)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (NB_MCP_TRANSPORT (object));

  g_clear_pointer (&priv->name, g_free);

  G_OBJECT_CLASS (nb_mcp_transport_parent_class)->finalize (object);
}

static void
nb_mcp_transport_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (NB_MCP_TRANSPORT (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_mcp_transport_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (NB_MCP_TRANSPORT (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_mcp_transport_class_init (NbMcpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nb_mcp_transport_finalize;
  object_class->get_property = nb_mcp_transport_get_property;
  object_class->set_property = nb_mcp_transport_set_property;

  /* The server's name from the configuration, for log lines. */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbMcpTransport::message:
   * @message: a JSON-RPC message or batch
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_NODE);
  /**
   * NbMcpTransport::closed:
   * @error: why the connection ended
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
nb_mcp_transport_init (NbMcpTransport *self)
{
}

const char *
nb_mcp_transport_get_name (NbMcpTransport *self)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_val_if_fail (NB_IS_MCP_TRANSPORT (self), NULL);
  return priv->name != NULL ? priv->name : "";
}

gboolean
nb_mcp_transport_get_replies_in_send (NbMcpTransport *self)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_val_if_fail (NB_IS_MCP_TRANSPORT (self), FALSE);
  return priv->replies_in_send;
}

void
nb_mcp_transport_set_replies_in_send (NbMcpTransport *self,
                                      gboolean        replies_in_send)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));
  priv->replies_in_send = replies_in_send;
}

gboolean
nb_mcp_transport_is_closed (NbMcpTransport *self)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_val_if_fail (NB_IS_MCP_TRANSPORT (self), TRUE);
  return priv->closed;
}

void
nb_mcp_transport_start_async (NbMcpTransport      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));
  NB_MCP_TRANSPORT_GET_CLASS (self)->start_async (self, cancellable, callback, user_data);
}

gboolean
nb_mcp_transport_start_finish (NbMcpTransport  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (NB_IS_MCP_TRANSPORT (self), FALSE);
  return NB_MCP_TRANSPORT_GET_CLASS (self)->start_finish (self, result, error);
}

/**
 * nb_mcp_transport_send_async:
 * @message: (transfer none): the message; not modified
 */
void
nb_mcp_transport_send_async (NbMcpTransport      *self,
                             JsonNode            *message,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));
  g_return_if_fail (message != NULL);

  if (priv->closed)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, nb_mcp_transport_send_async);
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("The connection to the server is closed"));
      return;
    }
  NB_MCP_TRANSPORT_GET_CLASS (self)->send_async (self, message, cancellable, callback, user_data);
}

gboolean
nb_mcp_transport_send_finish (NbMcpTransport  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (NB_IS_MCP_TRANSPORT (self), FALSE);

  if (g_task_is_valid (result, self) &&
      g_task_get_source_tag (G_TASK (result)) == nb_mcp_transport_send_async)
    return g_task_propagate_boolean (G_TASK (result), error);
  return NB_MCP_TRANSPORT_GET_CLASS (self)->send_finish (self, result, error);
}

void
nb_mcp_transport_set_protocol_version (NbMcpTransport *self,
                                       const char     *version)
{
  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));

  if (NB_MCP_TRANSPORT_GET_CLASS (self)->set_protocol_version != NULL)
    NB_MCP_TRANSPORT_GET_CLASS (self)->set_protocol_version (self, version);
}

void
nb_mcp_transport_close (NbMcpTransport *self)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));

  if (priv->closed)
    return;
  priv->closed = TRUE;
  NB_MCP_TRANSPORT_GET_CLASS (self)->close (self);
}

void
nb_mcp_transport_emit_message (NbMcpTransport *self,
                               JsonNode       *message)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);

  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));
  g_return_if_fail (message != NULL);

  if (!priv->closed)
    g_signal_emit (self, signals[MESSAGE], 0, message);
}

/* Closes the transport and tells the owner why, once. */
void
nb_mcp_transport_emit_closed (NbMcpTransport *self,
                              const GError   *error)
{
  NbMcpTransportPrivate *priv = nb_mcp_transport_get_instance_private (self);
  g_autoptr(NbMcpTransport) hold = NULL;

  g_return_if_fail (NB_IS_MCP_TRANSPORT (self));
  g_return_if_fail (error != NULL);

  hold = g_object_ref (self);
  if (priv->closed)
    return;
  priv->closed = TRUE;
  /* The owner hears the reason before the subclass fails its own pending
   * work with a plain "closed". */
  g_signal_emit (self, signals[CLOSED], 0, error);
  NB_MCP_TRANSPORT_GET_CLASS (self)->close (self);
}

/**
 * nb_mcp_transport_parse:
 *
 * Parses one JSON-RPC message (an object) or batch (an array).
 *
 * Returns: (transfer full): the message
 */
JsonNode *
nb_mcp_transport_parse (const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!nb_json_parser_load (parser, data, length, &local_error))
    {
      g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                   _("The server sent invalid JSON: %s"), local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || (!JSON_NODE_HOLDS_OBJECT (root) && !JSON_NODE_HOLDS_ARRAY (root)))
    {
      g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                   _("The server sent JSON that is not a JSON-RPC message"));
      return NULL;
    }
  return json_node_ref (root);
}

/**
 * nb_mcp_transport_serialize:
 *
 * Returns: (transfer full): the message as one line of JSON (no newline)
 */
char *
nb_mcp_transport_serialize (JsonNode *message,
                            gsize    *length)
{
  g_return_val_if_fail (message != NULL, NULL);

  return nb_json_to_data (message, FALSE, length);
}
