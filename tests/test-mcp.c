/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE  /* RTLD_NEXT */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "nb-fake-llm.h"
#include "nb-mcp-manager.h"
#include "nb-mcp-server.h"
#include "nb-mcp-tool.h"
#include "nb-test-util.h"

/*
 * MCP over stdio against real servers from npm (server-everything,
 * server-filesystem) and against tests/mcp/fake-server.js, which misbehaves
 * on request.
 */

#define WAIT_MS 60000

static const char *
node_modules (void)
{
  const char *dir = g_getenv ("NB_MCP_NODE_MODULES");

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_error ("The MCP test servers are not installed (NB_MCP_NODE_MODULES=%s); "
             "building the test runs tests/mcp/npm-install, which needs npm",
             dir != NULL ? dir : "");
  return dir;
}

static char *
fake_server_path (void)
{
  return g_build_filename (g_getenv ("NB_MCP_TEST_DATA"), "fake-server.js", NULL);
}

/* Every process this test starts (servers, their children, nanobot)
 * inherits NB_MCP_TEST_OWNER=<our pid>, so that the check below sees our
 * servers only, not those of a test running alongside (test-mcp-http
 * runs the same server-everything). */
#define OWNER_VARIABLE "NB_MCP_TEST_OWNER"

static void
mark_children (void)
{
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());

  g_setenv (OWNER_VARIABLE, pid, TRUE);
}

static gboolean
has_marker (const char *environ_path,
            const char *marker)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  gsize marker_length = strlen (marker) + 1;   /* with its NUL */

  if (!g_file_get_contents (environ_path, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; i + marker_length <= length; i += strlen (contents + i) + 1)
    if (memcmp (contents + i, marker, marker_length) == 0)
      return TRUE;
  return FALSE;
}

/* Any process still running that we started (a leaked server). */
static gboolean
servers_running (void)
{
  g_autofree char *marker = g_strdup_printf (OWNER_VARIABLE "=%d", (int) getpid ());
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_ascii_isdigit (name[0]) || atoi (name) == (int) getpid ())
        continue;
      /* A zombie's environment reads empty: it counts as gone. */
      path = g_build_filename ("/proc", name, "environ", NULL);
      if (has_marker (path, marker))
        return TRUE;
    }
  return FALSE;
}

static gboolean
poll_processes_cb (gpointer user_data)
{
  gboolean *gone = user_data;

  *gone = !servers_running ();
  return *gone ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
assert_no_servers_left (void)
{
  gboolean gone = FALSE;
  guint id = g_timeout_add (20, poll_processes_cb, &gone);

  nb_test_wait_for (&gone, WAIT_MS);
  (void) id;
}

/* GSubprocess forgets a child's pid once it was reaped, which can happen
 * before the caller asks when the child exits at once. This test program
 * replaces g_subprocess_get_identifier() (the agent library is linked in
 * statically) so that a test can make that race happen every time. */
static gboolean identifier_forgotten;

const gchar *
g_subprocess_get_identifier (GSubprocess *subprocess)
{
  static const gchar *(*real) (GSubprocess *subprocess);

  if (identifier_forgotten)
    return NULL;
  if (real == NULL)
    real = (const gchar *(*) (GSubprocess *)) dlsym (RTLD_NEXT, "g_subprocess_get_identifier");
  g_assert_nonnull (real);
  return real (subprocess);
}

typedef struct
{
  NbMcpManager *manager;
  char         *tmpdir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  identifier_forgotten = FALSE;
  fixture->tmpdir = nb_test_make_tmpdir ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->manager != NULL)
    {
      nb_mcp_manager_shutdown (fixture->manager);
      g_assert_finalize_object (fixture->manager);
    }
  assert_no_servers_left ();
  nb_test_rm_rf (fixture->tmpdir);
  g_free (fixture->tmpdir);
}

static JsonObject *
stdio_config (const char *command,
              ...)
{
  JsonObject *config = json_object_new ();
  JsonArray *args = json_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, command);
  while ((arg = va_arg (ap, const char *)) != NULL)
    json_array_add_string_element (args, arg);
  va_end (ap);

  json_object_set_string_member (config, "command", command);
  json_object_set_array_member (config, "args", args);
  return config;
}

static NbMcpManager *
manager_for (const char *name,
             JsonObject *config)
{
  g_autoptr(JsonObject) servers = json_object_new ();

  json_object_set_object_member (servers, name, config);
  return nb_mcp_manager_new_for_servers (servers);
}

static JsonObject *
fake_config (const char *mode,
             guint       timeout)
{
  g_autofree char *script = fake_server_path ();
  JsonObject *config = stdio_config ("node", script, mode, NULL);

  if (timeout > 0)
    json_object_set_int_member (config, "toolTimeout", timeout);
  return config;
}

