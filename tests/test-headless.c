/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "nb-fake-llm.h"
#include "nb-provider-registry.h"
#include "nb-test-util.h"

typedef struct {
  NbFakeLlm *fake;
  char      *dir;
  char      *config_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->fake = nb_fake_llm_new ();
  fixture->dir = nb_test_make_tmpdir ();
  fixture->config_path = g_build_filename (fixture->dir, "config.json", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  nb_fake_llm_free (fixture->fake);
  nb_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
}

static void
write_config (Fixture    *fixture,
              const char *providers,
              const char *model)
{
  g_autofree char *workspace = g_build_filename (fixture->dir, "workspace", NULL);
  g_autofree char *text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"%s\",\"workspace\":\"%s\"}},"
                                           "\"providers\":{%s}}", model, workspace, providers);

  nb_test_write_file (fixture->config_path, text);
}

typedef struct {
  GSubprocess *process;
  char        *out;
  char        *err;
  gboolean     done;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

/* Runs nanobot with @args (NULL-terminated) and, when @env_key is not
 * NULL, that variable set to @env_value. */
static void
run_start_full (Fixture            *fixture,
                Run                *run,
                const char         *env_key,
                const char         *env_value,
                const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data = g_build_filename (fixture->dir, "data", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const NbProviderSpec *specs;
  guint n;

  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_subprocess_launcher_unsetenv (launcher, specs[i].env_key);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", fixture->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  if (env_key != NULL)
    g_subprocess_launcher_setenv (launcher, env_key, env_value, TRUE);

  g_ptr_array_add (argv, (gpointer) g_getenv ("NANOBOT_BIN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_cb, run);
}

static void
run_start (Fixture    *fixture,
           Run        *run,
           const char *message)
{
  const char *args[] = { "--config", fixture->config_path, "-m", message, NULL };

  run_start_full (fixture, run, NULL, NULL, args);
}

static int
run_finish (Run *run)
{
  nb_test_wait_for (&run->done, 60000);
  g_assert_true (g_subprocess_get_if_exited (run->process));
  return g_subprocess_get_exit_status (run->process);
}

static void
run_clear (Run *run)
{
  g_clear_object (&run->process);
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  run->done = FALSE;
}

/* A conversation that cannot be written would be lost: say so once and
 * fail before the provider is called or any tool runs (issue item 7). */
static void
test_save_failure (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk-headless\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Said, not saved");
  g_autofree char *sessions = g_build_filename (fixture->dir, "data", "nanobot", "sessions", NULL);
  Run run = { 0 };

  write_config (fixture, providers, "gpt-4o");
  /* A regular file where the sessions folder should be. */
  nb_test_write_file (sessions, "");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  run_start (fixture, &run, "Say something");
  g_assert_cmpint (run_finish (&run), ==, 1);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);
  g_assert_nonnull (strstr (run.err, "Nothing was sent"));
  g_assert_nonnull (strstr (run.err, "could not be saved to session cli:direct"));
  g_assert_true (strstr (run.err, "could not be saved") == g_strrstr (run.err, "could not be saved"));
  g_assert_null (strstr (run.err, "WARNING"));
  run_clear (&run);
}

static void
test_streams_reply (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk-headless\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Hello from the fake");
  Run run = { 0 };
  JsonObject *sent;
  JsonArray *messages;

  write_config (fixture, providers, "gpt-4o");
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), body, 50, 2);
  run_start (fixture, &run, "Say hello");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "Hello from the fake\n");

  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 1);
  g_assert_cmpstr (soup_message_headers_get_one (nb_fake_llm_get_request (fixture->fake, 0)->headers, "Authorization"),
                   ==, "Bearer sk-headless");
  sent = nb_fake_llm_get_request_object (fixture->fake, 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "gpt-4o");
  messages = json_object_get_array_member (sent, "messages");
  /* System prompt, runtime context, the user's text. */
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpuint (strlen (json_object_get_string_member (json_array_get_object_element (messages, 0), "content")), >, 0);
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"),
                            "Chat ID: direct"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "Say hello");
  /* The tools, built-in and the agent's own. */
  g_assert_nonnull (strstr (nb_fake_llm_get_request (fixture->fake, 0)->body, "\"name\":\"read_file\""));
  g_assert_nonnull (strstr (nb_fake_llm_get_request (fixture->fake, 0)->body, "\"name\":\"exec\""));
  g_assert_nonnull (strstr (nb_fake_llm_get_request (fixture->fake, 0)->body, "\"name\":\"spawn\""));
  run_clear (&run);
}

