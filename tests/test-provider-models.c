/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-anthropic-provider.h"
#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-json-util.h"
#include "nb-ollama-provider.h"
#include "nb-openai-provider.h"
#include "nb-scripted-provider.h"
#include "nb-test-util.h"

/*
 * Listing a provider's models against the fake server in each wire
 * format (what was asked for, with which headers; HTTP errors, malformed
 * JSON), the assistant's cache of the list, the per-conversation model
 * (stored in the metadata, used by the next turn, there after a restart),
 * the last turn's usage and context windows.
 */

static GStrv
list_models (NbProvider  *provider,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_provider_list_models_async (provider, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  return nb_provider_list_models_finish (provider, result, error);
}

static void
test_openai (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autofree char *base = g_strconcat (nb_fake_llm_get_url (fake), "/v1/", NULL);
  g_autoptr(NbProvider) provider = nb_openai_provider_new ("openai", base, "sk-test");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  const NbFakeRequest *request;

  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\"},"
                          "{\"id\":\"gpt-4o-mini\"},{\"object\":\"model\"},{\"id\":42},{\"id\":\"o3\"}]}");
  models = list_models (provider, &error);
  g_assert_no_error (error);
  g_assert_nonnull (models);
  g_assert_cmpuint (g_strv_length (models), ==, 3);
  g_assert_cmpstr (models[0], ==, "gpt-4o");
  g_assert_cmpstr (models[1], ==, "gpt-4o-mini");
  g_assert_cmpstr (models[2], ==, "o3");

  request = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==, "Bearer sk-test");
}

static void
test_anthropic (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbProvider) provider = nb_anthropic_provider_new ("anthropic", nb_fake_llm_get_url (fake), "sk-ant");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  const NbFakeRequest *request;

  nb_http_provider_set_extra_header (NB_HTTP_PROVIDER (provider), "X-Extra", "yes");
  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4-5\",\"display_name\":\"Claude Sonnet 4.5\"},"
                          "{\"type\":\"model\",\"id\":\"claude-opus-4-1\"}],\"has_more\":false}");
  models = list_models (provider, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (models), ==, 2);
  g_assert_cmpstr (models[0], ==, "claude-sonnet-4-5");
  g_assert_cmpstr (models[1], ==, "claude-opus-4-1");

  request = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-api-key"), ==, "sk-ant");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Extra"), ==, "yes");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
}

static void
test_ollama (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbProvider) provider = nb_ollama_provider_new ("ollama", nb_fake_llm_get_url (fake), NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  const NbFakeRequest *request;

  nb_fake_llm_queue_body (fake, 200, "application/json",
                          "{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\",\"size\":2019393189},"
                          "{\"name\":\"qwen2.5-coder:7b\"}]}");
  models = list_models (provider, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (models), ==, 2);
  g_assert_cmpstr (models[0], ==, "llama3.2:latest");
  g_assert_cmpstr (models[1], ==, "qwen2.5-coder:7b");

  request = nb_fake_llm_get_request (fake, 0);
  g_assert_cmpstr (request->path, ==, "/api/tags");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));

  /* No models is an answer, not an error. */
  nb_fake_llm_queue_body (fake, 200, "application/json", "{\"models\":[]}");
  g_clear_pointer (&models, g_strfreev);
  models = list_models (provider, &error);
  g_assert_no_error (error);
  g_assert_nonnull (models);
  g_assert_cmpuint (g_strv_length (models), ==, 0);
}

