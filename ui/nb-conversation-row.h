/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-conversation-search-hit.h"
#include "nb-conversation.h"

G_BEGIN_DECLS

#define NB_TYPE_CONVERSATION_ROW (nb_conversation_row_get_type ())
G_DECLARE_FINAL_TYPE (NbConversationRow, nb_conversation_row, NB, CONVERSATION_ROW, GtkWidget)

/*
 * One row of NbSidebar: a conversation (title, channel, a spinner while a
 * turn runs, a pin, and its menu: Rename, Pin/Unpin, Delete as the
 * "sidebar.*" actions with the key as target), or a search result (title
 * and snippet, no menu).
 */

GtkWidget      *nb_conversation_row_new              (void);
void            nb_conversation_row_set_conversation (NbConversationRow       *self,
                                                      NbConversation          *conversation,
                                                      guint                    depth);
NbConversation *nb_conversation_row_get_conversation (NbConversationRow       *self);
void            nb_conversation_row_set_hit          (NbConversationRow       *self,
                                                      NbConversationSearchHit *hit);
/* Opens the row's menu (what a right click or a long press does). */
void            nb_conversation_row_popup_menu       (NbConversationRow       *self);
/* The text shown for a conversation without a title. */
const char     *nb_conversation_row_untitled         (void);

/* nb-conversation-row.c: marks a conversation whose tool calls wait. */
typedef struct _NbApprovalQueue NbApprovalQueue;

void            nb_conversation_row_set_approval_queue (NbConversationRow *self,
                                                        NbApprovalQueue   *queue);

G_END_DECLS
