/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * `nanobot -m` killed with SIGKILL at random moments, 200 turns in a row
 * on one conversation: every fourth turn spawns a sub-agent, whose result
 * comes back as a turn of its own, and memoryWindow is small, so a
 * consolidation (MEMORY.md, HISTORY.md, its record) runs after most turns.
 * A provider in this process answers by what it is asked; its replies come
 * after a random delay of up to 10 ms, so that kills land before, during
 * and after requests, tool runs, session writes and consolidations.
 *
 * After every run: the session file loads, in Nanobot and with the Python
 * nanobot's loader (every line JSON); it holds the user's message of
 * every run that finished, and at most the message in flight of a killed
 * one is missing; MEMORY.md and HISTORY.md are whole (no half entry).
 * A run that was not killed exits 0 and prints the reply.
 *
 * NB_FAULT_KILL_TURNS changes the number of runs (200).
 */

#define DEFAULT_TURNS 200

typedef struct {
  SoupServer *server;
  char       *url;
  guint       requests;
  GRand      *rand;
} Provider;

static char *
text_stream (const char *text)
{
  return g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"}}]}\n\n"
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                          "data: [DONE]\n\n", text);
}

static char *
call_stream (const char *name,
             const char *escaped_arguments)
{
  return g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,"
                          "\"id\":\"call_%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":\"%s\"}}]}}]}\n\n"
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                          "data: [DONE]\n\n", name, name, escaped_arguments);
}

static char *
answer_for (Provider *self,
            JsonNode *request)
{
  JsonObject *root = JSON_NODE_HOLDS_OBJECT (request) ? json_node_get_object (request) : NULL;
  JsonArray *messages = root != NULL && json_object_has_member (root, "messages")
    ? json_object_get_array_member (root, "messages") : NULL;
  g_autofree char *tools = NULL;
  JsonObject *last;
  const char *role;
  JsonNode *content;
  g_autofree char *text = NULL;

  if (root != NULL && json_object_has_member (root, "tools"))
    tools = json_to_string (json_object_get_member (root, "tools"), FALSE);
  if (tools != NULL && strstr (tools, "\"save_memory\"") != NULL && strstr (tools, "\"spawn\"") == NULL)
    {
      g_autofree char *arguments = g_strdup_printf ("{\\\"history_entry\\\": \\\"[2026-02-20 10:00] Request %u talked about things.\\\", "
                                                    "\\\"memory_update\\\": \\\"# Memory\\\\n- Fact of request %u.\\\\n\\\"}",
                                                    self->requests, self->requests);

      return call_stream ("save_memory", arguments);
    }
  if (messages == NULL || json_array_get_length (messages) == 0)
    return text_stream ("Nothing to answer.");
  last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  role = json_object_get_string_member (last, "role");
  if (g_strcmp0 (role, "tool") == 0)
    return text_stream ("Done with that.");
  content = json_object_get_member (last, "content");
  if (content != NULL)
    text = json_to_string (content, FALSE);
  if (text != NULL && strstr (text, "please spawn") != NULL)
    return call_stream ("spawn", "{\\\"task\\\": \\\"Count to three and report.\\\", \\\"label\\\": \\\"counter\\\"}");
  return text_stream ("Here is the answer.");
}

static gboolean
respond_cb (gpointer user_data)
{
  SoupServerMessage *message = user_data;

  soup_server_message_unpause (message);
  g_object_unref (message);
  return G_SOURCE_REMOVE;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Provider *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *answer = NULL;
  gsize length;

  self->requests++;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
    answer = text_stream ("Unreadable request.");
  else
    answer = answer_for (self, json_parser_get_root (parser));
  soup_server_message_set_status (message, 200, NULL);
  length = strlen (answer);
  soup_server_message_set_response (message, "text/event-stream", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&answer), length);
  soup_server_message_pause (message);
  g_timeout_add (g_rand_int_range (self->rand, 0, 10), respond_cb, g_object_ref (message));
}

typedef struct {
  GSubprocess *process;
  gboolean     done;
  char        *out;
  char        *err;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, NULL);
  run->done = TRUE;
}

static gboolean
kill_cb (gpointer user_data)
{
  Run *run = user_data;

  if (!run->done)
    g_subprocess_send_signal (run->process, SIGKILL);
  return G_SOURCE_REMOVE;
}

static guint
python_count (const char *path)
{
  g_autoptr(JsonObject) result = nb_test_python_load_session (path);

  if (result == NULL)
    return G_MAXUINT;  /* no python3 */
  return json_object_get_int_member (result, "n_messages");
}

