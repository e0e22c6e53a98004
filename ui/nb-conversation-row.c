/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-approval-queue.h"
#include "nb-conversation-row.h"

/* A fork is indented this much per level (two levels at most). */
#define FORK_INDENT_PX 18
#define MAX_DEPTH      2

struct _NbConversationRow
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkWidget      *spinner;
  GtkWidget      *pin_icon;
  GtkLabel       *title_label;
  GtkLabel       *snippet_label;
  GtkLabel       *channel_label;
  GtkMenuButton  *menu_button;

  NbConversation *conversation;
  GSignalGroup   *signals;

  GtkWidget      *waiting_icon;
  NbApprovalQueue *approvals;
};

G_DEFINE_FINAL_TYPE (NbConversationRow, nb_conversation_row, GTK_TYPE_WIDGET)

const char *
nb_conversation_row_untitled (void)
{
  return _("New Conversation");
}

/* Discreet: nothing for the window's own conversations. */
static const char *
channel_label (const char *channel)
{
  if (channel == NULL || g_str_equal (channel, "desktop"))
    return NULL;
  if (g_str_equal (channel, "cli"))
    return C_("channel", "Terminal");
  if (g_str_equal (channel, "quick"))
    return C_("channel", "Quick");
  if (g_str_equal (channel, "cron"))
    return C_("channel", "Scheduled");
  if (g_str_equal (channel, "heartbeat"))
    return C_("channel", "Heartbeat");
  return channel;
}

static void
set_title (NbConversationRow *self,
           const char        *title)
{
  gtk_label_set_text (self->title_label, title != NULL && *title != '\0' ? title : nb_conversation_row_untitled ());
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label), title);
}

static void
update_menu (NbConversationRow *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) last = g_menu_new ();
  g_autoptr(GMenuItem) rename = g_menu_item_new (_("_Rename…"), NULL);
  g_autoptr(GMenuItem) pin = NULL;
  g_autoptr(GMenuItem) delete = g_menu_item_new (_("_Delete"), NULL);
  const char *key = nb_conversation_get_key (self->conversation);

  pin = g_menu_item_new (nb_conversation_get_pinned (self->conversation) ? _("Un_pin") : _("_Pin"), NULL);
  g_menu_item_set_action_and_target (rename, "sidebar.rename", "s", key);
  g_menu_item_set_action_and_target (pin, "sidebar.toggle-pin", "s", key);
  g_menu_item_set_action_and_target (delete, "sidebar.delete", "s", key);
  g_menu_append_item (menu, rename);
  g_menu_append_item (menu, pin);
  g_menu_append_item (last, delete);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (last));
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (menu));
}

static void
update (NbConversationRow *self)
{
  gboolean running;
  const char *channel;

  if (self->conversation == NULL)
    return;
  running = nb_conversation_get_running (self->conversation);
  set_title (self, nb_conversation_get_title (self->conversation));
  /* Waiting for the user's approval shows instead of the spinner. */
  if (self->approvals != NULL &&
      nb_approval_queue_count_session (self->approvals, nb_conversation_get_key (self->conversation)) > 0)
    {
      gtk_widget_set_visible (self->waiting_icon, TRUE);
      running = FALSE;
    }
  else
    gtk_widget_set_visible (self->waiting_icon, FALSE);
  gtk_widget_set_visible (self->spinner, running);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), running);
  gtk_widget_set_visible (self->pin_icon, !running && nb_conversation_get_pinned (self->conversation));
  channel = channel_label (nb_conversation_get_channel (self->conversation));
  gtk_label_set_text (self->channel_label, channel != NULL ? channel : "");
  gtk_widget_set_visible (GTK_WIDGET (self->channel_label), channel != NULL);
}

static void
conversation_notify_cb (NbConversationRow *self,
                        GParamSpec        *pspec)
{
  update (self);
  if (g_strcmp0 (g_param_spec_get_name (pspec), "pinned") == 0)
    update_menu (self);
}

/* Right click, long press */

static void
secondary_pressed_cb (GtkGestureClick   *gesture,
                      int                n_press,
                      double             x,
                      double             y,
                      NbConversationRow *self)
{
  if (self->conversation == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  nb_conversation_row_popup_menu (self);
}

static void
long_pressed_cb (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 NbConversationRow   *self)
{
  if (self->conversation == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  nb_conversation_row_popup_menu (self);
}

/* Object */

static void
nb_conversation_row_dispose (GObject *object)
{
  NbConversationRow *self = NB_CONVERSATION_ROW (object);

  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->signals);
  g_clear_object (&self->conversation);
  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_clear_object (&self->approvals);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_CONVERSATION_ROW);

  G_OBJECT_CLASS (nb_conversation_row_parent_class)->dispose (object);
}

