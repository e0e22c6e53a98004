/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-fake-watcher.h"
#include "nb-test-util.h"
#include "nb-tray.h"

/* NbTray on a private bus (GTestDBus) against a fake
 * org.kde.StatusNotifierWatcher written here: it registers with the
 * expected properties, its menu reads back with GetLayout, menu clicks
 * and a click on the icon run the application's actions, and a watcher
 * that restarts gets the icon again. */

#define TIMEOUT_MS 10000

typedef struct {
  GTestDBus          *bus;
  GDBusConnection    *app_connection;
  GSimpleActionGroup *actions;
  GHashTable         *activated;     /* action name → count */
  Watcher            *watcher;
  NbTray             *tray;
} Fixture;

static void
action_cb (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  Fixture *f = user_data;
  const char *name = g_action_get_name (G_ACTION (action));

  g_hash_table_insert (f->activated, g_strdup (name),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (f->activated, name)) + 1));
}

static guint
n_activated (Fixture    *f,
             const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (f->activated, name));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const GActionEntry entries[] = {
    { "quick-prompt", action_cb },
    { "show-window", action_cb },
    { "new-chat", action_cb },
    { "quit", action_cb },
  };

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->app_connection = new_connection ();
  f->actions = g_simple_action_group_new ();
  f->activated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_action_map_add_action_entries (G_ACTION_MAP (f->actions), entries, G_N_ELEMENTS (entries), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->tray);
  if (f->watcher != NULL)
    watcher_stop (f->watcher);
  g_dbus_connection_close_sync (f->app_connection, NULL, NULL);
  g_clear_object (&f->app_connection);
  g_clear_object (&f->actions);
  g_clear_pointer (&f->activated, g_hash_table_unref);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
}

/* Asynchronous, waiting on the main loop: the tray answers from it. */
static GVariant *
call (Fixture    *f,
      const char *path,
      const char *interface,
      const char *method,
      GVariant   *parameters)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  g_dbus_connection_call (f->watcher->connection, f->watcher->item_sender, path, interface,
                          method, parameters, NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
                          NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, TIMEOUT_MS);
  reply = g_dbus_connection_call_finish (f->watcher->connection, result, &error);
  g_assert_no_error (error);
  return reply;
}

static void
wait_registered (Fixture *f,
                 guint    n)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

  while (f->watcher->n_registrations < n || !nb_tray_get_registered (f->tray))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_registers (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) tooltip = NULL;
  const char *title, *text;

  f->watcher = watcher_start ();
  f->tray = nb_tray_new (f->app_connection, G_ACTION_GROUP (f->actions));
  wait_registered (f, 1);

  /* Registered with the object path, from the application's connection. */
  g_assert_cmpstr (f->watcher->item_path, ==, NB_TRAY_ITEM_PATH);
  g_assert_cmpstr (f->watcher->item_sender, ==, g_dbus_connection_get_unique_name (f->app_connection));
  g_assert_cmpuint (f->watcher->n_registrations, ==, 1);

  reply = call (f, NB_TRAY_ITEM_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                g_variant_new ("(s)", "org.kde.StatusNotifierItem"));
  props = g_variant_get_child_value (reply, 0);
  {
    const char *s;
    gboolean b;

    g_assert_true (g_variant_lookup (props, "Id", "&s", &s));
    g_assert_cmpstr (s, ==, APPLICATION_ID);
    g_assert_true (g_variant_lookup (props, "Category", "&s", &s));
    g_assert_cmpstr (s, ==, "ApplicationStatus");
    g_assert_true (g_variant_lookup (props, "Status", "&s", &s));
    g_assert_cmpstr (s, ==, "Active");
    g_assert_true (g_variant_lookup (props, "Title", "&s", &s));
    g_assert_cmpstr (s, ==, "Nanobot");
    g_assert_true (g_variant_lookup (props, "IconName", "&s", &s));
    g_assert_cmpstr (s, ==, APPLICATION_ID "-symbolic");
    g_assert_true (g_variant_lookup (props, "Menu", "&o", &s));
    g_assert_cmpstr (s, ==, NB_TRAY_MENU_PATH);
    g_assert_true (g_variant_lookup (props, "ItemIsMenu", "b", &b));
    g_assert_false (b);
  }
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_assert_nonnull (tooltip);
  g_variant_get (tooltip, "(&s@a(iiay)&s&s)", NULL, NULL, &title, &text);
  g_assert_cmpstr (title, ==, "Nanobot");
  g_assert_cmpstr (text, !=, "");
}

/* The labels of the menu's items in order ("-" for a separator), and
 * the id of the one labelled @find. */
static char *
read_menu (Fixture    *f,
           const char *find,
           int        *found_id)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) root_props = NULL;
  g_autoptr(GVariantIter) children = NULL;
  g_autoptr(GString) labels = g_string_new (NULL);
  const char *display = NULL;
  GVariant *child;
  guint revision;
  int root_id;

  reply = call (f, NB_TRAY_MENU_PATH, "com.canonical.dbusmenu", "GetLayout",
                g_variant_new_parsed ("(0, -1, @as [])"));
  g_variant_get (reply, "(u(i@a{sv}av))", &revision, &root_id, &root_props, &children);
  g_assert_cmpint (root_id, ==, 0);
  g_assert_true (g_variant_lookup (root_props, "children-display", "&s", &display));
  g_assert_cmpstr (display, ==, "submenu");

  while (g_variant_iter_next (children, "v", &child))
    {
      g_autoptr(GVariant) item = child;
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) grandchildren = NULL;
      const char *label = NULL, *type = NULL;
      int id;

      g_variant_get (item, "(i@a{sv}@av)", &id, &props, &grandchildren);
      g_assert_cmpuint (g_variant_n_children (grandchildren), ==, 0);
      if (labels->len > 0)
        g_string_append_c (labels, '|');
      if (g_variant_lookup (props, "type", "&s", &type) && g_str_equal (type, "separator"))
        g_string_append_c (labels, '-');
      else
        {
          g_assert_true (g_variant_lookup (props, "label", "&s", &label));
          g_string_append (labels, label);
          if (find != NULL && g_str_equal (label, find))
            *found_id = id;
        }
    }
  return g_string_free (g_steal_pointer (&labels), FALSE);
}

