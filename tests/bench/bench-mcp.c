/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-mcp-manager.h"
#include "nb-mcp-server.h"

/*
 * MCP figures over stdio against tests/mcp/fake-server.js: connecting
 * (spawn, initialize, tools/list), sequential and parallel tool calls, and
 * turning a large result into text.
 */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static NbMcpServer *
new_server (void)
{
  g_autofree char *script = g_build_filename (g_getenv ("NB_MCP_TEST_DATA"), "fake-server.js", NULL);
  g_autoptr(JsonObject) config = json_object_new ();
  JsonArray *args = json_array_new ();

  json_array_add_string_element (args, script);
  json_array_add_string_element (args, "normal");
  json_object_set_string_member (config, "command", "node");
  json_object_set_array_member (config, "args", args);
  return nb_mcp_server_new ("bench", config);
}

static void
connect_server (NbMcpServer *server)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_mcp_server_connect_async (server, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  nb_mcp_server_connect_finish (server, result, &error);
  g_assert_no_error (error);
}

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  guint *remaining = user_data;
  g_autofree char *text = nb_mcp_server_call_tool_finish (NB_MCP_SERVER (object), result, NULL);

  g_assert_cmpstr (text, ==, "echo: x");
  (*remaining)--;
}

static double
run_calls (NbMcpServer *server,
           guint        rounds,
           guint        parallel)
{
  g_autoptr(JsonObject) args = json_object_new ();
  gint64 start = g_get_monotonic_time ();

  json_object_set_string_member (args, "text", "x");
  for (guint r = 0; r < rounds; r++)
    {
      guint remaining = parallel;

      for (guint i = 0; i < parallel; i++)
        nb_mcp_server_call_tool_async (server, "echo", args, NULL, call_done_cb, &remaining);
      while (remaining > 0)
        g_main_context_iteration (NULL, TRUE);
    }
  return (g_get_monotonic_time () - start) / (double) (rounds * parallel);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NbMcpServer) server = NULL;
  g_autoptr(GString) big = g_string_new (NULL);
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  gint64 start;
  double connect_ms = 0;
  const guint connects = 5;

  for (guint i = 0; i < connects; i++)
    {
      g_autoptr(NbMcpServer) fresh = new_server ();

      start = g_get_monotonic_time ();
      connect_server (fresh);
      connect_ms += (g_get_monotonic_time () - start) / 1000.0;
      nb_mcp_server_shutdown (fresh);
    }
  g_print ("connect (spawn node, initialize, tools/list): %.1f ms average of %u\n",
           connect_ms / connects, connects);

  server = new_server ();
  connect_server (server);
  run_calls (server, 50, 1);
  g_print ("sequential tools/call round trip: %.0f µs per call (2000 calls)\n",
           run_calls (server, 2000, 1));
  g_print ("16 parallel tools/call: %.0f µs per call (200 × 16 calls)\n",
           run_calls (server, 200, 16));
  nb_mcp_server_shutdown (server);

  for (guint i = 0; i < 8 * 1024; i++)
    g_string_append_printf (big, "%1023u\\n", i);
  json = g_strdup_printf ("{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]}", big->str);
  {
    g_autoptr(JsonNode) node = json_from_string (json, NULL);

    result = json_object_ref (json_node_get_object (node));
  }
  start = g_get_monotonic_time ();
  text = nb_mcp_server_format_result (result);
  g_print ("formatting an 8 MiB text result (cut to %u KiB): %.2f ms\n",
           NB_MCP_MAX_RESULT_SIZE / 1024, (g_get_monotonic_time () - start) / 1000.0);
  return 0;
}
