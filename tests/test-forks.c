/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-assistant.h"
#include "nb-conversation-list.h"
#include "nb-conversation.h"
#include "nb-fake-llm.h"
#include "nb-json-util.h"
#include "nb-test-util.h"

/*
 * Forks through NbAssistant against real files and the fake
 * OpenAI-compatible server: the new file (a metadata record with
 * forked_from and fork_index, then the copied lines as they are in the
 * original), the original file byte for byte unchanged, a turn in
 * progress left out, forks of forks, the alternatives at a divergence
 * point, and the new conversation in the conversations model.
 */

typedef struct {
  char        *dir;
  char        *sessions;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
} Fixture;

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
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *workspace = NULL;
  g_autofree char *text = NULL;

  f->dir = nb_test_make_tmpdir ();
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"main-model\",\"memoryWindow\":1000,"
                          "\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
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

  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  /* The result holds the assistant. */
  g_clear_object (&result);

  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_object_unref (f->assistant);
  nb_test_wait_for (&gone, 30000);
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sessions);
  g_free (f->config_path);
}

static void
turn (Fixture    *f,
      NbSession  *session,
      const char *input,
      const char *reply)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (reply);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_assistant_run_async (f->assistant, session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  answer = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==, reply);
}

static NbSession *
fork_session (Fixture   *f,
              NbSession *source,
              guint      n_keep)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NbSession *fork;

  nb_assistant_fork_async (f->assistant, source, n_keep, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  fork = nb_assistant_fork_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  g_assert_true (NB_IS_SESSION (fork));
  return fork;
}

static char *
session_file (Fixture   *f,
              NbSession *session)
{
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant),
                                                     nb_session_get_key (session));

  return nb_test_read_file (path);
}

/* The lines of a session file that are messages, in order. */
static GPtrArray *
message_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && strstr (lines[i], "\"_type\":\"metadata\"") == NULL)
      g_ptr_array_add (messages, g_strdup (lines[i]));
  return messages;
}

static JsonObject *
first_record (const char *text)
{
  g_autofree char *line = g_strndup (text, strcspn (text, "\n"));

  return nb_test_parse_object (line);
}

static NbSession *
make_source (Fixture    *f,
             const char *key)
{
  NbSession *source = open_session (f, key);
  g_autoptr(GError) error = NULL;

  g_assert_true (nb_assistant_set_session_model (f->assistant, source, "chosen-model", &error));
  g_assert_no_error (error);
  turn (f, source, "First question", "First answer");
  turn (f, source, "Second question with `ticks` and ünïcode", "Second answer");
  g_assert_cmpuint (nb_session_get_n_messages (source), ==, 4);
  return source;
}

static void
test_fork_file (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(NbSession) source = make_source (f, "desktop:source");
  g_autofree char *before = session_file (f, source);
  g_autofree char *after = NULL;
  g_autofree char *forked = NULL;
  g_autoptr(NbSession) fork = NULL;
  g_autoptr(GPtrArray) original_lines = NULL;
  g_autoptr(GPtrArray) fork_lines = NULL;
  g_autoptr(JsonObject) record = NULL;
  JsonObject *metadata;

  fork = fork_session (f, source, 2);
  after = session_file (f, source);
  forked = session_file (f, fork);

  /* The original is untouched. */
  g_assert_cmpstr (before, ==, after);

  /* desktop:<16 hex digits> */
  g_assert_true (g_str_has_prefix (nb_session_get_key (fork), "desktop:"));
  g_assert_cmpuint (strlen (nb_session_get_key (fork)), ==, strlen ("desktop:") + 16);
  g_assert_cmpstr (nb_session_get_key (fork), !=, nb_session_get_key (source));

  /* One metadata record first, then the first two lines of the original. */
  record = first_record (forked);
  g_assert_cmpstr (json_object_get_string_member (record, "_type"), ==, "metadata");
  g_assert_cmpstr (json_object_get_string_member (record, "key"), ==, nb_session_get_key (fork));
  g_assert_cmpint (json_object_get_int_member (record, "message_count"), ==, 2);
  metadata = json_object_get_object_member (record, "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "forked_from"), ==, "desktop:source");
  g_assert_cmpint (json_object_get_int_member (metadata, "fork_index"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (metadata, "model"), ==, "chosen-model");
  g_assert_false (json_object_has_member (metadata, "usage"));

  original_lines = message_lines (before);
  fork_lines = message_lines (forked);
  g_assert_cmpuint (original_lines->len, ==, 4);
  g_assert_cmpuint (fork_lines->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (g_ptr_array_index (fork_lines, i), ==, g_ptr_array_index (original_lines, i));
  /* Nothing but the record and the two lines. */
  {
    g_auto(GStrv) lines = g_strsplit (forked, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* record, 2 lines, "" */
    g_assert_cmpstr (lines[3], ==, "");
  }

  /* The session in memory: what was copied, with the model. */
  g_assert_cmpuint (nb_session_get_n_messages (fork), ==, 2);
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (fork, 0)), ==, "First question");
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (fork, 1)), ==, "First answer");
  {
    g_autofree char *model = nb_assistant_dup_session_model (f->assistant, fork);

    g_assert_cmpstr (model, ==, "chosen-model");
  }

  /* A turn in the fork goes to the fork only, with the source's model. */
  turn (f, fork, "Another second question", "Another answer");
  g_assert_cmpuint (nb_session_get_n_messages (fork), ==, 4);
  g_assert_cmpuint (nb_session_get_n_messages (source), ==, 4);
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (source, 2)), ==,
                   "Second question with `ticks` and ünïcode");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 2), "model"), ==,
                   "chosen-model");
  {
    g_autofree char *again = session_file (f, source);

    g_assert_cmpstr (again, ==, before);
  }
}

