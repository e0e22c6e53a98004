/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-assistant.h"
#include "nb-conversation.h"
#include "nb-fake-llm.h"
#include "nb-memory-store.h"
#include "nb-slash-commands.h"
#include "nb-test-util.h"
#include "nb-workspace-private.h"

/*
 * NbAssistant, the object every front end runs turns through, against the
 * fake OpenAI-compatible server and real files, with no code from app/:
 * a full turn with a tool, slash commands, a sub-agent, the session's
 * list-model contract while a reply streams, usage, and configuration
 * changes picked up by the next turn.
 */

typedef struct {
  char        *dir;
  char        *workspace;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  NbSession   *session;
} Fixture;

static void
write_config (Fixture    *f,
              const char *model,
              const char *extra)
{
  g_autofree char *text =
    g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"%s\",\"memoryModel\":\"memory-model\","
                     "\"memoryWindow\":50,\"workspace\":\"%s\"}},"
                     "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}%s}",
                     model, f->workspace, nb_fake_llm_get_url (f->fake), extra != NULL ? extra : "");

  nb_test_write_file (f->config_path, text);
}

static void
open_session (Fixture    *f,
              const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->session);
  nb_assistant_open_session_async (f->assistant, key, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  f->session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  write_config (f, "main-model", NULL);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);
  open_session (f, "desktop:test");
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

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean gone = FALSE;

  nb_assistant_cancel_background (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_clear_object (&f->session);
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_object_unref (f->assistant);
  nb_test_wait_for (&gone, 30000);
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->config_path);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
queue_tool_call (Fixture    *f,
                 const char *name,
                 const char *arguments_json)
{
  g_autofree char *escaped = g_strescape (arguments_json, NULL);
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                     "\"id\":\"call_%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\","
                     "\"arguments\":\"%s\"}}]}}]}\n\n"
                     "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                     "data: [DONE]\n\n", name, name, escaped);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static char *
run (Fixture     *f,
     const char  *input,
     gboolean    *is_command,
     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_assistant_run_async (f->assistant, f->session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  return nb_assistant_run_finish (f->assistant, result, is_command, error);
}

static gboolean
request_has_tool (Fixture    *f,
                  guint       index,
                  const char *name)
{
  JsonObject *request = nb_fake_llm_get_request_object (f->fake, index);
  JsonArray *tools = json_object_get_array_member (request, "tools");

  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *function = json_object_get_object_member (json_array_get_object_element (tools, i), "function");

      if (g_strcmp0 (json_object_get_string_member (function, "name"), name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A full turn */

static void
test_turn_with_tool (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *notes = g_build_filename (f->workspace, "notes.txt", NULL);
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:test");
  g_autofree char *arguments = g_strdup_printf ("{\"path\":\"%s\"}", notes);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *file = NULL;
  gboolean is_command = TRUE;

  g_mkdir_with_parents (f->workspace, 0700);
  nb_test_write_file (notes, "The meeting is on Tuesday.");
  queue_tool_call (f, "read_file", arguments);
  queue_text (f, "It is on Tuesday.");

  reply = run (f, "When is the meeting?", &is_command, &error);
  g_assert_no_error (error);
  g_assert_false (is_command);
  g_assert_cmpstr (reply, ==, "It is on Tuesday.");

  /* The tool's result reached the model; message and spawn are offered. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 1)->body, "The meeting is on Tuesday."));
  g_assert_true (request_has_tool (f, 0, "read_file"));
  g_assert_true (request_has_tool (f, 0, "message"));
  g_assert_true (request_has_tool (f, 0, "spawn"));

  /* user, assistant with the call, tool result, reply: in memory and on disk. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 4);
  file = nb_test_read_file (path);
  g_assert_nonnull (strstr (file, "When is the meeting?"));
  g_assert_nonnull (strstr (file, "\"tool_call_id\":\"call_read_file\""));
  g_assert_nonnull (strstr (file, "It is on Tuesday."));
}

/* The session as a list model */

typedef struct {
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static void
text_notify_cb (NbMessage  *message,
                GParamSpec *pspec,
                GPtrArray  *seen)
{
  g_ptr_array_add (seen, nb_message_dup_text (message));
}

static void
streaming_added_cb (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    GPtrArray  *seen)
{
  g_autoptr(NbMessage) message = NULL;

  if (added != 1 || removed != 0)
    return;
  message = g_list_model_get_item (model, position);
  if (nb_message_is_streaming (message))
    g_signal_connect (message, "notify::text", G_CALLBACK (text_notify_cb), seen);
}

static void
assert_change (GArray *changes,
               guint   index,
               guint   position,
               guint   removed,
               guint   added)
{
  Change *change;

  g_assert_cmpuint (index, <, changes->len);
  change = &g_array_index (changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

static void
test_list_model (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(NbMessage) last = NULL;
  NbFakeResponse *slow;

  g_signal_connect (f->session, "items-changed", G_CALLBACK (items_changed_cb), changes);
  g_signal_connect (f->session, "items-changed", G_CALLBACK (streaming_added_cb), seen);

  /* A reply in three deltas, 100 ms apart: each shows in the growing item. */
  slow = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo th\"}}]}\n\n", -1, 100);
  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ere\"},\"finish_reason\":\"stop\"}]}\n\n"
                                    "data: [DONE]\n\n", -1, 100);
  reply = run (f, "hi", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Hello there");

  /* The user's message, the streaming reply added after it, then replaced
   * in place by the stored reply. */
  g_assert_cmpuint (changes->len, ==, 3);
  assert_change (changes, 0, 0, 0, 1);
  assert_change (changes, 1, 1, 0, 1);
  assert_change (changes, 2, 1, 1, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 2);
  last = g_list_model_get_item (G_LIST_MODEL (f->session), 1);
  g_assert_false (nb_message_is_streaming (last));
  g_assert_cmpstr (nb_message_get_role (last), ==, "assistant");

  /* The text grew in steps (coalesced, but the deltas were 100 ms apart). */
  g_assert_cmpuint (seen->len, >=, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "Hel");
  g_assert_cmpstr (g_ptr_array_index (seen, seen->len - 1), ==, "Hello there");

  /* A failed reply leaves no trace in the model. */
  g_array_set_size (changes, 0);
  nb_fake_llm_queue_body (f->fake, 400, "application/json", "{\"error\":{\"message\":\"bad\"}}");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "again", NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (changes->len, ==, 1);
  assert_change (changes, 0, 2, 0, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 3);

  /* /new empties it in one change. */
  g_array_set_size (changes, 0);
  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream",
                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
                          "\"type\":\"function\",\"function\":{\"name\":\"save_memory\",\"arguments\":"
                          "\"{\\\"history_entry\\\":\\\"[2026-01-01 10:00] Said hi.\\\",\\\"memory_update\\\":\\\"- Says hi.\\\"}\"}}]}}]}\n\n"
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                          "data: [DONE]\n\n");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "/new", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 1);
  assert_change (changes, 0, 0, 3, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 0);

  g_signal_handlers_disconnect_by_data (f->session, changes);
  g_signal_handlers_disconnect_by_data (f->session, seen);
}

static void
test_list_model_load (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:load");
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(NbMessage) streaming = NULL;

  g_signal_connect (session, "items-changed", G_CALLBACK (items_changed_cb), changes);
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (loaded, nb_message_new ("user", "old"));
  nb_session_add_saved (session, loaded);
  assert_change (changes, 0, 0, 0, 5);

  /* A message appended while a reply streams goes before it. */
  streaming = g_object_ref (nb_session_begin_streaming (session));
  assert_change (changes, 1, 5, 0, 1);
  {
    g_autoptr(NbMessage) tool = nb_message_new ("tool", "result");

    nb_session_append (session, tool);
  }
  assert_change (changes, 2, 5, 0, 1);
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 6);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session)), ==, 7);
  {
    g_autoptr(NbMessage) item = g_list_model_get_item (G_LIST_MODEL (session), 6);

    g_assert_true (item == streaming);
  }
  nb_session_end_streaming (session);
  assert_change (changes, 3, 6, 1, 0);
  g_assert_cmpuint (changes->len, ==, 4);
}

/* Usage */

static void
usage_cb (NbAgent   *agent,
          NbSession *session,
          NbUsage   *usage,
          gint64     context_tokens,
          NbUsage   *out)
{
  *out = *usage;
}

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:test");
  g_autofree char *file = NULL;
  NbUsage usage = { 0 };
  JsonObject *metadata;

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream",
                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n"
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1200,\"completion_tokens\":7,"
                          "\"prompt_tokens_details\":{\"cached_tokens\":1024}}}\n\n"
                          "data: [DONE]\n\n");
  g_signal_connect (nb_assistant_get_agent (f->assistant), "usage", G_CALLBACK (usage_cb), &usage);
  reply = run (f, "hi", NULL, &error);
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_func (nb_assistant_get_agent (f->assistant), usage_cb, &usage);

  /* 1200 prompt tokens, 1024 of them from the cache. */
  g_assert_cmpint (usage.input_tokens, ==, 1200 - 1024);
  g_assert_cmpint (usage.output_tokens, ==, 7);
  g_assert_cmpint (usage.cache_read_tokens, ==, 1024);
  metadata = nb_session_get_metadata (f->session);
  g_assert_true (json_object_has_member (metadata, "usage"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (metadata, "usage"), "completion_tokens"), ==, 7);
  file = nb_test_read_file (path);
  g_assert_nonnull (strstr (file, "\"cache_read_tokens\":1024"));
}

