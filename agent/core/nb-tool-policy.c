/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-tool-policy.h"

/*
 * The rules of `tools.permissions` (README, "Tool permissions"): plain
 * functions over the parsed config, so that they can be tested without an
 * agent. A rule matches a call when its `tool` pattern matches the tool's
 * name, its `command` pattern (if any) the exec command and its `path`
 * pattern (if any) every path the call touches. The first matching rule
 * decides; without one a read-only tool runs and any other follows
 * `default`.
 *
 * Patterns: `*` is any run of characters. In a command it never spans a
 * character that ends or chains a shell command (; & | ` $ < > ( ) and line
 * breaks), so "git status*" allows "git status --short" but not
 * "git status; rm -rf ~". In a path `*` stays within one folder and `**`
 * spans folders.
 */

gboolean
nb_permission_from_string (const char   *text,
                           NbPermission *permission)
{
  if (g_strcmp0 (text, "ask") == 0)
    *permission = NB_PERMISSION_ASK;
  else if (g_strcmp0 (text, "allow") == 0)
    *permission = NB_PERMISSION_ALLOW;
  else if (g_strcmp0 (text, "deny") == 0)
    *permission = NB_PERMISSION_DENY;
  else
    return FALSE;
  return TRUE;
}

const char *
nb_permission_to_string (NbPermission permission)
{
  switch (permission)
    {
    case NB_PERMISSION_ALLOW:
      return "allow";
    case NB_PERMISSION_DENY:
      return "deny";
    case NB_PERMISSION_ASK:
    default:
      return "ask";
    }
}

/* Glob matching */

typedef enum {
  STAR_ANY,       /* any byte */
  STAR_COMMAND,   /* any byte but shell separators */
  STAR_SEGMENT,   /* any byte but '/' */
} StarKind;

typedef struct {
  gboolean is_star;
  StarKind kind;
  char     literal;
} Token;

static gboolean
star_allows (StarKind kind,
             char     c)
{
  switch (kind)
    {
    case STAR_COMMAND:
      return strchr (";&|`$<>()\n\r", c) == NULL || c == '\0';
    case STAR_SEGMENT:
      return c != '/';
    case STAR_ANY:
    default:
      return TRUE;
    }
}

/* A row-by-row table: O(pattern × text) whatever the stars, so a long
 * command never makes matching slow. */
static gboolean
glob_match (const char *pattern,
            const char *text,
            StarKind    star)
{
  g_autoptr(GArray) tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  gsize n = strlen (text);
  g_autofree gboolean *prev = NULL;
  g_autofree gboolean *cur = NULL;

  for (const char *p = pattern; *p != '\0'; p++)
    {
      Token token = { 0 };

      if (*p == '*')
        {
          token.is_star = TRUE;
          token.kind = star;
          if (star == STAR_SEGMENT && p[1] == '*')
            {
              token.kind = STAR_ANY;
              p++;
            }
        }
      else
        token.literal = *p;
      g_array_append_val (tokens, token);
    }

  prev = g_new0 (gboolean, n + 1);
  cur = g_new0 (gboolean, n + 1);
  prev[0] = TRUE;

  for (guint i = 0; i < tokens->len; i++)
    {
      Token *token = &g_array_index (tokens, Token, i);

      if (token->is_star)
        {
          cur[0] = prev[0];
          for (gsize j = 1; j <= n; j++)
            cur[j] = prev[j] || (cur[j - 1] && star_allows (token->kind, text[j - 1]));
        }
      else
        {
          cur[0] = FALSE;
          for (gsize j = 1; j <= n; j++)
            cur[j] = prev[j - 1] && text[j - 1] == token->literal;
        }
      memcpy (prev, cur, (n + 1) * sizeof (gboolean));
    }

  return prev[n];
}

/**
 * nb_tool_policy_match_name:
 *
 * Whether a tool name matches a rule's `tool` pattern (`*` is any run of
 * characters, `mcp_github_*`).
 */
