/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-chat-view.h"
#include "nb-composer.h"
#include "nb-sidebar.h"
#include "nb-window.h"

G_BEGIN_DECLS

/* The window's state, shared by nb-window.c (layout, opening
 * conversations, models, export) and nb-window-turns.c (turns). */

typedef struct _NbWindowTurn NbWindowTurn;

struct _NbWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  NbAssistant          *assistant;
  GCancellable         *cancellable;
  GHashTable           *turns;          /* key → NbWindowTurn */

  /* The open conversation. */
  char                 *key;
  NbSession            *session;
  GCancellable         *models_cancellable;
  gulong                items_changed_id;

  /* Template children. */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar_pane;
  GtkWidget            *sidebar_separator;
  NbSidebar            *sidebar;
  GtkWidget            *content_pane;
  AdwWindowTitle       *conversation_title;
  GtkToggleButton      *sidebar_button;
  GtkMenuButton        *model_button;
  GtkLabel             *model_label;
  GtkLabel             *model_status;
  GtkListBox           *model_list;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkStack             *main_stack;
  GtkStack             *chat_stack;
  NbChatView           *chat_view;
  NbComposer           *composer;
  GtkLabel             *welcome_detail;
};

void     nb_window_turn_free       (NbWindowTurn *turn);
void     nb_window_connect_turns   (NbWindow     *self);
void     nb_window_cancel_turns    (NbWindow     *self);
void     nb_window_sync_turn_state (NbWindow     *self);
gboolean nb_window_is_running      (NbWindow     *self,
                                    const char   *key);
void     nb_window_stop            (NbWindow     *self);
void     nb_window_show_session    (NbWindow     *self,
                                    NbSession    *session);
void     nb_window_update_usage    (NbWindow     *self);
void     nb_window_update_model_label (NbWindow  *self);

/* nb-window-models.c */
void     nb_window_model_popover_show_cb  (NbWindow      *self);
void     nb_window_model_row_activated_cb (NbWindow      *self,
                                           GtkListBoxRow *row);
void     nb_window_check_provider         (NbWindow      *self);
void     nb_window_config_changed_cb      (NbWindow      *self);

G_END_DECLS