/* Slash commands: answered by the assistant, never the model's text */

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gboolean is_command = FALSE;
  g_autofree char *reply = run (f, "/help", &is_command, &error);

  g_assert_no_error (error);
  g_assert_true (is_command);
  g_assert_nonnull (strstr (reply, "/new"));
  g_assert_nonnull (strstr (reply, "/stop"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
}

static void
queue_save_memory (Fixture    *f,
                   const char *entry,
                   const char *memory)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *arguments = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "history_entry");
  json_builder_add_string_value (builder, entry);
  json_builder_set_member_name (builder, "memory_update");
  json_builder_add_string_value (builder, memory);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  arguments = json_to_string (node, FALSE);
  queue_tool_call (f, "save_memory", arguments);
}

static void
test_new (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *history_path = g_build_filename (f->workspace, "memory", "HISTORY.md", NULL);
  g_autofree char *history = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:test");
  JsonObject *request;

  queue_text (f, "noted");
  reply = run (f, "my cat is called Mina", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_free);

  queue_save_memory (f, "[2026-02-20 09:15] The user's cat is Mina.", "- Cat: Mina.\n");
  reply = run (f, "/new", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);

  request = nb_fake_llm_get_request_object (f->fake, 1);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "memory-model");
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 1)->body, "my cat is called Mina"));
  history = nb_test_read_file (history_path);
  g_assert_true (g_str_has_suffix (history, "The user's cat is Mina.\n\n"));
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
  file = nb_test_read_file (path);
  g_assert_cmpuint (strlen (file), ==, (gsize) (strchr (file, '\n') - file) + 1);
}

