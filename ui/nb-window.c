/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-conversation-list.h"
#include "nb-json-util.h"
#include "nb-window.h"

/*
 * The main window: the conversations on the left, the open conversation
 * on the right, in an AdwLeaflet that folds to one pane below ~630 px.
 *
 * The window owns no agent state. NbAssistant hands out one NbSession
 * per key and runs turns; the window keeps, per conversation key, the
 * turn it started (a cancellable, the input for Retry, the last error),
 * so several conversations can run at once and switching never stops
 * one.
 */

struct _NbWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  NbAssistant          *assistant;
  GCancellable         *cancellable;

  /* The open conversation. */
  char                 *key;
  NbSession            *session;

  /* Template children. */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar_pane;
  GtkWidget            *sidebar_separator;
  AdwBin               *sidebar_slot;
  GtkWidget            *content_pane;
  AdwWindowTitle       *conversation_title;
  GtkToggleButton      *sidebar_button;
  GtkMenuButton        *model_button;
  GtkLabel             *model_label;
  GtkLabel             *model_status;
  GtkListBox           *model_list;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkStack             *main_stack;
  AdwBin               *chat_slot;
  AdwBin               *composer_slot;
  GtkLabel             *welcome_detail;
};

G_DEFINE_FINAL_TYPE (NbWindow, nb_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ASSISTANT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A key for a new window conversation: desktop:<12 hex digits>. */
static char *
new_desktop_key (void)
{
  return g_strdup_printf ("desktop:%08x%04x", g_random_int (), g_random_int () & 0xffff);
}

/* The open conversation */

static void
update_title (NbWindow *self)
{
  NbConversationList *list = NB_CONVERSATION_LIST (nb_assistant_get_conversations (self->assistant));
  NbConversation *conversation = NULL;
  const char *title = NULL;

  if (self->key != NULL)
    conversation = nb_conversation_list_lookup (list, self->key);
  if (conversation != NULL)
    title = nb_conversation_get_title (conversation);
  adw_window_title_set_title (self->conversation_title,
                              title != NULL && *title != '\0' ? title : _("New Conversation"));
}

static void
update_model_label (NbWindow *self)
{
  NbConfig *config = nb_assistant_get_config (self->assistant);
  const char *model = NULL;

  if (self->session != NULL)
    model = nb_json_get_string (nb_session_get_metadata (self->session), "model");
  if (model == NULL || *model == '\0')
    model = nb_config_get_string (config, "agents.defaults.model");
  gtk_label_set_label (self->model_label, model != NULL ? model : "");
}

static void
session_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = NULL;

  session = nb_assistant_open_session_finish (NB_ASSISTANT (source), result, &error);
  if (session == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        nb_window_show_banner (self, error->message);
      return;
    }
  /* Another conversation was chosen while this one was loading. */
  if (g_strcmp0 (nb_session_get_key (session), self->key) != 0)
    return;

  g_set_object (&self->session, session);
  update_title (self);
  update_model_label (self);
}

/**
 * nb_window_open_conversation:
 * @self: a #NbWindow
 * @key: the session key to show
 *
 * Shows the conversation of @key (loading it in the background if no
 * other part of the application has it open), remembered as the last
 * conversation for the next start.
 */
void
nb_window_open_conversation (NbWindow   *self,
                             const char *key)
{
  g_return_if_fail (NB_IS_WINDOW (self));
  g_return_if_fail (key != NULL);

  if (g_strcmp0 (self->key, key) == 0 && self->session != NULL)
    return;

  g_free (self->key);
  self->key = g_strdup (key);
  g_clear_object (&self->session);
  g_settings_set_string (self->settings, "last-conversation", key);

  update_title (self);
  nb_assistant_open_session_async (self->assistant, key, self->cancellable,
                                   session_opened_cb, g_object_ref (self));
}

/**
 * nb_window_get_key:
 *
 * Returns: (nullable): the key of the conversation the window shows
 */
