/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "nb-fake-llm.h"
#include "nb-provider-registry.h"
#include "nb-test-util.h"

/*
 * `nanobot -m` and tools.permissions: on a terminal (a pty made here,
 * given to the child as stdin and stderr) the user answers y, n (with a
 * reason) or a; without one a call that needs approval is denied with a
 * message; without tools.permissions every call runs (as the Python
 * nanobot), so scripts keep working.
 */

typedef struct {
  NbFakeLlm *fake;
  char      *dir;
  char      *workspace;
  char      *config_path;
  GString   *terminal;   /* what the child wrote to the pty */
  int        master;
  guint      watch;
  gboolean   exited;
  int        status;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->fake = nb_fake_llm_new ();
  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "ws", NULL);
  g_mkdir_with_parents (f->workspace, 0700);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->terminal = g_string_new (NULL);
  f->master = -1;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_handle_id (&f->watch, g_source_remove);
  if (f->master >= 0)
    close (f->master);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->config_path);
  g_string_free (f->terminal, TRUE);
}

static void
write_config (Fixture    *f,
              const char *permissions)
{
  g_autofree char *text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"}},"
                                           "\"providers\":{\"openai\":{\"apiKey\":\"sk-x\",\"apiBase\":\"%s\"}},"
                                           "\"tools\":{\"restrictToWorkspace\":true%s%s}}",
                                           f->workspace, nb_fake_llm_get_url (f->fake),
                                           permissions != NULL ? ",\"permissions\":" : "",
                                           permissions != NULL ? permissions : "");

  nb_test_write_file (f->config_path, text);
}

static void
queue_exec (Fixture    *f,
            const char *command)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_autofree char *arguments = g_strdup_printf ("{\"command\":\"%s\"}", command);
  g_autofree char *escaped = g_strescape (arguments, NULL);
  g_autofree char *event = g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":"
                                            "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                                            "{\"name\":\"exec\",\"arguments\":\"%s\"}}]}}]}\n\n", escaped);
  g_autofree char *done = nb_fake_llm_openai_text_stream ("Finished.");

  nb_fake_response_add_chunk (response, event, -1, 0);
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                              "data: [DONE]\n\n", -1, 5);
  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", done);
}

static gboolean
master_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  Fixture *f = user_data;
  char buffer[4096];
  gssize n = read (fd, buffer, sizeof buffer);

  if (n <= 0)
    {
      f->watch = 0;
      return G_SOURCE_REMOVE;
    }
  g_string_append_len (f->terminal, buffer, n);
  return G_SOURCE_CONTINUE;
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  f->exited = TRUE;
}

/* Starts nanobot -m with the pty as stdin and stderr (or /dev/null as
 * stdin and a pipe as stderr when @tty is FALSE). */
static GSubprocess *
start (Fixture  *f,
       gboolean  tty)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *data = g_build_filename (f->dir, "data", NULL);
  g_autoptr(GError) error = NULL;
  const NbProviderSpec *specs;
  GSubprocess *process;
  guint n;

  launcher = g_subprocess_launcher_new (tty ? G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                            : G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                              G_SUBPROCESS_FLAGS_STDERR_MERGE);
  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_subprocess_launcher_unsetenv (launcher, specs[i].env_key);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");

  if (tty)
    {
      int slave;

      f->master = posix_openpt (O_RDWR | O_NOCTTY);
      g_assert_cmpint (f->master, >=, 0);
      g_assert_cmpint (grantpt (f->master), ==, 0);
      g_assert_cmpint (unlockpt (f->master), ==, 0);
      slave = open (ptsname (f->master), O_RDWR | O_NOCTTY);
      g_assert_cmpint (slave, >=, 0);
      g_assert_true (g_unix_set_fd_nonblocking (f->master, TRUE, NULL));
      g_subprocess_launcher_take_stdin_fd (launcher, dup (slave));
      g_subprocess_launcher_take_stderr_fd (launcher, slave);
      f->watch = g_unix_fd_add (f->master, G_IO_IN | G_IO_HUP | G_IO_ERR, master_cb, f);
    }

  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                         "--config", f->config_path, "-m", "run it", NULL);
  g_assert_no_error (error);
  if (!tty)
    g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, NULL);
  g_subprocess_wait_async (process, NULL, wait_cb, f);
  return process;
}

