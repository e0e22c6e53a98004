/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-http-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http.h"
#include "nb-http-provider-private.h"

#define ERROR_BODY_LIMIT   (64 * 1024)
#define READ_BUFFER_SIZE   (32 * 1024)
#define RETRY_AFTER_CAP_S  60

typedef struct
{
  char       *api_base;
  char       *api_key;
  char       *key_hint;
  char       *model_prefix;
  GHashTable *extra_headers;
  guint       connect_timeout;
  guint       idle_timeout;
  guint       max_retries;
  guint       base_delay_ms;
} NbHttpProviderPrivate;

enum {
  PROP_0,
  PROP_API_BASE,
  PROP_API_KEY,
  PROP_KEY_HINT,
  PROP_MODEL_PREFIX,
  PROP_CONNECT_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbHttpProvider, nb_http_provider, NB_TYPE_PROVIDER)

/* The stream state ------------------------------------------------------ */

static void
tool_call_builder_free (gpointer data)
{
  NbToolCallBuilder *builder = data;

  g_free (builder->id);
  g_free (builder->name);
  g_string_free (builder->arguments, TRUE);
  g_free (builder);
}

NbProviderStream *
nb_provider_stream_new (NbChatDeltaFunc  delta_func,
                        gpointer         delta_data,
                        const char      *content_type)
{
  NbProviderStream *stream = g_new0 (NbProviderStream, 1);

  stream->delta_func = delta_func;
  stream->delta_data = delta_data;
  stream->content = g_string_new (NULL);
  stream->reasoning = g_string_new (NULL);
  stream->calls = g_ptr_array_new_with_free_func (tool_call_builder_free);
  stream->content_type = g_strdup (content_type);
  stream->line = g_byte_array_new ();
  stream->max_line = NB_HTTP_PROVIDER_MAX_LINE;
  nb_sse_parser_init (&stream->sse, stream->max_line);
  stream->blocks = g_array_new (FALSE, TRUE, sizeof (int));
  stream->parser = json_parser_new ();
  return stream;
}

void
nb_provider_stream_free (NbProviderStream *stream)
{
  if (stream == NULL)
    return;
  g_string_free (stream->content, TRUE);
  g_string_free (stream->reasoning, TRUE);
  g_ptr_array_unref (stream->calls);
  g_free (stream->finish_reason);
  g_free (stream->content_type);
  g_byte_array_unref (stream->line);
  nb_sse_parser_clear (&stream->sse);
  g_clear_pointer (&stream->whole, g_byte_array_unref);
  g_array_unref (stream->blocks);
  g_object_unref (stream->parser);
  g_free (stream);
}

void
nb_provider_stream_add_text (NbProviderStream *stream,
                             const char       *text)
{
  if (text == NULL || *text == '\0')
    return;
  stream->kept += strlen (text);
  g_string_append (stream->content, text);
  stream->delivered = TRUE;
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TEXT, 0, text, NULL, stream->delta_data);
}

void
nb_provider_stream_add_reasoning (NbProviderStream *stream,
                                  const char       *text)
{
  if (text == NULL || *text == '\0')
    return;
  stream->kept += strlen (text);
  g_string_append (stream->reasoning, text);
  stream->delivered = TRUE;
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_REASONING, 0, text, NULL, stream->delta_data);
}

guint
nb_provider_stream_begin_call (NbProviderStream *stream,
                               gint              wire_index,
                               const char       *id,
                               const char       *name)
{
  NbToolCallBuilder *builder = g_new0 (NbToolCallBuilder, 1);
  guint position = stream->calls->len;

  builder->wire_index = wire_index;
  builder->id = g_strdup (id);
  builder->name = g_strdup (name);
  builder->arguments = g_string_new (NULL);
  g_ptr_array_add (stream->calls, builder);

  stream->delivered = TRUE;
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TOOL_CALL, position, "", name, stream->delta_data);
  return position;
}

gint
nb_provider_stream_find_call (NbProviderStream *stream,
                              gint              wire_index)
{
  for (guint i = stream->calls->len; i > 0; i--)
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, i - 1);

      if (builder->wire_index == wire_index)
        return i - 1;
    }
  return -1;
}

