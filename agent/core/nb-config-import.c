/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-import.h"
#include "nb-config-private.h"

char *
nb_config_import_get_python_path (void)
{
  return g_build_filename (g_get_home_dir (), ".nanobot", "config.json", NULL);
}

/* A copy of @object with its own member names in camelCase (the Python
 * nanobot may write snake_case), except below the maps named in @keep,
 * whose names are the user's (headers, environment variables). */
static JsonNode *
camelized (JsonObject         *object,
           const char * const *keep)
{
  g_autoptr(JsonObject) copy = json_object_new ();
  g_autoptr(GList) names = json_object_get_members (object);
  JsonNode *node;

  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *name = nb_config_camelize (l->data);
      JsonNode *value = json_object_get_member (object, l->data);

      if (g_strv_contains (keep, name) || !JSON_NODE_HOLDS_OBJECT (value))
        json_object_set_member (copy, name, nb_config_edit_deep_copy (value));
      else
        json_object_set_member (copy, name, camelized (json_node_get_object (value), keep));
    }
  node = json_node_init_object (json_node_alloc (), copy);
  return node;
}

static void
import_value (NbConfigEdit *edit,
              NbConfig     *python,
              const char   *path)
{
  JsonObject *parent;
  g_autofree char *parent_path = g_strdup (path);
  char *dot = strrchr (parent_path, '.');
  JsonNode *node = NULL;

  /* Only what the file says, not our defaults. */
  *dot = '\0';
  parent = nb_config_get_object (python, parent_path);
  if (parent != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (parent);
      g_autofree char *camel = NULL;

      for (GList *l = names; l != NULL && node == NULL; l = l->next)
        {
          g_free (camel);
          camel = nb_config_camelize (l->data);
          if (g_str_equal (camel, dot + 1))
            node = json_object_get_member (parent, l->data);
        }
    }
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    nb_config_edit_set_node (edit, path, node);
}

/**
 * nb_config_import_python:
 * @keys: (out) (transfer full): provider name → key
 *
 * Returns: (transfer full): the changes, or %NULL with @error set
 */
NbConfigEdit *
nb_config_import_python (const char  *path,
                         GHashTable **keys,
                         GError     **error)
{
  static const char * const values[] = {
    "agents.defaults.model", "agents.defaults.provider", "agents.defaults.maxTokens",
    "agents.defaults.temperature", "agents.defaults.maxToolIterations", "agents.defaults.memoryWindow",
    "agents.defaults.memoryModel", "agents.defaults.reasoningEffort",
    "tools.exec.timeout", "tools.restrictToWorkspace",
  };
  static const char * const keep[] = { "extraHeaders", "env", "headers", NULL };
  g_autoptr(NbConfig) python = NULL;
  g_autoptr(GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  NbConfigEdit *edit;
  JsonObject *object;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (keys != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s does not exist"), path);
      return NULL;
    }
  python = nb_config_load (path, error);
  if (python == NULL)
    return NULL;

  edit = nb_config_edit_new ();
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    import_value (edit, python, values[i]);

  object = nb_config_get_object (python, "providers");
  if (object != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (object, l->data);
          g_autoptr(JsonNode) provider = NULL;
          JsonObject *settings;
          const char *key;
          const char *base;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          provider = camelized (json_node_get_object (node), keep);
          settings = json_node_get_object (provider);
          key = json_object_has_member (settings, "apiKey") ? json_object_get_string_member_with_default (settings, "apiKey", NULL) : NULL;
          base = json_object_has_member (settings, "apiBase") ? json_object_get_string_member_with_default (settings, "apiBase", NULL) : NULL;
          /* The Python defaults list every provider with an empty key. */
          if ((key == NULL || *key == '\0') && (base == NULL || *base == '\0'))
            continue;
          if (key != NULL && *key != '\0')
            g_hash_table_insert (found, g_strdup (l->data), g_strstrip (g_strdup (key)));
          json_object_remove_member (settings, "apiKey");
          if (base == NULL || *base == '\0')
            json_object_remove_member (settings, "apiBase");
          nb_config_edit_set_member (edit, "providers", l->data, provider);
        }
    }

  object = nb_config_get_object (python, "tools.web");
  if (object != NULL)
    {
      g_autoptr(JsonNode) web = camelized (object, keep);

      nb_config_edit_set_node (edit, "tools.web", web);
    }
  object = nb_config_get_object (python, "tools.mcpServers");
  if (object != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (object, l->data);
          g_autoptr(JsonNode) server = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          server = camelized (json_node_get_object (node), keep);
          nb_config_edit_set_member (edit, "tools.mcpServers", l->data, server);
        }
    }

  *keys = g_steal_pointer (&found);
  return edit;
}
