/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-anthropic-provider.h"
#include "nb-http-provider-private.h"
#include "nb-provider-fixture.h"
#include "nb-test-util.h"

typedef NbProviderFixture Fixture;

static NbProvider *
new_provider (const char *api_base)
{
  return g_object_new (NB_TYPE_ANTHROPIC_PROVIDER,
                       "name", "anthropic",
                       "api-base", api_base,
                       "api-key", "sk-ant-test",
                       "model-prefix", "anthropic/",
                       NULL);
}

/* A conversation with a finished tool round: system, user, assistant with
 * two tool calls, two tool results, then the runtime context and the new
 * user message. */
static NbChatRequest *
make_request (void)
{
  static const char * const messages[] = {
    "{\"role\":\"system\",\"content\":\"You are Nanobot.\"}",
    "{\"role\":\"user\",\"content\":\"List and read.\",\"timestamp\":\"x\"}",
    ("{\"role\":\"assistant\",\"content\":\"On it.\",\"tool_calls\":["
     "{\"id\":\"toolu_1\",\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"arguments\":\"{\\\"path\\\":\\\".\\\"}\"}},"
     "{\"id\":\"toolu_2\",\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\": bad\"}}]}"),
    "{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"name\":\"list_dir\",\"content\":\"a.txt\"}",
    "{\"role\":\"tool\",\"tool_call_id\":\"toolu_2\",\"name\":\"read_file\",\"content\":\"Error: bad arguments\"}",
    "{\"role\":\"assistant\",\"content\":\"Done.\"}",
    "{\"role\":\"user\",\"content\":\"[Runtime Context] time\"}",
    ("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks\"},"
     "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0K\"}}]}"),
  };
  NbChatRequest *request = nb_chat_request_new ("anthropic/claude-sonnet-4-5");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(JsonObject) message = nb_test_parse_object (messages[i]);

      nb_chat_request_add_message (request, message);
    }
  json_parser_load_from_data (parser,
                              "[{\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"description\":\"List\","
                              "\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}}},"
                              "{\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"description\":\"Read\","
                              "\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
                              "\"required\":[\"path\"]}}}]", -1, &error);
  g_assert_no_error (error);
  request->tools = json_array_ref (json_node_get_array (json_parser_get_root (parser)));
  return request;
}