static void
test_anthropic (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"anthropic\":{\"apiKey\":\"sk-ant\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *body = nb_fake_llm_anthropic_text_stream ("Bonjour");
  Run run = { 0 };

  write_config (fixture, providers, "anthropic/claude-opus-4-5");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  run_start (fixture, &run, "Salut");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "Bonjour\n");
  g_assert_cmpstr (nb_fake_llm_get_request (fixture->fake, 0)->path, ==, "/v1/messages");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (fixture->fake, 0), "model"),
                   ==, "claude-opus-4-5");
  run_clear (&run);
}

static void
test_provider_fails (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk-bad\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  Run run = { 0 };

  write_config (fixture, providers, "gpt-4o");
  nb_fake_llm_queue_body (fixture->fake, 401, "application/json",
                          "{\"error\":{\"message\":\"Incorrect API key provided\"}}");
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 1);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "Incorrect API key provided"));
  g_assert_nonnull (strstr (run.err, "providers.openai.apiKey"));
  g_assert_nonnull (strstr (run.err, "OPENAI_API_KEY"));
  run_clear (&run);
}

static void
test_nothing_at_ollama (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *providers = NULL;
  Run run = { 0 };

  /* A port with no listener. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  providers = g_strdup_printf ("\"ollama\":{\"apiBase\":\"http://127.0.0.1:%u\"}",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  write_config (fixture, providers, "llama3.2");
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 1);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "Ollama"));
  g_assert_nonnull (strstr (run.err, fixture->config_path));
  g_assert_nonnull (strstr (run.err, "apiKey"));
  g_assert_nonnull (strstr (run.err, "OPENAI_API_KEY"));
  run_clear (&run);
}

static void
test_sigint (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  Run run = { 0 };
  NbFakeResponse *scripted;

  write_config (fixture, providers, "gpt-4o");
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Part\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 30000);
  run_start (fixture, &run, "Hi");
  while (nb_fake_llm_get_n_requests (fixture->fake) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_send_signal (run.process, SIGINT);
  g_assert_cmpint (run_finish (&run), ==, 130);
  run_clear (&run);
}

/* A consolidation whose LLM call hangs after the reply holds the process
 * for 30 s at most, is then cancelled (said in one line) and changes
 * nothing. */
static void
test_consolidation_hangs (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *workspace = g_build_filename (fixture->dir, "workspace", NULL);
  g_autofree char *history = g_build_filename (workspace, "memory", "HISTORY.md", NULL);
  g_autofree char *memory = g_build_filename (workspace, "memory", "MEMORY.md", NULL);
  g_autofree char *session = g_build_filename (fixture->dir, "data", "nanobot", "sessions", "cli_direct.jsonl", NULL);
  g_autofree char *config = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\","
                                             "\"memoryWindow\":2}},"
                                             "\"providers\":{\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}}}",
                                             workspace, nb_fake_llm_get_url (fixture->fake));
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Noted");
  g_autofree char *contents = NULL;
  g_autofree char *template = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) lines = NULL;
  const char *line;
  Run run = { 0 };
  NbFakeResponse *scripted;

  nb_test_write_file (fixture->config_path, config);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  /* The consolidation's call: a first chunk, then nothing for long. */
  scripted = nb_fake_llm_queue (fixture->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (scripted, ": thinking\n\n", -1, 0);
  nb_fake_response_add_chunk (scripted, "data: [DONE]\n\n", -1, 300000);
  run_start (fixture, &run, "Remember that I like tea");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "Noted\n");

  /* The consolidation was asked for, then given up. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  g_assert_nonnull (strstr (nb_fake_llm_get_request (fixture->fake, 1)->body, "\"name\":\"save_memory\""));
  line = strstr (run.err, "nanobot: memory consolidation did not finish within 30 seconds; ");
  g_assert_nonnull (line);
  g_assert_nonnull (strchr (line, '\n'));
  g_assert_cmpstr (strchr (line, '\n'), ==, run.err + strlen (run.err) - 1);  /* one line, the last */
  g_assert_null (strstr (run.err, "WARNING"));

  /* Nothing changed: the workspace's templates as they were made,
   * last_consolidated still 0. */
  contents = nb_test_read_file (history);
  g_assert_cmpstr (contents, ==, "");
  g_clear_pointer (&contents, g_free);
  template = g_build_filename (g_getenv ("NB_SOURCE_DIR"), "data", "workspace", "memory", "MEMORY.md", NULL);
  expected = nb_test_read_file (template);
  contents = nb_test_read_file (memory);
  g_assert_cmpstr (contents, ==, expected);
  g_clear_pointer (&contents, g_free);
  contents = nb_test_read_file (session);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"_type\":\"metadata\"") != NULL)
      g_assert_nonnull (strstr (lines[i], "\"last_consolidated\":0"));
  g_assert_nonnull (strstr (contents, "I like tea"));
  run_clear (&run);
}