static gboolean
server_settled (NbMcpServer *server)
{
  NbMcpServerState state = nb_mcp_server_get_state (server);

  return state == NB_MCP_SERVER_STATE_CONNECTED || state == NB_MCP_SERVER_STATE_FAILED;
}

static void
state_changed_cb (NbMcpServer *server,
                  GParamSpec  *pspec,
                  gboolean    *settled)
{
  *settled = server_settled (server);
}

static NbMcpServer *
start_and_wait (NbMcpManager *manager,
                const char   *name)
{
  NbMcpServer *server = nb_mcp_manager_lookup_server (manager, name);
  gboolean settled = FALSE;
  gulong id;

  g_assert_nonnull (server);
  id = g_signal_connect (server, "notify::state", G_CALLBACK (state_changed_cb), &settled);
  nb_mcp_manager_start (manager);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTING);
  nb_test_wait_for (&settled, WAIT_MS);
  g_signal_handler_disconnect (server, id);
  return server;
}

static NbTool *
find_tool (NbMcpManager *manager,
           const char   *name)
{
  g_autoptr(GPtrArray) tools = nb_mcp_manager_dup_tools (manager);

  for (guint i = 0; i < tools->len; i++)
    if (g_str_equal (nb_tool_get_name (g_ptr_array_index (tools, i)), name))
      return g_object_ref (g_ptr_array_index (tools, i));
  g_error ("No tool %s", name);
  return NULL;
}

static char *
run_tool_full (NbMcpManager  *manager,
               const char    *name,
               const char    *arguments,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(NbTool) tool = find_tool (manager, name);
  g_autoptr(JsonObject) args = nb_test_parse_object (arguments);
  g_autoptr(GAsyncResult) result = NULL;

  nb_tool_execute_async (tool, args, NULL, cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, WAIT_MS);
  return nb_tool_execute_finish (tool, result, error);
}