static guint
count_substrings (const char *haystack,
                  const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static gboolean
has_cache_control (JsonObject *block)
{
  JsonObject *cache_control;

  if (!json_object_has_member (block, "cache_control"))
    return FALSE;
  cache_control = json_object_get_object_member (block, "cache_control");
  return cache_control != NULL &&
         g_strcmp0 (json_object_get_string_member (cache_control, "type"), "ephemeral") == 0;
}

static void
test_request_shape (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_anthropic_text_stream ("Hello there");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const NbFakeRequest *request;
  JsonObject *sent;
  JsonArray *system, *messages, *tools, *content;
  JsonObject *block, *message;

  nb_http_provider_set_extra_header (NB_HTTP_PROVIDER (fixture->provider), "anthropic-beta", "test-beta");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Hello there");
  g_assert_cmpstr (response->finish_reason, ==, "stop");
  g_assert_cmpint (response->usage.input_tokens, ==, 12);
  g_assert_cmpint (response->usage.output_tokens, ==, 5);

  request = nb_fake_llm_get_request (fixture->fake, 0);
  g_assert_cmpstr (request->path, ==, "/v1/messages");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-api-key"), ==, "sk-ant-test");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "anthropic-beta"), ==, "test-beta");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));

  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "claude-sonnet-4-5");
  g_assert_cmpint (json_object_get_int_member (sent, "max_tokens"), ==, 4096);
  g_assert_true (json_object_get_boolean_member (sent, "stream"));

  /* The system prompt as blocks, its last one a cache breakpoint. */
  system = json_object_get_array_member (sent, "system");
  g_assert_cmpuint (json_array_get_length (system), ==, 1);
  block = json_array_get_object_element (system, 0);
  g_assert_cmpstr (json_object_get_string_member (block, "text"), ==, "You are Nanobot.");
  g_assert_true (has_cache_control (block));

  messages = json_object_get_array_member (sent, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 5);

  message = json_array_get_object_element (messages, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  g_assert_false (json_object_has_member (message, "timestamp"));

  /* Assistant text and tool_use blocks with parsed input. */
  message = json_array_get_object_element (messages, 1);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "assistant");
  content = json_object_get_array_member (message, "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 3);
  block = json_array_get_object_element (content, 1);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "tool_use");
  g_assert_cmpstr (json_object_get_string_member (block, "id"), ==, "toolu_1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (block, "input"), "path"), ==, ".");
  block = json_array_get_object_element (content, 2);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (block, "input")), ==, 0);

  /* Both tool results in one user message. */
  message = json_array_get_object_element (messages, 2);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  content = json_object_get_array_member (message, "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 2);
  block = json_array_get_object_element (content, 0);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "tool_result");
  g_assert_cmpstr (json_object_get_string_member (block, "tool_use_id"), ==, "toolu_1");
  g_assert_cmpstr (json_object_get_string_member (block, "content"), ==, "a.txt");
  block = json_array_get_object_element (content, 1);
  g_assert_cmpstr (json_object_get_string_member (block, "tool_use_id"), ==, "toolu_2");

  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "role"), ==, "assistant");

  /* The runtime context and the new message merged; the newest block is
   * the turn's cache breakpoint. */
  message = json_array_get_object_element (messages, 4);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  content = json_object_get_array_member (message, "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 3);
  block = json_array_get_object_element (content, 2);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "image");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (block, "source"), "media_type"), ==, "image/png");
  g_assert_true (has_cache_control (block));
  g_assert_false (has_cache_control (json_array_get_object_element (content, 0)));

  /* Anthropic's tool shape; the last tool is a breakpoint. */
  tools = json_object_get_array_member (sent, "tools");
  g_assert_cmpuint (json_array_get_length (tools), ==, 2);
  block = json_array_get_object_element (tools, 1);
  g_assert_cmpstr (json_object_get_string_member (block, "name"), ==, "read_file");
  g_assert_cmpstr (json_object_get_string_member (block, "description"), ==, "Read");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (block, "input_schema"), "type"), ==, "object");
  g_assert_false (json_object_has_member (block, "type"));
  g_assert_false (json_object_has_member (block, "function"));
  g_assert_true (has_cache_control (block));
  g_assert_false (has_cache_control (json_array_get_object_element (tools, 0)));

  g_assert_cmpuint (count_substrings (request->body, "cache_control"), ==, 3);
  g_assert_cmpuint (count_substrings (request->body, "cache_control"), <=, 4);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (sent, "temperature"), 0.7, 1e-9);
  g_assert_false (json_object_has_member (sent, "thinking"));
}

