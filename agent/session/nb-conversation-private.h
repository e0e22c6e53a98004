/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-conversation-reader.h"
#include "nb-conversation.h"

G_BEGIN_DECLS

/* For NbConversationList, which updates its items in place. Each setter
 * notifies only when the value changes. */
NbConversation *nb_conversation_new_from_data     (const NbConversationData *data);
/* Every setter below at once, under one freeze of notifications. */
void            nb_conversation_update            (NbConversation           *self,
                                                   const NbConversationData *data);

void            nb_conversation_set_key           (NbConversation *self,
                                                   const char     *key);
void            nb_conversation_set_title         (NbConversation *self,
                                                   const char     *title);
void            nb_conversation_set_created_at    (NbConversation *self,
                                                   GDateTime      *created_at);
void            nb_conversation_set_updated_at    (NbConversation *self,
                                                   GDateTime      *updated_at);
void            nb_conversation_set_message_count (NbConversation *self,
                                                   guint           message_count);
void            nb_conversation_set_pinned        (NbConversation *self,
                                                   gboolean        pinned);
void            nb_conversation_set_forked_from   (NbConversation *self,
                                                   const char     *forked_from);
void            nb_conversation_set_fork_index    (NbConversation *self,
                                                   int             fork_index);
/* Not from the file: NbAssistant sets it while a turn of the
 * conversation runs. */
void            nb_conversation_set_running       (NbConversation *self,
                                                   gboolean        running);

G_END_DECLS
