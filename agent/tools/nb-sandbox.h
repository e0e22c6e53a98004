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

G_END_DECLS
