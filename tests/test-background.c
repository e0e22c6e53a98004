/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-background.h"
#include "nb-test-util.h"

/* Running in the background and starting at login: the autostart entry
 * outside Flatpak, and the Background portal's RequestBackground against
 * a fake portal on a private bus (GTestDBus). */

#define TIMEOUT_MS 10000

static const char portal_xml[] =
  "<node>"
  " <interface name='org.freedesktop.portal.Background'>"
  "  <method name='RequestBackground'>"
  "   <arg type='s' direction='in'/><arg type='a{sv}' direction='in'/><arg type='o' direction='out'/>"
  "  </method>"
  " </interface>"
  "</node>";

typedef struct {
  GDBusConnection *connection;
  GVariant        *options;
  gboolean         allow;
} Portal;

static void
portal_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  Portal *portal = user_data;
  g_autofree char *name = g_strdup (sender + 1);
  g_autofree char *path = NULL;
  const char *token = NULL;
  GVariantBuilder results;

  g_clear_pointer (&portal->options, g_variant_unref);
  portal->options = g_variant_get_child_value (parameters, 1);
  g_assert_true (g_variant_lookup (portal->options, "handle_token", "&s", &token));
  g_strdelimit (name, ".", '_');
  path = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", name, token);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));

  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&results, "{sv}", "background", g_variant_new_boolean (portal->allow));
  g_variant_builder_add (&results, "{sv}", "autostart", g_variant_new_boolean (portal->allow));
  g_dbus_connection_emit_signal (connection, sender, path, "org.freedesktop.portal.Request", "Response",
                                 g_variant_new ("(ua{sv})", 0, &results), NULL);
}

static const GDBusInterfaceVTable portal_vtable = { portal_method_cb, NULL, NULL, { 0 } };

static GDBusConnection *
new_connection (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
acquired_cb (GDBusConnection *connection,
             const char      *name,
             gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_portal (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) app = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr(GError) error = NULL;
  Portal portal = { NULL, NULL, TRUE };
  gboolean owned = FALSE;
  guint owner_id, object_id;

  g_test_dbus_up (bus);
  app = new_connection ();
  portal.connection = new_connection ();
  object_id = g_dbus_connection_register_object (portal.connection, "/org/freedesktop/portal/desktop",
                                                 info->interfaces[0], &portal_vtable, &portal, NULL, &error);
  g_assert_no_error (error);
  owner_id = g_bus_own_name_on_connection (portal.connection, "org.freedesktop.portal.Desktop",
                                           G_BUS_NAME_OWNER_FLAGS_NONE, acquired_cb, NULL, &owned, NULL);
  nb_test_wait_for (&owned, TIMEOUT_MS);

  /* Allowed, with start at login: the portal got our command line. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree const char **commandline = NULL;
    gboolean autostart = FALSE;

    nb_background_request_async (app, TRUE, NULL, nb_test_store_result_cb, &result);
    g_assert_true (nb_background_request_finish (nb_test_wait_result (&result, TIMEOUT_MS), &error));
    g_assert_no_error (error);
    g_assert_true (g_variant_lookup (portal.options, "autostart", "b", &autostart));
    g_assert_true (autostart);
    g_assert_true (g_variant_lookup (portal.options, "commandline", "^a&s", &commandline));
    g_assert_cmpstr (commandline[0], ==, "nanobot");
    g_assert_cmpstr (commandline[1], ==, "--gapplication-service");
    g_assert_true (g_variant_lookup (portal.options, "reason", "&s", NULL));
  }

  /* The user said no. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    portal.allow = FALSE;
    nb_background_request_async (app, FALSE, NULL, nb_test_store_result_cb, &result);
    g_assert_false (nb_background_request_finish (nb_test_wait_result (&result, TIMEOUT_MS), &error));
    g_assert_no_error (error);
  }

  g_bus_unown_name (owner_id);
  g_dbus_connection_unregister_object (portal.connection, object_id);
  g_dbus_connection_close_sync (portal.connection, NULL, NULL);
  g_clear_object (&portal.connection);
  g_clear_pointer (&portal.options, g_variant_unref);

  /* No portal: an error, not a hang. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    nb_background_request_async (app, FALSE, NULL, nb_test_store_result_cb, &result);
    g_assert_false (nb_background_request_finish (nb_test_wait_result (&result, TIMEOUT_MS), &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  g_dbus_connection_close_sync (app, NULL, NULL);
  g_clear_object (&app);
  g_test_dbus_down (bus);
}

static void
test_autostart_file (void)
{
  g_autofree char *home = nb_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;

  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  path = nb_background_autostart_path ();
  {
    g_autofree char *expected = g_build_filename (config, "autostart", APPLICATION_ID ".desktop", NULL);

    g_assert_cmpstr (path, ==, expected);
  }

  /* Removing what is not there is fine. */
  g_assert_true (nb_background_set_autostart_file (FALSE, &error));
  g_assert_no_error (error);

  g_assert_true (nb_background_set_autostart_file (TRUE, &error));
  g_assert_no_error (error);
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (entry, "Desktop Entry", "Exec", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "nanobot --gapplication-service");
  g_assert_true (g_key_file_get_boolean (entry, "Desktop Entry", "X-GNOME-Autostart-enabled", NULL));

  g_assert_true (nb_background_set_autostart_file (FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  nb_test_rm_rf (home);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/background/portal", test_portal);
  g_test_add_func ("/background/autostart-file", test_autostart_file);

  return g_test_run ();
}
