/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

/*
 * apply_patch: several structured edits (replace or add) over several
 * files in one call, all or nothing, with dry_run. Side-effecting.
 */

#define NB_TYPE_APPLY_PATCH_TOOL (nb_apply_patch_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbApplyPatchTool, nb_apply_patch_tool, NB, APPLY_PATCH_TOOL, NbTool)

/* Files larger than this are not edited. */
#define NB_APPLY_PATCH_MAX_FILE_BYTES (4 * 1024 * 1024)

NbTool *nb_apply_patch_tool_new           (const char *workspace,
                                           gboolean    restrict_to_workspace);

/* For tests: the @n-th file write (1-based) fails; 0 turns it off. */
void    nb_apply_patch_tool_fail_write_at (guint       n);

G_END_DECLS
