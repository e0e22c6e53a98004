/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-web-fetch"

#include "config.h"

#include <string.h>

#include "nb-address-check.h"
#include "nb-html-extract.h"
#include "nb-json-util.h"
#include "nb-web-fetch-tool-private.h"
#include "nb-web-util.h"

/*
 * web_fetch: one GET per hop, redirects followed here (at most 5) so that
 * every hop is checked. Unless private hosts are allowed, a hop's host is
 * refused when it is a private address in any spelling or when any address
 * it resolves to is private; and because the connection resolves the name
 * again (DNS rebinding), the address actually being connected to is checked
 * once more in SoupMessage::network-event, and the request cancelled there
 * before anything is sent.
 */

struct _NbWebFetchTool
{
  NbTool      parent_instance;

  gboolean    allow_private_hosts;
  GHashTable *test_allowed;   /* "host:port" */
  gsize       max_bytes;
};

G_DEFINE_FINAL_TYPE (NbWebFetchTool, nb_web_fetch_tool, NB_TYPE_TOOL)

typedef struct
{
  char              *url;          /* as given */
  char              *current;      /* this hop */
  guint              redirects;
  NbHtmlExtractMode  mode;
  gint64             max_chars;
  GCancellable      *cancellable;  /* ours, cancelled by the caller's or a refusal */
  GCancellable      *caller_cancellable;
  gulong             caller_handler;
  SoupMessage       *message;
  char              *refused;      /* set by the connect-time check */
  gboolean           body_truncated;
  guint              status;
  char              *charset;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  if (data->caller_handler != 0)
    g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->message);
  g_free (data->url);
  g_free (data->current);
  g_free (data->refused);
  g_free (data->charset);
  g_free (data);
}

static void hop (GTask *task);

/* Results */

static char *
error_json (const char *url,
            const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
return_error (GTask      *task,
              const char *format,
              ...) G_GNUC_PRINTF (2, 3);

static void
return_error (GTask      *task,
              const char *format,
              ...)
{
  FetchData *data = g_task_get_task_data (task);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_pointer (task, error_json (data->url, message), g_free);
}

static void
return_result (GTask      *task,
               const char *extractor,
               char       *text)
{
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *owned = text;
  gboolean truncated = data->body_truncated;
  glong length = g_utf8_strlen (owned, -1);

  if (length > data->max_chars)
    {
      char *cut = g_utf8_offset_to_pointer (owned, data->max_chars);

      *cut = '\0';
      length = data->max_chars;
      truncated = TRUE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, data->url);
  json_builder_set_member_name (builder, "finalUrl");
  json_builder_add_string_value (builder, data->current);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, data->status);
  json_builder_set_member_name (builder, "extractor");
  json_builder_add_string_value (builder, extractor);
  json_builder_set_member_name (builder, "truncated");
  json_builder_add_boolean_value (builder, truncated);
  json_builder_set_member_name (builder, "length");
  json_builder_add_int_value (builder, length);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, owned);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  g_task_return_pointer (task, json_to_string (root, FALSE), g_free);
}

/* Address checks */

static gboolean
test_allowed (NbWebFetchTool *self,
              const char     *host,
              int             port)
{
  g_autofree char *key = NULL;

  if (self->test_allowed == NULL)
    return FALSE;
  key = g_strdup_printf ("%s:%d", host, port);
  return g_hash_table_contains (self->test_allowed, key);
}

static void
network_event_cb (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  GTask *task = user_data;
  FetchData *data = g_task_get_task_data (task);
  NbWebFetchTool *self = g_task_get_source_object (task);
  g_autoptr(GSocketAddress) remote = NULL;
  g_autofree char *host = NULL;
  GInetAddress *address;
  int port;

  g_assert (SOUP_IS_MESSAGE (message));
  g_assert (G_IS_TASK (task));
  g_assert (NB_IS_WEB_FETCH_TOOL (self));

  if (event != G_SOCKET_CLIENT_CONNECTING && event != G_SOCKET_CLIENT_CONNECTED)
    return;
  if (data->refused != NULL || !G_IS_SOCKET_CONNECTION (connection))
    return;

  /* GSocketClient caches the address it is about to connect to, so this
   * works already at CONNECTING; CONNECTED checks again. */
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    return;
  /* Through a proxy the address is the proxy's (the user's choice); the
   * destination's name was checked before the request was sent. */
  if (G_IS_PROXY_ADDRESS (remote))
    return;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
  host = g_inet_address_to_string (address);

  if (nb_address_check_is_private (address) && !test_allowed (self, host, port))
    {
      data->refused = g_steal_pointer (&host);
      g_cancellable_cancel (data->cancellable);
    }
}

