/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_MESSAGE_TOOL (nb_message_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbMessageTool, nb_message_tool, NB, MESSAGE_TOOL, NbTool)

NbTool *nb_message_tool_new (void);

G_END_DECLS
