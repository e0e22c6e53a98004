/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A long-running session writer for the crash test: appends COUNT messages
 * to the session KEY in DIR, prints the number of each message once its
 * append returned, moves last_consolidated now and then and syncs at the
 * end of every "turn". The test kills it with SIGKILL at random points.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "nb-session-store.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NbSessionStore) store = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  guint count;

  if (argc != 4)
    {
      fprintf (stderr, "usage: %s DIR KEY COUNT\n", argv[0]);
      return 2;
    }
  count = (guint) g_ascii_strtoull (argv[3], NULL, 10);

  store = nb_session_store_new (argv[1]);
  session = nb_session_store_open (store, argv[2], &error);
  if (session == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u %s", i, i % 7 == 0 ? "with a longer body to vary the line sizes a bit" : "");
      g_autoptr(NbMessage) message = nb_message_new (i % 2 == 0 ? "user" : "assistant", text);

      nb_session_append (session, message);
      if (i % 50 == 49)
        nb_session_set_last_consolidated (session, i - 10);
      if (!nb_session_store_append (store, session, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      printf ("%u\n", i);
      fflush (stdout);
      if (i % 2 == 1)
        nb_session_store_sync (store, session, NULL);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  return 0;
}
