/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ui"

#include "config.h"

#include "nb-approval-queue.h"
#include "nb-chat-view.h"

/*
 * The chat view shows a waiting call's NbApprovalCard in place of its
 * tool card: NbAssistantMessage looks its calls up in the view's queue
 * and binds its tools again when the queue changes.
 */

#define QUEUE_KEY "nb-chat-view-approval-queue"

/**
 * nb_chat_view_set_approval_queue:
 * @queue: (nullable): the approvals to show (the assistant's)
 *
 * Set it before the first session is shown.
 */
void
nb_chat_view_set_approval_queue (NbChatView      *self,
                                 NbApprovalQueue *queue)
{
  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  g_return_if_fail (queue == NULL || NB_IS_APPROVAL_QUEUE (queue));

  g_object_set_data_full (G_OBJECT (self), QUEUE_KEY, queue != NULL ? g_object_ref (queue) : NULL,
                          g_object_unref);
}

NbApprovalQueue *
nb_chat_view_get_approval_queue (NbChatView *self)
{
  g_return_val_if_fail (NB_IS_CHAT_VIEW (self), NULL);
  return g_object_get_data (G_OBJECT (self), QUEUE_KEY);
}
