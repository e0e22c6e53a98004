/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "nb-config.h"
#include "nb-provider.h"
#include "nb-tool.h"
#include "nb-tool-approval.h"
#include "nb-tool-policy.h"

G_BEGIN_DECLS

#define NB_TYPE_PERMISSIONS (nb_permissions_get_type ())
G_DECLARE_FINAL_TYPE (NbPermissions, nb_permissions, NB, PERMISSIONS, GObject)

NbPermissions  *nb_permissions_new                (NbConfig            *config);
NbConfig       *nb_permissions_get_config         (NbPermissions       *self);
void            nb_permissions_set_approver       (NbPermissions       *self,
                                                   NbToolApprover      *approver,
                                                   NbPermission         absent_default);
NbToolApprover *nb_permissions_get_approver       (NbPermissions       *self);
NbPermission    nb_permissions_get_absent_default (NbPermissions       *self);

void            nb_permissions_check_async        (NbPermissions       *self,
                                                   NbTool              *tool,
                                                   const NbToolCall    *call,
                                                   const char          *session_key,
                                                   const char          *agent_label,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        nb_permissions_check_finish       (NbPermissions       *self,
                                                   GAsyncResult        *result,
                                                   char               **denied_text,
                                                   JsonObject         **audit,
                                                   GError             **error);

void            nb_permissions_add_rule_async     (NbPermissions         *self,
                                                   JsonObject            *rule,
                                                   const NbToolCallFacts *facts,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
gboolean        nb_permissions_add_rule_finish    (NbPermissions       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void            nb_permissions_save_async         (NbPermissions       *self,
                                                   JsonObject          *permissions,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        nb_permissions_save_finish        (NbPermissions       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
JsonObject     *nb_permissions_dup_policy         (NbPermissions       *self);
gboolean        nb_permissions_has_pending_saves  (NbPermissions       *self);
void            nb_permissions_flush_async        (NbPermissions       *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        nb_permissions_flush_finish       (NbPermissions       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

void            nb_permissions_grant              (NbPermissions       *self,
                                                   const char          *session_key,
                                                   JsonObject          *rule);
JsonArray      *nb_permissions_get_grants         (NbPermissions       *self);
void            nb_permissions_revoke_grant       (NbPermissions       *self,
                                                   guint                index);
JsonArray      *nb_permissions_dup_session_grants (NbPermissions       *self,
                                                   const char          *session_key);
void            nb_permissions_restore_grants     (NbPermissions       *self,
                                                   const char          *session_key,
                                                   JsonArray           *grants);

G_END_DECLS
