/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NB_PATH_GUARD_ERROR (nb_path_guard_error_quark ())

typedef enum {
  NB_PATH_GUARD_ERROR_OUTSIDE,  /* resolves outside the workspace */
  NB_PATH_GUARD_ERROR_LOOP,     /* too many levels of symbolic links */
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

G_END_DECLS