static void
test_new_failure (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  queue_text (f, "noted");
  reply = run (f, "remember this", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_free);

  /* The model answers without calling save_memory. */
  queue_text (f, "I would rather not.");
  reply = run (f, "/new", NULL, &error);
  g_assert_null (reply);
  /* The new session starts all the same; the old one is kept aside, and
   * the error says that memory was not updated (issue 11). */
  g_assert_error (error, NB_SLASH_COMMAND_ERROR, NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED);
  g_assert_nonnull (strstr (error->message, "memory was not updated"));
  g_assert_nonnull (strstr (error->message, "did not call save_memory"));
  g_assert_nonnull (strstr (error->message, "kept in "));
  g_assert_nonnull (strstr (error->message, ".archived-"));
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
}

static void
test_stop (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stop_reply = NULL;
  g_autofree char *nothing = NULL;
  g_autofree char *reply = NULL;
  NbFakeResponse *slow = nb_fake_llm_queue (f->fake, 200, "text/event-stream");

  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (slow, "data: [DONE]\n\n", -1, 20000);

  /* No cancellable of our own: /stop still stops the turn. */
  nb_assistant_run_async (f->assistant, f->session, "tell me a long story", NULL, nb_test_store_result_cb, &result);
  while (nb_fake_llm_get_n_requests (f->fake) == 0)
    g_main_context_iteration (NULL, TRUE);

  stop_reply = run (f, "/stop", NULL, &error);
  g_assert_no_error (error);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpstr (stop_reply, !=, "");
  /* Nothing of the cut reply stays in the model. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 1);

  nothing = run (f, "/stop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nothing, !=, stop_reply);
}

/* Sub-agents */

static void
test_subagent (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbAgent *agent = nb_assistant_get_agent (f->assistant);
  gboolean announced = FALSE;

  queue_tool_call (f, "spawn", "{\"task\":\"count the files\",\"label\":\"count\"}");
  /* The main turn's answer, the sub-agent's result and the announcement
   * turn's answer, in whatever order they are asked for. */
  queue_text (f, "Started it.");
  queue_text (f, "There are 3 files.");
  queue_text (f, "Your files are counted: 3.");

  reply = run (f, "count my files in the background", NULL, &error);
  g_assert_no_error (error);

  while (nb_agent_is_busy (agent))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 4);
  /* The sub-agent gets no spawn or message tool. */
  for (guint i = 1; i < 4; i++)
    {
      JsonObject *request = nb_fake_llm_get_request_object (f->fake, i);

      if (strstr (nb_fake_llm_get_request (f->fake, i)->body, "# Sub-agent") != NULL)
        {
          g_assert_false (request_has_tool (f, i, "spawn"));
          g_assert_false (request_has_tool (f, i, "message"));
          g_assert_true (request_has_tool (f, i, "read_file"));
          g_assert_nonnull (request);
        }
    }
  for (guint i = 0; i < nb_session_get_n_messages (f->session); i++)
    {
      NbMessage *message = nb_session_get_message (f->session, i);

      if (g_strcmp0 (nb_message_get_sender (message), "subagent") == 0)
        {
          g_assert_nonnull (strstr (nb_message_get_content (message), "[Subagent 'count' completed successfully]"));
          announced = TRUE;
        }
    }
  g_assert_true (announced);
  g_assert_cmpstr (nb_message_get_role (nb_session_get_message (f->session, nb_session_get_n_messages (f->session) - 1)),
                   ==, "assistant");
}

