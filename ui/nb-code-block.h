/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtksourceview/gtksource.h>

G_BEGIN_DECLS

#define NB_TYPE_CODE_BLOCK (nb_code_block_get_type ())
G_DECLARE_FINAL_TYPE (NbCodeBlock, nb_code_block, NB, CODE_BLOCK, GtkWidget)

GtkWidget         *nb_code_block_new             (const char  *language);
const char        *nb_code_block_get_language    (NbCodeBlock *self);
void               nb_code_block_set_code        (NbCodeBlock *self,
                                                  const char  *code);
const char        *nb_code_block_get_code        (NbCodeBlock *self);
GtkSourceBuffer   *nb_code_block_get_buffer      (NbCodeBlock *self);
void               nb_code_block_copy            (NbCodeBlock *self);
GtkSourceLanguage *nb_code_block_lookup_language (const char  *name);

G_END_DECLS
