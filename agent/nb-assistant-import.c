/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include "nb-assistant-private.h"

/*
 * The Python nanobot's conversations into this assistant's sessions
 * folder (session/nb-python-import.c does the work in a worker thread),
 * for a front end such as the first-run onboarding. The conversations
 * model shows the new ones at once instead of after its monitor's delay.
 */

static void
imported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  NbPythonImportFlags flags = GPOINTER_TO_UINT (g_task_get_task_data (task));
  GError *error = NULL;
  NbPythonImportResult *imported = nb_python_import_finish (result, &error);

  if (imported == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->conversations != NULL && (flags & NB_PYTHON_IMPORT_FLAGS_DRY_RUN) == 0)
    for (guint i = 0; i < imported->items->len; i++)
      {
        NbPythonImportItem *item = g_ptr_array_index (imported->items, i);

        if (item->status == NB_PYTHON_IMPORT_IMPORTED)
          nb_conversation_list_refresh_path (self->conversations, item->destination);
      }
  g_task_return_pointer (task, imported, (GDestroyNotify) nb_python_import_result_free);
}

/**
 * nb_assistant_import_python_async:
 * @python_dir: (nullable): the Python nanobot's folder; %NULL for ~/.nanobot
 * @flags: %NB_PYTHON_IMPORT_FLAGS_DRY_RUN to find out what would be
 *   imported (e.g. to offer it) without copying
 *
 * nb_python_import_async() into this assistant's sessions folder: every
 * Python session whose key is not here yet is copied byte for byte; the
 * Python folder is only read.
 */
void
nb_assistant_import_python_async (NbAssistant          *self,
                                  const char           *python_dir,
                                  NbPythonImportFlags   flags,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_ASSISTANT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_import_python_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (flags), NULL);
  nb_python_import_async (python_dir, self->sessions_dir, flags, cancellable,
                          imported_cb, g_steal_pointer (&task));
}

/**
 * nb_assistant_import_python_finish:
 *
 * Returns: (transfer full): what happened to each Python session, or
 *   %NULL with @error set (%G_IO_ERROR_NOT_FOUND when the folder is not
 *   there: no Python nanobot was used)
 */
NbPythonImportResult *
nb_assistant_import_python_finish (NbAssistant   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
