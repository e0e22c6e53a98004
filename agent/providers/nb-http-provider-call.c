/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-http-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http.h"
#include "nb-http-provider-private.h"

/*
 * One chat call over the network: the POST through the shared SoupSession,
 * retries with backoff (429 with Retry-After, 5xx, a connection lost before
 * anything was shown), the connect and idle timeouts, cancellation, and the
 * mapping of failures to NB_PROVIDER_ERROR_*.
 */

#define ERROR_BODY_LIMIT   (64 * 1024)
#define READ_BUFFER_SIZE   (32 * 1024)
#define RETRY_AFTER_CAP_S  60

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

  gint64              progress_time; /* when the reply last grew (monotonic) */
  gsize               progress_mark; /* its size then: kept bytes and calls */

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

  g_assert (G_IS_TASK (task));

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

  g_assert (G_IS_CANCELLABLE (cancellable));
  g_assert (G_IS_TASK (task));

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, cancel_idle_cb, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ChatCall *call = g_task_get_task_data (task);

  g_assert (G_IS_TASK (task));

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
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);

  if (call->connecting)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                        _("%s: could not connect to %s within %u s"),
                        nb_http_provider_get_display_name (self), priv->api_base, priv->connect_timeout);
  return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                      _("%s: no data arrived for %u s; the reply was abandoned"),
                      nb_http_provider_get_display_name (self), priv->idle_timeout);
}

static guint
backoff_ms (NbHttpProvider *self,
            guint           attempt)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
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

  g_assert (G_IS_TASK (task));

  call->retry_id = 0;
  start_attempt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
schedule_retry (GTask *task,
                guint  delay_ms)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  ChatCall *call = g_task_get_task_data (task);

  if (call->attempts > priv->max_retries || user_cancelled (call))
    return FALSE;

  g_debug ("%s: retrying in %u ms (attempt %u)", nb_http_provider_get_display_name (self), delay_ms, call->attempts + 1);
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

static GError *
status_error (NbHttpProvider *self,
              guint           status,
              const char     *reason,
              GByteArray     *body)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  g_autofree char *message = nb_http_provider_error_body_message (self, body);
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
                            nb_http_provider_get_display_name (self), what, priv->key_hint ? priv->key_hint : "");
      return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH,
                          _("%s: the API key was refused (%s). %s"),
                          nb_http_provider_get_display_name (self), what, priv->key_hint ? priv->key_hint : "");
    }
  if (status == 429)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_RATE_LIMIT,
                        _("%s: too many requests, still refused after %u retries (%s)"),
                        nb_http_provider_get_display_name (self), priv->max_retries, what);
  if (status >= 500)
    return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER,
                        _("%s: the server failed (%s)"), nb_http_provider_get_display_name (self), what);
  return g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST,
                      _("%s refused the request (%s)"), nb_http_provider_get_display_name (self), what);
}

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_next (GTask *task)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
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
                                     nb_http_provider_get_display_name (self), error->message);
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

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
  complete (task, nb_provider_stream_take_response (call->stream), NULL);
}

/* Whether the reply grew (text, reasoning, tool-call bytes or a new call)
 * within the no-progress timeout. Keep-alive comments and empty chunks
 * reset the idle timer but are not progress. */
static gboolean
made_progress (NbHttpProvider *self,
               ChatCall       *call)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  gsize mark = call->stream->kept + call->stream->calls->len;
  gint64 now = g_get_monotonic_time ();

  if (mark != call->progress_mark)
    {
      call->progress_mark = mark;
      call->progress_time = now;
      return TRUE;
    }
  return now - call->progress_time < (gint64) priv->no_progress_timeout * G_USEC_PER_SEC;
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

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_HTTP_PROVIDER (self));

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
  if (!made_progress (self, call))
    {
      NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);

      complete (task, NULL, g_error_new (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                                         _("%s: the reply made no progress for %u s (the server sent only "
                                           "keep-alive messages or empty chunks); it was abandoned"),
                                         nb_http_provider_get_display_name (self), priv->no_progress_timeout));
      return;
    }
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
          g_autofree char *what = nb_http_provider_error_body_message (self, call->error_body);
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) after);

          complete (task, NULL,
                    g_error_new (NB_PROVIDER_ERROR,
                                 status == 429 ? NB_PROVIDER_ERROR_RATE_LIMIT : NB_PROVIDER_ERROR_SERVER,
                                 _("%s: HTTP %u, the server asks to wait %s s before trying again (%s)"),
                                 nb_http_provider_get_display_name (self), status, seconds,
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

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

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
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  ChatCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;

  g_assert (SOUP_IS_SESSION (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_HTTP_PROVIDER (self));

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
                                         nb_http_provider_get_display_name (self), priv->api_base, error->message);
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
  call->progress_time = g_get_monotonic_time ();
  call->progress_mark = 0;
  read_next (task);
}

static void
wrote_headers_cb (SoupMessage *message,
                  gpointer     user_data)
{
  GTask *task = user_data;
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  ChatCall *call = g_task_get_task_data (task);

  g_assert (SOUP_IS_MESSAGE (message));
  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_HTTP_PROVIDER (self));

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
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
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
                                         nb_http_provider_get_display_name (self), priv->api_base));
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

void
nb_http_provider_chat_async (NbProvider          *provider,
                             const NbChatRequest *request,
                             NbChatDeltaFunc      delta_func,
                             gpointer             delta_data,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (provider);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
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
                               nb_http_provider_get_display_name (self), nb_http_provider_get_display_name (self));
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

NbChatResponse *
nb_http_provider_chat_finish (NbProvider    *provider,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == nb_http_provider_chat_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* See nb-http-provider-private.h. */
GError *
nb_http_provider_status_error (NbHttpProvider *self,
                               guint           status,
                               const char     *reason,
                               GByteArray     *body)
{
  return status_error (self, status, reason, body);
}
