/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "nb-fake-watcher.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/* The real nanobot on the X server the test runs under, on a private
 * session bus (GTestDBus) where this test plays the tray (a fake
 * StatusNotifierWatcher): the tray's Quick Prompt opens the quick prompt,
 * closing the window with a tray keeps Nanobot running and the tray's
 * Quit ends it; without a tray closing the window quits;
 * `nanobot --quick-prompt` opens the quick prompt in the running instance;
 * GNOME Shell's search finds a conversation through the application's
 * bus name. Windows are found with xwininfo, keys pressed with xdotool. */

#define TIMEOUT_MS (60 * 1000)

static char *display;

typedef struct {
  GTestDBus    *bus;
  char         *home;
  char         *stderr_path;
  GSubprocess  *app;
  GAsyncResult *exit_result;
  Watcher      *watcher;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  /* GTestDBus clears DISPLAY (against X11 autolaunch); the windows need it. */
  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  g_setenv ("DISPLAY", display, TRUE);
  f->home = nb_test_make_tmpdir ();
  /* A configured Nanobot: no first-run set-up over the window. */
  {
    g_autofree char *dir = g_build_filename (f->home, "config", "nanobot", NULL);
    g_autofree char *config = g_build_filename (dir, "config.json", NULL);

    g_mkdir_with_parents (dir, 0700);
    nb_test_write_file (config, "{}");
  }
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
  if (f->watcher != NULL)
    watcher_stop (f->watcher);
  nb_test_rm_rf (f->home);
  g_free (f->home);
  g_free (f->stderr_path);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
}

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
new_launcher (Fixture *f)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
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
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (f->bus), TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", g_getenv ("NB_SCHEMA_DIR"), TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "GIO_USE_PORTALS");
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1:symbolize=1", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return launcher;
}

static char *
run_tool (const char * const *argv)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    {
      g_test_message ("%s failed: %s", argv[0], err);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* The id of nanobot's mapped window titled @title, or NULL. */
static char *
find_window (const char *title)
{
  const char *argv[] = { g_getenv ("XWININFO"), "-root", "-tree", NULL };
  g_autofree char *out = run_tool (argv);
  g_autofree char *marker = g_strdup_printf ("\"%s\": (\"nanobot\" \"nanobot\")", title);
  g_auto(GStrv) lines = NULL;

  g_assert_nonnull (out);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = strstr (lines[i], marker);
      g_autofree char *line = NULL;
      g_autofree char *window = NULL;
      g_autofree char *info = NULL;
      int w, h;

      if (p == NULL || sscanf (p + strlen (marker), " %dx%d", &w, &h) != 2 || w <= 1 || h <= 1)
        continue;
      line = g_strstrip (g_strdup (lines[i]));
      window = g_strndup (line, strcspn (line, " "));
      {
        const char *info_argv[] = { g_getenv ("XWININFO"), "-id", window, NULL };

        info = run_tool (info_argv);
      }
      if (info != NULL && strstr (info, "Map State: IsViewable") != NULL)
        return g_steal_pointer (&window);
    }
  return NULL;
}

static gboolean
tick_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

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
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  char *id;

  while ((id = find_window (title)) == NULL)
    {
      check_running (f);
      if (g_get_monotonic_time () > deadline)
        g_error ("no window titled '%s' mapped", title);
      pause_a_tick ();
    }
  return id;
}

static void
start_app_with (Fixture    *f,
                const char *option)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (f);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("NANOBOT_BIN"), option, NULL };

  g_subprocess_launcher_set_stderr_file_path (launcher, f->stderr_path);
  f->app = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (f->app, NULL, nb_test_store_result_cb, &f->exit_result);
}

static void
start_app (Fixture *f)
{
  start_app_with (f, NULL);
}

static void
wait_for_clean_exit (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  nb_test_wait_result (&f->exit_result, TIMEOUT_MS);
  g_subprocess_wait_finish (f->app, f->exit_result, &error);
  g_assert_no_error (error);
  err = nb_test_read_file (f->stderr_path);
  if (!g_subprocess_get_if_exited (f->app))
    g_error ("nanobot was killed by signal %d:\n%s", g_subprocess_get_term_sig (f->app), err);
  g_assert_cmpint (g_subprocess_get_exit_status (f->app), ==, 0);
  g_assert_cmpstr (err, ==, "");
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
  g_assert_nonnull (out);
}

static GVariant *
call (GDBusConnection *connection,
      const char      *name,
      const char      *path,
      const char      *interface,
      const char      *method,
      GVariant        *parameters)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  g_dbus_connection_call (connection, name, path, interface, method, parameters, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, TIMEOUT_MS, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, TIMEOUT_MS);
  reply = g_dbus_connection_call_finish (connection, result, &error);
  g_assert_no_error (error);
  return reply;
}

/* Clicks the tray menu's item labelled @label, as a tray host would. */
static void
click_menu_item (Fixture    *f,
                 const char *label)
{
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariantIter) children = NULL;
  GVariant *child;
  int found = -1;

  layout = call (f->watcher->connection, f->watcher->item_sender, "/StatusNotifierItem/Menu",
                 "com.canonical.dbusmenu", "GetLayout", g_variant_new_parsed ("(0, -1, @as [])"));
  g_variant_get (layout, "(u(i@a{sv}av))", NULL, NULL, NULL, &children);
  while (g_variant_iter_next (children, "v", &child))
    {
      g_autoptr(GVariant) item = child;
      g_autoptr(GVariant) props = NULL;
      const char *item_label;
      int id;

      g_variant_get (item, "(i@a{sv}@av)", &id, &props, NULL);
      if (g_variant_lookup (props, "label", "&s", &item_label) && g_str_equal (item_label, label))
        found = id;
    }
  g_assert_cmpint (found, >, 0);
  g_variant_unref (call (f->watcher->connection, f->watcher->item_sender, "/StatusNotifierItem/Menu",
                         "com.canonical.dbusmenu", "Event",
                         g_variant_new ("(isvu)", found, "clicked", g_variant_new_int32 (0), 0)));
}

