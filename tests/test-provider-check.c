/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-fake-llm.h"
#include "nb-provider-check.h"
#include "nb-test-util.h"

/*
 * "Test connection" against the fake server: works (with the models),
 * key refused (401), unreachable (a closed port), not an LLM server (an
 * HTML page), and the key sent as the provider sends it.
 */

static NbProviderCheck
check (const char  *provider,
       const char  *base,
       const char  *key,
       GStrv       *models,
       char       **message)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_provider_check_async (provider, base, key, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  return nb_provider_check_finish (result, models, message);
}

static void
test_results (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autofree char *base = g_strdup_printf ("%s/v1", nb_fake_llm_get_url (fake));
  g_auto(GStrv) models = NULL;
  g_autofree char *message = NULL;
  const NbFakeRequest *request;

  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"object\":\"list\",\"data\":[{\"id\":\"model-a\"},{\"id\":\"model-b\"}]}");
  g_assert_cmpint (check ("custom", base, "sk-check", &models, &message), ==, NB_PROVIDER_CHECK_WORKS);
  g_assert_cmpstr (message, ==, "It works: 2 models available.");
  g_assert_cmpuint (g_strv_length (models), ==, 2);
  g_assert_cmpstr (models[0], ==, "model-a");
  request = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==, "Bearer sk-check");

  g_clear_pointer (&message, g_free);
  nb_fake_llm_queue_body (fake, 401, "application/json", "{\"error\":{\"message\":\"Incorrect API key\"}}");
  g_assert_cmpint (check ("custom", base, "sk-wrong", NULL, &message), ==, NB_PROVIDER_CHECK_KEY_REFUSED);
  g_assert_cmpstr (message, ==, "The key was refused.");

  g_clear_pointer (&message, g_free);
  nb_fake_llm_queue_body (fake, 200, "text/html", "<!doctype html><html><body>Router login</body></html>");
  g_assert_cmpint (check ("custom", base, "sk-check", NULL, &message), ==, NB_PROVIDER_CHECK_NOT_LLM);
  g_assert_nonnull (strstr (message, "not an LLM server"));

  /* Anthropic's wire format: its own path and key header. */
  g_clear_pointer (&message, g_free);
  nb_fake_llm_queue_body (fake, 200, "application/json", "{\"data\":[{\"id\":\"claude-x\"}]}");
  g_assert_cmpint (check ("anthropic", nb_fake_llm_get_url (fake), "sk-ant", NULL, &message), ==, NB_PROVIDER_CHECK_WORKS);
  request = nb_fake_llm_get_request (fake, 3);
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-api-key"), ==, "sk-ant");
}

static void
test_unreachable (void)
{
  g_autofree char *message = NULL;
  guint16 port;

  /* A port that was free a moment ago: nothing listens there. */
  {
    g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();

    port = nb_fake_llm_get_port (fake);
  }
  {
    g_autofree char *base = g_strdup_printf ("http://127.0.0.1:%u/v1", port);

    g_assert_cmpint (check ("custom", base, "sk", NULL, &message), ==, NB_PROVIDER_CHECK_UNREACHABLE);
    g_assert_cmpstr (message, ==, "Nothing answered at this address.");
  }
  /* A hosted provider without a key is not asked at all. */
  g_clear_pointer (&message, g_free);
  g_unsetenv ("OPENAI_API_KEY");
  g_assert_cmpint (check ("openai", NULL, NULL, NULL, &message), ==, NB_PROVIDER_CHECK_KEY_REFUSED);
  g_assert_cmpstr (message, ==, "Enter a key first.");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/provider-check/results", test_results);
  g_test_add_func ("/provider-check/unreachable", test_unreachable);

  return g_test_run ();
}
