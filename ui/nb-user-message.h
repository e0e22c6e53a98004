/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NB_TYPE_USER_MESSAGE (nb_user_message_get_type ())
G_DECLARE_FINAL_TYPE (NbUserMessage, nb_user_message, NB, USER_MESSAGE, GtkWidget)

GtkWidget  *nb_user_message_new         (void);
void        nb_user_message_set_text    (NbUserMessage *self,
                                         const char    *text);
const char *nb_user_message_get_text    (NbUserMessage *self);
void        nb_user_message_start_edit  (NbUserMessage *self);
void        nb_user_message_cancel_edit (NbUserMessage *self);
gboolean    nb_user_message_get_editing (NbUserMessage *self);

G_END_DECLS
