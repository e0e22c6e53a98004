/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <gio/gunixsocketaddress.h>

#include "nb-anthropic-provider.h"
#include "nb-fake-llm.h"
#include "nb-http-provider.h"
#include "nb-ollama-provider.h"
#include "nb-openai-provider.h"
#include "nb-provider-registry.h"
#include "nb-test-util.h"

static void
clear_environment (void)
{
  const NbProviderSpec *specs;
  guint n;

  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_unsetenv (specs[i].env_key);
}

static NbProvider *
resolve (NbConfig   *config,
         const char *model)
{
  g_autoptr(GError) error = NULL;
  NbProvider *provider = nb_provider_registry_resolve (config, model, &error);

  g_assert_no_error (error);
  g_assert_nonnull (provider);
  return provider;
}

static char *
get_string_property (gpointer    object,
                     const char *name)
{
  char *value = NULL;

  g_object_get (object, name, &value, NULL);
  return value;
}

static void
test_nothing_configured (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;

  clear_environment ();
  provider = resolve (config, NULL);
  g_assert_true (NB_IS_OLLAMA_PROVIDER (provider));
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "ollama");
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "http://localhost:11434");
  g_assert_null (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)));
}

static void
test_prefix_and_keywords (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autofree char *prefix = NULL;

  clear_environment ();
  nb_config_set_string (config, "providers.anthropic.apiKey", "sk-ant");
  nb_config_set_string (config, "providers.deepseek.apiKey", "sk-ds");
  nb_config_set_string (config, "providers.openrouter.apiKey", "sk-or-1");

  /* The default model, by prefix. */
  provider = resolve (config, "anthropic/claude-opus-4-5");
  g_assert_true (NB_IS_ANTHROPIC_PROVIDER (provider));
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "https://api.anthropic.com");
  g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "sk-ant");
  prefix = get_string_property (provider, "model-prefix");
  g_assert_cmpstr (prefix, ==, "anthropic/");
  g_clear_object (&provider);

  /* An apiBase written with Anthropic's /v1 still works. */
  nb_config_set_string (config, "providers.anthropic.apiBase", "https://proxy.example/anthropic/v1");
  provider = resolve (config, "anthropic/claude-opus-4-5");
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "https://proxy.example/anthropic");
  g_clear_object (&provider);

  /* By keyword. */
  provider = resolve (config, "claude-sonnet-4-5");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "anthropic");
  g_clear_object (&provider);
  provider = resolve (config, "deepseek-chat");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "deepseek");
  g_assert_true (NB_IS_OPENAI_PROVIDER (provider));
  g_clear_object (&provider);

  /* A gateway's name as prefix. */
  provider = resolve (config, "openrouter/auto");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "openrouter");
  g_clear_pointer (&prefix, g_free);
  prefix = get_string_property (provider, "model-prefix");
  g_assert_null (prefix);
  g_clear_object (&provider);

  /* A keyword whose provider has no key: the first provider with a key,
   * gateways first. */
  provider = resolve (config, "gpt-4o");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "openrouter");
  g_clear_object (&provider);

  /* The default model from the config when none is given. */
  nb_config_set_string (config, "agents.defaults.model", "deepseek/deepseek-reasoner");
  provider = resolve (config, NULL);
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "deepseek");
}

static void
test_first_with_key_and_env (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;

  clear_environment ();
  g_setenv ("GROQ_API_KEY", "gsk-env", TRUE);
  provider = resolve (config, "llama-3.3-70b");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "groq");
  g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "gsk-env");
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "https://api.groq.com/openai/v1");
  g_clear_object (&provider);

  /* An empty config key does not hide the environment's. */
  g_setenv ("MISTRAL_API_KEY", "ms-env", TRUE);
  nb_config_set_string (config, "providers.mistral.apiKey", "");
  provider = resolve (config, "mistral-large-latest");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "mistral");
  g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "ms-env");
  clear_environment ();
}

