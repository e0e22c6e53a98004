/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-web-fetch-tool.h"

G_BEGIN_DECLS

/* For tests only: lets "host:port" through the private-address check,
 * both as written in a URL and as the address connected to. */
void    nb_web_fetch_tool_allow_host_for_testing (NbWebFetchTool *self,
                                                  const char     *host_and_port);
/* For tests only: a smaller body cap. */
void    nb_web_fetch_tool_set_max_bytes          (NbWebFetchTool *self,
                                                  gsize           max_bytes);

G_END_DECLS
