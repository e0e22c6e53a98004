/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-tool-approval.h"

G_BEGIN_DECLS

char *nb_approval_diff_lines  (const char    *old_text,
                               const char    *new_text,
                               gboolean       dark,
                               guint         *added,
                               guint         *removed);

void  nb_approval_diff_async  (NbToolApproval       *approval,
                               gboolean              dark,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data);
char *nb_approval_diff_finish (GAsyncResult         *result,
                               char                **summary,
                               GError              **error);

G_END_DECLS
