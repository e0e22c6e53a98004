/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool-approval.h"

G_BEGIN_DECLS

#define NB_TYPE_TTY_APPROVER (nb_tty_approver_get_type ())
G_DECLARE_FINAL_TYPE (NbTtyApprover, nb_tty_approver, NB, TTY_APPROVER, GObject)

NbTtyApprover *nb_tty_approver_new (int input_fd,
                                    int output_fd);

G_END_DECLS
