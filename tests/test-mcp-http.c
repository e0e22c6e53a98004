/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "nb-http.h"
#include "nb-mcp-manager.h"
#include "nb-mcp-server.h"
#include "nb-mcp-tool.h"
#include "nb-test-util.h"

/*
 * MCP over HTTP: a SoupServer fake speaking streamable HTTP (session ids,
 * SSE-framed answers, expiring sessions, broken answers), and the real
 * server-everything in its streamableHttp and legacy sse modes.
 */

#define WAIT_MS 60000

/* The fake streamable HTTP server. */

typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *requests;      /* JsonObject: what the client sent, with its headers */
  guint       sessions;      /* sessions handed out */
  gboolean    expire;        /* answer 404 to the current session once */
  guint       deletes;
  guint       paused;
} Fake;

static void
respond_json (SoupServerMessage *message,
              const char        *json)
{
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

/* One SSE event per message; data split over lines where the JSON allows. */
static void
respond_sse (SoupServerMessage *message,
             const char        *first,
             ...)
{
  g_autoptr(GString) body = g_string_new (": a comment line\n\n");
  const char *json;
  va_list ap;

  va_start (ap, first);
  for (json = first; json != NULL; json = va_arg (ap, const char *))
    {
      g_auto(GStrv) lines = g_strsplit (json, "\n", -1);

      g_string_append (body, "id: 1\r\nevent: message\r\n");
      for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf (body, "data: %s\r\n", lines[i]);
      g_string_append (body, "\r\n");
    }
  va_end (ap);

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/event-stream", SOUP_MEMORY_COPY, body->str, body->len);
}

static char *
result_text (gint64      id,
             const char *text)
{
  return g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT
                          ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]}}", id, text);
}