static char *
run_tool (NbMcpManager *manager,
          const char   *name,
          const char   *arguments)
{
  g_autoptr(GError) error = NULL;
  char *text = run_tool_full (manager, name, arguments, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* Units. */

static void
test_names (void)
{
  g_autofree char *simple = nb_mcp_tool_make_name ("files", "read_file");
  g_autofree char *odd = nb_mcp_tool_make_name ("my server", "a/b.c-d");
  g_autofree char *long_name = nb_mcp_tool_make_name ("server", "ü" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

  g_assert_cmpstr (simple, ==, "mcp_files_read_file");
  g_assert_cmpstr (odd, ==, "mcp_my_server_a_b_c-d");
  g_assert_cmpuint (strlen (long_name), ==, NB_MCP_TOOL_NAME_MAX);
  g_assert_true (g_str_has_prefix (long_name, "mcp_server___xxx"));
}

static void
test_format (void)
{
  g_autoptr(JsonObject) mixed = nb_test_parse_object (
    "{\"content\":["
    "{\"type\":\"text\",\"text\":\"one\"},"
    "{\"type\":\"image\",\"mimeType\":\"image/png\",\"data\":\"AAECAwQ=\"},"
    "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///a\",\"text\":\"inline\"}},"
    "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///b\",\"blob\":\"AAAA\"}},"
    "{\"type\":\"text\",\"text\":\"two\"}]}");
  g_autoptr(JsonObject) failed = nb_test_parse_object (
    "{\"isError\":true,\"content\":[{\"type\":\"text\",\"text\":\"no such file\"}]}");
  g_autoptr(JsonObject) empty = nb_test_parse_object ("{\"content\":[]}");
  g_autoptr(JsonObject) structured = nb_test_parse_object ("{\"content\":[],\"structuredContent\":{\"a\":1}}");
  g_autofree char *mixed_text = nb_mcp_server_format_result (mixed);
  g_autofree char *failed_text = nb_mcp_server_format_result (failed);
  g_autofree char *empty_text = nb_mcp_server_format_result (empty);
  g_autofree char *structured_text = nb_mcp_server_format_result (structured);

  g_assert_cmpstr (mixed_text, ==, "one\n[image: image/png, 5 bytes]\ninline\n[resource: file:///b]\ntwo");
  g_assert_cmpstr (failed_text, ==, "Error: no such file");
  g_assert_cmpstr (empty_text, ==, "(no output)");
  g_assert_cmpstr (structured_text, ==, "{\"a\":1}");
}

/* Real servers. */

static void
test_everything_stdio (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (node_modules (), ".bin", "mcp-server-everything", NULL);
  g_autoptr(NbTool) echo = NULL;
  g_autofree char *echoed = NULL;
  g_autofree char *image = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *status = NULL;
  NbMcpServer *server;
  JsonObject *schema;

  fixture->manager = manager_for ("everything", stdio_config (bin, "stdio", NULL));
  server = start_and_wait (fixture->manager, "everything");
  g_assert_cmpstr (nb_mcp_server_get_error_message (server), ==, NULL);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  g_assert_cmpstr (nb_mcp_server_get_protocol_version (server), ==, "2025-06-18");
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), >=, 5);
  status = nb_mcp_server_dup_status_line (server);
  g_assert_true (g_str_has_prefix (status, "MCP server “everything”: connected, "));

  echo = find_tool (fixture->manager, "mcp_everything_echo");
  g_assert_cmpstr (nb_tool_get_description (echo), ==, "Echoes back the input string");
  schema = nb_tool_get_parameters (echo);
  g_assert_cmpstr (json_object_get_string_member (schema, "type"), ==, "object");
  g_assert_true (json_object_has_member (json_object_get_object_member (schema, "properties"), "message"));
  g_assert_false (json_object_has_member (schema, "$schema"));
  g_assert_false (nb_tool_has_side_effects (echo));

  echoed = run_tool (fixture->manager, "mcp_everything_echo", "{\"message\":\"hello\"}");
  g_assert_cmpstr (echoed, ==, "Echo: hello");

  image = run_tool (fixture->manager, "mcp_everything_get-tiny-image", "{}");
  g_assert_true (g_str_has_prefix (image, "Here's the image you requested:\n[image: image/png, "));
  g_assert_nonnull (strstr (image, " bytes]"));

  sum = run_tool (fixture->manager, "mcp_everything_get-sum", "{\"a\":2,\"b\":3}");
  g_assert_nonnull (strstr (sum, "5"));
}

static void
test_filesystem (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (node_modules (), ".bin", "mcp-server-filesystem", NULL);
  g_autofree char *file = g_build_filename (fixture->tmpdir, "notes.txt", NULL);
  g_autofree char *real_tmpdir = realpath (fixture->tmpdir, NULL);
  g_autofree char *real_file = g_build_filename (real_tmpdir, "notes.txt", NULL);
  g_autofree char *list_args = NULL;
  g_autofree char *read_args = NULL;
  g_autofree char *outside_args = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *outside = NULL;
  NbMcpServer *server;

  nb_test_write_file (file, "alpha beta\n");
  fixture->manager = manager_for ("fs", stdio_config (bin, real_tmpdir, NULL));
  server = start_and_wait (fixture->manager, "fs");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);

  list_args = g_strdup_printf ("{\"path\":\"%s\"}", real_tmpdir);
  listing = run_tool (fixture->manager, "mcp_fs_list_directory", list_args);
  g_assert_nonnull (strstr (listing, "[FILE] notes.txt"));

  read_args = g_strdup_printf ("{\"path\":\"%s\"}", real_file);
  contents = run_tool (fixture->manager, "mcp_fs_read_text_file", read_args);
  g_assert_nonnull (strstr (contents, "alpha beta"));

  /* The server refuses paths outside its folder: a tool error, not a failure. */
  outside_args = g_strdup_printf ("{\"path\":\"/etc/hostname\"}");
  outside = run_tool (fixture->manager, "mcp_fs_read_text_file", outside_args);
  g_assert_true (g_str_has_prefix (outside, "Error: "));
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
}

/* The fake server. */