static char *
tool_call_stream (const char *content,
                  ...)
{
  GString *body = g_string_new (NULL);
  const char *id;
  va_list args;
  guint index = 0;

  if (content != NULL)
    g_string_append_printf (body, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n",
                            content);
  va_start (args, content);
  while ((id = va_arg (args, const char *)) != NULL)
    {
      const char *name = va_arg (args, const char *);
      const char *arguments = va_arg (args, const char *);
      g_autoptr(JsonNode) text = json_node_init_string (json_node_alloc (), arguments);
      g_autofree char *quoted = json_to_string (text, FALSE);

      /* The name first, then the arguments in a second delta. */
      g_string_append_printf (body, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%u,"
                              "\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":\"\"}}]}}]}\n\n",
                              index, id, name);
      g_string_append_printf (body, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%u,"
                              "\"function\":{\"arguments\":%s}}]}}]}\n\n", index, quoted);
      index++;
    }
  va_end (args);
  g_string_append (body, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                         "data: [DONE]\n\n");
  return g_string_free (body, FALSE);
}

static JsonObject *
find_message (JsonArray  *messages,
              const char *role,
              guint       nth)
{
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (g_strcmp0 (json_object_get_string_member (message, "role"), role) == 0 && nth-- == 0)
        return message;
    }
  g_error ("no %s message", role);
}

static void
test_tool_calls (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *notes = g_build_filename (fixture->dir, "workspace", "notes.txt", NULL);
  g_autofree char *calls = NULL;
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Your notes mention the moon.");
  g_autofree char *session_path = g_build_filename (fixture->dir, "data", "nanobot", "sessions", "cli_direct.jsonl", NULL);
  g_autofree char *saved = NULL;
  g_auto(GStrv) lines = NULL;
  Run run = { 0 };
  JsonObject *sent;
  JsonArray *messages;
  JsonObject *tool;

  write_config (fixture, providers, "gpt-4o");
  nb_test_write_file (notes, "We flew to the moon on Tuesday.\n");
  calls = tool_call_stream ("Let me look.",
                            "call_a", "read_file", "{\"path\":\"notes.txt\"}",
                            "call_b", "message", "{\"content\":\"Working on it\",\"chat_id\":\"elsewhere\"}",
                            "call_c", "exec", "{\"command\":\"echo a rather long command about the moon landing and its history\"}",
                            NULL);
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), calls, 40, 1);
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), reply, 40, 1);

  run_start (fixture, &run, "What do my notes say?");
  g_assert_cmpint (run_finish (&run), ==, 0);

  /* The reply streams to stdout; tool activity and messages to stderr. */
  g_assert_cmpstr (run.out, ==, "Let me look.\nYour notes mention the moon.\n");
  g_assert_nonnull (strstr (run.err, "↳ read_file(\"notes.txt\")\n"));
  g_assert_nonnull (strstr (run.err, "↳ message(\"Working on it\")\n"));
  g_assert_nonnull (strstr (run.err, "↳ exec(\"echo a rather long command about the mo…\")\n"));
  g_assert_nonnull (strstr (run.err, "Working on it\n"));

  /* The second request carries the calls and their results in call order. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  sent = nb_fake_llm_get_request_object (fixture->fake, 1);
  messages = json_object_get_array_member (sent, "messages");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (find_message (messages, "assistant", 0),
                                                                         "tool_calls")), ==, 3);
  tool = find_message (messages, "tool", 0);
  g_assert_cmpstr (json_object_get_string_member (tool, "tool_call_id"), ==, "call_a");
  g_assert_nonnull (strstr (json_object_get_string_member (tool, "content"), "We flew to the moon"));
  tool = find_message (messages, "tool", 1);
  g_assert_cmpstr (json_object_get_string_member (tool, "tool_call_id"), ==, "call_b");
  g_assert_cmpstr (json_object_get_string_member (tool, "content"), ==, "Message sent to cli:elsewhere");
  tool = find_message (messages, "tool", 2);
  g_assert_cmpstr (json_object_get_string_member (tool, "tool_call_id"), ==, "call_c");
  g_assert_nonnull (strstr (json_object_get_string_member (tool, "content"),
                            "a rather long command about the moon landing and its history"));

  /* The session file holds the turn: metadata, user, assistant with calls,
   * three results, the reply. */
  saved = nb_test_read_file (session_path);
  lines = g_strsplit (g_strchomp (saved), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 7);
  g_assert_nonnull (strstr (lines[1], "\"What do my notes say?\""));
  g_assert_nonnull (strstr (lines[2], "\"tool_calls\""));
  g_assert_nonnull (strstr (lines[3], "\"call_a\""));
  g_assert_nonnull (strstr (lines[5], "\"call_c\""));
  g_assert_nonnull (strstr (lines[6], "Your notes mention the moon."));
  run_clear (&run);
}

