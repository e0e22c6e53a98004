/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-path-guard"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb-path-guard.h"

/* The same bound the kernel uses (MAXSYMLINKS). */
#define MAX_SYMLINKS 40

G_DEFINE_QUARK (nb-path-guard-error-quark, nb_path_guard_error)

/**
 * nb_path_guard_expand:
 * @workspace: (nullable): the folder relative paths resolve against
 * @path: a path as the model wrote it
 *
 * Expands a leading "~" or "~/" to the home folder and makes a relative path
 * absolute against @workspace (or the current folder). Nothing is looked up
 * on disk; "~user" is taken as a plain name.
 *
 * Returns: (transfer full): an absolute path
 */
char *
nb_path_guard_expand (const char *workspace,
                      const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (path[0] == '~' && (path[1] == '\0' || path[1] == '/'))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);

  if (g_path_is_absolute (path))
    return g_strdup (path);

  if (workspace != NULL && workspace[0] != '\0')
    {
      g_autofree char *base = nb_path_guard_expand (NULL, workspace);

      return g_build_filename (base, path, NULL);
    }
  else
    {
      g_autofree char *cwd = g_get_current_dir ();

      return g_build_filename (cwd, path, NULL);
    }
}

static char *
join_parts (GPtrArray *parts)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < parts->len; i++)
    {
      g_string_append_c (out, '/');
      g_string_append (out, g_ptr_array_index (parts, i));
    }
  if (out->len == 0)
    g_string_append_c (out, '/');
  return g_string_free (out, FALSE);
}

static void
push_front_components (GQueue     *pending,
                       const char *path)
{
  g_auto(GStrv) split = g_strsplit (path, "/", -1);
  guint n = g_strv_length (split);

  for (guint i = n; i > 0; i--)
    if (split[i - 1][0] != '\0')
      g_queue_push_head (pending, g_strdup (split[i - 1]));
}

/**
 * nb_path_guard_canonicalize:
 * @absolute_path: an absolute path
 * @follow_last: whether a symbolic link in the last component is followed
 * @error: set when links loop
 *
 * Like realpath(3) for the part of the path that exists, and lexical for the
 * rest: every existing component is checked with lstat() and symbolic links
 * are followed (also behind a ".."), so the result has no link in it except
 * possibly the last component when @follow_last is %FALSE. Components that do
 * not exist are kept as written, with "." and ".." applied.
 *
 * Returns: (transfer full): the canonical path, or %NULL with @error set
 */
char *
nb_path_guard_canonicalize (const char  *absolute_path,
                            gboolean     follow_last,
                            GError     **error)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  GQueue pending = G_QUEUE_INIT;
  guint links = 0;
  char *comp;

  g_return_val_if_fail (absolute_path != NULL && absolute_path[0] == '/', NULL);

  push_front_components (&pending, absolute_path);

  while ((comp = g_queue_pop_head (&pending)) != NULL)
    {
      g_autofree char *current = NULL;
      struct stat st;
      gboolean is_last;

      if (g_str_equal (comp, "."))
        {
          g_free (comp);
          continue;
        }
      if (g_str_equal (comp, ".."))
        {
          g_free (comp);
          if (parts->len > 0)
            g_ptr_array_remove_index (parts, parts->len - 1);
          continue;
        }

      g_ptr_array_add (parts, comp);
      is_last = g_queue_is_empty (&pending);
      current = join_parts (parts);

      /* A component that is missing (or unreadable) stays as written; a
       * later ".." may climb back to existing ones, which are checked again. */
      if (lstat (current, &st) != 0 || !S_ISLNK (st.st_mode))
        continue;
      if (is_last && !follow_last)
        continue;

      if (++links > MAX_SYMLINKS)
        {
          g_queue_clear_full (&pending, g_free);
          g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_LOOP,
                       "Too many levels of symbolic links in %s", absolute_path);
          return NULL;
        }

      {
        g_autofree char *target = g_file_read_link (current, NULL);

        g_ptr_array_remove_index (parts, parts->len - 1);
        if (target == NULL)
          continue;
        if (target[0] == '/')
          g_ptr_array_set_size (parts, 0);
        push_front_components (&pending, target);
      }
    }

  return join_parts (parts);
}

/**
 * nb_path_guard_is_inside:
 * @root: a canonical folder
 * @path: a canonical path
 *
 * Returns: whether @path is @root or below it
 */
gboolean
nb_path_guard_is_inside (const char *root,
                         const char *path)
{
  gsize len;

  g_return_val_if_fail (root != NULL && path != NULL, FALSE);

  len = strlen (root);
  while (len > 1 && root[len - 1] == '/')
    len--;
  if (len == 1 && root[0] == '/')
    return TRUE;
  return strncmp (root, path, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/**
 * nb_path_guard_resolve:
 * @workspace: (nullable): the workspace folder
 * @restrict_to_workspace: whether paths outside @workspace are refused
 * @path: the path the model gave
 * @follow_last: whether a symbolic link in the last component is followed
 * @error: set when the path is refused
 *
 * Resolves @path as the file tools use it: "~" expanded, relative to the
 * workspace, symbolic links followed. With @restrict_to_workspace the result
 * must lie inside the (equally resolved) workspace.
 *
 * Returns: (transfer full): the canonical path, or %NULL with @error set
 */
char *
nb_path_guard_resolve (const char  *workspace,
                       gboolean     restrict_to_workspace,
                       const char  *path,
                       gboolean     follow_last,
                       GError     **error)
{
  return nb_path_guard_resolve_with_root (workspace, restrict_to_workspace, path, follow_last,
                                          NULL, error);
}

/**
 * nb_path_guard_resolve_with_root:
 * @root: (out) (optional): the canonical workspace when the path had to
 *   lie inside it, else %NULL
 *
 * nb_path_guard_resolve(), also giving the canonical workspace it checked
 * against (so that callers do not resolve it a second time).
 *
 * Returns: (transfer full): the canonical path, or %NULL with @error set
 */
char *
nb_path_guard_resolve_with_root (const char  *workspace,
                                 gboolean     restrict_to_workspace,
                                 const char  *path,
                                 gboolean     follow_last,
                                 char       **root,
                                 GError     **error)
{
  g_autofree char *absolute = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *root_abs = NULL;
  g_autofree char *canonical_root = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (root != NULL)
    *root = NULL;
  absolute = nb_path_guard_expand (workspace, path);
  resolved = nb_path_guard_canonicalize (absolute, follow_last, error);
  if (resolved == NULL)
    return NULL;

  if (!restrict_to_workspace || workspace == NULL || workspace[0] == '\0')
    return g_steal_pointer (&resolved);

  root_abs = nb_path_guard_expand (NULL, workspace);
  canonical_root = nb_path_guard_canonicalize (root_abs, TRUE, error);
  if (canonical_root == NULL)
    return NULL;

  if (!nb_path_guard_is_inside (canonical_root, resolved))
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_OUTSIDE,
                   "Path %s is outside allowed directory %s", path, workspace);
      return NULL;
    }
  if (root != NULL)
    *root = g_steal_pointer (&canonical_root);
  return g_steal_pointer (&resolved);
}
