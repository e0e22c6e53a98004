/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-fake-llm.h"
#include "nb-http.h"
#include "nb-http-provider.h"
#include "nb-openai-provider.h"
#include "nb-test-util.h"

#define CALLS 500

/*
 * The per-request cost of a chat call on loopback. The fake server runs in
 * this process, so its time is inside every round trip; the same request
 * and reply sent as a bare SoupSession POST over the same keep-alive
 * connection measures server plus HTTP time, and the difference is what
 * the provider adds (building the body, headers, streaming, parsing).
 */

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
  return 0;
}
