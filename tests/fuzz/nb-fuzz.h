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

static char *nb_fuzz_dir;

static void
nb_fuzz_empty (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        {
          nb_fuzz_empty (path);
          g_rmdir (path);
        }
      else
        g_unlink (path);
    }
}

/* Empties the temporary folder: every input starts from nothing. */
static inline void
nb_fuzz_clean (void)
{
  if (nb_fuzz_dir != NULL)
    nb_fuzz_empty (nb_fuzz_dir);
}

static void
nb_fuzz_remove_dir (void)
{
  nb_fuzz_clean ();
  g_rmdir (nb_fuzz_dir);
}

/* Call first in every LLVMFuzzerTestOneInput; returns the temporary
 * folder, made once per process. */
static inline const char *
nb_fuzz_init (void)
{
  if (nb_fuzz_dir == NULL)
    {
      g_setenv ("LC_ALL", "C.UTF-8", TRUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
      g_log_set_default_handler (nb_fuzz_log, NULL);
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
      nb_fuzz_dir = g_dir_make_tmp ("nb-fuzz-XXXXXX", NULL);
      g_assert (nb_fuzz_dir != NULL);
      atexit (nb_fuzz_remove_dir);
    }
  return nb_fuzz_dir;
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
