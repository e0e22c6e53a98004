/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-conversation.h"
#include "nb-session.h"

G_BEGIN_DECLS

#define NB_TYPE_CONVERSATION_LIST (nb_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (NbConversationList, nb_conversation_list, NB, CONVERSATION_LIST, GObject)

/*
 * The stored sessions of a folder as a GListModel of NbConversation,
 * newest first (by updated-at; pinned-first is the view's sorter). Built
 * by nb_conversation_list_load_async() in a worker thread, then kept
 * current by a GFileMonitor: a session file that another process creates,
 * appends to, replaces or deletes appears, moves or disappears with one
 * items-changed per change (a move is a removal and an insertion), its
 * item updated in place. Only metadata is read: a file's first line, its
 * first user message and its last metadata record.
 */

NbConversationList *nb_conversation_list_new         (const char          *sessions_dir);
const char         *nb_conversation_list_get_dir     (NbConversationList  *self);
void                nb_conversation_list_load_async  (NbConversationList  *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean            nb_conversation_list_load_finish (NbConversationList  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* The conversation of @key, or %NULL. (transfer none) */
NbConversation     *nb_conversation_list_lookup      (NbConversationList  *self,
                                                      const char          *key);
/* For the owner's own changes, without waiting for the file monitor: takes
 * the session's state from memory at once (a new session is added). The
 * file monitor's next read of the file has the last word. */
void                nb_conversation_list_update_from_session (NbConversationList *self,
                                                              NbSession          *session);
/* Reads @path (a session file of the folder) again now, without the
 * monitor's delay; a file that is gone leaves the list. */
void                nb_conversation_list_refresh_path (NbConversationList *self,
                                                       const char         *path);

/* Forks (nb-conversation-list-forks.c), from metadata only: the
 * alternatives at a divergence point, parent first, then its forks oldest
 * first. (transfer container) (element-type NbConversation), or %NULL. */
GPtrArray          *nb_conversation_list_get_fork_siblings (NbConversationList *self,
                                                            const char         *key,
                                                            guint              *out_index);
GPtrArray          *nb_conversation_list_get_forks_at      (NbConversationList *self,
                                                            const char         *parent,
                                                            guint               index);

G_END_DECLS
