/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One block of parsed markdown: a leaf (paragraph, heading, code, HTML,
 * rule) or a container (quote, list, list item) with child blocks, or a
 * table of cells. Inline content is Pango markup. Blocks never change once
 * built; a changed source text gives new blocks. No GTK here. */

typedef enum {
  NB_MARKDOWN_BLOCK_PARAGRAPH,
  NB_MARKDOWN_BLOCK_HEADING,
  NB_MARKDOWN_BLOCK_CODE,
  NB_MARKDOWN_BLOCK_QUOTE,
  NB_MARKDOWN_BLOCK_LIST,
  NB_MARKDOWN_BLOCK_LIST_ITEM,
  NB_MARKDOWN_BLOCK_TABLE,
  NB_MARKDOWN_BLOCK_RULE,
  NB_MARKDOWN_BLOCK_HTML,
} NbMarkdownBlockKind;

typedef enum {
  NB_MARKDOWN_ALIGN_DEFAULT,
  NB_MARKDOWN_ALIGN_LEFT,
  NB_MARKDOWN_ALIGN_CENTER,
  NB_MARKDOWN_ALIGN_RIGHT,
} NbMarkdownAlign;

typedef enum {
  NB_MARKDOWN_TASK_NONE,
  NB_MARKDOWN_TASK_OPEN,
  NB_MARKDOWN_TASK_DONE,
} NbMarkdownTask;

#define NB_TYPE_MARKDOWN_BLOCK (nb_markdown_block_get_type ())
G_DECLARE_FINAL_TYPE (NbMarkdownBlock, nb_markdown_block, NB, MARKDOWN_BLOCK, GObject)

NbMarkdownBlockKind  nb_markdown_block_get_kind       (NbMarkdownBlock *self);
const char          *nb_markdown_block_get_markup     (NbMarkdownBlock *self);
const char          *nb_markdown_block_get_text       (NbMarkdownBlock *self);
const char          *nb_markdown_block_get_language   (NbMarkdownBlock *self);
guint                nb_markdown_block_get_level      (NbMarkdownBlock *self);
gboolean             nb_markdown_block_get_ordered    (NbMarkdownBlock *self);
guint                nb_markdown_block_get_start      (NbMarkdownBlock *self);
NbMarkdownTask       nb_markdown_block_get_task       (NbMarkdownBlock *self);
guint                nb_markdown_block_get_n_children (NbMarkdownBlock *self);
NbMarkdownBlock     *nb_markdown_block_get_child      (NbMarkdownBlock *self,
                                                       guint            index);
guint                nb_markdown_block_get_n_columns  (NbMarkdownBlock *self);
guint                nb_markdown_block_get_n_rows     (NbMarkdownBlock *self);
NbMarkdownAlign      nb_markdown_block_get_alignment  (NbMarkdownBlock *self,
                                                       guint            column);
const char          *nb_markdown_block_get_cell       (NbMarkdownBlock *self,
                                                       guint            row,
                                                       guint            column);
gboolean             nb_markdown_block_equal          (NbMarkdownBlock *a,
                                                       NbMarkdownBlock *b);
void                 nb_markdown_block_dump           (NbMarkdownBlock *self,
                                                       GString         *out,
                                                       guint            indent);

G_END_DECLS
