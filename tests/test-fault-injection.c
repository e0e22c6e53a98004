/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-http-provider.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * Faults from outside, through NbAssistant as the window and `nanobot -m`
 * use it:
 *  - the provider drops the connection at every byte offset of a reply
 *    that streams text and a tool call: every turn either completes, is
 *    retried (nothing had been shown), or fails with a message for the
 *    user; the session file always loads, by Nanobot and by the Python
 *    nanobot's loader, with every message of the finished turns and the
 *    user's message of the failed one; a tool never runs on a partial
 *    call;
 *  - config.json replaced (renamed over, as editors save) while a turn
 *    runs: the turn finishes with the settings it started with, the next
 *    uses the new file; replaced by a file that does not parse: the last
 *    good settings stay and the user is warned.
 */

typedef struct {
  char        *dir;
  char        *workspace;
  char        *sessions;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  NbSession   *session;
  GPtrArray   *warnings;
} Fixture;

static char *
config_text (Fixture    *f,
             const char *model)
{
  return g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"%s\",\"memoryWindow\":100000,\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          model, f->workspace, nb_fake_llm_get_url (f->fake));
}

static void
warning_cb (NbAssistant *assistant,
            const char  *text,
            Fixture     *f)
{
  g_ptr_array_add (f->warnings, g_strdup (text));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *readme = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->warnings = g_ptr_array_new_with_free_func (g_free);
  f->fake = nb_fake_llm_new ();
  readme = g_build_filename (f->workspace, "notes.txt", NULL);
  nb_test_write_file (readme, "The notes of the project.\n");
  text = config_text (f, "main-model");
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
  g_signal_connect (f->assistant, "warning", G_CALLBACK (warning_cb), f);
  nb_assistant_open_session_async (f->assistant, "desktop:fault", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  f->session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_assistant_cancel_background (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_clear_object (&f->session);
  g_clear_object (&f->assistant);
  g_clear_object (&f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_ptr_array_unref (f->warnings);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->sessions);
  g_free (f->config_path);
}

static char *
run (Fixture     *f,
     const char  *input,
     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_assistant_run_async (f->assistant, f->session, input, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  return nb_assistant_run_finish (f->assistant, result, NULL, error);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

/* Text, then a read_file call whose arguments arrive in three pieces. */
static const char tool_call_stream[] =
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Let me \"}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"look.\"}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
  "\"function\":{\"name\":\"read_file\",\"arguments\":\"\"}}]}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"pa\"}}]}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"th\\\": \\\"notes\"}}]}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\".txt\\\"}\"}}]}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20}}\n\n"
  "data: [DONE]\n\n";

/* Answers what is still queued, so that the next turn starts clean. */
static void
drain (Fixture *f)
{
  g_autofree char *url = g_strconcat (nb_fake_llm_get_url (f->fake), "/chat/completions", NULL);

  while (nb_fake_llm_get_n_queued (f->fake) > 0)
    {
      g_autoptr(SoupSession) session = soup_session_new ();
      g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, url);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) body = NULL;

      soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 10000);
      body = soup_session_send_and_read_finish (session, result, NULL);
    }
}

static guint
count_lines_in (const char *text,
                const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (text, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

/* Loads the session file with a new store, as the next start would. */
static guint
messages_on_disk (Fixture *f)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->sessions);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) loaded = nb_session_store_open (store, "desktop:fault", &error);

  g_assert_no_error (error);
  return nb_session_get_n_messages (loaded);
}

/* The Python nanobot's loader (tests/python-session-loader.py) reads the
 * file: every line must be JSON; the message count must match. */
static void
check_python_loader (Fixture *f,
                     guint    expected)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->sessions);
  g_autofree char *path = nb_session_store_get_path (store, "desktop:fault");
  g_autoptr(JsonObject) result = nb_test_python_load_session (path);

  if (result == NULL)
    {
      g_test_message ("python3 is missing: the Python loader's check is skipped");
      return;
    }
  g_assert_cmpint (json_object_get_int_member (result, "n_messages"), ==, expected);
}

