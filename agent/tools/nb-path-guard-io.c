/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "nb-path-guard"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <linux/openat2.h>
#endif

#include "nb-path-guard.h"

/*
 * Where a path is opened from: the workspace's descriptor and the path
 * relative to it when restricted, else the current folder and the absolute
 * path. The canonical path is kept for messages.
 */
typedef struct
{
  int       dir_fd;
  char     *relative;
  char     *resolved;
  gboolean  beneath;
} Place;

static void
place_clear (Place *place)
{
  if (place->dir_fd >= 0)
    close (place->dir_fd);
  place->dir_fd = -1;
  g_clear_pointer (&place->relative, g_free);
  g_clear_pointer (&place->resolved, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Place, place_clear)

static void (*test_hook) (const char *resolved, gpointer data);
static gpointer test_hook_data;

/**
 * nb_path_guard_set_test_hook:
 * @hook: (nullable): called between the check and the open
 * @data: for @hook
 *
 * Lets a test change the file system at the moment an attacker would.
 */
void
nb_path_guard_set_test_hook (void   (*hook) (const char *resolved,
                                             gpointer    data),
                             gpointer data)
{
  test_hook = hook;
  test_hook_data = data;
}

static int
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *path,
                 const char  *workspace)
{
  switch (saved_errno)
    {
    case ENOENT:
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_FOUND,
                   "%s does not exist", path);
      break;
    case EXDEV:
    case ELOOP:
      /* openat2 refused a step that led outside, or a /proc magic link. */
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_OUTSIDE,
                   "Path %s is outside allowed directory %s", path, workspace);
      break;
    case ENOTDIR:
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_DIRECTORY,
                   "%s is not a directory", path);
      break;
    case EISDIR:
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_IS_DIRECTORY,
                   "%s is a directory", path);
      break;
    default:
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_FAILED,
                   "%s: %s", path, g_strerror (saved_errno));
      break;
    }
  return -1;
}

static gboolean
locate (const char  *workspace,
        gboolean     restrict_to_workspace,
        const char  *path,
        gboolean     follow_last,
        Place       *place,
        GError     **error)
{
  g_autofree char *root = NULL;

  place->dir_fd = -1;
  place->resolved = nb_path_guard_resolve_with_root (workspace, restrict_to_workspace, path,
                                                     follow_last, &root, error);
  if (place->resolved == NULL)
    return FALSE;

  if (root != NULL)
    {
      const char *rest;

      place->dir_fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (place->dir_fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_FAILED,
                       "The workspace %s cannot be opened: %s", workspace, g_strerror (saved_errno));
          return FALSE;
        }
      rest = place->resolved + strlen (root);
      while (*rest == '/')
        rest++;
      place->relative = g_strdup (*rest != '\0' ? rest : ".");
      place->beneath = TRUE;
    }
  else
    {
      place->dir_fd = -1;
      place->relative = g_strdup (place->resolved);
      place->beneath = FALSE;
    }

  if (test_hook != NULL)
    test_hook (place->resolved, test_hook_data);
  return TRUE;
}

/* openat2 beneath the place's folder; plain openat where the kernel has no
 * openat2 (before 5.6, or a seccomp filter), with the lexical check only. */
static int
open_at (int         dir_fd,
         const char *relative,
         int         flags,
         mode_t      mode,
         gboolean    beneath)
{
  int base = dir_fd >= 0 ? dir_fd : AT_FDCWD;
#if defined(__linux__) && defined(SYS_openat2)
  static gboolean no_openat2;

  if (!no_openat2)
    {
      struct open_how how = { 0, };
      int fd;

      how.flags = (guint64) (flags | O_CLOEXEC);
      how.mode = (flags & O_CREAT) != 0 ? mode : 0;
      how.resolve = RESOLVE_NO_MAGICLINKS | (beneath ? RESOLVE_BENEATH : 0);
      fd = (int) syscall (SYS_openat2, base, relative, &how, sizeof how);
      if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd;
      no_openat2 = TRUE;
    }
#endif
  return openat (base, relative, flags | O_CLOEXEC, mode);
}

static gboolean
check_links (const struct stat  *st,
             gboolean            restricted,
             const char         *path,
             GError            **error)
{
  if (restricted && S_ISREG (st->st_mode) && st->st_nlink > 1)
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_LINKED,
                   "%s has %u hard links: its other names may be outside the workspace, "
                   "so it is not read or changed while tools are restricted to the workspace",
                   path, (guint) st->st_nlink);
      return FALSE;
    }
  return TRUE;
}

