/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-file-replace.h"

typedef struct
{
  char   *path;
  GBytes *bytes;
} ReplaceData;

static void
replace_data_free (ReplaceData *data)
{
  g_free (data->path);
  g_bytes_unref (data->bytes);
  g_free (data);
}

static void
replace_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ReplaceData *data = task_data;
  g_autofree char *dir = g_path_get_dirname (data->path);
  GError *error = NULL;
  gsize length;
  const char *contents = g_bytes_get_data (data->bytes, &length);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Could not create %s: %s", dir, g_strerror (saved_errno));
      return;
    }
  if (!g_file_set_contents_full (data->path, contents != NULL ? contents : "", length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
nb_file_replace_async (const char          *path,
                       GBytes              *bytes,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ReplaceData *data = g_new0 (ReplaceData, 1);

  g_return_if_fail (path != NULL);
  g_return_if_fail (bytes != NULL);

  g_task_set_source_tag (task, nb_file_replace_async);
  data->path = g_strdup (path);
  data->bytes = g_bytes_ref (bytes);
  g_task_set_task_data (task, data, (GDestroyNotify) replace_data_free);
  g_task_run_in_thread (task, replace_thread);
}

gboolean
nb_file_replace_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