static void
fake_handler (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Fake *fake = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (message);
  const char *method = soup_server_message_get_method (message);
  const char *session = soup_message_headers_get_one (request_headers, "Mcp-Session-Id");
  g_autofree char *current = g_strdup_printf ("session-%u", fake->sessions);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autofree char *text = NULL;
  JsonObject *record;
  const char *rpc_method;
  gint64 id;

  if (g_str_equal (method, "DELETE"))
    {
      fake->deletes++;
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      return;
    }
  if (g_str_equal (method, "GET"))
    {
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  bytes = soup_message_body_flatten (body);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  request = nb_test_parse_object (text);
  g_assert_nonnull (request);

  record = json_object_new ();
  json_object_set_string_member (record, "method",
                                 json_object_get_string_member_with_default (request, "method", "(response)"));
  json_object_set_string_member (record, "session", session != NULL ? session : "");
  json_object_set_string_member (record, "version",
                                 soup_message_headers_get_one (request_headers, "MCP-Protocol-Version") ?: "");
  json_object_set_string_member (record, "accept", soup_message_headers_get_one (request_headers, "Accept") ?: "");
  json_object_set_string_member (record, "token", soup_message_headers_get_one (request_headers, "X-Token") ?: "");
  json_object_set_string_member (record, "content-type",
                                 soup_message_headers_get_content_type (request_headers, NULL) ?: "");
  if (json_object_has_member (request, "result"))
    json_object_set_member (record, "result", json_node_copy (json_object_get_member (request, "result")));
  if (json_object_has_member (request, "error"))
    json_object_set_member (record, "error", json_node_copy (json_object_get_member (request, "error")));
  g_ptr_array_add (fake->requests, record);

  rpc_method = json_object_get_string_member_with_default (request, "method", NULL);
  id = json_object_get_int_member_with_default (request, "id", 0);

  if (g_strcmp0 (rpc_method, "initialize") == 0)
    {
      g_autofree char *session_id = g_strdup_printf ("session-%u", ++fake->sessions);
      g_autofree char *json = g_strdup_printf (
        "{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":{\"protocolVersion\":\"2025-03-26\","
        "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}", id);

      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Mcp-Session-Id", session_id);
      respond_json (message, json);
      return;
    }

  if (session == NULL || !g_str_equal (session, current) || fake->expire)
    {
      fake->expire = FALSE;
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  if (rpc_method == NULL || g_str_has_prefix (rpc_method, "notifications/"))
    {
      soup_server_message_set_status (message, SOUP_STATUS_ACCEPTED, NULL);
      return;
    }

  if (g_str_equal (rpc_method, "tools/list"))
    {
      g_autofree char *json = g_strdup_printf (
        "{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":{\"tools\":[\n"
        "{\"name\":\"echo\",\"inputSchema\":{\"type\":\"object\"}},\n"
        "{\"name\":\"huge\"},{\"name\":\"cut\"},{\"name\":\"boom\"},{\"name\":\"batch\"},\n"
        "{\"name\":\"slow\"}]}}", id);

      respond_sse (message, json, NULL);
    }
  else if (g_str_equal (rpc_method, "tools/call"))
    {
      const char *tool = json_object_get_string_member (json_object_get_object_member (request, "params"), "name");

      if (g_str_equal (tool, "echo"))
        {
          g_autofree char *answer = result_text (id, current);

          /* A log notification and a ping before the answer, on the same stream. */
          respond_sse (message,
                       "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"working\"}}",
                       "{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"ping\"}",
                       answer, NULL);
        }
      else if (g_str_equal (tool, "batch"))
        {
          g_autofree char *answer = result_text (id, "from a batch");
          g_autofree char *batch = g_strdup_printf ("[%s]", answer);

          respond_json (message, batch);
        }
      else if (g_str_equal (tool, "huge"))
        {
          gsize size = 17 * 1024 * 1024;
          char *data = g_malloc (size);

          memset (data, ' ', size);
          soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
          soup_server_message_set_response (message, "application/json", SOUP_MEMORY_TAKE, data, size);
        }
      else if (g_str_equal (tool, "slow"))
        {
          /* Never answered; the client gives up and drops the connection. */
          soup_server_message_pause (message);
          fake->paused++;
        }
      else if (g_str_equal (tool, "cut"))
        respond_sse (message,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"bye\"}}",
                     NULL);
      else
        soup_server_message_set_status (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
    }
  else
    soup_server_message_set_status (message, SOUP_STATUS_BAD_REQUEST, NULL);
}

static void
fake_start (Fake *fake)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fake->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, "/mcp", fake_handler, fake, NULL);
  soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d/mcp", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fake_stop (Fake *fake)
{
  soup_server_disconnect (fake->server);
  g_assert_finalize_object (fake->server);
  g_ptr_array_unref (fake->requests);
  g_free (fake->url);
}

static const char *
request_field (Fake       *fake,
               guint       i,
               const char *field)
{
  g_assert_cmpuint (i, <, fake->requests->len);
  return json_object_get_string_member (g_ptr_array_index (fake->requests, i), field);
}

/* Helpers shared with the real-server cases. */

static NbMcpManager *
manager_for (const char *name,
             JsonObject *config)
{
  g_autoptr(JsonObject) servers = json_object_new ();

  json_object_set_object_member (servers, name, config);
  return nb_mcp_manager_new_for_servers (servers);
}

static NbMcpServer *
connect_server (NbMcpManager *manager,
                const char   *name)
{
  NbMcpServer *server = nb_mcp_manager_lookup_server (manager, name);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_mcp_server_connect_async (server, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, WAIT_MS);
  nb_mcp_server_connect_finish (server, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  return server;
}

static char *
run_tool (NbMcpManager *manager,
          const char   *name,
          const char   *arguments)
{
  g_autoptr(GPtrArray) tools = nb_mcp_manager_dup_tools (manager);
  g_autoptr(JsonNode) args = json_from_string (arguments, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NbTool *tool = NULL;
  char *text;

  for (guint i = 0; i < tools->len; i++)
    if (g_str_equal (nb_tool_get_name (g_ptr_array_index (tools, i)), name))
      tool = g_ptr_array_index (tools, i);
  g_assert_nonnull (tool);

  nb_tool_execute_async (tool, json_node_get_object (args), NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, WAIT_MS);
  text = nb_tool_execute_finish (tool, result, &error);
  g_assert_no_error (error);
  return text;
}

static JsonObject *
http_config (const char *url,
             const char *type)
{
  JsonObject *config = json_object_new ();
  JsonObject *headers = json_object_new ();

  json_object_set_string_member (config, "url", url);
  if (type != NULL)
    json_object_set_string_member (config, "type", type);
  json_object_set_string_member (headers, "X-Token", "secret-1");
  json_object_set_object_member (config, "headers", headers);
  return config;
}

static void
test_fake_streamable (void)
{
  Fake fake = { 0 };
  g_autoptr(NbMcpManager) manager = NULL;
  g_autofree char *echoed = NULL;
  g_autofree char *batch = NULL;
  NbMcpServer *server;
  JsonObject *pong;

  fake_start (&fake);
  manager = manager_for ("web", http_config (fake.url, NULL));
  server = connect_server (manager, "web");
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), ==, 6);
  g_assert_cmpstr (nb_mcp_server_get_protocol_version (server), ==, "2025-03-26");

  /* initialize: no session yet, no version header; then both, always. */
  g_assert_cmpuint (fake.requests->len, ==, 3);
  g_assert_cmpstr (request_field (&fake, 0, "method"), ==, "initialize");
  g_assert_cmpstr (request_field (&fake, 0, "session"), ==, "");
  g_assert_cmpstr (request_field (&fake, 0, "version"), ==, "");
  g_assert_cmpstr (request_field (&fake, 0, "accept"), ==, "application/json, text/event-stream");
  g_assert_cmpstr (request_field (&fake, 0, "content-type"), ==, "application/json");
  g_assert_cmpstr (request_field (&fake, 0, "token"), ==, "secret-1");
  g_assert_cmpstr (request_field (&fake, 1, "method"), ==, "notifications/initialized");
  g_assert_cmpstr (request_field (&fake, 1, "session"), ==, "session-1");
  g_assert_cmpstr (request_field (&fake, 1, "version"), ==, "2025-03-26");
  g_assert_cmpstr (request_field (&fake, 2, "method"), ==, "tools/list");
  g_assert_cmpstr (request_field (&fake, 2, "session"), ==, "session-1");

  echoed = run_tool (manager, "mcp_web_echo", "{}");
  g_assert_cmpstr (echoed, ==, "session-1");
  /* The ping on the answer stream was answered with a POST. */
  while (fake.requests->len < 5)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (request_field (&fake, 3, "method"), ==, "tools/call");
  g_assert_cmpstr (request_field (&fake, 4, "method"), ==, "(response)");
  pong = g_ptr_array_index (fake.requests, 4);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (pong, "result")));

  batch = run_tool (manager, "mcp_web_batch", "{}");
  g_assert_cmpstr (batch, ==, "from a batch");

  nb_mcp_manager_shutdown (manager);
  while (fake.deletes == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_finalize_object (g_steal_pointer (&manager));
  fake_stop (&fake);
}

static void
test_fake_expired_session (void)
{
  Fake fake = { 0 };
  g_autoptr(NbMcpManager) manager = NULL;
  g_autofree char *echoed = NULL;
  NbMcpServer *server;
  guint n;

  fake_start (&fake);
  manager = manager_for ("web", http_config (fake.url, "streamableHttp"));
  server = connect_server (manager, "web");

  fake.expire = TRUE;
  echoed = run_tool (manager, "mcp_web_echo", "{}");
  /* 404 → a new initialize → the call again, in the new session. */
  g_assert_cmpstr (echoed, ==, "session-2");
  g_assert_cmpuint (fake.sessions, ==, 2);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  n = fake.requests->len;
  g_assert_cmpuint (n, >=, 7);
  g_assert_cmpstr (request_field (&fake, 3, "method"), ==, "tools/call");
  g_assert_cmpstr (request_field (&fake, 3, "session"), ==, "session-1");
  g_assert_cmpstr (request_field (&fake, 4, "method"), ==, "initialize");
  g_assert_cmpstr (request_field (&fake, 4, "session"), ==, "");
  g_assert_cmpstr (request_field (&fake, 7, "method"), ==, "tools/call");
  g_assert_cmpstr (request_field (&fake, 7, "session"), ==, "session-2");

  nb_mcp_manager_shutdown (manager);
  g_assert_finalize_object (g_steal_pointer (&manager));
  fake_stop (&fake);
}

static void
test_fake_broken_answers (void)
{
  Fake fake = { 0 };
  g_autoptr(NbMcpManager) manager = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *boom = NULL;
  g_autofree char *echoed = NULL;

  fake_start (&fake);
  manager = manager_for ("web", http_config (fake.url, NULL));
  connect_server (manager, "web");

  huge = run_tool (manager, "mcp_web_huge", "{}");
  g_assert_cmpstr (huge, ==, "Error: MCP server 'web': The server sent a message larger than 16 MiB");
  cut = run_tool (manager, "mcp_web_cut", "{}");
  g_assert_cmpstr (cut, ==, "Error: MCP server 'web': The server ended its reply without answering");
  boom = run_tool (manager, "mcp_web_boom", "{}");
  g_assert_cmpstr (boom, ==, "Error: MCP server 'web': The server answered HTTP 500 Internal Server Error");
  echoed = run_tool (manager, "mcp_web_echo", "{}");
  g_assert_cmpstr (echoed, ==, "session-1");

  nb_mcp_manager_shutdown (manager);
  g_assert_finalize_object (g_steal_pointer (&manager));
  fake_stop (&fake);
}

static void
test_fake_timeout (void)
{
  Fake fake = { 0 };
  g_autoptr(NbMcpManager) manager = NULL;
  g_autofree char *slow = NULL;
  g_autofree char *echoed = NULL;
  JsonObject *config;
  guint n;

  fake_start (&fake);
  config = http_config (fake.url, NULL);
  json_object_set_int_member (config, "toolTimeout", 1);
  manager = manager_for ("web", config);
  connect_server (manager, "web");

  slow = run_tool (manager, "mcp_web_slow", "{}");
  g_assert_cmpstr (slow, ==, "Error: MCP tool 'slow' of server 'web' timed out: No answer within 1 second");
  g_assert_cmpuint (fake.paused, ==, 1);
  /* The cancellation goes out as its own POST, right after the call. */
  while (fake.requests->len < 5)
    g_main_context_iteration (NULL, TRUE);
  n = fake.requests->len;
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpstr (request_field (&fake, 3, "method"), ==, "tools/call");
  g_assert_cmpstr (request_field (&fake, 4, "method"), ==, "notifications/cancelled");
  g_assert_cmpstr (request_field (&fake, 4, "session"), ==, "session-1");
  echoed = run_tool (manager, "mcp_web_echo", "{}");
  g_assert_cmpstr (echoed, ==, "session-1");

  nb_mcp_manager_shutdown (manager);
  g_assert_finalize_object (g_steal_pointer (&manager));
  fake_stop (&fake);
}

static void
test_unreachable (void)
{
  g_autoptr(NbMcpManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(JsonObject) servers = json_object_new ();
  g_autofree char *url = NULL;
  g_autofree char *result_text = NULL;
  NbMcpServer *server;
  NbMcpServer *bad_url;

  /* A port nobody listens on: bound, not listening. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u/mcp", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  json_object_set_object_member (servers, "down", http_config (url, NULL));
  json_object_set_object_member (servers, "badurl", http_config ("ftp://example.com/", NULL));
  manager = nb_mcp_manager_new_for_servers (servers);
  server = nb_mcp_manager_lookup_server (manager, "down");
  nb_mcp_server_connect_async (server, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, WAIT_MS);
  g_assert_false (nb_mcp_server_connect_finish (server, result, &error));
  g_assert_error (error, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_FAILED);
  g_assert_true (g_str_has_prefix (nb_mcp_server_get_error_message (server), "The request to the server failed: "));

  bad_url = nb_mcp_manager_lookup_server (manager, "badurl");
  g_clear_object (&result);
  g_clear_error (&error);
  {
    /* The call takes a reference (valgrind found this one leaked). */
    g_autoptr(JsonObject) no_arguments = json_object_new ();

    nb_mcp_server_call_tool_async (bad_url, "x", no_arguments, NULL, nb_test_store_result_cb, &result);
  }
  nb_test_wait_result (&result, WAIT_MS);
  result_text = nb_mcp_server_call_tool_finish (bad_url, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result_text, ==,
                   "Error: MCP server 'badurl' is not available: “ftp://example.com/” is not an http or https URL");

  nb_mcp_manager_shutdown (manager);
  g_assert_finalize_object (g_steal_pointer (&manager));
}

/* The real server-everything over HTTP. */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *stderr_lines;
  gboolean          ready;
  char             *url;
} Everything;

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Everything *everything = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, NULL);

  if (line == NULL)
    g_error ("server-everything exited before listening");
  g_test_message ("server-everything: %s", line);
  if (strstr (line, "listening on port") != NULL || strstr (line, "running on port") != NULL)
    {
      everything->ready = TRUE;
      return;
    }
  g_data_input_stream_read_line_async (everything->stderr_lines, G_PRIORITY_DEFAULT, NULL, read_line_cb, everything);
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
everything_start (Everything *everything,
                  const char *mode,
                  const char *path)
{
  const char *modules = g_getenv ("NB_MCP_NODE_MODULES");
  g_autofree char *script = NULL;
  g_autofree char *port = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  guint number = free_port ();

  if (modules == NULL || !g_file_test (modules, G_FILE_TEST_IS_DIR))
    g_error ("The MCP test servers are not installed (NB_MCP_NODE_MODULES); "
             "building the test runs tests/mcp/npm-install, which needs npm");
  script = g_build_filename (modules, "@modelcontextprotocol", "server-everything", "dist", "index.js", NULL);
  port = g_strdup_printf ("%u", number);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "PORT", port, TRUE);
  everything->process = g_subprocess_launcher_spawn (launcher, &error, "node", script, mode, NULL);
  g_assert_no_error (error);
  everything->stderr_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (everything->process));
  g_data_input_stream_read_line_async (everything->stderr_lines, G_PRIORITY_DEFAULT, NULL, read_line_cb, everything);
  nb_test_wait_for (&everything->ready, WAIT_MS);
  everything->url = g_strdup_printf ("http://127.0.0.1:%u%s", number, path);
}

