/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Helpers shared by web_search and web_fetch (not a type of its own). */

void    nb_web_read_async   (SoupMessage          *message,
                             gsize                 max_bytes,
                             guint                 timeout_seconds,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data);
GBytes *nb_web_read_finish  (GAsyncResult         *result,
                             gboolean             *truncated,
                             GError              **error);

char   *nb_web_strip_tags   (const char           *html);
char   *nb_web_normalize_ws (const char           *text);

G_END_DECLS