/* Configuration changes */

static void
test_config_change (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  queue_text (f, "one");
  reply = run (f, "first", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 0), "model"), ==, "main-model");

  /* Saved through the config object (Preferences). */
  nb_config_set_string (f->config, "agents.defaults.model", "second-model");
  g_assert_true (nb_config_save (f->config, NULL, &error));
  g_assert_no_error (error);
  queue_text (f, "two");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "second", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 1), "model"), ==, "second-model");

  /* A per-conversation model (metadata, as /model stores it) wins. */
  json_object_set_string_member (nb_session_get_metadata (f->session), "model", "chat-model");
  queue_text (f, "three");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "third", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 2), "model"), ==, "chat-model");
}

static void
set_flag_cb (gboolean *flag)
{
  *flag = TRUE;
}

static void
test_config_file_edited (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  gboolean changed = FALSE;
  gulong id;

  /* Another program (an editor) rewrites the file: the next turn uses it. */
  id = g_signal_connect_swapped (f->config, "changed", G_CALLBACK (set_flag_cb), &changed);
  write_config (f, "edited-model", NULL);
  nb_test_wait_for (&changed, 10000);
  g_signal_handler_disconnect (f->config, id);

  queue_text (f, "ok");
  reply = run (f, "hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 0), "model"), ==, "edited-model");
}

static void
test_mcp_server_added (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (g_getenv ("NB_MCP_NODE_MODULES"), ".bin", "mcp-server-everything", NULL);
  g_autofree char *servers = g_strdup_printf (",\"tools\":{\"mcpServers\":{\"everything\":{\"command\":\"%s\","
                                              "\"args\":[\"stdio\"]}}}", bin);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  queue_text (f, "no tools yet");
  reply = run (f, "first", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (request_has_tool (f, 0, "mcp_everything_echo"));

  /* Adding the server takes effect for the next turn, no restart. */
  write_config (f, "main-model", servers);
  g_assert_true (nb_config_reload (f->config, &error));
  g_assert_no_error (error);
  queue_text (f, "now with tools");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "second", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (request_has_tool (f, 1, "mcp_everything_echo"));

  /* Removing it takes its tools away again and stops it. */
  write_config (f, "main-model", NULL);
  g_assert_true (nb_config_reload (f->config, &error));
  g_assert_cmpuint (g_list_model_get_n_items (nb_mcp_manager_get_servers (nb_assistant_get_mcp_manager (f->assistant))), ==, 0);
  queue_text (f, "gone");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "third", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (request_has_tool (f, 2, "mcp_everything_echo"));
}

/* The conversations model: ours after a turn, and a session that another
 * process (`nanobot -m` in a terminal) writes. */
static gboolean
has_conversation (GListModel *model,
                  const char *key)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NbConversation) conversation = g_list_model_get_item (model, i);

      if (g_strcmp0 (nb_conversation_get_key (conversation), key) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_conversations (Fixture       *f,
                    gconstpointer  data)
{
  GListModel *model = nb_assistant_get_conversations (f->assistant);
  g_autofree char *other = g_build_filename (f->dir, "sessions", "cli_direct.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  gint64 deadline;

  queue_text (f, "hello");
  reply = run (f, "hi there", NULL, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!has_conversation (model, "desktop:test") && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (has_conversation (model, "desktop:test"));

  nb_test_write_file (other,
                      "{\"_type\":\"metadata\",\"key\":\"cli:direct\",\"created_at\":\"2026-12-01T10:00:00\","
                      "\"updated_at\":\"2099-12-01T10:00:00\",\"metadata\":{},\"last_consolidated\":0}\n"
                      "{\"role\":\"user\",\"content\":\"from the terminal\",\"timestamp\":\"2099-12-01T10:00:00\"}\n");
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!has_conversation (model, "cli:direct") && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (has_conversation (model, "cli:direct"));
  {
    g_autoptr(NbConversation) first = g_list_model_get_item (model, 0);

    g_assert_cmpstr (nb_conversation_get_key (first), ==, "cli:direct");
  }
}

/* What a turn costs besides the model: the guard of the performance
 * design (HACKING.md). Counted, not timed. */

static guint
count_metadata_lines (const char *path)
{
  g_autofree char *file = nb_test_read_file (path);
  guint n = 0;

  for (const char *at = file; (at = strstr (at, "\"_type\":\"metadata\"")) != NULL; at++)
    n++;
  return n;
}

static void
queue_text_with_usage (Fixture    *f,
                       const char *text,
                       guint       prompt_tokens)
{
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}\n\n"
                     "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":3}}\n\n"
                     "data: [DONE]\n\n", text, prompt_tokens);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
test_turn_cost (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:test");
  g_autofree char *notes = g_build_filename (f->workspace, "notes.txt", NULL);
  g_autofree char *arguments = g_strdup_printf ("{\"path\":\"%s\"}", notes);
  g_autofree char *file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  const char *last;
  guint reads, lines;

  /* The first turn builds the system prompt and starts the file. */
  queue_text_with_usage (f, "one", 100);
  reply = run (f, "first", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_metadata_lines (path), ==, 2);

  /* A saved configuration and a conversation's metadata saved by its
   * front end feed no prompt file, and a read-only tool writes nothing:
   * the next turn is served the cached prompt (no workspace file read),
   * and its usage and message count go out in one metadata line. */
  nb_test_write_file (notes, "Tuesday.");
  nb_config_set_string (f->config, "agents.defaults.model", "second-model");
  g_assert_true (nb_config_save (f->config, NULL, &error));
  g_assert_no_error (error);
  json_object_set_string_member (nb_session_get_metadata (f->session), "title", "Meetings");
  g_assert_true (nb_session_store_append (nb_assistant_get_session_store (f->assistant), f->session, &error));
  g_assert_no_error (error);
  reads = nb_workspace_get_read_count ();
  lines = count_metadata_lines (path);
  queue_tool_call (f, "read_file", arguments);
  queue_text_with_usage (f, "two", 200);
  g_clear_pointer (&reply, g_free);
  reply = run (f, "second", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "two");
  g_assert_cmpuint (nb_workspace_get_read_count (), ==, reads);
  g_assert_cmpuint (count_metadata_lines (path), ==, lines + 1);
  file = nb_test_read_file (path);
  last = g_strrstr (file, "\"_type\":\"metadata\"");
  g_assert_nonnull (strstr (last, "\"title\":\"Meetings\""));
  g_assert_nonnull (strstr (last, "\"prompt_tokens\":200"));
  g_assert_nonnull (strstr (last, "\"message_count\":6"));

  /* A turn that changes nothing in the metadata and appends no message
   * (a command) writes no metadata line. */
  g_clear_pointer (&reply, g_free);
  reply = run (f, "/help", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_metadata_lines (path), ==, lines + 1);

  /* A prompt file edited by hand is read again at the next turn, which
   * is what the counter above would have seen. */
  {
    g_autofree char *soul = g_build_filename (f->workspace, "SOUL.md", NULL);

    nb_test_write_file (soul, "Answer in haiku.");
    reads = nb_workspace_get_read_count ();
    queue_text_with_usage (f, "three", 300);
    g_clear_pointer (&reply, g_free);
    reply = run (f, "third", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (nb_workspace_get_read_count (), >, reads);
    g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 3)->body, "Answer in haiku."));
  }
}

