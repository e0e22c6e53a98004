/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-application"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-application-private.h"
#include "nb-approval-queue.h"
#include "nb-tool-approval.h"
#include "nb-background.h"
#include "nb-config.h"
#include "nb-notifications.h"
#include "nb-window.h"

/*
 * Living in the desktop: the tray icon, running in the background, the
 * quick prompt, notifications, GNOME Shell's search provider and the
 * application actions they use (quick-prompt, show-window, new-chat,
 * open-conversation, search).
 */

gboolean
nb_application_desktop_can_background (NbApplication *self)
{
  return self->tray != NULL && nb_tray_get_registered (self->tray) &&
         self->settings != NULL && g_settings_get_boolean (self->settings, "run-in-background");
}

static gboolean
any_window_shown (NbApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (gtk_widget_get_visible (l->data))
      return TRUE;
  return FALSE;
}

static void
background_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!nb_background_request_finish (result, &error) && error != NULL &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Background portal: %s", error->message);
}

/* Inside Flatpak, the Background portal is asked once per run (it
 * remembers the user's answer); outside nothing is needed. */
void
nb_application_desktop_go_background (NbApplication *self)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

  if (self->background_requested || connection == NULL || !nb_background_in_flatpak ())
    return;
  self->background_requested = TRUE;
  nb_background_request_async (connection, g_settings_get_boolean (self->settings, "start-at-login"),
                               self->cancellable, background_cb, NULL);
}

/* While the tray shows the icon (and running in the background is on),
 * the application stays even with no window: a D-Bus-activated or
 * autostarted Nanobot lives in the tray. */
static void
update_hold (NbApplication *self)
{
  gboolean hold = !self->closing && nb_application_desktop_can_background (self);

  if (hold == self->held_for_tray)
    return;
  self->held_for_tray = hold;
  if (hold)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void prepare_quick_prompt (NbApplication *self);

static void
tray_registered_cb (NbTray        *tray,
                    GParamSpec    *pspec,
                    NbApplication *self)
{
  update_hold (self);
  if (nb_tray_get_registered (tray))
    prepare_quick_prompt (self);
  /* The tray went away with every window hidden: the user would have
   * no way back, so the window comes back. */
  if (!nb_tray_get_registered (tray) && !self->closing && !any_window_shown (self))
    {
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
        if (NB_IS_WINDOW (l->data))
          {
            gtk_window_present (l->data);
            break;
          }
    }
}

static void
start_at_login_changed_cb (GSettings     *settings,
                           const char    *key,
                           NbApplication *self)
{
  gboolean enabled = g_settings_get_boolean (settings, "start-at-login");
  g_autoptr(GError) error = NULL;

  if (nb_background_in_flatpak ())
    {
      GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

      if (connection != NULL)
        nb_background_request_async (connection, enabled, self->cancellable, background_cb, NULL);
      return;
    }
  if (!nb_background_set_autostart_file (enabled, &error))
    g_warning ("%s", error->message);
}

static void
run_in_background_changed_cb (GSettings     *settings,
                              const char    *key,
                              NbApplication *self)
{
  update_hold (self);
}

static void
global_shortcut_bound_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* No portal, or the user said no: the Preferences explain the rest. */
  if (!nb_global_shortcut_bind_finish (NB_GLOBAL_SHORTCUT (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Global shortcut: %s", error->message);
}

static void
bind_global_shortcut (NbApplication *self)
{
  g_autofree char *accel = g_settings_get_string (self->settings, "quick-prompt-shortcut");

  nb_global_shortcut_bind_async (self->global_shortcut, accel, self->cancellable,
                                 global_shortcut_bound_cb, NULL);
}

static void
shortcut_changed_cb (GSettings     *settings,
                     const char    *key,
                     NbApplication *self)
{
  if (self->global_shortcut != NULL && nb_global_shortcut_get_bound (self->global_shortcut))
    bind_global_shortcut (self);
}

static void
global_shortcut_activated_cb (NbGlobalShortcut *shortcut,
                              NbApplication    *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self), "quick-prompt", NULL);
}

void
nb_application_desktop_startup (NbApplication *self)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::start-at-login",
                           G_CALLBACK (start_at_login_changed_cb), self, 0);
  g_signal_connect_object (self->settings, "changed::run-in-background",
                           G_CALLBACK (run_in_background_changed_cb), self, 0);

  g_signal_connect_object (self->settings, "changed::quick-prompt-shortcut",
                           G_CALLBACK (shortcut_changed_cb), self, 0);

  /* The autostart entry follows the setting, also when it was changed
   * while Nanobot was not running or the entry was removed by hand. */
  if (!nb_background_in_flatpak ())
    {
      g_autofree char *autostart = nb_background_autostart_path ();
      gboolean wanted = g_settings_get_boolean (self->settings, "start-at-login");

      if (wanted != g_file_test (autostart, G_FILE_TEST_EXISTS))
        start_at_login_changed_cb (self->settings, "start-at-login", self);
    }

  if (connection != NULL)
    {
      self->tray = nb_tray_new (connection, G_ACTION_GROUP (self));
      g_signal_connect_object (self->tray, "notify::registered", G_CALLBACK (tray_registered_cb), self, 0);

      /* The GlobalShortcuts portal where the desktop offers it (it asks
       * the user the first time). Elsewhere the Preferences add a GNOME
       * custom shortcut or say how to add one. */
      self->global_shortcut = nb_global_shortcut_new (connection);
      g_signal_connect_object (self->global_shortcut, "activated",
                               G_CALLBACK (global_shortcut_activated_cb), self, 0);
      bind_global_shortcut (self);
    }
}

