/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include "nb-approval-queue.h"
#include "nb-assistant-private.h"
#include "nb-permissions.h"

/*
 * Tool permissions for every front end: the assistant makes one
 * NbPermissions on first use and gives it to its agent (and through it to
 * sub-agents). Until a front end asks for it, calls run unchecked, as
 * before (tests of the agent, other programs linking the library).
 */

#define PERMISSIONS_KEY "nb-assistant-permissions"
#define QUEUE_KEY "nb-assistant-approval-queue"

/**
 * nb_assistant_get_permissions:
 *
 * Returns: (transfer none): the permissions of the assistant's agent
 */
NbPermissions *
nb_assistant_get_permissions (NbAssistant *self)
{
  NbPermissions *permissions;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);

  permissions = g_object_get_data (G_OBJECT (self), PERMISSIONS_KEY);
  if (permissions == NULL)
    {
      permissions = nb_permissions_new (self->config);
      g_object_set_data_full (G_OBJECT (self), PERMISSIONS_KEY, permissions, g_object_unref);
      nb_agent_set_permissions (self->agent, permissions);
    }
  return permissions;
}

/**
 * nb_assistant_set_approver:
 * @approver: (nullable): who is asked about calls that need approval
 * @absent_default: an #NbPermission: what side-effecting calls get when
 *   config.json has no tools.permissions (the window: ask; `nanobot -m`:
 *   allow, as the Python nanobot)
 */
void
nb_assistant_set_approver (NbAssistant    *self,
                           NbToolApprover *approver,
                           int             absent_default)
{
  g_return_if_fail (NB_IS_ASSISTANT (self));

  nb_permissions_set_approver (nb_assistant_get_permissions (self), approver, absent_default);
}

/**
 * nb_assistant_get_approval_queue:
 *
 * The window's approver, made and installed on first use (with "ask" when
 * tools.permissions is absent).
 *
 * Returns: (transfer none): the queue of waiting approvals
 */
NbApprovalQueue *
nb_assistant_get_approval_queue (NbAssistant *self)
{
  NbApprovalQueue *queue;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);

  queue = g_object_get_data (G_OBJECT (self), QUEUE_KEY);
  if (queue == NULL)
    {
      queue = nb_approval_queue_new ();
      g_object_set_data_full (G_OBJECT (self), QUEUE_KEY, queue, g_object_unref);
      nb_assistant_set_approver (self, NB_TOOL_APPROVER (queue), NB_PERMISSION_ASK);
    }
  return queue;
}
