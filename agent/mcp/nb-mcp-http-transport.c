/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "nb-http.h"
#include "nb-mcp-http-transport.h"
#include "nb-mcp-transport-private.h"
#include "nb-sse-parser.h"

/*
 * MCP over HTTP through the process-wide SoupSession.
 *
 * Streamable HTTP (2025-03-26 and later): every message is a POST; the
 * answer comes back as a JSON body or as an SSE stream on that POST. The
 * server may give a session id (Mcp-Session-Id) that we echo, and a 404 for
 * it means the session expired (NB_MCP_ERROR_SESSION_EXPIRED). After
 * initialization a GET opens an optional stream for server-initiated
 * messages.
 *
 * The legacy HTTP+SSE transport ("type": "sse"): a GET opens an SSE stream
 * whose first "endpoint" event says where to POST; every answer arrives on
 * that stream.
 */

#define READ_CHUNK (64 * 1024)

struct _NbMcpHttpTransport
{
  NbMcpTransport  parent_instance;

  GUri           *uri;
  JsonObject     *headers;
  gboolean        legacy;

  char           *session_id;
  char           *protocol_version;
  GCancellable   *cancellable;

  /* Legacy: the endpoint event, and start_async() waiting for it. */
  GUri           *endpoint;
  GTask          *start_task;
};

G_DEFINE_FINAL_TYPE (NbMcpHttpTransport, nb_mcp_http_transport, NB_TYPE_MCP_TRANSPORT)

typedef enum {
  ROLE_POST,    /* the answer to one POST; completes its send task */
  ROLE_GET,     /* the optional stream for server messages */
  ROLE_LEGACY,  /* the legacy transport's one stream */
} ReaderRole;

/* Reads one response body: a JSON message, or an SSE stream of them. */
typedef struct
{
  NbMcpHttpTransport *self;
  ReaderRole          role;
  gboolean            sse;
  GInputStream       *stream;
  GCancellable       *cancellable;
  GTask              *task;
  GByteArray         *buffer;
  gsize               scanned;
  NbSseParser         parser;
} Reader;

static void
reader_free (Reader *reader)
{
  g_clear_object (&reader->self);
  g_clear_object (&reader->stream);
  g_clear_object (&reader->cancellable);
  g_clear_object (&reader->task);
  g_clear_pointer (&reader->buffer, g_byte_array_unref);
  nb_sse_parser_clear (&reader->parser);
  g_free (reader);
}

static void reader_read (Reader *reader);

static gboolean
is_closed (NbMcpHttpTransport *self)
{
  return nb_mcp_transport_is_closed (NB_MCP_TRANSPORT (self));
}

static const char *
get_name (NbMcpHttpTransport *self)
{
  return nb_mcp_transport_get_name (NB_MCP_TRANSPORT (self));
}

/* Ends @reader (taken); @error (taken) may be %NULL at a clean end. */
static void
reader_finish (Reader *reader,
               GError *error)
{
  g_autoptr(GError) owned = error;
  NbMcpHttpTransport *self = reader->self;

  switch (reader->role)
    {
    case ROLE_POST:
      if (owned != NULL)
        g_task_return_error (reader->task, g_steal_pointer (&owned));
      else
        g_task_return_boolean (reader->task, TRUE);
      break;

    case ROLE_GET:
      if (owned != NULL && !g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("MCP server %s: event stream ended: %s", get_name (self), owned->message);
      break;

    case ROLE_LEGACY:
      if (owned == NULL)
        owned = g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                     _("The server closed its event stream"));
      if (self->start_task != NULL)
        {
          g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

          g_task_return_error (task, g_steal_pointer (&owned));
        }
      else if (!is_closed (self))
        nb_mcp_transport_emit_closed (NB_MCP_TRANSPORT (self), owned);
      break;

    default:
      g_assert_not_reached ();
    }

  reader_free (reader);
}

/* Returns FALSE when the reader must stop, with *error set or not. */
static gboolean
handle_json (Reader      *reader,
             const char  *data,
             gsize        length,
             GError     **error)
{
  g_autoptr(JsonNode) message = nb_mcp_transport_parse (data, length, error);

  if (message == NULL)
    return FALSE;
  nb_mcp_transport_emit_message (NB_MCP_TRANSPORT (reader->self), message);
  return !is_closed (reader->self);
}

