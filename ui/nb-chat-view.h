/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-session.h"

G_BEGIN_DECLS

#define NB_TYPE_CHAT_VIEW (nb_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (NbChatView, nb_chat_view, NB, CHAT_VIEW, GtkWidget)

NbChatView *nb_chat_view_new              (void);
void        nb_chat_view_set_session      (NbChatView *self,
                                           NbSession  *session);
NbSession  *nb_chat_view_get_session      (NbChatView *self);
void        nb_chat_view_set_running      (NbChatView *self,
                                           gboolean    running);
void        nb_chat_view_set_error        (NbChatView *self,
                                           const char *message);
void        nb_chat_view_set_fork_info    (NbChatView *self,
                                           guint       message_index,
                                           guint       current,
                                           guint       total);
void        nb_chat_view_scroll_to_bottom (NbChatView *self);
gboolean    nb_chat_view_get_following    (NbChatView *self);

/* Approval cards (nb-chat-view-approvals.c) */
typedef struct _NbApprovalQueue NbApprovalQueue;

void             nb_chat_view_set_approval_queue (NbChatView      *self,
                                                  NbApprovalQueue *queue);
NbApprovalQueue *nb_chat_view_get_approval_queue (NbChatView      *self);

G_END_DECLS
