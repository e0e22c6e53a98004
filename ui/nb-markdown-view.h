/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-markdown-document.h"

G_BEGIN_DECLS

#define NB_TYPE_MARKDOWN_VIEW (nb_markdown_view_get_type ())
G_DECLARE_FINAL_TYPE (NbMarkdownView, nb_markdown_view, NB, MARKDOWN_VIEW, GtkWidget)

GtkWidget          *nb_markdown_view_new           (void);
void                nb_markdown_view_set_text      (NbMarkdownView *self,
                                                    const char     *text);
void                nb_markdown_view_append        (NbMarkdownView *self,
                                                    const char     *text,
                                                    gssize          length);
const char         *nb_markdown_view_get_markdown  (NbMarkdownView *self);
void                nb_markdown_view_set_streaming (NbMarkdownView *self,
                                                    gboolean        streaming);
gboolean            nb_markdown_view_get_streaming (NbMarkdownView *self);
void                nb_markdown_view_flush         (NbMarkdownView *self);
NbMarkdownDocument *nb_markdown_view_get_document  (NbMarkdownView *self);

/* Shows @document, which the caller may keep and share (the chat caches
 * one per message): its blocks are shown at once, reusing this view's
 * widgets where the kinds of block match. */
void                nb_markdown_view_set_document  (NbMarkdownView     *self,
                                                    NbMarkdownDocument *document);

G_END_DECLS
