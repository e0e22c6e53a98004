/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-application"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-application-private.h"
#include "nb-config.h"
#include "nb-config-error-window.h"
#include "nb-cron-notifier.h"
#include "nb-cron-service.h"
#include "nb-desktop-preferences.h"
#include "nb-heartbeat-row.h"
#include "nb-headless.h"
#include "nb-import-cli.h"
#include "nb-onboarding-window.h"
#include "nb-permissions-page.h"
#include "nb-preferences-window.h"
#include "nb-run-due-jobs.h"
#include "nb-window.h"

G_DEFINE_FINAL_TYPE (NbApplication, nb_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  /* Bytes, not a string: text that is not UTF-8 gets a clear message
   * (nb_headless_run()) instead of GOption's conversion error. */
  { "message", 'm', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Run one agent turn without a window and print the reply"), N_("TEXT") },
  { "session", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Session key for --message (default cli:direct)"), N_("KEY") },
  { "config", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Use another configuration file"), N_("FILE") },
  { "quick-prompt", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open the quick prompt"), NULL },
  { "run-due-jobs", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run the scheduled jobs that are due and exit (for a systemd timer)"), NULL },
  { "import-python", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Copy the Python nanobot’s conversations from the folder given after it (default ~/.nanobot) and exit"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, NULL },
  { NULL }
};

/* Runs before GTK is initialised: --version and the headless mode end here
 * and never need a display. */
static int
nb_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  NbApplication *self = NB_APPLICATION (app);
  const char *message = NULL;
  const char *session = NULL;
  const char *config = NULL;
  const char **remaining = NULL;

  self->options_parsed = TRUE;

  /* `--import-python [DIR]`: the one word after the options is DIR. */
  if (g_variant_dict_contains (options, "import-python"))
    {
      const char *python_dir = NULL;
      int status;

      g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &remaining);
      if (remaining != NULL && remaining[0] != NULL && remaining[1] != NULL)
        {
          g_printerr (_("nanobot: unexpected argument “%s”; --import-python takes one folder\n"), remaining[1]);
          g_free (remaining);
          return 2;
        }
      if (g_variant_dict_contains (options, "message"))
        {
          g_printerr ("nanobot: %s\n", _("--import-python cannot be combined with --message"));
          g_free (remaining);
          return 2;
        }
      if (remaining != NULL)
        python_dir = remaining[0];
      status = nb_import_cli_run (python_dir);
      g_free (remaining);
      return status;
    }

  /* Words after the options: most likely a message that was not quoted,
   * which would otherwise lose all but its first word. */
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &remaining) &&
      remaining != NULL && remaining[0] != NULL)
    {
      g_printerr (_("nanobot: unexpected argument “%s”; quote a message with spaces: nanobot -m \"…\"\n"),
                  remaining[0]);
      g_free (remaining);
      return 2;
    }
  g_free (remaining);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("nanobot %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_lookup (options, "config", "^&ay", &config))
    {
      g_free (self->config_path);
      self->config_path = g_strdup (config);
      /* A typo must not run silently on the defaults; only the default
       * file may be missing. */
      if (!g_file_test (config, G_FILE_TEST_EXISTS))
        {
          g_autofree char *shown = g_filename_display_name (config);

          g_printerr (_("nanobot: %s: no such configuration file (given with --config)\n"), shown);
          return 2;
        }
    }

  if (g_variant_dict_lookup (options, "message", "^&ay", &message))
    {
      g_autofree char *converted = NULL;

      /* Text in a locale that is not UTF-8 is converted; what cannot be
       * is refused by nb_headless_run(). */
      if (!g_utf8_validate (message, -1, NULL) &&
          (converted = g_locale_to_utf8 (message, -1, NULL, NULL, NULL)) != NULL)
        message = converted;
      g_variant_dict_lookup (options, "session", "&s", &session);
      return nb_headless_run (self->config_path, message,
                              session != NULL ? session : "cli:direct");
    }

  if (g_variant_dict_contains (options, "session"))
    {
      g_printerr ("nanobot: %s\n", _("--session needs --message"));
      return 2;
    }

  if (g_variant_dict_contains (options, "run-due-jobs"))
    return nb_run_due_jobs (self->config_path);

  /* Without a display, a broken configuration stops the window as it
   * stops -m: exit 2 with FILE:LINE:COL, before anything else happens.
   * With one, the window says so itself (NbConfigErrorWindow). */
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL &&
      g_getenv ("GDK_BACKEND") == NULL)
  {
    g_autofree char *default_path = NULL;
    const char *path = self->config_path;
    g_autoptr(NbConfig) checked = NULL;
    g_autoptr(GError) error = NULL;

    if (path == NULL)
      path = default_path = nb_config_get_default_path ();
    checked = nb_config_load (path, &error);
    if (checked == NULL || !nb_config_check_workspace (checked, &error))
      {
        g_printerr ("nanobot: %s\n", error->message);
        return 2;
      }
  }

  /* GTK would only warn "cannot open display" and exit. */
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL &&
      g_getenv ("GDK_BACKEND") == NULL)
    {
      g_printerr ("nanobot: %s\n",
                  _("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set); "
                    "run “nanobot -m TEXT” for one turn without a window"));
      return 1;
    }

  /* The quick prompt opens in the running instance (one D-Bus call, no
   * GTK here), or in this one when it is the first. */
  if (g_variant_dict_contains (options, "quick-prompt"))
    {
      g_autoptr(GError) error = NULL;

      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("nanobot: %s\n", error->message);
          return 1;
        }
      if (g_application_get_is_remote (app))
        {
          g_action_group_activate_action (G_ACTION_GROUP (app), "quick-prompt", NULL);
          g_dbus_connection_flush_sync (g_application_get_dbus_connection (app), NULL, NULL);
          return 0;
        }
      self->start_with_quick_prompt = TRUE;
    }

  return -1;
}