gboolean
nb_tool_policy_match_name (const char *pattern,
                           const char *name)
{
  if (pattern == NULL || name == NULL)
    return FALSE;
  return glob_match (pattern, name, STAR_ANY);
}

/**
 * nb_tool_policy_match_command:
 *
 * Whether an exec command matches a rule's `command` pattern; `*` never
 * spans a shell separator. Blanks around the command do not count.
 */
gboolean
nb_tool_policy_match_command (const char *pattern,
                              const char *command)
{
  g_autofree char *trimmed = NULL;

  if (pattern == NULL || command == NULL)
    return FALSE;
  trimmed = g_strstrip (g_strdup (command));
  return glob_match (pattern, trimmed, STAR_COMMAND);
}

static char *
expand_home (const char *path)
{
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);
  return g_strdup (path);
}

/* Absolute and without "." and ".." (lexically: a path the model wrote
 * means what it says; the tools themselves check where links lead). */
static char *
normalize (const char *path,
           const char *workspace)
{
  g_autofree char *expanded = expand_home (path);
  g_autofree char *absolute = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  GString *out = g_string_new (NULL);

  if (g_path_is_absolute (expanded) || workspace == NULL)
    absolute = g_steal_pointer (&expanded);
  else
    absolute = g_build_filename (workspace, expanded, NULL);

  parts = g_strsplit (absolute, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || g_str_equal (parts[i], "."))
        continue;
      if (g_str_equal (parts[i], ".."))
        {
          if (kept->len > 0)
            g_ptr_array_remove_index (kept, kept->len - 1);
          continue;
        }
      g_ptr_array_add (kept, parts[i]);
    }
  for (guint i = 0; i < kept->len; i++)
    {
      g_string_append_c (out, '/');
      g_string_append (out, g_ptr_array_index (kept, i));
    }
  if (out->len == 0)
    g_string_append_c (out, '/');
  return g_string_free (out, FALSE);
}

/**
 * nb_tool_policy_match_path:
 * @pattern: a rule's `path`: relative to the workspace ("notes/" then "**"), or
 *   absolute or starting with ~ ("/tmp/" then "*")
 * @path: a path a call touches, as the model wrote it
 * @workspace: (nullable): the workspace folder
 *
 * A relative pattern matches only paths inside the workspace.
 */
gboolean
nb_tool_policy_match_path (const char *pattern,
                           const char *path,
                           const char *workspace)
{
  g_autofree char *absolute = NULL;
  g_autofree char *root = NULL;
  g_autofree char *expanded = NULL;

  if (pattern == NULL || path == NULL || *pattern == '\0')
    return FALSE;

  absolute = normalize (path, workspace);
  expanded = expand_home (pattern);
  if (g_path_is_absolute (expanded))
    return glob_match (expanded, absolute, STAR_SEGMENT);

  if (workspace == NULL)
    return FALSE;
  root = normalize (workspace, NULL);
  if (g_str_equal (absolute, root))
    return glob_match (expanded, ".", STAR_SEGMENT) || glob_match (expanded, "", STAR_SEGMENT);
  if (!g_str_has_prefix (absolute, root) ||
      (absolute[strlen (root)] != '/' && !g_str_equal (root, "/")))
    return FALSE;
  return glob_match (expanded, absolute + strlen (root) + (g_str_equal (root, "/") ? 0 : 1), STAR_SEGMENT);
}

/* Rules */

gboolean
nb_tool_policy_rule_matches (JsonObject            *rule,
                             const NbToolCallFacts *facts)
{
  const char *tool = nb_json_get_string (rule, "tool");
  const char *command = nb_json_get_string (rule, "command");
  const char *path = nb_json_get_string (rule, "path");

  if (!nb_tool_policy_match_name (tool != NULL ? tool : "*", facts->tool))
    return FALSE;
  if (command != NULL && !nb_tool_policy_match_command (command, facts->command))
    return FALSE;
  if (path != NULL)
    {
      if (facts->paths == NULL || facts->paths[0] == NULL)
        return FALSE;
      for (guint i = 0; facts->paths[i] != NULL; i++)
        if (!nb_tool_policy_match_path (path, facts->paths[i], facts->workspace))
          return FALSE;
    }
  return TRUE;
}