static void
test_fake_basic (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *echoed = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *received = NULL;
  g_autofree char *weird = NULL;
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(NbTool) hang = NULL;
  g_autoptr(NbTool) typed = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), ==, 13);
  g_assert_cmpuint (nb_mcp_server_get_tool_timeout (server), ==, NB_MCP_DEFAULT_TOOL_TIMEOUT);

  tools = nb_mcp_manager_dup_tools (fixture->manager);
  g_assert_cmpuint (tools->len, ==, 13);
  weird = nb_mcp_tool_make_name ("fake", "weird name/with:chars");
  for (guint i = 0; i < tools->len; i++)
    {
      const char *name = nb_tool_get_name (g_ptr_array_index (tools, i));

      g_assert_cmpuint (strlen (name), <=, NB_MCP_TOOL_NAME_MAX);
      g_assert_true (g_str_has_prefix (name, "mcp_fake_"));
      g_assert_true (strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen (name));
    }
  g_assert_true (g_str_has_prefix (nb_tool_get_name (g_ptr_array_index (tools, 11)), weird));

  /* Without readOnlyHint an MCP tool counts as side-effecting. */
  hang = find_tool (fixture->manager, "mcp_fake_hang");
  g_assert_true (nb_tool_has_side_effects (hang));
  typed = find_tool (fixture->manager, "mcp_fake_typed");
  g_assert_cmpstr (nb_tool_get_description (typed), ==, "");
  g_assert_cmpuint (json_object_get_size (nb_tool_get_parameters (typed)), ==, 2);
  g_assert_true (nb_tool_has_side_effects (typed));

  echoed = run_tool (fixture->manager, "mcp_fake_echo", "{\"text\":\"hi\"}");
  g_assert_cmpstr (echoed, ==, "echo: hi");
  failed = run_tool (fixture->manager, "mcp_fake_fail", "{}");
  g_assert_cmpstr (failed, ==, "Error: it went wrong");

  /* What the client sent: initialize with our version, then initialized. */
  received = run_tool (fixture->manager, "mcp_fake_received", "{}");
  g_assert_true (g_str_has_prefix (received,
                                   "[{\"method\":\"initialize\",\"id\":1,\"protocolVersion\":\"2025-06-18\"},"
                                   "{\"method\":\"notifications/initialized\"},"
                                   "{\"method\":\"tools/list\",\"id\":2},"
                                   "{\"method\":\"tools/call\",\"id\":3},"));
}

/* issue item 4: a lone surrogate escape in an MCP message becomes U+FFFD;
 * the result is valid UTF-8 and nothing after it is lost. */
static void
test_fake_item4_lone_surrogates (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *result = NULL;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_echo", "{\"text\":\"lone surrogates\"}");
  g_assert_true (g_utf8_validate (result, -1, NULL));
  g_assert_cmpstr (result, ==, "a\xef\xbf\xbd" "b \xef\xbf\xbd end\xef\xbf\xbd");
}

static void
test_fake_paged (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *received = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("paged", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), ==, 13);
  received = run_tool (fixture->manager, "mcp_fake_received", "{}");
  g_assert_nonnull (strstr (received, "{\"method\":\"tools/list\",\"id\":6}"));
  g_assert_null (strstr (received, "{\"method\":\"tools/list\",\"id\":7}"));
}

static void
assert_recovers (Fixture     *fixture,
                 NbMcpServer *server)
{
  g_autofree char *echoed = NULL;

  /* The app goes on, and the next call reconnects. */
  echoed = run_tool (fixture->manager, "mcp_fake_echo", "{\"text\":\"again\"}");
  g_assert_cmpstr (echoed, ==, "echo: again");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
}

static void
test_fake_crash (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *result = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_crash", "{}");
  g_assert_cmpstr (result, ==,
                   "Error: MCP server 'fake': The server exited (last output: fake server crashing on purpose)");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_FAILED);
  g_assert_cmpstr (nb_mcp_server_get_error_message (server), ==,
                   "The server exited (last output: fake server crashing on purpose)");
  assert_recovers (fixture, server);
}

static void
test_fake_garbage (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *result = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_garbage", "{}");
  g_test_message ("%s", result);
  g_assert_true (g_str_has_prefix (result, "Error: MCP server 'fake': The server sent invalid JSON: "));
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_FAILED);
  assert_recovers (fixture, server);
}

/* A banner on stdout before the first message is skipped, as the
 * reference clients do; garbage after it still fails (above). */
static void
test_fake_banner (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *result = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("banner", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  result = run_tool (fixture->manager, "mcp_fake_echo", "{\"text\":\"after the banner\"}");
  g_assert_cmpstr (result, ==, "echo: after the banner");
}

static void
test_fake_huge (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *result = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_huge", "{}");
  g_assert_cmpstr (result, ==, "Error: MCP server 'fake': The server sent a message larger than 16 MiB");
  assert_recovers (fixture, server);
}

static void
test_fake_closed_pipe (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *deaf = NULL;
  g_autofree char *result = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  deaf = run_tool (fixture->manager, "mcp_fake_deafen", "{}");
  g_assert_cmpstr (deaf, ==, "not listening any more");
  /* Writing into the closed pipe is an error, not a SIGPIPE. */
  result = run_tool (fixture->manager, "mcp_fake_echo", "{\"text\":\"anyone?\"}");
  g_assert_true (g_str_has_prefix (result, "Error: MCP server 'fake': Writing to the server failed: "));
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_FAILED);
  assert_recovers (fixture, server);
}

