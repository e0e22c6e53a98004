/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-memory-store"

#include "config.h"

#include "nb-json-util.h"
#include "nb-memory-backoff.h"

/* See nb-memory-backoff.h. A consolidation that failed (the memory model
 * refuses, answers without save_memory, the server is down) would
 * otherwise be tried again after every turn, at the price of a long LLM
 * call each time, and fail the same way. */

#define RECORD "consolidation_failure"

gboolean
nb_memory_backoff_active (NbSession *session,
                          guint      memory_window)
{
  JsonObject *record;
  gint64 at;
  guint n;
  guint turns = 0;

  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  record = nb_json_get_object (nb_session_get_metadata (session), RECORD);
  if (record == NULL)
    return FALSE;
  at = nb_json_get_int (record, "at");
  n = nb_session_get_n_messages (session);
  /* Cleared or cut since: the record speaks of other messages. */
  if (at < 0 || at > n)
    return FALSE;
  if (memory_window > 0 && n - at >= memory_window)
    return FALSE;
  for (guint i = at; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);

      if (g_strcmp0 (nb_message_get_role (message), "user") == 0 &&
          ++turns >= NB_MEMORY_BACKOFF_TURNS)
        return FALSE;
    }
  return TRUE;
}

gboolean
nb_memory_backoff_record_failure (NbSession  *session,
                                  const char *message)
{
  JsonObject *metadata;
  JsonObject *record;
  gboolean first;

  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  metadata = nb_session_get_metadata (session);
  first = nb_json_get_object (metadata, RECORD) == NULL;
  record = json_object_new ();
  json_object_set_int_member (record, "at", nb_session_get_n_messages (session));
  json_object_set_string_member (record, "error", message != NULL ? message : "");
  json_object_set_object_member (metadata, RECORD, record);
  return first;
}

gboolean
nb_memory_backoff_clear (NbSession *session)
{
  JsonObject *metadata;

  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  metadata = nb_session_get_metadata (session);
  if (!json_object_has_member (metadata, RECORD))
    return FALSE;
  json_object_remove_member (metadata, RECORD);
  return TRUE;
}
