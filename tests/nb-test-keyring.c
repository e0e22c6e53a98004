/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <libsecret/secret.h>

#include "nb-test-keyring.h"
#include "nb-test-util.h"

struct _NbTestKeyring
{
  char        *dir;
  GSubprocess *bus;
  GSubprocess *daemon;
};

/* A test that fails must not leave the daemons holding its output open. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

NbTestKeyring *
nb_test_keyring_start (void)
{
  NbTestKeyring *keyring = g_new0 (NbTestKeyring, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) in = NULL;
  g_autofree char *home = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  gboolean appeared = FALSE;
  guint watch;

  if (program == NULL)
    g_error ("gnome-keyring-daemon is not installed (build-aux/install-deps installs gnome-keyring)");

  keyring->dir = nb_test_make_tmpdir ();
  home = g_build_filename (keyring->dir, "home", NULL);
  data = g_build_filename (home, ".local", "share", NULL);
  runtime = g_build_filename (keyring->dir, "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);
  /* Our own process too: libsecret and GIO read these. */
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);

  /* Our own dbus-daemon rather than GTestDBus: libsecret's proxies keep
   * the connection alive to the end of the process, and
   * g_test_dbus_down() would wait for it in vain. */
  {
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *address = NULL;

    g_autoptr(GSubprocessLauncher) bus_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

    g_subprocess_launcher_set_child_setup (bus_launcher, die_with_parent, NULL, NULL);
    keyring->bus = g_subprocess_launcher_spawn (bus_launcher, &error,
                                                "dbus-daemon", "--session", "--nofork", "--print-address=1", NULL);
    g_assert_no_error (error);
    out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (keyring->bus));
    address = g_data_input_stream_read_line (out, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (address);
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", g_strstrip (address), TRUE);
  }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  keyring->daemon = g_subprocess_launcher_spawn (launcher, &error, program,
                                                 "--foreground", "--unlock", "--components=secrets",
                                                 NULL);
  g_assert_no_error (error);
  /* --unlock reads the login keyring's password from stdin until EOF. */
  in = g_object_ref (g_subprocess_get_stdin_pipe (keyring->daemon));
  g_assert_true (g_output_stream_write_all (in, "test-password", 13, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (in, NULL, &error));

  watch = g_bus_watch_name (G_BUS_TYPE_SESSION, "org.freedesktop.secrets", G_BUS_NAME_WATCHER_FLAGS_NONE,
                            name_appeared_cb, NULL, &appeared, NULL);
  nb_test_wait_for (&appeared, 20000);
  g_bus_unwatch_name (watch);
  return keyring;
}

void
nb_test_keyring_stop (NbTestKeyring *keyring)
{
  if (keyring == NULL)
    return;
  secret_service_disconnect ();
  g_subprocess_send_signal (keyring->daemon, SIGTERM);
  g_subprocess_wait (keyring->daemon, NULL, NULL);
  g_clear_object (&keyring->daemon);
  g_subprocess_send_signal (keyring->bus, SIGTERM);
  g_subprocess_wait (keyring->bus, NULL, NULL);
  g_clear_object (&keyring->bus);
  nb_test_rm_rf (keyring->dir);
  g_free (keyring->dir);
  g_free (keyring);
}