static void
test_fake_big (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *note = NULL;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_big", "{}");
  note = g_strdup_printf ("\n\n[output truncated: %u of %u bytes shown]",
                          NB_MCP_MAX_RESULT_SIZE, 1024 * 1024);
  g_assert_true (g_str_has_suffix (result, note));
  g_assert_cmpuint (strlen (result), ==, NB_MCP_MAX_RESULT_SIZE + strlen (note));
  g_assert_cmpuint (strspn (result, "y"), ==, NB_MCP_MAX_RESULT_SIZE);
}

static void
test_fake_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *received = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 1));
  server = start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_hang", "{}");
  g_assert_cmpstr (result, ==, "Error: MCP tool 'hang' of server 'fake' timed out: No answer within 1 second");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);

  received = run_tool (fixture->manager, "mcp_fake_received", "{}");
  g_assert_nonnull (strstr (received, "{\"method\":\"tools/call\",\"id\":3},"
                                      "{\"method\":\"notifications/cancelled\",\"requestId\":3},"));
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_fake_cancel (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  g_autofree char *received = NULL;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_idle_add_full (G_PRIORITY_LOW, cancel_cb, g_object_ref (cancellable), g_object_unref);
  result = run_tool_full (fixture->manager, "mcp_fake_hang", "{}", cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);

  received = run_tool (fixture->manager, "mcp_fake_received", "{}");
  g_assert_nonnull (strstr (received, "{\"method\":\"tools/call\",\"id\":3},"
                                      "{\"method\":\"notifications/cancelled\",\"requestId\":3},"));
}

static void
test_cancel_while_connecting (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *text = NULL;
  NbMcpServer *server;

  /* The server never answers initialize and the time-out is an hour: only
   * the cancellation can end the call. */
  fixture->manager = manager_for ("fake", fake_config ("noinit", 3600));
  server = nb_mcp_manager_lookup_server (fixture->manager, "fake");
  nb_mcp_server_call_tool_async (server, "echo", args, cancellable, nb_test_store_result_cb, &result);
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTING);
  g_idle_add_full (G_PRIORITY_LOW, cancel_cb, g_object_ref (cancellable), g_object_unref);
  nb_test_wait_result (&result, WAIT_MS);
  text = nb_mcp_server_call_tool_finish (server, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (text);
  /* The connection attempt goes on for other callers. */
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTING);
}

static void
test_fake_server_requests (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *result = NULL;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  start_and_wait (fixture->manager, "fake");
  result = run_tool (fixture->manager, "mcp_fake_ping_me", "{}");
  g_assert_cmpstr (result, ==,
                   "{\"ping\":{\"jsonrpc\":\"2.0\",\"id\":1000,\"result\":{}},"
                   "\"other\":{\"jsonrpc\":\"2.0\",\"id\":1001,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}}");
}

static void
tools_changed_cb (NbMcpManager *manager,
                  NbMcpServer  *server,
                  guint        *count)
{
  (*count)++;
}

static void
test_fake_list_changed (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autoptr(NbTool) extra = NULL;
  guint changes = 0;
  NbMcpServer *server;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_signal_connect (fixture->manager, "tools-changed", G_CALLBACK (tools_changed_cb), &changes);
  result = run_tool (fixture->manager, "mcp_fake_change", "{}");
  g_assert_cmpstr (result, ==, "changed");
  while (changes == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), ==, 14);
  extra = find_tool (fixture->manager, "mcp_fake_extra");
  g_assert_false (nb_tool_has_side_effects (extra));
}

