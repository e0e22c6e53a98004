/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-http-provider-private.h"
#include "nb-provider-fixture.h"
#include "nb-openai-provider.h"
#include "nb-test-util.h"

typedef NbProviderFixture Fixture;

static NbProvider *
new_provider (const char *api_base)
{
  return nb_openai_provider_new ("openai", api_base, "sk-test");
}

static NbChatRequest *
make_request (void)
{
  NbChatRequest *request = nb_chat_request_new ("gpt-4o");
  g_autoptr(JsonObject) system = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (system, "role", "system");
  json_object_set_string_member (system, "content", "You are terse.");
  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", "Hi");
  json_object_set_string_member (user, "timestamp", "2026-01-01T00:00:00");
  nb_chat_request_add_message (request, system);
  nb_chat_request_add_message (request, user);

  json_parser_load_from_data (parser,
                              "[{\"type\":\"function\",\"function\":{\"name\":\"read_file\","
                              "\"description\":\"Read a file\",\"parameters\":{\"type\":\"object\","
                              "\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}}}]",
                              -1, &error);
  g_assert_no_error (error);
  request->tools = json_array_ref (json_node_get_array (json_parser_get_root (parser)));
  return request;
}

static void
test_text_stream (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Hello big world");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const NbFakeRequest *request;
  JsonObject *sent;
  JsonArray *messages;
  JsonObject *tool;

  nb_http_provider_set_extra_header (NB_HTTP_PROVIDER (fixture->provider), "X-Title", "Nanobot");
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), body, 40, 1);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (response->content, ==, "Hello big world");
  g_assert_cmpstr (fixture->text->str, ==, "Hello big world");
  g_assert_cmpuint (fixture->n_deltas, ==, 3);
  g_assert_cmpstr (response->finish_reason, ==, "stop");
  g_assert_cmpuint (response->tool_calls->len, ==, 0);
  g_assert_cmpint (response->usage.input_tokens, ==, 12);
  g_assert_cmpint (response->usage.output_tokens, ==, 5);

  /* What went over the wire. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
  request = nb_fake_llm_get_request (fixture->fake, 0);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->path, ==, "/chat/completions");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==, "Bearer sk-test");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Title"), ==, "Nanobot");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (request->headers, NULL), "application/json"));

  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "gpt-4o");
  g_assert_true (json_object_get_boolean_member (sent, "stream"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (sent, "stream_options"),
                                                 "include_usage"));
  g_assert_cmpint (json_object_get_int_member (sent, "max_tokens"), ==, 4096);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (sent, "temperature"), 0.7, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (sent, "tool_choice"), ==, "auto");
  g_assert_false (json_object_has_member (sent, "reasoning_effort"));
  g_assert_cmpuint (json_object_get_size (sent), ==, 8);  /* nothing unexpected */

  messages = json_object_get_array_member (sent, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==, "Hi");
  g_assert_false (json_object_has_member (json_array_get_object_element (messages, 1), "timestamp"));

  /* OpenAI's tool shape, as given. */
  tool = json_array_get_object_element (json_object_get_array_member (sent, "tools"), 0);
  g_assert_cmpstr (json_object_get_string_member (tool, "type"), ==, "function");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool, "function"), "name"), ==, "read_file");
  g_assert_true (json_object_has_member (json_object_get_object_member (tool, "function"), "parameters"));
}

/* A stream with everything: a filter chunk without choices, a comment,
 * reasoning, text, two tool calls in fragments, the usage chunk. */
static const char rich_stream[] =
  "data: {\"choices\":[],\"prompt_filter_results\":[{\"prompt_index\":0}]}\n\n"
  ": OPENROUTER PROCESSING\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Think \\u00e9\"},\"finish_reason\":null}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Let me \\\"look\\\".\"},\"finish_reason\":null}]}\r\n\r\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"pa\"}}]},\"finish_reason\":null}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":null,\"function\":{\"name\":null,\"arguments\":\"th\\\": \\\"a.txt\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"list_dir\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120,"
  "\"prompt_tokens_details\":{\"cached_tokens\":64}}}\n\n"
  "data: [DONE]\n\n";

