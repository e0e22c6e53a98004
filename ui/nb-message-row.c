/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-message-row"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "nb-assistant-message.h"
#include "nb-error-row.h"
#include "nb-message-row.h"
#include "nb-notice-message.h"
#include "nb-user-message.h"

/* The widget of one list item of the chat, recycled from item to item by
 * the list view. It shows one of: a user message, an assistant message
 * (with its reasoning and tool calls), a sub-agent's report, the error
 * row; each made the first time this row needs it and kept. A role=tool
 * message shows nothing here (its result is in the card of its call) and
 * the row has no height. The fork switcher ‹ n/m › is under the message
 * the chat view names. */

struct _NbMessageRow
{
  GtkWidget parent_instance;

  GtkWidget *clamp;
  GtkWidget *box;
  GtkWidget *fork_box;       /* made the first time this row shows it */
  GtkWidget *fork_label;
  GtkWidget *fork_previous_button;
  GtkWidget *fork_next_button;

  GtkWidget *user;
  GtkWidget *assistant;
  GtkWidget *notice;
  GtkWidget *error;

  NbChatPage *page;          /* unowned: the page owns the list this row is in */
  GtkListItem *item;         /* unowned: owns this row */
  GObject *object;
};

G_DEFINE_FINAL_TYPE (NbMessageRow, nb_message_row, GTK_TYPE_WIDGET)

static guint
get_position (NbMessageRow *self)
{
  /* The list shows the session from an offset: positions in the session
   * are what the view's signals and the page's state speak of. */
  if (self->item == NULL || gtk_list_item_get_position (self->item) == GTK_INVALID_LIST_POSITION)
    return GTK_INVALID_LIST_POSITION;
  return nb_chat_page_get_offset (self->page) + gtk_list_item_get_position (self->item);
}

static void
fork_previous_clicked_cb (NbMessageRow *self)
{
  nb_chat_view_emit_fork_switch (nb_chat_page_get_view (self->page), -1);
}

static void
fork_next_clicked_cb (NbMessageRow *self)
{
  nb_chat_view_emit_fork_switch (nb_chat_page_get_view (self->page), +1);
}

static void
user_edit_cb (NbUserMessage *user,
              const char    *text,
              NbMessageRow  *self)
{
  nb_chat_view_emit_edit (nb_chat_page_get_view (self->page), get_position (self), text);
}

static void
assistant_regenerate_cb (NbAssistantMessage *assistant,
                         NbMessageRow       *self)
{
  nb_chat_view_emit_regenerate (nb_chat_page_get_view (self->page), get_position (self));
}

static void
error_retry_cb (NbErrorRow   *row,
                NbMessageRow *self)
{
  nb_chat_view_emit_retry (nb_chat_page_get_view (self->page));
}

/* Makes the widget of a kind the first time it is needed. */
static GtkWidget *
ensure (NbMessageRow *self,
        GtkWidget   **widget,
        GtkWidget   *(*create) (void),
        const char   *signal,
        GCallback     callback)
{
  if (*widget == NULL)
    {
      *widget = create ();
      gtk_box_insert_child_after (GTK_BOX (self->box), *widget, NULL);
      if (signal != NULL)
        g_signal_connect (*widget, signal, callback, self);
    }
  gtk_widget_set_visible (*widget, TRUE);
  return *widget;
}

static GtkWidget *
fork_button (NbMessageRow *self,
             const char   *icon_name,
             const char   *tooltip,
             GCallback     callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

/* The fork switcher ‹ n/m ›: one message of a session has it, so rows
 * make it when they first show it rather than each carrying one. */
static void
ensure_fork_box (NbMessageRow *self)
{
  if (self->fork_box != NULL)
    return;
  self->fork_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  gtk_widget_set_halign (self->fork_box, GTK_ALIGN_END);
  gtk_widget_add_css_class (self->fork_box, "nb-fork-switcher");
  self->fork_previous_button = fork_button (self, "go-previous-symbolic", _("Previous Version"),
                                            G_CALLBACK (fork_previous_clicked_cb));
  self->fork_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->fork_label, "caption");
  gtk_widget_add_css_class (self->fork_label, "numeric");
  self->fork_next_button = fork_button (self, "go-next-symbolic", _("Next Version"),
                                        G_CALLBACK (fork_next_clicked_cb));
  gtk_box_append (GTK_BOX (self->fork_box), self->fork_previous_button);
  gtk_box_append (GTK_BOX (self->fork_box), self->fork_label);
  gtk_box_append (GTK_BOX (self->fork_box), self->fork_next_button);
  gtk_box_append (GTK_BOX (self->box), self->fork_box);
}