static char *
refusal_message (const char *host,
                 const char *address)
{
  if (address != NULL && g_strcmp0 (host, address) != 0)
    return g_strdup_printf ("Refused: %s resolves to the private or local address %s "
                            "(set tools.web.fetch.allowPrivateHosts to allow)", host, address);
  return g_strdup_printf ("Refused: %s is a private or local address "
                          "(set tools.web.fetch.allowPrivateHosts to allow)", host);
}

/* Content */

static gboolean
is_json_type (const char *type)
{
  return type != NULL && (g_str_equal (type, "application/json") || g_str_has_suffix (type, "+json"));
}

static gboolean
looks_like_html (const char *type,
                 const char *body,
                 gsize       length)
{
  g_autofree char *start = NULL;
  const char *p;

  if (type != NULL && (g_str_equal (type, "text/html") || g_str_equal (type, "application/xhtml+xml")))
    return TRUE;
  start = g_ascii_strdown (body, MIN (length, 256));
  for (p = start; g_ascii_isspace (*p); p++)
    ;
  return g_str_has_prefix (p, "<!doctype") || g_str_has_prefix (p, "<html");
}

static gboolean
is_textual_type (const char *type)
{
  return type == NULL || g_str_has_prefix (type, "text/") || is_json_type (type) ||
         g_str_has_suffix (type, "+xml") || g_str_equal (type, "application/xml") ||
         g_str_equal (type, "application/javascript") || g_str_equal (type, "application/x-yaml");
}

static void
extract_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *text = nb_html_extract_finish (result, &error);

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (text == NULL)
    {
      return_error (task, "HTML extraction failed: %s", error->message);
      return;
    }
  return_result (task, "html", text);
}

static void
handle_body (GTask  *task,
             GBytes *body)
{
  FetchData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (data->message);
  g_autoptr(GHashTable) params = NULL;
  const char *type = soup_message_headers_get_content_type (headers, &params);
  gsize length;
  const char *bytes = g_bytes_get_data (body, &length);

  if (params != NULL && g_hash_table_lookup (params, "charset") != NULL)
    data->charset = g_strdup (g_hash_table_lookup (params, "charset"));

  if (is_json_type (type) && !data->body_truncated)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (length > 0 && nb_json_parser_load (parser, bytes, length, NULL))
        {
          g_autoptr(JsonGenerator) generator = json_generator_new ();

          json_generator_set_pretty (generator, TRUE);
          json_generator_set_indent (generator, 2);
          json_generator_set_root (generator, json_parser_get_root (parser));
          return_result (task, "json", json_generator_to_data (generator, NULL));
          return;
        }
    }

  if (length > 0 && looks_like_html (type, bytes, length))
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      nb_html_extract_async (body, data->current, data->charset,
                             data->mode, cancellable, extract_done_cb, g_object_ref (task));
      return;
    }

  if (!is_textual_type (type) && memchr (bytes, '\0', length) != NULL)
    {
      return_error (task, "Cannot show binary content (%s)", type);
      return;
    }
  if (data->charset != NULL && g_ascii_strcasecmp (data->charset, "utf-8") != 0 &&
      g_ascii_strcasecmp (data->charset, "utf8") != 0 && length > 0)
    {
      char *converted = g_convert (bytes, length, "UTF-8", data->charset, NULL, NULL, NULL);

      if (converted != NULL)
        {
          return_result (task, "raw", converted);
          return;
        }
    }
  return_result (task, "raw", g_utf8_make_valid (length > 0 ? bytes : "", length));
}

