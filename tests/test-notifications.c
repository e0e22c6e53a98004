/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-notifications.h"
#include "nb-test-util.h"

/*
 * Notifications on a private bus (GTestDBus) with a fake
 * org.freedesktop.Notifications written here. GLib 2.74 picks the
 * GNotification backend once per application, the first that says it is
 * supported: the portal (only in Flatpak or with GIO_USE_PORTALS=1, which
 * main() unsets), then org.gtk.Notifications (only if that name has an
 * owner; nobody owns it on this bus), then org.freedesktop.Notifications,
 * which is always taken. So this test always sees the fdo backend's
 * Notify calls.
 *
 * A turn that ends while no window is focused notifies, with the start of
 * the reply; its activation opens that conversation
 * (app.open-conversation with the key); a turn the user watches does
 * not; approvals notify through nb_notifications_approval_needed().
 */

#define TIMEOUT_MS 20000

static const char server_xml[] =
  "<node>"
  " <interface name='org.freedesktop.Notifications'>"
  "  <method name='Notify'>"
  "   <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "   <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "   <arg type='u' direction='out'/>"
  "  </method>"
  "  <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "  <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "  <method name='GetServerInformation'>"
  "   <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "   <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "  </method>"
  "  <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  " </interface>"
  "</node>";

typedef struct {
  guint32  id;
  char    *summary;
  char    *body;
  char   **actions;
} Notification;

static GtkApplication *app;
static GDBusConnection *server;
static GPtrArray *notifications;    /* of Notification */
static char *opened_key;

static void
notification_free (gpointer data)
{
  Notification *n = data;

  g_free (n->summary);
  g_free (n->body);
  g_strfreev (n->actions);
  g_free (n);
}

static void
server_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  if (g_str_equal (method_name, "Notify"))
    {
      Notification *n = g_new0 (Notification, 1);

      g_variant_get (parameters, "(&su&sss^as@a{sv}i)", NULL, NULL, NULL, &n->summary, &n->body,
                     &n->actions, NULL, NULL);
      n->id = notifications->len + 1;
      g_ptr_array_add (notifications, n);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", n->id));
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(['actions', 'body'],)"));
  else if (g_str_equal (method_name, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "fake", "test", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable server_vtable = { server_method_cb, NULL, NULL, { 0 } };

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  g_free (opened_key);
  opened_key = g_variant_dup_string (parameter, NULL);
}

typedef struct {
  char        *home;
  NbFakeLlm   *fake;
  NbAssistant *assistant;
} Fixture;

#define WAIT_UNTIL(cond)                                                     \
  G_STMT_START {                                                             \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_MS * 1000;          \
    while (!(cond))                                                          \
      {                                                                      \
        if (g_get_monotonic_time () > deadline_)                             \
          g_error ("Timed out waiting for %s", #cond);                       \
        g_main_context_iteration (NULL, FALSE);                              \
        g_usleep (1000);                                                     \
      }                                                                      \
  } G_STMT_END

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *config_path = NULL;
  g_autofree char *config_text = NULL;
  g_autofree char *sessions = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  f->home = nb_test_make_tmpdir ();
  f->fake = nb_fake_llm_new ();
  config_path = g_build_filename (f->home, "config.json", NULL);
  config_text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"m\",\"provider\":\"custom\","
                                 "\"workspace\":\"%s/workspace\"}},"
                                 "\"providers\":{\"custom\":{\"apiKey\":\"sk-n\",\"apiBase\":\"%s\"}}}",
                                 f->home, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (config_path, config_text);
  config = nb_config_load (config_path, &error);
  g_assert_no_error (error);
  sessions = g_build_filename (f->home, "sessions", NULL);
  f->assistant = nb_assistant_new_for_sessions (config, sessions);
  nb_notifications_watch_agent (app, nb_assistant_get_agent (f->assistant));
  g_ptr_array_set_size (notifications, 0);
  g_clear_pointer (&opened_key, g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->assistant);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->home);
  g_free (f->home);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_autofree char *escaped = g_strescape (text, NULL);
  g_autofree char *event =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", escaped);

  nb_fake_response_add_chunk (response, event, -1, 0);
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                              "data: [DONE]\n\n", -1, 10);
}

/* Runs one turn in @key to its end. */
static void
run_turn (Fixture    *f,
          const char *key,
          const char *input)
{
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) ran = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  nb_assistant_open_session_async (f->assistant, key, NULL, nb_test_store_result_cb, &opened);
  session = nb_assistant_open_session_finish (f->assistant, nb_test_wait_result (&opened, TIMEOUT_MS), &error);
  g_assert_no_error (error);
  nb_assistant_run_async (f->assistant, session, input, NULL, nb_test_store_result_cb, &ran);
  reply = nb_assistant_run_finish (f->assistant, nb_test_wait_result (&ran, TIMEOUT_MS), NULL, &error);
  g_assert_no_error (error);
}

/* Lets any notification under way reach the fake server. */
static void
round_trip (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                          "org.freedesktop.Notifications", "GetCapabilities", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, TIMEOUT_MS);
}

static void
test_hidden_turn_notifies (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GtkWindow) window = NULL;
  Notification *n;

  /* The window is there but hidden (Nanobot in the background). */
  window = g_object_ref (GTK_WINDOW (gtk_application_window_new (app)));
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  g_assert_false (nb_notifications_app_is_focused (app));

  queue_text (f, "The report is ready: 3 files changed.\nDetails follow.");
  run_turn (f, "desktop:notify1", "Write the report");
  WAIT_UNTIL (notifications->len == 1);

  n = g_ptr_array_index (notifications, 0);
  g_assert_cmpstr (n->summary, ==, "Nanobot replied");
  g_assert_cmpstr (n->body, ==, "The report is ready: 3 files changed. Details follow.");
  g_assert_true (g_strv_contains ((const char * const *) n->actions, "default"));

  /* Clicking it opens that conversation. */
  g_dbus_connection_emit_signal (server, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", n->id, "default"), NULL);
  WAIT_UNTIL (opened_key != NULL);
  g_assert_cmpstr (opened_key, ==, "desktop:notify1");

  gtk_window_destroy (window);
}