static void
wait_terminal (Fixture    *f,
               const char *text,
               gsize       from)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (f->terminal->len <= from || strstr (f->terminal->str + from, text) == NULL)
    {
      if (g_get_monotonic_time () > end)
        g_error ("“%s” did not appear on the terminal:\n%s", text, f->terminal->str);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
type (Fixture    *f,
      const char *text)
{
  g_assert_cmpint (write (f->master, text, strlen (text)), ==, (gssize) strlen (text));
}

static const char *
second_request (Fixture *f)
{
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  return nb_fake_llm_get_request (f->fake, 1)->body;
}

static gboolean
marker_exists (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->workspace, "marker", NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_tty_yes (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;

  write_config (f, "{\"default\":\"ask\"}");
  queue_exec (f, "touch marker");
  process = start (f, TRUE);
  wait_terminal (f, "Allow? [y]es, [n]o, [a]lways for exec “touch marker*”: ", 0);
  g_assert_nonnull (strstr (f->terminal->str, "$ touch marker"));
  g_assert_nonnull (strstr (f->terminal->str, f->workspace));
  type (f, "y\n");
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (marker_exists (f));
  g_assert_nonnull (strstr (second_request (f), "Exit code: 0"));
}

static void
test_tty_no (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;

  write_config (f, "{\"default\":\"ask\"}");
  queue_exec (f, "touch marker");
  process = start (f, TRUE);
  wait_terminal (f, "Allow?", 0);
  type (f, "n\n");
  wait_terminal (f, "Reason for the model (optional): ", 0);
  type (f, "not today\n");
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_false (marker_exists (f));
  g_assert_nonnull (strstr (second_request (f), "Denied by the user. Reason: not today"));
}

static void
test_tty_always (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *config = NULL;
  gsize mark;

  write_config (f, "{\"default\":\"ask\"}");
  queue_exec (f, "touch marker");
  process = start (f, TRUE);
  wait_terminal (f, "Allow?", 0);
  mark = f->terminal->len;
  type (f, "maybe\n");
  wait_terminal (f, "Please answer y, n or a: ", mark);
  type (f, "a\n");
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (marker_exists (f));
  config = nb_test_read_file (f->config_path);
  g_assert_nonnull (strstr (config, "\"command\" : \"touch marker*\""));
  g_assert_nonnull (strstr (config, "\"restrictToWorkspace\" : true"));

  /* The next run does not ask. */
  g_clear_object (&process);
  g_clear_handle_id (&f->watch, g_source_remove);
  close (f->master);
  f->master = -1;
  f->exited = FALSE;
  g_string_truncate (f->terminal, 0);
  queue_exec (f, "touch marker");
  process = start (f, TRUE);
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_null (strstr (f->terminal->str, "Allow?"));
  g_assert_nonnull (strstr (nb_fake_llm_get_request (f->fake, 3)->body, "Exit code: 0"));
}

/* "a" when config.json was broken meanwhile (by hand, say): the call
 * runs, the file is left as it is, and stderr says the rule was not
 * saved and why. */
static void
test_tty_always_fails (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *config = NULL;
  const char *broken = "{\"tools\": [oops\n";

  write_config (f, "{\"default\":\"ask\"}");
  queue_exec (f, "touch marker");
  process = start (f, TRUE);
  wait_terminal (f, "Allow?", 0);
  nb_test_write_file (f->config_path, broken);
  type (f, "a\n");
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (marker_exists (f));
  config = nb_test_read_file (f->config_path);
  g_assert_cmpstr (config, ==, broken);
  g_assert_nonnull (strstr (f->terminal->str, "the rule “allow exec “touch marker*”” was not saved: "));
  g_assert_nonnull (strstr (f->terminal->str, "config.json:"));
}

/* No terminal: denied, and the model is told why. */
static void
test_no_tty_denies (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;

  write_config (f, "{\"default\":\"ask\"}");
  queue_exec (f, "touch marker");
  process = start (f, FALSE);
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_false (marker_exists (f));
  g_assert_nonnull (strstr (second_request (f), "Denied: this call needs the user's approval, and nanobot -m can "
                                                "only ask when stdin and stderr are a terminal"));
}

/* No tools.permissions: nanobot -m runs every call, as before. */
static void
test_absent_allows (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GSubprocess) process = NULL;

  write_config (f, NULL);
  queue_exec (f, "touch marker");
  process = start (f, FALSE);
  nb_test_wait_for (&f->exited, 60000);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (marker_exists (f));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/headless-permissions/tty-yes", Fixture, NULL, fixture_setup, test_tty_yes, fixture_teardown);
  g_test_add ("/headless-permissions/tty-no", Fixture, NULL, fixture_setup, test_tty_no, fixture_teardown);
  g_test_add ("/headless-permissions/tty-always", Fixture, NULL, fixture_setup, test_tty_always, fixture_teardown);
  g_test_add ("/headless-permissions/tty-always-fails", Fixture, NULL, fixture_setup, test_tty_always_fails,
              fixture_teardown);
  g_test_add ("/headless-permissions/no-tty-denies", Fixture, NULL, fixture_setup, test_no_tty_denies,
              fixture_teardown);
  g_test_add ("/headless-permissions/absent-allows", Fixture, NULL, fixture_setup, test_absent_allows,
              fixture_teardown);

  return g_test_run ();
}