void
nb_provider_stream_add_arguments (NbProviderStream *stream,
                                  guint             position,
                                  const char       *fragment)
{
  NbToolCallBuilder *builder;

  g_return_if_fail (position < stream->calls->len);

  if (fragment == NULL || *fragment == '\0')
    return;
  builder = g_ptr_array_index (stream->calls, position);
  stream->kept += strlen (fragment);
  g_string_append (builder->arguments, fragment);
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TOOL_CALL, position, fragment, NULL, stream->delta_data);
}

void
nb_provider_stream_set_finish (NbProviderStream *stream,
                               const char       *finish_reason)
{
  g_free (stream->finish_reason);
  stream->finish_reason = g_strdup (finish_reason);
}

/**
 * nb_provider_stream_take_response:
 *
 * Turns what streamed in into the reply; arguments are parsed only here,
 * once, and a call whose arguments do not parse keeps the reason in
 * parse_error so that the agent can answer the tool with an error.
 *
 * Returns: (transfer full): the reply
 */
NbChatResponse *
nb_provider_stream_take_response (NbProviderStream *stream)
{
  NbChatResponse *response = nb_chat_response_new ();

  if (stream->content->len > 0)
    response->content = g_strdup (stream->content->str);
  if (stream->reasoning->len > 0)
    response->reasoning = g_strdup (stream->reasoning->str);

  for (guint i = 0; i < stream->calls->len; i++)
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, i);
      g_autofree char *id = NULL;

      if (builder->id == NULL || *builder->id == '\0')
        id = g_strdup_printf ("call_%u", i);
      g_ptr_array_add (response->tool_calls,
                       nb_tool_call_new (id ? id : builder->id,
                                         builder->name ? builder->name : "",
                                         builder->arguments->str));
    }

  if (stream->finish_reason != NULL)
    response->finish_reason = g_strdup (stream->finish_reason);
  else
    response->finish_reason = g_strdup (stream->calls->len > 0 ? "tool_calls" : "stop");
  response->usage = stream->usage;
  return response;
}

/* Splitting the body into lines and events ------------------------------ */

static const char *
provider_name (NbHttpProvider *self)
{
  const char *name = nb_provider_get_name (NB_PROVIDER (self));

  return name != NULL ? name : "provider";
}

JsonNode *
nb_http_provider_parse_json (NbHttpProvider    *self,
                             NbProviderStream  *stream,
                             const char        *data,
                             gsize              length,
                             GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!nb_json_parser_load_reply (stream->parser, data, length, &local_error) ||
      (root = json_parser_get_root (stream->parser)) == NULL)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                   _("%s sent malformed JSON in its reply: %s"), provider_name (self),
                   local_error ? local_error->message : _("empty data"));
      return NULL;
    }
  return json_node_ref (root);
}

static gboolean
line_too_long (NbHttpProvider  *self,
               GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s sent a line longer than %d MiB; the reply was abandoned"),
               provider_name (self), NB_HTTP_PROVIDER_MAX_LINE / (1024 * 1024));
  return FALSE;
}

static gboolean
reply_too_large (NbHttpProvider  *self,
                 GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s sent a reply longer than %d MiB; the reply was abandoned"),
               provider_name (self), NB_HTTP_PROVIDER_MAX_REPLY / (1024 * 1024));
  return FALSE;
}

typedef struct
{
  NbHttpProvider   *self;
  NbProviderStream *stream;
} SseTarget;

static gboolean
sse_event_cb (const char  *event,
              const char  *data,
              gsize        length,
              gpointer     user_data,
              GError     **error)
{
  SseTarget *target = user_data;

  return NB_HTTP_PROVIDER_GET_CLASS (target->self)->parse_event (target->self, target->stream,
                                                                 event, data, length, error);
}

static gboolean
dispatch_sse_event (NbHttpProvider    *self,
                    NbProviderStream  *stream,
                    GError           **error)
{
  SseTarget target = { self, stream };

  return nb_sse_parser_dispatch (&stream->sse, sse_event_cb, &target, error);
}

