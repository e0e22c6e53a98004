/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * NbPermission:
 * @NB_PERMISSION_ASK: the user is asked before the call runs
 * @NB_PERMISSION_ALLOW: the call runs
 * @NB_PERMISSION_DENY: the call does not run; the model is told so
 *
 * A decision of `tools.permissions` (its `default`, a rule's `decision`).
 */
typedef enum {
  NB_PERMISSION_ASK,
  NB_PERMISSION_ALLOW,
  NB_PERMISSION_DENY,
} NbPermission;

gboolean     nb_permission_from_string (const char   *text,
                                        NbPermission *permission);
const char  *nb_permission_to_string   (NbPermission  permission);

/**
 * NbToolCallFacts:
 * @tool: the tool's name
 * @read_only: whether the tool has no side effects
 * @command: (nullable): exec's command
 * @paths: (nullable): the paths the call reads or writes, as the model
 *   wrote them (relative to @workspace, absolute, or starting with ~)
 * @workspace: (nullable): the workspace folder, absolute
 *
 * What the rules of `tools.permissions` look at in one call.
 */
typedef struct {
  const char         *tool;
  gboolean            read_only;
  const char         *command;
  const char * const *paths;
  const char         *workspace;
} NbToolCallFacts;

/* Where a decision came from. */
typedef enum {
  NB_PERMISSION_SOURCE_READ_ONLY,  /* a read-only tool, no rule matched */
  NB_PERMISSION_SOURCE_RULE,       /* rules[rule_index] */
  NB_PERMISSION_SOURCE_DEFAULT,    /* tools.permissions.default, or the
                                    * front end's when the key is absent */
} NbPermissionSource;

NbPermission nb_tool_policy_decide        (JsonObject            *permissions,
                                           NbPermission           absent_default,
                                           const NbToolCallFacts *facts,
                                           NbPermissionSource    *source,
                                           int                   *rule_index);
gboolean     nb_tool_policy_rule_matches  (JsonObject            *rule,
                                           const NbToolCallFacts *facts);

gboolean     nb_tool_policy_match_name    (const char            *pattern,
                                           const char            *name);
gboolean     nb_tool_policy_match_command (const char            *pattern,
                                           const char            *command);
gboolean     nb_tool_policy_match_path    (const char            *pattern,
                                           const char            *path,
                                           const char            *workspace);

char       **nb_tool_policy_call_paths    (const char            *tool,
                                           JsonObject            *arguments);
JsonObject  *nb_tool_policy_suggest_rule  (const NbToolCallFacts *facts);

/* Checks one rule as the config loader does: NULL when it is good, else
 * what is wrong (translated). */
char        *nb_tool_policy_check_rule    (JsonObject            *rule);

G_END_DECLS
