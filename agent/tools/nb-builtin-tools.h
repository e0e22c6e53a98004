/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-config.h"
#include "nb-tool.h"

G_BEGIN_DECLS

GPtrArray *nb_builtin_tools_new (NbConfig *config);

G_END_DECLS
