/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-chat-view-private.h"

G_BEGIN_DECLS

#define NB_TYPE_ASSISTANT_MESSAGE (nb_assistant_message_get_type ())
G_DECLARE_FINAL_TYPE (NbAssistantMessage, nb_assistant_message, NB, ASSISTANT_MESSAGE, GtkWidget)

GtkWidget *nb_assistant_message_new              (void);
void       nb_assistant_message_bind             (NbAssistantMessage *self,
                                                  NbChatPage         *page,
                                                  NbMessage          *message);
void       nb_assistant_message_unbind           (NbAssistantMessage *self);
void       nb_assistant_message_set_can_regenerate (NbAssistantMessage *self,
                                                  gboolean            can_regenerate);

G_END_DECLS