static gboolean
handle_line (NbHttpProvider    *self,
             NbProviderStream  *stream,
             const char        *line,
             gsize              length,
             GError           **error)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);

  if (length > 0 && line[length - 1] == '\r')
    length--;

  if (klass->wire_format == NB_WIRE_FORMAT_NDJSON)
    {
      while (length > 0 && g_ascii_isspace (*line))
        line++, length--;
      if (length == 0)
        return TRUE;
      return klass->parse_event (self, stream, NULL, line, length, error);
    }

  /* Server-sent events: fields until a blank line ends the event. */
  {
    SseTarget target = { self, stream };
    g_autoptr(GError) local_error = NULL;

    if (nb_sse_parser_add_line (&stream->sse, line, length, sse_event_cb, &target, &local_error))
      return TRUE;
    if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
      return line_too_long (self, error);
    if (local_error != NULL)
      g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
}

static gboolean
looks_like_html (const char *data,
                 gsize       length)
{
  while (length > 0 && g_ascii_isspace (*data))
    data++, length--;
  return length > 0 && *data == '<';
}

static gboolean
html_error (NbHttpProvider  *self,
            GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s answered with a web page instead of a chat stream; check its apiBase (%s)"),
               provider_name (self), nb_http_provider_get_api_base (self));
  return FALSE;
}

/* Decides from the content type and the first bytes what the body is. */
static gboolean
detect_body (NbHttpProvider    *self,
             NbProviderStream  *stream,
             const char        *data,
             gsize              length,
             GError           **error)
{
  const char *type = stream->content_type ? stream->content_type : "";
  gsize i = 0;

  while (i < length && g_ascii_isspace (data[i]))
    i++;
  if (i == length)
    return TRUE;  /* Still only whitespace: decide with the next bytes. */

  if (g_str_has_prefix (type, "text/html") || looks_like_html (data, length))
    return html_error (self, error);

  if (g_str_has_prefix (type, "application/json") && data[i] == '{' &&
      NB_HTTP_PROVIDER_GET_CLASS (self)->parse_body != NULL &&
      NB_HTTP_PROVIDER_GET_CLASS (self)->wire_format == NB_WIRE_FORMAT_SSE)
    {
      stream->body_kind = NB_BODY_JSON;
      stream->whole = g_byte_array_new ();
    }
  else
    stream->body_kind = NB_BODY_STREAM;
  return TRUE;
}

gboolean
nb_http_provider_feed (NbHttpProvider    *self,
                       NbProviderStream  *stream,
                       const char        *data,
                       gsize              length,
                       GError           **error)
{
  const char *end = data + length;

  if (stream->body_kind == NB_BODY_UNKNOWN)
    {
      if (!detect_body (self, stream, data, length, error))
        return FALSE;
      if (stream->body_kind == NB_BODY_UNKNOWN)
        return TRUE;
    }

  if (stream->body_kind == NB_BODY_JSON)
    {
      if (stream->whole->len + length > stream->max_line)
        return line_too_long (self, error);
      g_byte_array_append (stream->whole, (const guint8 *) data, length);
      return TRUE;
    }

  while (data < end)
    {
      const char *newline = memchr (data, '\n', end - data);

      if (newline == NULL)
        {
          if (stream->line->len + (gsize) (end - data) > stream->max_line)
            return line_too_long (self, error);
          g_byte_array_append (stream->line, (const guint8 *) data, end - data);
          break;
        }

      if (stream->kept > NB_HTTP_PROVIDER_MAX_REPLY)
        return reply_too_large (self, error);
      if (stream->line->len == 0)
        {
          /* The common case: a whole line inside this read, no copy. */
          if (!handle_line (self, stream, data, newline - data, error))
            return FALSE;
        }
      else
        {
          if (stream->line->len + (gsize) (newline - data) > stream->max_line)
            return line_too_long (self, error);
          g_byte_array_append (stream->line, (const guint8 *) data, newline - data);
          if (!handle_line (self, stream, (const char *) stream->line->data, stream->line->len, error))
            return FALSE;
          g_byte_array_set_size (stream->line, 0);
        }
      data = newline + 1;
    }
  return TRUE;
}

gboolean
nb_http_provider_end (NbHttpProvider    *self,
                      NbProviderStream  *stream,
                      GError           **error)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);

  if (stream->body_kind == NB_BODY_JSON)
    {
      g_autoptr(JsonNode) root = nb_http_provider_parse_json (self, stream, (const char *) stream->whole->data,
                                                              stream->whole->len, error);

      if (root == NULL)
        return FALSE;
      return klass->parse_body (self, stream, root, error);
    }

  /* An unfinished last line means the body was cut: it is not parsed. */
  if (!stream->done && stream->line->len == 0 &&
      klass->wire_format == NB_WIRE_FORMAT_SSE && !dispatch_sse_event (self, stream, error))
    return FALSE;

  if (!stream->done)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                   _("%s: the connection closed before the reply was complete"),
                   provider_name (self));
      return FALSE;
    }
  return TRUE;
}