static void
assert_rich_response (Fixture        *fixture,
                      NbChatResponse *response)
{
  NbToolCall *call;

  g_assert_cmpstr (response->content, ==, "Let me \"look\".");
  g_assert_cmpstr (response->reasoning, ==, "Think é");
  g_assert_cmpstr (response->finish_reason, ==, "tool_calls");
  g_assert_cmpuint (response->tool_calls->len, ==, 2);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_cmpstr (call->id, ==, "call_a");
  g_assert_cmpstr (call->name, ==, "read_file");
  g_assert_cmpstr (call->arguments_json, ==, "{\"path\": \"a.txt\"}");
  g_assert_null (call->parse_error);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "a.txt");
  call = g_ptr_array_index (response->tool_calls, 1);
  g_assert_cmpstr (call->id, ==, "call_b");
  g_assert_cmpstr (call->name, ==, "list_dir");
  g_assert_nonnull (call->arguments);
  g_assert_cmpint (response->usage.input_tokens, ==, 100 - 64);
  g_assert_cmpint (response->usage.output_tokens, ==, 20);
  g_assert_cmpint (response->usage.cache_read_tokens, ==, 64);

  g_assert_cmpstr (fixture->text->str, ==, "Let me \"look\".");
  g_assert_cmpstr (fixture->reasoning->str, ==, "Think é");
  g_assert_cmpstr (fixture->tools->str, ==, "0:read_file({\"path\": \"a.txt\"}1:list_dir({}");
}

static void
test_official_api (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("ok");
  g_autoptr(NbChatRequest) request = make_request ();
  JsonObject *sent;

  nb_openai_provider_set_official_api (NB_OPENAI_PROVIDER (fixture->provider), TRUE);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      GAsyncResult *result = NULL;

      g_free (request->model);
      request->model = g_strdup (i == 0 ? "gpt-4.1" : "o4-mini");
      nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
      nb_provider_chat_async (fixture->provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 20000);
      response = nb_provider_chat_finish (fixture->provider, result, &error);
      g_object_unref (result);
      g_assert_no_error (error);
    }

  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  g_assert_cmpint (json_object_get_int_member (sent, "max_completion_tokens"), ==, 4096);
  g_assert_false (json_object_has_member (sent, "max_tokens"));
  g_assert_true (json_object_has_member (sent, "temperature"));
  sent = nb_fake_llm_get_request_object (fixture->fake, 1);
  g_assert_cmpint (json_object_get_int_member (sent, "max_completion_tokens"), ==, 4096);
  g_assert_false (json_object_has_member (sent, "temperature"));
}

static void
test_rich_stream (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_response_add_chunk (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), rich_stream, -1, 0);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  assert_rich_response (fixture, response);
}

/* The same stream cut in two at every byte, on the wire. */
static void
test_every_split (Fixture       *fixture,
                  gconstpointer  data)
{
  gsize length = strlen (rich_stream);

  for (gsize split = 1; split < length; split++)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      NbFakeResponse *scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");

      nb_fake_response_add_chunk (scripted, rich_stream, split, 0);
      nb_fake_response_add_chunk (scripted, rich_stream + split, length - split, 1);
      g_string_truncate (fixture->text, 0);
      g_string_truncate (fixture->reasoning, 0);
      g_string_truncate (fixture->tools, 0);

      response = nb_provider_fixture_run (fixture, NULL, &error);
      g_assert_no_error (error);
      assert_rich_response (fixture, response);
    }
  g_assert_cmpuint (nb_fake_llm_get_n_unscripted (fixture->fake), ==, 0);
}

/* The parser alone, fed in three pieces at every pair of split points of a
 * shorter stream, without the network in between. */
static void
test_parser_splits (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Hi there you");
  gsize length = strlen (body);

  for (gsize a = 0; a < length; a += 3)
    for (gsize b = a; b < length; b += 7)
      {
        g_autoptr(NbProviderStream) stream = nb_provider_stream_new (NULL, NULL, "text/event-stream");
        g_autoptr(NbChatResponse) response = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_true (nb_http_provider_feed (NB_HTTP_PROVIDER (fixture->provider), stream, body, a, &error));
        g_assert_true (nb_http_provider_feed (NB_HTTP_PROVIDER (fixture->provider), stream, body + a, b - a, &error));
        g_assert_true (nb_http_provider_feed (NB_HTTP_PROVIDER (fixture->provider), stream, body + b, length - b, &error));
        g_assert_true (nb_http_provider_end (NB_HTTP_PROVIDER (fixture->provider), stream, &error));
        g_assert_no_error (error);
        response = nb_provider_stream_take_response (stream);
        g_assert_cmpstr (response->content, ==, "Hi there you");
        g_assert_cmpint (response->usage.output_tokens, ==, 5);
      }
}

