/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_CONVERSATION_SEARCH_HIT (nb_conversation_search_hit_get_type ())
G_DECLARE_FINAL_TYPE (NbConversationSearchHit, nb_conversation_search_hit, NB, CONVERSATION_SEARCH_HIT, GObject)

/*
 * One result of NbConversationSearch: a conversation whose title matched
 * (no snippet) or one of whose messages did (the snippet is the text
 * around the first match, on one line). Immutable.
 */

NbConversationSearchHit *nb_conversation_search_hit_new         (const char              *key,
                                                                 const char              *title,
                                                                 const char              *snippet,
                                                                 guint                    rank);
const char              *nb_conversation_search_hit_get_key     (NbConversationSearchHit *self);
const char              *nb_conversation_search_hit_get_title   (NbConversationSearchHit *self);
const char              *nb_conversation_search_hit_get_snippet (NbConversationSearchHit *self);
guint                    nb_conversation_search_hit_get_rank    (NbConversationSearchHit *self);

G_END_DECLS
