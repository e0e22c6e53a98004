/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-agent.h"
#include "nb-exec-tool.h"
#include "nb-file-tools.h"
#include "nb-message-tool.h"
#include "nb-spawn-tool.h"
#include "nb-fake-llm.h"
#include "nb-http-provider.h"
#include "nb-openai-provider.h"
#include "nb-scripted-provider.h"
#include "nb-test-tool.h"
#include "nb-test-util.h"

#define HINT NB_TOOL_REGISTRY_ERROR_HINT

/* A tool that runs a real process and kills it when cancelled, as exec does. */
#define NB_TYPE_SLEEP_TOOL (nb_sleep_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbSleepTool, nb_sleep_tool, NB, SLEEP_TOOL, NbTool)

struct _NbSleepTool
{
  NbTool       parent_instance;
  GSubprocess *process;
};

G_DEFINE_FINAL_TYPE (NbSleepTool, nb_sleep_tool, NB_TYPE_TOOL)

static void
sleep_wait_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error))
    {
      g_subprocess_force_exit (G_SUBPROCESS (source));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_strdup ("slept"), g_free);
}

static void
nb_sleep_tool_execute_async (NbTool              *tool,
                             JsonObject          *arguments,
                             const NbToolContext *context,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  NbSleepTool *self = NB_SLEEP_TOOL (tool);
  GTask *task = g_task_new (tool, cancellable, callback, user_data);
  GError *error = NULL;

  g_clear_object (&self->process);
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep", "30", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (self->process, cancellable, sleep_wait_cb, task);
}

static void
nb_sleep_tool_finalize (GObject *object)
{
  g_clear_object (&NB_SLEEP_TOOL (object)->process);
  G_OBJECT_CLASS (nb_sleep_tool_parent_class)->finalize (object);
}

static void
nb_sleep_tool_class_init (NbSleepToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_sleep_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_sleep_tool_execute_async;
}

static void
nb_sleep_tool_init (NbSleepTool *self)
{
}

typedef struct {
  char               *dir;
  NbScriptedProvider *provider;
  NbConfig           *config;
  NbToolRegistry     *tools;
  NbContextBuilder   *context;
  NbAgent            *agent;
  NbSession          *session;
  GPtrArray          *log;        /* tool starts and ends, shared by the test tools */
  GPtrArray          *events;     /* the agent's signals, as text */
  GString            *text;       /* text deltas */
  GString            *reasoning;
  GPtrArray          *messages;   /* NbAgent::message, "channel:chat_id:content" */
  GPtrArray          *replies;    /* NbAgent::turn-finished replies ("(null)" for none) */
  GCancellable       *cancellable;
  char               *cancel_after; /* cancel when this call id finished */
  NbTestTool         *slow;         /* released last by release_in_reverse_cb() */
  NbTestTool         *medium;
  NbTestTool         *fast;
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
tool_call_started_cb (NbAgent    *agent,
                      NbSession  *session,
                      const char *call_id,
                      const char *name,
                      const char *arguments,
                      Fixture    *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("started %s %s %s", call_id, name, arguments));
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
tool_call_finished_cb (NbAgent    *agent,
                       NbSession  *session,
                       const char *call_id,
                       const char *name,
                       const char *result,
                       Fixture    *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("finished %s %s", call_id, name));
  if (g_strcmp0 (call_id, f->cancel_after) == 0)
    g_idle_add (cancel_idle_cb, f->cancellable);
}

static gboolean
release_in_reverse_idle_cb (gpointer user_data)
{
  Fixture *f = user_data;

  nb_test_tool_release (f->fast);
  nb_test_tool_release (f->medium);
  nb_test_tool_release (f->slow);
  return G_SOURCE_REMOVE;
}

static void
release_in_reverse_cb (NbAgent    *agent,
                       NbSession  *session,
                       const char *call_id,
                       const char *name,
                       const char *arguments,
                       Fixture    *f)
{
  if (g_str_equal (name, "fast"))
    g_idle_add (release_in_reverse_idle_cb, f);
}

static void
message_cb (NbAgent            *agent,
            NbSession          *session,
            const char         *channel,
            const char         *chat_id,
            const char         *content,
            const char * const *media,
            Fixture            *f)
{
  g_ptr_array_add (f->messages, g_strdup_printf ("%s:%s:%s:%u", channel, chat_id, content,
                                                 media != NULL ? g_strv_length ((char **) media) : 0));
}