/* Random bytes, and random damage to a real stream: always a clean error
 * or a reply, never a crash; the fixed seed makes failures repeatable. */
static void
test_garbage (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  gsize length = strlen (rich_stream);

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(NbProviderStream) stream = nb_provider_stream_new (NULL, NULL, "text/event-stream");
      g_autoptr(GError) error = NULL;
      g_autofree char *bytes = g_memdup2 (rich_stream, length + 1);
      gboolean ok = TRUE;

      if (round % 2 == 0)
        for (gsize i = 0; i < length; i++)
          bytes[i] = (char) g_rand_int_range (rand, 1, 256);
      else
        for (guint k = 0; k < 5; k++)
          {
            gsize at = g_rand_int_range (rand, 0, length);

            bytes[at] = (char) g_rand_int_range (rand, 1, 256);
          }

      for (gsize offset = 0; ok && offset < length; )
        {
          gsize piece = g_rand_int_range (rand, 1, 64);

          /* Not inside MIN(): it would draw twice. */
          piece = MIN (piece, length - offset);
          ok = nb_http_provider_feed (NB_HTTP_PROVIDER (fixture->provider), stream, bytes + offset, piece, &error);
          offset += piece;
        }
      if (ok)
        ok = nb_http_provider_end (NB_HTTP_PROVIDER (fixture->provider), stream, &error);
      if (ok)
        {
          g_autoptr(NbChatResponse) response = nb_provider_stream_take_response (stream);

          g_assert_no_error (error);
          g_assert_nonnull (response->finish_reason);
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == NB_PROVIDER_ERROR);
        }
      if (round % 2 == 0)
        g_assert_false (ok);
    }
}

static void
test_reused_index_and_bad_arguments (Fixture       *fixture,
                                     gconstpointer  data)
{
  static const char stream[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"exec\",\"arguments\":\"{\\\"command\\\":\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"ls\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c2\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\": oops\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c3\",\"function\":{\"name\":\"list_dir\",\"arguments\":\"\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", stream);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->tool_calls->len, ==, 3);

  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_cmpstr (call->id, ==, "c1");
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "command"), ==, "ls");

  /* Unparseable arguments: the call is kept, with the reason. */
  call = g_ptr_array_index (response->tool_calls, 1);
  g_assert_cmpstr (call->id, ==, "c2");
  g_assert_cmpstr (call->name, ==, "read_file");
  g_assert_null (call->arguments);
  g_assert_nonnull (call->parse_error);
  g_assert_cmpstr (call->arguments_json, ==, "{\"path\": oops");

  call = g_ptr_array_index (response->tool_calls, 2);
  g_assert_cmpstr (call->id, ==, "c3");
  g_assert_cmpuint (json_object_get_size (call->arguments), ==, 0);
}

/* json-glib strings end at a NUL: a \u0000 in text or in arguments reads
 * as U+FFFD and the rest of the chunk is kept; an escaped backslash
 * followed by "u0000" is plain text. */
static void
test_nul_in_text (Fixture       *fixture,
                  gconstpointer  data)
{
  static const char stream[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\u0000b\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \\\\u0000 stays\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\":\\\"p\\u0000q\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\",\"function\":{\"name\":\"write_file\",\"arguments\":\"{\\\"content\\\":\\\"x\\\\u0000y\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", stream);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "a\xEF\xBF\xBD" "b \\u0000 stays");
  g_assert_cmpstr (fixture->text->str, ==, response->content);
  g_assert_cmpuint (response->tool_calls->len, ==, 2);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_null (call->parse_error);
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "path"), ==, "p\xEF\xBF\xBDq");
  call = g_ptr_array_index (response->tool_calls, 1);
  g_assert_null (call->parse_error);
  g_assert_cmpstr (call->arguments_json, ==, "{\"content\":\"x\\u0000y\"}");
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "content"), ==, "x\xEF\xBF\xBDy");
  g_assert_cmpstr (fixture->tools->str, ==,
                   "0:read_file({\"path\":\"p\xEF\xBF\xBDq\"}1:write_file({\"content\":\"x\\u0000y\"}");
}