static void
test_fork_mid_turn (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(NbSession) source = make_source (f, "desktop:busy");
  g_autoptr(NbMessage) unsaved = nb_message_new ("user", "not saved yet");
  g_autoptr(NbSession) fork = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autofree char *forked = NULL;

  /* A message the store has not written yet and a reply streaming. */
  nb_session_append (source, unsaved);
  nb_session_begin_streaming (source);
  nb_message_append_text (nb_session_get_streaming (source), "half a rep");

  fork = fork_session (f, source, 100);
  g_assert_cmpuint (nb_session_get_n_messages (fork), ==, 4);
  forked = session_file (f, fork);
  g_assert_null (strstr (forked, "not saved yet"));
  g_assert_null (strstr (forked, "half a rep"));
  record = first_record (forked);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (record, "metadata"), "fork_index"), ==, 4);

  nb_session_end_streaming (source);
}

/* A turn that saved a tool call whose tool is still running. */
static void
test_fork_unanswered_call (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(NbSession) source = make_source (f, "desktop:tools");
  NbSessionStore *store = nb_assistant_get_session_store (f->assistant);
  g_autoptr(JsonObject) json = nb_test_parse_object (
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
    "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"exec\",\"arguments\":\"{}\"}},"
    "{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"exec\",\"arguments\":\"{}\"}}]}");
  g_autoptr(JsonObject) result_json = nb_test_parse_object (
    "{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"name\":\"exec\",\"content\":\"done\"}");
  g_autoptr(NbMessage) user = nb_message_new ("user", "Run two commands");
  g_autoptr(NbMessage) calls = nb_message_new_from_json (json);
  g_autoptr(NbMessage) result = nb_message_new_from_json (result_json);
  g_autoptr(NbSession) fork = NULL;
  g_autoptr(GError) error = NULL;

  nb_session_append (source, user);
  nb_session_append (source, calls);
  nb_session_append (source, result);
  g_assert_true (nb_session_store_append (store, source, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_saved_count (source), ==, 7);

  /* call_b has no result yet: the fork ends before the call. */
  fork = fork_session (f, source, 7);
  g_assert_cmpuint (nb_session_get_n_messages (fork), ==, 5);
  g_assert_cmpint (nb_json_get_int (nb_session_get_metadata (fork), "fork_index"), ==, 5);
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (fork, 4)), ==, "Run two commands");
}

static GPtrArray *
siblings (Fixture    *f,
          const char *key,
          guint      *index)
{
  NbConversationList *list = NB_CONVERSATION_LIST (nb_assistant_get_conversations (f->assistant));

  *index = G_MAXUINT;
  return nb_conversation_list_get_fork_siblings (list, key, index);
}

static void
assert_keys (GPtrArray  *conversations,
             const char *first,
             ...)
{
  va_list args;
  guint i = 0;

  g_assert_nonnull (conversations);
  va_start (args, first);
  for (const char *key = first; key != NULL; key = va_arg (args, const char *), i++)
    {
      g_assert_cmpuint (i, <, conversations->len);
      g_assert_cmpstr (nb_conversation_get_key (g_ptr_array_index (conversations, i)), ==, key);
    }
  va_end (args);
  g_assert_cmpuint (i, ==, conversations->len);
}

