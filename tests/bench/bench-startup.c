/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Start-up, and memory, of the real nanobot ($NANOBOT_BIN), each figure
 * min / median of 5 runs (the file cache is warm: "cold" is a new
 * process, not a cold disk):
 *  - headless: `nanobot -m` from spawn to the provider receiving the
 *    first bytes of the request, and the largest resident set of a run;
 *  - S1, "nothing optional before it is used": the same first request
 *    from a program that starts the agent as nanobot -m does, and from
 *    one that first initialises GTK and libadwaita, as a start-up that
 *    loads everything would (this program, --child lazy / eager);
 *  - the window (needs a display): from spawn to its first frame and to
 *    the chat being usable (the composer focused and editable), then the
 *    resident set after 3 s idle, empty and with a 5 000-message
 *    conversation (the last one, reopened at start). The times come from
 *    nb-bench-startup-shim.so, put into nanobot with LD_PRELOAD.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-session-store.h"
#include "nb-test-util.h"
#include "nb-bench-table.h"

#define RUNS 5

/* The child of the S1 measure: one turn, as nanobot -m runs it. */
static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autofree char *reply = nb_assistant_run_finish (NB_ASSISTANT (source), result, NULL, NULL);

  exit (0);
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (NB_ASSISTANT (source), result, NULL);

  if (session == NULL)
    exit (1);
  nb_assistant_run_async (NB_ASSISTANT (source), session, "hi", NULL, run_cb, NULL);
}

static int
child_main (gboolean    eager,
            const char *config_path)
{
  g_autoptr(NbConfig) config = NULL;
  NbAssistant *assistant;

  if (eager)
    adw_init ();
  config = nb_config_load (config_path, NULL);
  if (config == NULL)
    return 1;
  assistant = nb_assistant_new (config);
  nb_assistant_open_session_async (assistant, "cli:direct", NULL, opened_cb, NULL);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

typedef struct {
  char *dir;
  char *config_path;
  char *data;
} Home;

static void
home_init (Home       *home,
           NbFakeLlm  *fake)
{
  g_autofree char *workspace = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *text = NULL;

  home->dir = nb_test_make_tmpdir ();
  workspace = g_build_filename (home->dir, "workspace", NULL);
  config_dir = g_build_filename (home->dir, "config", "nanobot", NULL);
  home->config_path = g_build_filename (config_dir, "config.json", NULL);
  home->data = g_build_filename (home->dir, "data", NULL);
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-bench\",\"apiBase\":\"%s\"}}}",
                          workspace, nb_fake_llm_get_url (fake));
  g_mkdir_with_parents (config_dir, 0700);
  nb_test_write_file (home->config_path, text);
}

static void
home_clear (Home *home)
{
  nb_test_rm_rf (home->dir);
  g_free (home->dir);
  g_free (home->config_path);
  g_free (home->data);
}

static GSubprocessLauncher *
launcher_new (Home *home)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                             G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *config = g_build_filename (home->dir, "config", NULL);
  g_autofree char *cache = g_build_filename (home->dir, "cache", NULL);

  g_subprocess_launcher_setenv (launcher, "HOME", home->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home->data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-bench-bus", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "OPENAI_API_KEY");
  return launcher;
}

/* Spawn to the first request's first bytes, in ms; the child is ended
 * when it exits or 10 s later. */
static double
time_to_request (char **argv,
                 gboolean headless)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Hello.");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Home home;
  gint64 start;
  double ms;
  GPtrArray *args = g_ptr_array_new ();

  home_init (&home, fake);
  launcher = launcher_new (&home);
  if (headless)
    {
      g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
      g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
    }
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_str_equal (argv[i], "@CONFIG@") ? home.config_path : argv[i]);
  g_ptr_array_add (args, NULL);
  nb_fake_llm_queue_body (fake, 200, "text/event-stream", reply);
  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (args);
  g_subprocess_wait_async (process, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  ms = nb_fake_llm_get_first_request_time (fake) > 0
    ? (nb_fake_llm_get_first_request_time (fake) - start) / 1000.0 : -1;
  home_clear (&home);
  return ms;
}

