/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NB_TYPE_ERROR_ROW (nb_error_row_get_type ())
G_DECLARE_FINAL_TYPE (NbErrorRow, nb_error_row, NB, ERROR_ROW, GtkWidget)

GtkWidget  *nb_error_row_new         (void);
void        nb_error_row_set_message (NbErrorRow *self,
                                      const char *message);
const char *nb_error_row_get_message (NbErrorRow *self);

G_END_DECLS