static void
test_fork_of_fork_and_siblings (Fixture       *f,
                                gconstpointer  data)
{
  GListModel *model = nb_assistant_get_conversations (f->assistant);
  NbConversationList *list = NB_CONVERSATION_LIST (model);
  g_autoptr(NbSession) parent = NULL;
  g_autoptr(NbSession) first = NULL;
  g_autoptr(NbSession) second = NULL;
  g_autoptr(NbSession) child = NULL;
  g_autoptr(NbSession) sibling = NULL;
  g_autoptr(GPtrArray) group = NULL;
  g_autoptr(GPtrArray) unforked = NULL;
  gint64 deadline;
  guint index;

  parent = make_source (f, "desktop:parent");
  unforked = siblings (f, "desktop:parent", &index);
  g_assert_null (unforked);

  /* "Regenerate" the second answer twice: two forks at index 2. */
  first = fork_session (f, parent, 2);
  g_assert_nonnull (nb_conversation_list_lookup (list, nb_session_get_key (first)));
  turn (f, first, "Second question with `ticks` and ünïcode", "Other answer");
  second = fork_session (f, parent, 2);
  turn (f, second, "Second question with `ticks` and ünïcode", "Third answer");

  /* In the fork after its own fork point: a child of the fork. */
  child = fork_session (f, first, 3);
  g_assert_cmpstr (nb_json_get_string (nb_session_get_metadata (child), "forked_from"), ==,
                   nb_session_get_key (first));
  g_assert_cmpint (nb_json_get_int (nb_session_get_metadata (child), "fork_index"), ==, 3);
  g_assert_cmpuint (nb_session_get_n_messages (child), ==, 3);
  g_assert_cmpstr (nb_message_get_content (nb_session_get_message (child, 2)), ==, "Second question with `ticks` and ünïcode");

  /* In the fork at its fork point: one more alternative of the parent. */
  sibling = fork_session (f, first, 2);
  g_assert_cmpstr (nb_json_get_string (nb_session_get_metadata (sibling), "forked_from"), ==, "desktop:parent");
  g_assert_cmpint (nb_json_get_int (nb_session_get_metadata (sibling), "fork_index"), ==, 2);

  /* Every new conversation is in the model at once. */
  g_assert_nonnull (nb_conversation_list_lookup (list, nb_session_get_key (second)));
  g_assert_nonnull (nb_conversation_list_lookup (list, nb_session_get_key (child)));
  g_assert_nonnull (nb_conversation_list_lookup (list, nb_session_get_key (sibling)));
  /* …and the parent, read from its file by the list's first load. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (nb_conversation_list_lookup (list, "desktop:parent") == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (nb_conversation_list_lookup (list, "desktop:parent"));

  /* The alternatives at index 2, parent first, then oldest first, the
   * same from each of them. */
  for (guint i = 0; i < 4; i++)
    {
      const char *key = (const char *[]) { "desktop:parent", nb_session_get_key (first),
                                           nb_session_get_key (second), nb_session_get_key (sibling) }[i];
      g_autoptr(GPtrArray) found = siblings (f, key, &index);

      g_assert_cmpuint (index, ==, 2);
      assert_keys (found, "desktop:parent", nb_session_get_key (first), nb_session_get_key (second),
                   nb_session_get_key (sibling), NULL);
    }

  /* The child's alternatives are at index 3: the first fork and itself. */
  group = siblings (f, nb_session_get_key (child), &index);
  g_assert_cmpuint (index, ==, 3);
  assert_keys (group, nb_session_get_key (first), nb_session_get_key (child), NULL);
  g_clear_pointer (&group, g_ptr_array_unref);
  group = nb_conversation_list_get_forks_at (list, nb_session_get_key (first), 3);
  assert_keys (group, nb_session_get_key (first), nb_session_get_key (child), NULL);
  g_assert_null (nb_conversation_list_get_forks_at (list, nb_session_get_key (first), 1));

  /* Metadata only: the parent's file was never rewritten, and a fork read
   * back from its file by another list says the same. */
  {
    g_autoptr(NbConversationList) other = nb_conversation_list_new (f->sessions);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) again = NULL;

    nb_conversation_list_load_async (other, NULL, nb_test_store_result_cb, &result);
    nb_test_wait_result (&result, 10000);
    g_assert_true (nb_conversation_list_load_finish (other, result, &error));
    g_assert_no_error (error);
    again = nb_conversation_list_get_fork_siblings (other, nb_session_get_key (second), &index);
    g_assert_cmpuint (index, ==, 2);
    assert_keys (again, "desktop:parent", nb_session_get_key (first), nb_session_get_key (second),
                 nb_session_get_key (sibling), NULL);
    g_assert_cmpint (nb_conversation_get_fork_index (nb_conversation_list_lookup (other, nb_session_get_key (child))), ==, 3);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/forks/file", Fixture, NULL, fixture_setup, test_fork_file, fixture_teardown);
  g_test_add ("/forks/mid-turn", Fixture, NULL, fixture_setup, test_fork_mid_turn, fixture_teardown);
  g_test_add ("/forks/unanswered-call", Fixture, NULL, fixture_setup, test_fork_unanswered_call, fixture_teardown);
  g_test_add ("/forks/fork-of-fork-and-siblings", Fixture, NULL, fixture_setup,
              test_fork_of_fork_and_siblings, fixture_teardown);

  return g_test_run ();
}