static gboolean
sse_event_cb (const char  *event,
              const char  *data,
              gsize        length,
              gpointer     user_data,
              GError     **error)
{
  Reader *reader = user_data;
  NbMcpHttpTransport *self = reader->self;

  g_assert (NB_IS_MCP_HTTP_TRANSPORT (self));

  if (event == NULL)
    event = "message";

  if (reader->role == ROLE_LEGACY && g_str_equal (event, "endpoint"))
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *text = g_strstrip (g_strndup (data, length));
      g_autoptr(GUri) endpoint = g_uri_parse_relative (self->uri, text, SOUP_HTTP_URI_FLAGS, &local_error);

      if (endpoint == NULL)
        {
          g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                       _("The server sent an invalid endpoint: %s"), local_error->message);
          return FALSE;
        }
      g_clear_pointer (&self->endpoint, g_uri_unref);
      self->endpoint = g_steal_pointer (&endpoint);
      if (self->start_task != NULL)
        {
          g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

          g_task_return_boolean (task, TRUE);
        }
    }
  else if (g_str_equal (event, "message") && length > 0)
    return handle_json (reader, data, length, error);
  return TRUE;
}

static gboolean
process_sse_line (Reader      *reader,
                  const char  *line,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (nb_sse_parser_add_line (&reader->parser, line, length, sse_event_cb, reader, &local_error))
    return TRUE;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_TOO_LARGE,
                 _("The server sent a message larger than %u MiB"),
                 NB_MCP_MAX_MESSAGE_SIZE / (1024 * 1024));
  else if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
process_sse (Reader  *reader,
             GError **error)
{
  GByteArray *buffer = reader->buffer;
  gsize start = 0;

  for (gsize i = reader->scanned; i < buffer->len; i++)
    {
      gsize length;

      if (buffer->data[i] != '\n')
        continue;
      length = i - start;
      if (length > 0 && buffer->data[start + length - 1] == '\r')
        length--;
      if (!process_sse_line (reader, (const char *) buffer->data + start, length, error))
        return FALSE;
      start = i + 1;
    }

  if (start > 0)
    g_byte_array_remove_range (buffer, 0, start);
  reader->scanned = buffer->len;
  if (buffer->len > NB_MCP_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_TOO_LARGE,
                   _("The server sent a message larger than %u MiB"),
                   NB_MCP_MAX_MESSAGE_SIZE / (1024 * 1024));
      return FALSE;
    }
  return TRUE;
}

static void
reader_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Reader *reader = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (reader != NULL);

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _("Reading the server's answer failed: "));
      reader_finish (reader, g_steal_pointer (&error));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      if (!reader->sse && reader->buffer->len > 0 &&
          !handle_json (reader, (const char *) reader->buffer->data, reader->buffer->len, &error))
        {
          reader_finish (reader, g_steal_pointer (&error));
          return;
        }
      reader_finish (reader, NULL);
      return;
    }

  g_byte_array_append (reader->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (reader->sse)
    {
      if (!process_sse (reader, &error))
        {
          reader_finish (reader, g_steal_pointer (&error));
          return;
        }
    }
  else if (reader->buffer->len > NB_MCP_MAX_MESSAGE_SIZE)
    {
      reader_finish (reader, g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_TOO_LARGE,
                                          _("The server sent a message larger than %u MiB"),
                                          NB_MCP_MAX_MESSAGE_SIZE / (1024 * 1024)));
      return;
    }

  if (is_closed (reader->self) && reader->role != ROLE_POST)
    {
      reader_free (reader);
      return;
    }
  reader_read (reader);
}

static void
reader_read (Reader *reader)
{
  g_input_stream_read_bytes_async (reader->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   reader->cancellable, reader_read_cb, reader);
}

static void
reader_start (NbMcpHttpTransport *self,
              ReaderRole          role,
              gboolean            sse,
              GInputStream       *stream,
              GCancellable       *cancellable,
              GTask              *task)
{
  Reader *reader = g_new0 (Reader, 1);

  reader->self = g_object_ref (self);
  reader->role = role;
  reader->sse = sse;
  reader->stream = g_object_ref (stream);
  reader->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  reader->task = task != NULL ? g_object_ref (task) : NULL;
  reader->buffer = g_byte_array_new ();
  nb_sse_parser_init (&reader->parser, NB_MCP_MAX_MESSAGE_SIZE);
  reader_read (reader);
}

static gboolean
is_event_stream (SoupMessage *message)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);

  return type != NULL && g_ascii_strcasecmp (type, "text/event-stream") == 0;
}

static SoupMessage *
new_message (NbMcpHttpTransport *self,
             const char         *method,
             GUri               *uri,
             const char         *accept)
{
  SoupMessage *message = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  if (self->headers != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, self->headers);
      while (json_object_iter_next (&iter, &name, &value))
        if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
          soup_message_headers_replace (headers, name, json_node_get_string (value));
    }
  if (accept != NULL)
    soup_message_headers_replace (headers, "Accept", accept);
  if (!self->legacy && self->session_id != NULL)
    soup_message_headers_replace (headers, "Mcp-Session-Id", self->session_id);
  if (!self->legacy && self->protocol_version != NULL)
    soup_message_headers_replace (headers, "MCP-Protocol-Version", self->protocol_version);
  return message;
}

