/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-config.h"
#include "nb-json-util.h"

struct _NbConfig
{
  GObject     parent_instance;

  char       *path;
  JsonNode   *root;      /* the user's file, as loaded plus what was set */
  JsonObject *defaults;
};

G_DEFINE_FINAL_TYPE (NbConfig, nb_config, G_TYPE_OBJECT)
G_DEFINE_QUARK (nb-config-error-quark, nb_config_error)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* nanobot-redux's defaults. The workspace is filled in at run time. */
static const char default_config[] =
  "{"
  " \"agents\": {\"defaults\": {"
  "   \"workspace\": null,"
  "   \"model\": \"anthropic/claude-opus-4-5\","
  "   \"provider\": \"auto\","
  "   \"maxTokens\": 4096,"
  "   \"temperature\": 0.7,"
  "   \"maxToolIterations\": 20,"
  "   \"memoryWindow\": 50,"
  "   \"memoryModel\": null,"
  "   \"reasoningEffort\": null,"
  "   \"connectTimeout\": 10,"
  "   \"streamIdleTimeout\": 120"
  " }},"
  " \"providers\": {},"
  " \"tools\": {"
  "   \"web\": {"
  "     \"search\": {\"provider\": \"brave\", \"apiKey\": \"\", \"baseUrl\": \"\", \"maxResults\": 5},"
  "     \"fetch\": {\"allowPrivateHosts\": false}"
  "   },"
  "   \"exec\": {\"timeout\": 60},"
  "   \"restrictToWorkspace\": false,"
  "   \"mcpServers\": {}"
  " }"
  "}";

typedef enum {
  KIND_OBJECT,
  KIND_STRING,       /* a string or null */
  KIND_INT,          /* an integer >= min */
  KIND_NUMBER,
  KIND_BOOL,
  KIND_STRING_ARRAY,
  KIND_STRING_MAP,   /* an object whose values are strings */
  KIND_HEADER_MAP,   /* HTTP header names to single-line values */
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
  { "providers.*.apiKey", KIND_STRING },
  { "providers.*.apiBase", KIND_STRING },
  { "providers.*.extraHeaders", KIND_HEADER_MAP },
  { "tools", KIND_OBJECT },
  { "tools.web", KIND_OBJECT },
  { "tools.web.search", KIND_OBJECT },
  { "tools.web.search.provider", KIND_STRING },
  { "tools.web.search.apiKey", KIND_STRING },
  { "tools.web.search.baseUrl", KIND_STRING },
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
  { "tools.mcpServers.*.url", KIND_STRING },
  { "tools.mcpServers.*.type", KIND_STRING },
  { "tools.mcpServers.*.headers", KIND_HEADER_MAP },
  { "tools.mcpServers.*.toolTimeout", KIND_INT, 1 },
};

/* "max_tool_iterations" → "maxToolIterations" */
static char *
camelize (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean upper = FALSE;

  for (const char *p = name; *p; p++)
    {
      if (*p == '_' && out->len > 0)
        {
          upper = TRUE;
          continue;
        }
      g_string_append_c (out, upper ? g_ascii_toupper (*p) : *p);
      upper = FALSE;
    }
  return g_string_free (out, FALSE);
}

