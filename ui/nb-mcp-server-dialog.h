/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NB_TYPE_MCP_SERVER_DIALOG (nb_mcp_server_dialog_get_type ())
G_DECLARE_FINAL_TYPE (NbMcpServerDialog, nb_mcp_server_dialog, NB, MCP_SERVER_DIALOG, AdwMessageDialog)

/* Adding (@name NULL) or editing a tools.mcpServers entry: a command with
 * arguments and environment (stdio), or a URL with headers (HTTP), and
 * the tool time limit. Emits ::save (old name or NULL, new name, the
 * entry as a JsonNode that keeps the members this dialog does not show). */
NbMcpServerDialog *nb_mcp_server_dialog_new     (GtkWindow         *parent,
                                                 const char        *name,
                                                 JsonObject        *config);
/* The entry as filled in, or NULL with @error saying what is wrong. */
JsonNode          *nb_mcp_server_dialog_build   (NbMcpServerDialog *self,
                                                 char             **name,
                                                 GError           **error);

G_END_DECLS