static void
test_registry (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(NbToolRegistry) early = nb_tool_registry_new ();
  g_autoptr(NbToolRegistry) late = nb_tool_registry_new ();
  g_autoptr(NbToolCall) call = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  guint changes = 0;

  fixture->manager = manager_for ("fake", fake_config ("normal", 0));
  nb_mcp_manager_attach_registry (fixture->manager, early);
  g_assert_cmpuint (nb_tool_registry_get_n_tools (early), ==, 0);
  start_and_wait (fixture->manager, "fake");
  nb_mcp_manager_attach_registry (fixture->manager, late);
  g_assert_cmpuint (nb_tool_registry_get_n_tools (early), ==, 13);
  g_assert_cmpuint (nb_tool_registry_get_n_tools (late), ==, 13);
  g_assert_nonnull (nb_tool_registry_lookup (late, "mcp_fake_echo"));

  /* Through the registry: "Error: …" results get its hint. */
  call = nb_tool_call_new ("call-1", "mcp_fake_fail", "{}");
  nb_tool_registry_execute_async (early, call, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, WAIT_MS);
  text = nb_tool_registry_execute_finish (early, result, &error);
  g_assert_no_error (error);
  expected = g_strconcat ("Error: it went wrong", NB_TOOL_REGISTRY_ERROR_HINT, NULL);
  g_assert_cmpstr (text, ==, expected);

  /* A new tool list reaches every registry. */
  g_signal_connect (fixture->manager, "tools-changed", G_CALLBACK (tools_changed_cb), &changes);
  changed = run_tool (fixture->manager, "mcp_fake_change", "{}");
  while (changes == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (nb_tool_registry_get_n_tools (early), ==, 14);
  g_assert_cmpuint (nb_tool_registry_get_n_tools (late), ==, 14);
  g_assert_nonnull (nb_tool_registry_lookup (early, "mcp_fake_extra"));
  g_assert_true (nb_tool_registry_lookup (early, "mcp_fake_echo") ==
                 nb_tool_registry_lookup (late, "mcp_fake_echo"));
}

static void
test_fake_versions (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) servers = json_object_new ();
  NbMcpServer *old;
  NbMcpServer *future;
  NbMcpServer *silent;
  NbMcpServer *notools;

  json_object_set_object_member (servers, "old", fake_config ("old", 0));
  json_object_set_object_member (servers, "future", fake_config ("future", 0));
  json_object_set_object_member (servers, "silent", fake_config ("noinit", 1));
  json_object_set_object_member (servers, "notools", fake_config ("notools", 0));
  fixture->manager = nb_mcp_manager_new_for_servers (servers);

  /* Servers connect independently: waiting on one lets the others settle. */
  silent = start_and_wait (fixture->manager, "silent");
  old = nb_mcp_manager_lookup_server (fixture->manager, "old");
  future = nb_mcp_manager_lookup_server (fixture->manager, "future");
  g_assert_true (server_settled (old));
  g_assert_true (server_settled (future));

  g_assert_cmpint (nb_mcp_server_get_state (old), ==, NB_MCP_SERVER_STATE_CONNECTED);
  g_assert_cmpstr (nb_mcp_server_get_protocol_version (old), ==, "2024-11-05");
  g_assert_cmpint (nb_mcp_server_get_state (future), ==, NB_MCP_SERVER_STATE_FAILED);
  g_assert_cmpstr (nb_mcp_server_get_error_message (future), ==,
                   "The server speaks MCP version “2099-01-01”, which Nanobot does not support");
  g_assert_cmpint (nb_mcp_server_get_state (silent), ==, NB_MCP_SERVER_STATE_FAILED);
  /* No tools capability: connected, nothing listed. */
  notools = nb_mcp_manager_lookup_server (fixture->manager, "notools");
  while (!server_settled (notools))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (nb_mcp_server_get_state (notools), ==, NB_MCP_SERVER_STATE_CONNECTED);
  g_assert_cmpuint (nb_mcp_server_get_n_tools (notools), ==, 0);
  g_assert_nonnull (strstr (nb_mcp_server_get_error_message (silent), "1 second"));
}

static void
test_bad_command (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *status = NULL;
  NbMcpServer *server;
  NbMcpServer *good;

  fixture->manager = nb_mcp_manager_new_for_servers (NULL);
  g_object_unref (fixture->manager);
  {
    g_autoptr(JsonObject) servers = json_object_new ();

    json_object_set_object_member (servers, "missing", stdio_config ("/nonexistent/mcp-server", NULL));
    json_object_set_object_member (servers, "fake", fake_config ("normal", 0));
    json_object_set_object_member (servers, "empty", json_object_new ());
    fixture->manager = nb_mcp_manager_new_for_servers (servers);
  }

  server = start_and_wait (fixture->manager, "missing");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_FAILED);
  status = nb_mcp_server_dup_status_line (server);
  g_assert_true (g_str_has_prefix (status, "MCP server “missing” failed: Could not start “/nonexistent/mcp-server”: "));
  g_assert_cmpint (nb_mcp_server_get_state (nb_mcp_manager_lookup_server (fixture->manager, "empty")), ==,
                   NB_MCP_SERVER_STATE_FAILED);

  good = nb_mcp_manager_lookup_server (fixture->manager, "fake");
  while (!server_settled (good))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (nb_mcp_server_get_state (good), ==, NB_MCP_SERVER_STATE_CONNECTED);
}

