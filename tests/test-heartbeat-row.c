/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "nb-config-edit.h"
#include "nb-desktop-preferences.h"
#include "nb-heartbeat.h"
#include "nb-heartbeat-row.h"
#include "nb-preferences-window.h"
#include "nb-test-util.h"

/*
 * The heartbeat's row in Preferences (the Desktop page, built as the
 * application builds it), driven through its widgets: the switch and the
 * interval end up in config.json under exactly gateway.heartbeat.enabled
 * and gateway.heartbeat.intervalS (seconds), the running heartbeat
 * follows, a change of the file shows in the row, and Edit HEARTBEAT.md
 * makes the file from the template when it is missing and opens it with
 * the default application for it (a fake editor that writes down what it
 * was given). With NB_SCREENSHOT_DIR set, the page is saved wide, narrow
 * and dark.
 */

static char *env_dir;
static char *opened_log;

typedef struct {
  char                *dir;
  char                *config_path;
  char                *heartbeat_path;
  NbConfig            *config;
  NbAssistant         *assistant;
  NbPreferencesWindow *window;
  AdwPreferencesPage  *page;
  GtkWidget           *row;
} Fixture;

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autofree char *workspace = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->heartbeat_path = g_build_filename (workspace, "HEARTBEAT.md", NULL);
  text = g_strdup_printf ("{\"agents\": {\"defaults\": {\"model\": \"gpt-test\", \"workspace\": \"%s\"}},\n"
                          " \"gateway\": {\"mine\": 1}}\n", workspace);
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);
  nb_assistant_start_scheduler (f->assistant);

  /* As the application's Preferences: the Desktop page with the group. */
  f->window = g_object_ref_sink (nb_preferences_window_new (NULL, f->assistant));
  f->page = nb_desktop_preferences_new_page (NULL);
  adw_preferences_page_add (f->page, nb_heartbeat_row_new_group (f->assistant));
  nb_preferences_window_add_page (f->window, f->page);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (f->window), f->page);
  gtk_window_present (GTK_WINDOW (f->window));
  f->row = find_widget (GTK_WIDGET (f->page), NB_TYPE_HEARTBEAT_ROW);
  g_assert_nonnull (f->row);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  nb_assistant_stop_scheduler (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_clear_object (&f->assistant);
  g_clear_object (&f->config);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
  g_free (f->heartbeat_path);
}

typedef gboolean (*Condition) (Fixture *f, gconstpointer data);