static void
test_tool_turn_fails (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *calls = tool_call_stream (NULL, "call_a", "list_dir", "{\"path\":\".\"}", NULL);
  g_autofree char *session_path = g_build_filename (fixture->dir, "data", "nanobot", "sessions", "cli_direct.jsonl", NULL);
  g_autofree char *saved = NULL;
  Run run = { 0 };

  write_config (fixture, providers, "gpt-4o");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", calls);
  nb_fake_llm_queue_body (fixture->fake, 400, "application/json",
                          "{\"error\":{\"message\":\"context_length_exceeded\"}}");

  run_start (fixture, &run, "List it");
  g_assert_cmpint (run_finish (&run), ==, 1);
  g_assert_nonnull (strstr (run.err, "↳ list_dir(\".\")"));
  g_assert_nonnull (strstr (run.err, "context_length_exceeded"));

  /* The error is not in the session; the tool round is. */
  saved = nb_test_read_file (session_path);
  g_assert_null (strstr (saved, "context_length_exceeded"));
  g_assert_nonnull (strstr (saved, "\"tool_call_id\":\"call_a\""));
  run_clear (&run);
}

/* A provider the configuration names wrongly is bad config: exit 2,
 * naming the file and the key, and nothing is sent anywhere. */
static void
test_unknown_provider (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"provider\":\"nosuch\",\"model\":\"m\"}},"
                                           "\"providers\":{\"custom\":{\"apiBase\":\"%s\"}}}",
                                           nb_fake_llm_get_url (fixture->fake));
  Run run = { 0 };

  nb_test_write_file (fixture->config_path, text);
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, fixture->config_path));
  g_assert_nonnull (strstr (run.err, "“nosuch”"));
  g_assert_nonnull (strstr (run.err, "agents.defaults.provider"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);
  run_clear (&run);
}

/* The path of the foundation: a provider chosen but not usable is bad
 * configuration, said before anything is sent. */
static void
test_no_provider_configured (Fixture       *fixture,
                             gconstpointer  data)
{
  Run run = { 0 };

  nb_test_write_file (fixture->config_path,
                      "{\"agents\":{\"defaults\":{\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\"}}}");
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "no provider configured"));
  g_assert_nonnull (strstr (run.err, "providers.anthropic.apiKey"));
  g_assert_nonnull (strstr (run.err, fixture->config_path));
  g_assert_nonnull (strstr (run.err, "ANTHROPIC_API_KEY"));
  run_clear (&run);
}

