/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include "nb-agent-private.h"
#include "nb-permissions.h"

/*
 * The seam between the turn's TOOLS phase and NbPermissions. The turn
 * starts a call as before; the call is first checked by the registry
 * (unknown tool, bad arguments: no question for a call that cannot run),
 * then by the permissions, which may wait for the user's answer, and only
 * then run. Because the wait is inside the call, the turn's ordering holds
 * without change: a side-effecting call waiting for approval keeps every
 * later call waiting, and read-only calls before it run meanwhile.
 */

typedef struct {
  NbToolCall    *call;
  NbToolContext  context;
  char          *session_key;
  char          *channel;
  char          *chat_id;
  JsonObject    *audit;
} Execute;

static void
execute_free (Execute *execute)
{
  g_clear_pointer (&execute->call, nb_tool_call_free);
  g_free (execute->session_key);
  g_free (execute->channel);
  g_free (execute->chat_id);
  g_clear_pointer (&execute->audit, json_object_unref);
  g_free (execute);
}

/**
 * nb_agent_set_permissions:
 * @permissions: (nullable): what decides whether a call may run; %NULL
 *   runs every call (the default)
 *
 * Sub-agents started later share them.
 */
void
nb_agent_set_permissions (NbAgent       *self,
                          NbPermissions *permissions)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_return_if_fail (permissions == NULL || NB_IS_PERMISSIONS (permissions));

  g_set_object (&self->permissions, permissions);
}

NbPermissions *
nb_agent_get_permissions (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->permissions;
}

/* A sub-agent's calls go through its parent's permissions, shown in the
 * conversation that started it and attributed to @label. */
void
nb_agent_inherit_permissions (NbAgent    *child,
                              NbAgent    *parent,
                              const char *label,
                              const char *origin_key)
{
  g_set_object (&child->permissions, parent->permissions);
  g_free (child->agent_label);
  child->agent_label = g_strdup (label);
  g_free (child->origin_key);
  child->origin_key = g_strdup (origin_key);
}

static void
registry_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *text = nb_tool_registry_execute_finish (NB_TOOL_REGISTRY (source), result, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, text, g_free);
}

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAgent *self = g_task_get_source_object (task);
  Execute *execute = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *denied = NULL;

  if (!nb_permissions_check_finish (NB_PERMISSIONS (source), result, &denied, &execute->audit, &error))
    {
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, g_steal_pointer (&denied), g_free);
      return;
    }

  /* The registry may have changed while the user thought (a config
   * change rebuilds the built-in tools): it checks the call again. */
  nb_tool_registry_execute_async (self->tools, execute->call, &execute->context,
                                  g_task_get_cancellable (task), registry_cb, g_object_ref (task));
}

void
nb_agent_execute_call_async (NbAgent             *self,
                             const NbToolCall    *call,
                             const NbToolContext *context,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *problem = NULL;
  Execute *execute;
  NbTool *tool = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_agent_execute_call_async);
  g_task_set_check_cancellable (task, FALSE);

  execute = g_new0 (Execute, 1);
  execute->call = nb_tool_call_new (call->id, call->name, call->arguments_json);
  if (context != NULL)
    {
      execute->session_key = g_strdup (context->session_key);
      execute->channel = g_strdup (context->channel);
      execute->chat_id = g_strdup (context->chat_id);
      execute->context.host = context->host;
    }
  execute->context.session_key = execute->session_key;
  execute->context.channel = execute->channel;
  execute->context.chat_id = execute->chat_id;
  g_task_set_task_data (task, execute, (GDestroyNotify) execute_free);

  problem = nb_tool_registry_check_call (self->tools, call, &tool);
  if (self->permissions == NULL || problem != NULL)
    {
      nb_tool_registry_execute_async (self->tools, execute->call, &execute->context,
                                      cancellable, registry_cb, g_steal_pointer (&task));
      return;
    }

  nb_permissions_check_async (self->permissions, tool, call,
                              self->origin_key != NULL ? self->origin_key : execute->session_key,
                              self->agent_label, cancellable, check_cb, g_steal_pointer (&task));
}

/**
 * nb_agent_execute_call_finish:
 * @audit: (out) (transfer full) (nullable): the permission decision, or
 *   %NULL when none was made
 *
 * Returns: (transfer full): the result text, or %NULL when cancelled
 */
char *
nb_agent_execute_call_finish (NbAgent       *self,
                              GAsyncResult  *result,
                              JsonObject   **audit,
                              GError       **error)
{
  Execute *execute;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  execute = g_task_get_task_data (G_TASK (result));
  if (audit != NULL)
    *audit = g_steal_pointer (&execute->audit);
  return g_task_propagate_pointer (G_TASK (result), error);
}