static void
wait_until (Fixture       *f,
            Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!condition (f, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* gateway.heartbeat.<member> in config.json on disk, spelled exactly so,
 * as JSON text ("true", "2700"), or NULL. */
static char *
heartbeat_on_disk (Fixture    *f,
                   const char *member)
{
  g_autofree char *text = nb_test_read_file (f->config_path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *node;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "gateway"))
    return NULL;
  object = json_object_get_object_member (object, "gateway");
  if (!json_object_has_member (object, "heartbeat"))
    return NULL;
  object = json_object_get_object_member (object, "heartbeat");
  node = json_object_get_member (object, member);
  return node != NULL ? json_to_string (node, FALSE) : NULL;
}

static gboolean
enabled_is (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *value = heartbeat_on_disk (f, "enabled");

  return g_strcmp0 (value, data) == 0;
}

static gboolean
interval_is (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *value = heartbeat_on_disk (f, "intervalS");

  return g_strcmp0 (value, data) == 0;
}

static gboolean
switch_is (Fixture       *f,
           gconstpointer  data)
{
  GtkSwitch *toggle = GTK_SWITCH (find_widget (f->row, GTK_TYPE_SWITCH));

  return gtk_switch_get_active (toggle) == GPOINTER_TO_INT (data);
}

static gboolean
heartbeat_active (Fixture       *f,
                  gconstpointer  data)
{
  return nb_heartbeat_is_active (nb_assistant_get_heartbeat (f->assistant)) == GPOINTER_TO_INT (data);
}

static gboolean
heartbeat_interval_is (Fixture       *f,
                       gconstpointer  data)
{
  return nb_heartbeat_get_interval (nb_assistant_get_heartbeat (f->assistant)) == GPOINTER_TO_UINT (data);
}

static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  GtkSwitch *toggle = GTK_SWITCH (find_widget (f->row, GTK_TYPE_SWITCH));
  GtkSpinButton *spin = GTK_SPIN_BUTTON (find_widget (f->row, GTK_TYPE_SPIN_BUTTON));
  NbHeartbeat *heartbeat = nb_assistant_get_heartbeat (f->assistant);
  g_autofree char *text = NULL;
  g_autofree char *key = NULL;
  NbConfigEdit *edit;
  g_autoptr(GError) error = NULL;

  /* Off, 30 minutes: the defaults, nothing written yet. */
  g_assert_false (gtk_switch_get_active (toggle));
  g_assert_false (adw_expander_row_get_enable_expansion (ADW_EXPANDER_ROW (f->row)));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 30);
  g_assert_null (heartbeat_on_disk (f, "enabled"));
  g_assert_false (nb_heartbeat_is_active (heartbeat));

  /* The switch: in the file, and the heartbeat runs. */
  gtk_switch_set_active (toggle, TRUE);
  wait_until (f, enabled_is, "true", "gateway.heartbeat.enabled in config.json");
  /* The write's result reaches the NbConfig just after the file. */
  wait_until (f, heartbeat_active, GINT_TO_POINTER (TRUE), "the heartbeat to start");
  g_assert_cmpuint (nb_heartbeat_get_interval (heartbeat), ==, NB_HEARTBEAT_DEFAULT_INTERVAL_S);

  /* The interval, typed in minutes, is seconds in the file. */
  gtk_editable_set_text (GTK_EDITABLE (spin), "45");
  gtk_spin_button_update (spin);  /* what Enter or leaving the field does */
  wait_until (f, interval_is, "2700", "gateway.heartbeat.intervalS in config.json");
  wait_until (f, heartbeat_interval_is, GUINT_TO_POINTER (2700), "the heartbeat's new interval");

  /* The rest of the file is kept; no snake_case twin appears. */
  text = nb_test_read_file (f->config_path);
  g_assert_nonnull (strstr (text, "\"mine\" : 1"));
  g_assert_null (strstr (text, "interval_s"));
  key = heartbeat_on_disk (f, "interval_s");
  g_assert_null (key);

  /* Another change of the file shows in the row. */
  edit = nb_config_edit_new ();
  nb_config_edit_set_boolean (edit, "gateway.heartbeat.enabled", FALSE);
  nb_config_edit_set_int (edit, "gateway.heartbeat.intervalS", 600);
  g_assert_true (nb_config_write (f->config, edit, &error));
  g_assert_no_error (error);
  wait_until (f, switch_is, GINT_TO_POINTER (FALSE), "the switch to follow the file");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 10);
  g_assert_false (nb_heartbeat_is_active (heartbeat));
  /* Showing it wrote nothing back. */
  g_assert_true (interval_is (f, "600"));
}