void
nb_application_desktop_shutdown (NbApplication *self)
{
  g_clear_handle_id (&self->prepare_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->tray);
  g_clear_object (&self->global_shortcut);
  if (self->held_for_tray)
    {
      self->held_for_tray = FALSE;
      g_application_release (G_APPLICATION (self));
    }
  if (self->quick_prompt != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->quick_prompt), (gpointer *) &self->quick_prompt);
      self->quick_prompt = NULL;
    }
}

/* The search provider. */

static void
activate_result_cb (NbSearchProvider *provider,
                    const char       *key,
                    guint             timestamp,
                    NbApplication    *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self), "open-conversation", g_variant_new_string (key));
}

static void
launch_search_cb (NbSearchProvider    *provider,
                  const char * const  *terms,
                  guint                timestamp,
                  NbApplication       *self)
{
  g_autofree char *text = g_strjoinv (" ", (char **) terms);
  GtkWindow *window = nb_application_present_window (self);

  if (window != NULL)
    nb_window_search (NB_WINDOW (window), text);
}

gboolean
nb_application_desktop_dbus_register (NbApplication    *self,
                                      GDBusConnection  *connection,
                                      GError          **error)
{
  g_autofree char *data_dir = nb_config_get_data_dir ();
  g_autofree char *sessions_dir = g_build_filename (data_dir, "sessions", NULL);

  self->search_provider = nb_search_provider_new (sessions_dir, G_APPLICATION (self));
  g_signal_connect_object (self->search_provider, "activate-result", G_CALLBACK (activate_result_cb), self, 0);
  g_signal_connect_object (self->search_provider, "launch-search", G_CALLBACK (launch_search_cb), self, 0);
  return nb_search_provider_export (self->search_provider, connection, NB_SEARCH_PROVIDER_PATH, error);
}

void
nb_application_desktop_dbus_unregister (NbApplication   *self,
                                        GDBusConnection *connection)
{
  if (self->search_provider != NULL)
    nb_search_provider_unexport (self->search_provider);
  g_clear_object (&self->search_provider);
}

/* The assistant and its windows. */

/* A tool call waits for approval: said in a notification when no Nanobot
 * window has the focus (a scheduled job's, a hidden window's turn). */
static void
approvals_changed_cb (GListModel    *queue,
                      guint          position,
                      guint          removed,
                      guint          added,
                      NbApplication *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(NbToolApproval) approval = g_list_model_get_item (queue, i);
      const char * const *paths;
      const char *detail;

      if (approval == NULL || !nb_tool_approval_is_pending (approval))
        continue;
      detail = nb_tool_approval_get_command (approval);
      paths = nb_tool_approval_get_paths (approval);
      if (detail == NULL && paths != NULL)
        detail = paths[0];
      nb_notifications_approval_needed (GTK_APPLICATION (self),
                                        nb_tool_approval_get_session_key (approval),
                                        nb_tool_approval_get_tool_name (approval),
                                        detail != NULL ? detail : "");
    }
}