static void
test_errors (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbProvider) provider = nb_openai_provider_new ("openai", nb_fake_llm_get_url (fake), "sk-wrong");
  g_autoptr(NbProvider) scripted = NB_PROVIDER (nb_scripted_provider_new ());
  g_autoptr(NbProvider) nowhere = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autofree char *closed = NULL;
  struct {
    guint       status;
    const char *body;
    int         code;
    const char *says;
  } cases[] = {
    { 401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}", NB_PROVIDER_ERROR_AUTH, "Incorrect API key provided" },
    { 500, "{\"error\":{\"message\":\"upstream exploded\"}}", NB_PROVIDER_ERROR_SERVER, "upstream exploded" },
    { 404, "<html>no</html>", NB_PROVIDER_ERROR_BAD_REQUEST, "404" },
    { 200, "{\"data\":[{\"id\":\"gpt-4o\"},", NB_PROVIDER_ERROR_PROTOCOL, "not JSON" },
    { 200, "<!DOCTYPE html><html></html>", NB_PROVIDER_ERROR_PROTOCOL, "not JSON" },
    { 200, "{\"models\":[]}", NB_PROVIDER_ERROR_PROTOCOL, "“data”" },
    { 200, "[1,2,3]", NB_PROVIDER_ERROR_PROTOCOL, "not JSON" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      nb_fake_llm_queue_body (fake, cases[i].status,
                              cases[i].body[0] == '<' ? "text/html" : "application/json", cases[i].body);
      models = list_models (provider, &error);
      g_assert_null (models);
      g_assert_error (error, NB_PROVIDER_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].says) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].says);
      g_clear_error (&error);
    }
  /* Not retried: one request per call. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fake), ==, G_N_ELEMENTS (cases));

  /* Nothing listening. */
  {
    g_autoptr(NbFakeLlm) gone = nb_fake_llm_new ();

    closed = g_strdup (nb_fake_llm_get_url (gone));
  }
  nowhere = nb_openai_provider_new ("openai", closed, "sk");
  models = list_models (nowhere, &error);
  g_assert_null (models);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT);
  g_clear_error (&error);

  /* A provider that cannot list. */
  models = list_models (scripted, &error);
  g_assert_null (models);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_context_window (void)
{
  g_autoptr(NbProvider) ollama = nb_ollama_provider_new ("ollama", "http://127.0.0.1:1", NULL);
  g_autoptr(NbProvider) openai = nb_openai_provider_new ("openai", "http://127.0.0.1:1", NULL);

  g_assert_cmpint (nb_provider_get_context_window (NULL, "claude-sonnet-4-5"), ==, 200000);
  g_assert_cmpint (nb_provider_get_context_window (NULL, "anthropic/claude-opus-4-1"), ==, 200000);
  g_assert_cmpint (nb_provider_get_context_window (openai, "gpt-4o-mini"), ==, 128000);
  g_assert_cmpint (nb_provider_get_context_window (openai, "gpt-4.1"), ==, 1047576);
  g_assert_cmpint (nb_provider_get_context_window (openai, "gpt-4"), ==, 8192);
  g_assert_cmpint (nb_provider_get_context_window (NULL, "openrouter/google/gemini-2.5-pro"), ==, 1048576);
  g_assert_cmpint (nb_provider_get_context_window (NULL, "something-new"), ==, NB_PROVIDER_DEFAULT_CONTEXT_WINDOW);
  g_assert_cmpint (nb_provider_get_context_window (NULL, NULL), ==, NB_PROVIDER_DEFAULT_CONTEXT_WINDOW);
  g_assert_cmpint (nb_provider_get_context_window (ollama, "llama3.2"), ==, NB_PROVIDER_OLLAMA_CONTEXT_WINDOW);
}

/* The assistant */

typedef struct {
  char        *dir;
  char        *sessions;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
} Fixture;

static void
gone_cb (gpointer  data,
         GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
  /* The last reference may go in a worker thread (a GTask's), while
   * the main thread sleeps in poll(): wake it to see the flag. */
  g_main_context_wakeup (NULL);
}

static void
make_assistant (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
}

static void
close_assistant (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean gone = FALSE;

  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  /* The result holds the assistant. */
  g_clear_object (&result);
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_clear_object (&f->assistant);
  nb_test_wait_for (&gone, 30000);
  g_clear_object (&f->config);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *workspace = NULL;
  g_autofree char *text = NULL;

  f->dir = nb_test_make_tmpdir ();
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"memoryWindow\":1000,"
                          "\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, text);
  make_assistant (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_assistant (f);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sessions);
  g_free (f->config_path);
}

