/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cached system prompt (B2): a workspace with 6 bootstrap files
 * (AGENTS, SOUL, USER, TOOLS, IDENTITY, MEMORY) and 50 skills. Prints the
 * time of a cold build, of a rebuild after invalidate(), and of serving
 * the prompt again with nothing changed, and shows that the cached path
 * reads no file: the context's own read counter, and the kernel's count
 * of bytes read by this process (/proc/self/io rchar, no LD_PRELOAD)
 * and of open descriptors. Fails when the cached path reads anything or
 * takes over 20 µs.
 *
 * The redux design for the table: the prompt rebuilt from the workspace
 * on every LLM call (invalidate, then build), files opened and bytes read
 * per call, and the time per call (min / median of 5 rounds).
 */

#define REDUX_CALLS 200
#include "config.h"

#include <stdio.h>

#include "nb-context-builder.h"
#include "nb-workspace-private.h"
#include "../nb-test-util.h"
#include "nb-bench-table.h"

#define CACHED_CALLS 200000
#define LIMIT_US     20.0

static gint64
proc_io (const char *field)
{
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/self/io", &text, NULL, NULL))
    return -1;
  at = strstr (text, field);
  return at != NULL ? g_ascii_strtoll (at + strlen (field) + 2, NULL, 10) : -1;
}

