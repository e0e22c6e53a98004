/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where the agent's data lives in the GResource compiled into the library. */
#define NB_AGENT_RESOURCE_PATH "/io/github/nanobot/Nanobot/agent"

/* The bootstrap files of the system prompt, in prompt order. */
#define NB_WORKSPACE_BOOTSTRAP_FILES "AGENTS.md", "SOUL.md", "USER.md", "TOOLS.md", "IDENTITY.md"

void     nb_workspace_register_resources (void);
gboolean nb_workspace_ensure             (const char  *workspace,
                                          GError     **error);

G_END_DECLS
