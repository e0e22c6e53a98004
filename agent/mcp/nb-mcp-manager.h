/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-config.h"
#include "nb-mcp-server.h"
#include "nb-tool-registry.h"

G_BEGIN_DECLS

#define NB_TYPE_MCP_MANAGER (nb_mcp_manager_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpManager, nb_mcp_manager, NB, MCP_MANAGER, GObject)

NbMcpManager *nb_mcp_manager_new             (NbConfig     *config);
NbMcpManager *nb_mcp_manager_new_for_servers (JsonObject   *servers);
GListModel   *nb_mcp_manager_get_servers     (NbMcpManager *self);
NbMcpServer  *nb_mcp_manager_lookup_server   (NbMcpManager *self,
                                              const char   *name);
GPtrArray    *nb_mcp_manager_dup_tools       (NbMcpManager *self);
void          nb_mcp_manager_attach_registry (NbMcpManager   *self,
                                              NbToolRegistry *registry);
void          nb_mcp_manager_start           (NbMcpManager *self);
gboolean      nb_mcp_manager_is_connecting   (NbMcpManager *self);
void          nb_mcp_manager_shutdown        (NbMcpManager *self);
gboolean      nb_mcp_manager_reconfigure     (NbMcpManager *self,
                                              JsonObject   *servers);
void          nb_mcp_manager_warn_on_stderr  (NbMcpManager *self);

/* Whether a tools.mcpServers entry is turned off ("disabled": true). */
gboolean      nb_mcp_manager_config_is_disabled (JsonObject *server);

G_END_DECLS
