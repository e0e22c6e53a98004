/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ui"

#include "config.h"

#include "nb-approval-card.h"
#include "nb-approval-queue.h"
#include "nb-chat-view-private.h"

/*
 * The chat view shows a waiting call's NbApprovalCard in place of its
 * tool card: NbAssistantMessage looks its calls up in the view's queue
 * and binds its tools again when the queue changes. A sub-agent's calls
 * have no tool card in the conversation (the sub-agent's session is not
 * shown), so their cards float above the end of the conversation that
 * started it, over the list, until they are answered.
 */

#define STATE_KEY "nb-chat-view-approvals"

typedef struct {
  NbChatView      *view;     /* unowned */
  NbApprovalQueue *queue;
  GtkWidget       *floating; /* a box in the view's overlay */
} State;

static void
state_free (State *state)
{
  /* The view's handlers went with its dispose, or were disconnected by
   * nb_chat_view_set_approval_queue(). */
  g_signal_handlers_disconnect_by_data (state->queue, state);
  g_clear_object (&state->queue);
  g_free (state);
}

static void
update_floating (State *state)
{
  NbSession *session = nb_chat_view_get_session (state->view);
  const char *key = session != NULL ? nb_session_get_key (session) : NULL;
  GtkWidget *child = gtk_widget_get_first_child (state->floating);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (state->queue));
  guint shown = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbToolApproval) approval = g_list_model_get_item (G_LIST_MODEL (state->queue), i);

      if (nb_tool_approval_get_agent_label (approval) == NULL ||
          g_strcmp0 (nb_tool_approval_get_session_key (approval), key) != 0)
        continue;
      if (child == NULL)
        {
          child = nb_approval_card_new ();
          gtk_box_append (GTK_BOX (state->floating), child);
        }
      nb_approval_card_set_approval (NB_APPROVAL_CARD (child), approval, state->queue);
      child = gtk_widget_get_next_sibling (child);
      shown++;
    }
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_box_remove (GTK_BOX (state->floating), child);
      child = next;
    }
  gtk_widget_set_visible (state->floating, shown > 0);
}

static void
queue_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  State      *state)
{
  update_floating (state);
}

static void
session_changed_cb (NbChatView *view,
                    GParamSpec *pspec,
                    State      *state)
{
  update_floating (state);
}

/**
 * nb_chat_view_set_approval_queue:
 * @queue: (nullable): the approvals to show (the assistant's)
 *
 * Set it once, before the first session is shown.
 */
void
nb_chat_view_set_approval_queue (NbChatView      *self,
                                 NbApprovalQueue *queue)
{
  State *state;

  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  g_return_if_fail (queue == NULL || NB_IS_APPROVAL_QUEUE (queue));

  state = g_object_get_data (G_OBJECT (self), STATE_KEY);
  if (state != NULL)
    {
      g_signal_handlers_disconnect_by_data (self, state);
      gtk_overlay_remove_overlay (nb_chat_view_get_overlay (self), state->floating);
      g_object_set_data (G_OBJECT (self), STATE_KEY, NULL);
    }
  if (queue == NULL)
    return;

  state = g_new0 (State, 1);
  state->view = self;
  state->queue = g_object_ref (queue);
  state->floating = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_valign (state->floating, GTK_ALIGN_END);
  gtk_widget_set_margin_start (state->floating, 12);
  gtk_widget_set_margin_end (state->floating, 12);
  gtk_widget_set_margin_bottom (state->floating, 12);
  gtk_widget_add_css_class (state->floating, "nb-approval-floating");
  gtk_widget_set_visible (state->floating, FALSE);
  gtk_overlay_add_overlay (nb_chat_view_get_overlay (self), state->floating);
  g_object_set_data_full (G_OBJECT (self), STATE_KEY, state, (GDestroyNotify) state_free);
  g_signal_connect (queue, "items-changed", G_CALLBACK (queue_changed_cb), state);
  g_signal_connect (self, "notify::session", G_CALLBACK (session_changed_cb), state);
  update_floating (state);
}

NbApprovalQueue *
nb_chat_view_get_approval_queue (NbChatView *self)
{
  State *state;

  g_return_val_if_fail (NB_IS_CHAT_VIEW (self), NULL);

  state = g_object_get_data (G_OBJECT (self), STATE_KEY);
  return state != NULL ? state->queue : NULL;
}
