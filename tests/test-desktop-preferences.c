/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "nb-desktop-preferences.h"
#include "nb-gnome-shortcut.h"
#include "nb-test-util.h"

/* The Desktop preferences group in this process, with the memory
 * GSettings backend: its switches are bound to the settings, and "Add to
 * GNOME" writes a custom keybinding as GNOME Settings does, into copies
 * of gnome-settings-daemon's two schemas compiled here (they are not
 * installed where the tests run); without them the row explains instead. */

/* The parts of gnome-settings-daemon's schema that the shortcut uses. */
static const char media_keys_xml[] =
  "<schemalist>"
  " <schema id='org.gnome.settings-daemon.plugins.media-keys'"
  "         path='/org/gnome/settings-daemon/plugins/media-keys/'>"
  "  <key name='custom-keybindings' type='as'><default>[]</default></key>"
  " </schema>"
  " <schema id='org.gnome.settings-daemon.plugins.media-keys.custom-keybinding'>"
  "  <key name='name' type='s'><default>''</default></key>"
  "  <key name='binding' type='s'><default>''</default></key>"
  "  <key name='command' type='s'><default>''</default></key>"
  " </schema>"
  "</schemalist>";

static char *gnome_dir;
static char *empty_dir;

static GSettingsSchemaSource *
source_for (const char *dir)
{
  g_autoptr(GError) error = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_new_from_directory (dir, NULL, FALSE, &error);

  g_assert_no_error (error);
  return source;
}

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

static GtkButton *
button_labelled (GtkWidget  *root,
                 const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (buttons->pdata[i]), label) == 0)
      return buttons->pdata[i];
  return NULL;
}

static AdwActionRow *
row_titled (GtkWidget  *root,
            const char *title)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect (root, ADW_TYPE_ACTION_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (rows->pdata[i]), title) == 0)
      return rows->pdata[i];
  g_error ("no row titled %s", title);
}