static gboolean
child_started_cb (gpointer user_data)
{
  gboolean *started = user_data;
  const char *argv[] = { "pgrep", "-f", "fake-server.js family-child", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, NULL);
  *started = g_spawn_check_wait_status (status, NULL);
  return *started ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
test_process_group (Fixture       *fixture,
                    gconstpointer  data)
{
  gboolean started = FALSE;
  NbMcpServer *server;

  /* The server and its child ignore SIGTERM: shutting down must still end
   * both (the fixture's teardown waits until no process is left). */
  fixture->manager = manager_for ("fake", fake_config ("family", 0));
  server = start_and_wait (fixture->manager, "fake");
  g_assert_cmpint (nb_mcp_server_get_state (server), ==, NB_MCP_SERVER_STATE_CONNECTED);
  g_timeout_add (20, child_started_cb, &started);
  nb_test_wait_for (&started, WAIT_MS);
}

/* The same when GSubprocess no longer knows the server's pid: the group
 * is still ended on shutdown, because the child told us its pid itself. */
static void
test_process_group_reaped (Fixture       *fixture,
                           gconstpointer  data)
{
  identifier_forgotten = TRUE;
  test_process_group (fixture, data);
}

static void
test_config (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, "config.json", NULL);
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbMcpServer) first = NULL;
  GListModel *servers;

  /* The Python nanobot's snake_case spellings work too. */
  nb_test_write_file (path,
                      "{\"tools\": {\"mcp_servers\": {"
                      "  \"local\": {\"command\": \"node\", \"args\": [\"x.js\"], \"tool_timeout\": 7},"
                      "  \"remote\": {\"url\": \"http://127.0.0.1:1/mcp\", \"headers\": {\"Authorization\": \"Bearer t\"}}"
                      "}}}");
  config = nb_config_load (path, &error);
  g_assert_no_error (error);
  fixture->manager = nb_mcp_manager_new (config);
  servers = nb_mcp_manager_get_servers (fixture->manager);
  g_assert_cmpuint (g_list_model_get_n_items (servers), ==, 2);
  first = g_list_model_get_item (servers, 0);
  g_assert_cmpstr (nb_mcp_server_get_name (first), ==, "local");
  g_assert_cmpuint (nb_mcp_server_get_tool_timeout (first), ==, 7);
  g_assert_cmpuint (nb_mcp_server_get_tool_timeout (nb_mcp_manager_lookup_server (fixture->manager, "remote")),
                    ==, NB_MCP_DEFAULT_TOOL_TIMEOUT);
  g_assert_cmpint (nb_mcp_server_get_state (first), ==, NB_MCP_SERVER_STATE_IDLE);
  g_assert_null (nb_mcp_manager_lookup_server (fixture->manager, "other"));
}