/**
 * nb_tool_policy_decide:
 * @permissions: (nullable): `tools.permissions`, %NULL when absent
 * @absent_default: the front end's decision when @permissions is absent
 *   (the window asks, `nanobot -m` allows)
 * @facts: the call
 * @source: (out) (optional): where the decision came from
 * @rule_index: (out) (optional): the matching rule, or -1
 *
 * Returns: what to do with the call
 */
NbPermission
nb_tool_policy_decide (JsonObject            *permissions,
                       NbPermission           absent_default,
                       const NbToolCallFacts *facts,
                       NbPermissionSource    *source,
                       int                   *rule_index)
{
  JsonArray *rules = nb_json_get_array (permissions, "rules");
  NbPermission decision;

  if (rule_index != NULL)
    *rule_index = -1;

  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      JsonNode *node = json_array_get_element (rules, i);
      JsonObject *rule = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (rule == NULL || !nb_permission_from_string (nb_json_get_string (rule, "decision"), &decision))
        continue;
      if (!nb_tool_policy_rule_matches (rule, facts))
        continue;
      if (source != NULL)
        *source = NB_PERMISSION_SOURCE_RULE;
      if (rule_index != NULL)
        *rule_index = i;
      return decision;
    }

  if (facts->read_only)
    {
      if (source != NULL)
        *source = NB_PERMISSION_SOURCE_READ_ONLY;
      return NB_PERMISSION_ALLOW;
    }

  if (source != NULL)
    *source = NB_PERMISSION_SOURCE_DEFAULT;
  if (permissions == NULL)
    return absent_default;
  if (!nb_permission_from_string (nb_json_get_string (permissions, "default"), &decision))
    decision = NB_PERMISSION_ASK;
  return decision;
}

/* What a call touches */

static void
add_patch_paths (GPtrArray  *paths,
                 const char *patch)
{
  static const char * const markers[] = {
    "*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ",
    "+++ b/", "--- a/", "+++ ", "--- ",
  };
  g_auto(GStrv) lines = g_strsplit (patch, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    for (guint m = 0; m < G_N_ELEMENTS (markers); m++)
      if (g_str_has_prefix (lines[i], markers[m]))
        {
          g_autofree char *path = g_strstrip (g_strdup (lines[i] + strlen (markers[m])));
          char *tab = strchr (path, '\t');

          if (tab != NULL)
            *tab = '\0';
          if (*path != '\0' && !g_str_equal (path, "/dev/null") &&
              !g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL))
            g_ptr_array_add (paths, g_steal_pointer (&path));
          break;
        }
}

/**
 * nb_tool_policy_call_paths:
 * @arguments: (nullable): the call's arguments
 *
 * The paths a call touches: its `path` argument, or for apply_patch the
 * files its patch names.
 *
 * Returns: (transfer full) (nullable): the paths, %NULL when none
 */
char **
nb_tool_policy_call_paths (const char *tool,
                           JsonObject *arguments)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *path = nb_json_get_string (arguments, "path");

  if (g_strcmp0 (tool, "apply_patch") == 0)
    {
      static const char * const keys[] = { "patch", "input", "diff", "patch_text" };

      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        if (nb_json_get_string (arguments, keys[i]) != NULL)
          add_patch_paths (paths, nb_json_get_string (arguments, keys[i]));
    }
  if (path != NULL && *path != '\0' && paths->len == 0)
    g_ptr_array_add (paths, g_strdup (path));

  if (paths->len == 0)
    return NULL;
  g_ptr_array_add (paths, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
}

/* A word that may stand in a command prefix: a program or subcommand. */
static gboolean
is_plain_word (const char *word)
{
  if (*word == '\0' || *word == '-')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-.+", *p) == NULL)
      return FALSE;
  return TRUE;
}

