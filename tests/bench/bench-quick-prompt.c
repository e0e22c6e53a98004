/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "nb-test-util.h"

/*
 * How long `nanobot --quick-prompt` takes to show the quick prompt when
 * Nanobot already runs: from spawning the second process to the X server
 * mapping the window titled "Quick Prompt" (MapNotify on the root, so no
 * polling). Nanobot "already runs": the first run starts 2 s after the
 * main window is mapped, when start-up work is over and the quick prompt
 * was built, hidden (NB_APPLICATION_PREPARE_DELAY_MS after start-up); so
 * the first run is its first showing, later runs show it again (Escape
 * hides it between runs). The goal is 150 ms. Runs the nanobot of this build (a release build for figures
 * that mean something) on a private bus with its own home.
 */

#define RUNS 15
#define GOAL_MS 150.0
#define TIMEOUT_US (60 * G_USEC_PER_SEC)

static Display *dpy;

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
new_launcher (const char *home,
              const char *bus_address)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autofree char *schemas = g_build_filename (g_getenv ("NB_BUILD_DIR"), "data", NULL);

  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return launcher;
}

/* Waits for a MapNotify (@map) or UnmapNotify of a top-level window
 * titled @title; returns its id. */
static Window
wait_for (const char *title,
          gboolean    map)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_US;

  while (g_get_monotonic_time () < deadline)
    {
      XEvent event;
      Window window;
      char *name = NULL;
      gboolean match;

      if (!XPending (dpy))
        {
          /* The children and GLib sources need no iteration here; keep
           * the wait short. */
          g_usleep (200);
          continue;
        }
      XNextEvent (dpy, &event);
      if (event.type != (map ? MapNotify : UnmapNotify))
        continue;
      window = map ? event.xmap.window : event.xunmap.window;
      if (!XFetchName (dpy, window, &name))
        continue;
      match = g_strcmp0 (name, title) == 0;
      XFree (name);
      if (match)
        return window;
    }
  g_error ("no %s of “%s”", map ? "MapNotify" : "UnmapNotify", title);
}

static void
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  const char *nanobot = g_getenv ("NANOBOT_BIN");
  const char *app_argv[] = { nanobot, NULL };
  const char *quick_argv[] = { nanobot, "--quick-prompt", NULL };
  double times[RUNS];
  double first;

  if (display == NULL || (dpy = XOpenDisplay (display)) == NULL)
    {
      g_print ("no X display: skipped\n");
      return 77;
    }
  XSelectInput (dpy, DefaultRootWindow (dpy), SubstructureNotifyMask);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_setenv ("DISPLAY", display, TRUE);
  home = nb_test_make_tmpdir ();
  launcher = new_launcher (home, g_test_dbus_get_bus_address (bus));

  app = g_subprocess_launcher_spawnv (launcher, app_argv, &error);
  g_assert_no_error (error);
  wait_for ("Nanobot", TRUE);
  g_usleep (2 * G_USEC_PER_SEC);

  for (guint i = 0; i <= RUNS; i++)
    {
      g_autoptr(GSubprocess) quick = NULL;
      gint64 start = g_get_monotonic_time ();
      Window window;
      double ms;

      quick = g_subprocess_launcher_spawnv (launcher, quick_argv, &error);
      g_assert_no_error (error);
      window = wait_for ("Quick Prompt", TRUE);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_subprocess_wait_check (quick, NULL, &error);
      g_assert_no_error (error);

      if (i == 0)
        first = ms;
      else
        times[i - 1] = ms;

      /* Escape hides it for the next run. */
      {
        g_autofree char *id = g_strdup_printf ("%lu", (unsigned long) window);
        const char *focus[] = { "xdotool", "windowfocus", "--sync", id, NULL };
        const char *key[] = { "xdotool", "key", "--clearmodifiers", "Escape", NULL };

        run (focus);
        run (key);
        wait_for ("Quick Prompt", FALSE);
      }
    }

  qsort (times, RUNS, sizeof (double), compare_doubles);
  g_print ("quick prompt shown after `nanobot --quick-prompt` (Nanobot running), %d runs:\n", RUNS);
  g_print ("  first showing:         %.1f ms\n", first);
  g_print ("  shown again: best %.1f ms, median %.1f ms, worst %.1f ms\n",
           times[0], times[RUNS / 2], times[RUNS - 1]);
  g_print ("  goal %.0f ms: %s\n", GOAL_MS,
           first <= GOAL_MS && times[RUNS / 2] <= GOAL_MS ? "met" : "NOT met");

  g_subprocess_force_exit (app);
  g_subprocess_wait (app, NULL, NULL);
  XCloseDisplay (dpy);
  nb_test_rm_rf (home);
  g_test_dbus_down (bus);
  return 0;
}