static void
test_parent_dies (void)
{
  if (g_test_subprocess ())
    {
      NbMcpManager *manager = manager_for ("fake", fake_config ("deaf", 0));

      start_and_wait (manager, "fake");
      g_assert_cmpint (nb_mcp_server_get_state (nb_mcp_manager_lookup_server (manager, "fake")), ==,
                       NB_MCP_SERVER_STATE_CONNECTED);
      /* A crash: no shutdown, no clean-up. */
      _exit (0);
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  assert_no_servers_left ();
}

static void
test_warn_on_stderr (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(JsonObject) servers = json_object_new ();
      g_autoptr(NbMcpManager) manager = NULL;

      json_object_set_object_member (servers, "missing", stdio_config ("/nonexistent/mcp-server", NULL));
      json_object_set_object_member (servers, "fake", fake_config ("normal", 0));
      manager = nb_mcp_manager_new_for_servers (servers);
      nb_mcp_manager_warn_on_stderr (manager);
      start_and_wait (manager, "fake");
      nb_mcp_manager_shutdown (manager);
      assert_no_servers_left ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Quotes may come out as "?" in the C locale. */
  g_test_trap_assert_stderr ("nanobot: MCP server ?missing? failed: Could not start ?/nonexistent/mcp-server?: *\n");
  g_test_trap_assert_stderr_unmatched ("*fake*");
}

/* `nanobot -m` with MCP servers, against a fake OpenAI-style LLM. */

typedef struct
{
  char     *out;
  char     *err;
  gboolean  done;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static char *
tool_call_stream (const char *name,
                  const char *arguments)
{
  g_autoptr(JsonNode) text = json_node_init_string (json_node_alloc (), arguments);
  g_autofree char *quoted = json_to_string (text, FALSE);

  return g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                          "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]}}]}\n\n"
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                          "data: [DONE]\n\n", name, quoted);
}

static void
test_headless (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(NbFakeLlm) llm = nb_fake_llm_new ();
  g_autofree char *script = fake_server_path ();
  g_autofree char *config_path = g_build_filename (fixture->tmpdir, "config.json", NULL);
  g_autofree char *workspace = g_build_filename (fixture->tmpdir, "workspace", NULL);
  g_autofree char *data_dir = g_build_filename (fixture->tmpdir, "data", NULL);
  g_autofree char *config = NULL;
  g_autofree char *calls = tool_call_stream ("mcp_fake_echo", "{\"text\":\"from the model\"}");
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("All done.");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *first_request;
  JsonArray *messages;
  JsonObject *tool_message = NULL;
  Run run = { 0 };

  config = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"}},"
                            "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}},"
                            "\"tools\":{\"mcpServers\":{"
                            "\"fake\":{\"command\":\"node\",\"args\":[\"%s\",\"normal\"]},"
                            "\"slow\":{\"command\":\"node\",\"args\":[\"%s\",\"noinit\"]},"
                            "\"missing\":{\"command\":\"/nonexistent/mcp-server\"}}}}",
                            workspace, nb_fake_llm_get_url (llm), script, script);
  nb_test_write_file (config_path, config);
  nb_fake_llm_queue_body (llm, 200, "text/event-stream", calls);
  nb_fake_llm_queue_body (llm, 200, "text/event-stream", reply);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", fixture->tmpdir, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANG", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "OPENAI_API_KEY");
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                         "--config", config_path, "-m", "Echo something", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &run);
  nb_test_wait_for (&run.done, WAIT_MS);

  g_test_message ("stderr: %s", run.err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (run.out, ==, "All done.\n");
  /* One line for the broken server; the call shows like any other. */
  g_assert_nonnull (strstr (run.err, "nanobot: MCP server “missing” failed: Could not start “/nonexistent/mcp-server”: "));
  g_assert_true (strstr (run.err, " failed: ") == g_strrstr (run.err, " failed: "));
  g_assert_null (strstr (run.err, "MCP missing"));
  g_assert_nonnull (strstr (run.err, "↳ mcp_fake_echo(\"from the model\")\n"));
  g_assert_null (strstr (run.err, "“fake”"));
  /* A server that never answers holds the turn up for 10 s at most, and
   * the line says what that means rather than "connecting". */
  g_assert_nonnull (strstr (run.err, "nanobot: MCP server “slow” has not answered within 10 seconds; "
                                     "starting without its tools, which join if it connects\n"));

  /* The MCP tools were in the very first request, and the result came back. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (llm), ==, 2);
  first_request = nb_fake_llm_get_request (llm, 0)->body;
  g_assert_nonnull (strstr (first_request, "\"name\":\"mcp_fake_echo\""));
  g_assert_nonnull (strstr (first_request, "\"name\":\"read_file\""));
  messages = json_object_get_array_member (nb_fake_llm_get_request_object (llm, 1), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (messages, i), "role"), "tool") == 0)
      tool_message = json_array_get_object_element (messages, i);
  g_assert_nonnull (tool_message);
  g_assert_cmpstr (json_object_get_string_member (tool_message, "content"), ==, "echo: from the model");

  g_free (run.out);
  g_free (run.err);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  mark_children ();

  g_test_add_func ("/mcp/names", test_names);
  g_test_add_func ("/mcp/format", test_format);
  g_test_add_func ("/mcp/warn-on-stderr", test_warn_on_stderr);
  g_test_add_func ("/mcp/parent-dies", test_parent_dies);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/mcp/config", test_config);
  ADD ("/mcp/stdio/everything", test_everything_stdio);
  ADD ("/mcp/stdio/filesystem", test_filesystem);
  ADD ("/mcp/stdio/basic", test_fake_basic);
  ADD ("/mcp/stdio/paged", test_fake_paged);
  ADD ("/mcp/stdio/item4-lone-surrogates", test_fake_item4_lone_surrogates);
  ADD ("/mcp/stdio/crash", test_fake_crash);
  ADD ("/mcp/stdio/invalid-json", test_fake_garbage);
  ADD ("/mcp/stdio/banner", test_fake_banner);
  ADD ("/mcp/stdio/huge", test_fake_huge);
  ADD ("/mcp/stdio/big", test_fake_big);
  ADD ("/mcp/stdio/closed-pipe", test_fake_closed_pipe);
  ADD ("/mcp/stdio/timeout", test_fake_timeout);
  ADD ("/mcp/stdio/cancel", test_fake_cancel);
  ADD ("/mcp/stdio/cancel-while-connecting", test_cancel_while_connecting);
  ADD ("/mcp/stdio/server-requests", test_fake_server_requests);
  ADD ("/mcp/stdio/list-changed", test_fake_list_changed);
  ADD ("/mcp/stdio/versions", test_fake_versions);
  ADD ("/mcp/stdio/registry", test_registry);
  ADD ("/mcp/headless", test_headless);
  ADD ("/mcp/stdio/bad-command", test_bad_command);
  ADD ("/mcp/stdio/process-group", test_process_group);
  ADD ("/mcp/stdio/process-group-reaped", test_process_group_reaped);
#undef ADD

  return g_test_run ();
}
