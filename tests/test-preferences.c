/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <libsecret/secret.h>

#include "nb-config-error-window.h"
#include "nb-fake-llm.h"
#include "nb-onboarding-window.h"
#include "nb-mcp-server-dialog.h"
#include "nb-preferences-window.h"
#include "nb-provider-registry.h"
#include "nb-test-keyring.h"
#include "nb-test-util.h"

/*
 * The Preferences window in this process, driven through its widgets,
 * against a real keyring (gnome-keyring-daemon on a private bus), the fake
 * provider and a real MCP server from npm: a key typed in is in the
 * keyring, not in config.json, and the next turn sends it; a plain key
 * moves into the keyring; an MCP server added shows connected with its
 * tool count, and turning it off stops it; unknown keys and their order
 * survive every save. With NB_SCREENSHOT_DIR set, /preferences/screenshots
 * saves every page, wide, narrow and dark.
 */

static AdwApplication *app;

typedef struct {
  char                *dir;
  char                *config_path;
  NbFakeLlm           *fake;
  NbConfig            *config;
  NbAssistant         *assistant;
  NbPreferencesWindow *window;
} Fixture;

static void
setup_with (Fixture    *f,
            const char *provider_extra,
            const char *extra)
{
  g_autofree char *text = NULL;
  g_autofree char *sessions = NULL;
  g_autofree char *workspace = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"zzUnknown\": {\"keep\": [1, \"two\"]},\n"
                          " \"agents\": {\"defaults\": {\"model\": \"gpt-test\", \"provider\": \"openai\","
                          " \"workspace\": \"%s\", \"myOwnSetting\": 7}},\n"
                          " \"providers\": {\"openai\": {\"apiBase\": \"%s/v1\"%s}}%s,\n"
                          " \"aaLast\": true}\n",
                          workspace, nb_fake_llm_get_url (f->fake), provider_extra, extra);
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);
  f->window = g_object_ref_sink (nb_preferences_window_new (NULL, f->assistant));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  setup_with (f, data != NULL ? data : "", "");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = nb_test_read_file (f->config_path);
  const char *unknown = strstr (text, "\"zzUnknown\"");
  const char *agents = strstr (text, "\"agents\"");
  const char *last = strstr (text, "\"aaLast\"");

  /* Whatever was saved, the keys nobody here knows are there, in order. */
  g_assert_nonnull (unknown);
  g_assert_nonnull (agents);
  g_assert_nonnull (last);
  g_assert_true (unknown < agents && agents < last);
  {
    g_autoptr(NbConfig) again = nb_config_load (f->config_path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (nb_config_get_int (again, "agents.defaults.myOwnSetting"), ==, 7);
    g_assert_nonnull (nb_config_get_array (again, "zzUnknown.keep"));
  }

  secret_password_clear_sync (nb_provider_registry_get_secret_schema (), NULL, NULL,
                              "provider", "openai", NULL);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_clear_object (&f->assistant);
  g_clear_object (&f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
}

typedef gboolean (*Condition) (Fixture *f, gpointer data);

static void
wait_until (Fixture    *f,
            Condition   condition,
            gpointer    data,
            guint       timeout_ms,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!condition (f, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* The first descendant of @widget of @type (and @name, if given). */
static GtkWidget *
find_widget (GtkWidget  *widget,
             GType       type,
             const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
      (name == NULL || g_strcmp0 (gtk_widget_get_name (widget), name) == 0))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The first button below @widget labelled @label. */
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

/* The first widget below @widget with the tooltip @tooltip. */
static GtkWidget *
find_tooltip (GtkWidget  *widget,
              const char *tooltip)
{
  if (g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_tooltip (child, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The entry row below @widget titled @title. */
static GtkWidget *
find_entry_row (GtkWidget  *widget,
                const char *title)
{
  if (ADW_IS_ENTRY_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
keyring_key (void)
{
  return secret_password_lookup_sync (nb_provider_registry_get_secret_schema (), NULL, NULL,
                                      "provider", "openai", NULL);
}

static gboolean
keyring_has (Fixture  *f,
             gpointer  data)
{
  g_autofree char *key = keyring_key ();

  return g_strcmp0 (key, data) == 0;
}

static gboolean
file_lacks (Fixture  *f,
            gpointer  data)
{
  g_autofree char *text = nb_test_read_file (f->config_path);

  return strstr (text, data) == NULL;
}

static gboolean
file_has (Fixture  *f,
          gpointer  data)
{
  return !file_lacks (f, data);
}

static GtkWidget *find_label_with (GtkWidget  *widget,
                                   const char *text);

static gboolean
window_shows (Fixture  *f,
              gpointer  data)
{
  return find_label_with (GTK_WIDGET (f->window), data) != NULL;
}

static char *
turn_authorization (Fixture *f)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("hello");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autofree char *reply = NULL;
  guint n = nb_fake_llm_get_n_requests (f->fake);

  nb_assistant_open_session_async (f->assistant, "desktop:prefs", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_assistant_run_async (f->assistant, session, "hi", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, n + 1);
  return g_strdup (soup_message_headers_get_one (nb_fake_llm_get_request (f->fake, n)->headers, "Authorization"));
}

static void
test_typed_key (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *row = find_widget (GTK_WIDGET (f->window), g_type_from_name ("NbProviderRow"), "openai");
  GtkWidget *key_row;
  g_autofree char *authorization = NULL;

  g_assert_nonnull (row);
  key_row = find_widget (row, ADW_TYPE_PASSWORD_ENTRY_ROW, NULL);
  g_assert_nonnull (key_row);
  gtk_editable_set_text (GTK_EDITABLE (key_row), "sk-typed-in-preferences");
  g_signal_emit_by_name (key_row, "apply");

  wait_until (f, keyring_has, "sk-typed-in-preferences", 10000, "the key in the keyring");
  /* The row says so once the assistant was told to resolve again. */
  wait_until (f, window_shows, "Stored in the keyring", 10000, "the key's place");
  g_assert_true (file_lacks (f, "sk-typed"));
  authorization = turn_authorization (f);
  g_assert_cmpstr (authorization, ==, "Bearer sk-typed-in-preferences");
}

static gboolean
move_button_shown (Fixture  *f,
                   gpointer  data)
{
  GtkWidget *button = find_button (GTK_WIDGET (f->window), "Move to Keyring");

  return button != NULL && gtk_widget_get_visible (button) == GPOINTER_TO_INT (data);
}

static void
test_move_key (Fixture       *f,
               gconstpointer  data)
{
  GtkWidget *button;
  g_autofree char *authorization = NULL;

  wait_until (f, move_button_shown, GINT_TO_POINTER (TRUE), 5000, "the Move to Keyring button");
  button = find_button (GTK_WIDGET (f->window), "Move to Keyring");
  g_signal_emit_by_name (button, "clicked");

  wait_until (f, keyring_has, "sk-plain-in-file", 10000, "the moved key in the keyring");
  wait_until (f, file_lacks, "sk-plain-in-file", 10000, "the key out of config.json");
  g_assert_true (file_lacks (f, "apiKey"));
  wait_until (f, move_button_shown, GINT_TO_POINTER (FALSE), 5000, "the button gone");
  authorization = turn_authorization (f);
  g_assert_cmpstr (authorization, ==, "Bearer sk-plain-in-file");
}

static NbMcpServerDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (NB_IS_MCP_SERVER_DIALOG (window))
        return NB_MCP_SERVER_DIALOG (window);
    }
  return NULL;
}

static gboolean
server_subtitle_is (Fixture  *f,
                    gpointer  data)
{
  GtkWidget *row = find_widget (GTK_WIDGET (f->window), g_type_from_name ("NbMcpServerRow"), "everything");

  return row != NULL && g_str_has_prefix (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), data);
}

static void
test_mcp_server (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (g_getenv ("NB_MCP_NODE_MODULES"), ".bin", "mcp-server-everything", NULL);
  NbMcpManager *manager = nb_assistant_get_mcp_manager (f->assistant);
  NbMcpServerDialog *dialog;
  NbMcpServer *server;
  GtkWidget *row;
  g_autofree char *expected = NULL;

  nb_preferences_window_show_page (f->window, "mcp");
  g_signal_emit_by_name (find_tooltip (GTK_WIDGET (f->window), "Add Server"), "clicked");
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Name")), "everything");
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Command")), bin);
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Arguments (as in a shell)")), "stdio");
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Tool Time Limit (seconds)")), "45");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "save");

  wait_until (f, file_has, "\"everything\"", 10000, "the server in config.json");
  g_assert_true (file_has (f, "\"toolTimeout\" : 45"));
  wait_until (f, server_subtitle_is, "Connected, ", 60000, "the server connected");
  server = nb_mcp_manager_lookup_server (manager, "everything");
  g_assert_nonnull (server);
  g_assert_cmpuint (nb_mcp_server_get_n_tools (server), >, 0);
  expected = g_strdup_printf ("Connected, %u tools", nb_mcp_server_get_n_tools (server));
  g_assert_true (server_subtitle_is (f, expected));

  /* Turning it off stops it and says so. */
  row = find_widget (GTK_WIDGET (f->window), g_type_from_name ("NbMcpServerRow"), "everything");
  gtk_switch_set_active (GTK_SWITCH (find_widget (row, GTK_TYPE_SWITCH, NULL)), FALSE);
  wait_until (f, file_has, "\"disabled\" : true", 10000, "disabled in config.json");
  wait_until (f, server_subtitle_is, "Turned off", 10000, "the row saying it is off");
  g_assert_null (nb_mcp_manager_lookup_server (manager, "everything"));
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

/* With an MCP server, connected, and one that fails. */
static void
screenshots_setup (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (g_getenv ("NB_MCP_NODE_MODULES"), ".bin", "mcp-server-everything", NULL);
  g_autofree char *servers =
    g_strdup_printf (",\n \"tools\": {\"mcpServers\": {\"everything\": {\"command\": \"%s\", \"args\": [\"stdio\"]},"
                     " \"missing\": {\"command\": \"/nonexistent/mcp-server\"},"
                     " \"off\": {\"url\": \"https://example.invalid/mcp\", \"disabled\": true}}}", bin);

  setup_with (f, ", \"apiKey\": \"sk-plain-shown-masked\"", servers);
}

static void
test_screenshots (Fixture       *f,
                  gconstpointer  data)
{
  const char *dir = g_getenv ("NB_SCREENSHOT_DIR");
  const char *pages[] = { "providers", "tools", "mcp", "memory" };
  AdwStyleManager *style = adw_style_manager_get_default ();

  if (dir == NULL)
    {
      g_test_skip ("NB_SCREENSHOT_DIR not set");
      return;
    }
  {
    GtkWidget *row = find_widget (GTK_WIDGET (f->window), g_type_from_name ("NbProviderRow"), "openai");

    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  }
  for (guint dark = 0; dark < 2; dark++)
    for (guint narrow = 0; narrow < 2; narrow++)
      for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
        {
          g_autofree char *name = g_strdup_printf ("%s%s%s", pages[i], narrow ? "-narrow" : "", dark ? "-dark" : "");

          adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
          gtk_window_set_default_size (GTK_WINDOW (f->window), narrow ? 360 : 640, 760);
          nb_preferences_window_show_page (f->window, pages[i]);
          if (g_str_equal (pages[i], "mcp"))
            wait_until (f, server_subtitle_is, "Connected, ", 60000, "the server connected");
          screenshot (dir, name);
        }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static void
resolved_cb (gboolean *resolved)
{
  *resolved = TRUE;
}

static GtkWidget *
find_label_with (GtkWidget  *widget,
                 const char *text)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A config.json that does not parse: the error page names line and
 * column, Try Again keeps it, Reset moves it aside byte for byte. */
static void
test_config_error (void)
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  const char *broken = "{\n  \"agents\": {\n    \"defaults\": {\"model\": \"x\",}\n  }\n}\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GDir) listing = NULL;
  NbConfigErrorWindow *window;
  const char *name;
  gboolean resolved = FALSE;
  gboolean backup_found = FALSE;
  g_autofree char *expected = NULL;

  nb_test_write_file (path, broken);
  config = nb_config_load (path, &error);
  g_assert_null (config);
  window = g_object_ref_sink (nb_config_error_window_new (GTK_APPLICATION (app), path, error->message));
  g_clear_error (&error);
  g_signal_connect_swapped (window, "resolved", G_CALLBACK (resolved_cb), &resolved);
  gtk_window_present (GTK_WINDOW (window));

  expected = g_strdup_printf ("%s:3:", path);
  g_assert_nonnull (find_label_with (GTK_WIDGET (window), expected));

  g_signal_emit_by_name (find_button (GTK_WIDGET (window), "_Try Again"), "clicked");
  g_assert_false (resolved);
  g_assert_nonnull (find_label_with (GTK_WIDGET (window), expected));

  if (g_getenv ("NB_SCREENSHOT_DIR") != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), 640, 560);
      screenshot (g_getenv ("NB_SCREENSHOT_DIR"), "config-error");
      gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
      screenshot (g_getenv ("NB_SCREENSHOT_DIR"), "config-error-narrow");
    }

  g_signal_emit_by_name (find_button (GTK_WIDGET (window), "_Reset to Defaults (Keeping a Backup)"), "clicked");
  g_assert_true (resolved);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, "config.json.broken-"))
      {
        g_autofree char *backup = g_build_filename (dir, name, NULL);
        g_autofree char *text = nb_test_read_file (backup);

        g_assert_cmpstr (text, ==, broken);
        backup_found = TRUE;
      }
  g_assert_true (backup_found);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
  nb_test_rm_rf (dir);
}

static gboolean
label_shown (Fixture  *f,
             gpointer  data)
{
  GtkWidget *window = g_object_get_data (G_OBJECT (app), "nb-onboarding");

  return find_label_with (window, data) != NULL;
}

static gboolean
widget_sensitive (Fixture  *f,
                  gpointer  data)
{
  return gtk_widget_get_sensitive (data);
}

static void
test_connection_says (Fixture    *f,
                      GtkWidget  *window,
                      const char *expected)
{
  g_signal_emit_by_name (find_button (window, "_Test Connection"), "clicked");
  wait_until (f, label_shown, (gpointer) expected, 20000, expected);
}

static void
finished_cb (gboolean *finished)
{
  *finished = TRUE;
}

/* First run end to end against the fake provider: another
 * OpenAI-compatible server; Test Connection for a refused key, an HTML
 * page, nothing listening and a working server; the model from its list;
 * the file and the keyring afterwards. */
static void
test_onboarding (void)
{
  Fixture fixture = { 0 };
  Fixture *f = &fixture;
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "nanobot", "config.json", NULL);
  g_autofree char *no_python = g_build_filename (dir, "none", "config.json", NULL);
  g_autofree char *base = NULL;
  g_autofree char *dead = NULL;
  g_autofree char *text = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NbOnboardingWindow *window;
  GtkWidget *row;
  gboolean finished = FALSE;
  guint16 port;

  f->fake = nb_fake_llm_new ();
  base = g_strdup_printf ("%s/v1", nb_fake_llm_get_url (f->fake));
  {
    g_autoptr(NbFakeLlm) gone = nb_fake_llm_new ();

    port = nb_fake_llm_get_port (gone);
  }
  dead = g_strdup_printf ("http://127.0.0.1:%u/v1", port);

  config = nb_config_load (path, &error);
  g_assert_no_error (error);
  /* Nothing listens where Ollama would be: it is not offered. */
  window = g_object_ref_sink (nb_onboarding_window_new (GTK_APPLICATION (app), config, dead, no_python));
  g_object_set_data (G_OBJECT (app), "nb-onboarding", window);
  g_signal_connect_swapped (window, "finished", G_CALLBACK (finished_cb), &finished);
  gtk_window_present (GTK_WINDOW (window));

  if (g_getenv ("NB_SCREENSHOT_DIR") != NULL)
    screenshot (g_getenv ("NB_SCREENSHOT_DIR"), "onboarding-provider");

  row = find_label_with (GTK_WIDGET (window), "Another OpenAI-Compatible Server");
  g_assert_nonnull (row);
  g_signal_emit_by_name (gtk_widget_get_ancestor (row, ADW_TYPE_ACTION_ROW), "activated");
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (window), "Server Address")), base);
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (window), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL)),
                         "sk-onboarding");

  nb_fake_llm_queue_body (f->fake, 401, "application/json", "{\"error\":{\"message\":\"bad key\"}}");
  test_connection_says (f, GTK_WIDGET (window), "The key was refused.");
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (window), "_Continue")));

  nb_fake_llm_queue_body (f->fake, 200, "text/html", "<html><body>Welcome to my router</body></html>");
  test_connection_says (f, GTK_WIDGET (window), "not an LLM server");

  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (window), "Server Address")), dead);
  test_connection_says (f, GTK_WIDGET (window), "Nothing answered at this address.");

  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (window), "Server Address")), base);
  nb_fake_llm_queue_body (f->fake, 200, "application/json",
                          "{\"data\":[{\"id\":\"local-large\"},{\"id\":\"local-small\"}]}");
  test_connection_says (f, GTK_WIDGET (window), "It works: 2 models available.");
  g_assert_cmpstr (soup_message_headers_get_one (nb_fake_llm_get_request (f->fake, 2)->headers, "Authorization"),
                   ==, "Bearer sk-onboarding");
  if (g_getenv ("NB_SCREENSHOT_DIR") != NULL)
    screenshot (g_getenv ("NB_SCREENSHOT_DIR"), "onboarding-key");
  wait_until (f, widget_sensitive, find_button (GTK_WIDGET (window), "_Continue"), 1000, "Continue");
  g_signal_emit_by_name (find_button (GTK_WIDGET (window), "_Continue"), "clicked");

  /* The models the server listed; the second picked. */
  row = find_label_with (GTK_WIDGET (window), "local-small");
  g_assert_nonnull (row);
  g_signal_emit_by_name (gtk_widget_get_ancestor (row, GTK_TYPE_LIST_BOX), "row-activated",
                         gtk_widget_get_ancestor (row, GTK_TYPE_LIST_BOX_ROW));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (window), "Model"))), ==, "local-small");
  if (g_getenv ("NB_SCREENSHOT_DIR") != NULL)
    screenshot (g_getenv ("NB_SCREENSHOT_DIR"), "onboarding-model");
  g_signal_emit_by_name (find_button (GTK_WIDGET (window), "_Start Chatting"), "clicked");
  nb_test_wait_for (&finished, 20000);

  text = nb_test_read_file (path);
  g_assert_null (strstr (text, "sk-onboarding"));
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.provider"), ==, "custom");
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "local-small");
  g_assert_cmpstr (nb_config_get_string (config, "providers.custom.apiBase"), ==, base);
  stored = secret_password_lookup_sync (nb_provider_registry_get_secret_schema (), NULL, NULL,
                                        "provider", "custom", NULL);
  g_assert_cmpstr (stored, ==, "sk-onboarding");
  secret_password_clear_sync (nb_provider_registry_get_secret_schema (), NULL, NULL, "provider", "custom", NULL);

  g_object_set_data (G_OBJECT (app), "nb-onboarding", NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (dir);
}