static guint
count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *workspace = nb_test_make_tmpdir ();
  g_autoptr(NbContextBuilder) builder = NULL;
  g_autofree char *first = NULL;
  static const char * const files[] = { "AGENTS.md", "SOUL.md", "USER.md", "TOOLS.md", "IDENTITY.md", "memory/MEMORY.md" };
  gint64 start, rchar_before, rchar_after, rchar_overhead;
  double cold_us, rebuild_us, cached_us, best_us = G_MAXDOUBLE;
  guint reads_before, fds_before, fds_after;
  gboolean ok = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (workspace, files[i], NULL);
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint j = 0; j < 40; j++)
        g_string_append_printf (text, "- %s line %u: some guidance text for the assistant to follow.\n", files[i], j);
      nb_test_write_file (path, text->str);
    }
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/skills/skill-%02u/SKILL.md", workspace, i);
      g_autofree char *text = g_strdup_printf ("---\nname: skill-%02u\ndescription: Skill number %u does a thing\n"
                                               "metadata: {\"nanobot\": {\"requires\": {\"bins\": [\"sh\"], \"env\": [\"HOME\"]}, \"always\": %s}}\n"
                                               "---\n\n# Skill %u\n\nDo the thing step by step.\n",
                                               i, i, i < 2 ? "true" : "false", i);

      nb_test_write_file (path, text);
    }

  start = g_get_monotonic_time ();
  builder = nb_context_builder_new (workspace);
  first = g_strdup (nb_context_builder_get_system_prompt (builder));
  cold_us = g_get_monotonic_time () - start;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 100; i++)
    {
      nb_context_builder_invalidate (builder);
      nb_context_builder_get_system_prompt (builder);
    }
  rebuild_us = (g_get_monotonic_time () - start) / 100.0;

  /* The overhead of reading /proc/self/io itself. */
  rchar_before = proc_io ("rchar");
  rchar_after = proc_io ("rchar");
  rchar_overhead = rchar_after - rchar_before;

  reads_before = nb_workspace_get_read_count ();
  fds_before = count_fds ();
  rchar_before = proc_io ("rchar");
  for (guint round = 0; round < 5; round++)
    {
      start = g_get_monotonic_time ();
      for (guint i = 0; i < CACHED_CALLS; i++)
        if (nb_context_builder_get_system_prompt (builder)[0] != '#')
          ok = FALSE;
      cached_us = (double) (g_get_monotonic_time () - start) / CACHED_CALLS;
      best_us = MIN (best_us, cached_us);
    }
  rchar_after = proc_io ("rchar");
  fds_after = count_fds ();

  printf ("system prompt: %zu bytes, 6 bootstrap files, 50 skills\n", strlen (first));
  printf ("cold build (workspace check + first prompt): %.0f us\n", cold_us);
  printf ("rebuild after invalidate: %.0f us\n", rebuild_us);
  printf ("cached prompt, nothing changed: %.3f us per call (best of 5 x %u calls)\n", best_us, CACHED_CALLS);
  printf ("files read by the context during %u cached calls: %u\n", 5 * CACHED_CALLS,
          nb_workspace_get_read_count () - reads_before);
  printf ("bytes read by the process during them (/proc/self/io rchar, less its own read): %" G_GINT64_FORMAT "\n",
          rchar_after - rchar_before - rchar_overhead);
  printf ("open descriptors before/after: %u/%u\n", fds_before, fds_after);
  printf ("prompt unchanged across calls: %s\n",
          g_str_equal (first, nb_context_builder_get_system_prompt (builder)) ? "yes" : "NO");

  if (nb_workspace_get_read_count () != reads_before || rchar_after - rchar_before - rchar_overhead != 0 ||
      fds_before != fds_after || best_us > LIMIT_US || !ok ||
      !g_str_equal (first, nb_context_builder_get_system_prompt (builder)))
    {
      printf ("FAILED: the cached path must read nothing and take at most %.0f us\n", LIMIT_US);
      return 1;
    }

  {
    double redux_us[5], cached[5], r_min, r_med, c_min, c_med;
    guint files_before = nb_workspace_get_read_count ();
    gint64 bytes_before = proc_io ("rchar");
    double files_per_call, bytes_per_call;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    g_autofree char *ratio = NULL;

    for (guint round = 0; round < 5; round++)
      {
        start = g_get_monotonic_time ();
        for (guint i = 0; i < REDUX_CALLS; i++)
          {
            nb_context_builder_invalidate (builder);
            nb_context_builder_get_system_prompt (builder);
          }
        redux_us[round] = (double) (g_get_monotonic_time () - start) / REDUX_CALLS;
      }
    files_per_call = (double) (nb_workspace_get_read_count () - files_before) / (5 * REDUX_CALLS);
    bytes_per_call = (double) (proc_io ("rchar") - bytes_before - rchar_overhead) / (5 * REDUX_CALLS);
    for (guint round = 0; round < 5; round++)
      {
        start = g_get_monotonic_time ();
        for (guint i = 0; i < CACHED_CALLS; i++)
          nb_context_builder_get_system_prompt (builder);
        cached[round] = (double) (g_get_monotonic_time () - start) / CACHED_CALLS;
      }
    nb_bench_min_median (redux_us, 5, &r_min, &r_med);
    nb_bench_min_median (cached, 5, &c_min, &c_med);
    printf ("rebuilt from disk on every call (the redux way): %.1f files, %.0f bytes read per call; "
            "%.0f / %.0f us per call (min / median)\n", files_per_call, bytes_per_call, r_min, r_med);

    a = g_strdup_printf ("0 files, 0 B");
    b = g_strdup_printf ("%.0f files, %.0f KB", files_per_call, bytes_per_call / 1024);
    nb_bench_table_row ("B2", "system prompt per LLM call (6 bootstrap files, 50 skills): files read, bytes read",
                        a, b, "∞ (none vs some)");
    g_clear_pointer (&a, g_free);
    g_clear_pointer (&b, g_free);
    a = g_strdup_printf ("%.3f / %.3f µs", c_min, c_med);
    b = g_strdup_printf ("%.0f / %.0f µs", r_min, r_med);
    ratio = nb_bench_ratio (c_med, r_med);
    nb_bench_table_row ("B2", "system prompt per LLM call: time, min / median of 5 rounds", a, b, ratio);
  }

  g_clear_object (&builder);
  nb_test_rm_rf (workspace);
  return 0;
}
