/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  NB_HTML_EXTRACT_MARKDOWN,
  NB_HTML_EXTRACT_TEXT,
} NbHtmlExtractMode;

/* Pages larger than this are extracted in a worker thread. */
#define NB_HTML_EXTRACT_THREAD_MIN_BYTES (64 * 1024)

char *nb_html_extract        (const char          *html,
                              gsize                length,
                              const char          *base_url,
                              const char          *charset,
                              NbHtmlExtractMode    mode);
void  nb_html_extract_async  (GBytes              *html,
                              const char          *base_url,
                              const char          *charset,
                              NbHtmlExtractMode    mode,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
char *nb_html_extract_finish (GAsyncResult        *result,
                              GError             **error);

G_END_DECLS
