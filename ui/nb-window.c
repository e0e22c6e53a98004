/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-conversation-list.h"
#include "nb-json-util.h"
#include "nb-session-export.h"
#include "nb-window-private.h"

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

void
nb_window_update_model_label (NbWindow *self)
{
  g_autofree char *model = NULL;

  if (self->session != NULL)
    model = nb_assistant_dup_session_model (self->assistant, self->session);
  else
    model = g_strdup (nb_config_get_string (nb_assistant_get_config (self->assistant), "agents.defaults.model"));
  gtk_label_set_label (self->model_label, model != NULL ? model : "");
}

/* "12.3k" for token counts in the header. */
static char *
format_tokens (gint64 tokens)
{
  if (tokens >= 1000000)
    return g_strdup_printf ("%.1fM", tokens / 1e6);
  if (tokens >= 10000)
    return g_strdup_printf ("%.0fk", tokens / 1e3);
  if (tokens >= 1000)
    return g_strdup_printf ("%.1fk", tokens / 1e3);
  return g_strdup_printf ("%" G_GINT64_FORMAT, tokens);
}

/* The last turn's usage, discreetly, under the title: tokens in and
 * out, the cache hits and the share of the context window used. */
void
nb_window_update_usage (NbWindow *self)
{
  NbUsage usage = { 0 };
  gint64 context_tokens = 0, context_window = 0;
  g_autoptr(GString) text = g_string_new (NULL);

  if (self->session != NULL &&
      nb_assistant_get_last_usage (self->assistant, self->session, &usage, &context_tokens, &context_window))
    {
      g_autofree char *in = format_tokens (usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens);
      g_autofree char *out = format_tokens (usage.output_tokens);

      /* Translators: tokens sent to and received from the model in the last turn */
      g_string_append_printf (text, _("%s in · %s out"), in, out);
      if (usage.cache_read_tokens > 0)
        {
          g_autofree char *cached = format_tokens (usage.cache_read_tokens);

          /* Translators: tokens the provider served from its prompt cache */
          g_string_append_printf (text, _(" · %s cached"), cached);
        }
      if (context_window > 0 && context_tokens > 0)
        /* Translators: the share of the model's context window the conversation fills */
        g_string_append_printf (text, _(" · %d%% of context"),
                                (int) MIN (100, (context_tokens * 100 + context_window / 2) / context_window));
    }
  adw_window_title_set_subtitle (self->conversation_title, text->str);
}

static void
usage_cb (NbWindow  *self,
          NbSession *session,
          gpointer   usage,
          gint64     context_tokens)
{
  if (session == self->session)
    nb_window_update_usage (self);
}

/* The ‹ 1/2 › switcher where this conversation and its forks diverge. */
static void
update_fork_info (NbWindow *self)
{
  NbConversationList *list = NB_CONVERSATION_LIST (nb_assistant_get_conversations (self->assistant));
  g_autoptr(GPtrArray) siblings = NULL;
  guint index = 0;

  if (self->key != NULL)
    siblings = nb_conversation_list_get_fork_siblings (list, self->key, &index);
  if (siblings == NULL || siblings->len < 2)
    {
      nb_chat_view_set_fork_info (self->chat_view, 0, 0, 0);
      return;
    }
  for (guint i = 0; i < siblings->len; i++)
    if (g_strcmp0 (nb_conversation_get_key (g_ptr_array_index (siblings, i)), self->key) == 0)
      nb_chat_view_set_fork_info (self->chat_view, index, i + 1, siblings->len);
}

static void
fork_switch_cb (NbWindow *self,
                int       delta)
{
  NbConversationList *list = NB_CONVERSATION_LIST (nb_assistant_get_conversations (self->assistant));
  g_autoptr(GPtrArray) siblings = NULL;

  if (self->key == NULL)
    return;
  siblings = nb_conversation_list_get_fork_siblings (list, self->key, NULL);
  if (siblings == NULL)
    return;
  for (guint i = 0; i < siblings->len; i++)
    if (g_strcmp0 (nb_conversation_get_key (g_ptr_array_index (siblings, i)), self->key) == 0)
      {
        int next = (int) i + delta;

        if (next >= 0 && next < (int) siblings->len)
          nb_window_open_conversation (self, nb_conversation_get_key (g_ptr_array_index (siblings, next)));
        return;
      }
}

static void
conversations_changed_cb (NbWindow *self)
{
  update_title (self);
  update_fork_info (self);
}

