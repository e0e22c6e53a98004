/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-http-provider-private.h"
#include "nb-provider-fixture.h"
#include "nb-ollama-provider.h"
#include "nb-test-util.h"

typedef NbProviderFixture Fixture;

static NbProvider *
new_provider (const char *api_base)
{
  return nb_ollama_provider_new ("ollama", api_base, NULL);
}

static NbChatRequest *
make_request (void)
{
  static const char * const messages[] = {
    "{\"role\":\"system\",\"content\":\"You are Nanobot.\"}",
    "{\"role\":\"user\",\"content\":\"What is in here?\"}",
    ("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
     "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"arguments\":\"{\\\"path\\\":\\\".\\\"}\"}}]}"),
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"a.txt\"}",
    "{\"role\":\"user\",\"content\":\"And now?\"}",
  };
  NbChatRequest *request = nb_chat_request_new ("llama3.2");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      json_parser_load_from_data (parser, messages[i], -1, &error);
      g_assert_no_error (error);
      nb_chat_request_add_message (request, json_node_get_object (json_parser_get_root (parser)));
    }
  json_parser_load_from_data (parser,
                              "[{\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"description\":\"List\","
                              "\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}}}]",
                              -1, &error);
  g_assert_no_error (error);
  request->tools = json_array_ref (json_node_get_array (json_parser_get_root (parser)));
  request->reasoning_effort = g_strdup ("low");
  return request;
}

static void
test_text_and_request (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_ollama_text_stream ("Two files here");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const NbFakeRequest *request;
  JsonObject *sent, *message, *function;
  JsonArray *messages, *tools;

  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "application/x-ndjson"), body, 33, 1);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Two files here");
  g_assert_cmpstr (fixture->text->str, ==, "Two files here");
  g_assert_cmpstr (response->finish_reason, ==, "stop");
  g_assert_cmpint (response->usage.input_tokens, ==, 12);
  g_assert_cmpint (response->usage.output_tokens, ==, 5);

  request = nb_fake_llm_get_request (fixture->fake, 0);
  g_assert_cmpstr (request->path, ==, "/api/chat");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "llama3.2");
  g_assert_true (json_object_get_boolean_member (sent, "stream"));
  g_assert_true (json_object_get_boolean_member (sent, "think"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (sent, "options"), "num_predict"), ==, 4096);

  messages = json_object_get_array_member (sent, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 5);
  /* Tool call arguments go back as objects, results with tool_name. */
  message = json_array_get_object_element (messages, 2);
  function = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (message, "tool_calls"), 0),
                                            "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "list_dir");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (function, "arguments"), "path"), ==, ".");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "");
  message = json_array_get_object_element (messages, 3);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "tool");
  g_assert_cmpstr (json_object_get_string_member (message, "tool_name"), ==, "list_dir");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "a.txt");

  /* Tools in the OpenAI shape, which is what Ollama takes. */
  tools = json_object_get_array_member (sent, "tools");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 0), "type"), ==, "function");
}

static void
test_tool_calls (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson",
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Look.\"},\"done\":false}\n"
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
                          "{\"function\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"a.txt\"}}},"
                          "{\"function\":{\"name\":\"list_dir\",\"arguments\":{}}}]},\"done\":false}\n"
                          "\n"
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
                          "\"done_reason\":\"stop\",\"prompt_eval_count\":30,\"eval_count\":9}\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (response->content);
  g_assert_cmpstr (response->reasoning, ==, "Look.");
  g_assert_cmpstr (response->finish_reason, ==, "tool_calls");
  g_assert_cmpuint (response->tool_calls->len, ==, 2);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_cmpstr (call->name, ==, "read_file");
  g_assert_nonnull (call->id);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "a.txt");
  call = g_ptr_array_index (response->tool_calls, 1);
  g_assert_cmpstr (call->name, ==, "list_dir");
  g_assert_cmpstr (fixture->tools->str, ==, "0:read_file({\"path\":\"a.txt\"}1:list_dir({}");
  g_assert_cmpint (response->usage.input_tokens, ==, 30);
}

/* A \u0000 in the content or in a tool call's arguments reads as U+FFFD;
 * the rest of the line is kept. */
static void
test_nul_in_text (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson",
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"a\\u0000b and more\"},\"done\":false}\n"
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
                          "{\"function\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"p\\u0000q\"}}}]},\"done\":false}\n"
                          "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
                          "\"done_reason\":\"stop\"}\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "a\xEF\xBF\xBD" "b and more");
  g_assert_cmpstr (fixture->text->str, ==, response->content);
  g_assert_cmpuint (response->tool_calls->len, ==, 1);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_null (call->parse_error);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "p\xEF\xBF\xBDq");
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *scripted;

  nb_fake_llm_queue_body (fixture->fake, 404, "application/json",
                          "{\"error\":\"model \\\"llama3.2\\\" not found, try pulling it first\"}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "try pulling it first"));
  g_clear_error (&error);

  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson",
                          "{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                          "{\"error\":\"an error was encountered while running the model\"}\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "running the model"));
  g_clear_error (&error);

  /* Cut in the middle of a line. */
  g_string_truncate (fixture->text, 0);
  scripted = nb_fake_llm_queue (fixture->fake, 200, "application/x-ndjson");
  nb_fake_response_add_chunk (scripted, "{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"mess", -1, 0);
  nb_fake_response_cut (scripted);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_cmpstr (fixture->text->str, ==, "Hi");
  g_clear_error (&error);

  /* Not NDJSON at all. */
  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson", "this is not json\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 4);
  g_clear_error (&error);

  /* JSON, but not an object. */
  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson", "[1, 2]\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "sent a stream line that is not a JSON object"));
}

/* Ollama counts the prompt and the reply on the final "done" object only;
 * it reports no cache use. */
static void
test_usage (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_llm_queue_body (fixture->fake, 200, "application/x-ndjson",
                          "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.000000Z\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                          "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.100000Z\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\".\"},\"done\":false}\n"
                          "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.200000Z\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,"
                          "\"total_duration\":4883583458,\"load_duration\":1334875,\"prompt_eval_count\":26,"
                          "\"prompt_eval_duration\":342546000,\"eval_count\":259,\"eval_duration\":4535599000}\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Hi.");
  g_assert_cmpstr (response->finish_reason, ==, "stop");
  g_assert_cmpint (response->usage.input_tokens, ==, 26);
  g_assert_cmpint (response->usage.output_tokens, ==, 259);
  g_assert_cmpint (response->usage.cache_read_tokens, ==, 0);
  g_assert_cmpint (response->usage.cache_write_tokens, ==, 0);
}

static const NbProviderFixtureSpec spec = { new_provider, make_request };

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, &spec, nb_provider_fixture_set_up, func, nb_provider_fixture_tear_down)

  ADD ("/ollama/text-and-request", test_text_and_request);
  ADD ("/ollama/tool-calls", test_tool_calls);
  ADD ("/ollama/usage", test_usage);
  ADD ("/ollama/nul-in-text", test_nul_in_text);
  ADD ("/ollama/errors", test_errors);

  return g_test_run ();
}
