/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-config-private.h"
#include "nb-file-util.h"
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

/* "max_tool_iterations" → "maxToolIterations" */
char *
nb_config_camelize (const char *name)
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
  camel = nb_config_camelize (name);
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
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);

  if (!nb_file_read_bounded (path, NB_FILE_MAX_CONFIG, &text, &length, &local_error))
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

  if (!nb_config_validate (path, text, json_node_get_object (root), error))
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
    return nb_json_double_to_int64 (json_node_get_double (node));
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
  /* Our own write (nb-config-edit.c) is seen by the file monitor too:
   * the same contents are no change. */
  if (self->root != NULL && json_node_equal (self->root, fresh->root))
    return TRUE;
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

/* For nb-config-edit.c: the tree just written to @path. */
void
nb_config_take_root (NbConfig   *self,
                     JsonNode   *root,
                     const char *path)
{
  g_return_if_fail (NB_IS_CONFIG (self));
  g_return_if_fail (root != NULL && JSON_NODE_HOLDS_OBJECT (root));

  g_clear_pointer (&self->root, json_node_unref);
  self->root = root;
  if (self->path == NULL)
    self->path = g_strdup (path);
  g_signal_emit (self, signals[CHANGED], 0);
}