static void
test_thinking_request (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_anthropic_text_stream ("Thought");
  g_autoptr(NbChatRequest) request = make_request ();
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  JsonObject *sent, *thinking;

  request->reasoning_effort = g_strdup ("high");
  request->max_tokens = 8192;
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  nb_provider_chat_async (fixture->provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (fixture->provider, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);

  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  thinking = json_object_get_object_member (sent, "thinking");
  g_assert_cmpstr (json_object_get_string_member (thinking, "type"), ==, "enabled");
  /* Within max_tokens, and at least the API's minimum. */
  g_assert_cmpint (json_object_get_int_member (thinking, "budget_tokens"), ==, 4096);
  g_assert_false (json_object_has_member (sent, "temperature"));
  g_clear_pointer (&response, nb_chat_response_free);

  /* Inside a tool loop the history has no thinking signatures: no thinking. */
  {
    g_autoptr(JsonObject) tool = nb_test_parse_object ("{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"content\":\"x\"}");

    nb_chat_request_add_message (request, tool);
  }
  result = NULL;
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  nb_provider_chat_async (fixture->provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (fixture->provider, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  sent = nb_fake_llm_get_request_object (fixture->fake, 1);
  g_assert_false (json_object_has_member (sent, "thinking"));
  g_assert_true (json_object_has_member (sent, "temperature"));
}

static const char tool_stream[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[],"
  "\"usage\":{\"input_tokens\":50,\"cache_creation_input_tokens\":1000,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Need the file.\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: ping\n"
  "data: {\"type\": \"ping\"}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Reading.\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"read_file\",\"input\":{}}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"a\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\".txt\\\"}\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
  "event: message_delta\n"
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n\n";

static void
assert_tool_response (Fixture        *fixture,
                      NbChatResponse *response)
{
  NbToolCall *call;

  g_assert_cmpstr (response->content, ==, "Reading.");
  g_assert_cmpstr (response->reasoning, ==, "Need the file.");
  g_assert_cmpstr (response->finish_reason, ==, "tool_calls");
  g_assert_cmpuint (response->tool_calls->len, ==, 1);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_cmpstr (call->id, ==, "toolu_9");
  g_assert_cmpstr (call->name, ==, "read_file");
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "a.txt");
  g_assert_cmpint (response->usage.input_tokens, ==, 50);
  g_assert_cmpint (response->usage.output_tokens, ==, 42);
  g_assert_cmpint (response->usage.cache_write_tokens, ==, 1000);
  g_assert_cmpint (response->usage.cache_read_tokens, ==, 2000);
  g_assert_cmpstr (fixture->text->str, ==, "Reading.");
  g_assert_cmpstr (fixture->reasoning->str, ==, "Need the file.");
  g_assert_cmpstr (fixture->tools->str, ==, "0:read_file({\"path\": \"a.txt\"}");
}

static void
test_tool_stream (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), tool_stream, 97, 1);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  assert_tool_response (fixture, response);
}

static void
test_splits (Fixture       *fixture,
             gconstpointer  data)
{
  gsize length = strlen (tool_stream);

  for (gsize split = 1; split < length; split += 5)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      NbFakeResponse *scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");

      nb_fake_response_add_chunk (scripted, tool_stream, split, 0);
      nb_fake_response_add_chunk (scripted, tool_stream + split, length - split, 1);
      g_string_truncate (fixture->text, 0);
      g_string_truncate (fixture->reasoning, 0);
      g_string_truncate (fixture->tools, 0);
      response = nb_provider_fixture_run (fixture, NULL, &error);
      g_assert_no_error (error);
      assert_tool_response (fixture, response);
    }
}

/* A \u0000 in a text_delta or an input_json_delta reads as U+FFFD; the
 * rest of the chunk is kept. */
static void
test_nul_in_text (Fixture       *fixture,
                  gconstpointer  data)
{
  static const char stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\u0000b and more\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read_file\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"p\\u0000q\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", stream);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "a\xEF\xBF\xBD" "b and more");
  g_assert_cmpstr (fixture->text->str, ==, response->content);
  g_assert_cmpuint (response->tool_calls->len, ==, 1);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_null (call->parse_error);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "p\xEF\xBF\xBDq");
  g_assert_cmpstr (fixture->tools->str, ==, "0:read_file({\"path\": \"p\xEF\xBF\xBDq\"}");
}

/* issue item 4: a character split across two deltas as surrogate escapes
 * comes out whole, in the text and in a tool's partial_json; a lone
 * surrogate escape inside the arguments becomes U+FFFD. */
static void
test_item4_split_surrogates (Fixture       *fixture,
                             gconstpointer  data)
{
  static const char stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \\ud83d\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ude00\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read_file\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"\\ud83d\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\ude00 \\\\ud800!\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", stream);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Hi \xF0\x9F\x98\x80");
  g_assert_cmpstr (fixture->text->str, ==, response->content);
  g_assert_cmpuint (response->tool_calls->len, ==, 1);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_null (call->parse_error);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "\xF0\x9F\x98\x80 \xEF\xBF\xBD!");
}