static char *
suggest_command (const char *command)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (command));
  g_auto(GStrv) words = g_strsplit_set (trimmed, " \t", -1);
  g_autoptr(GString) prefix = g_string_new (NULL);
  guint taken = 0;

  for (guint i = 0; words[i] != NULL && taken < 2; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (!is_plain_word (words[i]) || (taken == 1 && strchr (words[i], '.') != NULL))
        break;
      if (taken > 0)
        g_string_append_c (prefix, ' ');
      g_string_append (prefix, words[i]);
      taken++;
    }

  /* Nothing plain to start with: only this very command. */
  if (taken == 0)
    return g_steal_pointer (&trimmed);
  g_string_append_c (prefix, '*');
  return g_string_free (g_steal_pointer (&prefix), FALSE);
}

/* The folder of @path as a pattern: relative when inside the workspace. */
static char *
suggest_path (const char *path,
              const char *workspace)
{
  g_autofree char *absolute = normalize (path, workspace);
  g_autofree char *folder = g_path_get_dirname (absolute);
  g_autofree char *root = workspace != NULL ? normalize (workspace, NULL) : NULL;

  if (root != NULL && g_str_equal (folder, root))
    return g_strdup (absolute + strlen (root) + 1);
  if (root != NULL && g_str_has_prefix (folder, root) && folder[strlen (root)] == '/')
    return g_strconcat (folder + strlen (root) + 1, "/**", NULL);
  if (g_str_equal (folder, "/"))
    return g_steal_pointer (&absolute);
  return g_strconcat (folder, "/**", NULL);
}

/**
 * nb_tool_policy_suggest_rule:
 *
 * The narrowest rule that allows @facts and calls like it: for exec the
 * command's first words ("git status*"), for file tools the folder of the
 * path ("notes/" then "**", or the file itself at the workspace's top), else the
 * tool.
 *
 * Returns: (transfer full): a rule object with `decision` "allow"
 */
JsonObject *
nb_tool_policy_suggest_rule (const NbToolCallFacts *facts)
{
  JsonObject *rule = json_object_new ();

  json_object_set_string_member (rule, "tool", facts->tool);
  if (facts->command != NULL)
    {
      g_autofree char *command = suggest_command (facts->command);

      json_object_set_string_member (rule, "command", command);
    }
  else if (facts->paths != NULL && facts->paths[0] != NULL)
    {
      g_autofree char *pattern = suggest_path (facts->paths[0], facts->workspace);

      /* Several files: their common folder. */
      for (guint i = 1; facts->paths[i] != NULL; i++)
        while (!nb_tool_policy_match_path (pattern, facts->paths[i], facts->workspace))
          {
            g_autofree char *base = g_str_has_suffix (pattern, "/**")
                                    ? g_strndup (pattern, strlen (pattern) - 3)
                                    : g_strdup (pattern);
            g_autofree char *up = g_path_get_dirname (base);

            g_free (pattern);
            if (g_str_equal (up, ".") || g_str_equal (up, "/"))
              {
                pattern = g_strdup (g_str_equal (up, "/") ? "/**" : "**");
                break;
              }
            pattern = g_strconcat (up, "/**", NULL);
          }
      json_object_set_string_member (rule, "path", pattern);
    }
  json_object_set_string_member (rule, "decision", "allow");
  return rule;
}

/**
 * nb_tool_policy_check_rule:
 *
 * Returns: (transfer full) (nullable): what is wrong with @rule, or %NULL
 */
char *
nb_tool_policy_check_rule (JsonObject *rule)
{
  static const char * const strings[] = { "tool", "command", "path" };
  NbPermission decision;

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      JsonNode *node = json_object_get_member (rule, strings[i]);

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
          (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING))
        return g_strdup_printf (_("has a “%s” that is not a string"), strings[i]);
    }
  if (!nb_permission_from_string (nb_json_get_string (rule, "decision"), &decision))
    return g_strdup (_("needs a “decision”: “ask”, “allow” or “deny”"));
  return NULL;
}