static void
test_watched_turn_is_quiet (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GtkWindow) window = NULL;

  /* The user looks at Nanobot: a focused window. */
  window = g_object_ref (GTK_WINDOW (gtk_application_window_new (app)));
  gtk_window_present (window);
  WAIT_UNTIL (gtk_window_is_active (window));
  g_assert_true (nb_notifications_app_is_focused (app));

  queue_text (f, "Done.");
  run_turn (f, "desktop:watched", "Do it");
  round_trip ();
  g_assert_cmpuint (notifications->len, ==, 0);
  g_assert_false (nb_notifications_approval_needed (app, "desktop:watched", "exec", "rm -rf build"));

  gtk_window_destroy (window);
  WAIT_UNTIL (!nb_notifications_app_is_focused (app));

  /* Approvals, once nobody looks. Scheduled jobs' sessions are not ours. */
  g_assert_true (nb_notifications_approval_needed (app, "desktop:watched", "exec", "rm -rf build"));
  WAIT_UNTIL (notifications->len == 1);
  g_assert_cmpstr (((Notification *) g_ptr_array_index (notifications, 0))->summary, ==,
                   "A tool needs your approval");
  g_assert_cmpstr (((Notification *) g_ptr_array_index (notifications, 0))->body, ==,
                   "exec wants to run: rm -rf build");
  queue_text (f, "Job done.");
  run_turn (f, "cron:job1", "Run the job");
  round_trip ();
  g_assert_cmpuint (notifications->len, ==, 1);
}

static void
test_setting_off (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  g_settings_set_boolean (settings, "notifications", FALSE);
  queue_text (f, "Quiet.");
  run_turn (f, "quick:0123456789ab", "Hello");
  round_trip ();
  g_assert_cmpuint (notifications->len, ==, 0);
  g_settings_reset (settings, "notifications");

  queue_text (f, "Loud.");
  run_turn (f, "quick:0123456789ab", "Hello again");
  WAIT_UNTIL (notifications->len == 1);
  g_assert_cmpstr (((Notification *) g_ptr_array_index (notifications, 0))->body, ==, "Loud.");
}

/* A sub-agent's report (a turn the agent starts, whose user message has
 * "sender": "subagent") says a background task finished. */
static void
test_subagent_report (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:sub");
  g_autoptr(JsonObject) user = nb_test_parse_object ("{\"role\":\"user\",\"content\":\"[Subagent 'x' completed]\","
                                                     "\"sender\":\"subagent\"}");
  g_autoptr(NbMessage) message = nb_message_new_from_json (user);

  nb_session_append (session, message);
  g_assert_true (nb_notifications_turn_finished (app, session, "The files are sorted.", NULL));
  WAIT_UNTIL (notifications->len == 1);
  g_assert_cmpstr (((Notification *) g_ptr_array_index (notifications, 0))->summary, ==,
                   "A background task finished");
  g_assert_cmpstr (((Notification *) g_ptr_array_index (notifications, 0))->body, ==, "The files are sorted.");

  /* A stopped turn says nothing. */
  {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Stopped");

    g_assert_false (nb_notifications_turn_finished (app, session, NULL, cancelled));
  }
}

static void
acquired_cb (GDBusConnection *connection,
             const char      *name,
             gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  static const GActionEntry entries[] = {
    { "open-conversation", open_conversation_action, "s" },
  };
  static GTestDBus *bus;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  g_autofree char *data_dir = NULL;
  gboolean owned = FALSE;
  guint owner_id;
  int status;

  /* See the comment at the top: no portal. */
  g_unsetenv ("GIO_USE_PORTALS");
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);   /* GTestDBus clears it */

  data_dir = nb_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", data_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  notifications = g_ptr_array_new_with_free_func (notification_free);
  server = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (server, "/org/freedesktop/Notifications", info->interfaces[0],
                                     &server_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  owner_id = g_bus_own_name_on_connection (server, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                           acquired_cb, NULL, &owned, NULL);
  nb_test_wait_for (&owned, TIMEOUT_MS);

  app = GTK_APPLICATION (adw_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS));
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), NULL);

  g_test_add ("/notifications/hidden-turn-notifies", Fixture, NULL, fixture_setup, test_hidden_turn_notifies,
              fixture_teardown);
  g_test_add ("/notifications/watched-turn-is-quiet", Fixture, NULL, fixture_setup, test_watched_turn_is_quiet,
              fixture_teardown);
  g_test_add ("/notifications/subagent-report", Fixture, NULL, fixture_setup, test_subagent_report,
              fixture_teardown);
  g_test_add ("/notifications/setting-off", Fixture, NULL, fixture_setup, test_setting_off, fixture_teardown);

  status = g_test_run ();

  g_clear_object (&app);
  g_bus_unown_name (owner_id);
  g_dbus_connection_close_sync (server, NULL, NULL);
  g_clear_object (&server);
  g_clear_pointer (&notifications, g_ptr_array_unref);
  g_clear_pointer (&opened_key, g_free);
  nb_test_rm_rf (data_dir);
  /* GTK and the notification backend keep the bus connection for the
   * life of the process: stop the bus without waiting for them (and keep
   * the GTestDBus, whose finalization would wait too). */
  g_test_dbus_stop (bus);
  return status;
}