static void
test_slash_commands (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Noted, you like tea.");
  g_autofree char *save = tool_call_stream (NULL, "call_m", "save_memory",
                                            "{\"history_entry\":\"[2026-01-01 10:00] Talked about tea.\","
                                            "\"memory_update\":\"# Memory\\nThe user likes tea.\"}",
                                            NULL);
  g_autofree char *session_path = g_build_filename (fixture->dir, "data", "nanobot", "sessions", "cli_direct.jsonl", NULL);
  g_autofree char *memory_path = g_build_filename (fixture->dir, "workspace", "memory", "MEMORY.md", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *memory = NULL;
  Run run = { 0 };

  write_config (fixture, providers, "gpt-4o");

  run_start (fixture, &run, "/help");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_nonnull (strstr (run.out, "/new"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);
  run_clear (&run);

  /* Nothing runs in a fresh process: /stop says so instead of printing nothing. */
  run_start (fixture, &run, "/stop");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "Nothing is running.\n");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);
  run_clear (&run);

  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", reply);
  run_start (fixture, &run, "I like tea");
  g_assert_cmpint (run_finish (&run), ==, 0);
  run_clear (&run);

  /* /new folds the conversation into memory with one call, then clears it. */
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", save);
  run_start (fixture, &run, "/new");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "New session started.\n");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);
  memory = nb_test_read_file (memory_path);
  g_assert_nonnull (strstr (memory, "The user likes tea."));
  saved = nb_test_read_file (session_path);
  g_assert_null (strstr (saved, "I like tea"));
  run_clear (&run);
}

static void
test_mcp_tools (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *server = g_build_filename (g_getenv ("NB_MCP_TEST_DATA"), "fake-server.js", NULL);
  g_autofree char *workspace = g_build_filename (fixture->dir, "workspace", NULL);
  g_autofree char *config = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"}},"
                                             "\"providers\":{%s},"
                                             "\"tools\":{\"mcpServers\":{\"fake\":{\"command\":\"node\",\"args\":[\"%s\"]},"
                                             "\"broken\":{\"command\":\"/nonexistent/mcp-server\"}}}}",
                                             workspace, providers, server);
  g_autofree char *calls = tool_call_stream (NULL, "call_e", "mcp_fake_echo", "{\"text\":\"ping from the model\"}", NULL);
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("The server echoed.");
  Run run = { 0 };
  JsonObject *tool;

  nb_test_write_file (fixture->config_path, config);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", calls);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", reply);

  run_start (fixture, &run, "Use the echo server");
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "The server echoed.\n");
  g_assert_nonnull (strstr (run.err, "nanobot: MCP server “broken” failed: "));
  g_assert_nonnull (strstr (run.err, "↳ mcp_fake_echo(\"ping from the model\")"));

  /* The server's tools were offered, and its answer went back. */
  g_assert_nonnull (strstr (nb_fake_llm_get_request (fixture->fake, 0)->body, "\"name\":\"mcp_fake_echo\""));
  tool = find_message (json_object_get_array_member (nb_fake_llm_get_request_object (fixture->fake, 1), "messages"),
                       "tool", 0);
  g_assert_nonnull (strstr (json_object_get_string_member (tool, "content"), "ping from the model"));
  run_clear (&run);
}

static void
run_start_session (Fixture    *fixture,
                   Run        *run,
                   const char *message,
                   const char *session)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data = g_build_filename (fixture->dir, "data", NULL);
  g_autoptr(GError) error = NULL;
  const NbProviderSpec *specs;
  guint n;

  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_subprocess_launcher_unsetenv (launcher, specs[i].env_key);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", fixture->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");

  run->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                              "--config", fixture->config_path, "-s", session,
                                              "-m", message, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_cb, run);
}

/* issue item 6: two `nanobot -m` on one session took turns at the same
 * time: their lines interleaved in the file and the second turn did not
 * see the first one's tool exchange. Now the second waits for the first
 * (saying so), then reads what it wrote. A waits in a slow tool-call
 * stream while B starts. */
