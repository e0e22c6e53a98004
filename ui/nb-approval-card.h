/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nb-approval-queue.h"
#include "nb-tool-approval.h"

G_BEGIN_DECLS

#define NB_TYPE_APPROVAL_CARD (nb_approval_card_get_type ())
G_DECLARE_FINAL_TYPE (NbApprovalCard, nb_approval_card, NB, APPROVAL_CARD, GtkWidget)

GtkWidget      *nb_approval_card_new          (void);
void            nb_approval_card_set_approval (NbApprovalCard  *self,
                                               NbToolApproval  *approval,
                                               NbApprovalQueue *queue);
NbToolApproval *nb_approval_card_get_approval (NbApprovalCard  *self);
const char     *nb_approval_card_get_call_id  (NbApprovalCard  *self);

G_END_DECLS
