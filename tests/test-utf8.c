/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-agent.h"
#include "nb-fake-llm.h"
#include "nb-http-provider.h"
#include "nb-json-util.h"
#include "nb-openai-provider.h"
#include "nb-session-store.h"
#include "nb-test-tool.h"
#include "nb-test-util.h"

/*
 * Issue item 4: every string that comes from outside is valid UTF-8 before
 * it is used or stored. json-glib decodes a lone surrogate escape into bytes
 * that are not UTF-8 (and fails on one right before a closing quote), so
 * these replies go through the real OpenAI-compatible provider, a fake
 * server, the agent and the session store.
 */

#define FFFD "\xef\xbf\xbd"
#define EMOJI "\xf0\x9f\x98\x80"

typedef struct {
  char             *dir;
  NbFakeLlm        *fake;
  NbConfig         *config;
  NbToolRegistry   *tools;
  NbContextBuilder *context;
  NbSessionStore   *store;
  NbAgent          *agent;
  NbSession        *session;
  GString          *text;
  GString          *reasoning;
} Fixture;

static void
text_delta_cb (NbAgent    *agent,
               NbSession  *session,
               const char *text,
               Fixture    *f)
{
  g_string_append (f->text, text);
}

static void
reasoning_delta_cb (NbAgent    *agent,
                    NbSession  *session,
                    const char *text,
                    Fixture    *f)
{
  g_string_append (f->reasoning, text);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(NbProvider) provider = NULL;
  g_autofree char *sessions = NULL;

  f->dir = nb_test_make_tmpdir ();
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  provider = nb_openai_provider_new ("openai", nb_fake_llm_get_url (f->fake), "sk-test");
  nb_http_provider_set_retry_policy (NB_HTTP_PROVIDER (provider), 0, 1);
  f->config = nb_config_new ();
  nb_config_set_string (f->config, "agents.defaults.model", "test-model");
  f->tools = nb_tool_registry_new ();
  f->context = nb_context_builder_new (f->dir);
  f->store = nb_session_store_new (sessions);
  f->agent = nb_agent_new (provider, f->config, f->tools, f->context);
  nb_agent_set_session_store (f->agent, f->store);
  f->session = nb_session_new ("desktop:utf8");
  f->text = g_string_new (NULL);
  f->reasoning = g_string_new (NULL);
  g_signal_connect (f->agent, "text-delta", G_CALLBACK (text_delta_cb), f);
  g_signal_connect (f->agent, "reasoning-delta", G_CALLBACK (reasoning_delta_cb), f);
}

static void
session_gone_cb (gpointer  data,
                 GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
  g_main_context_wakeup (NULL);  /* it may go in a worker thread */
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gboolean gone = FALSE;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->agent);
  g_clear_object (&f->store);
  /* The store's background fdatasync may hold the session a little longer. */
  g_object_weak_ref (G_OBJECT (f->session), session_gone_cb, &gone);
  g_object_unref (f->session);
  nb_test_wait_for (&gone, 5000);
  g_clear_object (&f->tools);
  g_clear_object (&f->context);
  g_clear_object (&f->config);
  nb_fake_llm_free (f->fake);
  g_string_free (f->text, TRUE);
  g_string_free (f->reasoning, TRUE);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
}

static char *
run_turn (Fixture     *f,
          const char  *input,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_agent_run_async (f->agent, f->session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  return nb_agent_run_finish (f->agent, result, error);
}

static const char *
last_content (NbSession *session)
{
  return nb_message_get_content (nb_session_get_message (session, nb_session_get_n_messages (session) - 1));
}

/* The session file: valid UTF-8, and it loads again (in a new store, as
 * the next start does) and in the Python nanobot's loader. */
static void
assert_session_file_valid (Fixture    *f,
                           const char *expected_reply)
{
  g_autofree char *path = nb_session_store_get_path (f->store, "desktop:utf8");
  g_autofree char *contents = nb_test_read_file (path);
  g_autofree char *sessions = g_build_filename (f->dir, "sessions", NULL);
  g_autoptr(NbSessionStore) store = nb_session_store_new (sessions);
  g_autoptr(NbSession) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) python = NULL;

  g_assert_true (g_utf8_validate (contents, -1, NULL));

  loaded = nb_session_store_open (store, "desktop:utf8", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_n_messages (loaded), ==, nb_session_get_n_messages (f->session));
  g_assert_cmpstr (last_content (loaded), ==, expected_reply);

  python = nb_test_python_load_session (path);  /* fails the test if it cannot load */
  g_assert_nonnull (python);
}

/* issue item 4: lone surrogates in a streamed reply become U+FFFD; the
 * session file is valid UTF-8 and loads. */
static void
test_item4_reply_lone_surrogate (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");

  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\ud800b\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\udc00 \"}}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"end\\ud800\"}}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: [DONE]\n\n", -1, 1);

  reply = run_turn (f, "hi", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "a" FFFD "b" FFFD " end" FFFD);
  g_assert_cmpstr (f->text->str, ==, reply);
  g_assert_cmpstr (last_content (f->session), ==, reply);
  assert_session_file_valid (f, reply);
}

/* issue item 4: an emoji split across two deltas as surrogate escapes
 * comes out as the emoji (it used to fail the turn with "malformed JSON"),
 * in the text and in the reasoning. */
