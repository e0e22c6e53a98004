/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "nb-config-private.h"
#include "nb-tool-policy.h"

/*
 * Checking a loaded config.json: the type of every known key, with the
 * line and column of a wrong value. Unknown keys are not checked (they
 * are kept on save).
 */

typedef enum {
  KIND_OBJECT,
  KIND_STRING,       /* a string or null */
  KIND_INT,          /* an integer >= min */
  KIND_NUMBER,
  KIND_BOOL,
  KIND_STRING_ARRAY,
  KIND_STRING_MAP,   /* an object whose values are strings */
  KIND_HEADER_MAP,   /* HTTP header names to single-line values */
  KIND_URL,          /* a string or null: empty, or an http(s) URL with a host */
  KIND_SECRET,       /* a string or null without control characters inside
                      * (surrounding whitespace is trimmed where it is used) */
  KIND_PERMISSION,   /* "ask", "allow", "deny" or null */
  KIND_PERMISSION_RULES, /* a list of rules (nb_tool_policy_check_rule()) */
} ValueKind;

typedef struct {
  const char *pattern;   /* camelCase path, "*" for a name the user chose */
  ValueKind   kind;
  gint64      min;
} KnownKey;

static const KnownKey known_keys[] = {
  { "agents", KIND_OBJECT },
  { "agents.defaults", KIND_OBJECT },
  { "agents.defaults.workspace", KIND_STRING },
  { "agents.defaults.model", KIND_STRING },
  { "agents.defaults.provider", KIND_STRING },
  { "agents.defaults.maxTokens", KIND_INT, 1 },
  { "agents.defaults.temperature", KIND_NUMBER },
  { "agents.defaults.maxToolIterations", KIND_INT, 1 },
  { "agents.defaults.memoryWindow", KIND_INT, 1 },
  { "agents.defaults.memoryModel", KIND_STRING },
  { "agents.defaults.reasoningEffort", KIND_STRING },
  { "agents.defaults.connectTimeout", KIND_INT, 1 },
  { "agents.defaults.streamIdleTimeout", KIND_INT, 1 },
  { "providers", KIND_OBJECT },
  { "providers.*", KIND_OBJECT },
  { "providers.*.apiKey", KIND_SECRET },
  { "providers.*.apiBase", KIND_URL },
  { "providers.*.extraHeaders", KIND_HEADER_MAP },
  { "tools", KIND_OBJECT },
  { "tools.web", KIND_OBJECT },
  { "tools.web.search", KIND_OBJECT },
  { "tools.web.search.provider", KIND_STRING },
  { "tools.web.search.apiKey", KIND_SECRET },
  { "tools.web.search.baseUrl", KIND_URL },
  { "tools.web.search.maxResults", KIND_INT, 1 },
  { "tools.web.fetch", KIND_OBJECT },
  { "tools.web.fetch.allowPrivateHosts", KIND_BOOL },
  { "tools.exec", KIND_OBJECT },
  { "tools.exec.timeout", KIND_INT, 1 },
  { "tools.restrictToWorkspace", KIND_BOOL },
  { "tools.mcpServers", KIND_OBJECT },
  { "tools.mcpServers.*", KIND_OBJECT },
  { "tools.mcpServers.*.command", KIND_STRING },
  { "tools.mcpServers.*.args", KIND_STRING_ARRAY },
  { "tools.mcpServers.*.env", KIND_STRING_MAP },
  { "tools.mcpServers.*.url", KIND_URL },
  { "tools.mcpServers.*.type", KIND_STRING },
  { "tools.mcpServers.*.headers", KIND_HEADER_MAP },
  { "tools.mcpServers.*.toolTimeout", KIND_INT, 1 },
  { "tools.permissions", KIND_OBJECT },
  { "tools.permissions.default", KIND_PERMISSION },
  { "tools.permissions.rules", KIND_PERMISSION_RULES },
};

/*
 * Records where each value of a JSON text starts, by its path as written
 * ("tools.mcpServers.fs.args[1]"). json-glib reports positions for syntax
 * errors only; this lets type errors name their line and column too. The
 * text is known to be valid JSON when this runs.
 */
