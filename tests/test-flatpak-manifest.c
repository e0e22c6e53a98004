/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>

/* flatpak-builder is not available where the tests run, so this checks
 * what it would read: the app ID, the runtime, a sandbox no wider than
 * the app needs, and a meson build of this source tree. */

static JsonObject *
load_manifest (JsonParser *parser)
{
  g_autofree char *path = g_build_filename (g_getenv ("NB_SOURCE_DIR"), "flatpak",
                                            APPLICATION_ID ".json", NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

static void
test_identity (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  JsonNode *version_node;
  const char *version;

  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "id", ""), ==, APPLICATION_ID);
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "runtime", ""), ==, "org.gnome.Platform");
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "sdk", ""), ==, "org.gnome.Sdk");
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "command", ""), ==, "nanobot");

  /* A released GNOME runtime: a plain number such as "47", kept as a
   * string as flatpak-builder wants. */
  version_node = json_object_get_member (manifest, "runtime-version");
  g_assert_nonnull (version_node);
  g_assert_true (json_node_get_value_type (version_node) == G_TYPE_STRING);
  version = json_node_get_string (version_node);
  g_assert_cmpuint (strlen (version), >, 0);
  g_assert_cmpuint (strspn (version, "0123456789"), ==, strlen (version));
  g_assert_cmpint (atoi (version), >=, 46);
}

static gboolean
contains (const char * const *list,
          gsize               n,
          const char         *arg)
{
  for (gsize i = 0; i < n; i++)
    if (g_strcmp0 (list[i], arg) == 0)
      return TRUE;
  return FALSE;
}

static void
test_sandbox (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  static const char *needed[] = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--talk-name=org.freedesktop.secrets",
  };
  static const char *allowed[] = {
    /* The tray icon, once it exists. */
    "--talk-name=org.kde.StatusNotifierWatcher",
  };
  g_autoptr(GPtrArray) given = g_ptr_array_new ();
  JsonArray *args;

  g_assert_true (json_object_has_member (manifest, "finish-args"));
  args = json_object_get_array_member (manifest, "finish-args");
  for (guint i = 0; i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);

      g_assert_nonnull (arg);
      g_ptr_array_add (given, (char *) arg);
    }

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    if (!contains ((const char * const *) given->pdata, given->len, needed[i]))
      g_error ("finish-args lacks %s", needed[i]);

  /* Nothing wider: no file system, no session bus at large. */
  for (guint i = 0; i < given->len; i++)
    {
      const char *arg = g_ptr_array_index (given, i);

      if (!contains (needed, G_N_ELEMENTS (needed), arg) &&
          !contains (allowed, G_N_ELEMENTS (allowed), arg))
        g_error ("unexpected finish-arg %s", arg);
    }
}

static void
test_builds_this_tree (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  JsonArray *modules;
  JsonObject *module;
  JsonArray *sources;
  JsonObject *source;

  modules = json_object_get_array_member (manifest, "modules");
  g_assert_nonnull (modules);
  g_assert_cmpuint (json_array_get_length (modules), >=, 1);

  /* The app is the last module; libraries it needs come before it. */
  module = json_array_get_object_element (modules, json_array_get_length (modules) - 1);
  g_assert_nonnull (module);
  g_assert_cmpstr (json_object_get_string_member_with_default (module, "name", ""), ==, "nanobot");
  g_assert_cmpstr (json_object_get_string_member_with_default (module, "buildsystem", ""), ==, "meson");

  sources = json_object_get_array_member (module, "sources");
  g_assert_nonnull (sources);
  g_assert_cmpuint (json_array_get_length (sources), ==, 1);
  source = json_array_get_object_element (sources, 0);
  g_assert_cmpstr (json_object_get_string_member_with_default (source, "type", ""), ==, "dir");
  g_assert_cmpstr (json_object_get_string_member_with_default (source, "path", ""), ==, "..");
}

/* Every library module before the app downloads a pinned release: an
 * archive or file with its sha256, never a moving branch. */
static void
test_modules_pinned (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  JsonArray *modules = json_object_get_array_member (manifest, "modules");
  guint n_modules = json_array_get_length (modules);

  for (guint i = 0; i + 1 < n_modules; i++)
    {
      JsonObject *module = json_array_get_object_element (modules, i);
      JsonArray *sources = json_object_get_array_member (module, "sources");

      g_assert_nonnull (sources);
      for (guint j = 0; j < json_array_get_length (sources); j++)
        {
          JsonObject *source = json_array_get_object_element (sources, j);
          const char *type = json_object_get_string_member_with_default (source, "type", "");
          const char *url = json_object_get_string_member_with_default (source, "url", "");
          const char *sha256 = json_object_get_string_member_with_default (source, "sha256", "");

          g_assert_true (g_str_equal (type, "archive") || g_str_equal (type, "file"));
          g_assert_true (g_str_has_prefix (url, "https://"));
          g_assert_cmpuint (strlen (sha256), ==, 64);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flatpak-manifest/identity", test_identity);
  g_test_add_func ("/flatpak-manifest/sandbox", test_sandbox);
  g_test_add_func ("/flatpak-manifest/builds-this-tree", test_builds_this_tree);
  g_test_add_func ("/flatpak-manifest/modules-pinned", test_modules_pinned);

  return g_test_run ();
}
