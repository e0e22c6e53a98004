/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What the parts of NbConfig share: nb-config.c (the object, loading,
 * lookups, saving) and nb-config-validate.c (checking the types of the
 * known keys of a loaded file).
 */

#include "nb-config.h"

G_BEGIN_DECLS

/* nb-config.c */
/* "max_tool_iterations" → "maxToolIterations" */
char     *nb_config_camelize (const char  *name);

/* nb-config-validate.c */
/* Checks every known key of @root, the object parsed from @text, which
 * is valid JSON. Sets @error to "FILE:LINE:COL: key what is wrong" with
 * the position of the first wrong value in @text. */
gboolean  nb_config_validate (const char  *file,
                              const char  *text,
                              JsonObject  *root,
                              GError     **error);

G_END_DECLS

G_BEGIN_DECLS
/* nb-config.c, for nb-config-edit.c: @root is what was just written to
 * @path; the configuration takes it and emits NbConfig::changed. */
void      nb_config_take_root (NbConfig    *self,
                               JsonNode    *root,
                               const char  *path);
G_END_DECLS