static void
test_forced (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  clear_environment ();
  nb_config_set_string (config, "providers.anthropic.apiKey", "sk-ant");
  nb_config_set_string (config, "agents.defaults.provider", "openai");
  /* Forced, hosted and without any key: nothing to send a request with. */
  provider = nb_provider_registry_resolve (config, "claude-opus-4-5", &error);
  g_assert_null (provider);
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "no provider configured: openai needs an API key"));
  g_assert_nonnull (strstr (error->message, "providers.openai.apiKey"));
  g_assert_nonnull (strstr (error->message, "OPENAI_API_KEY"));
  g_clear_error (&error);
  /* A server at an address of the user's own may need no key. */
  nb_config_set_string (config, "providers.openai.apiBase", "http://127.0.0.1:1/v1");
  provider = resolve (config, "claude-opus-4-5");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "openai");
  g_assert_null (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)));
  g_clear_object (&provider);

  nb_config_set_string (config, "agents.defaults.provider", "nosuch");
  provider = nb_provider_registry_resolve (config, "x", &error);
  g_assert_null (provider);
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "nosuch"));
  g_assert_nonnull (strstr (error->message, "agents.defaults.provider"));
  g_assert_nonnull (strstr (error->message, "config.json"));
  g_assert_nonnull (strstr (error->message, "ollama"));
  g_clear_error (&error);

  /* custom needs an address. */
  nb_config_set_string (config, "agents.defaults.provider", "custom");
  provider = nb_provider_registry_resolve (config, "x", &error);
  g_assert_null (provider);
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "providers.custom.apiBase"));
}

static void
test_local_servers (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;

  clear_environment ();
  nb_config_set_string (config, "providers.openai.apiKey", "sk-oa");
  nb_config_set_string (config, "providers.ollama.apiBase", "http://gpu-box:11434/v1/");

  /* A model without a keyword goes to the configured local server. */
  provider = resolve (config, "llama3.2");
  g_assert_true (NB_IS_OLLAMA_PROVIDER (provider));
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "http://gpu-box:11434");
  g_clear_object (&provider);
  provider = resolve (config, "ollama/qwen3");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "ollama");
  g_clear_object (&provider);
  provider = resolve (config, "gpt-4.1");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "openai");
  g_clear_object (&provider);

  /* custom with an address and no key counts as configured. */
  g_clear_object (&config);
  config = nb_config_new ();
  nb_config_set_string (config, "providers.custom.apiBase", "http://127.0.0.1:8080/v1");
  provider = resolve (config, "some-model");
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "custom");
  g_assert_cmpstr (nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)), ==, "http://127.0.0.1:8080/v1");
}

static void
test_key_precedence (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(GHashTable) keyring = g_hash_table_new (g_str_hash, g_str_equal);
  const NbProviderSpec *spec = nb_provider_registry_find ("openai");
  g_autofree char *key = NULL;
  g_autoptr(NbProvider) provider = NULL;
  const char *source = NULL;

  clear_environment ();
  key = nb_provider_registry_dup_key (config, spec, keyring, &source);
  g_assert_null (key);
  g_assert_null (source);

  g_setenv ("OPENAI_API_KEY", "from-env", TRUE);
  key = nb_provider_registry_dup_key (config, spec, keyring, &source);
  g_assert_cmpstr (key, ==, "from-env");
  g_assert_cmpstr (source, ==, "environment");
  g_clear_pointer (&key, g_free);

  g_hash_table_insert (keyring, (char *) "openai", (char *) "from-keyring");
  key = nb_provider_registry_dup_key (config, spec, keyring, &source);
  g_assert_cmpstr (key, ==, "from-keyring");
  g_assert_cmpstr (source, ==, "keyring");
  g_clear_pointer (&key, g_free);

  nb_config_set_string (config, "providers.openai.apiKey", "from-config");
  key = nb_provider_registry_dup_key (config, spec, keyring, &source);
  g_assert_cmpstr (key, ==, "from-config");
  g_assert_cmpstr (source, ==, "config");

  /* A keyring key makes a provider count as configured. */
  g_hash_table_insert (keyring, (char *) "moonshot", (char *) "mk");
  provider = nb_provider_registry_resolve_with_keys (config, "kimi-k2", keyring, NULL);
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "moonshot");
  g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "mk");
  clear_environment ();
}