typedef struct {
  gboolean is_object;
  char    *path;
  char    *key;
  guint    index;
} Frame;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_free (frame->path);
  g_free (frame->key);
}

static char *
frame_child_path (Frame *frame)
{
  if (frame == NULL)
    return g_strdup ("");
  /* A value where a key was expected (json-glib reads text this scanner
   * does not follow, found by tests/fuzz/fuzz-config.c) has no key. */
  if (frame->is_object)
    return *frame->path ? g_strconcat (frame->path, ".", frame->key != NULL ? frame->key : "", NULL)
                        : g_strdup (frame->key != NULL ? frame->key : "");
  return g_strdup_printf ("%s[%u]", frame->path, frame->index);
}

static GHashTable *
map_positions (const char *text)
{
  GHashTable *positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) stack = g_array_new (FALSE, TRUE, sizeof (Frame));
  guint line = 1, col = 1;
  gboolean expect_key = FALSE;

  g_array_set_clear_func (stack, frame_clear);

  /* json-glib skips a byte order mark; so do the positions. */
  if (g_str_has_prefix (text, "\xef\xbb\xbf"))
    text += 3;

  for (const char *p = text; *p; )
    {
      Frame *top = stack->len ? &g_array_index (stack, Frame, stack->len - 1) : NULL;
      char c = *p;

      if (c == '\n')
        {
          line++;
          col = 1;
          p++;
          continue;
        }
      if (g_ascii_isspace (c) || c == ':')
        {
          p++, col++;
          continue;
        }
      if (c == ',')
        {
          if (top && top->is_object)
            expect_key = TRUE;
          else if (top)
            top->index++;
          p++, col++;
          continue;
        }
      if (c == '}' || c == ']')
        {
          /* Never below empty, whatever the text holds. */
          if (stack->len > 0)
            g_array_set_size (stack, stack->len - 1);
          expect_key = FALSE;
          p++, col++;
          continue;
        }

      if (c == '"' && expect_key && top && top->is_object)
        {
          GString *key = g_string_new (NULL);

          for (p++, col++; *p && *p != '"'; p = g_utf8_next_char (p), col++)
            {
              if (*p == '\\' && p[1])
                {
                  g_string_append_c (key, p[1]);
                  p++, col++;
                  continue;
                }
              g_string_append_unichar (key, g_utf8_get_char (p));
            }
          if (*p)
            p++, col++;
          g_free (top->key);
          top->key = g_string_free (key, FALSE);
          expect_key = FALSE;
          continue;
        }

      /* A value starts here. */
      g_hash_table_insert (positions, frame_child_path (top),
                           GUINT_TO_POINTER ((line << 12) | MIN (col, 4095)));

      if (c == '{' || c == '[')
        {
          Frame frame = { c == '{', frame_child_path (top), NULL, 0 };

          g_array_append_val (stack, frame);
          expect_key = (c == '{');
          p++, col++;
          continue;
        }
      if (c == '"')
        {
          for (p++, col++; *p && *p != '"'; p = g_utf8_next_char (p), col++)
            if (*p == '\\' && p[1])
              p++, col++;
          if (*p)
            p++, col++;
          continue;
        }
      while (*p && !strchr (",}] \t\r\n", *p))
        p++, col++;
    }

  return positions;
}

typedef struct {
  const char *file;
  GHashTable *positions;
  GError    **error;
} Validation;

static gboolean
invalid (Validation *v,
         const char *raw_path,
         const char *shown_path,
         const char *what)
{
  guint packed = GPOINTER_TO_UINT (g_hash_table_lookup (v->positions, raw_path));
  guint line = packed >> 12, col = packed & 0xfff;

  if (packed == 0)
    line = col = 1;
  g_set_error (v->error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
               "%s:%u:%u: %s %s", v->file, line, col, shown_path, what);
  return FALSE;
}

static const KnownKey *
find_known (const char *pattern)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (g_str_equal (known_keys[i].pattern, pattern))
      return &known_keys[i];
  return NULL;
}

