/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-tool-approval.h"

G_BEGIN_DECLS

#define NB_TYPE_APPROVAL_QUEUE (nb_approval_queue_get_type ())
G_DECLARE_FINAL_TYPE (NbApprovalQueue, nb_approval_queue, NB, APPROVAL_QUEUE, GObject)

NbApprovalQueue *nb_approval_queue_new            (void);
NbToolApproval  *nb_approval_queue_lookup         (NbApprovalQueue *self,
                                                   const char      *call_id);
guint            nb_approval_queue_count_session  (NbApprovalQueue *self,
                                                   const char      *session_key);
guint            nb_approval_queue_answer_session (NbApprovalQueue *self,
                                                   const char      *session_key,
                                                   NbApprovalAnswer answer);

G_END_DECLS
