/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A session file as the store loads it (parsing, the metadata record,
 * repair of damaged lines), then one message appended and the file
 * loaded again: whatever the input, the second load must keep every
 * message the first one had, plus the new one. An assistant message with
 * neither text nor tool calls is never written, by design, but one that
 * is already in the file stays there (the file is appended to, not
 * rewritten), so those are left out of both counts.
 */
#include "config.h"

#include "nb-session-store-private.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *dir = nb_fuzz_init ();
  g_autoptr(NbSessionStore) store = nb_session_store_new (dir);
  g_autoptr(NbSessionStore) again = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(NbSession) reloaded = NULL;
  g_autoptr(NbMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = nb_session_store_get_path (store, "fuzz:session");
  guint n;
  guint n_again;

  nb_fuzz_write (path, data, size);
  session = nb_session_store_open (store, "fuzz:session", &error);
  if (session == NULL)
    {
      nb_fuzz_clean ();
      return 0;
    }
  n = 0;
  for (guint i = 0; i < nb_session_get_n_messages (session); i++)
    if (!nb_session_store_is_empty_assistant (nb_session_get_message (session, i)))
      n++;
  message = nb_message_new ("user", "one more");
  nb_session_append (session, message);
  if (nb_session_store_append (store, session, &error) && nb_session_store_sync (store, session, &error))
    {
      again = nb_session_store_new (dir);
      reloaded = nb_session_store_open (again, "fuzz:session", &error);
      if (reloaded == NULL)
        g_error ("written, then not loadable: %s", error->message);
      n_again = 0;
      for (guint i = 0; i < nb_session_get_n_messages (reloaded); i++)
        if (!nb_session_store_is_empty_assistant (nb_session_get_message (reloaded, i)))
          n_again++;
      if (n_again != n + 1)
        {
          g_autofree char *text = NULL;

          g_file_get_contents (path, &text, NULL, NULL);
          g_error ("%u messages loaded, one appended, %u loaded again from:\n%s",
                   n, n_again, text);
        }
    }
  g_clear_object (&reloaded);
  g_clear_object (&again);
  g_clear_object (&session);
  g_clear_object (&store);
  /* The store syncs in a GTask thread and lets go of the file (and its
   * descriptor) in the callback: run those, or descriptors pile up. */
  for (guint i = 0; i < 1000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  nb_fuzz_clean ();
  return 0;
}
