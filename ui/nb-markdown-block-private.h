/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-markdown-block.h"

G_BEGIN_DECLS

/* Building blocks: only the parser does this, before anyone else sees them. */

NbMarkdownBlock *nb_markdown_block_new          (NbMarkdownBlockKind    kind);
void             nb_markdown_block_take_markup  (NbMarkdownBlock       *self,
                                                 char                  *markup);
void             nb_markdown_block_take_text    (NbMarkdownBlock       *self,
                                                 char                  *text);
void             nb_markdown_block_set_language (NbMarkdownBlock       *self,
                                                 const char            *language,
                                                 gssize                 length);
void             nb_markdown_block_set_level    (NbMarkdownBlock       *self,
                                                 guint                  level);
void             nb_markdown_block_set_list     (NbMarkdownBlock       *self,
                                                 gboolean               ordered,
                                                 guint                  start);
void             nb_markdown_block_set_task     (NbMarkdownBlock       *self,
                                                 NbMarkdownTask         task);
void             nb_markdown_block_add_child    (NbMarkdownBlock       *self,
                                                 NbMarkdownBlock       *child);
void             nb_markdown_block_set_columns  (NbMarkdownBlock       *self,
                                                 guint                  n_columns);
void             nb_markdown_block_set_alignment (NbMarkdownBlock      *self,
                                                  guint                 column,
                                                  NbMarkdownAlign       align);
void             nb_markdown_block_add_cell     (NbMarkdownBlock       *self,
                                                 char                  *markup);
void             nb_markdown_block_end_row      (NbMarkdownBlock       *self);

G_END_DECLS
