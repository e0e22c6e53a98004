/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "nb-preferences-window.h"
#include "nb-test-util.h"
#include "nb-window.h"

/* The widgets on their own, in this process: settings bound both ways and
 * nothing kept alive after the window is destroyed. */

/* Windows need a registered application; one serves every test. */
static AdwApplication *app;
static char *data_dir;

/* An assistant over a fresh sessions folder. */
static NbAssistant *
new_assistant (char **out_dir)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autofree char *dir = nb_test_make_tmpdir ();
  NbAssistant *assistant = nb_assistant_new_for_sessions (config, dir);

  *out_dir = g_steal_pointer (&dir);
  return assistant;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Destroys @window and waits for its pending work (a session being
 * opened, the provider check) to let go of it. */
static void
destroy_window (NbWindow *window)
{
  GObject *weak = G_OBJECT (window);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  guint timer = g_timeout_add (20, wake_up, NULL);

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
  g_assert_null (weak);
}

static void
iterate_until_key (NbWindow *window)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  guint timer = g_timeout_add (20, wake_up, NULL);

  while (nb_window_get_session (window) == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
  g_assert_nonnull (nb_window_get_session (window));
  g_assert_cmpstr (nb_session_get_key (nb_window_get_session (window)), ==, nb_window_get_key (window));
}

static void
test_window_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  NbWindow *window;
  int width, height;

  g_settings_set_int (settings, "window-width", 640);
  g_settings_set_int (settings, "window-height", 480);
  g_settings_set_boolean (settings, "window-maximized", FALSE);

  g_autofree char *dir = NULL;
  g_autoptr(NbAssistant) assistant = new_assistant (&dir);

  window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 640);
  g_assert_cmpint (height, ==, 480);
  g_assert_false (gtk_window_is_maximized (GTK_WINDOW (window)));

  /* A new size is saved as it happens, not copied at close. */
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 500);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 720);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 500);

  g_settings_set_boolean (settings, "window-maximized", TRUE);
  g_assert_true (gtk_window_is_maximized (GTK_WINDOW (window)));
  gtk_window_unmaximize (GTK_WINDOW (window));
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  iterate_until_key (window);
  destroy_window (window);
  nb_test_rm_rf (dir);
}

static void
dump_widths (GtkWidget *widget,
             int        depth)
{
  int minimum = 0;

  if (depth > 9)
    return;
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  if (minimum > 100)
    g_test_message ("%*s%s %d", depth * 2, "", G_OBJECT_TYPE_NAME (widget), minimum);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    dump_widths (child, depth + 1);
}

/* The window works at 360 px wide: the leaflet folds, and nothing in the
 * conversation's pane then asks for more. */
static void
test_window_narrow (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(NbAssistant) assistant = new_assistant (&dir);
  NbWindow *window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  int minimum = 0;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 640);
  gtk_window_present (GTK_WINDOW (window));
  iterate_until_key (window);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    guint timer = g_timeout_add (20, wake_up, NULL);

    while (gtk_widget_get_width (GTK_WIDGET (window)) == 0 && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (timer);
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), >, 0);
  }
  gtk_widget_measure (gtk_window_get_child (GTK_WINDOW (window)), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_test_message ("minimum width of the content: %d", minimum);
  if (minimum > 360)
    dump_widths (gtk_window_get_child (GTK_WINDOW (window)), 0);
  g_assert_cmpint (minimum, <=, 360);
  destroy_window (window);
  nb_test_rm_rf (dir);
}

/* Start-up opens a conversation ready to type: the last one again while
 * it is still empty, a new one once it has messages. */
static void
test_window_start_conversation (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *dir = NULL;
  g_autoptr(NbAssistant) assistant = new_assistant (&dir);
  g_autofree char *first = NULL;
  g_autofree char *path = NULL;
  NbWindow *window;

  g_settings_set_string (settings, "last-conversation", "");
  window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  iterate_until_key (window);
  first = g_strdup (nb_window_get_key (window));
  g_assert_true (g_str_has_prefix (first, "desktop:"));
  g_assert_cmpuint (strlen (first), ==, strlen ("desktop:") + 12);
  {
    g_autofree char *last = g_settings_get_string (settings, "last-conversation");
    g_assert_cmpstr (last, ==, first);
  }
  /* Nothing is written for a conversation nobody typed into. */
  path = nb_session_store_get_path (nb_assistant_get_session_store (assistant), first);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  destroy_window (window);

  /* Left empty: the same conversation comes back. */
  window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  iterate_until_key (window);
  g_assert_cmpstr (nb_window_get_key (window), ==, first);
  destroy_window (window);

  /* With messages in its file: a new one. */
  {
    g_autofree char *lines = g_strdup_printf (
      "{\"_type\":\"metadata\",\"key\":\"%s\",\"created_at\":\"2026-12-01T10:00:00\",\"updated_at\":\"2026-12-01T10:00:00\",\"metadata\":{},\"last_consolidated\":0}\n"
      "{\"role\":\"user\",\"content\":\"%s\",\"timestamp\":\"2026-12-01T10:00:00\"}\n"
      "{\"role\":\"assistant\",\"content\":\"%s\",\"timestamp\":\"2026-12-01T10:00:01\"}\n",
      first, "What is the capital of France? Please answer in one word and then explain a bit.",
      "Paris. It has been the capital for most of the last thousand years, and it is the seat of government.");
    nb_test_write_file (path, lines);
  }
  window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  iterate_until_key (window);
  g_assert_cmpstr (nb_window_get_key (window), !=, first);
  g_assert_true (g_str_has_prefix (nb_window_get_key (window), "desktop:"));
  destroy_window (window);

  nb_test_rm_rf (dir);
}

static void
test_preferences_window (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(NbAssistant) assistant = new_assistant (&dir);
  NbWindow *window = g_object_ref (nb_window_new (GTK_APPLICATION (app), assistant));
  NbPreferencesWindow *preferences;

  preferences = g_object_ref (nb_preferences_window_new (GTK_WINDOW (window), assistant));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences)) == GTK_WINDOW (window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (preferences)));

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);
  iterate_until_key (window);
  destroy_window (window);
  nb_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  /* The assistant's workspace and memory go to a folder of the test's. */
  data_dir = nb_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = adw_application_new (APPLICATION_ID ".Test", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/window/settings", test_window_settings);
  g_test_add_func ("/window/start-conversation", test_window_start_conversation);
  g_test_add_func ("/window/narrow", test_window_narrow);
  g_test_add_func ("/window/preferences", test_preferences_window);

  status = g_test_run ();
  g_clear_object (&app);
  nb_test_rm_rf (data_dir);
  g_free (data_dir);
  return status;
}
