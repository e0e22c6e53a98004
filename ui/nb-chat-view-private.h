/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-chat-view.h"
#include "nb-markdown-document.h"

G_BEGIN_DECLS

/* One session shown by an NbChatView: its scroller and list view, the
 * index the rows look results up in, and the state rows show (a turn
 * running, the last reply, the fork switcher, the error row). The view
 * keeps a few of these, one per recently shown session. */

#define NB_TYPE_CHAT_PAGE (nb_chat_page_get_type ())
G_DECLARE_FINAL_TYPE (NbChatPage, nb_chat_page, NB, CHAT_PAGE, GObject)

NbChatPage *nb_chat_page_new                (NbChatView *view,
                                             NbSession  *session);
NbChatView *nb_chat_page_get_view           (NbChatPage *self);
guint       nb_chat_page_get_offset         (NbChatPage *self);
NbSession  *nb_chat_page_get_session        (NbChatPage *self);
GtkWidget  *nb_chat_page_get_widget         (NbChatPage *self);
GtkWidget  *nb_chat_page_get_list_view      (NbChatPage *self);
NbMessage  *nb_chat_page_lookup_result      (NbChatPage *self,
                                             const char *call_id);
gboolean    nb_chat_page_get_running        (NbChatPage *self);
void        nb_chat_page_set_running        (NbChatPage *self,
                                             gboolean    running);
guint       nb_chat_page_get_last_reply     (NbChatPage *self);
void        nb_chat_page_set_fork_info      (NbChatPage *self,
                                             guint       message_index,
                                             guint       current,
                                             guint       total);
gboolean    nb_chat_page_get_fork_info      (NbChatPage *self,
                                             guint       position,
                                             guint      *current,
                                             guint      *total);
void        nb_chat_page_set_error          (NbChatPage *self,
                                             const char *message);
gboolean    nb_chat_page_get_following      (NbChatPage *self);
void        nb_chat_page_scroll_to_bottom   (NbChatPage *self);

/* The parsed markdown of a text that belongs to @message, cached on the
 * message under @slot ("text", "call-2", …) so that binding a row again
 * never parses a closed message again. */
NbMarkdownDocument *nb_chat_cached_document (NbMessage  *message,
                                             const char *slot,
                                             const char *text,
                                             gboolean    streaming);
void                nb_chat_move_documents  (NbMessage  *from,
                                             NbMessage  *to);

/* What the rows ask the view to emit. */
void        nb_chat_view_emit_retry         (NbChatView *self);
void        nb_chat_view_emit_regenerate    (NbChatView *self,
                                             guint       index);
void        nb_chat_view_emit_edit          (NbChatView *self,
                                             guint       index,
                                             const char *text);
void        nb_chat_view_emit_fork_switch   (NbChatView *self,
                                             int         delta);

/* Copies @text to the clipboard of @widget's display. */
void        nb_chat_copy_text               (GtkWidget  *widget,
                                             const char *text);

/* nb-chat-view.c, for nb-chat-view-approvals.c */
GtkOverlay *nb_chat_view_get_overlay       (NbChatView *self);

G_END_DECLS