static void
test_error_in_stream (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream",
                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                          ": keep-alive\n\n"
                          "data: {\"error\":{\"message\":\"Provider returned error\",\"code\":502}}\n\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Provider returned error"));
  g_assert_nonnull (strstr (error->message, "openai"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
}

static void
test_json_body (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbToolCall *call;

  nb_fake_llm_queue_body (fixture->fake, 200, "application/json",
                          "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                          "\"message\":{\"role\":\"assistant\",\"content\":\"Whole answer\","
                          "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"exec\","
                          "\"arguments\":\"{\\\"command\\\":\\\"date\\\"}\"}}]},"
                          "\"finish_reason\":\"tool_calls\"}],"
                          "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Whole answer");
  g_assert_cmpstr (fixture->text->str, ==, "Whole answer");
  g_assert_cmpstr (response->finish_reason, ==, "tool_calls");
  g_assert_cmpuint (response->tool_calls->len, ==, 1);
  call = g_ptr_array_index (response->tool_calls, 0);
  g_assert_cmpstr (call->name, ==, "exec");
  g_assert_cmpstr (json_object_get_string_member (call->arguments, "command"), ==, "date");
  g_assert_cmpint (response->usage.input_tokens, ==, 7);
}

static void
test_retry_after (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("ok");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *limited;

  limited = nb_fake_llm_queue (fixture->fake, 429, "application/json");
  nb_fake_response_add_header (limited, "Retry-After", "0");
  nb_fake_response_add_chunk (limited, "{\"error\":{\"message\":\"slow down\"}}", -1, 0);
  nb_fake_llm_queue_body (fixture->fake, 502, "text/html", "<html>bad gateway</html>");
  limited = nb_fake_llm_queue (fixture->fake, 429, "application/json");
  nb_fake_response_add_header (limited, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);

  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "ok");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 4);
  /* Every retry sends the same request. */
  g_assert_cmpstr (nb_fake_llm_get_request (fixture->fake, 0)->body, ==,
                   nb_fake_llm_get_request (fixture->fake, 3)->body);
}

/* A Retry-After longer than a minute (a quota used up for the day) is not
 * waited for: the error comes at once and says how long the server asked. */
static void
test_retry_after_too_long (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *limited;

  limited = nb_fake_llm_queue (fixture->fake, 429, "application/json");
  nb_fake_response_add_header (limited, "Retry-After", "3600");
  nb_fake_response_add_chunk (limited, "{\"error\":{\"message\":\"daily quota used up\"}}", -1, 0);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", "data: [DONE]\n\n");

  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_RATE_LIMIT);
  g_assert_nonnull (strstr (error->message, "3600 s"));
  g_assert_nonnull (strstr (error->message, "daily quota used up"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
}

static void
test_retries_exhausted (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 5; i++)
    nb_fake_llm_queue_body (fixture->fake, 503, "application/json",
                            "{\"error\":{\"message\":\"overloaded\"}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "overloaded"));
  /* The first try and three retries. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 4);
  g_assert_cmpuint (nb_fake_llm_get_n_queued (fixture->fake), ==, 1);
}

static void
test_rate_limit_exhausted (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 4; i++)
    {
      NbFakeResponse *limited = nb_fake_llm_queue (fixture->fake, 429, "application/json");

      nb_fake_response_add_header (limited, "Retry-After", "0");
      nb_fake_response_add_chunk (limited, "{\"error\":{\"message\":\"rate limited\"}}", -1, 0);
    }
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_RATE_LIMIT);
  g_assert_nonnull (strstr (error->message, "rate limited"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 4);
}

static void
test_client_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(NbProvider) keyless = NULL;
  GAsyncResult *result = NULL;
  g_autoptr(NbChatRequest) request = make_request ();

  nb_fake_llm_queue_body (fixture->fake, 400, "application/json",
                          "{\"error\":{\"message\":\"Invalid 'messages[1]'\",\"type\":\"invalid_request_error\"}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "Invalid 'messages[1]'"));
  g_assert_nonnull (strstr (error->message, "400"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
  g_clear_error (&error);

  nb_fake_llm_queue_body (fixture->fake, 401, "application/json",
                          "{\"error\":{\"message\":\"Incorrect API key provided\"}}");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "refused"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  g_clear_error (&error);

  /* No key at all: no Authorization header, and the hint says where. */
  keyless = g_object_new (NB_TYPE_OPENAI_PROVIDER, "name", "groq",
                          "api-base", nb_fake_llm_get_url (fixture->fake),
                          "key-hint", "Set providers.groq.apiKey or GROQ_API_KEY.", NULL);
  nb_fake_llm_queue_body (fixture->fake, 401, "application/json", "{\"error\":{\"message\":\"missing key\"}}");
  nb_provider_chat_async (keyless, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (keyless, result, &error));
  g_clear_object (&result);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_assert_nonnull (strstr (error->message, "GROQ_API_KEY"));
  g_assert_null (soup_message_headers_get_one (nb_fake_llm_get_request (fixture->fake, 2)->headers, "Authorization"));
}

static void
test_cut_stream (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Hello big world");
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *scripted;

  /* Cut after the first words were shown: an error, no retry. */
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, body, strstr (body, "world") - body, 0);
  nb_fake_response_cut (scripted);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED);
  g_assert_cmpstr (fixture->text->str, ==, "Hello big");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
  g_clear_error (&error);

  /* Cut before the first token: retried. */
  g_string_truncate (fixture->text, 0);
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, ": waiting\n\n", -1, 0);
  nb_fake_response_cut (scripted);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Hello big world");
  g_assert_cmpstr (fixture->text->str, ==, "Hello big world");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 3);
  g_clear_pointer (&response, nb_chat_response_free);

  /* The connection dropped before any response: retried. */
  g_string_truncate (fixture->text, 0);
  nb_fake_response_cut (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"));
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->content, ==, "Hello big world");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 5);
}

