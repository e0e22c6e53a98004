/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_EXEC_TOOL (nb_exec_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbExecTool, nb_exec_tool, NB, EXEC_TOOL, NbTool)

/* Output longer than this many characters is cut, with a note. */
#define NB_EXEC_MAX_OUTPUT_CHARS 10000

NbTool *nb_exec_tool_new           (const char *workspace,
                                    gboolean    restrict_to_workspace,
                                    guint       timeout_seconds);

char   *nb_exec_tool_guard_command (const char *command,
                                    const char *cwd,
                                    const char *workspace,
                                    gboolean    restrict_to_workspace);

G_END_DECLS