static void
test_error_event (Fixture       *fixture,
                  gconstpointer  data)
{
  static const char overloaded[] =
    "event: error\n"
    "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  g_autofree char *body = nb_fake_llm_anthropic_text_stream ("Fine now");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *partial = NULL;

  /* Overloaded before anything was shown: retried. */
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", overloaded);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Fine now");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  g_clear_pointer (&response, nb_chat_response_free);

  /* Overloaded in the middle: a clear error, no retry. */
  partial = g_strconcat ("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n"
                         "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                         "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Half\"}}\n\n",
                         overloaded, NULL);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", partial);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "Overloaded"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 3);
  g_clear_error (&error);

  /* An event that is JSON, but not an object. */
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", "event: ping\ndata: \"ping\"\n\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "sent a stream event that is not a JSON object"));
}

static void
test_http_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_llm_queue_body (fixture->fake, 401, "application/json",
                          "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "invalid x-api-key"));
  g_assert_nonnull (strstr (error->message, "anthropic"));
  g_clear_error (&error);

  /* 529, Anthropic's "overloaded", is retried like a 503. */
  for (guint i = 0; i < 4; i++)
    nb_fake_llm_queue_body (fixture->fake, 529, "application/json",
                            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "Overloaded"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 5);
}

static void
test_cut (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");

  nb_fake_response_add_chunk (scripted, tool_stream, strstr (tool_stream, "event: message_delta") - tool_stream, 0);
  nb_fake_response_cut (scripted);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
}

/* message_start carries the input side (input_tokens without the cached
 * part, cache_read_input_tokens, cache_creation_input_tokens) and a
 * placeholder output count; message_delta carries the final output_tokens,
 * and newer servers repeat the input side there. */
static const char usage_stream_plain[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\","
  "\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi.\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: message_delta\n"
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
  "\"usage\":{\"output_tokens\":12}}\n\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n\n";

static const char usage_stream_cached[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_3\",\"type\":\"message\",\"role\":\"assistant\","
  "\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":7,\"cache_creation_input_tokens\":512,\"cache_read_input_tokens\":4096,\"output_tokens\":3}}}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi.\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: message_delta\n"
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
  "\"usage\":{\"input_tokens\":7,\"cache_creation_input_tokens\":512,\"cache_read_input_tokens\":4096,\"output_tokens\":88}}\n\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n\n";

static void
test_usage (Fixture       *fixture,
            gconstpointer  data)
{
  const char *bodies[] = { usage_stream_plain, usage_stream_cached };
  const NbUsage expected[] = {
    { .input_tokens = 25, .output_tokens = 12, .cache_read_tokens = 0, .cache_write_tokens = 0 },
    { .input_tokens = 7, .output_tokens = 88, .cache_read_tokens = 4096, .cache_write_tokens = 512 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", bodies[i]);
      response = nb_provider_fixture_run (fixture, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (response->content, ==, "Hi.");
      g_assert_cmpint (response->usage.input_tokens, ==, expected[i].input_tokens);
      g_assert_cmpint (response->usage.output_tokens, ==, expected[i].output_tokens);
      g_assert_cmpint (response->usage.cache_read_tokens, ==, expected[i].cache_read_tokens);
      g_assert_cmpint (response->usage.cache_write_tokens, ==, expected[i].cache_write_tokens);
    }
}

static const NbProviderFixtureSpec spec = { new_provider, make_request };

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, &spec, nb_provider_fixture_set_up, func, nb_provider_fixture_tear_down)

  ADD ("/anthropic/request-shape", test_request_shape);
  ADD ("/anthropic/thinking-request", test_thinking_request);
  ADD ("/anthropic/tool-stream", test_tool_stream);
  ADD ("/anthropic/usage", test_usage);
  ADD ("/anthropic/splits", test_splits);
  ADD ("/anthropic/nul-in-text", test_nul_in_text);
  ADD ("/anthropic/item4-split-surrogates", test_item4_split_surrogates);
  ADD ("/anthropic/error-event", test_error_event);
  ADD ("/anthropic/http-errors", test_http_errors);
  ADD ("/anthropic/cut", test_cut);

  return g_test_run ();
}
