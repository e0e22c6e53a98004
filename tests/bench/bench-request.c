/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-fake-llm.h"
#include "nb-http.h"
#include "nb-http-provider.h"
#include "nb-openai-provider.h"
#include "nb-test-util.h"
#include "nb-anthropic-provider.h"
#include "nb-builtin-tools.h"
#include "nb-tool-registry.h"
#include "nb-bench-table.h"

#define CALLS 500

/*
 * The per-request cost of a chat call on loopback. The fake server runs in
 * this process, so its time is inside every round trip; the same request
 * and reply sent as a bare SoupSession POST over the same keep-alive
 * connection measures server plus HTTP time, and the difference is what
 * the provider adds (building the body, headers, streaming, parsing).
 *
 * For the table:
 *  - B4: the same bare POST through a new SoupSession per request (the
 *    redux design: an httpx.AsyncClient per call): TCP connections opened
 *    and time per request (min / median of 5 rounds; loopback, no TLS, so
 *    the real saving of a handshake per request is larger);
 *  - P1: a conversation of 20 calls to the Anthropic provider (the
 *    built-in tools, a system prompt, a growing history): the cache
 *    breakpoints in each request, and the input the calls are billed for
 *    at Anthropic's prices (cache writes 1.25×, cache reads 0.1× of the
 *    base price) with Nanobot's breakpoints and without any (the redux
 *    design), in request bytes.
 */

#define TABLE_CALLS  50
#define P1_CALLS     20

static NbChatRequest *
make_request (void)
{
  NbChatRequest *request = nb_chat_request_new ("gpt-4o");
  g_autoptr(JsonObject) system = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();

  json_object_set_string_member (system, "role", "system");
  json_object_set_string_member (system, "content", "You are a helpful assistant running a benchmark.");
  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", "Say something short.");
  nb_chat_request_add_message (request, system);
  nb_chat_request_add_message (request, user);
  return request;
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes G_GNUC_UNUSED = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);

  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static double
bench_raw (NbFakeLlm  *fake,
           const char *reply,
           const char *request_body)
{
  g_autofree char *url = g_strconcat (nb_fake_llm_get_url (fake), "/chat/completions", NULL);
  gint64 start = 0;

  for (guint i = 0; i <= CALLS; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, url);
      g_autoptr(GBytes) body = g_bytes_new_static (request_body, strlen (request_body));
      gboolean done = FALSE;

      if (i == 1)
        start = g_get_monotonic_time ();   /* the first call opens the connection */
      nb_fake_llm_queue_body (fake, 200, "text/event-stream", reply);
      soup_message_add_flags (message, SOUP_MESSAGE_IDEMPOTENT);
      soup_message_set_request_body_from_bytes (message, "application/json", body);
      soup_session_send_and_read_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, NULL, send_cb, &done);
      nb_test_wait_for (&done, 10000);
    }
  return (g_get_monotonic_time () - start) / (double) CALLS;
}

static double
bench_provider (NbFakeLlm  *fake,
                NbProvider *provider,
                const char *reply)
{
  g_autoptr(NbChatRequest) request = make_request ();
  gint64 start = 0;

  for (guint i = 0; i <= CALLS; i++)
    {
      GAsyncResult *result = NULL;
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      if (i == 1)
        start = g_get_monotonic_time ();
      nb_fake_llm_queue_body (fake, 200, "text/event-stream", reply);
      nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 10000);
      response = nb_provider_chat_finish (provider, result, &error);
      g_object_unref (result);
      g_assert_no_error (error);
    }
  return (g_get_monotonic_time () - start) / (double) CALLS;
}

/* Like bench_raw(), with a new client per request; returns µs per request
 * and the connections opened. */
static double
bench_fresh_client (NbFakeLlm  *fake,
                    const char *reply,
                    const char *request_body,
                    guint      *connections)
{
  g_autofree char *url = g_strconcat (nb_fake_llm_get_url (fake), "/chat/completions", NULL);
  guint before = nb_fake_llm_get_n_connections (fake);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < TABLE_CALLS; i++)
    {
      g_autoptr(SoupSession) session = soup_session_new ();
      g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, url);
      g_autoptr(GBytes) body = g_bytes_new_static (request_body, strlen (request_body));
      gboolean done = FALSE;

      nb_fake_llm_queue_body (fake, 200, "text/event-stream", reply);
      soup_message_set_request_body_from_bytes (message, "application/json", body);
      soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, send_cb, &done);
      nb_test_wait_for (&done, 10000);
      soup_session_abort (session);
    }
  *connections = nb_fake_llm_get_n_connections (fake) - before;
  return (g_get_monotonic_time () - start) / (double) TABLE_CALLS;
}

