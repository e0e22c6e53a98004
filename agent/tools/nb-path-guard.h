/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NB_PATH_GUARD_ERROR (nb_path_guard_error_quark ())

typedef enum {
  NB_PATH_GUARD_ERROR_OUTSIDE,  /* resolves outside the workspace */
  NB_PATH_GUARD_ERROR_LOOP,     /* too many levels of symbolic links */
  NB_PATH_GUARD_ERROR_NOT_FOUND,
  NB_PATH_GUARD_ERROR_NOT_REGULAR,   /* a folder, FIFO, device or socket */
  NB_PATH_GUARD_ERROR_IS_DIRECTORY,
  NB_PATH_GUARD_ERROR_NOT_DIRECTORY,
  NB_PATH_GUARD_ERROR_LINKED,        /* more hard links than one, when restricted */
  NB_PATH_GUARD_ERROR_TOO_LARGE,
  NB_PATH_GUARD_ERROR_FAILED,        /* any other I/O error */
} NbPathGuardError;

GQuark    nb_path_guard_error_quark    (void);

char     *nb_path_guard_expand         (const char  *workspace,
                                        const char  *path);
char     *nb_path_guard_canonicalize   (const char  *absolute_path,
                                        gboolean     follow_last,
                                        GError     **error);
gboolean  nb_path_guard_is_inside      (const char  *root,
                                        const char  *path);
char     *nb_path_guard_resolve        (const char  *workspace,
                                        gboolean     restrict_to_workspace,
                                        const char  *path,
                                        gboolean     follow_last,
                                        GError     **error);
char     *nb_path_guard_resolve_with_root (const char  *workspace,
                                           gboolean     restrict_to_workspace,
                                           const char  *path,
                                           gboolean     follow_last,
                                           char       **root,
                                           GError     **error);

/*
 * The file tools' I/O (nb-path-guard-io.c). Each call resolves @path as
 * nb_path_guard_resolve() does, then, when restricted, opens it with
 * openat2 (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to a
 * descriptor of the workspace: a link swapped in between the check and the
 * use cannot lead outside. When restricted, a regular file with more than
 * one hard link is neither read nor changed (its other name may be outside).
 * These block: call them from a worker thread.
 */
int       nb_path_guard_open           (const char  *workspace,
                                        gboolean     restrict_to_workspace,
                                        const char  *path,
                                        int          flags,
                                        char       **resolved,
                                        GError     **error);
gboolean  nb_path_guard_read           (const char  *workspace,
                                        gboolean     restrict_to_workspace,
                                        const char  *path,
                                        gsize        max_size,
                                        char       **contents,
                                        gsize       *length,
                                        char       **resolved,
                                        GError     **error);
gboolean  nb_path_guard_read_walked    (int          dir_fd,
                                        const char  *relative,
                                        gboolean     restrict_to_workspace,
                                        gsize        max_size,
                                        char       **contents,
                                        gsize       *length,
                                        GError     **error);
gboolean  nb_path_guard_write          (const char  *workspace,
                                        gboolean     restrict_to_workspace,
                                        const char  *path,
                                        const char  *data,
                                        gsize        length,
                                        char       **resolved,
                                        GError     **error);
gboolean  nb_path_guard_unlink         (const char  *workspace,
                                        gboolean     restrict_to_workspace,
                                        const char  *path,
                                        char       **resolved,
                                        GError     **error);

/* For tests: called with the resolved path between the check and the open. */
void      nb_path_guard_set_test_hook  (void       (*hook) (const char *resolved,
                                                            gpointer    data),
                                        gpointer     data);

G_END_DECLS