static void
test_html_page (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  nb_fake_llm_queue_body (fixture->fake, 200, "text/html; charset=utf-8",
                          "<!DOCTYPE html><html><body>Welcome to nginx</body></html>");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "apiBase"));
  g_clear_error (&error);

  /* The same page labelled as a stream. */
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", "\n<html><body>captive portal</body></html>");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  g_clear_error (&error);

  /* JSON, but not an object. */
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", "data: [1, 2]\n\n");
  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "sent a stream event that is not a JSON object"));
}

static void
test_huge_line (Fixture       *fixture,
                gconstpointer  data)
{
  gsize size = 10 * 1024 * 1024;
  g_autofree char *line = g_malloc (size + 1);
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *scripted;

  memcpy (line, "data: {\"x\":\"", 13);
  memset (line + 13, 'a', size - 13);
  line[size] = '\0';
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, line, size, 0);
  nb_fake_response_add_chunk (scripted, "\"}\n\ndata: [DONE]\n\n", -1, 0);

  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "MiB"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
}

/* A local model stuck in a loop streams for ever without going idle:
 * past NB_HTTP_PROVIDER_MAX_REPLY of text the reply is abandoned. */
static void
test_endless_reply (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GString) block = g_string_new (NULL);
  g_autofree char *text = g_strnfill (64 * 1024, 'x');
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbFakeResponse *scripted;
  g_autoptr(GString) limit = g_string_new (NULL);

  for (guint i = 0; i < 64; i++)
    g_string_append_printf (block, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", text);
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  /* 4 MiB of text a chunk, 36 MiB in all. */
  for (guint i = 0; i < 9; i++)
    nb_fake_response_add_chunk (scripted, block->str, block->len, 0);
  nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 0);

  response = nb_provider_fixture_run (fixture, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL);
  g_string_printf (limit, "longer than %d MiB", NB_HTTP_PROVIDER_MAX_REPLY / (1024 * 1024));
  g_assert_nonnull (strstr (error->message, limit->str));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
}

static void
test_one_connection (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("same socket");

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), body, 64, 0);
      response = nb_provider_fixture_run (fixture, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (response->content, ==, "same socket");
    }
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 20);
  g_assert_cmpuint (nb_fake_llm_get_n_connections (fixture->fake), ==, 1);
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Parallel calls to one host really run in parallel: all four requests
 * reach the server while every reply is still held back. */