static void
test_issue6_one_turn_per_session (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *calls = tool_call_stream ("A looks.", "call_a", "exec", "{\"command\":\"echo from-A\"}", NULL);
  g_autofree char *reply_a = nb_fake_llm_openai_text_stream ("A is done.");
  g_autofree char *reply_b = nb_fake_llm_openai_text_stream ("B is done.");
  g_autofree char *session_path = g_build_filename (fixture->dir, "data", "nanobot", "sessions", "cli_shared.jsonl", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *body_b = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *roles = g_ptr_array_new ();
  Run a = { 0 };
  Run b = { 0 };

  write_config (fixture, providers, "gpt-4o");
  /* A's call stream takes about 1.5 s; B starts while it streams. */
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), calls, 20, 60);
  nb_fake_response_add_pieces (nb_fake_llm_queue (fixture->fake, 200, "text/event-stream"), reply_a, 20, 20);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", reply_b);

  run_start_session (fixture, &a, "Message A", "cli:shared");
  while (nb_fake_llm_get_n_requests (fixture->fake) < 1)
    g_main_context_iteration (NULL, TRUE);
  run_start_session (fixture, &b, "Message B", "cli:shared");

  g_assert_cmpint (run_finish (&a), ==, 0);
  g_assert_cmpint (run_finish (&b), ==, 0);
  g_assert_cmpstr (a.out, ==, "A looks.\nA is done.\n");
  g_assert_cmpstr (b.out, ==, "B is done.\n");
  g_assert_nonnull (strstr (b.err, "another Nanobot is answering in this conversation; waiting…"));

  /* B asked last, with all of A's turn before its own message. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 3);
  body_b = g_strdup (nb_fake_llm_get_request (fixture->fake, 2)->body);
  g_assert_nonnull (strstr (body_b, "Message A"));
  g_assert_nonnull (strstr (body_b, "call_a"));
  g_assert_nonnull (strstr (body_b, "from-A"));
  g_assert_nonnull (strstr (body_b, "A is done."));
  g_assert_true (strstr (body_b, "A is done.") < strstr (body_b, "Message B"));

  /* The file holds A's turn, then B's: user, call, result, reply, user, reply. */
  saved = nb_test_read_file (session_path);
  lines = g_strsplit (g_strchomp (saved), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"_type\":\"metadata\"") == NULL)
      g_ptr_array_add (roles, lines[i]);
  g_assert_cmpuint (roles->len, ==, 6);
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 0), "Message A"));
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 1), "call_a"));
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 2), "\"tool\""));
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 3), "A is done."));
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 4), "Message B"));
  g_assert_nonnull (strstr (g_ptr_array_index (roles, 5), "B is done."));
  g_ptr_array_unref (roles);
  run_clear (&a);
  run_clear (&b);
}

static void
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* issue item 6: a lock held by a process that is then killed blocks only
 * while that process lives: flock() dies with it. */
static void
test_issue6_killed_holder (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Answered.");
  g_autofree char *sessions = g_build_filename (fixture->dir, "data", "nanobot", "sessions", NULL);
  g_autofree char *lock_path = g_build_filename (sessions, "cli_direct.lock", NULL);
  int ready[2];
  char byte = 0;
  pid_t holder;
  gboolean waited = FALSE;
  Run run = { 0 };

  write_config (fixture, providers, "gpt-4o");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", reply);
  g_assert_cmpint (g_mkdir_with_parents (sessions, 0700), ==, 0);
  /* A child that takes the lock as a Nanobot would, then is killed (only
   * async-signal-safe calls after fork). */
  g_assert_cmpint (pipe (ready), ==, 0);
  holder = fork ();
  g_assert_cmpint (holder, >=, 0);
  if (holder == 0)
    {
      int fd = open (lock_path, O_RDWR | O_CREAT, 0600);

      if (fd < 0 || flock (fd, LOCK_EX) != 0)
        _exit (1);
      if (write (ready[1], "x", 1) != 1)
        _exit (1);
      for (;;)
        pause ();
    }
  close (ready[1]);
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);
  close (ready[0]);

  run_start (fixture, &run, "Hello");
  g_timeout_add_once (700, set_true, &waited);
  nb_test_wait_for (&waited, 5000);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);
  g_assert_cmpint (kill (holder, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (holder, NULL, 0), ==, holder);
  g_assert_cmpint (run_finish (&run), ==, 0);
  g_assert_cmpstr (run.out, ==, "Answered.\n");
  g_assert_nonnull (strstr (run.err, "another Nanobot is answering in this conversation; waiting…"));
  run_clear (&run);
}

/* issue item 7: configuration mistakes are said clearly, with exit 2 and
 * where they are, before anything is sent. */