/* apiBase, the key and extraHeaders reach the wire. */
static void
test_config_on_the_wire (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(NbChatRequest) request = nb_chat_request_new ("deepseek/deepseek-chat");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(JsonObject) message = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = nb_fake_llm_openai_text_stream ("ok");
  g_autofree char *base = g_strconcat (nb_fake_llm_get_url (fake), "/", NULL);
  GAsyncResult *result = NULL;
  const NbFakeRequest *sent;

  clear_environment ();
  g_setenv ("DEEPSEEK_API_KEY", "ds-env", TRUE);
  nb_config_set_string (config, "providers.deepseek.apiBase", base);
  nb_config_set_string (config, "providers.deepseek.extraHeaders.X-Custom", "yes");
  provider = resolve (config, "deepseek/deepseek-chat");

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", "hi");
  nb_chat_request_add_message (request, message);
  nb_fake_llm_queue_body (fake, 200, "text/event-stream", body);
  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (provider, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "ok");

  sent = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (sent->path, ==, "/chat/completions");
  g_assert_cmpstr (soup_message_headers_get_one (sent->headers, "Authorization"), ==, "Bearer ds-env");
  g_assert_cmpstr (soup_message_headers_get_one (sent->headers, "X-Custom"), ==, "yes");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fake, 0), "model"), ==, "deepseek-chat");
  g_assert_true (json_object_has_member (nb_fake_llm_get_request_object (fake, 0), "stream_options"));
  g_clear_object (&provider);
  g_clear_pointer (&response, nb_chat_response_free);

  /* Mistral refuses stream_options (HTTP 422) and sends usage anyway. */
  g_setenv ("MISTRAL_API_KEY", "ms-env", TRUE);
  nb_config_set_string (config, "providers.mistral.apiBase", base);
  provider = resolve (config, "mistral-large-latest");
  g_free (request->model);
  request->model = g_strdup ("mistral-large-latest");
  nb_fake_llm_queue_body (fake, 200, "text/event-stream", body);
  result = NULL;
  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (provider, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fake, 1), "model"), ==, "mistral-large-latest");
  g_assert_false (json_object_has_member (nb_fake_llm_get_request_object (fake, 1), "stream_options"));
  g_assert_cmpint (response->usage.output_tokens, ==, 5);
  clear_environment ();
}

/* With the session bus pointing at a dead socket, the keyring lookup
 * fails and resolving goes on with the environment's key. */
