/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "nb-test-util.h"

/* Starts the real nanobot binary on the X server the test runs under, with
 * its own home, and looks at its windows with xwininfo and drives it with
 * xdotool and D-Bus, as a user and the desktop would. */

#define MAP_TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef struct {
  char         *home;
  char         *keyfile;
  char         *stderr_path;
  GSubprocess  *app;
  GAsyncResult *exit_result;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->home = nb_test_make_tmpdir ();
  f->keyfile = g_build_filename (f->home, "config", "glib-2.0", "settings", "keyfile", NULL);
  f->stderr_path = g_build_filename (f->home, "stderr.log", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->app != NULL && f->exit_result == NULL)
    g_subprocess_force_exit (f->app);
  g_clear_object (&f->app);
  g_clear_object (&f->exit_result);
  nb_test_rm_rf (f->home);
  g_free (f->home);
  g_free (f->keyfile);
  g_free (f->stderr_path);
}

static void
child_setup (gpointer user_data)
{
  /* Never outlive a test that failed half-way. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
new_launcher (Fixture          *f,
              GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  const char *subdirs[][2] = {
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };

  g_subprocess_launcher_setenv (launcher, "HOME", f->home, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (f->home, subdirs[i][1], NULL);

      g_subprocess_launcher_setenv (launcher, subdirs[i][0], path, TRUE);
    }
  /* The keyfile backend keeps the settings in the private home, where the
   * test can read what the window saved. */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", g_getenv ("NB_SCHEMA_DIR"), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  /* GTK, fontconfig and Mesa keep caches for the life of the process. */
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1:symbolize=1", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  return launcher;
}

/* Runs a tool and returns its output, or NULL with @err set to what it
 * printed on stderr if it failed. */
static char *
try_tool (const char * const  *argv,
          char               **err)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    return NULL;
  return g_steal_pointer (&out);
}

static char *
run_tool (const char * const *argv)
{
  g_autofree char *err = NULL;
  char *out = try_tool (argv, &err);

  if (out == NULL)
    g_error ("%s failed: %s", argv[0], err);
  return out;
}

static void
xdotool (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("XDOTOOL"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  out = run_tool ((const char * const *) argv->pdata);
}

/* Whether the X window @id exists, is mapped and shown. */
static gboolean
is_viewable (const char *id)
{
  const char *argv[] = { g_getenv ("XWININFO"), "-id", id, NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = try_tool (argv, &err);

  /* The window may be gone since the tree was listed. */
  return out != NULL && strstr (out, "Map State: IsViewable") != NULL;
}

/* Counts nanobot's mapped windows titled @title and returns the id and size
 * of the last one. GDK's 1×1 leader window and windows that are hidden
 * (GTK keeps the shortcuts window for the next time) do not count. */
static guint
find_windows (const char  *title,
              char       **id,
              int         *width,
              int         *height)
{
  const char *argv[] = { g_getenv ("XWININFO"), "-root", "-tree", NULL };
  g_autofree char *out = run_tool (argv);
  g_autofree char *marker = g_strdup_printf ("\"%s\": (\"nanobot\" \"nanobot\")", title);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint found = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = strstr (lines[i], marker);
      g_autofree char *line = NULL;
      g_autofree char *window = NULL;
      int w, h;

      if (p == NULL || sscanf (p + strlen (marker), " %dx%d", &w, &h) != 2 || w <= 1 || h <= 1)
        continue;

      line = g_strstrip (g_strdup (lines[i]));
      window = g_strndup (line, strcspn (line, " "));
      if (!is_viewable (window))
        continue;

      found++;
      if (id != NULL)
        {
          g_free (*id);
          *id = g_steal_pointer (&window);
        }
      if (width != NULL)
        *width = w;
      if (height != NULL)
        *height = h;
    }

  return found;
}

static gboolean
tick_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the main loop run for a tenth of a second between two looks. */
static void
pause_a_tick (void)
{
  gboolean done = FALSE;

  g_timeout_add (100, tick_cb, &done);
  nb_test_wait_for (&done, 5000);
}

static void
check_running (Fixture *f)
{
  if (f->exit_result != NULL)
    {
      g_autofree char *err = nb_test_read_file (f->stderr_path);

      g_error ("nanobot exited early:\n%s", err);
    }
}

static char *
wait_for_window (Fixture    *f,
                 const char *title)
{
  gint64 deadline = g_get_monotonic_time () + MAP_TIMEOUT_US;
  char *id = NULL;

  while (find_windows (title, &id, NULL, NULL) == 0)
    {
      check_running (f);
      if (g_get_monotonic_time () > deadline)
        g_error ("no window titled '%s' mapped within %d s", title, (int) (MAP_TIMEOUT_US / G_USEC_PER_SEC));
      pause_a_tick ();
    }

  return id;
}

static void
wait_for_no_window (Fixture    *f,
                    const char *title)
{
  gint64 deadline = g_get_monotonic_time () + MAP_TIMEOUT_US;

  while (find_windows (title, NULL, NULL, NULL) > 0)
    {
      check_running (f);
      if (g_get_monotonic_time () > deadline)
        g_error ("the window titled '%s' did not go away", title);
      pause_a_tick ();
    }
}

static void
start_app (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (f, G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("NANOBOT_BIN"), NULL };

  g_subprocess_launcher_set_stderr_file_path (launcher, f->stderr_path);
  f->app = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (f->app, NULL, nb_test_store_result_cb, &f->exit_result);
}

static void
wait_for_clean_exit (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  nb_test_wait_result (&f->exit_result, 30000);
  g_subprocess_wait_finish (f->app, f->exit_result, &error);
  g_assert_no_error (error);

  err = nb_test_read_file (f->stderr_path);
  if (!g_subprocess_get_if_exited (f->app))
    g_error ("nanobot was killed by signal %d:\n%s", g_subprocess_get_term_sig (f->app), err);
  g_assert_cmpint (g_subprocess_get_exit_status (f->app), ==, 0);
  g_assert_cmpstr (err, ==, "");
}

static void
activate_action (const char *object_path,
                 const char *action)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, APPLICATION_ID, object_path,
                                       "org.gtk.Actions", "Activate",
                                       g_variant_new_parsed ("(%s, @av [], @a{sv} {})", action),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
}