static void
table_b4 (NbFakeLlm  *fake,
          const char *reply,
          const char *request_body)
{
  double shared[5], fresh[5], s_min, s_med, f_min, f_med;
  guint shared_connections, fresh_connections = 0, n_shared;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *ratio = NULL;

  for (guint round = 0; round < 5; round++)
    {
      shared[round] = bench_raw (fake, reply, request_body);
      fresh[round] = bench_fresh_client (fake, reply, request_body, &fresh_connections);
    }
  /* Every shared-session request of this program, the warm-up's too. */
  shared_connections = nb_fake_llm_get_n_connections (fake) - 5 * fresh_connections;
  nb_bench_min_median (shared, 5, &s_min, &s_med);
  nb_bench_min_median (fresh, 5, &f_min, &f_med);
  g_print ("a client per request (the redux way): %.1f us per request, %u connections for %d requests\n",
           f_med, fresh_connections, TABLE_CALLS);

  n_shared = nb_fake_llm_get_n_requests (fake) - 5 * TABLE_CALLS;
  a = g_strdup_printf ("%u for all %u requests", shared_connections, n_shared);
  b = g_strdup_printf ("%u for %d requests", 5 * fresh_connections, 5 * TABLE_CALLS);
  ratio = nb_bench_ratio ((double) shared_connections / n_shared,
                          (double) fresh_connections / TABLE_CALLS);
  nb_bench_table_row ("B4", "loopback chat requests: TCP connections opened (ratio per request)", a, b, ratio);
  g_clear_pointer (&a, g_free);
  g_clear_pointer (&b, g_free);
  g_clear_pointer (&ratio, g_free);
  a = g_strdup_printf ("%.0f / %.0f µs", s_min, s_med);
  b = g_strdup_printf ("%.0f / %.0f µs", f_min, f_med);
  ratio = nb_bench_ratio (s_med, f_med);
  nb_bench_table_row ("B4", "one loopback request (no TLS): time, min / median of 5 rounds", a, b, ratio);
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (haystack, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

static JsonObject *
make_message (const char *role,
              const char *text)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  json_object_set_string_member (message, "content", text);
  return message;
}

static void
table_p1 (NbFakeLlm *fake)
{
  g_autoptr(NbProvider) provider = nb_anthropic_provider_new ("anthropic", nb_fake_llm_get_url (fake), "sk-bench");
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(GPtrArray) tools = nb_builtin_tools_new (config);
  g_autoptr(NbToolRegistry) registry = nb_tool_registry_new ();
  g_autoptr(NbChatRequest) request = nb_chat_request_new ("claude-opus-4-5");
  g_autofree char *reply = nb_fake_llm_anthropic_text_stream ("An answer of a sentence or two, as replies in a long chat are.");
  g_autoptr(GString) system = g_string_new ("You are nanobot, a helpful assistant.\n");
  double billed_cached = 0, billed_plain = 0;
  gsize previous = 0;
  guint first = nb_fake_llm_get_n_requests (fake);
  guint min_breakpoints = G_MAXUINT;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *ratio = NULL;

  for (guint i = 0; i < tools->len; i++)
    nb_tool_registry_add (registry, tools->pdata[i]);
  request->tools = json_array_ref (nb_tool_registry_get_definitions (registry));
  for (guint i = 0; i < 60; i++)
    g_string_append (system, "A line of the workspace's AGENTS.md, SOUL.md and skills summary for the model.\n");
  g_ptr_array_add (request->messages, make_message ("system", system->str));

  for (guint call = 0; call < P1_CALLS; call++)
    {
      g_autofree char *question = g_strdup_printf ("Question %u: what does the file number %u of the project do, "
                                                   "and how would you change it?", call, call);
      GAsyncResult *result = NULL;
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      const NbFakeRequest *sent;
      gsize size;

      g_ptr_array_add (request->messages, make_message ("user", question));
      nb_fake_llm_queue_body (fake, 200, "text/event-stream", reply);
      nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 10000);
      response = nb_provider_chat_finish (provider, result, &error);
      g_object_unref (result);
      g_assert_no_error (error);
      g_ptr_array_add (request->messages, make_message ("assistant", "An answer of a sentence or two, as replies in a long chat are."));

      sent = nb_fake_llm_get_request (fake, first + call);
      size = sent->body_length;
      min_breakpoints = MIN (min_breakpoints, count (sent->body, "\"cache_control\""));
      /* The previous call's prompt is this one's prefix, cached up to its
       * last breakpoint (the end of its newest message). */
      billed_cached += 0.1 * previous + 1.25 * (size - previous);
      billed_plain += size;
      previous = size;
    }
  g_print ("prompt caching: %u calls, at least %u breakpoints per request; billed input %.0f KB with them, "
           "%.0f KB without\n", P1_CALLS, min_breakpoints, billed_cached / 1024, billed_plain / 1024);
  a = g_strdup_printf ("%.0f KB (%u breakpoints)", billed_cached / 1024, min_breakpoints);
  b = g_strdup_printf ("%.0f KB (none)", billed_plain / 1024);
  ratio = nb_bench_ratio (billed_cached, billed_plain);
  nb_bench_table_row ("P1", "20-call Anthropic conversation: input billed, in request bytes at cache prices", a, b, ratio);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbProvider) provider = nb_openai_provider_new ("openai", nb_fake_llm_get_url (fake), "sk-bench");
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Short answer from the benchmark server.");
  double raw, full;

  raw = bench_provider (fake, provider, reply);   /* warm up both paths */
  raw = bench_raw (fake, reply, nb_fake_llm_get_request (fake, 0)->body);
  full = bench_provider (fake, provider, reply);

  g_print ("chat call on loopback:          %.1f us per request (%d calls)\n", full, CALLS);
  g_print ("bare SoupSession POST + server: %.1f us per request\n", raw);
  g_print ("provider overhead:              %.1f us per request\n", full - raw);
  g_print ("TCP connections used:           %u\n", nb_fake_llm_get_n_connections (fake));

  table_b4 (fake, reply, nb_fake_llm_get_request (fake, 0)->body);
  table_p1 (fake);
  return 0;
}
