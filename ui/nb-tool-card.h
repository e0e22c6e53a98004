/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "nb-message.h"

G_BEGIN_DECLS

#define NB_TYPE_TOOL_CARD (nb_tool_card_get_type ())
G_DECLARE_FINAL_TYPE (NbToolCard, nb_tool_card, NB, TOOL_CARD, GtkWidget)

GtkWidget  *nb_tool_card_new          (void);
void        nb_tool_card_set_call     (NbToolCard *self,
                                       NbMessage  *message,
                                       JsonObject *call);
void        nb_tool_card_set_result   (NbToolCard *self,
                                       NbMessage  *result);
void        nb_tool_card_set_running  (NbToolCard *self,
                                       gboolean    running);
const char *nb_tool_card_get_call_id  (NbToolCard *self);
gboolean    nb_tool_card_get_failed   (NbToolCard *self);
char       *nb_tool_card_dup_markdown (NbToolCard *self);

/* Whether a tool's result text reports a failure. */
gboolean    nb_tool_result_is_error   (const char *text);

G_END_DECLS