void
nb_application_desktop_assistant_created (NbApplication *self,
                                          NbAssistant   *assistant)
{
  NbAgent *agent = nb_assistant_get_agent (assistant);

  nb_notifications_watch_agent (GTK_APPLICATION (self), agent);
  g_signal_connect_object (nb_assistant_get_approval_queue (assistant), "items-changed",
                           G_CALLBACK (approvals_changed_cb), self, 0);
  if (self->tray != NULL)
    g_object_bind_property (agent, "busy", self->tray, "busy", G_BINDING_SYNC_CREATE);
}

/* The conversation the user now looks at has nothing to tell them. */
static void
window_active_cb (GtkWindow     *window,
                  GParamSpec    *pspec,
                  NbApplication *self)
{
  if (gtk_window_is_active (window) && NB_IS_WINDOW (window))
    nb_notifications_withdraw (GTK_APPLICATION (self), nb_window_get_key (NB_WINDOW (window)));
}

void
nb_application_desktop_window_created (NbApplication *self,
                                       GtkWindow     *window)
{
  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (window_active_cb), self, 0);
  prepare_quick_prompt (self);
}

/* Hiding the quick prompt with nothing else shown quits, unless Nanobot
 * lives in the tray. */
static void
quick_prompt_visible_cb (GtkWidget     *quick_prompt,
                         GParamSpec    *pspec,
                         NbApplication *self)
{
  if (!gtk_widget_get_visible (quick_prompt) && !any_window_shown (self) &&
      !nb_application_desktop_can_background (self))
    nb_application_close (self);
}

static void
ensure_quick_prompt (NbApplication *self)
{
  if (self->quick_prompt != NULL)
    return;
  self->quick_prompt = nb_quick_prompt_new (GTK_APPLICATION (self), nb_application_get_assistant (self));
  g_object_add_weak_pointer (G_OBJECT (self->quick_prompt), (gpointer *) &self->quick_prompt);
  g_signal_connect_object (self->quick_prompt, "notify::visible",
                           G_CALLBACK (quick_prompt_visible_cb), self, 0);
}

/* The quick prompt is built (hidden, not realized) soon after start-up,
 * when nothing else happens, so that `nanobot --quick-prompt` or the tray
 * only has to show it: building it takes longer than the 150 ms it may
 * take to appear. */
static gboolean
prepare_quick_prompt_cb (gpointer user_data)
{
  NbApplication *self = user_data;

  self->prepare_id = 0;
  if (self->closing)
    return G_SOURCE_REMOVE;
  ensure_quick_prompt (self);
  return G_SOURCE_REMOVE;
}

static void
prepare_quick_prompt (NbApplication *self)
{
  if (self->quick_prompt != NULL || self->prepare_id != 0 || self->closing)
    return;
  self->prepare_id = g_timeout_add_full (G_PRIORITY_LOW, NB_APPLICATION_PREPARE_DELAY_MS,
                                         prepare_quick_prompt_cb, self, NULL);
}

/* The actions. */

static void
quick_prompt_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  NbApplication *self = NB_APPLICATION (user_data);

  if (self->closing)
    return;
  ensure_quick_prompt (self);
  nb_quick_prompt_present (self->quick_prompt);
}

static void
show_window_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  nb_application_present_window (NB_APPLICATION (user_data));
}

static void
new_chat_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkWindow *window = nb_application_present_window (NB_APPLICATION (user_data));

  if (window != NULL)
    nb_window_new_conversation (NB_WINDOW (window));
}

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  NbApplication *self = NB_APPLICATION (user_data);
  const char *key = g_variant_get_string (parameter, NULL);
  GtkWindow *window;

  if (*key == '\0')
    return;
  window = nb_application_present_window (self);
  if (window != NULL)
    {
      nb_window_open_conversation (NB_WINDOW (window), key);
      nb_notifications_withdraw (GTK_APPLICATION (self), key);
    }
}

static void
search_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  GtkWindow *window = nb_application_present_window (NB_APPLICATION (user_data));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
}

static const GActionEntry desktop_actions[] = {
  { "quick-prompt", quick_prompt_action },
  { "show-window", show_window_action },
  { "new-chat", new_chat_action },
  { "open-conversation", open_conversation_action, "s" },
  { "search", search_action },
};

void
nb_application_desktop_add_actions (NbApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), desktop_actions,
                                   G_N_ELEMENTS (desktop_actions), self);
}