static void
test_menu (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *labels = NULL;
  g_autoptr(GVariant) reply = NULL;
  int quick = -1, quit = -1;

  f->watcher = watcher_start ();
  f->tray = nb_tray_new (f->app_connection, G_ACTION_GROUP (f->actions));
  wait_registered (f, 1);

  labels = read_menu (f, "Quick Prompt", &quick);
  g_assert_cmpstr (labels, ==, "Quick Prompt|Show Nanobot|New Chat|-|Quit");
  g_assert_cmpint (quick, >, 0);
  g_free (read_menu (f, "Quit", &quit));

  /* A click on Quick Prompt runs app.quick-prompt, once. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, NB_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                g_variant_new ("(isvu)", quick, "clicked", g_variant_new_int32 (0), 0));
  g_assert_cmpuint (n_activated (f, "quick-prompt"), ==, 1);
  g_assert_cmpuint (n_activated (f, "quit"), ==, 0);

  /* Hovering does nothing. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, NB_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                g_variant_new ("(isvu)", quit, "hovered", g_variant_new_int32 (0), 0));
  g_assert_cmpuint (n_activated (f, "quit"), ==, 0);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, NB_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                g_variant_new ("(isvu)", quit, "clicked", g_variant_new_int32 (0), 0));
  g_assert_cmpuint (n_activated (f, "quit"), ==, 1);

  /* A click on the icon opens the quick prompt too. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, NB_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate", g_variant_new ("(ii)", 10, 10));
  g_assert_cmpuint (n_activated (f, "quick-prompt"), ==, 2);
  g_assert_cmpuint (n_activated (f, "show-window"), ==, 0);
}

static void
signal_cb (GDBusConnection *connection,
           const char      *sender,
           const char      *path,
           const char      *interface,
           const char      *signal,
           GVariant        *parameters,
           gpointer         user_data)
{
  (*(guint *) user_data)++;
}

static void
test_busy_icon (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  guint new_icons = 0;
  guint subscription;
  gint64 deadline;

  f->watcher = watcher_start ();
  f->tray = nb_tray_new (f->app_connection, G_ACTION_GROUP (f->actions));
  wait_registered (f, 1);
  subscription = g_dbus_connection_signal_subscribe (f->watcher->connection, f->watcher->item_sender,
                                                     "org.kde.StatusNotifierItem", "NewIcon",
                                                     NB_TRAY_ITEM_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     signal_cb, &new_icons, NULL);
  /* The match rule is in place once a call after it has been answered. */
  reply = call (f, NB_TRAY_ITEM_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL);

  nb_tray_set_busy (f->tray, TRUE);
  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (new_icons == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, NB_TRAY_ITEM_PATH, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", "org.kde.StatusNotifierItem", "IconName"));
  g_variant_get (reply, "(v)", &value);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, APPLICATION_ID "-busy-symbolic");
  g_dbus_connection_signal_unsubscribe (f->watcher->connection, subscription);
}

static void
test_watcher_restart (Fixture       *f,
                      gconstpointer  data)
{
  gint64 deadline;

  f->watcher = watcher_start ();
  f->tray = nb_tray_new (f->app_connection, G_ACTION_GROUP (f->actions));
  wait_registered (f, 1);

  /* The watcher goes away (a crash: its connection closes). */
  watcher_stop (g_steal_pointer (&f->watcher));
  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (nb_tray_get_registered (f->tray))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  /* A new one starts: the icon registers with it by itself. */
  f->watcher = watcher_start ();
  wait_registered (f, 1);
  g_assert_cmpstr (f->watcher->item_path, ==, NB_TRAY_ITEM_PATH);
  g_assert_cmpstr (f->watcher->item_sender, ==, g_dbus_connection_get_unique_name (f->app_connection));
}

static gboolean
done_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_no_watcher (Fixture       *f,
                 gconstpointer  data)
{
  gboolean done = FALSE;

  f->tray = nb_tray_new (f->app_connection, G_ACTION_GROUP (f->actions));
  /* Give the name watch time to answer "no owner". */
  g_timeout_add (300, done_cb, &done);
  nb_test_wait_for (&done, TIMEOUT_MS);
  g_assert_false (nb_tray_get_registered (f->tray));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tray/registers", Fixture, NULL, fixture_setup, test_registers, fixture_teardown);
  g_test_add ("/tray/menu", Fixture, NULL, fixture_setup, test_menu, fixture_teardown);
  g_test_add ("/tray/busy-icon", Fixture, NULL, fixture_setup, test_busy_icon, fixture_teardown);
  g_test_add ("/tray/watcher-restart", Fixture, NULL, fixture_setup, test_watcher_restart, fixture_teardown);
  g_test_add ("/tray/no-watcher", Fixture, NULL, fixture_setup, test_no_watcher, fixture_teardown);

  return g_test_run ();
}