char *
nb_http_provider_content_text (JsonNode *content)
{
  GString *text;
  JsonArray *parts;

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (content))
    return g_strdup (json_node_get_string (content) ? json_node_get_string (content) : "");
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return g_strdup ("");

  text = g_string_new (NULL);
  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *part = json_array_get_element (parts, i);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        continue;
      object = json_node_get_object (part);
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", "text"), "text") == 0)
        {
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, json_object_get_string_member_with_default (object, "text", ""));
        }
    }
  return g_string_free (text, FALSE);
}

void
nb_http_provider_add_extra_headers (NbHttpProvider     *self,
                                    SoupMessageHeaders *headers)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, priv->extra_headers);
  while (g_hash_table_iter_next (&iter, &name, &value))
    soup_message_headers_replace (headers, name, value);
}

/* One chat call over the network ---------------------------------------- */

typedef struct {
  char               *url;
  GBytes             *body;
  SoupMessageHeaders *headers;
  NbChatDeltaFunc     delta_func;
  gpointer            delta_data;

  GCancellable       *cancellable;   /* the caller's, may be NULL */
  gulong              cancelled_id;
  GCancellable       *attempt;       /* cancelled by the caller or a timeout */
  SoupMessage        *message;
  GInputStream       *input;
  NbProviderStream   *stream;
  GByteArray         *error_body;
  char               *buffer;

  guint               attempts;
  guint               timer_id;
  guint               retry_id;
  gboolean            timed_out;
  gboolean            connecting;
  gboolean            completed;
} ChatCall;

static void
chat_call_free (gpointer data)
{
  ChatCall *call = data;

  g_assert (call->timer_id == 0 && call->retry_id == 0);

  g_free (call->url);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_pointer (&call->headers, soup_message_headers_unref);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->attempt);
  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_pointer (&call->stream, nb_provider_stream_free);
  g_clear_pointer (&call->error_body, g_byte_array_unref);
  g_free (call->buffer);
  g_free (call);
}

static void start_attempt (GTask *task);

static void
clear_sources (ChatCall *call)
{
  g_clear_handle_id (&call->timer_id, g_source_remove);
  g_clear_handle_id (&call->retry_id, g_source_remove);
}

static void
complete (GTask          *task,
          NbChatResponse *response,
          GError         *error)
{
  ChatCall *call = g_task_get_task_data (task);

  if (call->completed)
    {
      g_clear_error (&error);
      g_clear_pointer (&response, nb_chat_response_free);
      return;
    }
  call->completed = TRUE;
  clear_sources (call);
  if (call->cancelled_id != 0)
    {
      g_cancellable_disconnect (call->cancellable, call->cancelled_id);
      call->cancelled_id = 0;
    }
  g_cancellable_cancel (call->attempt);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) nb_chat_response_free);
}

static gboolean
user_cancelled (ChatCall *call)
{
  return call->cancellable != NULL && g_cancellable_is_cancelled (call->cancellable);
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  ChatCall *call = g_task_get_task_data (task);

  if (call->completed)
    return G_SOURCE_REMOVE;
  g_cancellable_cancel (call->attempt);
  if (call->retry_id != 0)
    {
      g_clear_handle_id (&call->retry_id, g_source_remove);
      complete (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 _("The request was cancelled")));
    }
  return G_SOURCE_REMOVE;
}

/* May run in any thread, and inside g_cancellable_cancel(): the work is
 * done from an idle in the task's context, so that nothing completes (and
 * disconnects this handler) while the handler runs. */
static void
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, cancel_idle_cb, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ChatCall *call = g_task_get_task_data (task);

  call->timer_id = 0;
  call->timed_out = TRUE;
  g_cancellable_cancel (call->attempt);
  return G_SOURCE_REMOVE;
}

static void
arm_timer (GTask *task,
           guint  seconds)
{
  ChatCall *call = g_task_get_task_data (task);

  g_clear_handle_id (&call->timer_id, g_source_remove);
  call->timer_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, seconds, timeout_cb,
                                               g_object_ref (task), g_object_unref);
}