/**
 * nb_path_guard_open:
 * @workspace: (nullable): the workspace folder
 * @restrict_to_workspace: whether the path must stay inside @workspace
 * @path: the path the model gave
 * @flags: open(2) flags (without O_CREAT)
 * @resolved: (out) (optional): the canonical path
 * @error: set on failure
 *
 * Opens @path, following links that stay inside when restricted.
 *
 * Returns: a file descriptor, or -1 with @error set
 */
int
nb_path_guard_open (const char  *workspace,
                    gboolean     restrict_to_workspace,
                    const char  *path,
                    int          flags,
                    char       **resolved,
                    GError     **error)
{
  g_auto(Place) place = { -1, };
  int fd;

  if (!locate (workspace, restrict_to_workspace, path, TRUE, &place, error))
    return -1;
  fd = open_at (place.dir_fd, place.relative, flags | O_NOCTTY, 0, place.beneath);
  if (fd < 0)
    return set_errno_error (error, errno, path, workspace);
  if (resolved != NULL)
    *resolved = g_steal_pointer (&place.resolved);
  return fd;
}

/* Reads the regular file open at @fd whole (closing @fd). */
static gboolean
read_fd (int           fd,
         gboolean      restrict_to_workspace,
         const char   *path,
         const char   *workspace,
         gsize         max_size,
         char        **contents,
         gsize        *length,
         GError      **error)
{
  g_autofree char *buffer = NULL;
  struct stat st;
  gsize got = 0;

  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, path, workspace);
      close (fd);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_REGULAR,
                   "%s is not a regular file", path);
      close (fd);
      return FALSE;
    }
  if (!check_links (&st, restrict_to_workspace, path, error))
    {
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > max_size)
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE,
                   "%s is %" G_GUINT64_FORMAT " bytes, more than %" G_GSIZE_FORMAT,
                   path, (guint64) st.st_size, max_size);
      close (fd);
      return FALSE;
    }

  /* One byte more than allowed tells a file that grew since the fstat. */
  buffer = g_malloc ((gsize) st.st_size + 2);
  while (got <= (gsize) st.st_size)
    {
      ssize_t n = read (fd, buffer + got, (gsize) st.st_size + 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, errno, path, workspace);
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  close (fd);
  if (got > max_size)
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE,
                   "%s grew beyond %" G_GSIZE_FORMAT " bytes while being read", path, max_size);
      return FALSE;
    }

  buffer[got] = '\0';
  *contents = g_steal_pointer (&buffer);
  *length = got;
  return TRUE;
}

/**
 * nb_path_guard_read:
 * @workspace: (nullable): the workspace folder
 * @restrict_to_workspace: whether the path must stay inside @workspace
 * @path: the path the model gave
 * @max_size: larger files are refused
 * @contents: (out): the bytes, NUL-terminated
 * @length: (out): their number
 * @resolved: (out) (optional): the canonical path
 * @error: set on failure
 *
 * Reads a regular file whole. A FIFO or device is refused without waiting.
 *
 * Returns: whether the file was read
 */
gboolean
nb_path_guard_read (const char  *workspace,
                    gboolean     restrict_to_workspace,
                    const char  *path,
                    gsize        max_size,
                    char       **contents,
                    gsize       *length,
                    char       **resolved,
                    GError     **error)
{
  g_autofree char *canonical = NULL;
  int fd;

  fd = nb_path_guard_open (workspace, restrict_to_workspace, path,
                           O_RDONLY | O_NONBLOCK, &canonical, error);
  if (fd < 0)
    return FALSE;
  if (!read_fd (fd, restrict_to_workspace, path, workspace, max_size, contents, length, error))
    return FALSE;
  if (resolved != NULL)
    *resolved = g_steal_pointer (&canonical);
  return TRUE;
}

/**
 * nb_path_guard_read_walked:
 * @dir_fd: a folder the caller walked
 * @relative: a file found beneath it, relative to it
 * @restrict_to_workspace: whether files with other names are refused
 * @max_size: larger files are refused
 * @contents: (out): the bytes, NUL-terminated
 * @length: (out): their number
 * @error: set on failure
 *
 * Reads a file that a walk of @dir_fd found, as the search tools do: the
 * kernel resolves @relative beneath @dir_fd and follows no symbolic link at
 * all, so a folder swapped for a link since the walk saw it is refused.
 *
 * Returns: whether the file was read
 */