/* Retry: after a provider error the user's message is in the session
 * unanswered; Retry answers it without appending it again, and there is
 * nothing to retry once it is answered. */
static void
test_retry (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *reply = NULL;
  JsonArray *messages;
  guint users = 0;

  nb_fake_llm_queue_body (f->fake, 400, "application/json", "{\"error\":{\"message\":\"bad request\"}}");
  reply = run (f, "What is two plus two?", NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 1);

  queue_text (f, "Four.");
  nb_assistant_retry_async (f->assistant, f->session, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Four.");
  g_clear_object (&result);

  /* The session: the question once, then the answer. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 2);
  g_assert_cmpstr (nb_message_get_role (nb_session_get_message (f->session, 0)), ==, "user");
  g_assert_cmpstr (nb_message_get_role (nb_session_get_message (f->session, 1)), ==, "assistant");

  /* The request: the question once, last. */
  messages = json_object_get_array_member (nb_fake_llm_get_request_object (f->fake, 1), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      JsonNode *content = json_object_get_member (message, "content");

      if (g_strcmp0 (json_object_get_string_member (message, "role"), "user") == 0 &&
          JSON_NODE_HOLDS_VALUE (content) &&
          g_strcmp0 (json_node_get_string (content), "What is two plus two?") == 0)
        users++;
    }
  g_assert_cmpuint (users, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, json_array_get_length (messages) - 1),
                                                  "role"), ==, "user");

  /* Answered: nothing to retry, and nothing is sent. */
  nb_assistant_retry_async (f->assistant, f->session, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  g_clear_pointer (&reply, g_free);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/assistant/turn-with-tool", test_turn_with_tool);
  ADD ("/assistant/list-model", test_list_model);
  ADD ("/assistant/list-model-load", test_list_model_load);
  ADD ("/assistant/usage", test_usage);
  ADD ("/assistant/help", test_help);
  ADD ("/assistant/new", test_new);
  ADD ("/assistant/new-failure", test_new_failure);
  ADD ("/assistant/stop", test_stop);
  ADD ("/assistant/subagent", test_subagent);
  ADD ("/assistant/config-change", test_config_change);
  ADD ("/assistant/config-file-edited", test_config_file_edited);
  ADD ("/assistant/mcp-server-added", test_mcp_server_added);
  ADD ("/assistant/conversations", test_conversations);
  ADD ("/assistant/turn-cost", test_turn_cost);
  ADD ("/assistant/retry", test_retry);
#undef ADD

  return g_test_run ();
}