static void
wait_registered (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

  while (f->watcher->n_registrations == 0)
    {
      check_running (f);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_tray (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *main_window = NULL;
  g_autofree char *quick = NULL;

  f->watcher = watcher_start ();
  start_app (f);
  main_window = wait_for_window (f, "Nanobot");
  wait_registered (f);

  click_menu_item (f, "Quick Prompt");
  quick = wait_for_window (f, "Quick Prompt");

  /* With a tray, closing the window keeps Nanobot running. */
  xdotool ("windowfocus", "--sync", main_window, NULL);
  xdotool ("key", "--clearmodifiers", "ctrl+w", NULL);
  {
    gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
    g_autofree char *still = NULL;

    while ((still = find_window ("Nanobot")) != NULL)
      {
        g_clear_pointer (&still, g_free);
        check_running (f);
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        pause_a_tick ();
      }
  }
  for (guint i = 0; i < 5; i++)
    pause_a_tick ();
  check_running (f);

  /* The tray brings it back and ends it. */
  click_menu_item (f, "Show Nanobot");
  g_free (wait_for_window (f, "Nanobot"));
  click_menu_item (f, "Quit");
  wait_for_clean_exit (f);
}

static void
test_no_tray_close_quits (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *main_window = NULL;

  start_app (f);
  main_window = wait_for_window (f, "Nanobot");
  xdotool ("windowfocus", "--sync", main_window, NULL);
  xdotool ("key", "--clearmodifiers", "ctrl+w", NULL);
  wait_for_clean_exit (f);
}

static void
test_remote_quick_prompt (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  /* A conversation for GNOME Shell's search to find. */
  {
    g_autofree char *stem = nb_session_store_key_to_file_stem ("desktop:okapi");
    g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);
    g_autofree char *path = g_build_filename (f->home, "data", "nanobot", "sessions", name, NULL);

    nb_test_write_file (path,
                        "{\"_type\":\"metadata\",\"key\":\"desktop:okapi\",\"created_at\":\"2026-01-01T10:00:00\","
                        "\"updated_at\":\"2026-01-01T10:00:00\",\"metadata\":{},\"last_consolidated\":0}\n"
                        "{\"role\":\"user\",\"content\":\"Where do okapis live?\"}\n"
                        "{\"role\":\"assistant\",\"content\":\"In the rainforests of the Congo.\"}\n");
  }

  start_app (f);
  g_free (wait_for_window (f, "Nanobot"));
  g_assert_null (find_window ("Quick Prompt"));

  /* A second nanobot --quick-prompt hands over and ends at once. */
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (f);
    g_autoptr(GSubprocess) second = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    const char *argv[] = { g_getenv ("NANOBOT_BIN"), "--quick-prompt", NULL };

    second = g_subprocess_launcher_spawnv (launcher, argv, &error);
    g_assert_no_error (error);
    g_subprocess_wait_async (second, NULL, nb_test_store_result_cb, &result);
    nb_test_wait_result (&result, TIMEOUT_MS);
    g_subprocess_wait_finish (second, result, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_if_exited (second));
    g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
  }
  g_free (wait_for_window (f, "Quick Prompt"));

  /* The search provider answers on the application's own bus name. */
  connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (f->bus),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) reply = NULL;
    g_autofree const char **keys = NULL;

    reply = call (connection, APPLICATION_ID, "/io/github/nanobot/Nanobot/SearchProvider",
                  "org.gnome.Shell.SearchProvider2", "GetInitialResultSet",
                  g_variant_new_parsed ("(['congo'],)"));
    g_variant_get (reply, "(^a&s)", &keys);
    g_assert_cmpuint (g_strv_length ((char **) keys), ==, 1);
    g_assert_cmpstr (keys[0], ==, "desktop:okapi");
  }

  g_variant_unref (call (connection, APPLICATION_ID, "/io/github/nanobot/Nanobot", "org.gtk.Actions", "Activate",
                         g_variant_new_parsed ("('quit', @av [], @a{sv} {})")));
  wait_for_clean_exit (f);
  g_dbus_connection_close_sync (connection, NULL, NULL);
}

/* The first nanobot started with --quick-prompt shows only the quick
 * prompt; without a tray, Escape there quits. */
static void
test_quick_prompt_first (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *quick = NULL;

  start_app_with (f, "--quick-prompt");
  quick = wait_for_window (f, "Quick Prompt");
  for (guint i = 0; i < 5; i++)
    pause_a_tick ();
  g_assert_null (find_window ("Nanobot"));

  xdotool ("windowfocus", "--sync", quick, NULL);
  xdotool ("key", "--clearmodifiers", "Escape", NULL);
  wait_for_clean_exit (f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  display = g_strdup (g_getenv ("DISPLAY"));
  if (display == NULL)
    {
      g_test_skip ("no X display");
      return 77;
    }

  g_test_add ("/desktop-app/tray", Fixture, NULL, fixture_setup, test_tray, fixture_teardown);
  g_test_add ("/desktop-app/no-tray-close-quits", Fixture, NULL, fixture_setup, test_no_tray_close_quits,
              fixture_teardown);
  g_test_add ("/desktop-app/quick-prompt-first", Fixture, NULL, fixture_setup, test_quick_prompt_first,
              fixture_teardown);
  g_test_add ("/desktop-app/remote-quick-prompt", Fixture, NULL, fixture_setup, test_remote_quick_prompt,
              fixture_teardown);

  return g_test_run ();
}
