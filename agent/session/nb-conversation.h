/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_CONVERSATION (nb_conversation_get_type ())
G_DECLARE_FINAL_TYPE (NbConversation, nb_conversation, NB, CONVERSATION, GObject)

/*
 * A stored session as a list shows it, read from its file's metadata
 * (see NbConversationList). Read-only: the list updates an item in place
 * when its file changes, with a notify for each property that changed.
 */

const char *nb_conversation_get_key           (NbConversation *self);
const char *nb_conversation_get_title         (NbConversation *self);
const char *nb_conversation_get_channel       (NbConversation *self);
GDateTime  *nb_conversation_get_created_at    (NbConversation *self);
GDateTime  *nb_conversation_get_updated_at    (NbConversation *self);
guint       nb_conversation_get_message_count (NbConversation *self);
gboolean    nb_conversation_get_pinned        (NbConversation *self);
const char *nb_conversation_get_forked_from   (NbConversation *self);
int         nb_conversation_get_fork_index    (NbConversation *self);
const char *nb_conversation_get_path          (NbConversation *self);
gboolean    nb_conversation_get_running       (NbConversation *self);

G_END_DECLS
