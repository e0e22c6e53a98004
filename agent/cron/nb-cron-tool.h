/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-cron-service.h"
#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_CRON_TOOL (nb_cron_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbCronTool, nb_cron_tool, NB, CRON_TOOL, NbTool)

/* `cron`: add, list and remove scheduled jobs of @service, with the
 * Python nanobot's parameters and texts. */
NbTool *nb_cron_tool_new (NbCronService *service);

/* The IANA name of the local time zone, or "UTC" when it has none. */
char   *nb_cron_dup_local_timezone (void);

G_END_DECLS