static void
update_state (NbMessageRow *self)
{
  guint position = get_position (self);
  guint current = 0, total = 0;
  gboolean fork = self->object != NULL && NB_IS_MESSAGE (self->object) &&
                  nb_chat_page_get_fork_info (self->page, position, &current, &total);

  if (fork)
    ensure_fork_box (self);
  if (self->fork_box != NULL)
    gtk_widget_set_visible (self->fork_box, fork);
  if (fork)
    {
      g_autofree char *text = g_strdup_printf ("%u/%u", current, total);

      gtk_label_set_text (GTK_LABEL (self->fork_label), text);
      gtk_widget_set_sensitive (self->fork_previous_button, current > 1);
      gtk_widget_set_sensitive (self->fork_next_button, current < total);
      gtk_widget_set_halign (self->fork_box, self->user != NULL && gtk_widget_get_visible (self->user) ? GTK_ALIGN_END : GTK_ALIGN_START);
    }
  if (self->assistant != NULL && gtk_widget_get_visible (self->assistant))
    nb_assistant_message_set_can_regenerate (NB_ASSISTANT_MESSAGE (self->assistant),
                                             position == nb_chat_page_get_last_reply (self->page));
}

static void
on_state_changed (NbChatPage   *page,
                  NbMessageRow *self)
{
  update_state (self);
}

static void
on_position_notify (GtkListItem  *item,
                    GParamSpec   *pspec,
                    NbMessageRow *self)
{
  update_state (self);
}

/* "[Subagent 'label' completed successfully]\n\nTask: …\n\nResult:\n…\n\n
 * Summarize this naturally…": the agent's announcement to the model. The
 * reader gets the label, status, task and result. */
static void
bind_subagent (NbMessageRow *self,
               NbMessage    *message,
               const char   *text)
{
  const char *label_start = strchr (text, '\'');
  const char *label_end = label_start != NULL ? strchr (label_start + 1, '\'') : NULL;
  const char *task = strstr (text, "\n\nTask: ");
  const char *result = strstr (text, "\n\nResult:\n");
  const char *instructions = result != NULL ? g_strrstr (result, "\n\nSummarize this naturally") : NULL;
  g_autofree char *label = label_end != NULL ? g_strndup (label_start + 1, label_end - label_start - 1) : NULL;
  g_autofree char *task_text = NULL;
  g_autofree char *result_text = NULL;
  g_autofree char *title = NULL;
  gboolean failed = strstr (text, "' failed]") != NULL;

  if (task != NULL && result != NULL && result > task)
    task_text = g_strndup (task + strlen ("\n\nTask: "), result - task - strlen ("\n\nTask: "));
  if (result != NULL)
    result_text = instructions != NULL ? g_strndup (result + strlen ("\n\nResult:\n"), instructions - result - strlen ("\n\nResult:\n"))
                                       : g_strdup (result + strlen ("\n\nResult:\n"));
  if (label != NULL)
    title = g_strdup_printf (failed ? _("Sub-agent “%s” failed") : _("Sub-agent “%s” finished"), label);
  else
    title = g_strdup (_("Sub-agent report"));

  ensure (self, &self->notice, nb_notice_message_new, NULL, NULL);
  nb_notice_message_set (NB_NOTICE_MESSAGE (self->notice), failed ? "dialog-warning-symbolic" : "system-run-symbolic",
                         title, task_text,
                         nb_chat_cached_document (message, "text", result_text != NULL ? result_text : text, FALSE));
}

