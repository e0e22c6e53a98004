/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_SIDEBAR (nb_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (NbSidebar, nb_sidebar, NB, SIDEBAR, GtkWidget)

/*
 * The conversations of the main window: a search entry over a list of the
 * assistant's conversations, pinned first, then newest first, forks under
 * their original. Each row's menu renames, pins and deletes (with Undo on
 * the nearest AdwToastOverlay above it). While the search entry has text,
 * search results (title matches, then content matches with a snippet)
 * replace the list.
 *
 * Signals: "conversation-activated" (const char *key) when the user picks
 * a conversation or a result; "conversation-deleted" (const char *key)
 * when a row is deleted and hidden (the file goes to the trash when the
 * toast is dismissed without Undo, or at nb_sidebar_flush_pending_deletes()).
 */

NbSidebar  *nb_sidebar_new                   (void);
void        nb_sidebar_set_assistant         (NbSidebar   *self,
                                              NbAssistant *assistant);
NbAssistant *nb_sidebar_get_assistant        (NbSidebar   *self);
void        nb_sidebar_select_key            (NbSidebar   *self,
                                              const char  *key);
const char *nb_sidebar_get_selected_key      (NbSidebar   *self);
void        nb_sidebar_focus_search          (NbSidebar   *self);
void        nb_sidebar_search                (NbSidebar   *self,
                                              const char  *text);
void        nb_sidebar_flush_pending_deletes (NbSidebar   *self);

G_END_DECLS