static GError *
timeout_error (NbHttpProvider *self,
               ChatCall       *call)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  if (call->connecting)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                        _("%s: could not connect to %s within %u s"),
                        provider_name (self), priv->api_base, priv->connect_timeout);
  return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                      _("%s: no data arrived for %u s; the reply was abandoned"),
                      provider_name (self), priv->idle_timeout);
}

static guint
backoff_ms (NbHttpProvider *self,
            guint           attempt)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  guint delay = priv->base_delay_ms << MIN (attempt, 10);

  /* Up to a quarter more, so that many clients do not retry in step. */
  return delay + g_random_int_range (0, delay / 4 + 1);
}

/* Tries again after @delay_ms, or returns FALSE when no retry is left. */
static gboolean
schedule_retry (GTask *task,
                guint  delay_ms);

static gboolean
retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  ChatCall *call = g_task_get_task_data (task);

  call->retry_id = 0;
  start_attempt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
schedule_retry (GTask *task,
                guint  delay_ms)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  ChatCall *call = g_task_get_task_data (task);

  if (call->attempts > priv->max_retries || user_cancelled (call))
    return FALSE;

  g_debug ("%s: retrying in %u ms (attempt %u)", provider_name (self), delay_ms, call->attempts + 1);
  g_clear_handle_id (&call->timer_id, g_source_remove);
  call->retry_id = g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, retry_cb,
                                       g_object_ref (task), g_object_unref);
  return TRUE;
}

/* Seconds to wait from a Retry-After header (seconds or an HTTP date);
 * -1 without one. Not capped: the caller decides what is too long. */
static gint64
parse_retry_after (const char *value)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  char *end = NULL;
  gint64 seconds;

  if (value == NULL)
    return -1;
  seconds = g_ascii_strtoll (value, &end, 10);
  if (end != value && (*end == '\0' || g_ascii_isspace (*end)))
    return CLAMP (seconds, 0, G_MAXINT);

  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  seconds = g_date_time_difference (when, now) / G_TIME_SPAN_SECOND;
  return CLAMP (seconds, 0, G_MAXINT);
}

static char *
error_body_message (NbHttpProvider *self,
                    GByteArray     *body)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *text = NULL;

  if (body == NULL || body->len == 0)
    return NULL;

  if (nb_json_parser_load (parser, (const char *) body->data, body->len, NULL) &&
      json_parser_get_root (parser) != NULL && klass->error_message != NULL)
    {
      char *message = klass->error_message (self, json_parser_get_root (parser));

      if (message != NULL)
        return message;
    }

  if (looks_like_html ((const char *) body->data, body->len))
    return NULL;
  text = g_utf8_make_valid ((const char *) body->data, MIN (body->len, 300));
  return g_strstrip (g_steal_pointer (&text));
}

static GError *
status_error (NbHttpProvider *self,
              guint           status,
              const char     *reason,
              GByteArray     *body)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  g_autofree char *message = error_body_message (self, body);
  g_autofree char *what = NULL;

  if (message != NULL)
    what = g_strdup_printf ("HTTP %u: %s", status, message);
  else
    what = g_strdup_printf ("HTTP %u %s", status, reason ? reason : "");

  if (status == 401 || status == 403)
    {
      if (priv->api_key == NULL || *priv->api_key == '\0')
        return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH,
                            _("%s: the API key is missing (%s). %s"),
                            provider_name (self), what, priv->key_hint ? priv->key_hint : "");
      return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH,
                          _("%s: the API key was refused (%s). %s"),
                          provider_name (self), what, priv->key_hint ? priv->key_hint : "");
    }
  if (status == 429)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_RATE_LIMIT,
                        _("%s: too many requests, still refused after %u retries (%s)"),
                        provider_name (self), priv->max_retries, what);
  if (status >= 500)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER,
                        _("%s: the server failed (%s)"), provider_name (self), what);
  return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST,
                      _("%s refused the request (%s)"), provider_name (self), what);
}

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_next (GTask *task)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  ChatCall *call = g_task_get_task_data (task);

  arm_timer (task, priv->idle_timeout);
  g_input_stream_read_async (call->input, call->buffer, READ_BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             call->attempt, read_cb, g_object_ref (task));
}

