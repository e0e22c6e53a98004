/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_WEB_FETCH_TOOL (nb_web_fetch_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbWebFetchTool, nb_web_fetch_tool, NB, WEB_FETCH_TOOL, NbTool)

#define NB_WEB_FETCH_MAX_REDIRECTS 5
#define NB_WEB_FETCH_TIMEOUT_SECONDS 30
#define NB_WEB_FETCH_DEFAULT_MAX_CHARS 50000
/* At most this much of a body is read. */
#define NB_WEB_FETCH_MAX_BYTES (5 * 1024 * 1024)

NbTool *nb_web_fetch_tool_new (gboolean allow_private_hosts);

G_END_DECLS