static void
turn_finished_cb (NbAgent      *agent,
                  NbSession    *session,
                  const char   *reply,
                  const GError *error,
                  Fixture      *f)
{
  g_ptr_array_add (f->replies, g_strdup (reply != NULL ? reply : "(null)"));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->provider = nb_scripted_provider_new ();
  f->config = nb_config_new ();
  nb_config_set_string (f->config, "agents.defaults.model", "test-model");
  f->tools = nb_tool_registry_new ();
  f->context = nb_context_builder_new (f->dir);
  f->agent = nb_agent_new (NB_PROVIDER (f->provider), f->config, f->tools, f->context);
  f->session = nb_session_new ("desktop:chat1");
  f->log = g_ptr_array_new_with_free_func (g_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->text = g_string_new (NULL);
  f->reasoning = g_string_new (NULL);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->replies = g_ptr_array_new_with_free_func (g_free);
  f->cancellable = g_cancellable_new ();

  g_signal_connect (f->agent, "text-delta", G_CALLBACK (text_delta_cb), f);
  g_signal_connect (f->agent, "reasoning-delta", G_CALLBACK (reasoning_delta_cb), f);
  g_signal_connect (f->agent, "tool-call-started", G_CALLBACK (tool_call_started_cb), f);
  g_signal_connect (f->agent, "tool-call-finished", G_CALLBACK (tool_call_finished_cb), f);
  g_signal_connect (f->agent, "message", G_CALLBACK (message_cb), f);
  g_signal_connect (f->agent, "turn-finished", G_CALLBACK (turn_finished_cb), f);
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
  /* Late callbacks of cancelled work still hold the turn. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->agent);
  /* The store's background fdatasync may hold the session a little longer. */
  {
    gboolean gone = FALSE;

    g_object_weak_ref (G_OBJECT (f->session), session_gone_cb, &gone);
    g_object_unref (f->session);
    nb_test_wait_for (&gone, 5000);
  }
  g_assert_finalize_object (f->provider);
  g_clear_object (&f->tools);
  g_clear_object (&f->context);
  g_clear_object (&f->config);
  g_clear_object (&f->cancellable);
  g_ptr_array_unref (f->log);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->replies);
  g_string_free (f->text, TRUE);
  g_string_free (f->reasoning, TRUE);
  g_free (f->cancel_after);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
}

static NbTestTool *
add_tool (Fixture    *f,
          const char *name,
          gboolean    side_effects,
          guint       delay_ms)
{
  g_autoptr(NbTestTool) tool = nb_test_tool_new (name, NULL, side_effects, delay_ms);

  tool->log = f->log;
  nb_tool_registry_add (f->tools, NB_TOOL (tool));
  return tool; /* the registry holds it */
}

static char *
run_turn (Fixture     *f,
          const char  *input,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_agent_run_async (f->agent, f->session, input, f->cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  return nb_agent_run_finish (f->agent, result, error);
}

static JsonObject *
session_json (Fixture *f,
              guint    position)
{
  return nb_message_get_json (nb_session_get_message (f->session, position));
}

static const char *
session_role (Fixture *f,
              guint    position)
{
  return nb_message_get_role (nb_session_get_message (f->session, position));
}

static const char *
session_content (Fixture *f,
                 guint    position)
{
  return nb_message_get_content (nb_session_get_message (f->session, position));
}

static guint
log_index (Fixture    *f,
           const char *entry)
{
  for (guint i = 0; i < f->log->len; i++)
    if (g_str_equal (g_ptr_array_index (f->log, i), entry))
      return i;
  g_error ("%s not in the log", entry);
}

/* Every assistant tool call has exactly one tool result after it, and every
 * tool result answers a call. */
static void
assert_session_consistent (Fixture *f)
{
  g_autoptr(GHashTable) open_calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < nb_session_get_n_messages (f->session); i++)
    {
      NbMessage *message = nb_session_get_message (f->session, i);
      JsonArray *calls = nb_message_get_tool_calls (message);

      if (g_str_equal (nb_message_get_role (message), "tool"))
        g_assert_true (g_hash_table_remove (open_calls, nb_message_get_tool_call_id (message)));
      else
        g_assert_cmpuint (g_hash_table_size (open_calls), ==, 0);

      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        g_hash_table_add (open_calls, g_strdup (json_object_get_string_member (json_array_get_object_element (calls, j), "id")));
    }
  g_assert_cmpuint (g_hash_table_size (open_calls), ==, 0);
}

static void
save_failed_cb (NbAgent    *agent,
                NbSession  *session,
                const char *message,
                GPtrArray  *failures)
{
  g_ptr_array_add (failures, g_strdup (message));
}

/* What NbAssistant registers for the agent: the message and spawn tools. */
static void
add_agent_tools (Fixture *f)
{
  g_autoptr(NbTool) message = nb_message_tool_new ();
  g_autoptr(NbTool) spawn = nb_spawn_tool_new ();

  nb_tool_registry_add (f->tools, message);
  nb_tool_registry_add (f->tools, spawn);
}

