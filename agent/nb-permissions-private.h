/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-permissions.h"

G_BEGIN_DECLS

/* NbPermissions is nb-permissions.c (the object, conversation grants,
 * checking a call) and nb-permissions-rules.c (saving rules through the
 * config writer's queue, and the policy while a save is in flight). */

struct _NbPermissions
{
  GObject         parent_instance;

  NbConfig       *config;
  NbToolApprover *approver;
  NbPermission    absent_default;
  JsonArray      *grants;   /* {"session": key, rule members…} */
  GQueue          pending;  /* saves not written yet, oldest first */
  GQueue          flushes;  /* GTask of nb_permissions_flush_async() */
};

/* tools.permissions as the next call sees it: the configuration's, with
 * the saves still in flight applied. Do not change it. */
JsonObject *nb_permissions_ref_policy (NbPermissions *self);

G_END_DECLS