/* A failure while reading the reply: retried when nothing was shown yet. */
static void
stream_failed (GTask  *task,
               GError *error)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  ChatCall *call = g_task_get_task_data (task);

  if (user_cancelled (call))
    {
      g_error_free (error);
      complete (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 _("The request was cancelled")));
      return;
    }
  if (call->timed_out)
    {
      g_error_free (error);
      complete (task, NULL, timeout_error (self, call));
      return;
    }
  /* Nothing streamed yet (or no response at all): safe to send again. */
  if ((call->stream == NULL || !call->stream->delivered) &&
      !g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL) &&
      schedule_retry (task, backoff_ms (self, call->attempts - 1)))
    {
      g_error_free (error);
      return;
    }
  if (error->domain != NB_PROVIDER_ERROR)
    {
      GError *wrapped = g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                                     _("%s: the connection broke during the reply: %s"),
                                     provider_name (self), error->message);
      g_error_free (error);
      error = wrapped;
    }
  complete (task, NULL, error);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ChatCall *call = g_task_get_task_data (task);

  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
  complete (task, nb_provider_stream_take_response (call->stream), NULL);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbHttpProvider *self = g_task_get_source_object (task);
  ChatCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (call->completed)
    {
      g_clear_error (&error);
      return;
    }
  if (n < 0)
    {
      stream_failed (task, error);
      return;
    }
  if (n == 0)
    {
      g_clear_handle_id (&call->timer_id, g_source_remove);
      if (!nb_http_provider_end (self, call->stream, &error))
        {
          /* A stream cut before anything was shown is worth another try. */
          if (!call->stream->delivered &&
              g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED) &&
              schedule_retry (task, backoff_ms (self, call->attempts - 1)))
            {
              g_error_free (error);
              return;
            }
          complete (task, NULL, error);
          return;
        }
      /* Closing the body hands the connection back to the session's pool
       * before the caller can start its next request. */
      g_input_stream_close_async (call->input, G_PRIORITY_DEFAULT, NULL, close_cb, g_object_ref (task));
      return;
    }
  if (!nb_http_provider_feed (self, call->stream, call->buffer, n, &error))
    {
      /* An "overloaded" event before anything was shown: try again. */
      if (!call->stream->delivered && g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER) &&
          schedule_retry (task, backoff_ms (self, call->attempts - 1)))
        {
          g_error_free (error);
          return;
        }
      complete (task, NULL, error);
      return;
    }
  if (call->completed)
    return;
  read_next (task);
}

static void error_body_read_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data);

static void
finish_status_error (GTask *task)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  ChatCall *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->message);

  g_clear_handle_id (&call->timer_id, g_source_remove);

  /* 529 is Anthropic's "overloaded". */
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504 || status == 529)
    {
      const char *header = soup_message_headers_get_one (soup_message_get_response_headers (call->message),
                                                         "Retry-After");
      gint64 after = parse_retry_after (header);
      guint delay = after >= 0 ? (guint) after * 1000 : backoff_ms (self, call->attempts - 1);

      /* A server that wants more than a minute (a used-up quota) is not
       * waited for in silence: say so now. */
      if (after > RETRY_AFTER_CAP_S)
        {
          g_autofree char *what = error_body_message (self, call->error_body);
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) after);

          complete (task, NULL,
                    g_error_new (NB_PROVIDER_ERROR,
                                 status == 429 ? NB_PROVIDER_ERROR_RATE_LIMIT : NB_PROVIDER_ERROR_SERVER,
                                 _("%s: HTTP %u, the server asks to wait %s s before trying again (%s)"),
                                 provider_name (self), status, seconds,
                                 what != NULL ? what : soup_message_get_reason_phrase (call->message)));
          return;
        }

      if (schedule_retry (task, delay))
        return;
    }

  complete (task, NULL, status_error (self, status, soup_message_get_reason_phrase (call->message),
                                      call->error_body));
}

static void
read_error_body (GTask *task)
{
  ChatCall *call = g_task_get_task_data (task);

  g_input_stream_read_async (call->input, call->buffer, READ_BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             call->attempt, error_body_read_cb, g_object_ref (task));
}

