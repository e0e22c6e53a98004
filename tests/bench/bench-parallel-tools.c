/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "nb-agent.h"
#include "nb-http.h"
#include "../nb-scripted-provider.h"
#include "../nb-test-util.h"
#include "nb-bench-table.h"

/*
 * B1: three tool calls that each wait 1 s on one loopback host. The tools
 * do a real HTTP GET through the shared SoupSession against a SoupServer
 * that answers after 1 s (a GLib timeout, the server never blocks). The
 * agent starts the three at once, so the tool phase takes about 1 s; the
 * Python nanobot's sequential loop takes 3 s. The same calls marked as
 * having side effects run one after the other, for comparison: that is
 * the redux design (one tool after another) reproduced here. Five runs of
 * each; the table line gives min / median.
 */

#define RUNS 5

#define NB_TYPE_HTTP_WAIT_TOOL (nb_http_wait_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbHttpWaitTool, nb_http_wait_tool, NB, HTTP_WAIT_TOOL, NbTool)

struct _NbHttpWaitTool
{
  NbTool  parent_instance;
  char   *url;
};

G_DEFINE_FINAL_TYPE (NbHttpWaitTool, nb_http_wait_tool, NB_TYPE_TOOL)

static void
get_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (body == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)), g_free);
}

static void
nb_http_wait_tool_execute_async (NbTool              *tool,
                                 JsonObject          *arguments,
                                 const NbToolContext *context,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  NbHttpWaitTool *self = NB_HTTP_WAIT_TOOL (tool);
  GTask *task = g_task_new (tool, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", self->url);

  soup_session_send_and_read_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT,
                                    cancellable, get_cb, task);
}

static void
nb_http_wait_tool_finalize (GObject *object)
{
  g_free (NB_HTTP_WAIT_TOOL (object)->url);
  G_OBJECT_CLASS (nb_http_wait_tool_parent_class)->finalize (object);
}

static void
nb_http_wait_tool_class_init (NbHttpWaitToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_http_wait_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_http_wait_tool_execute_async;
}

static void
nb_http_wait_tool_init (NbHttpWaitTool *self)
{
}

/* The server: every request is answered one second later. */

static gboolean
answer_cb (gpointer user_data)
{
  SoupServerMessage *message = user_data;

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "done", 4);
  soup_server_message_unpause (message);
  g_object_unref (message);
  return G_SOURCE_REMOVE;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  soup_server_message_pause (message);
  g_timeout_add (1000, answer_cb, g_object_ref (message));
}

typedef struct {
  gint64 first_start;
  gint64 last_end;
} Phase;

static void
started_cb (NbAgent    *agent,
            NbSession  *session,
            const char *id,
            const char *name,
            const char *arguments,
            Phase      *phase)
{
  if (phase->first_start == 0)
    phase->first_start = g_get_monotonic_time ();
}

static void
finished_cb (NbAgent    *agent,
             NbSession  *session,
             const char *id,
             const char *name,
             const char *result,
             Phase      *phase)
{
  g_assert_cmpstr (result, ==, "done");
  phase->last_end = g_get_monotonic_time ();
}

static double
run (const char *url,
     gboolean    side_effects)
{
  g_autoptr(NbScriptedProvider) provider = nb_scripted_provider_new ();
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbToolRegistry) tools = nb_tool_registry_new ();
  g_autoptr(NbAgent) agent = NULL;
  g_autoptr(NbSession) session = nb_session_new ("bench:parallel");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(JsonObject) schema = nb_tool_parse_schema ("{\"type\":\"object\",\"properties\":{}}");
  g_autoptr(NbHttpWaitTool) tool = g_object_new (NB_TYPE_HTTP_WAIT_TOOL,
                                                  "name", "wait_on_host",
                                                  "description", "Waits for the host",
                                                  "parameters", schema,
                                                  "side-effects", side_effects,
                                                  NULL);
  Phase phase = { 0 };

  tool->url = g_strdup (url);
  nb_tool_registry_add (tools, NB_TOOL (tool));
  agent = nb_agent_new (NB_PROVIDER (provider), config, tools, NULL);
  g_signal_connect (agent, "tool-call-started", G_CALLBACK (started_cb), &phase);
  g_signal_connect (agent, "tool-call-finished", G_CALLBACK (finished_cb), &phase);

  nb_scripted_provider_add_calls (provider, NULL,
                                  "c1", "wait_on_host", "{}",
                                  "c2", "wait_on_host", "{}",
                                  "c3", "wait_on_host", "{}",
                                  NULL);
  nb_scripted_provider_add_reply (provider, "ok");

  nb_agent_run_async (agent, session, "wait three times", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (agent, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "ok");

  return (phase.last_end - phase.first_start) / 1e6;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *url = NULL;
  double parallel, sequential;

  soup_server_add_handler (server, NULL, handler_cb, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_uri_to_string (uris->data);

  {
    double p[RUNS], q[RUNS], p_min, p_med, q_min, q_med;
    g_autofree char *ratio = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    for (guint i = 0; i < RUNS; i++)
      {
        p[i] = run (url, FALSE);
        q[i] = run (url, TRUE);
      }
    nb_bench_min_median (p, RUNS, &p_min, &p_med);
    nb_bench_min_median (q, RUNS, &q_min, &q_med);
    parallel = p_min;
    sequential = q_min;
    g_print ("bench-parallel-tools: 3 tool calls each waiting 1 s on one loopback host, %d runs\n", RUNS);
    g_print ("  read-only (started at once):         tool phase min %.3f s, median %.3f s wall (target <= 1.2 s)\n",
             p_min, p_med);
    g_print ("  one after another (the Python loop):  tool phase min %.3f s, median %.3f s wall\n", q_min, q_med);
    a = g_strdup_printf ("%.2f / %.2f s", p_min, p_med);
    b = g_strdup_printf ("%.2f / %.2f s", q_min, q_med);
    ratio = nb_bench_ratio (p_med, q_med);
    nb_bench_table_row ("B1", "3 tool calls of 1 s each: tool phase, wall min / median of 5", a, b, ratio);
  }

  nb_http_shutdown ();
  return parallel <= 1.2 && sequential >= 2.9 ? 0 : 1;
}
