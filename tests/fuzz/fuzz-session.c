/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A session file as the store loads it (parsing, the metadata record,
 * repair of damaged lines), then one message appended and the file
 * loaded again: whatever the input, the second load must keep every
 * message the first one had, plus the new one.
 */
#include "config.h"

#include "nb-session-store.h"
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

  nb_fuzz_write (path, data, size);
  session = nb_session_store_open (store, "fuzz:session", &error);
  if (session == NULL)
    {
      nb_fuzz_clean ();
      return 0;
    }
  n = nb_session_get_n_messages (session);
  message = nb_message_new ("user", "one more");
  nb_session_append (session, message);
  if (nb_session_store_append (store, session, &error) && nb_session_store_sync (store, session, &error))
    {
      again = nb_session_store_new (dir);
      reloaded = nb_session_store_open (again, "fuzz:session", &error);
      if (reloaded == NULL)
        g_error ("written, then not loadable: %s", error->message);
      g_assert (nb_session_get_n_messages (reloaded) == n + 1);
    }
  g_clear_object (&reloaded);
  g_clear_object (&again);
  g_clear_object (&session);
  g_clear_object (&store);
  nb_fuzz_clean ();
  return 0;
}