static void
test_item4_split_emoji (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");

  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"\\ud83d\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"\\ude00\"}}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Smile \\ud83d\"}}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ude00!\"}}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: [DONE]\n\n", -1, 1);

  reply = run_turn (f, "hi", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Smile " EMOJI "!");
  g_assert_cmpstr (f->text->str, ==, "Smile " EMOJI "!");
  g_assert_cmpstr (f->reasoning->str, ==, EMOJI);
  assert_session_file_valid (f, reply);
}

/* issue item 4: a reply that is not streamed, with a lone surrogate right
 * before a closing quote (json-glib failed on it). */
static void
test_item4_json_body (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  nb_fake_llm_queue_body (f->fake, 200, "application/json",
                          "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi \\ud83d\"},"
                          "\"finish_reason\":\"stop\"}]}");
  reply = run_turn (f, "hi", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "hi " FFFD);
  assert_session_file_valid (f, reply);
}

/* issue item 4: a tool argument with a lone surrogate reaches the tool,
 * the session and the next request body as valid UTF-8. */
static void
test_item4_tool_argument (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(NbTestTool) echo = nb_test_tool_new ("echo", NULL, FALSE, 1);
  g_autofree char *reply_stream = nb_fake_llm_openai_text_stream ("Done.");
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  const NbFakeRequest *request;

  nb_tool_registry_add (f->tools, NB_TOOL (echo));
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                              "\"type\":\"function\",\"function\":{\"name\":\"echo\","
                              "\"arguments\":\"{\\\"text\\\":\\\"x\\\\ud800y\\\"}\"}}]}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n", -1, 1);
  nb_fake_response_add_chunk (response, "data: [DONE]\n\n", -1, 1);
  nb_fake_response_add_pieces (nb_fake_llm_queue (f->fake, 200, "text/event-stream"), reply_stream, 16, 1);

  reply = run_turn (f, "hi", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Done.");
  g_assert_cmpuint (echo->n_calls, ==, 1);

  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  request = nb_fake_llm_get_request (f->fake, 1);
  g_assert_true (g_utf8_validate (request->body, request->body_length, NULL));
  g_assert_nonnull (strstr (request->body, "x" FFFD "y"));
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (f->session, 2)), ==,
                   "echo: {\"text\":\"x" FFFD "y\"}");
  assert_session_file_valid (f, reply);
}

/* issue item 4: the one JSON loader every outside string goes through
 * (MCP messages, web results, tool arguments, files). */
static void
test_item4_json_loader (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  g_assert_true (nb_json_parser_load (parser,
                                      "{\"a\":\"x\\ud83dy\",\"b\":\"\\ud800\",\"c\":\"\\ud83d\\ude00\","
                                      "\"d\":\"\\udc00\\ud800\\u0041\",\"e\":\"\\\\ud800\"}", -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "a"), ==, "x" FFFD "y");
  g_assert_cmpstr (json_object_get_string_member (root, "b"), ==, FFFD);
  g_assert_cmpstr (json_object_get_string_member (root, "c"), ==, EMOJI);
  g_assert_cmpstr (json_object_get_string_member (root, "d"), ==, FFFD FFFD "A");
  /* An escaped backslash is not an escape. */
  g_assert_cmpstr (json_object_get_string_member (root, "e"), ==, "\\ud800");

  /* Short escapes: json-glib would decode "\\uddd" followed by a
   * non-digit as the surrogate U+DDD0 (found by fuzz-mcp). */
  g_clear_object (&parser);
  parser = json_parser_new ();
  g_assert_true (nb_json_parser_load (parser,
                                      "{\"a\":\"x\\uddd\x12y\",\"b\":\"\\ud8\",\"c\":\"\\u00e9\\u41\",\"d\":\"\\ud83d\\ude0z\"}",
                                      -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; i < 4; i++)
    g_assert_true (g_utf8_validate (json_object_get_string_member (root, (const char *[]) { "a", "b", "c", "d" }[i]), -1, NULL));
  g_assert_cmpstr (json_object_get_string_member (root, "a"), ==, "x" FFFD "\x12y");
  g_assert_cmpstr (json_object_get_string_member (root, "b"), ==, FFFD);
  g_assert_cmpstr (json_object_get_string_member (root, "c"), ==, "\xc3\xa9" FFFD);
  g_assert_cmpstr (json_object_get_string_member (root, "d"), ==, FFFD FFFD "z");
}

/* issue item 4: the session writer is the last line of defence: invalid
 * UTF-8 that reached a session never reaches its file. */
static void
test_item4_session_writer (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(NbMessage) message = nb_message_new ("user", "bad \xed\xa0\x80 bytes \xff");
  g_autoptr(GError) error = NULL;

  nb_session_append (f->session, message);
  g_assert_true (nb_session_store_append (f->store, f->session, &error));
  g_assert_no_error (error);
  g_assert_true (nb_session_store_sync (f->store, f->session, &error));
  g_assert_no_error (error);
  assert_session_file_valid (f, "bad " FFFD FFFD FFFD " bytes " FFFD);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/utf8/item4-json-loader", test_item4_json_loader);
  ADD ("/utf8/item4-reply-lone-surrogate", test_item4_reply_lone_surrogate);
  ADD ("/utf8/item4-split-emoji", test_item4_split_emoji);
  ADD ("/utf8/item4-json-body", test_item4_json_body);
  ADD ("/utf8/item4-tool-argument", test_item4_tool_argument);
  ADD ("/utf8/item4-session-writer", test_item4_session_writer);
#undef ADD

  return g_test_run ();
}
