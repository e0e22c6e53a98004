/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Enough connections per host that parallel tool calls and sub-agents
 * talking to one host really run in parallel. */
#define NB_HTTP_MAX_CONNS_PER_HOST 16
#define NB_HTTP_MAX_CONNS          64

SoupSession *nb_http_get_session (void);
void         nb_http_shutdown    (void);

G_END_DECLS
