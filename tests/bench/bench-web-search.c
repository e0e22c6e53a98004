/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-http.h"
#include "nb-web-search-tool.h"
#include "../nb-tools-test-util.h"

/*
 * Two rounds of three parallel web_search calls to one loopback SearXNG
 * fake that answers each request after 100 ms. Prints how many TCP
 * connections the server accepted (distinct client ports): the shared
 * session must open at most 3 and reuse them in the second round, and each
 * round must take about one answer's delay, not three.
 */

#define DELAY_MS 100
#define ROUNDS 2
#define PARALLEL 3

static const char reply[] =
  "{\"query\":\"q\",\"results\":[{\"url\":\"https://a.example/\",\"title\":\"A\",\"content\":\"a\"}]}";

typedef struct {
  GHashTable *client_ports;
  guint       requests;
} Server;

static gboolean
unpause_cb (gpointer user_data)
{
  SoupServerMessage *msg = user_data;

  soup_server_message_unpause (msg);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Server *s = user_data;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));

  s->requests++;
  g_hash_table_add (s->client_ports, GUINT_TO_POINTER (port));
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, reply, strlen (reply));
  soup_server_message_pause (msg);
  g_timeout_add (DELAY_MS, unpause_cb, g_object_ref (msg));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *base = NULL;
  SoupServer *server = nb_tools_test_server_new (&base);
  Server s = { g_hash_table_new (NULL, NULL), 0 };
  NbTool *tool = nb_web_search_tool_new ("searxng", NULL, base, 5);

  soup_server_add_handler (server, NULL, handler, &s, NULL);

  for (guint round = 0; round < ROUNDS; round++)
    {
      GAsyncResult *results[PARALLEL] = { NULL };
      g_autoptr(JsonObject) args = nb_tools_test_args ("{\"query\": \"q\"}");
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < PARALLEL; i++)
        nb_tool_execute_async (tool, args, NULL, NULL, nb_test_store_result_cb, &results[i]);
      for (guint i = 0; i < PARALLEL; i++)
        {
          g_autofree char *text = NULL;

          nb_test_wait_result (&results[i], 30000);
          text = nb_tool_execute_finish (tool, results[i], NULL);
          g_assert_true (g_str_has_prefix (text, "Results for: q"));
          g_object_unref (results[i]);
        }
      g_print ("round %u: %u parallel web_search calls in %.0f ms (server delay %d ms each)\n",
               round + 1, PARALLEL, (g_get_monotonic_time () - start) / 1000.0, DELAY_MS);
    }

  g_print ("requests served: %u\n", s.requests);
  g_print ("TCP connections accepted by the server: %u (limit %d)\n",
           g_hash_table_size (s.client_ports), PARALLEL);

  g_assert_cmpuint (s.requests, ==, ROUNDS * PARALLEL);
  g_assert_cmpuint (g_hash_table_size (s.client_ports), <=, PARALLEL);

  g_object_unref (tool);
  nb_http_shutdown ();
  g_object_unref (server);
  g_hash_table_unref (s.client_ports);
  return 0;
}