static gboolean
ollama_offered (Fixture  *f,
                gpointer  data)
{
  GtkWidget *label = find_label_with (data, "Ollama on This Computer");

  return label != NULL && gtk_widget_is_visible (label);
}

/* A local Ollama that answers is offered first, and needs no key. */
static void
test_onboarding_ollama (void)
{
  Fixture fixture = { 0 };
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *no_python = g_build_filename (dir, "none.json", NULL);
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NbOnboardingWindow *window;
  GtkWidget *row;

  fixture.fake = nb_fake_llm_new ();
  nb_fake_llm_queue_body (fixture.fake, 200, "application/json", "{\"models\":[{\"name\":\"llama3.2:3b\"}]}");
  config = nb_config_load (path, &error);
  g_assert_no_error (error);
  window = g_object_ref_sink (nb_onboarding_window_new (GTK_APPLICATION (app), config,
                                                        nb_fake_llm_get_url (fixture.fake), no_python));
  gtk_window_present (GTK_WINDOW (window));
  wait_until (&fixture, ollama_offered, window, 10000, "Ollama offered");
  g_assert_cmpstr (nb_fake_llm_get_request (fixture.fake, 0)->path, ==, "/api/tags");

  row = gtk_widget_get_ancestor (find_label_with (GTK_WIDGET (window), "Ollama on This Computer"), ADW_TYPE_ACTION_ROW);
  /* First in its list. */
  g_assert_null (gtk_widget_get_prev_sibling (row));
  g_signal_emit_by_name (row, "activated");
  g_assert_false (gtk_widget_get_visible (find_widget (GTK_WIDGET (window), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (window), "Server Address"))),
                   ==, nb_fake_llm_get_url (fixture.fake));

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  nb_fake_llm_free (fixture.fake);
  nb_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  NbTestKeyring *keyring;
  g_autoptr(GError) error = NULL;
  int status;

  keyring = nb_test_keyring_start ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  app = adw_application_new (APPLICATION_ID ".PreferencesTest", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add ("/preferences/typed-key", Fixture, NULL, fixture_setup, test_typed_key, fixture_teardown);
  g_test_add ("/preferences/move-key", Fixture, ", \"apiKey\": \"sk-plain-in-file\"",
              fixture_setup, test_move_key, fixture_teardown);
  g_test_add ("/preferences/mcp-server", Fixture, NULL, fixture_setup, test_mcp_server, fixture_teardown);
  g_test_add_func ("/preferences/config-error", test_config_error);
  g_test_add_func ("/preferences/onboarding", test_onboarding);
  g_test_add_func ("/preferences/onboarding-ollama", test_onboarding_ollama);
  g_test_add ("/preferences/screenshots", Fixture, NULL, screenshots_setup, test_screenshots, fixture_teardown);

  status = g_test_run ();
  g_clear_object (&app);
  nb_test_keyring_stop (keyring);
  return status;
}