/* GApplication prints an option it cannot parse and exits with 1; bad
 * usage is 2 here, with a pointer to --help. */
static gboolean
nb_application_local_command_line (GApplication   *app,
                                   char         ***arguments,
                                   int            *exit_status)
{
  NbApplication *self = NB_APPLICATION (app);
  gboolean handled;

  handled = G_APPLICATION_CLASS (nb_application_parent_class)->local_command_line (app, arguments, exit_status);
  if (handled && !self->options_parsed && *exit_status == 1)
    {
      g_printerr (_("Run “nanobot --help” to see the options.\n"));
      *exit_status = 2;
    }
  return handled;
}

/* Closing: the windows go away at once, then the assistant finishes
 * what it must (a running consolidation, the sessions' syncs, stopping
 * MCP servers; bounded) while the application is held. */
static void
assistant_closed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(NbApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!nb_assistant_close_finish (NB_ASSISTANT (source), result, &error))
    g_warning ("%s", error->message);
  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

static void
jobs_flushed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NbApplication *self = user_data;

  nb_cron_service_flush_finish (NB_CRON_SERVICE (source), result, NULL);
  /* Takes the reference. */
  nb_assistant_close_async (self->assistant, NULL, assistant_closed_cb, self);
}

void
nb_application_close (NbApplication *self)
{
  GList *windows;

  if (self->closing)
    return;
  self->closing = TRUE;

  nb_application_desktop_shutdown (self);
  g_application_hold (G_APPLICATION (self));
  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  while (windows != NULL)
    {
      GtkWindow *window = windows->data;

      if (NB_IS_WINDOW (window))
        nb_window_prepare_close (NB_WINDOW (window));
      gtk_window_destroy (window);
      windows = gtk_application_get_windows (GTK_APPLICATION (self));
    }

  if (self->assistant != NULL)
    {
      /* No job starts any more, and the jobs' state is on disk before
       * the assistant closes. */
      nb_assistant_stop_scheduler (self->assistant);
      nb_cron_service_flush_async (nb_assistant_get_cron_service (self->assistant), NULL,
                                   jobs_flushed_cb, g_object_ref (self));
    }
  else
    {
      g_application_release (G_APPLICATION (self));
      g_application_quit (G_APPLICATION (self));
    }
}

static gboolean
window_close_request_cb (GtkWindow     *window,
                         NbApplication *self)
{
  /* Not the last main window shown: it simply goes. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (l->data != window && NB_IS_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      return FALSE;

  /* With a tray icon, the window only hides (NbWindow keeps its turns,
   * which go on); without one, closing it quits. */
  if (nb_application_desktop_can_background (self))
    {
      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      nb_application_desktop_go_background (self);
      return TRUE;
    }
  nb_application_close (self);
  return TRUE;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  nb_application_close (NB_APPLICATION (user_data));
}

/* The window a dialog belongs to: the focused one if it is shown, else a
 * shown main window (the quick prompt may be the most recent window while
 * hidden). */