/* "maxToolIterations" → "max_tool_iterations" */
static char *
snakify (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p; p++)
    {
      if (g_ascii_isupper (*p))
        {
          g_string_append_c (out, '_');
          g_string_append_c (out, g_ascii_tolower (*p));
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Finds @name in @object as written, camelCase or snake_case. */
static JsonNode *
lookup_member (JsonObject *object,
               const char *name)
{
  g_autofree char *snake = NULL;
  g_autofree char *camel = NULL;
  JsonNode *node;

  if ((node = json_object_get_member (object, name)) != NULL)
    return node;

  snake = snakify (name);
  camel = camelize (name);
  {
    g_autoptr(GList) members = json_object_get_members (object);

    for (GList *l = members; l; l = l->next)
      {
        if (g_str_equal (l->data, snake) || g_str_equal (l->data, camel))
          return json_object_get_member (object, l->data);
      }
  }
  return NULL;
}

static JsonNode *
lookup_path (JsonObject *object,
             const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (object == NULL)
        return NULL;
      node = lookup_member (object, parts[i]);
      if (node == NULL)
        return NULL;
      object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return node;
}

/* The user's value, else the default; NULL when both are missing or null. */
static JsonNode *
get_node (NbConfig   *self,
          const char *path)
{
  JsonNode *node = NULL;

  if (self->root != NULL && JSON_NODE_HOLDS_OBJECT (self->root))
    node = lookup_path (json_node_get_object (self->root), path);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    node = lookup_path (self->defaults, path);
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static void
nb_config_finalize (GObject *object)
{
  NbConfig *self = NB_CONFIG (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->defaults, json_object_unref);

  G_OBJECT_CLASS (nb_config_parent_class)->finalize (object);
}

static void
nb_config_class_init (NbConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_config_finalize;

  /**
   * NbConfig::changed:
   *
   * The configuration was saved, or reloaded from its file: whoever
   * caches a setting (the provider, MCP servers) takes the new values for
   * the next turn.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
nb_config_init (NbConfig *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, default_config, -1, NULL))
    g_assert_not_reached ();
  self->defaults = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  self->root = json_node_init_object (json_node_alloc (), json_object_new ());
  json_object_unref (json_node_get_object (self->root));
}

/**
 * nb_config_new:
 *
 * Returns: (transfer full): a configuration holding only the defaults
 */
NbConfig *
nb_config_new (void)
{
  return g_object_new (NB_TYPE_CONFIG, NULL);
}

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
  if (frame->is_object)
    return *frame->path ? g_strconcat (frame->path, ".", frame->key, NULL) : g_strdup (frame->key);
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
      g_autofree char *camel = camelize (name);
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

/* json-glib says "<file>:3:15: Parse error: unexpected …"; keep what follows. */
static char *
describe_parse_error (const char *file,
                      GError     *error)
{
  g_autoptr(GRegex) regex = g_regex_new (":(\\d+):(\\d+): (?:Parse error: )?(.*)$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (g_regex_match (regex, error->message, 0, &match))
    {
      g_autofree char *line = g_match_info_fetch (match, 1);
      g_autofree char *col = g_match_info_fetch (match, 2);
      g_autofree char *what = g_match_info_fetch (match, 3);

      return g_strdup_printf ("%s:%s:%s: %s", file, line, col, what);
    }
  return g_strdup_printf ("%s:1:1: %s", file, error->message);
}

/**
 * nb_config_load:
 * @path: the config file
 * @error: set with a "FILE:LINE:COL: what is wrong" message
 *
 * Reads @path. A missing file yields the defaults; anything else that
 * stops the file from being read or understood is an error.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 */
NbConfig *
nb_config_load (const char  *path,
                GError     **error)
{
  g_autoptr(NbConfig) self = nb_config_new ();
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GHashTable) positions = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonNode *root;
  Validation v;

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&self);
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO,
                   "%s: %s", path, local_error->message);
      return NULL;
    }

  if (!g_utf8_validate (text, length, NULL))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                   _("%s:1:1: the file is not UTF-8 text"), path);
      return NULL;
    }

  if (!nb_json_parser_load (parser, text, length, &local_error))
    {
      g_autofree char *message = describe_parse_error (path, local_error);

      g_set_error_literal (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE, message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                   _("%s:1:1: the configuration must be a JSON object"), path);
      return NULL;
    }

  positions = map_positions (text);
  v.file = path;
  v.positions = positions;
  v.error = error;
  if (!validate_object (&v, json_node_get_object (root), "", ""))
    return NULL;

  g_clear_pointer (&self->root, json_node_unref);
  self->root = json_node_copy (root);

  return g_steal_pointer (&self);
}

/**
 * nb_config_save:
 * @path: (nullable): where to write; %NULL for the file it was loaded from
 *
 * Writes the configuration atomically (temporary file and rename) with
 * mode 0600, keeping every key the user had, known or not.
 */
gboolean
nb_config_save (NbConfig    *self,
                const char  *path,
                GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *target = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (NB_IS_CONFIG (self), FALSE);

  if (path == NULL)
    path = self->path;
  g_return_val_if_fail (path != NULL, FALSE);

  /* A config.json that is a symbolic link (a dotfiles repository) is
   * written where it points; the rename would replace the link. */
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) && (target = realpath (path, NULL)) != NULL)
    path = target;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO,
                   "%s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  text = nb_json_to_data (self->root, TRUE, NULL);

  if (!g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                 0600, &local_error))
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO,
                   "%s", local_error->message);
      return FALSE;
    }

  /* An existing file keeps its mode on replace; the key must stay private. */
  if (g_chmod (path, 0600) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO,
                   "%s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  if (self->path == NULL)
    self->path = g_strdup (path);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

const char *
nb_config_get_path (NbConfig *self)
{
  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);
  return self->path;
}

const char *
nb_config_get_string (NbConfig   *self,
                      const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
nb_config_get_int (NbConfig   *self,
                   const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), 0);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return json_node_get_int (node);
}

double
nb_config_get_double (NbConfig   *self,
                      const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), 0.0);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0.0;
  return json_node_get_double (node);
}

gboolean
nb_config_get_boolean (NbConfig   *self,
                       const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), FALSE);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  return json_node_get_boolean (node);
}

/**
 * nb_config_get_object:
 *
 * Returns: (transfer none) (nullable): the object at @path
 */