static void
error_body_read_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ChatCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (call->completed)
    return;
  if (n < 0 && (user_cancelled (call) || call->timed_out))
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }
  if (n > 0 && call->error_body->len < ERROR_BODY_LIMIT)
    {
      g_byte_array_append (call->error_body, (const guint8 *) call->buffer,
                           MIN ((gsize) n, ERROR_BODY_LIMIT - call->error_body->len));
      if (call->error_body->len < ERROR_BODY_LIMIT)
        {
          read_error_body (task);
          return;
        }
    }
  finish_status_error (task);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  ChatCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;

  call->input = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (call->completed)
    {
      g_clear_error (&error);
      return;
    }
  if (call->input == NULL)
    {
      if (!user_cancelled (call) && !call->timed_out &&
          (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
           error->domain == G_RESOLVER_ERROR))
        {
          GError *wrapped = g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT,
                                         _("%s: nothing answered at %s (%s)"),
                                         provider_name (self), priv->api_base, error->message);
          g_error_free (error);
          complete (task, NULL, wrapped);
          return;
        }
      stream_failed (task, error);
      return;
    }

  call->connecting = FALSE;
  status = soup_message_get_status (call->message);
  call->buffer = call->buffer ? call->buffer : g_malloc (READ_BUFFER_SIZE);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      call->error_body = g_byte_array_new ();
      arm_timer (task, priv->idle_timeout);
      read_error_body (task);
      return;
    }

  call->stream = nb_provider_stream_new (call->delta_func, call->delta_data,
                                         soup_message_headers_get_content_type (soup_message_get_response_headers (call->message), NULL));
  read_next (task);
}

static void
wrote_headers_cb (SoupMessage *message,
                  gpointer     user_data)
{
  GTask *task = user_data;
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  ChatCall *call = g_task_get_task_data (task);

  /* Connected: from now on the idle timeout applies (the model may think
   * for a while before its first byte). */
  if (call->connecting && !call->completed)
    {
      call->connecting = FALSE;
      arm_timer (task, priv->idle_timeout);
    }
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static void
start_attempt (GTask *task)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  ChatCall *call = g_task_get_task_data (task);

  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_pointer (&call->stream, nb_provider_stream_free);
  g_clear_pointer (&call->error_body, g_byte_array_unref);
  call->attempts++;
  call->connecting = TRUE;

  call->message = soup_message_new (SOUP_METHOD_POST, call->url);
  if (call->message == NULL)
    {
      complete (task, NULL, g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                                         _("%s: the apiBase “%s” is not a valid URL"),
                                         provider_name (self), priv->api_base));
      return;
    }
  /* libsoup opens a fresh connection for every POST unless told the
   * request may be repeated; a chat request may (nothing happens before
   * the reply), and keep-alive is the point of the shared session (B4). */
  soup_message_add_flags (call->message, SOUP_MESSAGE_IDEMPOTENT);
  soup_message_headers_foreach (call->headers, copy_header,
                                soup_message_get_request_headers (call->message));
  soup_message_set_request_body_from_bytes (call->message, "application/json", call->body);
  g_signal_connect_object (call->message, "wrote-headers", G_CALLBACK (wrote_headers_cb), task, 0);

  arm_timer (task, priv->connect_timeout);
  soup_session_send_async (nb_http_get_session (), call->message, G_PRIORITY_DEFAULT,
                           call->attempt, send_cb, g_object_ref (task));
}

static void
nb_http_provider_chat_async (NbProvider          *provider,
                             const NbChatRequest *request,
                             NbChatDeltaFunc      delta_func,
                             gpointer             delta_data,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (provider);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  const char *model = request->model ? request->model : "";
  ChatCall *call;
  gsize length;
  char *text;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_http_provider_chat_async);

  call = g_new0 (ChatCall, 1);
  g_task_set_task_data (task, call, chat_call_free);
  call->delta_func = delta_func;
  call->delta_data = delta_data;
  call->attempt = g_cancellable_new ();
  call->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  if (priv->api_base == NULL || *priv->api_base == '\0')
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                               _("%s has no apiBase; set providers.%s.apiBase in the configuration"),
                               provider_name (self), provider_name (self));
      return;
    }

  if (priv->model_prefix != NULL && g_str_has_prefix (model, priv->model_prefix))
    model += strlen (priv->model_prefix);

  body = klass->build_request (self, request, model, call->headers, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  nb_http_provider_add_extra_headers (self, call->headers);

  text = nb_json_to_data (body, FALSE, NULL);
  length = strlen (text);
  call->body = g_bytes_new_take (text, length);

  base = g_strdup (priv->api_base);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  call->url = g_strconcat (base, klass->path, NULL);

  if (cancellable != NULL)
    {
      call->cancellable = g_object_ref (cancellable);
      call->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), task, NULL);
      if (g_cancellable_is_cancelled (cancellable))
        {
          complete (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     _("The request was cancelled")));
          return;
        }
    }

  start_attempt (task);
}