static void
assistant_models_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GPtrArray *answers = user_data;
  g_autoptr(GError) error = NULL;
  GStrv models = nb_assistant_list_models_finish (NB_ASSISTANT (object), result, &error);

  g_assert_no_error (error);
  g_ptr_array_add (answers, models);
}

static void
test_assistant_cache (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const char *list = "{\"data\":[{\"id\":\"gpt-4o\"},{\"id\":\"gpt-4o-mini\"}]}";
  guint n;

  /* Two at once share one request. */
  nb_fake_llm_queue_body (f->fake, 200, "application/json", list);
  nb_assistant_list_models_async (f->assistant, NULL, assistant_models_cb, answers);
  nb_assistant_list_models_async (f->assistant, NULL, assistant_models_cb, answers);
  while (answers->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  g_assert_cmpstr (nb_fake_llm_get_request (f->fake, 0)->path, ==, "/models");
  for (guint i = 0; i < 2; i++)
    {
      GStrv models = g_ptr_array_index (answers, i);

      g_assert_cmpuint (g_strv_length (models), ==, 2);
      g_assert_cmpstr (models[1], ==, "gpt-4o-mini");
    }

  /* Asked again: from the cache, no request. */
  nb_assistant_list_models_async (f->assistant, NULL, assistant_models_cb, answers);
  while (answers->len < 3)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  g_assert_cmpstr (((GStrv) g_ptr_array_index (answers, 2))[0], ==, "gpt-4o");

  /* After a reload the provider is another one: asked again. */
  nb_assistant_reload_provider (f->assistant);
  nb_fake_llm_queue_body (f->fake, 200, "application/json", "{\"data\":[{\"id\":\"gpt-5\"}]}");
  nb_assistant_list_models_async (f->assistant, NULL, assistant_models_cb, answers);
  while (answers->len < 4)
    g_main_context_iteration (NULL, TRUE);
  n = nb_fake_llm_get_n_requests (f->fake);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (((GStrv) g_ptr_array_index (answers, 3))[0], ==, "gpt-5");
  g_assert_cmpuint (nb_fake_llm_get_n_unscripted (f->fake), ==, 0);
}

static void
test_assistant_error (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;

  nb_fake_llm_queue_body (f->fake, 401, "application/json", "{\"error\":{\"message\":\"bad key\"}}");
  nb_assistant_list_models_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  models = nb_assistant_list_models_finish (f->assistant, result, &error);
  g_assert_null (models);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "bad key"));
  g_clear_error (&error);
  g_clear_object (&result);

  /* A failure is not kept: the next call asks again. */
  nb_fake_llm_queue_body (f->fake, 200, "application/json", "{\"data\":[{\"id\":\"gpt-4o\"}]}");
  nb_assistant_list_models_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  models = nb_assistant_list_models_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (models[0], ==, "gpt-4o");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
}

static NbSession *
open_session (Fixture    *f,
              const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NbSession *session;

  nb_assistant_open_session_async (f->assistant, key, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  return session;
}

static void
turn (Fixture    *f,
      NbSession  *session,
      const char *input)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Fine.");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_assistant_run_async (f->assistant, session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  answer = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
}

