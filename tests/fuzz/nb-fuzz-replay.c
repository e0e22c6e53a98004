/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A main() for the fuzz targets without libFuzzer: runs the target on
 * every file named on the command line or inside a folder named there.
 * The normal test run replays each target's seed corpus (and the inputs
 * of past findings) this way, under ASan and UBSan with leak checking.
 */
#include "config.h"

#include <stdio.h>

#include "nb-fuzz.h"

static guint n_inputs;

static void
replay (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      g_assert_no_error (error);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        replay (names->pdata[i]);
      return;
    }
  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
  n_inputs++;
}

int
main (int   argc,
      char *argv[])
{
  for (int i = 1; i < argc; i++)
    replay (argv[i]);
  printf ("1..1\nok 1 - %u inputs replayed\n", n_inputs);
  return n_inputs > 0 ? 0 : 1;
}