static void
test_save_failure_reported_once (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  /* A regular file where the sessions folder should be: nothing can be
   * written there, not even as root. */
  g_autofree char *blocker = g_build_filename (f->dir, "not-a-folder", NULL);
  g_autofree char *sessions = g_build_filename (blocker, "sessions", NULL);
  g_autoptr(NbSessionStore) store = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  NbTestTool *tool;

  nb_test_write_file (blocker, "");
  store = nb_session_store_new (sessions);
  nb_agent_set_session_store (f->agent, store);
  g_signal_connect (f->agent, "save-failed", G_CALLBACK (save_failed_cb), failures);
  tool = add_tool (f, "read_file", FALSE, 1);
  nb_scripted_provider_add_calls (f->provider, NULL, "call_1", "read_file", "{}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Done.");

  reply = run_turn (f, "hi", &error);

  /* issue item 7: a conversation that cannot be saved would be lost, so
   * the turn ends before the provider is called or a tool runs; the
   * failure is said once. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Nothing was sent"));
  g_assert_null (reply);
  g_assert_cmpuint (f->provider->requests->len, ==, 0);
  g_assert_cmpuint (tool->n_calls, ==, 0);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (failures, 0), "not-a-folder"));
}

static void
test_plain_reply (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->dir);
  g_autoptr(JsonNode) sent = NULL;
  JsonArray *messages;
  NbTestTool *tool = add_tool (f, "read_file", FALSE, 1);

  nb_agent_set_session_store (f->agent, store);
  nb_scripted_provider_add_reply (f->provider, "Hello there, human!");
  ((NbScriptedStep *) g_queue_peek_tail (&f->provider->steps))->reasoning = g_strdup ("thinking");

  reply = run_turn (f, "hi", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Hello there, human!");
  g_assert_cmpstr (f->text->str, ==, "Hello there, human!");
  g_assert_cmpstr (f->reasoning->str, ==, "thinking");
  g_assert_cmpuint (tool->n_calls, ==, 0);

  /* What was sent: system prompt, runtime context, the user's text, the tools. */
  g_assert_cmpuint (f->provider->requests->len, ==, 1);
  sent = json_from_string (g_ptr_array_index (f->provider->requests, 0), NULL);
  messages = json_node_get_array (sent);
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), f->dir));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "role"), ==, "user");
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"),
                            "Chat ID: chat1"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "hi");
  g_assert_false (json_object_has_member (json_array_get_object_element (messages, 2), "timestamp"));
  g_assert_true (g_ptr_array_index (f->provider->tools, 0) == nb_tool_registry_get_definitions (f->tools));

  /* What was saved: the user's text and the reply, not the runtime context. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 2);
  g_assert_cmpstr (session_role (f, 0), ==, "user");
  g_assert_cmpstr (session_content (f, 0), ==, "hi");
  g_assert_nonnull (nb_message_get_timestamp (nb_session_get_message (f->session, 0)));
  g_assert_cmpstr (session_role (f, 1), ==, "assistant");
  g_assert_cmpstr (session_content (f, 1), ==, "Hello there, human!");
  g_assert_cmpstr (json_object_get_string_member (session_json (f, 1), "reasoning_content"), ==, "thinking");
  g_assert_cmpuint (nb_session_get_saved_count (f->session), ==, 2);
  g_assert_false (nb_agent_is_busy (f->agent));

  /* The next turn sends the history. */
  g_clear_pointer (&reply, g_free);
  nb_scripted_provider_add_reply (f->provider, "Again!");
  reply = run_turn (f, "again", &error);
  g_assert_no_error (error);
  g_clear_pointer (&sent, json_node_unref);
  sent = json_from_string (g_ptr_array_index (f->provider->requests, 1), NULL);
  messages = json_node_get_array (sent);
  g_assert_cmpuint (json_array_get_length (messages), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==, "hi");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "Hello there, human!");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 4), "content"), ==, "again");
}

static void
test_parallel_ordered (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(JsonNode) sent = NULL;
  JsonArray *messages;
  JsonArray *calls;

  f->slow = add_tool (f, "slow", FALSE, 0);
  f->medium = add_tool (f, "medium", FALSE, 0);
  f->fast = add_tool (f, "fast", FALSE, 0);
  f->slow->mode = f->medium->mode = f->fast->mode = NB_TEST_TOOL_WAIT_RELEASE;
  /* Once all three run, each finishes before the one called before it. */
  g_signal_connect (f->agent, "tool-call-started", G_CALLBACK (release_in_reverse_cb), f);

  nb_scripted_provider_add_calls (f->provider, "Looking.",
                                  "c1", "slow", "{\"n\":1}",
                                  "c2", "medium", "{\"n\":2}",
                                  "c3", "fast", "{\"n\":3}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "All done.");

  reply = run_turn (f, "go", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "All done.");

  /* All started before any finished; they finished in reverse. */
  g_assert_cmpuint (f->log->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (f->log, 0), ==, "start:slow");
  g_assert_cmpstr (g_ptr_array_index (f->log, 1), ==, "start:medium");
  g_assert_cmpstr (g_ptr_array_index (f->log, 2), ==, "start:fast");
  g_assert_cmpstr (g_ptr_array_index (f->log, 3), ==, "end:fast");
  g_assert_cmpstr (g_ptr_array_index (f->log, 4), ==, "end:medium");
  g_assert_cmpstr (g_ptr_array_index (f->log, 5), ==, "end:slow");
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "started c1 slow {\"n\":1}");
  g_assert_cmpstr (g_ptr_array_index (f->events, 3), ==, "finished c3 fast");

  /* Saved in call order. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 6);
  g_assert_cmpstr (session_role (f, 1), ==, "assistant");
  g_assert_cmpstr (session_content (f, 1), ==, "Looking.");
  calls = nb_message_get_tool_calls (nb_session_get_message (f->session, 1));
  g_assert_cmpuint (json_array_get_length (calls), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (calls, 0), "type"), ==, "function");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (calls, 0), "function"), "arguments"), ==, "{\"n\":1}");
  for (guint i = 0; i < 3; i++)
    {
      static const char *ids[] = { "c1", "c2", "c3" };
      static const char *names[] = { "slow", "medium", "fast" };
      g_autofree char *expected = g_strdup_printf ("%s: {\"n\":%u}", names[i], i + 1);

      g_assert_cmpstr (session_role (f, 2 + i), ==, "tool");
      g_assert_cmpstr (nb_message_get_tool_call_id (nb_session_get_message (f->session, 2 + i)), ==, ids[i]);
      g_assert_cmpstr (nb_message_get_name (nb_session_get_message (f->session, 2 + i)), ==, names[i]);
      g_assert_cmpstr (session_content (f, 2 + i), ==, expected);
    }
  g_assert_cmpstr (session_content (f, 5), ==, "All done.");
  assert_session_consistent (f);

  /* The second request carries the calls and results in order, and the
   * same cached definitions. */
  g_assert_cmpuint (f->provider->requests->len, ==, 2);
  g_assert_true (g_ptr_array_index (f->provider->tools, 0) == g_ptr_array_index (f->provider->tools, 1));
  sent = json_from_string (g_ptr_array_index (f->provider->requests, 1), NULL);
  messages = json_node_get_array (sent);
  g_assert_cmpuint (json_array_get_length (messages), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 4), "tool_call_id"), ==, "c1");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 6), "tool_call_id"), ==, "c3");
}

