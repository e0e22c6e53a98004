/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-workspace"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nb-agent-resources.h"
#include "nb-file-util.h"
#include "nb-workspace.h"
#include "nb-workspace-private.h"

/*
 * The workspace is the agent's own folder: bootstrap files that make up the
 * system prompt, memory/ and skills/. On first run it is filled from the
 * templates in data/workspace/, compiled into the library; files that exist
 * are never touched, so the user's edits always win.
 */

/**
 * nb_workspace_register_resources:
 *
 * Registers the agent library's GResource (templates, built-in skills).
 * The linker drops an unreferenced resource object from a static library,
 * so everything that reads it calls this first. Safe to call often.
 */
void
nb_workspace_register_resources (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      g_resources_register (nb_agent_get_resource ());
      g_once_init_leave (&registered, 1);
    }
}

static gboolean
copy_missing (const char  *resource_dir,
              const char  *target_dir,
              GError     **error)
{
  g_auto(GStrv) children = NULL;

  children = g_resources_enumerate_children (resource_dir, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (children == NULL)
    return FALSE;

  if (g_mkdir_with_parents (target_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", target_dir, g_strerror (saved_errno));
      return FALSE;
    }

  for (guint i = 0; children[i] != NULL; i++)
    {
      const char *name = children[i];
      g_autofree char *resource = g_strconcat (resource_dir, "/", name, NULL);
      g_autofree char *target = NULL;

      if (g_str_has_suffix (name, "/"))
        {
          g_autofree char *dir_name = g_strndup (name, strlen (name) - 1);

          target = g_build_filename (target_dir, dir_name, NULL);
          resource[strlen (resource) - 1] = '\0';
          if (!copy_missing (resource, target, error))
            return FALSE;
        }
      else
        {
          g_autoptr(GBytes) bytes = NULL;
          g_autoptr(GFile) file = NULL;
          g_autoptr(GFileOutputStream) out = NULL;
          g_autoptr(GError) local_error = NULL;
          gsize size;
          const char *data;

          target = g_build_filename (target_dir, name, NULL);
          file = g_file_new_for_path (target);
          /* Create-only: a file that exists, even empty, is the user's. */
          out = g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, &local_error);
          if (out == NULL)
            {
              if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
                continue;
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          "Could not create %s: ", target);
              return FALSE;
            }

          bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
          if (bytes == NULL)
            return FALSE;
          data = g_bytes_get_data (bytes, &size);
          if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), data, size, NULL, NULL, &local_error) ||
              !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &local_error))
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          "Could not write %s: ", target);
              return FALSE;
            }
          g_info ("Created %s", target);
        }
    }
  return TRUE;
}

/**
 * nb_workspace_ensure:
 * @workspace: the workspace folder
 *
 * Creates the workspace and whatever of its bootstrap files, memory/ and
 * skills/ is missing. Never overwrites.
 *
 * Returns: %FALSE with @error set when something could not be created
 */
gboolean
nb_workspace_ensure (const char  *workspace,
                     GError     **error)
{
  g_autofree char *skills = NULL;

  g_return_val_if_fail (workspace != NULL, FALSE);

  nb_workspace_register_resources ();

  if (!copy_missing (NB_AGENT_RESOURCE_PATH "/workspace", workspace, error))
    return FALSE;

  skills = g_build_filename (workspace, "skills", NULL);
  if (g_mkdir_with_parents (skills, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", skills, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static guint read_count;

/* Reads a workspace file for the context; counts the reads (tests). A FIFO
 * would block the read until someone writes into it; a file of gigabytes
 * would be loaded whole into the prompt: nb_file_read_bounded() refuses
 * both. */
gboolean
nb_workspace_read_file (const char  *path,
                        char       **contents,
                        GError     **error)
{
  gsize length = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  g_atomic_int_inc (&read_count);
  if (!nb_file_read_bounded (path, NB_FILE_MAX_WORKSPACE, contents, &length, error))
    return FALSE;
  /* A NUL would silently cut the text where C strings end. */
  if (memchr (*contents, '\0', length) != NULL)
    {
      g_clear_pointer (contents, g_free);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s contains a NUL byte (binary data, not text)", path);
      return FALSE;
    }
  return TRUE;
}

guint
nb_workspace_get_read_count (void)
{
  return g_atomic_int_get (&read_count);
}