static void
test_session_model (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(NbSession) session = open_session (f, "desktop:model");
  g_autoptr(NbSession) fresh = open_session (f, "desktop:fresh");
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:model");
  g_autofree char *fresh_path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:fresh");
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autofree char *file = NULL;
  NbUsage usage = { -1, -1, -1, -1 };
  gint64 context_tokens = -1;
  gint64 context_window = -1;

  model = nb_assistant_dup_session_model (f->assistant, session);
  g_assert_cmpstr (model, ==, "gpt-4o");
  g_assert_false (nb_assistant_get_last_usage (f->assistant, session, &usage, &context_tokens, &context_window));

  turn (f, session, "Hello");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 0), "model"), ==, "gpt-4o");

  /* Usage of the last turn, from the metadata the agent wrote. */
  g_assert_true (nb_assistant_get_last_usage (f->assistant, session, &usage, &context_tokens, &context_window));
  g_assert_cmpint (usage.input_tokens, ==, 12);
  g_assert_cmpint (usage.output_tokens, ==, 5);
  g_assert_cmpint (usage.cache_read_tokens, ==, 0);
  g_assert_cmpint (context_tokens, ==, 17);
  g_assert_cmpint (context_window, ==, 128000);

  /* Chosen for this conversation: written at once, used by the next turn. */
  g_assert_true (nb_assistant_set_session_model (f->assistant, session, "anthropic/claude-sonnet-4-5", &error));
  g_assert_no_error (error);
  file = nb_test_read_file (path);
  g_assert_nonnull (strstr (file, "\"model\":\"anthropic/claude-sonnet-4-5\""));
  g_clear_pointer (&model, g_free);
  model = nb_assistant_dup_session_model (f->assistant, session);
  g_assert_cmpstr (model, ==, "anthropic/claude-sonnet-4-5");

  /* A conversation nobody started gets no file for it… */
  g_assert_true (nb_assistant_set_session_model (f->assistant, fresh, "gpt-4.1", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (fresh_path, G_FILE_TEST_EXISTS));
  /* …and its first turn writes it and uses it. */
  turn (f, fresh, "Hi");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 1), "model"), ==, "gpt-4.1");
  g_assert_true (g_file_test (fresh_path, G_FILE_TEST_EXISTS));

  /* After a restart. */
  g_clear_object (&session);
  g_clear_object (&fresh);
  close_assistant (f);
  make_assistant (f);
  session = open_session (f, "desktop:model");
  fresh = open_session (f, "desktop:fresh");
  g_clear_pointer (&model, g_free);
  model = nb_assistant_dup_session_model (f->assistant, session);
  g_assert_cmpstr (model, ==, "anthropic/claude-sonnet-4-5");
  g_clear_pointer (&model, g_free);
  model = nb_assistant_dup_session_model (f->assistant, fresh);
  g_assert_cmpstr (model, ==, "gpt-4.1");
  g_assert_true (nb_assistant_get_last_usage (f->assistant, session, &usage, &context_tokens, &context_window));
  g_assert_cmpint (context_tokens, ==, 17);

  /* Back to the default, also on disk. */
  g_assert_true (nb_assistant_set_session_model (f->assistant, session, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&model, g_free);
  model = nb_assistant_dup_session_model (f->assistant, session);
  g_assert_cmpstr (model, ==, "gpt-4o");
  g_clear_object (&session);
  close_assistant (f);
  make_assistant (f);
  session = open_session (f, "desktop:model");
  g_clear_pointer (&model, g_free);
  model = nb_assistant_dup_session_model (f->assistant, session);
  g_assert_cmpstr (model, ==, "gpt-4o");
  g_assert_false (json_object_has_member (nb_session_get_metadata (session), "model"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/provider-models/openai", test_openai);
  g_test_add_func ("/provider-models/anthropic", test_anthropic);
  g_test_add_func ("/provider-models/ollama", test_ollama);
  g_test_add_func ("/provider-models/errors", test_errors);
  g_test_add_func ("/provider-models/context-window", test_context_window);
  g_test_add ("/provider-models/assistant-cache", Fixture, NULL, fixture_setup, test_assistant_cache, fixture_teardown);
  g_test_add ("/provider-models/assistant-error", Fixture, NULL, fixture_setup, test_assistant_error, fixture_teardown);
  g_test_add ("/provider-models/session-model", Fixture, NULL, fixture_setup, test_session_model, fixture_teardown);

  return g_test_run ();
}