static void
test_side_effects_ordered (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  add_tool (f, "write_a", TRUE, 200);
  add_tool (f, "read_a", FALSE, 100);
  add_tool (f, "write_b", TRUE, 1);
  add_tool (f, "read_b", FALSE, 1);
  add_tool (f, "write_c", TRUE, 1);

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "write_a", "{}",
                                  "c2", "read_a", "{}",
                                  "c3", "write_b", "{}",
                                  "c4", "read_b", "{}",
                                  "c5", "write_c", "{}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "ok");

  reply = run_turn (f, "go", &error);
  g_assert_no_error (error);

  /* Each call waited for the write before it (issue item 5), and each
   * write for the read before it: here everything runs in call order. */
  g_assert_cmpuint (log_index (f, "end:write_a"), <, log_index (f, "start:read_a"));
  g_assert_cmpuint (log_index (f, "end:read_a"), <, log_index (f, "start:write_b"));
  g_assert_cmpuint (log_index (f, "end:write_b"), <, log_index (f, "start:read_b"));
  g_assert_cmpuint (log_index (f, "end:read_b"), <, log_index (f, "start:write_c"));

  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 8);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i + 1);

      g_assert_cmpstr (nb_message_get_tool_call_id (nb_session_get_message (f->session, 2 + i)), ==, id);
    }
  g_assert_null (session_content (f, 1));
  assert_session_consistent (f);
}

/* issue item 5: the calls of one reply see each other's effects in the
 * order the model wrote them, with the real file tools and exec. */
static void
test_item5_calls_see_earlier_effects (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *path = g_build_filename (f->dir, "a.txt", NULL);
  g_autoptr(NbTool) read_tool = nb_read_file_tool_new (f->dir, TRUE);
  g_autoptr(NbTool) write_tool = nb_write_file_tool_new (f->dir, TRUE);
  g_autoptr(NbTool) exec_tool = nb_exec_tool_new (f->dir, TRUE, 30);

  g_assert_true (g_file_set_contents (path, "OLD", -1, NULL));
  nb_tool_registry_add (f->tools, read_tool);
  nb_tool_registry_add (f->tools, write_tool);
  nb_tool_registry_add (f->tools, exec_tool);

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "write_file", "{\"path\":\"a.txt\",\"content\":\"NEW\\n\"}",
                                  "c2", "read_file", "{\"path\":\"a.txt\"}",
                                  "c3", "exec", "{\"command\":\"echo X >> a.txt\"}",
                                  "c4", "read_file", "{\"path\":\"a.txt\"}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "ok");

  reply = run_turn (f, "go", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 7);
  g_assert_cmpstr (nb_message_get_tool_call_id (nb_session_get_message (f->session, 3)), ==, "c2");
  g_assert_nonnull (strstr (session_content (f, 3), "NEW"));
  g_assert_null (strstr (session_content (f, 3), "OLD"));
  g_assert_null (strstr (session_content (f, 3), "X"));
  g_assert_cmpstr (nb_message_get_tool_call_id (nb_session_get_message (f->session, 5)), ==, "c4");
  g_assert_nonnull (strstr (session_content (f, 5), "NEW\nX"));
  assert_session_consistent (f);
}

/* issue item 5: consecutive read-only calls still run together, a
 * side-effecting call waits for every call before it, and a read-only call
 * after it waits for it. */
static void
test_item5_read_only_overlap (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  add_tool (f, "read_a", FALSE, 100);
  add_tool (f, "read_b", FALSE, 50);
  add_tool (f, "read_c", FALSE, 1);
  add_tool (f, "write_d", TRUE, 1);
  add_tool (f, "read_e", FALSE, 1);
  add_tool (f, "read_f", FALSE, 1);

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "read_a", "{}",
                                  "c2", "read_b", "{}",
                                  "c3", "read_c", "{}",
                                  "c4", "write_d", "{}",
                                  "c5", "read_e", "{}",
                                  "c6", "read_f", "{}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "ok");

  reply = run_turn (f, "go", &error);
  g_assert_no_error (error);

  /* The three reads overlapped. */
  g_assert_cmpuint (log_index (f, "start:read_b"), <, log_index (f, "end:read_c"));
  g_assert_cmpuint (log_index (f, "start:read_c"), <, log_index (f, "end:read_a"));
  g_assert_cmpuint (log_index (f, "start:read_c"), <, log_index (f, "end:read_b"));
  /* The write waited for all of them, the reads after it for the write. */
  g_assert_cmpuint (log_index (f, "end:read_a"), <, log_index (f, "start:write_d"));
  g_assert_cmpuint (log_index (f, "end:read_b"), <, log_index (f, "start:write_d"));
  g_assert_cmpuint (log_index (f, "end:write_d"), <, log_index (f, "start:read_e"));
  /* And the two reads after it ran together again. */
  g_assert_cmpuint (log_index (f, "start:read_f"), <, log_index (f, "end:read_e"));
  assert_session_consistent (f);
}