const char *
nb_window_get_key (NbWindow *self)
{
  g_return_val_if_fail (NB_IS_WINDOW (self), NULL);
  return self->key;
}

/**
 * nb_window_get_session:
 *
 * Returns: (transfer none) (nullable): the session the window shows, once
 *   it is loaded
 */
NbSession *
nb_window_get_session (NbWindow *self)
{
  g_return_val_if_fail (NB_IS_WINDOW (self), NULL);
  return self->session;
}

/**
 * nb_window_new_conversation:
 *
 * Opens a new, empty conversation. It gets a file with its first turn.
 */
void
nb_window_new_conversation (NbWindow *self)
{
  g_autofree char *key = NULL;

  g_return_if_fail (NB_IS_WINDOW (self));

  /* The open conversation is still empty: it is the new one. */
  if (self->session != NULL && nb_session_get_n_messages (self->session) == 0)
    return;

  key = new_desktop_key ();
  nb_window_open_conversation (self, key);
}

/* On start: the last conversation if it was left empty (it has no file
 * yet, or no message line in it), else a new one. Only the file's head
 * is read, so start-up does not depend on how much is stored. */
#define HEAD_SIZE 16384

typedef struct {
  NbWindow     *window;
  char         *key;
  GInputStream *stream;
} InitialOpen;

static void
initial_open_free (InitialOpen *open)
{
  g_clear_object (&open->window);
  g_clear_object (&open->stream);
  g_free (open->key);
  g_free (open);
}

static void
initial_open_decide (InitialOpen *open,
                     gboolean     empty)
{
  NbWindow *self = open->window;

  /* The user already chose a conversation. */
  if (self->key == NULL)
    {
      if (empty)
        nb_window_open_conversation (self, open->key);
      else
        nb_window_new_conversation (self);
    }
  initial_open_free (open);
}

static void
initial_head_read_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  InitialOpen *open = user_data;
  g_autoptr(GBytes) head = NULL;
  g_autoptr(GError) error = NULL;
  gboolean empty = TRUE;

  head = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      initial_open_free (open);
      return;
    }
  if (head != NULL)
    {
      gsize size;
      const char *data = g_bytes_get_data (head, &size);

      empty = g_strstr_len (data, size, "\"role\"") == NULL;
    }
  initial_open_decide (open, empty);
}

static void
initial_file_read_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  InitialOpen *open = user_data;
  g_autoptr(GError) error = NULL;

  open->stream = G_INPUT_STREAM (g_file_read_finish (G_FILE (source), result, &error));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      initial_open_free (open);
      return;
    }
  /* No file: nobody typed into it. Unreadable: start afresh. */
  if (open->stream == NULL)
    {
      initial_open_decide (open, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
      return;
    }
  g_input_stream_read_bytes_async (open->stream, HEAD_SIZE, G_PRIORITY_DEFAULT,
                                   open->window->cancellable, initial_head_read_cb, open);
}

static void
open_initial_conversation (NbWindow *self)
{
  g_autofree char *last = g_settings_get_string (self->settings, "last-conversation");
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  InitialOpen *open;

  if (last == NULL || !g_str_has_prefix (last, "desktop:"))
    {
      nb_window_new_conversation (self);
      return;
    }

  path = nb_session_store_get_path (nb_assistant_get_session_store (self->assistant), last);
  file = g_file_new_for_path (path);
  open = g_new0 (InitialOpen, 1);
  open->window = g_object_ref (self);
  open->key = g_steal_pointer (&last);
  g_file_read_async (file, G_PRIORITY_DEFAULT, self->cancellable, initial_file_read_cb, open);
}

/**
 * nb_window_prepare_close:
 *
 * Called before the application closes the window: work the user asked
 * for that waits on the window (a deletion behind an Undo toast) is done
 * now.
 */
void
nb_window_prepare_close (NbWindow *self)
{
  g_return_if_fail (NB_IS_WINDOW (self));
}

/* Banner and toasts */