static void
test_parallel (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NbChatRequest) request = make_request ();
  GAsyncResult *results[4] = { NULL, };
  gboolean timed_out = FALSE;
  guint timeout_id;

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      NbFakeResponse *scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");

      nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 60000);
      nb_provider_chat_async (fixture->provider, request, NULL, NULL, cancellable,
                              nb_test_store_result_cb, &results[i]);
    }

  timeout_id = g_timeout_add (10000, flag_cb, &timed_out);
  while (nb_fake_llm_get_n_requests (fixture->fake) < G_N_ELEMENTS (results) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);
  g_assert_cmpuint (nb_fake_llm_get_n_connections (fixture->fake), ==, G_N_ELEMENTS (results));

  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;

      nb_test_wait_result (&results[i], 20000);
      g_assert_null (nb_provider_chat_finish (fixture->provider, results[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_object (&results[i]);
    }
}

static void
test_connection_refused (void)
{
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(NbChatRequest) request = make_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  GAsyncResult *result = NULL;

  /* A port that was free a moment ago and has no listener. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  provider = nb_openai_provider_new ("custom", url, NULL);
  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (provider, result, &error));
  g_object_unref (result);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, url));
}

static void
cancel_on_text_cb (NbChatDeltaKind  kind,
                   guint            index,
                   const char      *text,
                   const char      *tool_name,
                   gpointer         user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Hello big world");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NbChatRequest) request = make_request ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  /* Cancelled while the stream is still coming. */
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), body, 100, 50);
  nb_provider_chat_async (fixture->provider, request, cancel_on_text_cb, cancellable, cancellable,
                          nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (fixture->provider, result, &error));
  g_clear_object (&result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Cancelled while waiting to retry. */
  g_cancellable_reset (cancellable);
  nb_http_provider_set_retry_policy (NB_HTTP_PROVIDER (fixture->provider), 3, 60000);
  nb_fake_llm_queue_body (fixture->fake, 503, "application/json", "{}");
  nb_provider_chat_async (fixture->provider, request, NULL, NULL, cancellable,
                          nb_test_store_result_cb, &result);
  while (nb_fake_llm_get_n_requests (fixture->fake) < 2)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (fixture->provider, result, &error));
  g_clear_object (&result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
}

static void
test_idle_timeout (void)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(NbChatRequest) request = make_request ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  NbFakeResponse *scripted;

  provider = g_object_new (NB_TYPE_OPENAI_PROVIDER, "name", "openai",
                           "api-base", nb_fake_llm_get_url (fake), "idle-timeout", 1, NULL);
  scripted = nb_fake_llm_queue (fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 4000);

  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (provider, result, &error));
  g_object_unref (result);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fake), ==, 1);
}

/* issue item 2: a reply of only keep-alive comments or empty chunks resets
 * the idle timer for ever; the no-progress limit (1 s here) ends it with a
 * clear error. */
static void
test_no_progress_stream (void)
{
  static const char * const fillers[] = { ": ping\n\n", "data: {\"choices\":[]}\n\n" };

  for (guint f = 0; f < G_N_ELEMENTS (fillers); f++)
    {
      g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
      g_autoptr(NbProvider) provider = NULL;
      g_autoptr(NbChatRequest) request = make_request ();
      g_autoptr(GError) error = NULL;
      GAsyncResult *result = NULL;
      NbFakeResponse *scripted;
      gint64 start;

      provider = g_object_new (NB_TYPE_OPENAI_PROVIDER, "name", "openai",
                               "api-base", nb_fake_llm_get_url (fake), "idle-timeout", 5,
                               "no-progress-timeout", 1, NULL);
      scripted = nb_fake_llm_queue (fake, 200, "text/event-stream");
      for (guint i = 0; i < 60; i++)
        nb_fake_response_add_chunk (scripted, fillers[f], -1, 100);
      nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 0);

      start = g_get_monotonic_time ();
      nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 20000);
      g_assert_null (nb_provider_chat_finish (provider, result, &error));
      g_object_unref (result);
      g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT);
      g_assert_nonnull (strstr (error->message, "no progress for 1 s"));
      g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
      g_assert_cmpuint (nb_fake_llm_get_n_requests (fake), ==, 1);
    }
}

/* A listener whose accept queue is full drops new SYNs, so the connection
 * never completes: the connect timeout (1 s here) ends the call. */
