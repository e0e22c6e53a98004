/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The lines benchmarks print for build-aux/bench's table: one row per
 * measure, what Nanobot does beside what the Python nanobot-redux's
 * design does, reproduced in the same program on the same machine.
 *
 *   @table<TAB>ID<TAB>MEASURE<TAB>NANOBOT<TAB>REDUX<TAB>RATIO
 *   @figure<TAB>MEASURE<TAB>VALUE
 *
 * Wall-clock figures are "min / median" of at least five runs.
 */

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

static inline int
nb_bench_compare_double (const void *a,
                         const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Sorts @values in place; the minimum and the median. */
static inline void
nb_bench_min_median (double *values,
                     guint   n,
                     double *min,
                     double *median)
{
  qsort (values, n, sizeof (double), nb_bench_compare_double);
  *min = values[0];
  *median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static inline void
nb_bench_table_row (const char *id,
                    const char *measure,
                    const char *nanobot,
                    const char *redux,
                    const char *ratio)
{
  printf ("@table\t%s\t%s\t%s\t%s\t%s\n", id, measure, nanobot, redux, ratio);
  fflush (stdout);
}

static inline void
nb_bench_figure (const char *measure,
                 const char *value)
{
  printf ("@figure\t%s\t%s\n", measure, value);
  fflush (stdout);
}

/* "N×" for redux / nanobot, or "∞" when Nanobot's figure is zero. */
static inline char *
nb_bench_ratio (double nanobot,
                double redux)
{
  if (nanobot <= 0)
    return g_strdup (redux > 0 ? "∞ (none vs some)" : "1×");
  return g_strdup_printf ("%.1f×", redux / nanobot);
}