/* Hops */

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  FetchData *data = g_task_get_task_data (task);
  const char *location;

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_signal_handlers_disconnect_by_data (data->message, task);
  body = nb_web_read_finish (result, &data->body_truncated, &error);

  if (data->refused != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (data->current, SOUP_HTTP_URI_FLAGS, NULL);
      g_autofree char *message = refusal_message (uri != NULL ? g_uri_get_host (uri) : data->current,
                                                  data->refused);

      g_task_return_pointer (task, error_json (data->url, message), g_free);
      return;
    }
  if (body == NULL)
    {
      if (g_cancellable_is_cancelled (data->caller_cancellable))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      else
        return_error (task, "%s", error->message);
      return;
    }

  data->status = soup_message_get_status (data->message);
  location = soup_message_headers_get_one (soup_message_get_response_headers (data->message), "Location");
  if (SOUP_STATUS_IS_REDIRECTION (data->status) && location != NULL)
    {
      g_autoptr(GUri) base = g_uri_parse (data->current, SOUP_HTTP_URI_FLAGS, NULL);
      g_autoptr(GUri) next = base != NULL ? g_uri_parse_relative (base, location, SOUP_HTTP_URI_FLAGS, NULL) : NULL;

      if (++data->redirects > NB_WEB_FETCH_MAX_REDIRECTS)
        {
          return_error (task, "Too many redirects (more than %d)", NB_WEB_FETCH_MAX_REDIRECTS);
          return;
        }
      if (next == NULL)
        {
          return_error (task, "Invalid redirect location: %s", location);
          return;
        }
      g_free (data->current);
      data->current = g_uri_to_string (next);
      hop (g_steal_pointer (&task));
      return;
    }

  if (data->status >= 400)
    {
      return_error (task, "HTTP %u %s", data->status, soup_message_get_reason_phrase (data->message));
      return;
    }

  handle_body (task, body);
}

static void
send_hop (GTask *task)
{
  NbWebFetchTool *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);

  g_clear_object (&data->message);
  data->message = soup_message_new ("GET", data->current);
  if (data->message == NULL)
    {
      return_error (task, "URL validation failed: cannot parse %s", data->current);
      g_object_unref (task);
      return;
    }
  soup_message_add_flags (data->message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (data->message), "Accept",
                                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8");
  if (!self->allow_private_hosts)
    g_signal_connect (data->message, "network-event", G_CALLBACK (network_event_cb), task);

  nb_web_read_async (data->message, self->max_bytes, NB_WEB_FETCH_TIMEOUT_SECONDS, data->cancellable,
                     read_cb, task);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (data->current, SOUP_HTTP_URI_FLAGS, NULL);
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  g_assert (G_IS_RESOLVER (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (addresses == NULL)
    {
      if (g_cancellable_is_cancelled (data->caller_cancellable))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      else
        return_error (task, "Cannot resolve %s: %s", g_uri_get_host (uri), error->message);
      g_object_unref (task);
      return;
    }

  for (GList *l = addresses; l != NULL; l = l->next)
    if (nb_address_check_is_private (l->data))
      {
        g_autofree char *address = g_inet_address_to_string (l->data);
        g_autofree char *message = refusal_message (g_uri_get_host (uri), address);

        g_resolver_free_addresses (addresses);
        g_task_return_pointer (task, error_json (data->url, message), g_free);
        g_object_unref (task);
        return;
      }
  g_resolver_free_addresses (addresses);
  send_hop (task);
}

/* Takes over the reference to @task. */
static void
hop (GTask *task)
{
  NbWebFetchTool *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GUri) uri = g_uri_parse (data->current, SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(GInetAddress) literal = NULL;
  g_autoptr(GResolver) resolver = NULL;
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  int port;

  if (uri == NULL && (g_str_has_prefix (data->current, "http:") || g_str_has_prefix (data->current, "https:")))
    {
      return_error (task, "URL validation failed: invalid URL");
      g_object_unref (task);
      return;
    }
  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_autofree char *given = NULL;

      if (scheme == NULL)
        {
          const char *colon = strchr (data->current, ':');

          given = colon != NULL && colon != data->current ? g_strndup (data->current, colon - data->current) : NULL;
        }
      return_error (task, "URL validation failed: Only http/https allowed, got '%s'",
                    scheme != NULL ? scheme : given != NULL ? given : "none");
      g_object_unref (task);
      return;
    }
  if (host == NULL || host[0] == '\0')
    {
      return_error (task, "URL validation failed: Missing domain");
      g_object_unref (task);
      return;
    }

  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;

  if (self->allow_private_hosts || test_allowed (self, host, port))
    {
      send_hop (task);
      return;
    }

  literal = nb_address_check_parse_host (host);
  if (literal != NULL)
    {
      if (nb_address_check_is_private (literal))
        {
          g_autofree char *message = refusal_message (host, NULL);

          g_task_return_pointer (task, error_json (data->url, message), g_free);
          g_object_unref (task);
          return;
        }
      send_hop (task);
      return;
    }

  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, host, data->cancellable, resolved_cb, task);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  g_assert (G_IS_CANCELLABLE (caller));
  g_assert (G_IS_CANCELLABLE (user_data));

  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
nb_web_fetch_tool_execute_async (NbTool              *tool,
                                 JsonObject          *arguments,
                                 const NbToolContext *context,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  JsonNode *url = json_object_get_member (arguments, "url");
  JsonNode *mode = json_object_get_member (arguments, "extractMode");
  JsonNode *max_chars = json_object_get_member (arguments, "maxChars");
  FetchData *data;

  g_task_set_source_tag (task, nb_web_fetch_tool_execute_async);

  data = g_new0 (FetchData, 1);
  data->max_chars = NB_WEB_FETCH_DEFAULT_MAX_CHARS;
  data->mode = NB_HTML_EXTRACT_MARKDOWN;
  data->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  if (url == NULL || !JSON_NODE_HOLDS_VALUE (url) || json_node_get_value_type (url) != G_TYPE_STRING)
    {
      data->url = g_strdup ("");
      return_error (task, "URL validation failed: missing string parameter 'url'");
      return;
    }
  data->url = g_strstrip (g_strdup (json_node_get_string (url)));
  data->current = g_strdup (data->url);

  if (mode != NULL && JSON_NODE_HOLDS_VALUE (mode) && json_node_get_value_type (mode) == G_TYPE_STRING &&
      g_str_equal (json_node_get_string (mode), "text"))
    data->mode = NB_HTML_EXTRACT_TEXT;
  if (max_chars != NULL && JSON_NODE_HOLDS_VALUE (max_chars) && json_node_get_value_type (max_chars) == G_TYPE_INT64)
    data->max_chars = MAX (json_node_get_int (max_chars), 100);

  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                    g_object_ref (data->cancellable), g_object_unref);
    }

  hop (g_steal_pointer (&task));
}