static void
test_connect_timeout (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(NbProvider) provider = NULL;
  g_autoptr(NbChatRequest) request = make_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  GAsyncResult *result = NULL;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (listener, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, 0);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);

  /* Fill the accept queue; nothing ever accepts. */
  for (guint i = 0; i < 4; i++)
    {
      GSocket *filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

      g_socket_set_blocking (filler, FALSE);
      g_socket_connect (filler, bound, NULL, NULL);
      g_ptr_array_add (fillers, filler);
    }

  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  provider = g_object_new (NB_TYPE_OPENAI_PROVIDER, "name", "custom", "api-base", url,
                           "connect-timeout", 1, NULL);
  nb_provider_chat_async (provider, request, NULL, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_null (nb_provider_chat_finish (provider, result, &error));
  g_object_unref (result);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "connect"));
}

/* With stream_options.include_usage, api.openai.com sends "usage": null on
 * every chunk and the counts in a last chunk whose choices are empty. */
static const char openai_usage_stream[] =
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-2024-08-06\","
  "\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
  "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-2024-08-06\","
  "\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi.\"},\"logprobs\":null,"
  "\"finish_reason\":null}],\"usage\":null}\n\n"
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-2024-08-06\","
  "\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
  "\"usage\":null}\n\n"
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-2024-08-06\","
  "\"system_fingerprint\":\"fp_1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":300,"
  "\"total_tokens\":2306,\"prompt_tokens_details\":{\"cached_tokens\":1920,\"audio_tokens\":0},"
  "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
  "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n\n"
  "data: [DONE]\n\n";

/* DeepSeek sends the counts with the last choice and reports cache hits
 * in prompt_cache_hit_tokens (and misses, which are not a cache write). */
static const char deepseek_usage_stream[] =
  "data: {\"id\":\"d1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"deepseek-chat\","
  "\"system_fingerprint\":\"fp_2\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi.\"},"
  "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
  "data: {\"id\":\"d1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"deepseek-chat\","
  "\"system_fingerprint\":\"fp_2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1500,\"completion_tokens\":42,\"total_tokens\":1542,"
  "\"prompt_cache_hit_tokens\":1408,\"prompt_cache_miss_tokens\":92}}\n\n"
  "data: [DONE]\n\n";

static void
test_usage (Fixture       *fixture,
            gconstpointer  data)
{
  const char *bodies[] = { openai_usage_stream, deepseek_usage_stream };
  /* Prompt tokens less the cache hits: NbUsage counts those apart. */
  const NbUsage expected[] = {
    { .input_tokens = 86, .output_tokens = 300, .cache_read_tokens = 1920, .cache_write_tokens = 0 },
    { .input_tokens = 92, .output_tokens = 42, .cache_read_tokens = 1408, .cache_write_tokens = 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", bodies[i]);
      response = nb_provider_fixture_run (fixture, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (response->content, ==, "Hi.");
      g_assert_cmpstr (response->finish_reason, ==, "stop");
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

  ADD ("/openai/text-stream", test_text_stream);
  ADD ("/openai/official-api", test_official_api);
  ADD ("/openai/rich-stream", test_rich_stream);
  ADD ("/openai/usage", test_usage);
  ADD ("/openai/every-split", test_every_split);
  ADD ("/openai/parser-splits", test_parser_splits);
  ADD ("/openai/garbage", test_garbage);
  ADD ("/openai/reused-index-bad-arguments", test_reused_index_and_bad_arguments);
  ADD ("/openai/nul-in-text", test_nul_in_text);
  ADD ("/openai/error-in-stream", test_error_in_stream);
  ADD ("/openai/json-body", test_json_body);
  ADD ("/openai/retry-after", test_retry_after);
  ADD ("/openai/retry-after-too-long", test_retry_after_too_long);
  ADD ("/openai/retries-exhausted", test_retries_exhausted);
  ADD ("/openai/rate-limit-exhausted", test_rate_limit_exhausted);
  ADD ("/openai/client-errors", test_client_errors);
  ADD ("/openai/cut-stream", test_cut_stream);
  ADD ("/openai/html-page", test_html_page);
  ADD ("/openai/huge-line", test_huge_line);
  ADD ("/openai/endless-reply", test_endless_reply);
  ADD ("/openai/one-connection", test_one_connection);
  ADD ("/openai/cancel", test_cancel);
  ADD ("/openai/parallel", test_parallel);
  g_test_add_func ("/openai/connection-refused", test_connection_refused);
  g_test_add_func ("/openai/idle-timeout", test_idle_timeout);
  g_test_add_func ("/openai/no-progress-stream", test_no_progress_stream);
  g_test_add_func ("/openai/connect-timeout", test_connect_timeout);

  return g_test_run ();
}