static gboolean
file_exists (Fixture       *f,
             gconstpointer  data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static guint
count_lines (const char *path,
             const char *line)
{
  g_autofree char *text = g_file_test (path, G_FILE_TEST_EXISTS) ? nb_test_read_file (path) : g_strdup ("");
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_equal (lines[i], line);
  return n;
}

static gboolean
opened_twice (Fixture       *f,
              gconstpointer  data)
{
  return count_lines (opened_log, f->heartbeat_path) == 2;
}

static gboolean
sensitive (Fixture       *f,
           gconstpointer  data)
{
  return gtk_widget_get_sensitive ((GtkWidget *) data);
}

static void
test_edit (Fixture       *f,
           gconstpointer  data)
{
  GtkWidget *button = find_button (f->row, "_Edit HEARTBEAT.md");
  g_autofree char *text = NULL;

  g_assert_nonnull (button);
  /* The workspace starts with one; the user removed it. */
  g_assert_true (g_file_test (f->heartbeat_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_remove (f->heartbeat_path), ==, 0);

  /* Missing: made from the template (no task yet), then opened. */
  g_signal_emit_by_name (button, "clicked");
  wait_until (f, file_exists, opened_log, "the editor to be started");
  g_assert_cmpuint (count_lines (opened_log, f->heartbeat_path), ==, 1);
  text = nb_test_read_file (f->heartbeat_path);
  g_assert_nonnull (strstr (text, "## Tasks"));
  g_assert_false (nb_heartbeat_has_tasks (text));

  /* There: opened as it is, never written over. */
  nb_test_write_file (f->heartbeat_path, "## Tasks\n\n- Water the plants\n");
  wait_until (f, sensitive, button, "the button");
  g_signal_emit_by_name (button, "clicked");
  wait_until (f, opened_twice, NULL, "the editor to be started again");
  g_free (text);
  text = nb_test_read_file (f->heartbeat_path);
  g_assert_cmpstr (text, ==, "## Tasks\n\n- Water the plants\n");
}

static void
screenshot (const char *dir,
            const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.png", dir, name);
  g_autofree char *command = g_strdup_printf ("import -window root %s", path);
  g_autoptr(GError) error = NULL;
  gint64 until = g_get_monotonic_time () + 700 * G_TIME_SPAN_MILLISECOND;
  int status = 0;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
}

static void
test_screenshots (Fixture       *f,
                  gconstpointer  data)
{
  const char *dir = g_getenv ("NB_SCREENSHOT_DIR");
  AdwStyleManager *style = adw_style_manager_get_default ();

  if (dir == NULL)
    {
      g_test_skip ("NB_SCREENSHOT_DIR not set");
      return;
    }
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (f->row), TRUE);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (f->row), TRUE);
  for (guint dark = 0; dark < 2; dark++)
    for (guint narrow = 0; narrow < 2; narrow++)
      {
        g_autofree char *name = g_strdup_printf ("heartbeat%s%s", narrow ? "-narrow" : "", dark ? "-dark" : "");
        GtkWidget *scrolled = gtk_widget_get_ancestor (f->row, GTK_TYPE_SCROLLED_WINDOW);
        GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

        adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
        gtk_window_set_default_size (GTK_WINDOW (f->window), narrow ? 360 : 640, 760);
        screenshot (dir, name);
        /* The row is below the Desktop group: scrolled into view. */
        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
        screenshot (dir, name);
      }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

/* A default application for Markdown and plain text that writes down
 * the file it was started with. */
static void
install_fake_editor (void)
{
  g_autofree char *apps = g_build_filename (env_dir, "data", "applications", NULL);
  g_autofree char *config = g_build_filename (env_dir, "config", NULL);
  g_autofree char *script = g_build_filename (env_dir, "editor.sh", NULL);
  g_autofree char *script_text = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *desktop_path = g_build_filename (apps, "nb-test-editor.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (config, "mimeapps.list", NULL);
  g_autofree char *data = g_build_filename (env_dir, "data", NULL);

  opened_log = g_build_filename (env_dir, "opened.txt", NULL);
  g_mkdir_with_parents (apps, 0700);
  g_mkdir_with_parents (config, 0700);
  script_text = g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", opened_log);
  nb_test_write_file (script, script_text);
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test Editor\nExec=%s %%f\n"
                             "MimeType=text/markdown;text/plain;text/x-markdown;\n", script);
  nb_test_write_file (desktop_path, desktop);
  nb_test_write_file (mimeapps, "[Default Applications]\ntext/markdown=nb-test-editor.desktop\n"
                                "text/x-markdown=nb-test-editor.desktop\ntext/plain=nb-test-editor.desktop\n");
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  env_dir = nb_test_make_tmpdir ();
  install_fake_editor ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/heartbeat-row/settings", Fixture, NULL, fixture_setup, test_settings, fixture_teardown);
  g_test_add ("/heartbeat-row/edit", Fixture, NULL, fixture_setup, test_edit, fixture_teardown);
  g_test_add ("/heartbeat-row/screenshots", Fixture, NULL, fixture_setup, test_screenshots, fixture_teardown);

  status = g_test_run ();
  nb_test_rm_rf (env_dir);
  g_free (env_dir);
  g_free (opened_log);
  return status;
}
