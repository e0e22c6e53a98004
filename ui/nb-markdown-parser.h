/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-markdown-block.h"

G_BEGIN_DECLS

/* Parses markdown with md4c (tables, strikethrough, permissive autolinks,
 * task lists; raw HTML is kept as text) into a new array of top-level
 * NbMarkdownBlocks. */
GPtrArray *nb_markdown_parse (const char *text,
                              gsize       length);

G_END_DECLS
