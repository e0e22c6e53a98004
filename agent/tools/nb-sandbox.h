/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The kernel sandbox behind tools.restrictToWorkspace (see HACKING.md,
 * "Containment"). exec runs its command under a Landlock ruleset when the
 * kernel offers one; otherwise only the textual guard stands.
 */

int          nb_sandbox_landlock_abi     (void);
gboolean     nb_sandbox_available        (void);
const char  *nb_sandbox_status_text      (void);
void         nb_sandbox_warn_once        (void);

typedef struct _NbSandboxRules NbSandboxRules;

NbSandboxRules *nb_sandbox_rules_new         (const char      *workspace,
                                              GError         **error);
void            nb_sandbox_rules_free        (NbSandboxRules  *rules);
const char     *nb_sandbox_rules_get_tmp_dir (NbSandboxRules  *rules);
int             nb_sandbox_rules_get_fd      (NbSandboxRules  *rules);
int             nb_sandbox_enter             (int              ruleset_fd);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbSandboxRules, nb_sandbox_rules_free)

G_END_DECLS