static GError *
status_error (SoupMessage *message)
{
  return g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_HTTP, _("The server answered HTTP %u %s"),
                      soup_message_get_status (message),
                      soup_message_get_reason_phrase (message) != NULL
                      ? soup_message_get_reason_phrase (message) : "");
}

/* Sending. */

static void
post_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbMcpHttpTransport *self = g_task_get_source_object (task);
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  const char *session_id;
  guint status;
  goffset length;

  g_assert (SOUP_IS_SESSION (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_MCP_HTTP_TRANSPORT (self));
  g_assert (SOUP_IS_MESSAGE (message));

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GError) wrapped = g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                                   _("The request to the server failed: %s"),
                                                   error->message);

          g_task_return_error (task, g_steal_pointer (&wrapped));
        }
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  if (self->legacy)
    {
      if (SOUP_STATUS_IS_SUCCESSFUL (status))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, status_error (message));
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND && self->session_id != NULL)
    {
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_SESSION_EXPIRED,
                               _("The server's session expired"));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, status_error (message));
      return;
    }

  session_id = soup_message_headers_get_one (soup_message_get_response_headers (message), "Mcp-Session-Id");
  if (session_id != NULL && g_strcmp0 (session_id, self->session_id) != 0)
    {
      g_free (self->session_id);
      self->session_id = g_strdup (session_id);
    }

  if (status == SOUP_STATUS_ACCEPTED || status == SOUP_STATUS_NO_CONTENT)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  length = soup_message_headers_get_content_length (soup_message_get_response_headers (message));
  if (length > NB_MCP_MAX_MESSAGE_SIZE)
    {
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_TOO_LARGE,
                               _("The server sent a message larger than %u MiB"),
                               NB_MCP_MAX_MESSAGE_SIZE / (1024 * 1024));
      return;
    }

  reader_start (self, ROLE_POST, is_event_stream (message), stream,
                g_task_get_cancellable (task), task);
}

static void
nb_mcp_http_transport_send_async (NbMcpTransport      *transport,
                                  JsonNode            *json,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  NbMcpHttpTransport *self = NB_MCP_HTTP_TRANSPORT (transport);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GBytes) body = NULL;
  SoupMessage *message;
  gsize length = 0;
  char *data;

  g_task_set_source_tag (task, nb_mcp_http_transport_send_async);

  if (self->legacy && self->endpoint == NULL)
    {
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                               _("The server did not say where to send messages"));
      return;
    }

  data = nb_mcp_transport_serialize (json, &length);
  body = g_bytes_new_take (data, length);
  message = new_message (self, SOUP_METHOD_POST, self->legacy ? self->endpoint : self->uri,
                         self->legacy ? NULL : "application/json, text/event-stream");
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  g_task_set_task_data (task, message, g_object_unref);

  soup_session_send_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, cancellable,
                           post_sent_cb, g_object_ref (task));
}

static gboolean
nb_mcp_http_transport_send_finish (NbMcpTransport  *transport,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The event streams. */

static void
get_sent_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SoupMessage) message = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  NbMcpHttpTransport *self;

  g_assert (SOUP_IS_SESSION (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (SOUP_IS_MESSAGE (message));

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  self = g_object_get_data (G_OBJECT (message), "nb-mcp-transport");
  if (stream == NULL || self == NULL || is_closed (self))
    return;

  /* 405 is the usual "no such stream here"; we then only get answers. */
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)) || !is_event_stream (message))
    {
      g_debug ("MCP server %s offers no event stream (HTTP %u)",
               get_name (self), soup_message_get_status (message));
      return;
    }
  reader_start (self, ROLE_GET, TRUE, stream, self->cancellable, NULL);
}

static void
nb_mcp_http_transport_set_protocol_version (NbMcpTransport *transport,
                                            const char     *version)
{
  NbMcpHttpTransport *self = NB_MCP_HTTP_TRANSPORT (transport);
  SoupMessage *message;

  g_free (self->protocol_version);
  self->protocol_version = g_strdup (version);
  if (self->legacy)
    return;

  message = new_message (self, SOUP_METHOD_GET, self->uri, "text/event-stream");
  g_object_set_data_full (G_OBJECT (message), "nb-mcp-transport", g_object_ref (self), g_object_unref);
  soup_session_send_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, self->cancellable,
                           get_sent_cb, message);
}