static void
test_bad_calls (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(NbTestTool) strict = nb_test_tool_new ("strict",
                                                   "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
                                                   "\"required\":[\"n\"]}", FALSE, 1);
  NbTestTool *broken = add_tool (f, "broken", TRUE, 1);

  broken->mode = NB_TEST_TOOL_FAIL;
  nb_tool_registry_add (f->tools, NB_TOOL (strict));
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "strict", "{\"n\":",
                                  "c2", "nope", "{}",
                                  "c3", "strict", "{\"n\":\"x\"}",
                                  "c4", "broken", "{}",
                                  "c5", "strict", "{\"n\":5}",
                                  "", "strict", "{\"n\":6}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "Recovered.");

  reply = run_turn (f, "go", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Recovered.");

  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 9);
  g_assert_true (g_str_has_prefix (session_content (f, 2), "Error: Invalid parameters for tool 'strict': "
                                                           "the arguments are not valid JSON"));
  g_assert_true (g_str_has_suffix (session_content (f, 2), HINT));
  g_assert_cmpstr (session_content (f, 3), ==, "Error: Tool 'nope' not found. Available: broken, strict" HINT);
  g_assert_cmpstr (session_content (f, 4), ==, "Error: Invalid parameters for tool 'strict': n should be integer" HINT);
  g_assert_cmpstr (session_content (f, 5), ==, "Error executing broken: it broke" HINT);
  g_assert_cmpstr (session_content (f, 6), ==, "strict: {\"n\":5}");
  /* A call without an id got one, shared by the call and its result. */
  g_assert_true (g_str_has_prefix (nb_message_get_tool_call_id (nb_session_get_message (f->session, 7)), "call_"));
  g_assert_cmpstr (session_content (f, 7), ==, "strict: {\"n\":6}");
  /* The raw text the model sent is kept in the assistant message. */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (nb_message_get_tool_calls (nb_session_get_message (f->session, 1)), 0), "function"), "arguments"), ==, "{\"n\":");
  g_assert_cmpuint (strict->n_calls, ==, 2);
  assert_session_consistent (f);
}

static void
test_max_iterations (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbTestTool *tool = add_tool (f, "again", FALSE, 1);
  const char *expected = "I reached the maximum number of tool call iterations (3) without completing the task. "
                         "You can try breaking the task into smaller steps.";

  nb_config_set_int (f->config, "agents.defaults.maxToolIterations", 3);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);

      nb_scripted_provider_add_calls (f->provider, NULL, id, "again", "{}", NULL);
    }

  reply = run_turn (f, "loop forever", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, expected);
  g_assert_cmpuint (f->provider->requests->len, ==, 3);
  g_assert_cmpuint (tool->n_calls, ==, 3);
  /* user, then 3 × (assistant, tool), then the notice */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 8);
  g_assert_cmpstr (session_role (f, 7), ==, "assistant");
  g_assert_cmpstr (session_content (f, 7), ==, expected);
  assert_session_consistent (f);
}

static void
test_cancel_mid_tool (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbTestTool *wait = add_tool (f, "wait", TRUE, 0);
  NbTestTool *quick = add_tool (f, "quick", FALSE, 1);
  NbTestTool *later = add_tool (f, "later", TRUE, 1);

  wait->mode = NB_TEST_TOOL_WAIT_CANCEL;
  /* The write waits for the read before it; the cancel comes while the
   * write runs. */
  f->cancel_after = g_strdup ("c1");
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "quick", "{}",
                                  "c2", "wait", "{}",
                                  "c3", "later", "{}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "never sent");

  reply = run_turn (f, "go", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (reply);

  /* The waiting tool got the cancellation; the queued write never ran. */
  while (wait->n_running > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (later->n_calls, ==, 0);
  g_assert_cmpuint (quick->n_calls, ==, 1);
  g_assert_cmpuint (f->provider->requests->len, ==, 1);

  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 5);
  g_assert_cmpstr (session_content (f, 2), ==, "quick: {}");
  g_assert_cmpstr (session_content (f, 3), ==, "Error: The tool call was cancelled before it finished." HINT);
  g_assert_cmpstr (session_content (f, 4), ==, "Error: The tool call was cancelled before it finished." HINT);
  assert_session_consistent (f);
  g_assert_cmpstr (g_ptr_array_index (f->replies, 0), ==, "(null)");
  g_assert_false (nb_agent_is_busy (f->agent));
}

static void
test_cancel_subprocess (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(JsonObject) schema = nb_tool_parse_schema ("{\"type\":\"object\",\"properties\":{}}");
  g_autoptr(NbSleepTool) sleeper = g_object_new (NB_TYPE_SLEEP_TOOL, "name", "sleeper",
                                                 "parameters", schema, "side-effects", TRUE, NULL);
  g_autoptr(GAsyncResult) waited = NULL;

  nb_tool_registry_add (f->tools, NB_TOOL (sleeper));
  add_tool (f, "quick", FALSE, 1);
  /* The sleeper waits for the read before it (issue item 5); the cancel
   * comes while it runs. */
  f->cancel_after = g_strdup ("c1");
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "quick", "{}",
                                  "c2", "sleeper", "{}",
                                  NULL);

  reply = run_turn (f, "sleep", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The process was killed, not left running for 30 s. */
  g_assert_nonnull (sleeper->process);
  g_subprocess_wait_async (sleeper->process, NULL, nb_test_store_result_cb, &waited);
  nb_test_wait_result (&waited, 5000);
  g_assert_true (g_subprocess_get_if_signaled (sleeper->process));

  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 4);
  g_assert_cmpstr (session_content (f, 2), ==, "quick: {}");
  g_assert_cmpstr (session_content (f, 3), ==, "Error: The tool call was cancelled before it finished." HINT);
  assert_session_consistent (f);
}