JsonObject *
nb_config_get_object (NbConfig   *self,
                      const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/**
 * nb_config_get_array:
 *
 * Returns: (transfer none) (nullable): the array at @path
 */
JsonArray *
nb_config_get_array (NbConfig   *self,
                     const char *path)
{
  JsonNode *node;

  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);

  node = get_node (self, path);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

/* Walks to the parent object of @path in the user's tree, creating objects. */
static JsonObject *
ensure_parent (NbConfig    *self,
               const char  *path,
               char       **leaf)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonObject *object = json_node_get_object (self->root);
  guint n = g_strv_length (parts);

  for (guint i = 0; i + 1 < n; i++)
    {
      JsonNode *node = lookup_member (object, parts[i]);

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          json_object_set_object_member (object, parts[i], json_object_new ());
          node = json_object_get_member (object, parts[i]);
        }
      object = json_node_get_object (node);
    }

  *leaf = g_strdup (parts[n - 1]);
  return object;
}

static void
set_node (NbConfig   *self,
          const char *path,
          JsonNode   *value)
{
  g_autofree char *leaf = NULL;
  g_autofree char *snake = NULL;
  JsonObject *parent = ensure_parent (self, path, &leaf);

  /* Save in camelCase, as the Python nanobot does, without a stale twin. */
  snake = snakify (leaf);
  if (!g_str_equal (snake, leaf))
    json_object_remove_member (parent, snake);
  json_object_set_member (parent, leaf, value);
}

void
nb_config_set_string (NbConfig   *self,
                      const char *path,
                      const char *value)
{
  JsonNode *node = json_node_new (JSON_NODE_NULL);

  g_return_if_fail (NB_IS_CONFIG (self));

  if (value != NULL)
    json_node_init_string (node, value);
  set_node (self, path, node);
}

void
nb_config_set_int (NbConfig   *self,
                   const char *path,
                   gint64      value)
{
  g_return_if_fail (NB_IS_CONFIG (self));
  set_node (self, path, json_node_init_int (json_node_alloc (), value));
}

void
nb_config_set_boolean (NbConfig   *self,
                       const char *path,
                       gboolean    value)
{
  g_return_if_fail (NB_IS_CONFIG (self));
  set_node (self, path, json_node_init_boolean (json_node_alloc (), value));
}

/**
 * nb_config_get_data_dir:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/nanobot`
 */
char *
nb_config_get_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "nanobot", NULL);
}

/**
 * nb_config_get_default_path:
 *
 * Returns: (transfer full): `$XDG_CONFIG_HOME/nanobot/config.json`
 */
char *
nb_config_get_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "nanobot", "config.json", NULL);
}

/**
 * nb_config_dup_workspace:
 *
 * Returns: (transfer full): the workspace folder, "~" expanded
 */
char *
nb_config_dup_workspace (NbConfig *self)
{
  const char *workspace;
  g_autofree char *data_dir = NULL;

  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);

  workspace = nb_config_get_string (self, "agents.defaults.workspace");
  if (workspace == NULL || *workspace == '\0')
    {
      data_dir = nb_config_get_data_dir ();
      return g_build_filename (data_dir, "workspace", NULL);
    }
  if (g_str_equal (workspace, "~"))
    return g_strdup (g_get_home_dir ());
  if (g_str_has_prefix (workspace, "~/"))
    return g_build_filename (g_get_home_dir (), workspace + 2, NULL);
  return g_strdup (workspace);
}

/**
 * nb_config_reload:
 *
 * Reads the file the configuration was loaded from again (another
 * program, or the user's editor, changed it) and emits
 * #NbConfig::changed. On an error the configuration stays as it was.
 *
 * Returns: whether the file was read
 */
gboolean
nb_config_reload (NbConfig  *self,
                  GError   **error)
{
  g_autoptr(NbConfig) fresh = NULL;

  g_return_val_if_fail (NB_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (self->path != NULL, FALSE);

  fresh = nb_config_load (self->path, error);
  if (fresh == NULL)
    return FALSE;
  g_clear_pointer (&self->root, json_node_unref);
  self->root = g_steal_pointer (&fresh->root);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/**
 * nb_config_get_memory_model:
 *
 * The model of memory consolidation.
 *
 * Returns: (transfer none) (nullable): `agents.defaults.memoryModel` when
 *   set, else `agents.defaults.model`
 */
const char *
nb_config_get_memory_model (NbConfig *self)
{
  const char *model;

  g_return_val_if_fail (NB_IS_CONFIG (self), NULL);

  model = nb_config_get_string (self, "agents.defaults.memoryModel");
  if (model == NULL || *model == '\0')
    model = nb_config_get_string (self, "agents.defaults.model");
  return model;
}
