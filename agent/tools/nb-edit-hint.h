/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* edit_file's answer when old_text is not in the file (nb-edit-hint.c). */
char *nb_edit_hint_message (const char *old_text,
                            const char *content,
                            const char *path);

G_END_DECLS
