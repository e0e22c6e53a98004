/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_SPAWN_TOOL (nb_spawn_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbSpawnTool, nb_spawn_tool, NB, SPAWN_TOOL, NbTool)

NbTool *nb_spawn_tool_new (void);

G_END_DECLS
