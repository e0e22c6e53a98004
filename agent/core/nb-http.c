/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-http"

#include "config.h"

#include "nb-http.h"

static SoupSession *shared_session;

/**
 * nb_http_get_session:
 *
 * The one SoupSession of the process (B4): providers, web tools and MCP over
 * HTTP all use it, so connections are kept alive and reused. It must only be
 * used from the main thread.
 *
 * Returns: (transfer none): the shared session
 */
SoupSession *
nb_http_get_session (void)
{
  if (shared_session == NULL)
    {
      g_autofree char *user_agent = g_strdup_printf ("Nanobot/%s", PACKAGE_VERSION);

      shared_session = soup_session_new_with_options ("max-conns", NB_HTTP_MAX_CONNS,
                                                      "max-conns-per-host", NB_HTTP_MAX_CONNS_PER_HOST,
                                                      "user-agent", user_agent,
                                                      "idle-timeout", 60,
                                                      NULL);
    }
  return shared_session;
}

/* Drops the shared session; the next nb_http_get_session() makes a new one. */
void
nb_http_shutdown (void)
{
  if (shared_session != NULL)
    soup_session_abort (shared_session);
  g_clear_object (&shared_session);
}