gboolean
nb_path_guard_read_walked (int           dir_fd,
                           const char   *relative,
                           gboolean      restrict_to_workspace,
                           gsize         max_size,
                           char        **contents,
                           gsize        *length,
                           GError      **error)
{
  int fd = -1;

#if defined(__linux__) && defined(SYS_openat2)
  {
    struct open_how how = { 0, };

    how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    fd = (int) syscall (SYS_openat2, dir_fd, relative, &how, sizeof how);
    if (fd < 0 && errno != ENOSYS && errno != EPERM)
      {
        set_errno_error (error, errno, relative, "the searched folder");
        return FALSE;
      }
  }
#endif
  if (fd < 0)
    fd = openat (dir_fd, relative, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      set_errno_error (error, errno, relative, "the searched folder");
      return FALSE;
    }
  return read_fd (fd, restrict_to_workspace, relative, NULL, max_size, contents, length, error);
}

/* Opens (and with @create makes) the folder that holds the place's last
 * component, one component at a time beneath the workspace. */
static int
open_parent (Place       *place,
             gboolean     create,
             const char  *path,
             const char  *workspace,
             GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (place->relative);
  g_auto(GStrv) parts = NULL;
  int dir_fd;

  dir_fd = open_at (place->dir_fd, parent, O_PATH | O_DIRECTORY, 0, place->beneath);
  if (dir_fd >= 0 || errno != ENOENT || !create)
    {
      if (dir_fd < 0)
        return set_errno_error (error, errno, path, workspace);
      return dir_fd;
    }

  if (!place->beneath)
    {
      if (g_mkdir_with_parents (parent, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_FAILED,
                       "cannot create %s: %s", parent, g_strerror (saved_errno));
          return -1;
        }
      dir_fd = open_at (-1, parent, O_PATH | O_DIRECTORY, 0, FALSE);
      return dir_fd >= 0 ? dir_fd : set_errno_error (error, errno, path, workspace);
    }

  dir_fd = dup (place->dir_fd);
  parts = g_strsplit (parent, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      int next;

      if (parts[i][0] == '\0' || g_str_equal (parts[i], "."))
        continue;
      next = open_at (dir_fd, parts[i], O_PATH | O_DIRECTORY, 0, TRUE);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (dir_fd, parts[i], 0755) != 0 && errno != EEXIST)
            {
              int saved_errno = errno;

              close (dir_fd);
              g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_FAILED,
                           "cannot create %s: %s", parent, g_strerror (saved_errno));
              return -1;
            }
          next = open_at (dir_fd, parts[i], O_PATH | O_DIRECTORY, 0, TRUE);
        }
      if (next < 0)
        {
          int saved_errno = errno;

          close (dir_fd);
          return set_errno_error (error, saved_errno, path, workspace);
        }
      close (dir_fd);
      dir_fd = next;
    }
  return dir_fd;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/**
 * nb_path_guard_write:
 * @workspace: (nullable): the workspace folder
 * @restrict_to_workspace: whether the path must stay inside @workspace
 * @path: the path the model gave
 * @data: the new contents
 * @length: their size
 * @resolved: (out) (optional): the canonical path
 * @error: set on failure
 *
 * Replaces (or creates, with missing parent folders) a regular file: the
 * bytes go to a temporary file beside it, which is then renamed over it,
 * so a reader never sees half a file and a crash leaves the old one. The
 * file's permissions are kept.
 *
 * Returns: whether the file was written
 */
