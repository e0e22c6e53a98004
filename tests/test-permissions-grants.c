/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-approval-queue.h"
#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-permissions.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * "Allow in This Conversation" lasts as long as the conversation: the
 * grant is kept in the session's metadata (`tool_grants`), so a new
 * NbAssistant over the same files (Nanobot started again) still allows
 * the call in that conversation, and only there. The file stays readable
 * by the Python nanobot's loader.
 */

typedef struct {
  char        *dir;
  char        *workspace;
  char        *config_path;
  char        *sessions;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  guint        n_asked;
} Fixture;

static void
asked_cb (GListModel *model,
          guint       position,
          guint       removed,
          guint       added,
          Fixture    *f)
{
  f->n_asked += added;
}

static void
start_assistant (Fixture *f)
{
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
  /* The window's approver: it asks when tools.permissions is absent. */
  g_signal_connect (nb_assistant_get_approval_queue (f->assistant), "items-changed", G_CALLBACK (asked_cb), f);
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

/* Quits as the application does. */
static void
stop_assistant (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean gone = FALSE;

  g_signal_handlers_disconnect_by_data (nb_assistant_get_approval_queue (f->assistant), f);
  nb_assistant_cancel_background (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);   /* its task holds the assistant */
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_clear_object (&f->assistant);
  nb_test_wait_for (&gone, 30000);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"m\",\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          f->workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  start_assistant (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->assistant != NULL)
    stop_assistant (f);
  g_clear_object (&f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->config_path);
  g_free (f->sessions);
}

static void
queue_write (Fixture    *f,
             const char *path)
{
  g_autofree char *arguments = g_strdup_printf ("{\"path\":\"%s\",\"content\":\"x\"}", path);
  g_autofree char *escaped = g_strescape (arguments, NULL);
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                     "\"id\":\"call_w\",\"type\":\"function\",\"function\":{\"name\":\"write_file\","
                     "\"arguments\":\"%s\"}}]}}]}\n\n"
                     "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                     "data: [DONE]\n\n", escaped);
  g_autofree char *done = nb_fake_llm_openai_text_stream ("Written.");

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", done);
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

/* Runs a turn in @key that writes @path, answering its question with
 * @answer if it asks. Returns whether it asked. */
static gboolean
write_in (Fixture          *f,
          const char       *key,
          const char       *path,
          NbApprovalAnswer  answer)
{
  g_autoptr(NbSession) session = open_session (f, key);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbApprovalQueue *queue = nb_assistant_get_approval_queue (f->assistant);
  guint asked = f->n_asked;
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  queue_write (f, path);
  nb_assistant_run_async (f->assistant, session, "write it", NULL, nb_test_store_result_cb, &result);
  while (result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      if (g_list_model_get_n_items (G_LIST_MODEL (queue)) > 0)
        {
          g_autoptr(NbToolApproval) approval = g_list_model_get_item (G_LIST_MODEL (queue), 0);

          nb_tool_approval_answer (approval, answer, NULL, NULL);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Written.");
  return f->n_asked > asked;
}

static gboolean
written (Fixture    *f,
         const char *path)
{
  g_autofree char *full = g_build_filename (f->workspace, path, NULL);

  return g_file_test (full, G_FILE_TEST_EXISTS);
}

/* The session file through the Python nanobot's loader: its metadata. */
static JsonObject *
python_metadata (Fixture    *f,
                 const char *key)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->sessions);
  g_autofree char *path = nb_session_store_get_path (store, key);
  g_autoptr(JsonObject) loaded = nb_test_python_load_session (path);

  g_assert_nonnull (loaded);
  g_assert_cmpint (json_object_get_int_member (loaded, "n_messages"), >, 0);
  return json_object_ref (json_object_get_object_member (loaded, "metadata"));
}

static void
test_grant_survives_restart (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonObject) metadata = NULL;
  JsonArray *allowed;
  JsonArray *grants;

  g_assert_true (write_in (f, "desktop:one", "notes/a.md", NB_APPROVAL_ALLOW_CONVERSATION));
  g_assert_true (written (f, "notes/a.md"));
  /* Kept in the conversation's metadata, which the Python loader reads. */
  metadata = python_metadata (f, "desktop:one");
  allowed = json_object_get_array_member (metadata, "tool_grants");
  g_assert_nonnull (allowed);
  g_assert_cmpuint (json_array_get_length (allowed), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (allowed, 0), "tool"), ==,
                   "write_file");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (allowed, 0), "path"), ==,
                   "notes/**");

  /* Nanobot again, over the same files. */
  stop_assistant (f);
  start_assistant (f);
  g_assert_false (write_in (f, "desktop:one", "notes/b.md", NB_APPROVAL_DENY));
  g_assert_true (written (f, "notes/b.md"));
  grants = nb_permissions_get_grants (nb_assistant_get_permissions (f->assistant));
  g_assert_cmpuint (json_array_get_length (grants), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (grants, 0), "session"), ==,
                   "desktop:one");

  /* Only in that conversation. */
  g_assert_true (write_in (f, "desktop:two", "notes/c.md", NB_APPROVAL_DENY));
  g_assert_false (written (f, "notes/c.md"));

  /* Revoked, it is gone from the file too. */
  nb_permissions_revoke_grant (nb_assistant_get_permissions (f->assistant), 0);
  g_clear_pointer (&metadata, json_object_unref);
  metadata = python_metadata (f, "desktop:one");
  g_assert_false (json_object_has_member (metadata, "tool_grants"));
  stop_assistant (f);
  start_assistant (f);
  g_assert_true (write_in (f, "desktop:one", "notes/d.md", NB_APPROVAL_DENY));
  g_assert_false (written (f, "notes/d.md"));
}

/* What a session file says is checked: an entry without a tool (which
 * would match every tool) or with a pattern that is not a string is
 * not a grant. */
static void
test_restore_checks (Fixture       *f,
                     gconstpointer  data)
{
  NbPermissions *permissions = nb_assistant_get_permissions (f->assistant);
  g_autoptr(JsonArray) grants = NULL;
  g_autoptr(JsonNode) node = json_from_string ("[{\"path\":\"**\"},{\"tool\":\"exec\",\"command\":7},"
                                               "42,{\"tool\":\"\"},{\"tool\":\"exec\",\"command\":\"ls*\",\"x\":1}]",
                                               NULL);

  nb_permissions_restore_grants (permissions, "desktop:x", json_node_get_array (node));
  grants = nb_permissions_dup_session_grants (permissions, "desktop:x");
  g_assert_cmpuint (json_array_get_length (grants), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (grants, 0), "command"), ==, "ls*");
  g_assert_false (json_object_has_member (json_array_get_object_element (grants, 0), "x"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/permissions-grants/survive-restart", Fixture, NULL, fixture_setup, test_grant_survives_restart,
              fixture_teardown);
  g_test_add ("/permissions-grants/restore-checks", Fixture, NULL, fixture_setup, test_restore_checks,
              fixture_teardown);

  return g_test_run ();
}