static void
test_cancel_mid_stream (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  nb_scripted_provider_add_hang (f->provider);
  nb_agent_run_async (f->agent, f->session, "hi", f->cancellable, nb_test_store_result_cb, &result);
  for (guint i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_assert_true (nb_agent_is_busy (f->agent));

  g_cancellable_cancel (f->cancellable);
  nb_test_wait_result (&result, 5000);
  reply = nb_agent_run_finish (f->agent, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 1);
  g_assert_cmpstr (session_role (f, 0), ==, "user");
}

static void
test_provider_error (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  add_tool (f, "look", FALSE, 1);

  /* Right away. */
  nb_scripted_provider_add_error (f->provider, NB_PROVIDER_ERROR_SERVER, "HTTP 500: upstream broke");
  reply = run_turn (f, "hi", &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER);
  g_assert_null (reply);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 1);
  g_assert_cmpstr (session_role (f, 0), ==, "user");
  g_clear_error (&error);

  /* After a tool round: what was done stays, the error is not saved. */
  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "look", "{}", NULL);
  nb_scripted_provider_add_error (f->provider, NB_PROVIDER_ERROR_RATE_LIMIT, "HTTP 429");
  reply = run_turn (f, "again", &error);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_RATE_LIMIT);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 4);
  g_assert_cmpstr (session_role (f, 3), ==, "tool");
  for (guint i = 0; i < nb_session_get_n_messages (f->session); i++)
    g_assert_null (strstr (session_content (f, i) != NULL ? session_content (f, i) : "", "HTTP"));
  assert_session_consistent (f);
}

static void
test_message_tool (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  add_agent_tools (f);
  g_assert_nonnull (nb_tool_registry_lookup (f->tools, "message"));

  /* To this chat: the final reply is suppressed, but saved. */
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "message", "{\"content\":\"Here you are\",\"media\":[\"/tmp/a.png\"]}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "Sent it.");
  reply = run_turn (f, "send", &error);
  g_assert_no_error (error);
  g_assert_null (reply);
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "desktop:chat1:Here you are:1");
  g_assert_cmpstr (session_content (f, 2), ==, "Message sent to desktop:chat1 with 1 attachments");
  g_assert_cmpstr (session_content (f, 3), ==, "Sent it.");

  /* To another chat: the reply is not suppressed. */
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c2", "message", "{\"content\":\"psst\",\"chat_id\":\"other\"}",
                                  NULL);
  nb_scripted_provider_add_reply (f->provider, "Told them.");
  reply = run_turn (f, "tell other", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Told them.");
  g_assert_cmpstr (g_ptr_array_index (f->messages, 1), ==, "desktop:other:psst:0");
}

static void
test_spawn (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(JsonNode) sent = NULL;
  JsonArray *messages;
  JsonArray *tools;
  const char *announce;
  guint index;
  NbTestTool *reader = add_tool (f, "read_file", FALSE, 1);

  add_agent_tools (f);

  /* The main turn and the sub-agent share the provider; each step says
   * whose it is. */
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "spawn", "{\"task\":\"Count the files\",\"label\":\"counter\"}",
                                  NULL);
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_calls (f->provider, NULL, "s1", "read_file", "{}", NULL);
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "There are 42 files.");
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "I started a helper.");
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_reply (f->provider, "Your helper found 42 files.");
  nb_scripted_provider_set_match (f->provider, "[Subagent 'counter' completed successfully]");

  reply = run_turn (f, "count my files", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "I started a helper.");
  g_assert_true (g_str_has_prefix (session_content (f, 2), "Subagent [counter] started (id: "));
  g_assert_true (g_str_has_suffix (session_content (f, 2), "). I'll notify you when it completes."));

  while (nb_agent_is_busy (f->agent))
    g_main_context_iteration (NULL, TRUE);

  /* The sub-agent: its own prompt, only the plain tools, its task. */
  g_assert_cmpuint (f->provider->requests->len, ==, 5);
  index = nb_scripted_provider_find_request (f->provider, "# Sub-agent");
  sent = json_from_string (g_ptr_array_index (f->provider->requests, index), NULL);
  messages = json_node_get_array (sent);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"),
                                   "# Sub-agent"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
                   "Count the files");
  tools = g_ptr_array_index (f->provider->tools, index);
  g_assert_cmpuint (json_array_get_length (tools), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (tools, 0), "function"), "name"), ==, "read_file");
  g_assert_cmpuint (reader->n_calls, ==, 1);

  /* Its result came back as an announcement and was summarised. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 6);
  g_assert_cmpstr (session_role (f, 4), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (session_json (f, 4), "sender"), ==, "subagent");
  announce = session_content (f, 4);
  g_assert_cmpstr (announce, ==,
                   "[Subagent 'counter' completed successfully]\n\nTask: Count the files\n\nResult:\n"
                   "There are 42 files.\n\nSummarize this naturally for the user. Keep it brief (1-2 sentences). "
                   "Do not mention technical details like \"subagent\" or task IDs.");
  g_assert_cmpstr (session_content (f, 5), ==, "Your helper found 42 files.");
  g_assert_cmpuint (f->replies->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->replies, 1), ==, "Your helper found 42 files.");
  assert_session_consistent (f);
}

static void
test_empty_reply (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  nb_scripted_provider_add_reply (f->provider, NULL);
  reply = run_turn (f, "say nothing", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "I've completed processing but have no response to give.");
  g_assert_cmpstr (f->text->str, ==, reply);
  /* The empty assistant message is not saved. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 1);
}

static void
test_cancel_background (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  add_agent_tools (f);
  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "spawn", "{\"task\":\"Wait forever\"}", NULL);
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_hang (f->provider);
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "Started.");
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");

  reply = run_turn (f, "start something", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Started.");
  g_assert_true (nb_agent_is_busy (f->agent));

  /* The sub-agent stops; nothing is announced. */
  nb_agent_cancel_background (f->agent);
  while (nb_agent_is_busy (f->agent))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 4);
  g_assert_cmpuint (f->provider->requests->len, ==, 3);
}

