/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Replaces the file at @path with @bytes in a GTask thread: a temporary
 * file beside it, written, synced and renamed over it (mode 0600). On any
 * error (a full disk) the temporary file is removed and @path is left as
 * it was. g_file_replace_contents_async() is not that: when a write fails
 * it still renames the partial file over the original. */
void     nb_file_replace_async  (const char           *path,
                                 GBytes               *bytes,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data);
gboolean nb_file_replace_finish (GAsyncResult         *result,
                                 GError              **error);

G_END_DECLS
