/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-import-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config.h"
#include "nb-import-cli.h"
#include "nb-python-import.h"

/*
 * The printer of nb_python_import_async(): one line per conversation,
 * grouped by what happened, then a summary. Imported keys go to stdout
 * (a script can read them), skipped and failed ones to stderr.
 */

typedef struct {
  GMainLoop            *loop;
  NbPythonImportResult *result;
  GError               *error;
} ImportRun;

static void
imported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ImportRun *run = user_data;

  run->result = nb_python_import_finish (result, &run->error);
  g_main_loop_quit (run->loop);
}

int
nb_import_cli_run (const char *python_dir)
{
  g_autofree char *data_dir = nb_config_get_data_dir ();
  g_autofree char *sessions_dir = g_build_filename (data_dir, "sessions", NULL);
  g_autofree char *default_dir = NULL;
  g_autofree char *shown_from = NULL;
  g_autofree char *shown_to = g_filename_display_name (sessions_dir);
  ImportRun run = { 0 };
  NbPythonImportResult *result;
  int status;

  if (python_dir == NULL)
    python_dir = default_dir = nb_python_import_default_dir ();
  shown_from = g_filename_display_name (python_dir);

  run.loop = g_main_loop_new (NULL, FALSE);
  nb_python_import_async (python_dir, sessions_dir, NB_PYTHON_IMPORT_FLAGS_NONE, NULL, imported_cb, &run);
  g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);

  if (run.result == NULL)
    {
      g_printerr ("nanobot: %s\n", run.error->message);
      status = g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? 2 : 1;
      g_error_free (run.error);
      return status;
    }
  result = run.result;

  if (result->items->len == 0)
    {
      g_print (_("No Python nanobot conversations found in %s.\n"), shown_from);
      nb_python_import_result_free (result);
      return 0;
    }

  for (guint i = 0; i < result->items->len; i++)
    {
      NbPythonImportItem *item = g_ptr_array_index (result->items, i);

      switch (item->status)
        {
        case NB_PYTHON_IMPORT_IMPORTED:
          g_print (_("imported %s\n"), item->key);
          break;
        case NB_PYTHON_IMPORT_EXISTS:
          g_printerr (_("skipped %s: Nanobot already has this conversation\n"), item->key);
          break;
        case NB_PYTHON_IMPORT_DUPLICATE:
          {
            g_autofree char *source = g_filename_display_name (item->source);

            g_printerr (_("skipped %s in %s: a newer file of this conversation was taken\n"),
                        item->key, source);
          }
          break;
        case NB_PYTHON_IMPORT_FAILED:
        default:
          g_printerr (_("failed %s: %s\n"), item->key != NULL ? item->key : item->source, item->message);
          break;
        }
    }

  /* Translators: the counts of conversations, then the two folders */
  g_print (_("%u imported, %u skipped, %u failed (from %s into %s)\n"),
           result->n_imported, result->n_skipped, result->n_failed, shown_from, shown_to);
  status = result->n_failed > 0 ? 1 : 0;
  nb_python_import_result_free (result);
  return status;
}
