/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The agent with its workspace, memory and session file, against a fake
 * OpenAI-compatible server: what each LLM call carried (the system prompt
 * after an external edit, the save_memory call and its model), and the
 * slash commands.
 */
#include "config.h"

#include "nb-agent.h"
#include "nb-exec-tool.h"
#include "nb-fake-llm.h"
#include "nb-openai-provider.h"
#include "nb-test-util.h"

typedef struct {
  char             *dir;
  char             *workspace;
  NbFakeLlm        *fake;
  NbProvider       *provider;
  NbConfig         *config;
  NbToolRegistry   *tools;
  NbContextBuilder *context;
  NbSessionStore   *store;
  NbMemoryStore    *memory;
  NbAgent          *agent;
  NbSession        *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  f->provider = nb_openai_provider_new ("openai", nb_fake_llm_get_url (f->fake), "sk-test");
  f->config = nb_config_new ();
  nb_config_set_string (f->config, "agents.defaults.model", "main-model");
  nb_config_set_string (f->config, "agents.defaults.memoryModel", "memory-model");
  nb_config_set_int (f->config, "agents.defaults.memoryWindow", 50);
  f->tools = nb_tool_registry_new ();
  f->context = nb_context_builder_new (f->workspace);
  f->store = nb_session_store_new (sessions);
  f->memory = nb_memory_store_new (f->workspace);
  f->agent = nb_agent_new (f->provider, f->config, f->tools, f->context);
  nb_agent_set_session_store (f->agent, f->store);
  nb_agent_set_memory_store (f->agent, f->memory);
  f->session = nb_session_store_open (f->store, "desktop:test", &error);
  g_assert_no_error (error);
}

static void
gone_cb (gpointer  data,
         GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
  /* The last reference may go in a worker thread (a GTask's), while
   * the main thread sleeps in poll(): wake it to see the flag. */
  g_main_context_wakeup (NULL);
}

/* Drops the last reference once worker threads (the store's fdatasync)
 * and late callbacks let go of theirs. */
