/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
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

static void
run_start (Fixture    *fixture,
           Run        *run,
           const char *message)
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
                                              "--config", fixture->config_path, "-m", message, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_cb, run);
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
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpuint (strlen (json_object_get_string_member (json_array_get_object_element (messages, 0), "content")), >, 0);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==, "Say hello");
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/headless/streams-reply", test_streams_reply);
  ADD ("/headless/anthropic", test_anthropic);
  ADD ("/headless/provider-fails", test_provider_fails);
  ADD ("/headless/nothing-at-ollama", test_nothing_at_ollama);
  ADD ("/headless/sigint", test_sigint);

  return g_test_run ();
}