static void
everything_stop (Everything *everything)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_force_exit (everything->process);
  g_subprocess_wait (everything->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&everything->stderr_lines);
  g_clear_object (&everything->process);
  g_free (everything->url);
}

static void
run_everything (const char *mode,
                const char *path,
                const char *type)
{
  Everything everything = { 0 };
  g_autoptr(NbMcpManager) manager = NULL;
  g_autofree char *echoed = NULL;
  g_autofree char *sum = NULL;
  NbMcpServer *server;

  everything_start (&everything, mode, path);
  manager = manager_for ("everything", http_config (everything.url, type));
  server = connect_server (manager, "everything");
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), >=, 5);
  g_assert_cmpstr (nb_mcp_server_get_protocol_version (server), ==, "2025-06-18");

  echoed = run_tool (manager, "mcp_everything_echo", "{\"message\":\"over http\"}");
  g_assert_cmpstr (echoed, ==, "Echo: over http");
  sum = run_tool (manager, "mcp_everything_get-sum", "{\"a\":40,\"b\":2}");
  g_assert_nonnull (strstr (sum, "42"));

  nb_mcp_manager_shutdown (manager);
  g_assert_finalize_object (g_steal_pointer (&manager));
  everything_stop (&everything);
}

static void
test_everything_streamable (void)
{
  run_everything ("streamableHttp", "/mcp", NULL);
}

static void
test_everything_legacy_sse (void)
{
  run_everything ("sse", "/sse", "sse");
}

/* No "type": a URL ending in /sse is legacy SSE, as in the Python nanobot. */
static void
test_everything_sse_by_url (void)
{
  run_everything ("sse", "/sse", NULL);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mcp-http/fake/streamable", test_fake_streamable);
  g_test_add_func ("/mcp-http/fake/expired-session", test_fake_expired_session);
  g_test_add_func ("/mcp-http/fake/broken-answers", test_fake_broken_answers);
  g_test_add_func ("/mcp-http/fake/timeout", test_fake_timeout);
  g_test_add_func ("/mcp-http/unreachable", test_unreachable);
  g_test_add_func ("/mcp-http/everything/streamable", test_everything_streamable);
  g_test_add_func ("/mcp-http/everything/legacy-sse", test_everything_legacy_sse);
  g_test_add_func ("/mcp-http/everything/sse-by-url", test_everything_sse_by_url);

  status = g_test_run ();
  nb_http_shutdown ();
  return status;
}
