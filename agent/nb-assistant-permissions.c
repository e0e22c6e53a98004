/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-approval-queue.h"
#include "nb-assistant-private.h"
#include "nb-json-util.h"
#include "nb-permissions.h"
#include "nb-session-store.h"

/*
 * Tool permissions for every front end: the assistant makes one
 * NbPermissions on first use and gives it to its agent (and through it to
 * sub-agents). Until a front end asks for it, calls run unchecked, as
 * before (tests of the agent, other programs linking the library).
 *
 * "Allow in this conversation" lasts as long as the conversation: the
 * grants of a session are kept in its metadata under NB_GRANTS_KEY (a
 * list of rules without a decision, `tool` and `command` or `path`),
 * written as /model writes `model` (one appended metadata line), and
 * given back to the permissions whenever the session is opened.
 */

#define NB_GRANTS_KEY "tool_grants"

#define PERMISSIONS_KEY "nb-assistant-permissions"
#define QUEUE_KEY "nb-assistant-approval-queue"

/* Writes the conversation's grants into its metadata. A conversation
 * that is not open (it was moved to the trash) keeps its file as it is. */
static void
session_grants_changed_cb (NbAssistant *self,
                           const char  *session_key)
{
  NbPermissions *permissions = g_object_get_data (G_OBJECT (self), PERMISSIONS_KEY);
  NbSession *session = g_hash_table_lookup (self->sessions, session_key);
  g_autoptr(JsonArray) grants = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  JsonObject *metadata;

  if (session == NULL || permissions == NULL)
    return;
  grants = nb_permissions_dup_session_grants (permissions, session_key);
  metadata = nb_session_get_metadata (session);
  if (json_array_get_length (grants) > 0)
    json_object_set_array_member (metadata, NB_GRANTS_KEY, g_steal_pointer (&grants));
  else if (json_object_has_member (metadata, NB_GRANTS_KEY))
    json_object_remove_member (metadata, NB_GRANTS_KEY);
  else
    return;

  /* Nothing on disk yet: the first message writes the metadata too. */
  path = nb_session_store_get_path (self->store, session_key);
  if (nb_session_get_n_messages (session) == 0 && !g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  if (!nb_session_store_append (self->store, session, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not keep “Allow in this conversation” in the "
                                                    "conversation’s file; it lasts until Nanobot quits: %s"),
                                                  error->message);

      nb_assistant_warn (self, message);
    }
}

/* Called for every session opened: its grants as they were left. */
void
nb_assistant_permissions_session_opened (NbAssistant *self,
                                         NbSession   *session)
{
  NbPermissions *permissions = g_object_get_data (G_OBJECT (self), PERMISSIONS_KEY);

  if (permissions == NULL)
    return;
  nb_permissions_restore_grants (permissions, nb_session_get_key (session),
                                 nb_json_get_array (nb_session_get_metadata (session), NB_GRANTS_KEY));
}

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
      GHashTableIter iter;
      gpointer session;

      permissions = nb_permissions_new (self->config);
      g_object_set_data_full (G_OBJECT (self), PERMISSIONS_KEY, permissions, g_object_unref);
      nb_agent_set_permissions (self->agent, permissions);
      g_signal_connect_object (permissions, "session-grants-changed", G_CALLBACK (session_grants_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, NULL, &session))
        nb_assistant_permissions_session_opened (self, session);
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

static void
flushed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  NbAssistantTurnFunc then = g_object_steal_data (G_OBJECT (task), "nb-assistant-flush-then");

  nb_permissions_flush_finish (NB_PERMISSIONS (source), result, NULL);
  then (task);
}

/* Takes @task; calls @then with it once every permission rule being
 * saved is written (at once when none is). */
void
nb_assistant_permissions_flush_then (NbAssistant         *self,
                                     GTask               *task,
                                     NbAssistantTurnFunc  then)
{
  NbPermissions *permissions = g_object_get_data (G_OBJECT (self), PERMISSIONS_KEY);

  if (permissions == NULL || !nb_permissions_has_pending_saves (permissions))
    {
      then (task);
      return;
    }
  g_object_set_data (G_OBJECT (task), "nb-assistant-flush-then", then);
  nb_permissions_flush_async (permissions, NULL, flushed_cb, task);
}