static GtkWidget *
show_group (NbDesktopPreferences *group)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (group));
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
test_switches_bound (void)
{
  g_autoptr(GSettingsSchemaSource) source = source_for (empty_dir);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  GtkWidget *window = show_group (nb_desktop_preferences_new (source));
  g_autoptr(GPtrArray) switches = g_ptr_array_new ();

  collect (window, GTK_TYPE_SWITCH, switches);
  g_assert_cmpuint (switches->len, ==, 3);
  /* Run in Background is on by default, the others follow. */
  g_assert_true (gtk_switch_get_active (switches->pdata[0]));
  gtk_switch_set_active (switches->pdata[0], FALSE);
  g_assert_false (g_settings_get_boolean (settings, "run-in-background"));
  g_settings_set_boolean (settings, "start-at-login", TRUE);
  g_assert_true (gtk_switch_get_active (switches->pdata[1]));
  gtk_switch_set_active (switches->pdata[2], FALSE);
  g_assert_false (g_settings_get_boolean (settings, "notifications"));

  g_settings_reset (settings, "run-in-background");
  g_settings_reset (settings, "start-at-login");
  g_settings_reset (settings, "notifications");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_no_gnome (void)
{
  g_autoptr(GSettingsSchemaSource) source = source_for (empty_dir);
  GtkWidget *window = show_group (nb_desktop_preferences_new (source));
  AdwActionRow *row = row_titled (window, "Quick Prompt Shortcut");
  g_autoptr(GError) error = NULL;

  /* No GNOME schemas: words instead of a button. */
  g_assert_false (nb_gnome_shortcut_available (source));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (button_labelled (window, "_Add to GNOME"))));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "nanobot --quick-prompt"));
  g_assert_false (nb_gnome_shortcut_set (source, "<Super>space", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_null (nb_gnome_shortcut_dup (source));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_gnome_keybinding (void)
{
  g_autoptr(GSettingsSchemaSource) source = source_for (gnome_dir);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GSettingsSchema) media_schema = g_settings_schema_source_lookup (source,
                                                                             "org.gnome.settings-daemon.plugins.media-keys",
                                                                             FALSE);
  g_autoptr(GSettingsSchema) custom_schema =
    g_settings_schema_source_lookup (source, "org.gnome.settings-daemon.plugins.media-keys.custom-keybinding", FALSE);
  g_autoptr(GSettings) media = g_settings_new_full (media_schema, NULL, NULL);
  g_autoptr(GSettings) custom = g_settings_new_full (custom_schema, NULL, NB_GNOME_SHORTCUT_PATH);
  const char *before[] = { "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/", NULL };
  NbDesktopPreferences *group = nb_desktop_preferences_new (source);
  GtkWidget *window = show_group (group);
  GtkButton *add = button_labelled (window, "_Add to GNOME");
  AdwActionRow *row = row_titled (window, "Quick Prompt Shortcut");
  g_auto(GStrv) paths = NULL;
  g_autofree char *name = NULL;
  g_autofree char *command = NULL;
  g_autofree char *binding = NULL;
  g_autofree char *accel = NULL;

  /* The user's own shortcut stays. */
  g_settings_set_strv (media, "custom-keybindings", before);

  g_assert_nonnull (add);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (add)));

  /* A shortcut the user picks; nonsense is refused. */
  g_assert_false (nb_desktop_preferences_set_shortcut (group, "not a shortcut"));
  g_assert_true (nb_desktop_preferences_set_shortcut (group, "<Control><Alt>n"));
  accel = g_settings_get_string (settings, "quick-prompt-shortcut");
  g_assert_cmpstr (accel, ==, "<Control><Alt>n");

  /* The button writes the keybinding. */
  g_signal_emit_by_name (add, "clicked");
  paths = g_settings_get_strv (media, "custom-keybindings");
  g_assert_cmpuint (g_strv_length (paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, before[0]);
  g_assert_cmpstr (paths[1], ==, NB_GNOME_SHORTCUT_PATH);
  name = g_settings_get_string (custom, "name");
  command = g_settings_get_string (custom, "command");
  binding = g_settings_get_string (custom, "binding");
  g_assert_cmpstr (name, ==, "Nanobot Quick Prompt");
  g_assert_cmpstr (command, ==, "nanobot --quick-prompt");
  g_assert_cmpstr (binding, ==, "<Control><Alt>n");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (add)));
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "In GNOME’s keyboard shortcuts");

  /* A new choice follows into GNOME's entry, which is not added twice. */
  g_assert_true (nb_desktop_preferences_set_shortcut (group, "<Super>F9"));
  g_clear_pointer (&binding, g_free);
  binding = g_settings_get_string (custom, "binding");
  g_assert_cmpstr (binding, ==, "<Super>F9");
  g_signal_emit_by_name (add, "clicked");
  g_clear_pointer (&paths, g_strfreev);
  paths = g_settings_get_strv (media, "custom-keybindings");
  g_assert_cmpuint (g_strv_length (paths), ==, 2);

  /* Removing it leaves the user's own. */
  g_assert_true (nb_gnome_shortcut_remove (source, NULL));
  g_clear_pointer (&paths, g_strfreev);
  paths = g_settings_get_strv (media, "custom-keybindings");
  g_assert_cmpuint (g_strv_length (paths), ==, 1);
  g_assert_cmpstr (paths[0], ==, before[0]);
  g_assert_null (nb_gnome_shortcut_dup (source));

  g_settings_reset (settings, "quick-prompt-shortcut");
  g_settings_reset (media, "custom-keybindings");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *xml_path = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  int exit_status = 0;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  gnome_dir = nb_test_make_tmpdir ();
  empty_dir = nb_test_make_tmpdir ();
  xml_path = g_build_filename (gnome_dir, "org.gnome.settings-daemon.plugins.media-keys.gschema.xml", NULL);
  nb_test_write_file (xml_path, media_keys_xml);
  /* A desktop without GNOME: some other schema, not GNOME's. */
  g_free (xml_path);
  xml_path = g_build_filename (empty_dir, "org.example.Other.gschema.xml", NULL);
  nb_test_write_file (xml_path, "<schemalist><schema id='org.example.Other' path='/org/example/Other/'>"
                                "<key name='k' type='b'><default>false</default></key></schema></schemalist>");
  {
    const char *argv_compile[] = { "glib-compile-schemas", gnome_dir, NULL };
    const char *argv_empty[] = { "glib-compile-schemas", empty_dir, NULL };

    g_spawn_sync (NULL, (char **) argv_compile, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  &exit_status, &error);
    g_assert_no_error (error);
    g_assert_cmpint (exit_status, ==, 0);
    g_spawn_sync (NULL, (char **) argv_empty, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  &exit_status, &error);
    g_assert_no_error (error);
    g_assert_cmpint (exit_status, ==, 0);
  }

  g_test_add_func ("/desktop-preferences/switches-bound", test_switches_bound);
  g_test_add_func ("/desktop-preferences/no-gnome", test_no_gnome);
  g_test_add_func ("/desktop-preferences/gnome-keybinding", test_gnome_keybinding);

  status = g_test_run ();
  nb_test_rm_rf (gnome_dir);
  nb_test_rm_rf (empty_dir);
  g_free (gnome_dir);
  g_free (empty_dir);
  return status;
}
