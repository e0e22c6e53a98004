/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_WEB_SEARCH_TOOL (nb_web_search_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbWebSearchTool, nb_web_search_tool, NB, WEB_SEARCH_TOOL, NbTool)

/*
 * @provider: "brave" (default), "searxng", "tavily" or "duckduckgo"
 * @api_key: (nullable): for brave and tavily (else BRAVE_API_KEY / TAVILY_API_KEY)
 * @base_url: (nullable): replaces the provider's origin (required for searxng)
 * @max_results: used when the call gives no count (clamped to 1–10)
 */
NbTool *nb_web_search_tool_new (const char *provider,
                                const char *api_key,
                                const char *base_url,
                                guint       max_results);

G_END_DECLS
