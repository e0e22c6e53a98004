/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-chat-view-private.h"

G_BEGIN_DECLS

#define NB_TYPE_MESSAGE_ROW (nb_message_row_get_type ())
G_DECLARE_FINAL_TYPE (NbMessageRow, nb_message_row, NB, MESSAGE_ROW, GtkWidget)

GtkWidget *nb_message_row_new      (NbChatPage   *page);
void       nb_message_row_bind     (NbMessageRow *self,
                                    GtkListItem  *item);
void       nb_message_row_unbind   (NbMessageRow *self);
GObject   *nb_message_row_get_item (NbMessageRow *self);

G_END_DECLS
