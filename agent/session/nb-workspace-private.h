/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every workspace file the context reads goes through here, so that tests
 * can tell that a cached prompt was served without touching the disk. */
gboolean nb_workspace_read_file       (const char  *path,
                                       char       **contents,
                                       GError     **error);
guint    nb_workspace_get_read_count  (void);

G_END_DECLS
