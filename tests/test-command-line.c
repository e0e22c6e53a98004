/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-test-util.h"

/* Runs the real nanobot binary without a display and returns its exit
 * status; fails the test if it was killed by a signal or took longer than
 * a minute. */
static int
run_without_display (const char  *home,
                     const char  *const *args,
                     char       **out,
                     char       **err)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_home = g_build_filename (home, "config", NULL);
  g_autofree char *data_home = g_build_filename (home, "data", NULL);

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "GDK_BACKEND");
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);

  g_ptr_array_add (argv, (char *) g_getenv ("NANOBOT_BIN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  g_subprocess_communicate_utf8_finish (process, result, out, err, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_version (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--version", NULL };

  g_assert_cmpint (run_without_display (home, args, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "nanobot " PACKAGE_VERSION "\n");
  g_assert_cmpstr (err, ==, "");

  nb_test_rm_rf (home);
}

static void
test_message_without_display (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err_lower = NULL;
  const char *args[] = { "-m", "hi", NULL };
  int status;

  status = run_without_display (home, args, &out, &err);

  /* Whatever the turn's outcome, headless mode must not reach GTK. */
  g_assert_cmpint (status, >=, 0);
  g_assert_cmpint (status, <=, 2);
  err_lower = g_utf8_strdown (err, -1);
  g_assert_null (strstr (err_lower, "display"));
  g_assert_null (strstr (err, "Gtk"));
  g_assert_null (strstr (err, "Gdk"));
  g_assert_null (strstr (err_lower, "cannot open"));
  g_assert_null (strstr (err_lower, "sanitizer"));

  nb_test_rm_rf (home);
}

/* Bad usage is exit status 2, as DESIGN.md's command line says. */
static void
test_unknown_option (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--no-such-option", NULL };
  const char *args_missing[] = { "-m", NULL };

  g_assert_cmpint (run_without_display (home, args, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--no-such-option"));
  g_assert_nonnull (strstr (err, "--help"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_without_display (home, args_missing, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "-m"));

  nb_test_rm_rf (home);
}

/* Words after the options would be lost: an unquoted message. */
static void
test_unexpected_argument (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "-m", "hello", "world", NULL };

  g_assert_cmpint (run_without_display (home, args, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "“world”"));
  g_assert_nonnull (strstr (err, "-m"));
  g_assert_cmpstr (out, ==, "");

  nb_test_rm_rf (home);
}

/* The window without a display: a sentence that says what to do, not a
 * GTK warning. */
static void
test_window_without_display (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { NULL };

  g_assert_cmpint (run_without_display (home, args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "no display"));
  g_assert_nonnull (strstr (err, "nanobot -m"));
  g_assert_null (strstr (err, "Gtk"));

  nb_test_rm_rf (home);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/command-line/version", test_version);
  g_test_add_func ("/command-line/message-without-display", test_message_without_display);
  g_test_add_func ("/command-line/unknown-option", test_unknown_option);
  g_test_add_func ("/command-line/unexpected-argument", test_unexpected_argument);
  g_test_add_func ("/command-line/window-without-display", test_window_without_display);

  return g_test_run ();
}