static GtkWindow *
dialog_parent (GtkApplication *app)
{
  GtkWindow *active = gtk_application_get_active_window (app);

  if (active != NULL && gtk_widget_get_visible (GTK_WIDGET (active)))
    return active;
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (NB_IS_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *window = dialog_parent (app);
  static const char *developers[] = { "The Nanobot developers", NULL };

  adw_show_about_window (window,
                         "application-name", _("Nanobot"),
                         "application-icon", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Nanobot developers"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "website", "https://github.com/nanobot-desktop/nanobot",
                         "issue-url", "https://github.com/nanobot-desktop/nanobot/issues",
                         "comments", _("A native desktop AI assistant"),
                         "copyright", _("© 2026 The Nanobot developers"),
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  NbApplication *self = NB_APPLICATION (app);
  GtkWindow *window = dialog_parent (app);
  NbAssistant *assistant = nb_application_get_assistant (self);
  NbPreferencesWindow *preferences = nb_preferences_window_new (window, assistant);
  AdwPreferencesPage *desktop = nb_desktop_preferences_new_page (NULL);

  nb_preferences_window_add_page (preferences,
                                  ADW_PREFERENCES_PAGE (nb_permissions_page_new (nb_assistant_get_permissions (assistant))));
  /* The heartbeat runs while the app does: beside Run in Background. */
  adw_preferences_page_add (desktop, nb_heartbeat_row_new_group (assistant));
  nb_preferences_window_add_page (preferences, desktop);
  gtk_window_present (GTK_WINDOW (preferences));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
};

static void
nb_application_startup (GApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (nb_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  nb_application_desktop_add_actions (NB_APPLICATION (app));
  /* Ctrl+? for win.show-help-overlay comes with gtk/help-overlay.ui. */
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  nb_application_desktop_startup (NB_APPLICATION (app));
}

/* The configuration was checked in handle_local_options(); if it broke
 * since, the window still opens, with defaults, and says so. */
NbAssistant *
nb_application_get_assistant (NbApplication *self)
{
  if (self->assistant == NULL)
    {
      g_autofree char *default_path = NULL;
      const char *path = self->config_path;
      g_autoptr(NbConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      if (path == NULL)
        path = default_path = nb_config_get_default_path ();
      config = nb_config_load (path, &error);
      if (config == NULL)
        {
          g_warning ("%s", error->message);
          config = nb_config_new ();
        }
      self->assistant = nb_assistant_new (config);
      nb_cron_notifier_setup (GTK_APPLICATION (self), self->assistant);
      nb_application_desktop_assistant_created (self, self->assistant);
    }
  return self->assistant;
}

static void nb_application_activate (GApplication *app);

static void
python_sessions_imported_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(NbApplication) self = user_data;
  g_autoptr(NbPythonImportResult) imported = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GtkWindow *window;

  imported = nb_assistant_import_python_finish (NB_ASSISTANT (source), result, &error);
  if (imported == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return;
  if (imported == NULL)
    message = g_strdup_printf (_("The Python nanobot’s conversations could not be imported: %s"), error->message);
  else if (imported->n_failed > 0)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Imported %u conversation from the Python nanobot; %u could not be copied",
                                            "Imported %u conversations from the Python nanobot; %u could not be copied",
                                            imported->n_imported),
                               imported->n_imported, imported->n_failed);
  else if (imported->n_imported > 0)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Imported %u conversation from the Python nanobot",
                                            "Imported %u conversations from the Python nanobot",
                                            imported->n_imported),
                               imported->n_imported);
  else
    return;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (NB_IS_WINDOW (window))
    nb_window_show_toast (NB_WINDOW (window), message);
  else
    g_message ("%s", message);
}

/* The onboarding imported the Python nanobot's config: its conversations
 * come along, copied as they are (never moved). */
static void
import_python_sessions_cb (NbOnboardingWindow *onboarding,
                           const char         *python_dir,
                           NbApplication      *self)
{
  nb_assistant_import_python_async (nb_application_get_assistant (self), python_dir,
                                    NB_PYTHON_IMPORT_FLAGS_NONE, NULL,
                                    python_sessions_imported_cb, g_object_ref (self));
}

static void
onboarding_finished_cb (NbOnboardingWindow *onboarding)
{
  gtk_window_destroy (GTK_WINDOW (onboarding));
}

/* First run: no config.json yet. The short set-up goes over the main
 * window, which shows the result as soon as the file is written. */