static void
release (gpointer object)
{
  gboolean gone = FALSE;

  g_object_weak_ref (object, gone_cb, &gone);
  g_object_unref (object);
  nb_test_wait_for (&gone, 30000);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  release (f->agent);
  release (f->memory);
  g_assert_finalize_object (f->context);
  g_object_unref (f->tools);
  g_object_unref (f->config);
  release (f->store);
  release (f->session);
  release (f->provider);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

/* Queues a reply that calls @name with @arguments (an object). */
static void
queue_tool_call (Fixture    *f,
                 const char *name,
                 JsonObject *arguments)
{
  g_autoptr(JsonObject) function = json_object_new ();
  g_autoptr(JsonObject) call = json_object_new ();
  g_autoptr(JsonArray) calls = json_array_new ();
  g_autoptr(JsonObject) delta = json_object_new ();
  g_autoptr(JsonObject) choice = json_object_new ();
  g_autoptr(JsonArray) choices = json_array_new ();
  g_autoptr(JsonObject) chunk = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *arguments_text = NULL;
  g_autofree char *chunk_text = NULL;
  g_autofree char *body = NULL;
  g_autofree char *id = g_strdup_printf ("call_%s", name);

  json_node_set_object (node, arguments);
  arguments_text = json_to_string (node, FALSE);

  json_object_set_string_member (function, "name", name);
  json_object_set_string_member (function, "arguments", arguments_text);
  json_object_set_int_member (call, "index", 0);
  json_object_set_string_member (call, "id", id);
  json_object_set_string_member (call, "type", "function");
  json_object_set_object_member (call, "function", json_object_ref (function));
  json_array_add_object_element (calls, json_object_ref (call));
  json_object_set_array_member (delta, "tool_calls", json_array_ref (calls));
  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "delta", json_object_ref (delta));
  json_array_add_object_element (choices, json_object_ref (choice));
  json_object_set_array_member (chunk, "choices", json_array_ref (choices));
  json_node_set_object (node, chunk);
  chunk_text = json_to_string (node, FALSE);

  body = g_strdup_printf ("data: %s\n\n"
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                          "data: [DONE]\n\n", chunk_text);
  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
queue_save_memory (Fixture    *f,
                   const char *entry,
                   const char *memory)
{
  g_autoptr(JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "history_entry", entry);
  json_object_set_string_member (arguments, "memory_update", memory);
  queue_tool_call (f, "save_memory", arguments);
}

static char *
run (Fixture     *f,
     const char  *input,
     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_agent_run_async (f->agent, f->session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  return nb_agent_run_finish (f->agent, result, error);
}

static const char *
system_prompt_of (Fixture *f,
                  guint    request)
{
  JsonObject *body = nb_fake_llm_get_request_object (f->fake, request);
  JsonObject *first = json_array_get_object_element (json_object_get_array_member (body, "messages"), 0);

  g_assert_cmpstr (json_object_get_string_member (first, "role"), ==, "system");
  return json_object_get_string_member (first, "content");
}

static void
test_external_edit_reaches_next_call (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *soul = g_build_filename (f->workspace, "SOUL.md", NULL);
  g_autoptr(GSubprocess) editor = NULL;

  queue_text (f, "first answer");
  reply = run (f, "hello", &error);
  g_assert_no_error (error);
  g_assert_null (strstr (system_prompt_of (f, 0), "Speak like a pirate."));

  /* Another program edits SOUL.md between two turns. */
  editor = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/bin/sh", "-c",
                             "echo 'Speak like a pirate.' >> \"$0\"", soul, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (editor, NULL, &error);
  g_assert_no_error (error);

  g_clear_pointer (&reply, g_free);
  queue_text (f, "second answer");
  reply = run (f, "again", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (system_prompt_of (f, 1), "## SOUL.md\n\n"));
  g_assert_nonnull (strstr (system_prompt_of (f, 1), "Speak like a pirate."));
  /* The prompt is otherwise the same bytes, and has no clock in it. */
  g_assert_null (strstr (system_prompt_of (f, 1), "Current Time"));
}

/* exec edits SOUL.md in the middle of a turn: the turn's next LLM call
 * already carries the new prompt, and the call after it (nothing changed)
 * the same bytes again. */
static void
test_tool_edit_reaches_next_call_in_turn (Fixture       *f,
                                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) arguments = json_object_new ();
  g_autoptr(JsonObject) read_arguments = json_object_new ();
  g_autofree char *reply = NULL;
  g_autoptr(NbTool) exec = nb_exec_tool_new (f->workspace, FALSE, 10);

  nb_tool_registry_add (f->tools, exec);
  json_object_set_string_member (arguments, "command", "echo 'Speak like a pirate.' >> SOUL.md");
  queue_tool_call (f, "exec", arguments);
  json_object_set_string_member (read_arguments, "command", "cat SOUL.md");
  queue_tool_call (f, "exec", read_arguments);
  queue_text (f, "Arr, done.");
  reply = run (f, "change your soul", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Arr, done.");

  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  g_assert_null (strstr (system_prompt_of (f, 0), "Speak like a pirate."));
  g_assert_nonnull (strstr (system_prompt_of (f, 1), "Speak like a pirate."));
  g_assert_cmpstr (system_prompt_of (f, 2), ==, system_prompt_of (f, 1));
}

static void
test_prompt_stable_across_turns (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *reply = NULL;

      queue_text (f, "ok");
      reply = run (f, "hi", &error);
      g_assert_no_error (error);
    }
  g_assert_cmpstr (system_prompt_of (f, 0), ==, system_prompt_of (f, 1));
}

static void
consolidated_cb (NbMemoryStore *memory,
                 NbSession     *session,
                 gboolean       success,
                 gpointer       user_data)
{
  gboolean *done = user_data;

  g_assert_true (success);
  *done = TRUE;
}

static void
test_background_consolidation (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSessionStore) reader = NULL;
  g_autoptr(NbSession) reloaded = NULL;
  g_autofree char *history_path = g_build_filename (f->workspace, "memory", "HISTORY.md", NULL);
  g_autofree char *memory_path = g_build_filename (f->workspace, "memory", "MEMORY.md", NULL);
  g_autofree char *history = NULL;
  g_autofree char *memory = NULL;
  gboolean done = FALSE;
  JsonObject *request;
  JsonObject *tool;

  g_signal_connect (nb_agent_get_memory_store (f->agent), "consolidated", G_CALLBACK (consolidated_cb), &done);
  nb_config_set_int (f->config, "agents.defaults.memoryWindow", 4);

  /* Two turns: 4 messages, memoryWindow 4: consolidation starts after the
   * second, in the background, with the memory model. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *reply = NULL;
      g_autofree char *input = g_strdup_printf ("question %u", i);

      queue_text (f, "answer");
      /* The consolidation's call comes right after the second turn. */
      if (i == 1)
        queue_save_memory (f, "[2026-02-20 09:15] Two questions were asked.", "- Asks questions.\n");
      reply = run (f, input, &error);
      g_assert_no_error (error);
    }
  nb_test_wait_for (&done, 10000);
  g_signal_handlers_disconnect_by_func (nb_agent_get_memory_store (f->agent), consolidated_cb, &done);
  nb_config_set_int (f->config, "agents.defaults.memoryWindow", 50);

  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  request = nb_fake_llm_get_request_object (f->fake, 2);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "memory-model");
  tool = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (request, "tools"), 0), "function");
  g_assert_cmpstr (json_object_get_string_member (tool, "name"), ==, "save_memory");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (request, "tools")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 0), "model"), ==, "main-model");

  /* 4 messages, keep 2: the first two are consolidated. */
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 2);
  history = nb_test_read_file (history_path);
  g_assert_true (g_str_has_suffix (history, "[2026-02-20 09:15] Two questions were asked.\n\n"));
  memory = nb_test_read_file (memory_path);
  g_assert_cmpstr (memory, ==, "- Asks questions.\n");

  /* The move was saved: the file says so. */
  reader = nb_session_store_new (nb_session_store_get_dir (f->store));
  reloaded = nb_session_store_open (reader, "desktop:test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_n_messages (reloaded), ==, 4);
  g_assert_cmpuint (nb_session_get_last_consolidated (reloaded), ==, 2);

  /* The next prompt has the new memory. */
  {
    g_autofree char *reply = NULL;

    queue_text (f, "ok");
    reply = run (f, "and now?", &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (system_prompt_of (f, 3), "# Memory\n\n- Asks questions."));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/agent-memory/external-edit-reaches-next-call", test_external_edit_reaches_next_call);
  ADD ("/agent-memory/tool-edit-reaches-next-call-in-turn", test_tool_edit_reaches_next_call_in_turn);
  ADD ("/agent-memory/prompt-stable-across-turns", test_prompt_stable_across_turns);
  ADD ("/agent-memory/background-consolidation", test_background_consolidation);
#undef ADD

  return g_test_run ();
}