/* An empty conversation shows what can be done instead of a blank page. */
static void
update_empty_state (NbWindow *self)
{
  gboolean empty = self->session == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->session)) == 0;

  gtk_stack_set_visible_child_name (self->chat_stack, empty ? "empty" : "messages");
}

/**
 * nb_window_show_session:
 *
 * Shows @session, which is open already (a fork that was just made).
 */
void
nb_window_show_session (NbWindow  *self,
                        NbSession *session)
{
  const char *key = nb_session_get_key (session);

  if (g_strcmp0 (self->key, key) != 0)
    {
      g_free (self->key);
      self->key = g_strdup (key);
      g_settings_set_string (self->settings, "last-conversation", key);
    }
  if (self->session != session)
    {
      g_clear_signal_handler (&self->items_changed_id, self->session);
      g_set_object (&self->session, session);
      self->items_changed_id = g_signal_connect_object (session, "items-changed",
                                                        G_CALLBACK (update_empty_state), self,
                                                        G_CONNECT_SWAPPED);
    }

  nb_chat_view_set_session (self->chat_view, session);
  update_empty_state (self);
  nb_sidebar_select_key (self->sidebar, key);
  update_title (self);
  nb_window_update_model_label (self);
  nb_window_update_usage (self);
  update_fork_info (self);
  nb_window_sync_turn_state (self);
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

  nb_window_show_session (self, session);
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
  g_autofree char *owned = NULL;

  g_return_if_fail (NB_IS_WINDOW (self));
  g_return_if_fail (key != NULL);

  if (g_strcmp0 (self->key, key) == 0 && self->session != NULL)
    return;

  /* @key may belong to the sidebar, which replaces it below. */
  key = owned = g_strdup (key);

  g_free (self->key);
  self->key = g_strdup (key);
  g_clear_signal_handler (&self->items_changed_id, self->session);
  g_clear_object (&self->session);
  g_settings_set_string (self->settings, "last-conversation", key);

  nb_chat_view_set_session (self->chat_view, NULL);
  nb_sidebar_select_key (self->sidebar, key);
  update_title (self);
  nb_window_sync_turn_state (self);
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

  nb_sidebar_flush_pending_deletes (self->sidebar);
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

/**
 * nb_window_show_toast:
 * @message: a short message that can go unread
 */
void
nb_window_show_toast (NbWindow   *self,
                      const char *message)
{
  g_return_if_fail (NB_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
banner_dismiss_cb (NbWindow *self)
{
  nb_window_show_banner (self, NULL);
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
  /* Wide, the model's name is readable; narrow, it gives way to the
   * title and shrinks down to an ellipsis. */
  gtk_label_set_width_chars (self->model_label, adw_leaflet_get_folded (self->leaflet) ? -1 : 12);
  /* Folded, an ellipsis is all it could show: the title goes first, and
   * the model is chosen with the window wide. */
  gtk_widget_set_visible (GTK_WIDGET (self->model_button), !adw_leaflet_get_folded (self->leaflet));
  update_sidebar_visibility (self);
  /* Folded, the window shows the conversation, not the list. */
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

/* Export */

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    text = g_strdup_printf (_("Could not export: %s"), error->message);
  else
    {
      g_autofree char *name = g_file_get_basename (G_FILE (source));

      text = g_strdup_printf (_("Exported to “%s”"), name);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    gpointer         user_data)
{
  g_autoptr(NbWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->session != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *markdown = nb_session_export_markdown (self->session);
      g_autoptr(GBytes) bytes = g_bytes_new_take (markdown, strlen (markdown));

      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                           self->cancellable, export_done_cb, g_object_ref (self));
    }
  g_object_unref (dialog);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->session == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export Conversation"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (filter, _("Markdown"));
  gtk_file_filter_add_mime_type (filter, "text/markdown");
  gtk_file_filter_add_pattern (filter, "*.md");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  name = g_strdup_printf ("%s.md", adw_window_title_get_title (self->conversation_title));
  g_strdelimit (name, "/\\:", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* The sidebar */

static void
sidebar_activated_cb (NbWindow   *self,
                      const char *key)
{
  nb_window_open_conversation (self, key);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

static void
sidebar_deleted_cb (NbWindow   *self,
                    const char *key)
{
  if (g_strcmp0 (key, self->key) == 0)
    nb_window_new_conversation (self);
}

/* Actions */

static void focus_composer_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter);

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);

  nb_window_new_conversation (self);
  focus_composer_action (widget, NULL, NULL);
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
  NbWindow *self = NB_WINDOW (widget);

  show_sidebar_action (widget, NULL, NULL);
  nb_sidebar_focus_search (self->sidebar);
}

/**
 * nb_window_search:
 * @text: what to search the conversations for
 *
 * Shows the sidebar and searches it for @text, as GNOME Shell's "search
 * in the app" asks.
 */
void
nb_window_search (NbWindow   *self,
                  const char *text)
{
  g_return_if_fail (NB_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  show_sidebar_action (GTK_WIDGET (self), NULL, NULL);
  nb_sidebar_search (self->sidebar, text);
}

static void
focus_composer_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  nb_composer_grab_focus (self->composer);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  nb_window_stop (NB_WINDOW (widget));
}

static void
check_provider_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  NbWindow *self = NB_WINDOW (widget);

  nb_assistant_reload_provider (self->assistant);
  nb_window_check_provider (self);
}

/* The window opens ready to type. */
static void
nb_window_map (GtkWidget *widget)
{
  NbWindow *self = NB_WINDOW (widget);

  GTK_WIDGET_CLASS (nb_window_parent_class)->map (widget);
  nb_composer_grab_focus (self->composer);
}

static void
nb_window_constructed (GObject *object)
{
  NbWindow *self = NB_WINDOW (object);

  G_OBJECT_CLASS (nb_window_parent_class)->constructed (object);

  g_assert (NB_IS_ASSISTANT (self->assistant));

  nb_window_connect_turns (self);
  g_signal_connect_object (nb_assistant_get_agent (self->assistant), "usage",
                           G_CALLBACK (usage_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (nb_assistant_get_conversations (self->assistant), "items-changed",
                           G_CALLBACK (conversations_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (nb_assistant_get_config (self->assistant), "changed",
                           G_CALLBACK (nb_window_config_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar, "conversation-activated",
                           G_CALLBACK (sidebar_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sidebar, "conversation-deleted",
                           G_CALLBACK (sidebar_deleted_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_view, "fork-switch",
                           G_CALLBACK (fork_switch_cb), self, G_CONNECT_SWAPPED);

  /* Tool calls that need approval are asked in the chat (cards). */
  nb_chat_view_set_approval_queue (self->chat_view, nb_assistant_get_approval_queue (self->assistant));
  nb_sidebar_set_assistant (self->sidebar, self->assistant);
  nb_window_update_model_label (self);
  open_initial_conversation (self);
  nb_window_check_provider (self);
  nb_composer_grab_focus (self->composer);
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

  /* Taking the window apart changes its size on the way: what the user
   * left is what was saved until now. */
  if (self->settings != NULL)
    {
      g_settings_unbind (self, "default-width");
      g_settings_unbind (self, "default-height");
      g_settings_unbind (self, "maximized");
      g_settings_unbind (self->sidebar_button, "active");
    }
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->models_cancellable);
  nb_window_cancel_turns (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_WINDOW);
  g_clear_pointer (&self->turns, g_hash_table_unref);
  g_clear_object (&self->models_cancellable);
  g_clear_signal_handler (&self->items_changed_id, self->session);
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
  widget_class->map = nb_window_map;

  properties[PROP_ASSISTANT] =
    g_param_spec_object ("assistant", NULL, NULL, NB_TYPE_ASSISTANT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (NB_TYPE_SIDEBAR);
  g_type_ensure (NB_TYPE_CHAT_VIEW);
  g_type_ensure (NB_TYPE_COMPOSER);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar_separator);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, sidebar);
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
  gtk_widget_class_bind_template_child (widget_class, NbWindow, chat_stack);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, NbWindow, welcome_detail);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_cb);
  gtk_widget_class_bind_template_callback (widget_class, banner_dismiss_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "model_popover_show_cb", G_CALLBACK (nb_window_model_popover_show_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "model_row_activated_cb", G_CALLBACK (nb_window_model_row_activated_cb));

  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.focus-composer", NULL, focus_composer_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "win.check-provider", NULL, check_provider_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.focus-composer", NULL);
  /* Escape stops the answer only when nothing focused took it (a search
   * entry, a popover, an inline edit). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.stop", NULL);
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
  leaflet_folded_cb (self);
}

NbWindow *
nb_window_new (GtkApplication *application,
               NbAssistant    *assistant)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  return g_object_new (NB_TYPE_WINDOW, "application", application, "assistant", assistant, NULL);
}