static void
test_spawn_failure (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  const char *announce;

  add_agent_tools (f);
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "spawn", "{\"task\":\"Summarise a very long report about the harvest\"}", NULL);
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_error (f->provider, NB_PROVIDER_ERROR_SERVER, "HTTP 503: overloaded");
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "Started.");
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_reply (f->provider, "Sorry, that did not work.");
  nb_scripted_provider_set_match (f->provider, "failed]");

  reply = run_turn (f, "summarise", &error);
  g_assert_no_error (error);
  /* Without a label, the task's start names it. */
  g_assert_true (g_str_has_prefix (session_content (f, 2), "Subagent [Summarise a very long report a...] started"));
  while (nb_agent_is_busy (f->agent))
    g_main_context_iteration (NULL, TRUE);

  announce = session_content (f, 4);
  g_assert_true (g_str_has_prefix (announce, "[Subagent 'Summarise a very long report a...' failed]\n\n"
                                             "Task: Summarise a very long report about the harvest\n\n"
                                             "Result:\nError: HTTP 503: overloaded\n\n"));
  g_assert_cmpstr (session_content (f, 5), ==, "Sorry, that did not work.");
}

static void
test_turns_queue (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply1 = NULL;
  g_autofree char *reply2 = NULL;

  nb_scripted_provider_add_reply (f->provider, "one");
  nb_scripted_provider_add_reply (f->provider, "two");
  nb_agent_run_async (f->agent, f->session, "first", NULL, nb_test_store_result_cb, &first);
  nb_agent_run_async (f->agent, f->session, "second", NULL, nb_test_store_result_cb, &second);
  nb_test_wait_result (&second, 5000);
  nb_test_wait_result (&first, 5000);
  reply1 = nb_agent_run_finish (f->agent, first, &error);
  g_assert_no_error (error);
  reply2 = nb_agent_run_finish (f->agent, second, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply1, ==, "one");
  g_assert_cmpstr (reply2, ==, "two");
  g_assert_cmpstr (session_content (f, 0), ==, "first");
  g_assert_cmpstr (session_content (f, 1), ==, "one");
  g_assert_cmpstr (session_content (f, 2), ==, "second");
  g_assert_cmpstr (session_content (f, 3), ==, "two");
}

static void
consolidated_cb (NbMemoryStore *memory,
                 NbSession     *session,
                 gboolean       ok,
                 gboolean      *done)
{
  g_assert_true (ok);
  *done = TRUE;
}

static void
test_memory_consolidation (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(NbMemoryStore) memory = nb_memory_store_new (f->dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *saved = NULL;
  gboolean done = FALSE;

  nb_config_set_int (f->config, "agents.defaults.memoryWindow", 4);
  nb_agent_set_memory_store (f->agent, memory);
  g_assert_true (nb_agent_get_memory_store (f->agent) == memory);
  g_signal_connect (memory, "consolidated", G_CALLBACK (consolidated_cb), &done);

  /* Two messages: below the window, nothing happens. */
  nb_scripted_provider_add_reply (f->provider, "First answer.");
  reply = run_turn (f, "first", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->provider->requests->len, ==, 1);

  /* Four: the window is full, one consolidation call follows the turn. */
  g_clear_pointer (&reply, g_free);
  nb_scripted_provider_add_reply (f->provider, "Second answer.");
  nb_scripted_provider_set_match (f->provider, "Chat ID: chat1");
  nb_scripted_provider_add_calls (f->provider, NULL, "m1", "save_memory",
                                  "{\"history_entry\":\"[2026-01-01 10:00] Two questions.\","
                                  "\"memory_update\":\"# Memory\\nThe user asks things twice.\"}", NULL);
  nb_scripted_provider_set_match (f->provider, "save_memory");
  reply = run_turn (f, "second", &error);
  g_assert_no_error (error);
  nb_test_wait_for (&done, 5000);

  g_assert_cmpuint (f->provider->requests->len, ==, 3);
  saved = nb_test_read_file (nb_memory_store_get_memory_path (memory));
  g_assert_nonnull (strstr (saved, "The user asks things twice."));
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), >, 0);
}

/* End to end through the real OpenAI-compatible provider and a fake server
 * speaking its wire format. */

