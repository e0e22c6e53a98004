/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "nb-preferences-window.h"
#include "nb-window.h"

/* The widgets on their own, in this process: settings bound both ways and
 * nothing kept alive after the window is destroyed. */

/* Windows need a registered application; one serves every test. */
static AdwApplication *app;

static void
test_window_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  NbWindow *window;
  int width, height;

  g_settings_set_int (settings, "window-width", 640);
  g_settings_set_int (settings, "window-height", 480);
  g_settings_set_boolean (settings, "window-maximized", FALSE);

  window = g_object_ref (nb_window_new (GTK_APPLICATION (app)));
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

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
test_preferences_window (void)
{
  NbWindow *window = g_object_ref (nb_window_new (GTK_APPLICATION (app)));
  NbPreferencesWindow *preferences;

  preferences = g_object_ref (nb_preferences_window_new (GTK_WINDOW (window)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences)) == GTK_WINDOW (window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (preferences)));

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = adw_application_new (APPLICATION_ID ".Test", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/window/settings", test_window_settings);
  g_test_add_func ("/window/preferences", test_preferences_window);

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
