/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"
#include "nb-provider-registry.h"

/* "Consolidate now" of Preferences: the provider is resolved on its own
 * (as a turn would, keyring included), so this needs no turn. */

static void
consolidated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!nb_memory_store_consolidate_finish (NB_MEMORY_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
resolved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  NbSession *session = g_task_get_task_data (task);
  g_autoptr(NbProvider) provider = NULL;
  GError *error = NULL;

  provider = nb_provider_registry_resolve_finish (result, &error);
  if (provider == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  nb_memory_store_consolidate_async (self->memory, session, provider,
                                     nb_config_get_memory_model (self->config),
                                     (guint) CLAMP (nb_config_get_int (self->config, "agents.defaults.memoryWindow"), 1, G_MAXINT),
                                     FALSE, g_task_get_cancellable (task),
                                     consolidated_cb, g_object_ref (task));
}

void
nb_assistant_consolidate_async (NbAssistant         *self,
                                NbSession           *session,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (NB_IS_SESSION (session));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_consolidate_async);
  g_task_set_task_data (task, g_object_ref (session), g_object_unref);
  nb_provider_registry_resolve_async (self->config, NULL, cancellable, resolved_cb, g_steal_pointer (&task));
}

gboolean
nb_assistant_consolidate_finish (NbAssistant   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nb_assistant_dup_workspace:
 *
 * Returns: (transfer full): the workspace folder
 */
char *
nb_assistant_dup_workspace (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return nb_config_dup_workspace (self->config);
}
