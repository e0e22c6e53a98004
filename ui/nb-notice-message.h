/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-markdown-document.h"

G_BEGIN_DECLS

#define NB_TYPE_NOTICE_MESSAGE (nb_notice_message_get_type ())
G_DECLARE_FINAL_TYPE (NbNoticeMessage, nb_notice_message, NB, NOTICE_MESSAGE, GtkWidget)

GtkWidget  *nb_notice_message_new      (void);
void        nb_notice_message_set      (NbNoticeMessage    *self,
                                        const char         *icon_name,
                                        const char         *title,
                                        const char         *subtitle,
                                        NbMarkdownDocument *document);
const char *nb_notice_message_get_title (NbNoticeMessage   *self);
const char *nb_notice_message_get_markdown (NbNoticeMessage *self);

G_END_DECLS