/**
 * nb_window_show_banner:
 * @message: (nullable): what went wrong, or %NULL to hide the banner
 *
 * A problem that needs the user's attention and must stay until they
 * dismiss it, such as a conversation that could not be saved.
 */
void
nb_window_show_banner (NbWindow   *self,
                       const char *message)
{
  g_return_if_fail (NB_IS_WINDOW (self));

  if (message != NULL)
    gtk_label_set_label (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner_revealer, message != NULL);
}

static void
banner_dismiss_cb (NbWindow *self)
{
  nb_window_show_banner (self, NULL);
}

static void
save_failed_cb (NbWindow   *self,
                NbSession  *session,
                const char *message)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("The conversation could not be saved: %s. "
                            "Nothing is lost while Nanobot stays open; free some space or check the folder’s permissions."),
                          message);
  nb_window_show_banner (self, text);
}

/* Layout */

static void
update_sidebar_visibility (NbWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);
  gboolean show = folded || gtk_toggle_button_get_active (self->sidebar_button);

  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_button), !folded);
  gtk_widget_set_visible (self->sidebar_pane, show);
  gtk_widget_set_visible (self->sidebar_separator, show);
}

static void
leaflet_folded_cb (NbWindow *self)
{
  update_sidebar_visibility (self);
  /* Folded, the window shows the conversation, not the list. */
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

/* Models menu */

static void
model_popover_show_cb (NbWindow *self)
{
}

static void
model_row_activated_cb (NbWindow      *self,
                        GtkListBoxRow *row)
{
}

/* Actions */

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);

  nb_window_new_conversation (self);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar_pane);
  else
    gtk_toggle_button_set_active (self->sidebar_button, TRUE);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  show_sidebar_action (widget, NULL, NULL);
}

static void
nb_window_constructed (GObject *object)
{
  NbWindow *self = NB_WINDOW (object);

  G_OBJECT_CLASS (nb_window_parent_class)->constructed (object);

  g_assert (NB_IS_ASSISTANT (self->assistant));

  g_signal_connect_object (nb_assistant_get_agent (self->assistant), "save-failed",
                           G_CALLBACK (save_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (nb_assistant_get_conversations (self->assistant), "items-changed",
                           G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);

  update_model_label (self);
  open_initial_conversation (self);
}

static void
nb_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  NbWindow *self = NB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ASSISTANT:
      self->assistant = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  NbWindow *self = NB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ASSISTANT:
      g_value_set_object (value, self->assistant);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_window_dispose (GObject *object)
{
  NbWindow *self = NB_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_object (&self->assistant);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->key, g_free);

  G_OBJECT_CLASS (nb_window_parent_class)->dispose (object);
}

static void
nb_window_class_init (NbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = nb_window_constructed;
  object_class->set_property = nb_window_set_property;
  object_class->get_property = nb_window_get_property;
  object_class->dispose = nb_window_dispose;

  properties[PROP_ASSISTANT] =
    g_param_spec_object ("assistant", NULL, NULL, NB_TYPE_ASSISTANT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_separator);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_slot);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, content_pane);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, conversation_title);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, model_button);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, model_label);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, model_status);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, model_list);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, chat_slot);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, composer_slot);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, welcome_detail);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_cb);
  gtk_widget_class_bind_template_callback (widget_class, banner_dismiss_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_row_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.search", NULL);
}

static void
nb_window_init (NbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  /* GTK keeps default-width/-height up to date while the user resizes a
   * window that is not maximized, so binding them saves the size to come
   * back to. */
  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sidebar-visible", self->sidebar_button, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->sidebar_button, "notify::active",
                           G_CALLBACK (update_sidebar_visibility), self, G_CONNECT_SWAPPED);
  update_sidebar_visibility (self);
}

NbWindow *
nb_window_new (GtkApplication *application,
               NbAssistant    *assistant)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  return g_object_new (NB_TYPE_WINDOW, "application", application, "assistant", assistant, NULL);
}