static NbAgent *
openai_agent (Fixture   *f,
              NbFakeLlm *fake)
{
  g_autoptr(NbProvider) provider = nb_openai_provider_new ("openai", nb_fake_llm_get_url (fake), "sk-test");
  NbAgent *agent;

  nb_http_provider_set_retry_policy (NB_HTTP_PROVIDER (provider), 0, 1);
  agent = nb_agent_new (provider, f->config, f->tools, f->context);
  g_signal_connect (agent, "text-delta", G_CALLBACK (text_delta_cb), f);
  g_signal_connect (agent, "tool-call-started", G_CALLBACK (tool_call_started_cb), f);
  g_signal_connect (agent, "tool-call-finished", G_CALLBACK (tool_call_finished_cb), f);
  return agent;
}

static void
test_openai_e2e (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbAgent) agent = openai_agent (f, fake);
  g_autofree char *reply_stream = nb_fake_llm_openai_text_stream ("Both are done.");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  JsonObject *sent;
  JsonArray *messages;
  JsonArray *tools;
  const char *calls =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"On it. \"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_s\",\"type\":\"function\","
    "\"function\":{\"name\":\"slow\",\"arguments\":\"{\\\"n\\\":\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_f\",\"type\":\"function\","
    "\"function\":{\"name\":\"fast\",\"arguments\":\"{}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";

  add_tool (f, "slow", FALSE, 200);
  add_tool (f, "fast", FALSE, 1);
  nb_config_set_string (f->config, "agents.defaults.reasoningEffort", "low");
  nb_fake_response_add_pieces (nb_fake_llm_queue (fake, 200, "text/event-stream"), calls, 64, 1);
  nb_fake_response_add_pieces (nb_fake_llm_queue (fake, 200, "text/event-stream"), reply_stream, 16, 1);

  nb_agent_run_async (agent, f->session, "do both", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  reply = nb_agent_run_finish (agent, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Both are done.");
  g_assert_cmpstr (f->text->str, ==, "On it. Both are done.");
  /* Both started before either finished. */
  g_assert_cmpstr (g_ptr_array_index (f->log, 0), ==, "start:slow");
  g_assert_cmpstr (g_ptr_array_index (f->log, 1), ==, "start:fast");

  /* The first request offered the tools; the second carried the calls
   * (arguments as JSON strings) and the results in call order. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fake), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fake, 0), "model"), ==, "test-model");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fake, 0), "reasoning_effort"), ==, "low");
  tools = json_object_get_array_member (nb_fake_llm_get_request_object (fake, 0), "tools");
  g_assert_cmpuint (json_array_get_length (tools), ==, 2);
  sent = nb_fake_llm_get_request_object (fake, 1);
  messages = json_object_get_array_member (sent, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (json_array_get_object_element (messages, 3), "tool_calls"), 0), "function"), "arguments"), ==, "{\"n\":1}");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 4), "tool_call_id"), ==, "call_s");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 4), "content"), ==, "slow: {\"n\":1}");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 5), "tool_call_id"), ==, "call_f");

  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 5);
  assert_session_consistent (f);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
first_delta_cancel_cb (NbAgent    *agent,
                       NbSession  *session,
                       const char *text,
                       Fixture    *f)
{
  g_cancellable_cancel (f->cancellable);
}

static void
test_openai_cancel_stream (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(NbAgent) agent = openai_agent (f, fake);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbFakeResponse *response = nb_fake_llm_queue (fake, 200, "text/event-stream");

  nb_fake_response_add_chunk (response, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (response, "data: [DONE]\n\n", -1, 30000);
  g_signal_connect (agent, "text-delta", G_CALLBACK (first_delta_cancel_cb), f);

  nb_agent_run_async (agent, f->session, "talk", f->cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (agent, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The half reply is not saved. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 1);
  g_assert_cmpstr (session_role (f, 0), ==, "user");
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/agent/plain-reply", test_plain_reply);
  ADD ("/agent/save-failure-reported-once", test_save_failure_reported_once);
  ADD ("/agent/parallel-ordered", test_parallel_ordered);
  ADD ("/agent/side-effects-ordered", test_side_effects_ordered);
  ADD ("/agent/item5-calls-see-earlier-effects", test_item5_calls_see_earlier_effects);
  ADD ("/agent/item5-read-only-overlap", test_item5_read_only_overlap);
  ADD ("/agent/bad-calls", test_bad_calls);
  ADD ("/agent/max-iterations", test_max_iterations);
  ADD ("/agent/cancel-mid-tool", test_cancel_mid_tool);
  ADD ("/agent/cancel-subprocess", test_cancel_subprocess);
  ADD ("/agent/cancel-mid-stream", test_cancel_mid_stream);
  ADD ("/agent/provider-error", test_provider_error);
  ADD ("/agent/message-tool", test_message_tool);
  ADD ("/agent/spawn", test_spawn);
  ADD ("/agent/empty-reply", test_empty_reply);
  ADD ("/agent/spawn-failure", test_spawn_failure);
  ADD ("/agent/cancel-background", test_cancel_background);
  ADD ("/agent/turns-queue", test_turns_queue);
  ADD ("/agent/memory-consolidation", test_memory_consolidation);
  ADD ("/agent/openai-e2e", test_openai_e2e);
  ADD ("/agent/openai-cancel-stream", test_openai_cancel_stream);
#undef ADD

  return g_test_run ();
}