static NbChatResponse *
nb_http_provider_chat_finish (NbProvider    *provider,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == nb_http_provider_chat_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The object ------------------------------------------------------------ */

static void
nb_http_provider_finalize (GObject *object)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_clear_pointer (&priv->api_base, g_free);
  g_clear_pointer (&priv->api_key, g_free);
  g_clear_pointer (&priv->key_hint, g_free);
  g_clear_pointer (&priv->model_prefix, g_free);
  g_clear_pointer (&priv->extra_headers, g_hash_table_unref);

  G_OBJECT_CLASS (nb_http_provider_parent_class)->finalize (object);
}

static void
nb_http_provider_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_API_BASE:
      g_value_set_string (value, priv->api_base);
      break;
    case PROP_API_KEY:
      g_value_set_string (value, priv->api_key);
      break;
    case PROP_KEY_HINT:
      g_value_set_string (value, priv->key_hint);
      break;
    case PROP_MODEL_PREFIX:
      g_value_set_string (value, priv->model_prefix);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, priv->connect_timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, priv->idle_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_http_provider_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_API_BASE:
      g_free (priv->api_base);
      priv->api_base = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      g_free (priv->api_key);
      priv->api_key = g_value_dup_string (value);
      break;
    case PROP_KEY_HINT:
      g_free (priv->key_hint);
      priv->key_hint = g_value_dup_string (value);
      break;
    case PROP_MODEL_PREFIX:
      g_free (priv->model_prefix);
      priv->model_prefix = g_value_dup_string (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      priv->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      priv->idle_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_http_provider_class_init (NbHttpProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbProviderClass *provider_class = NB_PROVIDER_CLASS (klass);

  object_class->finalize = nb_http_provider_finalize;
  object_class->get_property = nb_http_provider_get_property;
  object_class->set_property = nb_http_provider_set_property;

  provider_class->chat_async = nb_http_provider_chat_async;
  provider_class->chat_finish = nb_http_provider_chat_finish;

  properties[PROP_API_BASE] =
    g_param_spec_string ("api-base", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Said after an authentication error: where to put the key. */
  properties[PROP_KEY_HINT] =
    g_param_spec_string ("key-hint", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* "anthropic/" for anthropic: removed from the front of the model name. */
  properties[PROP_MODEL_PREFIX] =
    g_param_spec_string ("model-prefix", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 3600, 10,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 1, 24 * 3600, 120,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_http_provider_init (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  priv->extra_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->connect_timeout = 10;
  priv->idle_timeout = 120;
  priv->max_retries = 3;
  priv->base_delay_ms = 1000;
}

const char *
nb_http_provider_get_api_base (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_val_if_fail (NB_IS_HTTP_PROVIDER (self), NULL);

  return priv->api_base;
}

const char *
nb_http_provider_get_api_key (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_val_if_fail (NB_IS_HTTP_PROVIDER (self), NULL);

  return priv->api_key;
}

/**
 * nb_http_provider_set_extra_header:
 *
 * Adds a header sent with every request (`extraHeaders` in the config);
 * it replaces a header of the same name the provider would send.
 */
void
nb_http_provider_set_extra_header (NbHttpProvider *self,
                                   const char     *name,
                                   const char     *value)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_if_fail (NB_IS_HTTP_PROVIDER (self));
  g_return_if_fail (name != NULL);

  if (value == NULL)
    g_hash_table_remove (priv->extra_headers, name);
  else
    g_hash_table_insert (priv->extra_headers, g_strdup (name), g_strdup (value));
}

void
nb_http_provider_set_retry_policy (NbHttpProvider *self,
                                   guint           max_retries,
                                   guint           base_delay_ms)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_if_fail (NB_IS_HTTP_PROVIDER (self));

  priv->max_retries = max_retries;
  priv->base_delay_ms = base_delay_ms;
}