gboolean
nb_path_guard_write (const char  *workspace,
                     gboolean     restrict_to_workspace,
                     const char  *path,
                     const char  *data,
                     gsize        length,
                     char       **resolved,
                     GError     **error)
{
  g_auto(Place) place = { -1, };
  g_autofree char *name = NULL;
  g_autofree char *tmp_name = NULL;
  struct stat st;
  gboolean exists;
  mode_t mode = 0;
  int dir_fd, fd = -1;
  int saved_errno;

  if (!locate (workspace, restrict_to_workspace, path, TRUE, &place, error))
    return FALSE;
  if (g_str_equal (place.relative, ".") || g_str_equal (place.relative, "/"))
    {
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_IS_DIRECTORY, "%s is a directory", path);
      return FALSE;
    }
  name = g_path_get_basename (place.relative);
  dir_fd = open_parent (&place, TRUE, path, workspace, error);
  if (dir_fd < 0)
    return FALSE;

  exists = fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && S_ISDIR (st.st_mode))
    {
      close (dir_fd);
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_IS_DIRECTORY, "%s is a directory", path);
      return FALSE;
    }
  /* A link here was swapped in after the check: the rename below replaces
   * the link itself, never what it points to. */
  if (exists && !S_ISREG (st.st_mode) && !S_ISLNK (st.st_mode))
    {
      close (dir_fd);
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_REGULAR,
                   "%s is not a regular file", path);
      return FALSE;
    }
  if (exists && !check_links (&st, restrict_to_workspace, path, error))
    {
      close (dir_fd);
      return FALSE;
    }
  if (exists && S_ISREG (st.st_mode))
    mode = st.st_mode & 07777;

  for (guint attempt = 0; attempt < 100 && fd < 0; attempt++)
    {
      g_free (tmp_name);
      tmp_name = g_strdup_printf (".%s.%08x~", name, g_random_int ());
      /* A new file gets 0666 less the umask, as with any program's. */
      fd = openat (dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                   exists ? 0600 : 0666);
      if (fd < 0 && errno != EEXIST)
        break;
    }
  if (fd < 0)
    {
      saved_errno = errno;
      close (dir_fd);
      set_errno_error (error, saved_errno, path, workspace);
      return FALSE;
    }

  if (!write_all (fd, data, length) ||
      (exists && (fchmod (fd, mode) != 0 || fdatasync (fd) != 0)))
    {
      saved_errno = errno;
      close (fd);
      unlinkat (dir_fd, tmp_name, 0);
      close (dir_fd);
      set_errno_error (error, saved_errno, path, workspace);
      return FALSE;
    }
  close (fd);

  if (renameat (dir_fd, tmp_name, dir_fd, name) != 0)
    {
      saved_errno = errno;
      unlinkat (dir_fd, tmp_name, 0);
      close (dir_fd);
      set_errno_error (error, saved_errno, path, workspace);
      return FALSE;
    }
  close (dir_fd);

  if (resolved != NULL)
    *resolved = g_steal_pointer (&place.resolved);
  return TRUE;
}

/**
 * nb_path_guard_unlink:
 * @workspace: (nullable): the workspace folder
 * @restrict_to_workspace: whether the path must stay inside @workspace
 * @path: the path the model gave
 * @resolved: (out) (optional): the canonical path
 * @error: set on failure
 *
 * Deletes a file or a symbolic link (the link, never its target). When
 * restricted, a link that points outside is refused, as is a file with
 * more than one hard link.
 *
 * Returns: whether it was deleted
 */
gboolean
nb_path_guard_unlink (const char  *workspace,
                      gboolean     restrict_to_workspace,
                      const char  *path,
                      char       **resolved,
                      GError     **error)
{
  g_auto(Place) place = { -1, };
  g_autofree char *name = NULL;
  struct stat st;
  int dir_fd;

  if (!locate (workspace, restrict_to_workspace, path, FALSE, &place, error))
    return FALSE;
  name = g_path_get_basename (place.relative);
  dir_fd = open_parent (&place, FALSE, path, workspace, error);
  if (dir_fd < 0)
    return FALSE;

  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    {
      int saved_errno = errno;

      close (dir_fd);
      set_errno_error (error, saved_errno, path, workspace);
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      close (dir_fd);
      g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_REGULAR, "%s is a directory", path);
      return FALSE;
    }
  if (S_ISLNK (st.st_mode) && place.beneath)
    {
      g_autoptr(GError) target_error = NULL;
      g_autofree char *target = nb_path_guard_resolve (workspace, TRUE, path, TRUE, &target_error);

      if (target == NULL)
        {
          close (dir_fd);
          g_set_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_OUTSIDE,
                       "%s is a symbolic link pointing outside allowed directory %s", path, workspace);
          return FALSE;
        }
    }
  if (!check_links (&st, restrict_to_workspace, path, error))
    {
      close (dir_fd);
      return FALSE;
    }
  if (unlinkat (dir_fd, name, 0) != 0)
    {
      int saved_errno = errno;

      close (dir_fd);
      set_errno_error (error, saved_errno, path, workspace);
      return FALSE;
    }
  close (dir_fd);
  if (resolved != NULL)
    *resolved = g_steal_pointer (&place.resolved);
  return TRUE;
}
