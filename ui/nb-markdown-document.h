/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-markdown-block.h"

G_BEGIN_DECLS

/* A markdown text as a GListModel of its top-level NbMarkdownBlocks, made
 * for text that grows while a reply streams: blocks that can no longer
 * change are parsed once and kept (the same objects), only the open tail is
 * parsed again on each update, and items-changed names just the blocks that
 * differ. No GTK here. */

#define NB_TYPE_MARKDOWN_DOCUMENT (nb_markdown_document_get_type ())
G_DECLARE_FINAL_TYPE (NbMarkdownDocument, nb_markdown_document, NB, MARKDOWN_DOCUMENT, GObject)

NbMarkdownDocument *nb_markdown_document_new           (void);
void                nb_markdown_document_set_text      (NbMarkdownDocument *self,
                                                        const char         *text);
void                nb_markdown_document_append        (NbMarkdownDocument *self,
                                                        const char         *text,
                                                        gssize              length);
const char         *nb_markdown_document_get_text      (NbMarkdownDocument *self);
void                nb_markdown_document_set_streaming (NbMarkdownDocument *self,
                                                        gboolean            streaming);
gboolean            nb_markdown_document_get_streaming (NbMarkdownDocument *self);
guint               nb_markdown_document_get_n_closed  (NbMarkdownDocument *self);
char               *nb_markdown_document_dump          (NbMarkdownDocument *self);

G_END_DECLS
