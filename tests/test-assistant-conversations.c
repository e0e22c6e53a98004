/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "nb-assistant.h"
#include "nb-conversation.h"
#include "nb-fake-llm.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * The conversation operations of NbAssistant against real files and the
 * fake OpenAI-compatible server: rename and pin show in the model at once,
 * are appended to the file and survive a new assistant reading the
 * folder; NbConversation:running follows a turn; a conversation goes to
 * a private trash ($XDG_DATA_HOME is a temporary folder), also while its
 * turn runs.
 */

static char *trash_root;

typedef struct {
  char        *dir;
  char        *sessions;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  GListModel  *model;
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
close_assistant (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean gone = FALSE;

  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_clear_object (&f->assistant);
  nb_test_wait_for (&gone, 30000);
  f->model = NULL;
}

static void
wait_until (gboolean (*condition) (Fixture *f),
            Fixture   *f)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!condition (f) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (condition (f));
}

static gboolean
model_loaded (Fixture *f)
{
  return g_list_model_get_n_items (f->model) > 0;
}

static void
new_assistant (Fixture *f)
{
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
  f->model = nb_assistant_get_conversations (f->assistant);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *workspace = NULL;
  g_autofree char *text = NULL;

  f->dir = g_build_filename (trash_root, "case-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (f->dir));
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"main-model\",\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  new_assistant (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_assistant (f);
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sessions);
  g_free (f->config_path);
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
run_turn (Fixture    *f,
          NbSession  *session,
          const char *input,
          const char *reply_text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = nb_fake_llm_openai_text_stream (reply_text);
  g_autofree char *reply = NULL;

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_assistant_run_async (f->assistant, session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
}

static NbConversation *
lookup (Fixture    *f,
        const char *key)
{
  for (guint i = 0; f->model != NULL && i < g_list_model_get_n_items (f->model); i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (f->model, i);

      if (g_strcmp0 (nb_conversation_get_key (item), key) == 0)
        return item;
    }
  return NULL;
}

/* The last metadata record of @key's file. */
static JsonObject *
last_metadata (Fixture    *f,
               const char *key)
{
  g_autofree char *stem = nb_session_store_key_to_file_stem (key);
  g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (f->sessions, name, NULL);
  g_autofree char *text = nb_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (int i = (int) g_strv_length (lines) - 1; i >= 0; i--)
    if (strstr (lines[i], "\"_type\":\"metadata\"") != NULL)
      {
        g_autoptr(JsonObject) record = nb_test_parse_object (lines[i]);

        return json_object_ref (json_object_get_object_member (record, "metadata"));
      }
  g_assert_not_reached ();
}

static gboolean
has_test_item (Fixture *f)
{
  return lookup (f, "desktop:test") != NULL;
}

static void
test_rename_and_pin (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(NbSession) session = open_session (f, "desktop:test");
  g_autoptr(JsonObject) metadata = NULL;
  NbConversation *item;

  run_turn (f, session, "where should we go in May?\nmore lines", "Lisbon.");
  wait_until (has_test_item, f);
  item = lookup (f, "desktop:test");
  /* Titled by the first user message's first line until renamed. */
  g_assert_cmpstr (nb_conversation_get_title (item), ==, "where should we go in May?");

  nb_assistant_rename_conversation (f->assistant, "desktop:test", "  Holiday plans ");
  g_assert_cmpstr (nb_conversation_get_title (item), ==, "Holiday plans");
  metadata = last_metadata (f, "desktop:test");
  g_assert_cmpstr (json_object_get_string_member (metadata, "title"), ==, "Holiday plans");
  g_clear_pointer (&metadata, json_object_unref);

  g_assert_false (nb_conversation_get_pinned (item));
  nb_assistant_set_conversation_pinned (f->assistant, "desktop:test", TRUE);
  g_assert_true (nb_conversation_get_pinned (item));
  metadata = last_metadata (f, "desktop:test");
  g_assert_true (json_object_get_boolean_member (metadata, "pinned"));
  g_assert_cmpstr (json_object_get_string_member (metadata, "title"), ==, "Holiday plans");
  g_clear_pointer (&metadata, json_object_unref);

  /* The open session has it too: the next turn's record keeps it. */
  g_assert_cmpstr (json_object_get_string_member (nb_session_get_metadata (session), "title"), ==, "Holiday plans");
  run_turn (f, session, "and in June?", "Oslo.");
  metadata = last_metadata (f, "desktop:test");
  g_assert_cmpstr (json_object_get_string_member (metadata, "title"), ==, "Holiday plans");
  g_assert_true (json_object_get_boolean_member (metadata, "pinned"));
  g_clear_pointer (&metadata, json_object_unref);

  /* A new assistant reads the folder: still renamed and pinned. */
  g_clear_object (&session);
  close_assistant (f);
  new_assistant (f);
  wait_until (has_test_item, f);
  item = lookup (f, "desktop:test");
  g_assert_cmpstr (nb_conversation_get_title (item), ==, "Holiday plans");
  g_assert_true (nb_conversation_get_pinned (item));

  /* Not open in this assistant: opened for the change. A blank title
   * goes back to the first message. */
  nb_assistant_set_conversation_pinned (f->assistant, "desktop:test", FALSE);
  g_assert_false (nb_conversation_get_pinned (item));
  nb_assistant_rename_conversation (f->assistant, "desktop:test", " ");
  while (g_strcmp0 (nb_conversation_get_title (item), "where should we go in May?") != 0)
    g_main_context_iteration (NULL, TRUE);
  metadata = last_metadata (f, "desktop:test");
  g_assert_false (json_object_has_member (metadata, "title"));
  g_assert_false (json_object_has_member (metadata, "pinned"));
}

static void
test_rename_not_open (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->sessions, "cli_direct.jsonl", NULL);
  g_autoptr(JsonObject) metadata = NULL;

  g_mkdir_with_parents (f->sessions, 0700);
  nb_test_write_file (path,
                      "{\"_type\":\"metadata\",\"key\":\"cli:direct\",\"created_at\":\"2026-12-01T10:00:00\","
                      "\"updated_at\":\"2026-12-01T10:00:00\",\"metadata\":{},\"last_consolidated\":0}\n"
                      "{\"role\":\"user\",\"content\":\"from the terminal\",\"timestamp\":\"2026-12-01T10:00:00\"}\n");
  close_assistant (f);
  new_assistant (f);
  wait_until (model_loaded, f);
  g_assert_cmpstr (nb_conversation_get_title (lookup (f, "cli:direct")), ==, "from the terminal");

  nb_assistant_rename_conversation (f->assistant, "cli:direct", "Terminal notes");
  g_assert_cmpstr (nb_conversation_get_title (lookup (f, "cli:direct")), ==, "Terminal notes");
  /* The file changes once the session was read (in a worker thread). */
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC; g_get_monotonic_time () < deadline;)
    {
      g_autofree char *text = nb_test_read_file (path);

      if (strstr (text, "Terminal notes") != NULL)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  metadata = last_metadata (f, "cli:direct");
  g_assert_cmpstr (json_object_get_string_member (metadata, "title"), ==, "Terminal notes");
  /* The messages are still there. */
  {
    g_autofree char *text = nb_test_read_file (path);

    g_assert_nonnull (strstr (text, "from the terminal"));
  }
}

static void
running_changed_cb (NbConversation *item,
                    GParamSpec     *pspec,
                    GArray         *states)
{
  gboolean running = nb_conversation_get_running (item);

  g_array_append_val (states, running);
}

static gboolean
test_item_running (Fixture *f)
{
  return lookup (f, "desktop:test") != NULL && nb_conversation_get_running (lookup (f, "desktop:test"));
}

static gboolean
test_item_gone (Fixture *f)
{
  return lookup (f, "desktop:test") == NULL;
}

static void
test_running_and_trash (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(NbSession) session = open_session (f, "desktop:test");
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr(GAsyncResult) turn_result = NULL;
  g_autoptr(GAsyncResult) trash_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->sessions, "desktop_test.jsonl", NULL);
  g_autofree char *lock = g_build_filename (f->sessions, "desktop_test.lock", NULL);
  g_autofree char *trashed = g_build_filename (trash_root, "data", "Trash", "files", "desktop_test.jsonl", NULL);
  g_autofree char *trashed_text = NULL;
  g_autofree char *reply = NULL;
  NbConversation *item;
  NbFakeResponse *slow;

  run_turn (f, session, "first", "one");
  g_assert_true (g_file_test (lock, G_FILE_TEST_EXISTS));
  wait_until (has_test_item, f);
  item = lookup (f, "desktop:test");
  g_assert_false (nb_conversation_get_running (item));
  g_signal_connect (item, "notify::running", G_CALLBACK (running_changed_cb), states);

  /* A turn that takes long: running while it runs. */
  slow = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (slow, "data: [DONE]\n\n", -1, 20000);
  nb_assistant_run_async (f->assistant, session, "a long story", NULL, nb_test_store_result_cb, &turn_result);
  wait_until (test_item_running, f);
  g_assert_cmpuint (states->len, ==, 1);

  /* Trash while it runs: the turn stops, its lines go into the file,
   * then the file moves to the trash. */
  g_signal_handlers_disconnect_by_data (item, states);
  nb_assistant_trash_conversation_async (f->assistant, "desktop:test", NULL, nb_test_store_result_cb, &trash_result);
  nb_test_wait_result (&trash_result, 20000);
  g_assert_true (nb_assistant_trash_conversation_finish (f->assistant, trash_result, &error));
  g_assert_no_error (error);
  nb_test_wait_result (&turn_result, 20000);
  reply = nb_assistant_run_finish (f->assistant, turn_result, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  trashed_text = nb_test_read_file (trashed);
  g_assert_nonnull (strstr (trashed_text, "a long story"));
  wait_until (test_item_gone, f);

  /* Nothing writes the file again, and its turn lock went with it. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (g_file_test (lock, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int status;

  /* g_file_trash() moves files to $XDG_DATA_HOME/Trash when they are on
   * its file system: both are in one private folder. */
  trash_root = nb_test_make_tmpdir ();
  data_home = g_build_filename (trash_root, "data", NULL);
  g_mkdir_with_parents (data_home, 0700);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/assistant-conversations/rename-and-pin", test_rename_and_pin);
  ADD ("/assistant-conversations/rename-not-open", test_rename_not_open);
  ADD ("/assistant-conversations/running-and-trash", test_running_and_trash);
#undef ADD

  status = g_test_run ();
  nb_test_rm_rf (trash_root);
  g_free (trash_root);
  return status;
}