static void
test_kill_loop (void)
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *workspace = g_build_filename (dir, "workspace", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *sessions = g_build_filename (data, "nanobot", "sessions", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *memory_path = g_build_filename (workspace, "memory", "MEMORY.md", NULL);
  g_autofree char *history_path = g_build_filename (workspace, "memory", "HISTORY.md", NULL);
  g_autofree char *config = NULL;
  g_autofree char *session_path = NULL;
  g_autofree char *template = NULL;
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  const char *env_turns = g_getenv ("NB_FAULT_KILL_TURNS");
  guint turns = env_turns != NULL && atoi (env_turns) > 0 ? (guint) atoi (env_turns) : DEFAULT_TURNS;
  guint killed = 0, completed = 0;
  Provider provider = { 0 };

  provider.rand = g_rand_new_with_seed (g_test_rand_int ());
  provider.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (provider.server, NULL, handler_cb, &provider, NULL);
  soup_server_listen_local (provider.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (provider.server);
  provider.url = g_uri_to_string (uris->data);

  config = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"memoryModel\":\"gpt-4o-mini\","
                            "\"memoryWindow\":6,\"workspace\":\"%s\"}},"
                            "\"providers\":{\"openai\":{\"apiKey\":\"sk-kill\",\"apiBase\":\"%sv1\"}}}",
                            workspace, provider.url);
  nb_test_write_file (config_path, config);
  {
    g_autoptr(NbSessionStore) store = nb_session_store_new (sessions);

    session_path = nb_session_store_get_path (store, "cli:direct");
  }

  for (guint turn = 0; turn < turns; turn++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                           G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autofree char *input = g_strdup_printf ("turn %03u%s", turn, turn % 4 == 1 ? ", please spawn a helper" : "");
      gboolean kill = g_rand_boolean (provider.rand);
      Run run = { 0 };

      g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
      g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
      g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", dir, TRUE);
      g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
      g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
      g_subprocess_launcher_unsetenv (launcher, "OPENAI_API_KEY");
      run.process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                                 "--config", config_path, "-m", input, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (run.process, NULL, NULL, communicate_cb, &run);
      if (kill)
        g_timeout_add (g_rand_int_range (provider.rand, 0, 100), kill_cb, &run);
      nb_test_wait_for (&run.done, 60000);

      if (g_subprocess_get_if_signaled (run.process))
        {
          g_assert_cmpint (g_subprocess_get_term_sig (run.process), ==, SIGKILL);
          killed++;
        }
      else
        {
          if (g_subprocess_get_exit_status (run.process) != 0)
            g_error ("run %u failed: %s", turn, run.err);
          g_assert_nonnull (strstr (run.out, "answer") != NULL ? run.out : strstr (run.out, "Done"));
          g_ptr_array_add (finished, g_strdup_printf ("turn %03u", turn));
          completed++;
        }
      g_free (run.out);
      g_free (run.err);

      /* The file loads, with every finished run's message. */
      if (g_file_test (session_path, G_FILE_TEST_EXISTS))
        {
          g_autoptr(NbSessionStore) store = nb_session_store_new (sessions);
          g_autoptr(NbSession) session = nb_session_store_open (store, "cli:direct", &error);
          g_autofree char *contents = NULL;
          guint python;

          g_assert_no_error (error);
          contents = nb_test_read_file (session_path);
          for (guint i = 0; i < finished->len; i++)
            if (strstr (contents, g_ptr_array_index (finished, i)) == NULL)
              g_error ("after run %u, the message of finished run \"%s\" is missing", turn,
                       (char *) g_ptr_array_index (finished, i));
          /* Python starts slowly: every fourth run, and after a kill. */
          if (turn % 4 == 0 || g_subprocess_get_if_signaled (run.process) || turn + 1 == turns)
            {
              python = python_count (session_path);
              g_assert_true (python == G_MAXUINT || python == nb_session_get_n_messages (session));
            }
        }
      g_clear_object (&run.process);
      /* Memory files are whole: entries end with a blank line. */
      if (g_file_test (history_path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *history = nb_test_read_file (history_path);

          g_assert_true (history[0] == '\0' || g_str_has_suffix (history, "talked about things.\n\n"));
        }
      if (g_file_test (memory_path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *memory = nb_test_read_file (memory_path);

          /* The workspace's template, or what a consolidation wrote, whole. */
          if (template == NULL)
            template = g_strdup (memory);
          if (!g_str_equal (memory, template))
            {
              g_assert_true (g_str_has_prefix (memory, "# Memory\n- Fact of request "));
              g_assert_true (g_str_has_suffix (memory, ".\n"));
            }
        }
    }

  g_test_message ("%u runs: %u killed, %u finished; %u provider requests", turns, killed, completed, provider.requests);
  g_assert_cmpuint (killed, >, 0);
  g_assert_cmpuint (completed, >, 0);
  g_assert_true (g_file_test (history_path, G_FILE_TEST_EXISTS));

  g_object_unref (provider.server);
  g_free (provider.url);
  g_rand_free (provider.rand);
  nb_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fault/sigkill-200-turns", test_kill_loop);
  return g_test_run ();
}