static void
nb_conversation_row_class_init (NbConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_conversation_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, box);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, pin_icon);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, snippet_label);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, channel_label);
  gtk_widget_class_bind_template_child (widget_class, NbConversationRow, menu_button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "nb-conversation-row");
}

static void
nb_conversation_row_init (NbConversationRow *self)
{
  GtkGesture *click;
  GtkGesture *long_press;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->waiting_icon = gtk_image_new_from_icon_name ("dialog-question-symbolic");
  gtk_widget_set_visible (self->waiting_icon, FALSE);
  gtk_widget_add_css_class (self->waiting_icon, "accent");
  gtk_widget_set_tooltip_text (self->waiting_icon, _("Waiting for your approval"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->waiting_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Waiting for your approval"), -1);
  gtk_box_insert_child_after (GTK_BOX (self->box), self->waiting_icon, self->pin_icon);

  self->signals = g_signal_group_new (NB_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->signals, "notify::title", G_CALLBACK (conversation_notify_cb), self);
  g_signal_group_connect_swapped (self->signals, "notify::running", G_CALLBACK (conversation_notify_cb), self);
  g_signal_group_connect_swapped (self->signals, "notify::pinned", G_CALLBACK (conversation_notify_cb), self);
  g_signal_group_connect_swapped (self->signals, "notify::channel", G_CALLBACK (conversation_notify_cb), self);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (secondary_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  long_press = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect (long_press, "pressed", G_CALLBACK (long_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (long_press));
}

GtkWidget *
nb_conversation_row_new (void)
{
  return g_object_new (NB_TYPE_CONVERSATION_ROW, NULL);
}

/**
 * nb_conversation_row_set_conversation:
 * @conversation: (nullable): what to show
 * @depth: 0, or how deep a fork is under its original
 */
void
nb_conversation_row_set_conversation (NbConversationRow *self,
                                      NbConversation    *conversation,
                                      guint              depth)
{
  g_return_if_fail (NB_IS_CONVERSATION_ROW (self));
  g_return_if_fail (conversation == NULL || NB_IS_CONVERSATION (conversation));

  gtk_widget_set_margin_start (self->box, MIN (depth, MAX_DEPTH) * FORK_INDENT_PX);
  gtk_widget_set_visible (GTK_WIDGET (self->snippet_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->menu_button), conversation != NULL);
  if (depth > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "fork");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "fork");

  if (g_set_object (&self->conversation, conversation))
    {
      g_signal_group_set_target (self->signals, conversation);
      if (conversation != NULL)
        {
          update (self);
          update_menu (self);
        }
    }
}

NbConversation *
nb_conversation_row_get_conversation (NbConversationRow *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_ROW (self), NULL);
  return self->conversation;
}

/**
 * nb_conversation_row_set_hit:
 *
 * Shows a search result: its title and, for a content match, the snippet.
 */
void
nb_conversation_row_set_hit (NbConversationRow       *self,
                             NbConversationSearchHit *hit)
{
  const char *snippet;

  g_return_if_fail (NB_IS_CONVERSATION_ROW (self));
  g_return_if_fail (NB_IS_CONVERSATION_SEARCH_HIT (hit));

  nb_conversation_row_set_conversation (self, NULL, 0);
  set_title (self, nb_conversation_search_hit_get_title (hit));
  snippet = nb_conversation_search_hit_get_snippet (hit);
  gtk_label_set_text (self->snippet_label, snippet != NULL ? snippet : "");
  gtk_widget_set_visible (GTK_WIDGET (self->snippet_label), snippet != NULL);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_widget_set_visible (self->waiting_icon, FALSE);
  gtk_widget_set_visible (self->pin_icon, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->channel_label), FALSE);
}

void
nb_conversation_row_popup_menu (NbConversationRow *self)
{
  g_return_if_fail (NB_IS_CONVERSATION_ROW (self));

  if (self->conversation != NULL)
    gtk_menu_button_popup (self->menu_button);
}

static void
approvals_changed_cb (NbConversationRow *self,
                      const char        *session_key)
{
  if (self->conversation != NULL && g_strcmp0 (session_key, nb_conversation_get_key (self->conversation)) == 0)
    update (self);
}

/**
 * nb_conversation_row_set_approval_queue:
 * @queue: (nullable): the approvals of the assistant
 *
 * Marks the conversation while a tool call of it waits for the user.
 */
void
nb_conversation_row_set_approval_queue (NbConversationRow *self,
                                        NbApprovalQueue   *queue)
{
  g_return_if_fail (NB_IS_CONVERSATION_ROW (self));

  if (self->approvals == queue)
    return;
  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_set_object (&self->approvals, queue);
  if (queue != NULL)
    g_signal_connect_swapped (queue, "session-changed", G_CALLBACK (approvals_changed_cb), self);
  update (self);
}
