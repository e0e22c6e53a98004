/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-global-shortcut.h"
#include "nb-test-util.h"

/* NbGlobalShortcut against a fake GlobalShortcuts portal on a private bus
 * (GTestDBus): a session, the quick prompt's shortcut bound with the
 * user's choice as the preferred trigger, Activated reaches the
 * application; without the portal, binding says it is not supported. */

#define TIMEOUT_MS 10000

static const char portal_xml[] =
  "<node>"
  " <interface name='org.freedesktop.portal.GlobalShortcuts'>"
  "  <method name='CreateSession'>"
  "   <arg type='a{sv}' direction='in'/><arg type='o' direction='out'/>"
  "  </method>"
  "  <method name='BindShortcuts'>"
  "   <arg type='o' direction='in'/><arg type='a(sa{sv})' direction='in'/>"
  "   <arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
  "   <arg type='o' direction='out'/>"
  "  </method>"
  "  <signal name='Activated'>"
  "   <arg type='o'/><arg type='s'/><arg type='t'/><arg type='a{sv}'/>"
  "  </signal>"
  " </interface>"
  "</node>";

typedef struct {
  GTestDBus        *bus;
  GDBusConnection  *app_connection;
  GDBusConnection  *portal_connection;
  guint             owner_id;
  guint             object_id;
  gboolean          owned;
  char             *session;
  char             *bound_id;
  char             *bound_trigger;
  gboolean          refuse;
  NbGlobalShortcut *shortcut;
  guint             activations;
} Fixture;

static char *
request_path (const char *sender,
              GVariant   *options)
{
  g_autofree char *name = g_strdup (sender + 1);
  const char *token = NULL;

  g_strdelimit (name, ".", '_');
  g_assert_true (g_variant_lookup (options, "handle_token", "&s", &token));
  return g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", name, token);
}

static void
respond (Fixture    *f,
         const char *sender,
         const char *path,
         guint32     response,
         GVariant   *results)
{
  g_dbus_connection_emit_signal (f->portal_connection, sender, path, "org.freedesktop.portal.Request",
                                 "Response", g_variant_new ("(u@a{sv})", response, results), NULL);
}

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
  Fixture *f = user_data;

  if (g_str_equal (method_name, "CreateSession"))
    {
      g_autoptr(GVariant) options = g_variant_get_child_value (parameters, 0);
      g_autofree char *path = request_path (sender, options);
      g_autofree char *name = g_strdup (sender + 1);
      const char *session_token = NULL;
      GVariantBuilder results;

      g_assert_true (g_variant_lookup (options, "session_handle_token", "&s", &session_token));
      g_strdelimit (name, ".", '_');
      g_free (f->session);
      f->session = g_strdup_printf ("/org/freedesktop/portal/desktop/session/%s/%s", name, session_token);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
      g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&results, "{sv}", "session_handle", g_variant_new_string (f->session));
      respond (f, sender, path, 0, g_variant_builder_end (&results));
    }
  else if (g_str_equal (method_name, "BindShortcuts"))
    {
      g_autoptr(GVariant) options = g_variant_get_child_value (parameters, 3);
      g_autoptr(GVariant) shortcuts = g_variant_get_child_value (parameters, 1);
      g_autoptr(GVariant) first = NULL;
      g_autoptr(GVariant) props = NULL;
      g_autofree char *path = request_path (sender, options);
      const char *session, *trigger = NULL;

      g_variant_get_child (parameters, 0, "&o", &session);
      g_assert_cmpstr (session, ==, f->session);
      g_assert_cmpuint (g_variant_n_children (shortcuts), ==, 1);
      first = g_variant_get_child_value (shortcuts, 0);
      g_free (f->bound_id);
      g_variant_get (first, "(s@a{sv})", &f->bound_id, &props);
      g_variant_lookup (props, "preferred_trigger", "&s", &trigger);
      g_free (f->bound_trigger);
      f->bound_trigger = g_strdup (trigger);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
      respond (f, sender, path, f->refuse ? 1 : 0, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
    }
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
  ((Fixture *) user_data)->owned = TRUE;
}

static void
activated_cb (NbGlobalShortcut *shortcut,
              Fixture          *f)
{
  f->activations++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->app_connection = new_connection ();
  f->shortcut = nb_global_shortcut_new (f->app_connection);
  g_signal_connect (f->shortcut, "activated", G_CALLBACK (activated_cb), f);
}