static char *
min_median (double *values,
            const char *unit)
{
  double min, median;

  nb_bench_min_median (values, RUNS, &min, &median);
  return g_strdup_printf ("%.0f / %.0f %s", min, median, unit);
}

static void
write_big_conversation (Home *home)
{
  g_autofree char *sessions = g_build_filename (home->data, "nanobot", "sessions", NULL);
  g_autoptr(NbSessionStore) store = nb_session_store_new (sessions);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_session_store_open (store, "desktop:5000messages", &error);
  g_autofree char *keyfile_dir = g_build_filename (home->dir, "config", "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (keyfile_dir, "keyfile", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *text = g_strdup_printf (i % 2 ? "Answer %u: the build of module %u failed because a header was "
                                                       "missing; **add it** to `meson.build` and run the tests again."
                                                     : "Question %u: why does module %u not build?", i, i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
    }
  g_assert_true (nb_session_store_append (store, session, &error));
  g_assert_true (nb_session_store_sync (store, session, &error));
  g_mkdir_with_parents (keyfile_dir, 0700);
  nb_test_write_file (keyfile, "[io/github/nanobot/Nanobot]\nlast-conversation='desktop:5000messages'\n");
}

/* One window start: first frame, usable (ms from spawn), RSS (kB). */
static gboolean
window_run (const char *shim,
            gboolean    big,
            double     *first_frame,
            double     *usable,
            double     *rss)
{
  g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *report = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  Home home;
  gint64 start;

  home_init (&home, fake);
  for (guint i = 0; i < 4; i++)
    nb_fake_llm_queue_body (fake, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\"}]}");
  if (big)
    write_big_conversation (&home);
  report = g_build_filename (home.dir, "report", NULL);
  launcher = launcher_new (&home);
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", shim, TRUE);
  g_subprocess_launcher_setenv (launcher, "NB_BENCH_REPORT", report, TRUE);
  g_subprocess_launcher_setenv (launcher, "NB_BENCH_IDLE_MS", "3000", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  if (big)
    g_subprocess_launcher_setenv (launcher, "NB_BENCH_EXPECT_ROWS", "1", TRUE);
  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"), NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  if (!g_file_get_contents (report, &text, NULL, NULL))
    {
      home_clear (&home);
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  *first_frame = *usable = *rss = -1;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gint64 value;

      if (sscanf (lines[i], "first-frame %" G_GINT64_FORMAT, &value) == 1)
        *first_frame = (value - start) / 1000.0;
      else if (sscanf (lines[i], "usable %" G_GINT64_FORMAT, &value) == 1)
        *usable = (value - start) / 1000.0;
      else if (sscanf (lines[i], "rss %" G_GINT64_FORMAT, &value) == 1)
        *rss = value / 1024.0;
    }
  home_clear (&home);
  return *first_frame > 0 && *usable > 0 && *rss > 0;
}

int
main (int   argc,
      char *argv[])
{
  const char *nanobot = g_getenv ("NANOBOT_BIN");
  double headless[RUNS], lazy[RUNS], eager[RUNS];
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  struct rusage usage;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *ratio = NULL;
  double l_min, l_med, e_min, e_med;

  if (argc == 4 && g_str_equal (argv[1], "--child"))
    return child_main (g_str_equal (argv[2], "eager"), argv[3]);
  g_assert_nonnull (nanobot);

  for (guint i = 0; i < RUNS; i++)
    {
      char *args[] = { (char *) nanobot, "--config", "@CONFIG@", "-m", "hi", NULL };

      headless[i] = time_to_request (args, TRUE);
    }
  getrusage (RUSAGE_CHILDREN, &usage);
  a = min_median (headless, "ms");
  printf ("headless (nanobot -m) start to the first request: %s (min / median of %d)\n", a, RUNS);
  printf ("headless largest resident set: %.1f MB\n", usage.ru_maxrss / 1024.0);
  nb_bench_figure ("headless start (nanobot -m) to the first request byte, min / median of 5", a);
  g_free (a);
  a = g_strdup_printf ("%.1f MB", usage.ru_maxrss / 1024.0);
  nb_bench_figure ("RSS headless (nanobot -m, one turn), largest of 5 runs", a);
  g_clear_pointer (&a, g_free);

  if (g_getenv ("DISPLAY") == NULL)
    {
      printf ("no display: the window and S1 measures are skipped\n");
      return 0;
    }

  for (guint i = 0; i < RUNS; i++)
    {
      char *lazy_args[] = { self, "--child", "lazy", "@CONFIG@", NULL };
      char *eager_args[] = { self, "--child", "eager", "@CONFIG@", NULL };

      lazy[i] = time_to_request (lazy_args, FALSE);
      eager[i] = time_to_request (eager_args, FALSE);
    }
  nb_bench_min_median (lazy, RUNS, &l_min, &l_med);
  nb_bench_min_median (eager, RUNS, &e_min, &e_med);
  printf ("S1: to the first request: %.1f / %.1f ms as nanobot -m; %.1f / %.1f ms after initialising GTK first\n",
          l_min, l_med, e_min, e_med);
  a = g_strdup_printf ("%.0f / %.0f ms", l_min, l_med);
  b = g_strdup_printf ("%.0f / %.0f ms", e_min, e_med);
  ratio = nb_bench_ratio (l_med, e_med);
  nb_bench_table_row ("S1", "start to the first request byte; redux: the optional UI stack loaded first, min / median of 5",
                      a, b, ratio);

  {
    g_autofree char *shim = g_build_filename (g_getenv ("NB_BUILD_DIR"), "tests", "bench", "nb-bench-startup-shim.so", NULL);
    double frame[RUNS], usable[RUNS], rss[RUNS];
    double big_frame[RUNS], big_usable[RUNS], big_rss[RUNS];
    gboolean ok = TRUE;

    for (guint i = 0; i < RUNS && ok; i++)
      ok = window_run (shim, FALSE, &frame[i], &usable[i], &rss[i]) &&
           window_run (shim, TRUE, &big_frame[i], &big_usable[i], &big_rss[i]);
    if (!ok)
      {
        printf ("the window did not report its first frame (is %s built?)\n", shim);
        return 1;
      }
    g_clear_pointer (&a, g_free);
    a = min_median (frame, "ms");
    nb_bench_figure ("window: start to the first frame, min / median of 5", a);
    printf ("window start to first frame: %s\n", a);
    g_clear_pointer (&a, g_free);
    a = min_median (usable, "ms");
    nb_bench_figure ("window: start to the chat usable (composer focused), min / median of 5", a);
    printf ("window start to usable: %s\n", a);
    g_clear_pointer (&a, g_free);
    a = min_median (big_usable, "ms");
    nb_bench_figure ("window reopening a 5 000-message conversation: start to usable (its rows drawn)", a);
    printf ("window with 5000 messages, start to usable: %s\n", a);
    g_clear_pointer (&a, g_free);
    {
      double min, median;

      nb_bench_min_median (rss, RUNS, &min, &median);
      a = g_strdup_printf ("%.1f MB (median)", median);
      nb_bench_figure ("RSS of the idle window (3 s after start)", a);
      printf ("idle window RSS: %s\n", a);
      g_clear_pointer (&a, g_free);
      nb_bench_min_median (big_rss, RUNS, &min, &median);
      a = g_strdup_printf ("%.1f MB (median)", median);
      nb_bench_figure ("RSS of the window showing a 5 000-message conversation", a);
      printf ("window with 5000 messages RSS: %s\n", a);
    }
  }
  return 0;
}
