/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_QUICK_PROMPT (nb_quick_prompt_get_type ())
G_DECLARE_FINAL_TYPE (NbQuickPrompt, nb_quick_prompt, NB, QUICK_PROMPT, AdwWindow)

/*
 * The quick prompt: a small window with one entry. Enter asks, in a
 * conversation of its own (`quick:<12 hex>`, listed in the sidebar like
 * any other); the reply streams below in an NbChatView (the chat's
 * markdown and tool cards). Escape hides it. "Continue in Chat" runs
 * app.open-conversation with the key and hides it. Shown again after the
 * turn ended, it starts a new conversation.
 */

NbQuickPrompt *nb_quick_prompt_new     (GtkApplication *application,
                                        NbAssistant    *assistant);
void           nb_quick_prompt_present (NbQuickPrompt  *self);
const char    *nb_quick_prompt_get_key (NbQuickPrompt  *self);
gboolean       nb_quick_prompt_ask     (NbQuickPrompt  *self,
                                        const char     *text);
gboolean       nb_quick_prompt_get_running (NbQuickPrompt *self);

G_END_DECLS