static void
test_config_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *providers = g_strdup_printf ("\"openai\":{\"apiBase\":\"%s\"}",
                                                nb_fake_llm_get_url (fixture->fake));
  g_autofree char *missing = g_build_filename (fixture->dir, "typo.json", NULL);
  g_autofree char *a_file = g_build_filename (fixture->dir, "not-a-folder", NULL);
  g_autofree char *text = NULL;
  g_autofree char *body = nb_fake_llm_openai_text_stream ("Trimmed");
  const char *missing_args[] = { "--config", missing, "-m", "Hi", NULL };
  const char *bad_utf8_args[] = { "--config", fixture->config_path, "-m", "a\xff\xfe b", NULL };
  Run run = { 0 };

  /* --config FILE that does not exist. */
  run_start_full (fixture, &run, NULL, NULL, missing_args);
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, missing));
  g_assert_nonnull (strstr (run.err, "no such configuration file"));
  run_clear (&run);

  /* apiBase that is not a URL: the file and the key. */
  nb_test_write_file (fixture->config_path, "{\"providers\":{\"openai\":{\"apiKey\":\"sk-x\",\"apiBase\":\"ht!tp://[::zz/\"}}}");
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, fixture->config_path));
  g_assert_nonnull (strstr (run.err, "providers.openai.apiBase"));
  run_clear (&run);

  /* A workspace that is a file, one that cannot be created. */
  nb_test_write_file (a_file, "");
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"workspace\":\"%s\"}}}", a_file);
  nb_test_write_file (fixture->config_path, text);
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, "agents.defaults.workspace"));
  g_assert_nonnull (strstr (run.err, "is not a folder"));
  run_clear (&run);
  g_free (text);
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"workspace\":\"%s/below\"}}}", a_file);
  nb_test_write_file (fixture->config_path, text);
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, "agents.defaults.workspace"));
  g_assert_nonnull (strstr (run.err, "cannot be created"));
  run_clear (&run);

  /* -m that is not UTF-8. */
  write_config (fixture, providers, "gpt-4o");
  run_start_full (fixture, &run, "OPENAI_API_KEY", "sk-x", bad_utf8_args);
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, "-m is not valid UTF-8"));
  run_clear (&run);

  /* A key with an inner control character names where it came from; in
   * the configuration, with its line. */
  {
    const char *args[] = { "--config", fixture->config_path, "-m", "Hi", NULL };

    run_start_full (fixture, &run, "OPENAI_API_KEY", "sk-a\tb", args);
    g_assert_cmpint (run_finish (&run), ==, 2);
    g_assert_nonnull (strstr (run.err, "OPENAI_API_KEY"));
    g_assert_nonnull (strstr (run.err, "control character"));
    run_clear (&run);
  }
  nb_test_write_file (fixture->config_path, "{\"providers\":{\"openai\":{\"apiKey\":\"sk-a\\u0007b\"}}}");
  run_start (fixture, &run, "Hi");
  g_assert_cmpint (run_finish (&run), ==, 2);
  g_assert_nonnull (strstr (run.err, fixture->config_path));
  g_assert_nonnull (strstr (run.err, "providers.openai.apiKey"));
  run_clear (&run);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 0);

  /* A trailing line break around a key is trimmed; the key is sent. */
  write_config (fixture, providers, "gpt-4o");
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", body);
  {
    const char *args[] = { "--config", fixture->config_path, "-m", "Hi", NULL };

    run_start_full (fixture, &run, "OPENAI_API_KEY", "sk-trim\n", args);
    g_assert_cmpint (run_finish (&run), ==, 0);
    g_assert_cmpstr (run.out, ==, "Trimmed\n");
    g_assert_cmpstr (soup_message_headers_get_one (nb_fake_llm_get_request (fixture->fake, 0)->headers, "Authorization"),
                     ==, "Bearer sk-trim");
    run_clear (&run);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/headless/streams-reply", test_streams_reply);
  ADD ("/headless/save-failure", test_save_failure);
  ADD ("/headless/anthropic", test_anthropic);
  ADD ("/headless/provider-fails", test_provider_fails);
  ADD ("/headless/nothing-at-ollama", test_nothing_at_ollama);
  ADD ("/headless/sigint", test_sigint);
  ADD ("/headless/consolidation-hangs", test_consolidation_hangs);
  ADD ("/headless/tool-calls", test_tool_calls);
  ADD ("/headless/tool-turn-fails", test_tool_turn_fails);
  ADD ("/headless/unknown-provider", test_unknown_provider);
  ADD ("/headless/no-provider-configured", test_no_provider_configured);
  ADD ("/headless/slash-commands", test_slash_commands);
  ADD ("/headless/mcp-tools", test_mcp_tools);
  ADD ("/headless/issue6-one-turn-per-session", test_issue6_one_turn_per_session);
  ADD ("/headless/issue6-killed-holder", test_issue6_killed_holder);
  ADD ("/headless/config-errors", test_config_errors);

  return g_test_run ();
}
