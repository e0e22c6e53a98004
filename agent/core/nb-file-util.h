/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The caps of nb_file_read_bounded(), one per kind of file. */
#define NB_FILE_MAX_CONFIG    (4 * 1024 * 1024)
#define NB_FILE_MAX_WORKSPACE (4 * 1024 * 1024)
#define NB_FILE_MAX_MEMORY    (16 * 1024 * 1024)
#define NB_FILE_MAX_SESSION   (256 * 1024 * 1024)

/* The one reader for every file the agent reads whole (config.json,
 * sessions, MEMORY.md/HISTORY.md, workspace prompt files, skills): a
 * FIFO, device or socket is refused without waiting for a writer, a
 * file larger than @max_size is refused before anything is allocated,
 * and each error names the file. A missing file is G_FILE_ERROR_NOENT,
 * as with g_file_get_contents(). Symlinks to regular files are read. */
gboolean nb_file_read_bounded        (const char           *path,
                                      gsize                 max_size,
                                      char                **contents,
                                      gsize                *length,
                                      GError              **error);

/* The same in a GTask thread; the result is a GBytes (NUL-terminated
 * data, the size without the NUL). */
void     nb_file_read_bounded_async  (const char           *path,
                                      gsize                 max_size,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean nb_file_read_bounded_finish (GAsyncResult         *result,
                                      char                **contents,
                                      gsize                *length,
                                      GError              **error);

G_END_DECLS
