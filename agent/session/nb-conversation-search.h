/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-conversation-search-hit.h"

G_BEGIN_DECLS

#define NB_TYPE_CONVERSATION_SEARCH (nb_conversation_search_get_type ())
G_DECLARE_FINAL_TYPE (NbConversationSearch, nb_conversation_search, NB, CONVERSATION_SEARCH, GObject)

/*
 * Searching the conversations of a list (a GListModel of NbConversation,
 * such as NbConversationList) by title and by content, as the user types.
 * It is itself a GListModel of NbConversationSearchHit: setting a query
 * cancels the one before, empties the model, adds the title matches at
 * once (from memory), then appends content matches in batches as worker
 * threads find them in the session files, newest conversations first. At
 * most one hit per conversation (a title match wins). The match is
 * case-insensitive for ASCII letters; other characters match exactly.
 * NbConversationSearch:running is TRUE until every file was searched.
 */

NbConversationSearch *nb_conversation_search_new         (GListModel           *conversations);
void                  nb_conversation_search_set_query   (NbConversationSearch *self,
                                                          const char           *query);
const char           *nb_conversation_search_get_query   (NbConversationSearch *self);
gboolean              nb_conversation_search_get_running (NbConversationSearch *self);

G_END_DECLS