static void
start_portal (Fixture *f)
{
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr(GError) error = NULL;

  f->portal_connection = new_connection ();
  f->object_id = g_dbus_connection_register_object (f->portal_connection, "/org/freedesktop/portal/desktop",
                                                    info->interfaces[0], &portal_vtable, f, NULL, &error);
  g_assert_no_error (error);
  f->owner_id = g_bus_own_name_on_connection (f->portal_connection, "org.freedesktop.portal.Desktop",
                                              G_BUS_NAME_OWNER_FLAGS_NONE, acquired_cb, NULL, f, NULL);
  nb_test_wait_for (&f->owned, TIMEOUT_MS);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->shortcut);
  if (f->portal_connection != NULL)
    {
      g_bus_unown_name (f->owner_id);
      g_dbus_connection_unregister_object (f->portal_connection, f->object_id);
      g_dbus_connection_close_sync (f->portal_connection, NULL, NULL);
      g_clear_object (&f->portal_connection);
    }
  g_dbus_connection_close_sync (f->app_connection, NULL, NULL);
  g_clear_object (&f->app_connection);
  g_free (f->session);
  g_free (f->bound_id);
  g_free (f->bound_trigger);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
}

static void
test_bind_and_activate (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_portal (f);
  nb_global_shortcut_bind_async (f->shortcut, "<Super><Alt>space", NULL, nb_test_store_result_cb, &result);
  g_assert_true (nb_global_shortcut_bind_finish (f->shortcut, nb_test_wait_result (&result, TIMEOUT_MS), &error));
  g_assert_no_error (error);
  g_assert_true (nb_global_shortcut_get_bound (f->shortcut));
  g_assert_cmpstr (f->bound_id, ==, "quick-prompt");
  g_assert_cmpstr (f->bound_trigger, ==, "LOGO+ALT+space");

  /* Pressed: the application hears it; another session's does nothing. */
  g_dbus_connection_emit_signal (f->portal_connection, NULL, "/org/freedesktop/portal/desktop",
                                 "org.freedesktop.portal.GlobalShortcuts", "Activated",
                                 g_variant_new_parsed ("(@o '/org/freedesktop/portal/desktop/session/x/y', "
                                                       "'quick-prompt', @t 0, @a{sv} {})"), NULL);
  g_dbus_connection_emit_signal (f->portal_connection, NULL, "/org/freedesktop/portal/desktop",
                                 "org.freedesktop.portal.GlobalShortcuts", "Activated",
                                 g_variant_new ("(ost@a{sv})", f->session, "quick-prompt", (guint64) 0,
                                                g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)), NULL);
  {
    gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

    while (f->activations == 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, TRUE);
      }
  }
  g_assert_cmpuint (f->activations, ==, 1);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_portal (f);
  f->refuse = TRUE;
  nb_global_shortcut_bind_async (f->shortcut, "<Control><Alt>n", NULL, nb_test_store_result_cb, &result);
  g_assert_false (nb_global_shortcut_bind_finish (f->shortcut, nb_test_wait_result (&result, TIMEOUT_MS), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (nb_global_shortcut_get_bound (f->shortcut));
  g_assert_cmpstr (f->bound_trigger, ==, "CTRL+ALT+n");
}

static void
test_no_portal (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_global_shortcut_bind_async (f->shortcut, "<Super>space", NULL, nb_test_store_result_cb, &result);
  g_assert_false (nb_global_shortcut_bind_finish (f->shortcut, nb_test_wait_result (&result, TIMEOUT_MS), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_triggers (void)
{
  static const char *cases[][2] = {
    { "<Super><Alt>space", "LOGO+ALT+space" },
    { "<Primary><Shift>k", "CTRL+SHIFT+k" },
    { "F9", "F9" },
    { "<Hyper>x", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *trigger = nb_global_shortcut_trigger_from_accelerator (cases[i][0]);

      g_assert_cmpstr (trigger, ==, cases[i][1]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/global-shortcut/bind-and-activate", Fixture, NULL, fixture_setup, test_bind_and_activate,
              fixture_teardown);
  g_test_add ("/global-shortcut/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/global-shortcut/no-portal", Fixture, NULL, fixture_setup, test_no_portal, fixture_teardown);
  g_test_add_func ("/global-shortcut/triggers", test_triggers);

  return g_test_run ();
}
