/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include "nb-approval-queue.h"

/*
 * The window's NbToolApprover: a GListModel of the approvals waiting for
 * an answer, in the order they were asked. The chat view shows each one
 * in place of its call's tool card (found by call id) and the sidebar
 * marks conversations that wait (::session-changed). An approval leaves
 * the list when it is answered or its turn is stopped. GTK-free, so the
 * agent's tests can answer approvals without a window.
 */

struct _NbApprovalQueue
{
  GObject    parent_instance;

  GPtrArray *items;  /* NbToolApproval */
};

static void nb_approval_queue_model_init    (GListModelInterface     *iface);
static void nb_approval_queue_approver_init (NbToolApproverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbApprovalQueue, nb_approval_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_approval_queue_model_init)
                               G_IMPLEMENT_INTERFACE (NB_TYPE_TOOL_APPROVER, nb_approval_queue_approver_init))

enum {
  SESSION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
get_item_type (GListModel *model)
{
  return NB_TYPE_TOOL_APPROVAL;
}

static guint
get_n_items (GListModel *model)
{
  return NB_APPROVAL_QUEUE (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  NbApprovalQueue *self = NB_APPROVAL_QUEUE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
nb_approval_queue_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
finished_cb (NbToolApproval  *approval,
             NbApprovalQueue *self)
{
  guint position;
  g_autofree char *key = g_strdup (nb_tool_approval_get_session_key (approval));

  g_signal_handlers_disconnect_by_data (approval, self);
  if (!g_ptr_array_find (self->items, approval, &position))
    return;
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_signal_emit (self, signals[SESSION_CHANGED], 0, key);
}

static void
request (NbToolApprover *approver,
         NbToolApproval *approval)
{
  NbApprovalQueue *self = NB_APPROVAL_QUEUE (approver);

  g_ptr_array_add (self->items, g_object_ref (approval));
  g_signal_connect_object (approval, "finished", G_CALLBACK (finished_cb), self, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
  g_signal_emit (self, signals[SESSION_CHANGED], 0, nb_tool_approval_get_session_key (approval));
}

static void
nb_approval_queue_approver_init (NbToolApproverInterface *iface)
{
  iface->request = request;
}

static void
nb_approval_queue_dispose (GObject *object)
{
  NbApprovalQueue *self = NB_APPROVAL_QUEUE (object);

  for (guint i = 0; self->items != NULL && i < self->items->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->items, i), self);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_approval_queue_parent_class)->dispose (object);
}

static void
nb_approval_queue_class_init (NbApprovalQueueClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nb_approval_queue_dispose;

  /**
   * NbApprovalQueue::session-changed:
   * @session_key: the conversation
   *
   * An approval of this conversation started or stopped waiting.
   */
  signals[SESSION_CHANGED] =
    g_signal_new ("session-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
nb_approval_queue_init (NbApprovalQueue *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

NbApprovalQueue *
nb_approval_queue_new (void)
{
  return g_object_new (NB_TYPE_APPROVAL_QUEUE, NULL);
}

/**
 * nb_approval_queue_lookup:
 *
 * Returns: (transfer none) (nullable): the waiting approval of a call
 */
NbToolApproval *
nb_approval_queue_lookup (NbApprovalQueue *self,
                          const char      *call_id)
{
  g_return_val_if_fail (NB_IS_APPROVAL_QUEUE (self), NULL);

  for (guint i = 0; call_id != NULL && i < self->items->len; i++)
    {
      NbToolApproval *approval = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (nb_tool_approval_get_call_id (approval), call_id) == 0)
        return approval;
    }
  return NULL;
}

/* How many calls of a conversation wait for an answer. */
guint
nb_approval_queue_count_session (NbApprovalQueue *self,
                                 const char      *session_key)
{
  guint n = 0;

  g_return_val_if_fail (NB_IS_APPROVAL_QUEUE (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (g_strcmp0 (nb_tool_approval_get_session_key (g_ptr_array_index (self->items, i)), session_key) == 0)
      n++;
  return n;
}

/**
 * nb_approval_queue_answer_session:
 * @answer: %NB_APPROVAL_ALLOW_ONCE or %NB_APPROVAL_DENY
 *
 * Answers every waiting call of a conversation at once ("Allow All").
 *
 * Returns: how many were answered
 */
guint
nb_approval_queue_answer_session (NbApprovalQueue  *self,
                                  const char       *session_key,
                                  NbApprovalAnswer  answer)
{
  g_autoptr(GPtrArray) matching = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (NB_IS_APPROVAL_QUEUE (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (g_strcmp0 (nb_tool_approval_get_session_key (g_ptr_array_index (self->items, i)), session_key) == 0)
      g_ptr_array_add (matching, g_object_ref (g_ptr_array_index (self->items, i)));
  for (guint i = 0; i < matching->len; i++)
    nb_tool_approval_answer (g_ptr_array_index (matching, i), answer, NULL, NULL);
  return matching->len;
}