static void
legacy_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbMcpHttpTransport) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GTask) task = NULL;

  g_assert (SOUP_IS_SESSION (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_HTTP_TRANSPORT (self));

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (self->start_task == NULL)
    return;

  if (stream == NULL)
    {
      task = g_steal_pointer (&self->start_task);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                 _("Could not connect to the server: %s"), error->message);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)) || !is_event_stream (message))
    {
      task = g_steal_pointer (&self->start_task);
      if (SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
        g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_PROTOCOL,
                                 _("The server did not answer with an event stream"));
      else
        g_task_return_error (task, status_error (message));
      return;
    }

  reader_start (self, ROLE_LEGACY, TRUE, stream, self->cancellable, NULL);
}

static void
nb_mcp_http_transport_start_async (NbMcpTransport      *transport,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  NbMcpHttpTransport *self = NB_MCP_HTTP_TRANSPORT (transport);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;

  g_task_set_source_tag (task, nb_mcp_http_transport_start_async);

  if (!self->legacy)
    {
      /* Streamable HTTP connects with the initialize POST. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_return_if_fail (self->start_task == NULL);
  self->start_task = g_steal_pointer (&task);
  message = new_message (self, SOUP_METHOD_GET, self->uri, "text/event-stream");
  soup_session_send_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, self->cancellable,
                           legacy_sent_cb, g_object_ref (self));
}

static gboolean
nb_mcp_http_transport_start_finish (NbMcpTransport  *transport,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
delete_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GInputStream) stream G_GNUC_UNUSED = soup_session_send_finish (SOUP_SESSION (object), result, NULL);

  g_assert (SOUP_IS_SESSION (object));
  g_assert (G_IS_ASYNC_RESULT (result));
}

static void
nb_mcp_http_transport_close (NbMcpTransport *transport)
{
  NbMcpHttpTransport *self = NB_MCP_HTTP_TRANSPORT (transport);

  g_cancellable_cancel (self->cancellable);

  if (self->start_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("The connection to the server is closed"));
    }

  /* Tell the server it can forget the session; nobody waits for that. */
  if (!self->legacy && self->session_id != NULL)
    {
      g_autoptr(SoupMessage) message = new_message (self, SOUP_METHOD_DELETE, self->uri, NULL);

      soup_session_send_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, NULL,
                               delete_sent_cb, NULL);
      g_clear_pointer (&self->session_id, g_free);
    }
}

static void
nb_mcp_http_transport_dispose (GObject *object)
{
  nb_mcp_transport_close (NB_MCP_TRANSPORT (object));

  G_OBJECT_CLASS (nb_mcp_http_transport_parent_class)->dispose (object);
}

static void
nb_mcp_http_transport_finalize (GObject *object)
{
  NbMcpHttpTransport *self = NB_MCP_HTTP_TRANSPORT (object);

  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->endpoint, g_uri_unref);
  g_clear_pointer (&self->headers, json_object_unref);
  g_clear_pointer (&self->session_id, g_free);
  g_clear_pointer (&self->protocol_version, g_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_mcp_http_transport_parent_class)->finalize (object);
}

static void
nb_mcp_http_transport_class_init (NbMcpHttpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbMcpTransportClass *transport_class = NB_MCP_TRANSPORT_CLASS (klass);

  object_class->dispose = nb_mcp_http_transport_dispose;
  object_class->finalize = nb_mcp_http_transport_finalize;

  transport_class->start_async = nb_mcp_http_transport_start_async;
  transport_class->start_finish = nb_mcp_http_transport_start_finish;
  transport_class->send_async = nb_mcp_http_transport_send_async;
  transport_class->send_finish = nb_mcp_http_transport_send_finish;
  transport_class->set_protocol_version = nb_mcp_http_transport_set_protocol_version;
  transport_class->close = nb_mcp_http_transport_close;
}

static void
nb_mcp_http_transport_init (NbMcpHttpTransport *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * nb_mcp_http_transport_new:
 * @headers: (nullable): extra request headers (string values)
 * @legacy_sse: use the legacy HTTP+SSE transport
 *
 * Returns: (transfer full) (nullable): the transport, or %NULL if @url is
 *   not an http(s) URL
 */
NbMcpHttpTransport *
nb_mcp_http_transport_new (const char  *name,
                           const char  *url,
                           JsonObject  *headers,
                           gboolean     legacy_sse,
                           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  NbMcpHttpTransport *self;
  const char *scheme;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_set_error (error, NB_MCP_ERROR, NB_MCP_ERROR_CONFIG,
                   _("“%s” is not an http or https URL"), url);
      return NULL;
    }

  self = g_object_new (NB_TYPE_MCP_HTTP_TRANSPORT, "name", name, NULL);
  self->uri = g_steal_pointer (&uri);
  self->headers = headers != NULL ? json_object_ref (headers) : NULL;
  self->legacy = legacy_sse;
  nb_mcp_transport_set_replies_in_send (NB_MCP_TRANSPORT (self), !legacy_sse);
  return self;
}