static void
test_keyring_unreachable (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  gint64 start;

  clear_environment ();
  g_setenv ("ANTHROPIC_API_KEY", "env-key", TRUE);
  start = g_get_monotonic_time ();
  nb_provider_registry_resolve_async (config, "anthropic/claude-opus-4-5", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  provider = nb_provider_registry_resolve_finish (result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpstr (nb_provider_get_name (provider), ==, "anthropic");
  g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "env-key");
  /* A functional bound, not a benchmark: it must not wait for the bus. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  clear_environment ();
}

/* Without a reachable keyring, storing a key fails with an error, quickly. */
static void
test_store_key_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  nb_provider_registry_store_key_async ("openai", "sk-x", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_false (nb_provider_registry_store_key_finish (result, &error));
  g_assert_nonnull (error);
  g_clear_object (&result);
  g_clear_error (&error);

  nb_provider_registry_store_key_async ("nosuch", "sk-x", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_false (nb_provider_registry_store_key_finish (result, &error));
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_clear_object (&result);
}

static gboolean
accept_and_ignore_cb (GSocketService     *service,
                      GSocketConnection  *connection,
                      GObject            *source_object,
                      gpointer            user_data)
{
  GPtrArray *held = user_data;

  /* Keep the connection open and never answer the D-Bus handshake. */
  g_ptr_array_add (held, g_object_ref (connection));
  return TRUE;
}

/* A bus that accepts and then says nothing: the lookup gives up after a
 * second. Run in a subprocess so that the stuck D-Bus handshake cannot
 * touch the other tests. */
static void
test_keyring_silent (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = nb_test_make_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "bus", NULL);
      g_autofree char *address = g_strconcat ("unix:path=", path, NULL);
      g_autoptr(GSocketService) service = g_socket_service_new ();
      g_autoptr(GSocketAddress) socket_address = g_unix_socket_address_new (path);
      g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(NbConfig) config = nb_config_new ();
      g_autoptr(NbProvider) provider = NULL;
      g_autoptr(GError) error = NULL;
      GAsyncResult *result = NULL;
      gint64 start;

      g_socket_listener_add_address (G_SOCKET_LISTENER (service), socket_address, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
      g_assert_no_error (error);
      g_signal_connect (service, "incoming", G_CALLBACK (accept_and_ignore_cb), held);
      g_socket_service_start (service);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

      clear_environment ();
      g_setenv ("OPENAI_API_KEY", "env-key", TRUE);
      start = g_get_monotonic_time ();
      nb_provider_registry_resolve_async (config, "gpt-4o", NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 10000);
      provider = nb_provider_registry_resolve_finish (result, &error);
      g_object_unref (result);
      g_assert_no_error (error);
      g_assert_cmpstr (nb_http_provider_get_api_key (NB_HTTP_PROVIDER (provider)), ==, "env-key");
      g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
      g_print ("resolved\n");
      nb_test_rm_rf (dir);
      /* The D-Bus worker is still stuck in its handshake: leave at once. */
      _exit (0);
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*resolved*");
}


/* Ollama taken because nothing else is configured gets the default model,
 * which is another provider's ("anthropic/claude-opus-4-5"): it asks the
 * server what it has and uses that; with nothing pulled, it says so. */
static void
test_ollama_default_model (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(NbChatRequest) request = NULL;
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(JsonObject) message = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = nb_fake_llm_ollama_text_stream ("ok");
  GAsyncResult *result = NULL;
  const NbFakeRequest *sent;

  clear_environment ();
  nb_config_set_string (config, "providers.ollama.apiBase", nb_fake_llm_get_url (fake));
  request = nb_chat_request_new (nb_config_get_string (config, "agents.defaults.model"));
  g_assert_cmpstr (request->model, ==, "anthropic/claude-opus-4-5");

  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\"},"
                          "{\"name\":\"qwen3:8b\"}]}");
  nb_provider_registry_resolve_async (config, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  provider = nb_provider_registry_resolve_finish (result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_true (NB_IS_OLLAMA_PROVIDER (provider));
  g_assert_cmpstr (nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (provider)), ==, "llama3.2:latest");
  sent = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (sent->method, ==, "GET");
  g_assert_cmpstr (sent->path, ==, "/api/tags");

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", "hi");
  nb_chat_request_add_message (request, message);
  nb_fake_llm_queue_body (fake, 200, "application/x-ndjson", body);
  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (provider, result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "ok");
  g_assert_cmpstr (nb_fake_llm_get_request (fake, 1)->path, ==, "/api/chat");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fake, 1), "model"), ==, "llama3.2:latest");
  g_clear_object (&provider);

  /* A model the user chose is left alone. */
  nb_provider_registry_resolve_async (config, "qwen3:8b", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  provider = nb_provider_registry_resolve_finish (result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_null (nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (provider)));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fake), ==, 2);
  g_clear_object (&provider);

  /* A model the server has is used as it is, even named like another
   * provider's. */
  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"models\":[{\"name\":\"llama3.2:latest\"},{\"name\":\"mistral/small:latest\"}]}");
  nb_provider_registry_resolve_async (config, "mistral/small", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  provider = nb_provider_registry_resolve_finish (result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_true (NB_IS_OLLAMA_PROVIDER (provider));
  g_assert_null (nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (provider)));
  g_assert_cmpstr (nb_fake_llm_get_request (fake, 2)->path, ==, "/api/tags");
  g_clear_object (&provider);

  /* Nothing pulled yet. */
  nb_fake_llm_queue_body (fake, 200, "application/json", "{\"models\":[]}");
  nb_provider_registry_resolve_async (config, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  provider = nb_provider_registry_resolve_finish (result, &error);
  g_clear_object (&result);
  g_assert_null (provider);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "ollama pull"));
  g_assert_nonnull (strstr (error->message, "agents.defaults.model"));
}

int
main (int   argc,
      char *argv[])
{
  /* Never the user's keyring or bus. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/registry/nothing-configured", test_nothing_configured);
  g_test_add_func ("/registry/prefix-and-keywords", test_prefix_and_keywords);
  g_test_add_func ("/registry/first-with-key-and-env", test_first_with_key_and_env);
  g_test_add_func ("/registry/forced", test_forced);
  g_test_add_func ("/registry/local-servers", test_local_servers);
  g_test_add_func ("/registry/key-precedence", test_key_precedence);
  g_test_add_func ("/registry/config-on-the-wire", test_config_on_the_wire);
  g_test_add_func ("/registry/keyring-unreachable", test_keyring_unreachable);
  g_test_add_func ("/registry/ollama-default-model", test_ollama_default_model);
  g_test_add_func ("/registry/keyring-silent", test_keyring_silent);
  g_test_add_func ("/registry/store-key-unreachable", test_store_key_unreachable);

  return g_test_run ();
}
