/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What every fuzz target shares: libFuzzer's entry point, a GLib log
 * handler that makes criticals (a g_return_if_fail() that fired, a bug)
 * abort and keeps everything else quiet, and a private temporary folder
 * for the targets that load files.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <glib.h>
#include <glib/gstdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
nb_fuzz_log (const char     *domain,
             GLogLevelFlags  level,
             const char     *message,
             gpointer        user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      g_printerr ("%s: %s\n", domain != NULL ? domain : "", message);
      abort ();
    }
}

/* Call first in every LLVMFuzzerTestOneInput; returns the temporary
 * folder, made once per process. */
static inline const char *
nb_fuzz_init (void)
{
  static char *dir;

  if (dir == NULL)
    {
      g_setenv ("LC_ALL", "C.UTF-8", TRUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
      g_log_set_default_handler (nb_fuzz_log, NULL);
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
      dir = g_dir_make_tmp ("nb-fuzz-XXXXXX", NULL);
      g_assert (dir != NULL);
    }
  return dir;
}

/* Writes @data to @path; aborts when it cannot. */
static inline void
nb_fuzz_write (const char    *path,
               const uint8_t *data,
               size_t         size)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) data, size, &error))
    g_error ("%s", error->message);
}
