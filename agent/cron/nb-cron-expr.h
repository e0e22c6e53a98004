/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A five-field cron expression ("minute hour day-of-month month
 * day-of-week"): *, numbers, ranges (1-5), lists (1,3,5), steps (0-59/15,
 * 8-18/2), month names (jan-dec) and day names (sun-sat, 0 or 7 for
 * Sunday). When both day fields are restricted, a day matching either
 * runs, as in Vixie cron.
 */
typedef struct _NbCronExpr NbCronExpr;

NbCronExpr *nb_cron_expr_parse      (const char  *text,
                                     GError     **error);
void        nb_cron_expr_free       (NbCronExpr  *self);

/* The first run strictly after @after_ms (Unix milliseconds), with the
 * fields read as wall-clock time in @tz. A wall-clock time that occurs
 * twice (clocks go back) runs at its first occurrence only; one that does
 * not occur (clocks go forward) runs once, when the gap ends. Returns -1
 * when there is none within five years (e.g. "0 0 30 2 *"). */
gint64      nb_cron_expr_next       (const NbCronExpr *self,
                                     GTimeZone        *tz,
                                     gint64            after_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbCronExpr, nb_cron_expr_free)

G_END_DECLS