static void
nb_web_fetch_tool_finalize (GObject *object)
{
  NbWebFetchTool *self = NB_WEB_FETCH_TOOL (object);

  g_clear_pointer (&self->test_allowed, g_hash_table_unref);

  G_OBJECT_CLASS (nb_web_fetch_tool_parent_class)->finalize (object);
}

static void
nb_web_fetch_tool_class_init (NbWebFetchToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_web_fetch_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_web_fetch_tool_execute_async;
}

static void
nb_web_fetch_tool_init (NbWebFetchTool *self)
{
  self->max_bytes = NB_WEB_FETCH_MAX_BYTES;
}

/**
 * nb_web_fetch_tool_new:
 * @allow_private_hosts: whether loopback, private and link-local addresses
 *   may be fetched (tools.web.fetch.allowPrivateHosts)
 *
 * Returns: (transfer full): the web_fetch tool
 */
NbTool *
nb_web_fetch_tool_new (gboolean allow_private_hosts)
{
  g_autoptr(JsonObject) parameters =
    nb_tool_parse_schema ("{\"type\": \"object\","
                          " \"properties\": {"
                          "  \"url\": {\"type\": \"string\", \"description\": \"URL to fetch\"},"
                          "  \"extractMode\": {\"type\": \"string\", \"enum\": [\"markdown\", \"text\"],"
                          "                   \"default\": \"markdown\"},"
                          "  \"maxChars\": {\"type\": \"integer\", \"minimum\": 100}},"
                          " \"required\": [\"url\"]}");
  NbWebFetchTool *self = g_object_new (NB_TYPE_WEB_FETCH_TOOL,
                                       "name", "web_fetch",
                                       "description", "Fetch URL and extract readable content (HTML → markdown/text).",
                                       "parameters", parameters,
                                       "side-effects", FALSE,
                                       NULL);

  self->allow_private_hosts = allow_private_hosts;
  return NB_TOOL (self);
}

void
nb_web_fetch_tool_allow_host_for_testing (NbWebFetchTool *self,
                                          const char     *host_and_port)
{
  g_return_if_fail (NB_IS_WEB_FETCH_TOOL (self));

  if (self->test_allowed == NULL)
    self->test_allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (self->test_allowed, g_strdup (host_and_port));
}

void
nb_web_fetch_tool_set_max_bytes (NbWebFetchTool *self,
                                 gsize           max_bytes)
{
  g_return_if_fail (NB_IS_WEB_FETCH_TOOL (self));

  self->max_bytes = MAX (max_bytes, 1);
}