/* An HTTP field name: a token (RFC 9110, 5.1). */
static gboolean
is_header_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
node_is_string_or_null (JsonNode *node)
{
  return JSON_NODE_HOLDS_NULL (node) ||
         (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING);
}

static gboolean validate_object (Validation *v,
                                 JsonObject *object,
                                 const char *raw_path,
                                 const char *pattern);

static gboolean
validate_value (Validation     *v,
                JsonNode       *node,
                const KnownKey *key,
                const char     *raw_path,
                const char     *shown)
{
  switch (key->kind)
    {
    case KIND_OBJECT:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return invalid (v, raw_path, shown, _("must be an object"));
      return validate_object (v, json_node_get_object (node), raw_path, key->pattern);

    case KIND_STRING:
      if (!node_is_string_or_null (node))
        return invalid (v, raw_path, shown, _("must be a string"));
      return TRUE;

    case KIND_URL:
      if (!node_is_string_or_null (node))
        return invalid (v, raw_path, shown, _("must be a string"));
      if (JSON_NODE_HOLDS_VALUE (node) && !nb_config_is_http_url (json_node_get_string (node)))
        return invalid (v, raw_path, shown, _("must be an http:// or https:// URL"));
      return TRUE;

    case KIND_SECRET:
      if (!node_is_string_or_null (node))
        return invalid (v, raw_path, shown, _("must be a string"));
      if (JSON_NODE_HOLDS_VALUE (node) && nb_config_secret_has_control (json_node_get_string (node)))
        return invalid (v, raw_path, shown, _("contains a control character (a line break or tab inside the key?)"));
      return TRUE;

    case KIND_INT:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        return invalid (v, raw_path, shown, _("must be an integer"));
      if (json_node_get_int (node) < key->min)
        {
          g_autofree char *min = g_strdup_printf ("%" G_GINT64_FORMAT, key->min);
          g_autofree char *what = g_strdup_printf (_("must be at least %s"), min);
          return invalid (v, raw_path, shown, what);
        }
      return TRUE;

    case KIND_NUMBER:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_VALUE (node) ||
          (json_node_get_value_type (node) != G_TYPE_INT64 &&
           json_node_get_value_type (node) != G_TYPE_DOUBLE))
        return invalid (v, raw_path, shown, _("must be a number"));
      return TRUE;

    case KIND_BOOL:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return invalid (v, raw_path, shown, _("must be true or false"));
      return TRUE;

    case KIND_STRING_ARRAY:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid (v, raw_path, shown, _("must be a list of strings"));
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        {
          JsonNode *item = json_array_get_element (json_node_get_array (node), i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            {
              g_autofree char *item_raw = g_strdup_printf ("%s[%u]", raw_path, i);
              g_autofree char *item_shown = g_strdup_printf ("%s[%u]", shown, i);
              return invalid (v, item_raw, item_shown, _("must be a string"));
            }
        }
      return TRUE;

    case KIND_STRING_MAP:
    case KIND_HEADER_MAP:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return invalid (v, raw_path, shown, _("must be an object of strings"));
      {
        JsonObject *map = json_node_get_object (node);
        g_autoptr(GList) names = json_object_get_members (map);

        for (GList *l = names; l; l = l->next)
          {
            JsonNode *item = json_object_get_member (map, l->data);
            g_autofree char *item_raw = g_strconcat (raw_path, ".", l->data, NULL);
            g_autofree char *item_shown = g_strconcat (shown, ".", l->data, NULL);

            if (!node_is_string_or_null (item))
              return invalid (v, item_raw, item_shown, _("must be a string"));
            if (key->kind == KIND_HEADER_MAP && !is_header_name (l->data))
              return invalid (v, raw_path, shown,
                              _("has a name that cannot be an HTTP header (letters, digits and !#$%&'*+-.^_`|~ only)"));
            if (key->kind == KIND_HEADER_MAP && JSON_NODE_HOLDS_VALUE (item) &&
                strpbrk (json_node_get_string (item), "\r\n") != NULL)
              return invalid (v, item_raw, item_shown, _("must be on one line"));
          }
      }
      return TRUE;

    case KIND_PERMISSION:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      {
        NbPermission permission;

        if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
            !nb_permission_from_string (json_node_get_string (node), &permission))
          return invalid (v, raw_path, shown, _("must be “ask”, “allow” or “deny”"));
      }
      return TRUE;

    case KIND_PERMISSION_RULES:
      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid (v, raw_path, shown, _("must be a list of rules"));
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        {
          JsonNode *item = json_array_get_element (json_node_get_array (node), i);
          g_autofree char *item_raw = g_strdup_printf ("%s[%u]", raw_path, i);
          g_autofree char *item_shown = g_strdup_printf ("%s[%u]", shown, i);
          g_autofree char *problem = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            return invalid (v, item_raw, item_shown, _("must be an object"));
          problem = nb_tool_policy_check_rule (json_node_get_object (item));
          if (problem != NULL)
            return invalid (v, item_raw, item_shown, problem);
        }
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
validate_object (Validation *v,
                 JsonObject *object,
                 const char *raw_path,
                 const char *pattern)
{
  g_autoptr(GList) names = json_object_get_members (object);

  for (GList *l = names; l; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *camel = nb_config_camelize (name);
      g_autofree char *child_pattern = *pattern ? g_strconcat (pattern, ".", camel, NULL) : g_strdup (camel);
      g_autofree char *wild_pattern = *pattern ? g_strconcat (pattern, ".*", NULL) : NULL;
      g_autofree char *child_raw = *raw_path ? g_strconcat (raw_path, ".", name, NULL) : g_strdup (name);
      const KnownKey *key = find_known (child_pattern);

      if (key == NULL && wild_pattern != NULL)
        key = find_known (wild_pattern);
      if (key == NULL)
        continue;  /* Unknown keys are the user's business; they are kept. */

      if (!validate_value (v, json_object_get_member (object, name), key, child_raw, child_raw))
        return FALSE;
    }
  return TRUE;
}

/* See nb-config-private.h. */
gboolean
nb_config_validate (const char  *file,
                    const char  *text,
                    JsonObject  *root,
                    GError     **error)
{
  g_autoptr(GHashTable) positions = map_positions (text);
  Validation v;

  v.file = file;
  v.positions = positions;
  v.error = error;
  return validate_object (&v, root, "", "");
}

/**
 * nb_config_is_http_url:
 * @text: a configured address
 *
 * Returns: whether @text is empty (not set) or an absolute http:// or
 *   https:// URL with a host
 */
gboolean
nb_config_is_http_url (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (text != NULL, FALSE);

  if (*text == '\0')
    return TRUE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

/**
 * nb_config_secret_has_control:
 * @secret: an API key as given
 *
 * Returns: whether @secret, without its surrounding whitespace, still has
 *   a control character (such a key cannot go into an HTTP header)
 */
gboolean
nb_config_secret_has_control (const char *secret)
{
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (secret != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (secret));
  for (const char *p = trimmed; *p; p++)
    if (g_ascii_iscntrl (*p))
      return TRUE;
  return FALSE;
}

/**
 * nb_config_check_workspace:
 * @self: a configuration
 * @error: set when the workspace cannot be used
 *
 * Creates the workspace folder if it is missing. A workspace that is a
 * file, or that cannot be created, is a configuration error naming
 * agents.defaults.workspace and the file.
 *
 * Returns: whether the workspace is a folder
 */
gboolean
nb_config_check_workspace (NbConfig  *self,
                           GError   **error)
{
  g_autofree char *workspace = NULL;
  g_autofree char *default_path = NULL;
  const char *file;
  int saved_errno;

  g_return_val_if_fail (NB_IS_CONFIG (self), FALSE);

  file = nb_config_get_path (self);
  if (file == NULL)
    file = default_path = nb_config_get_default_path ();
  workspace = nb_config_dup_workspace (self);
  if (g_file_test (workspace, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (g_file_test (workspace, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                   _("%s: agents.defaults.workspace “%s” is not a folder"), file, workspace);
      return FALSE;
    }
  if (g_mkdir_with_parents (workspace, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
               _("%s: agents.defaults.workspace “%s” cannot be created: %s"),
               file, workspace, g_strerror (saved_errno));
  return FALSE;
}