static void
maybe_onboard (NbApplication *self,
               GtkWindow     *window)
{
  NbConfig *config = nb_assistant_get_config (nb_application_get_assistant (self));
  const char *path = nb_config_get_path (config);
  NbOnboardingWindow *onboarding;

  if (path == NULL || g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  onboarding = nb_onboarding_window_new (GTK_APPLICATION (self), config, NULL, NULL);
  gtk_window_set_transient_for (GTK_WINDOW (onboarding), window);
  gtk_window_set_modal (GTK_WINDOW (onboarding), TRUE);
  g_signal_connect (onboarding, "finished", G_CALLBACK (onboarding_finished_cb), NULL);
  g_signal_connect_object (onboarding, "import-python-sessions", G_CALLBACK (import_python_sessions_cb), self, 0);
  gtk_window_present (GTK_WINDOW (onboarding));
}

static void
config_resolved_cb (NbConfigErrorWindow *error_window,
                    NbApplication       *self)
{
  /* Hold on while the error window goes and the main window comes. */
  g_application_hold (G_APPLICATION (self));
  gtk_window_destroy (GTK_WINDOW (error_window));
  nb_application_activate (G_APPLICATION (self));
  g_application_release (G_APPLICATION (self));
}

/* A config.json that does not load gets a window of its own, with the
 * error and the ways out, instead of the main window. */
static gboolean
show_config_error (NbApplication *self)
{
  g_autofree char *default_path = NULL;
  const char *path = self->config_path;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  NbConfigErrorWindow *error_window;

  if (self->assistant != NULL)
    return FALSE;
  if (path == NULL)
    path = default_path = nb_config_get_default_path ();
  config = nb_config_load (path, &error);
  if (config != NULL && nb_config_check_workspace (config, &error))
    return FALSE;
  error_window = nb_config_error_window_new (GTK_APPLICATION (self), path, error->message);
  g_signal_connect_object (error_window, "resolved", G_CALLBACK (config_resolved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (error_window));
  return TRUE;
}

/* The main window, made if there is none, shown (again, if it was
 * hidden in the background) and raised; NULL while closing. */
GtkWindow *
nb_application_present_window (NbApplication *self)
{
  GtkWindow *window = NULL;

  if (self->closing)
    return NULL;
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (NB_IS_WINDOW (l->data))
      {
        window = l->data;
        break;
      }
  if (window == NULL)
    {
      window = GTK_WINDOW (nb_window_new (GTK_APPLICATION (self), nb_application_get_assistant (self)));
      g_signal_connect_object (window, "close-request", G_CALLBACK (window_close_request_cb), self, 0);
      nb_application_desktop_window_created (self, window);
    }
  gtk_window_present (window);
  return window;
}

static void
nb_application_activate (GApplication *app)
{
  NbApplication *self = NB_APPLICATION (app);
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  gboolean had_window = FALSE;
  GtkWindow *window;

  if (self->closing)
    return;
  if (NB_IS_CONFIG_ERROR_WINDOW (active))
    {
      gtk_window_present (active);
      return;
    }
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    had_window |= NB_IS_WINDOW (l->data);
  if (!had_window && show_config_error (self))
    return;

  if (self->start_with_quick_prompt)
    {
      self->start_with_quick_prompt = FALSE;
      g_action_group_activate_action (G_ACTION_GROUP (app), "quick-prompt", NULL);
      return;
    }
  window = nb_application_present_window (self);
  if (!had_window && window != NULL)
    maybe_onboard (self, window);
}

static gboolean
nb_application_dbus_register (GApplication     *app,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  if (!G_APPLICATION_CLASS (nb_application_parent_class)->dbus_register (app, connection, object_path, error))
    return FALSE;
  return nb_application_desktop_dbus_register (NB_APPLICATION (app), connection, error);
}

static void
nb_application_dbus_unregister (GApplication    *app,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  nb_application_desktop_dbus_unregister (NB_APPLICATION (app), connection);
  G_APPLICATION_CLASS (nb_application_parent_class)->dbus_unregister (app, connection, object_path);
}

static void
nb_application_finalize (GObject *object)
{
  NbApplication *self = NB_APPLICATION (object);

  g_clear_pointer (&self->config_path, g_free);
  g_clear_object (&self->assistant);
  g_clear_object (&self->settings);
  g_clear_object (&self->tray);
  g_clear_object (&self->global_shortcut);
  g_clear_object (&self->search_provider);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_application_parent_class)->finalize (object);
}

static void
nb_application_class_init (NbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = nb_application_finalize;
  app_class->local_command_line = nb_application_local_command_line;
  app_class->handle_local_options = nb_application_handle_local_options;
  app_class->startup = nb_application_startup;
  app_class->activate = nb_application_activate;
  app_class->dbus_register = nb_application_dbus_register;
  app_class->dbus_unregister = nb_application_dbus_unregister;
}

static void
nb_application_init (NbApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("A native desktop AI assistant."));
  /* Started by D-Bus for GNOME Shell's search (--gapplication-service),
   * Nanobot stays this long after the last call: the Shell asks for
   * results, then their metas, then maybe activates one. */
  g_application_set_inactivity_timeout (G_APPLICATION (self), NB_APPLICATION_SERVICE_TIMEOUT_MS);
}

NbApplication *
nb_application_new (void)
{
  return g_object_new (NB_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/nanobot/Nanobot",
                       NULL);
}