static void
hide_all (NbMessageRow *self)
{
  GtkWidget *widgets[] = { self->user, self->assistant, self->notice, self->error };

  for (guint i = 0; i < G_N_ELEMENTS (widgets); i++)
    if (widgets[i] != NULL)
      gtk_widget_set_visible (widgets[i], FALSE);
}

static void
bind_message (NbMessageRow *self,
              NbMessage    *message)
{
  const char *role = nb_message_get_role (message);

  if (g_strcmp0 (role, "assistant") == 0)
    {
      ensure (self, &self->assistant, nb_assistant_message_new, "regenerate", G_CALLBACK (assistant_regenerate_cb));
      nb_assistant_message_bind (NB_ASSISTANT_MESSAGE (self->assistant), self->page, message);
    }
  else if (g_strcmp0 (role, "user") == 0)
    {
      g_autofree char *text = nb_message_dup_text (message);

      if (g_strcmp0 (nb_message_get_sender (message), "subagent") == 0)
        bind_subagent (self, message, text != NULL ? text : "");
      else
        {
          ensure (self, &self->user, nb_user_message_new, "edit", G_CALLBACK (user_edit_cb));
          nb_user_message_set_text (NB_USER_MESSAGE (self->user), text);
        }
    }
}

void
nb_message_row_bind (NbMessageRow *self,
                     GtkListItem  *item)
{
  GObject *object;

  g_return_if_fail (NB_IS_MESSAGE_ROW (self));
  g_return_if_fail (GTK_IS_LIST_ITEM (item));

  nb_message_row_unbind (self);
  object = gtk_list_item_get_item (item);
  self->item = item;
  self->object = g_object_ref (object);

  hide_all (self);
  if (NB_IS_MESSAGE (object))
    bind_message (self, NB_MESSAGE (object));
  else if (GTK_IS_STRING_OBJECT (object))
    {
      ensure (self, &self->error, nb_error_row_new, "retry", G_CALLBACK (error_retry_cb));
      nb_error_row_set_message (NB_ERROR_ROW (self->error), gtk_string_object_get_string (GTK_STRING_OBJECT (object)));
    }

  /* A row that shows nothing takes no room. */
  gtk_widget_set_visible (self->clamp, (self->user != NULL && gtk_widget_get_visible (self->user)) ||
                                       (self->assistant != NULL && gtk_widget_get_visible (self->assistant)) ||
                                       (self->notice != NULL && gtk_widget_get_visible (self->notice)) ||
                                       (self->error != NULL && gtk_widget_get_visible (self->error)));

  g_signal_connect (self->page, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (item, "notify::position", G_CALLBACK (on_position_notify), self);
  update_state (self);
}

void
nb_message_row_unbind (NbMessageRow *self)
{
  g_return_if_fail (NB_IS_MESSAGE_ROW (self));

  if (self->object == NULL)
    return;
  if (self->assistant != NULL)
    nb_assistant_message_unbind (NB_ASSISTANT_MESSAGE (self->assistant));
  g_signal_handlers_disconnect_by_func (self->page, on_state_changed, self);
  g_signal_handlers_disconnect_by_func (self->item, on_position_notify, self);
  self->item = NULL;
  g_clear_object (&self->object);
}

/* Returns: (transfer none) (nullable): the NbMessage or error item shown */
GObject *
nb_message_row_get_item (NbMessageRow *self)
{
  g_return_val_if_fail (NB_IS_MESSAGE_ROW (self), NULL);
  return self->object;
}

static void
nb_message_row_dispose (GObject *object)
{
  NbMessageRow *self = NB_MESSAGE_ROW (object);

  nb_message_row_unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_MESSAGE_ROW);

  G_OBJECT_CLASS (nb_message_row_parent_class)->dispose (object);
}

static void
nb_message_row_class_init (NbMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_message_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbMessageRow, clamp);
  gtk_widget_class_bind_template_child (widget_class, NbMessageRow, box);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "nb-message-row");
}

static void
nb_message_row_init (NbMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
nb_message_row_new (NbChatPage *page)
{
  NbMessageRow *self = g_object_new (NB_TYPE_MESSAGE_ROW, NULL);

  self->page = page;
  return GTK_WIDGET (self);
}
