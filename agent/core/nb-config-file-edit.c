/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-config.h"
#include "nb-config-file-edit.h"
#include "nb-file-util.h"
#include "nb-json-util.h"

/*
 * A small writer of config.json for the permission rules: the file is
 * read again (not the in-memory NbConfig, which may be older), parsed,
 * changed in its JsonNode tree — so unknown keys and the order of members
 * stay — and written to a temporary file with mode 0600 that is fsynced
 * and renamed over the old one. The caller then reloads the NbConfig.
 * Meant to be folded into the general writer of Preferences later.
 */

/**
 * nb_config_file_ensure_object:
 * @parent: an object of the file
 * @camel_name: the member's name ("permissions")
 * @snake_name: (nullable): its other spelling, used when present
 *
 * Returns: (transfer none): the member, made an empty object when it was
 *   missing or not an object
 */
JsonObject *
nb_config_file_ensure_object (JsonObject *parent,
                              const char *camel_name,
                              const char *snake_name)
{
  const char *name = camel_name;
  JsonNode *node;

  if (!json_object_has_member (parent, camel_name) && snake_name != NULL &&
      json_object_has_member (parent, snake_name))
    name = snake_name;
  node = json_object_get_member (parent, name);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    json_object_set_object_member (parent, name, json_object_new ());
  return json_object_get_object_member (parent, name);
}

/**
 * nb_config_file_edit:
 * @path: config.json; a missing file is started empty
 * @func: changes the parsed tree
 *
 * Returns: whether the file was changed
 */
gboolean
nb_config_file_edit (const char        *path,
                     NbConfigEditFunc   func,
                     gpointer           user_data,
                     GError           **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!nb_file_read_bounded (path, NB_FILE_MAX_CONFIG, &contents, &length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  if (contents != NULL && length > 0)
    {
      if (!nb_json_parser_load (parser, contents, length, &local_error))
        {
          g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE,
                       _("%s is not valid JSON, so it was not changed: %s"), path, local_error->message);
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                       _("%s does not hold a JSON object, so it was not changed"), path);
          return FALSE;
        }
      root = json_parser_steal_root (parser);
    }
  else
    root = json_node_init_object (json_node_alloc (), json_object_new ());

  if (!func (json_node_get_object (root), user_data, error))
    return FALSE;

  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Could not make the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  /* A temporary file in the same folder, fsynced, then renamed. */
  return g_file_set_contents_full (path, text, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