static void
press_keys (const char *window,
            const char *keys)
{
  xdotool ("windowfocus", "--sync", window, NULL);
  xdotool ("key", "--clearmodifiers", keys, NULL);
}

static void
test_window_maps (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *id = NULL;
  int width = 0, height = 0;

  /* The size saved last time is the size it opens with. */
  nb_test_write_file (f->keyfile,
                      "[io/github/nanobot/Nanobot]\n"
                      "window-width=480\n"
                      "window-height=600\n");
  start_app (f);

  g_free (wait_for_window (f, "Nanobot"));
  g_assert_cmpuint (find_windows ("Nanobot", &id, &width, &height), ==, 1);
  g_assert_cmpint (width, ==, 480);
  g_assert_cmpint (height, ==, 600);

  /* A second start hands over to the running instance and opens no
   * second window. */
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (f, G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GSubprocess) second = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = { g_getenv ("NANOBOT_BIN"), NULL };

    second = g_subprocess_launcher_spawnv (launcher, argv, &error);
    g_assert_no_error (error);
    g_subprocess_wait_async (second, NULL, nb_test_store_result_cb, &result);
    nb_test_wait_result (&result, 60000);
    g_subprocess_wait_finish (second, result, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_if_exited (second));
    g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
  }
  check_running (f);
  g_assert_cmpuint (find_windows ("Nanobot", NULL, NULL, NULL), ==, 1);

  /* The desktop quits it through its exported actions. */
  activate_action ("/io/github/nanobot/Nanobot", "quit");
  wait_for_clean_exit (f);
}

static void
test_menu_windows (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *id = NULL;

  start_app (f);
  id = wait_for_window (f, "Nanobot");

  activate_action ("/io/github/nanobot/Nanobot", "about");
  g_free (wait_for_window (f, "About"));
  activate_action ("/io/github/nanobot/Nanobot", "preferences");
  g_free (wait_for_window (f, "Preferences"));
  activate_action ("/io/github/nanobot/Nanobot/window/1", "show-help-overlay");
  g_free (wait_for_window (f, "Keyboard Shortcuts"));

  activate_action ("/io/github/nanobot/Nanobot", "quit");
  wait_for_clean_exit (f);
}

static void
test_shortcuts (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *dialog = NULL;

  start_app (f);
  id = wait_for_window (f, "Nanobot");

  press_keys (id, "ctrl+comma");
  dialog = wait_for_window (f, "Preferences");
  press_keys (dialog, "Escape");
  wait_for_no_window (f, "Preferences");
  g_clear_pointer (&dialog, g_free);

  press_keys (id, "ctrl+question");
  dialog = wait_for_window (f, "Keyboard Shortcuts");
  press_keys (dialog, "Escape");
  wait_for_no_window (f, "Keyboard Shortcuts");

  press_keys (id, "ctrl+q");
  wait_for_clean_exit (f);
}

static gboolean
keyfile_has (Fixture    *f,
             const char *line)
{
  g_autofree char *saved = NULL;

  if (!g_file_get_contents (f->keyfile, &saved, NULL, NULL))
    return FALSE;
  return strstr (saved, line) != NULL;
}

static void
test_size_saved (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *id = NULL;
  gint64 deadline;

  start_app (f);
  id = wait_for_window (f, "Nanobot");

  /* The narrowest size the window supports; GTK takes it as the default
   * size on its next frame, and the binding saves it. */
  xdotool ("windowsize", "--sync", id, "360", "640", NULL);
  deadline = g_get_monotonic_time () + MAP_TIMEOUT_US;
  while (!keyfile_has (f, "window-width=360\n") || !keyfile_has (f, "window-height=640\n"))
    {
      check_running (f);
      if (g_get_monotonic_time () > deadline)
        g_error ("the new window size was not saved");
      pause_a_tick ();
    }

  press_keys (id, "ctrl+q");
  wait_for_clean_exit (f);

  {
    g_autofree char *saved = NULL;

    g_file_get_contents (f->keyfile, &saved, NULL, NULL);
    g_test_message ("saved settings:\n%s", saved);
  }
  g_assert_true (keyfile_has (f, "window-width=360\n"));
  g_assert_true (keyfile_has (f, "window-height=640\n"));
  g_assert_false (keyfile_has (f, "window-maximized=true"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/gui/window-maps", Fixture, NULL, fixture_setup, test_window_maps, fixture_teardown);
  g_test_add ("/gui/menu-windows", Fixture, NULL, fixture_setup, test_menu_windows, fixture_teardown);
  g_test_add ("/gui/shortcuts", Fixture, NULL, fixture_setup, test_shortcuts, fixture_teardown);
  g_test_add ("/gui/size-saved", Fixture, NULL, fixture_setup, test_size_saved, fixture_teardown);

  return g_test_run ();
}