static void
test_drop_every_offset (Fixture       *f,
                        gconstpointer  data)
{
  gsize length = strlen (tool_call_stream);
  /* The reply is whole once its finish_reason arrived. */
  gsize whole = strchr (strstr (tool_call_stream, "finish_reason"), '\n') + 1 - tool_call_stream;
  g_autofree char *reply = NULL;
  g_autoptr(GError) error = NULL;
  guint completed = 0, retried = 0, failed = 0;
  guint expected;

  /* A first turn resolves the provider; then retries come at once. */
  queue_text (f, "Hello.");
  reply = run (f, "hi", &error);
  g_assert_no_error (error);
  nb_http_provider_set_retry_policy (NB_HTTP_PROVIDER (nb_assistant_get_provider (f->assistant)), 1, 1);
  expected = 2;

  for (gsize offset = 0; offset <= length; offset++)
    {
      NbFakeResponse *scripted = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
      guint before = nb_session_get_n_messages (f->session);
      g_autofree char *input = g_strdup_printf ("turn at offset %" G_GSIZE_FORMAT, offset);
      g_autofree char *text = NULL;
      guint added;

      if (offset > 0)
        nb_fake_response_add_chunk (scripted, tool_call_stream, offset, 0);
      if (offset < length)
        nb_fake_response_cut (scripted);
      /* A retry, or the reply after the tool's result. */
      queue_text (f, "Recovered.");

      g_clear_error (&error);
      text = run (f, input, &error);
      drain (f);
      added = nb_session_get_n_messages (f->session) - before;

      if (error != NULL)
        {
          /* The user is told, and their message is kept. */
          g_assert_nonnull (error->message);
          g_assert_cmpuint (strlen (error->message), >, 10);
          g_assert_cmpuint (added, ==, 1);
          failed++;
        }
      else if (added == 2)
        {
          /* Nothing had arrived that could not be taken back: retried. */
          g_assert_cmpstr (text, ==, "Recovered.");
          retried++;
        }
      else
        {
          /* The whole call: the tool ran once, on whole arguments. */
          g_assert_cmpuint (offset, >=, whole);
          g_assert_cmpuint (added, ==, 4);
          g_assert_cmpstr (text, ==, "Recovered.");
          {
            g_autofree char *result = nb_message_dup_text (nb_session_get_message (f->session, before + 2));

            g_assert_nonnull (strstr (result, "The notes of the project."));
          }
          completed++;
        }
      expected += added;
      g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, expected);
      /* Nothing is lost: the file has every message the session has
       * (loaded every few offsets: the file grows to 2 000 lines). */
      if (offset % 8 == 0 || offset + 1 >= whole)
        g_assert_cmpuint (messages_on_disk (f), ==, expected);
    }

  g_test_message ("%" G_GSIZE_FORMAT " offsets: %u completed, %u retried, %u failed with a message",
                  length + 1, completed, retried, failed);
  g_assert_cmpuint (completed, ==, length + 1 - whole);
  g_assert_cmpuint (retried, >, 0);
  g_assert_cmpuint (failed, >, 0);
  /* No partial tool call was ever saved or run. */
  {
    g_autoptr(NbSessionStore) store = nb_session_store_new (f->sessions);
    g_autofree char *path = nb_session_store_get_path (store, "desktop:fault");
    g_autofree char *contents = nb_test_read_file (path);

    g_assert_cmpuint (count_lines_in (contents, "\"tool_call_id\":\"call_1\""), ==, completed);
    g_assert_cmpuint (count_lines_in (contents, "\"arguments\":\"{\\\"path\\\": \\\"notes.txt\\\"}\""), ==, completed);
  }
  check_python_loader (f, expected);
}

static void
changed_cb (gboolean *flag)
{
  *flag = TRUE;
}

/* Writes @text beside config.json and renames it over, as editors do. */
static void
replace_config (Fixture    *f,
                const char *text)
{
  g_autofree char *tmp = g_strconcat (f->config_path, ".new", NULL);

  nb_test_write_file (tmp, text);
  g_assert_cmpint (g_rename (tmp, f->config_path), ==, 0);
}

static void
test_config_replaced (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *edited = config_text (f, "edited-model");
  NbFakeResponse *slow;
  g_autofree char *body = nb_fake_llm_openai_text_stream ("A slow reply to the end.");
  gboolean changed = FALSE;
  gulong id;

  /* A turn whose reply streams slowly; the file is replaced meanwhile. */
  slow = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  nb_fake_response_add_pieces (slow, body, 8, 40);
  id = g_signal_connect_swapped (f->config, "changed", G_CALLBACK (changed_cb), &changed);
  nb_assistant_run_async (f->assistant, f->session, "first", NULL, nb_test_store_result_cb, &result);
  while (nb_fake_llm_get_n_requests (f->fake) == 0)
    g_main_context_iteration (NULL, TRUE);
  replace_config (f, edited);
  nb_test_wait_for (&changed, 10000);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "A slow reply to the end.");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 0), "model"), ==, "main-model");

  /* The next turn uses the new file. */
  queue_text (f, "two");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "second", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 1), "model"), ==, "edited-model");

  /* A file that does not parse (half written by another program): the
   * last good settings stay, and the user is told. */
  g_assert_cmpuint (f->warnings->len, ==, 0);
  replace_config (f, "{\"agents\": {\"defaults\": {\"model\": \"broken");
  while (f->warnings->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (g_ptr_array_index (f->warnings, 0), "config.json"));
  queue_text (f, "three");
  g_clear_pointer (&reply, g_free);
  reply = run (f, "third", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 2), "model"), ==, "edited-model");
  g_signal_handler_disconnect (f->config, id);

  /* Every turn is in the file. */
  g_assert_cmpuint (messages_on_disk (f), ==, 6);
  check_python_loader (f, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fault/provider-drops-at-every-offset", test_drop_every_offset);
  ADD ("/fault/config-replaced-while-running", test_config_replaced);
#undef ADD

  return g_test_run ();
}
