/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_MCP_PAGE (nb_mcp_page_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpPage, nb_mcp_page, NB, MCP_PAGE, AdwPreferencesPage)

NbMcpPage *nb_mcp_page_new (NbAssistant *assistant);

G_END_DECLS
