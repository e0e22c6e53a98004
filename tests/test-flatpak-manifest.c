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
  /* The command is the program meson builds and installs. */
  {
    g_autofree char *built = g_path_get_basename (g_getenv ("NANOBOT_BIN"));

    g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "command", ""), ==, built);
  }

  /* A released GNOME runtime: a plain number such as "47", kept as a
   * string as flatpak-builder wants. */
  version_node = json_object_get_member (manifest, "runtime-version");
  g_assert_nonnull (version_node);
  g_assert_true (json_node_get_value_type (version_node) == G_TYPE_STRING);
  version = json_node_get_string (version_node);
  g_assert_cmpuint (strlen (version), >, 0);
  g_assert_cmpuint (strspn (version, "0123456789"), ==, strlen (version));
  g_assert_cmpint (atoi (version), >=, 49);
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
    /* X11's shared memory, for the fallback-x11 socket. */
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    /* The tray icon (NbTray); without it the icon is quietly absent. */
    "--talk-name=org.kde.StatusNotifierWatcher",
  };
  /* Nothing else is allowed; these would be easy to add by mistake and
   * are named so the failure says why: notifications, secrets and
   * running in the background go through portals, files through the
   * workspace (its own folder in the sandbox) and the file chooser. */
  static const char *forbidden[] = {
    "--filesystem=home",
    "--filesystem=host",
    "--talk-name=org.freedesktop.Flatpak",
    "--talk-name=org.freedesktop.secrets",
    "--talk-name=org.freedesktop.Notifications",
    "--socket=session-bus",
    "--socket=x11",
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

      if (contains (forbidden, G_N_ELEMENTS (forbidden), arg))
        g_error ("forbidden finish-arg %s", arg);
      if (!contains (needed, G_N_ELEMENTS (needed), arg))
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
          g_assert_cmpuint (strspn (sha256, "0123456789abcdef"), ==, 64);
        }
    }
}

static char *
read_source_file (const char *relative)
{
  g_autofree char *path = g_build_filename (g_getenv ("NB_SOURCE_DIR"), relative, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Every library meson.build asks for is in the GNOME runtime or built
 * as a module before the app. */
static void
test_dependencies_provided (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  JsonArray *modules = json_object_get_array_member (manifest, "modules");
  /* What org.gnome.Platform ships of what we use. */
  static const char *in_runtime[] = {
    "glib-2.0", "gio-2.0", "gio-unix-2.0", "json-glib-1.0", "libsoup-3.0", "libsecret-1",
    "libxml-2.0", "gtk4", "libadwaita-1", "gtksourceview-5",
  };
  g_autofree char *meson = read_source_file ("meson.build");
  const char *p = meson;
  guint checked = 0;

  while ((p = strstr (p, "dependency('")) != NULL)
    {
      g_autofree char *name = NULL;
      gboolean found = FALSE;

      p += strlen ("dependency('");
      name = g_strndup (p, strcspn (p, "'"));
      checked++;
      if (contains (in_runtime, G_N_ELEMENTS (in_runtime), name))
        continue;
      for (guint i = 0; i + 1 < json_array_get_length (modules); i++)
        {
          JsonObject *module = json_array_get_object_element (modules, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (module, "name", ""), name) == 0)
            found = TRUE;
        }
      if (!found)
        g_error ("meson.build needs %s, which is neither in the runtime nor a module", name);
    }
  g_assert_cmpuint (checked, >=, 10);
}


/* The app ID is the same in the manifest, the .desktop file's name, the
 * metainfo, the GSettings schema, the search provider and the D-Bus
 * service: Flatpak exports only files named after the app ID, and GNOME
 * Shell finds the search provider by its desktop ID and bus name. */
static void
test_ids_agree (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = load_manifest (parser);
  const char *id = json_object_get_string_member_with_default (manifest, "id", "");
  g_autofree char *desktop = NULL;
  g_autofree char *metainfo = NULL;
  g_autofree char *schema = NULL;
  g_autofree char *service = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GKeyFile) ini = g_key_file_new ();
  g_autofree char *ini_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  g_assert_cmpstr (id, ==, APPLICATION_ID);

  desktop = g_strconcat ("data/", id, ".desktop.in", NULL);
  g_free (read_source_file (desktop));

  metainfo = g_strconcat ("data/", id, ".metainfo.xml.in", NULL);
  text = read_source_file (metainfo);
  expected = g_strdup_printf ("<id>%s</id>", id);
  g_assert_nonnull (strstr (text, expected));
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("<launchable type=\"desktop-id\">%s.desktop</launchable>", id);
  g_assert_nonnull (strstr (text, expected));
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&expected, g_free);

  schema = g_strconcat ("data/", id, ".gschema.xml", NULL);
  text = read_source_file (schema);
  expected = g_strdup_printf ("<schema id=\"%s\"", id);
  g_assert_nonnull (strstr (text, expected));
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&expected, g_free);

  service = g_strconcat ("data/", id, ".service.in", NULL);
  text = read_source_file (service);
  expected = g_strdup_printf ("Name=%s\n", id);
  g_assert_nonnull (strstr (text, expected));
  g_clear_pointer (&expected, g_free);

  ini_path = g_build_filename (g_getenv ("NB_SOURCE_DIR"), "data", NULL);
  {
    g_autofree char *name = g_strconcat (id, ".search-provider.ini", NULL);
    g_autofree char *path = g_build_filename (ini_path, name, NULL);

    g_key_file_load_from_file (ini, path, G_KEY_FILE_NONE, &error);
    g_assert_no_error (error);
  }
  value = g_key_file_get_string (ini, "Shell Search Provider", "DesktopId", &error);
  g_assert_no_error (error);
  expected = g_strconcat (id, ".desktop", NULL);
  g_assert_cmpstr (value, ==, expected);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (ini, "Shell Search Provider", "BusName", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, id);
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (ini, "Shell Search Provider", "ObjectPath", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "/io/github/nanobot/Nanobot/SearchProvider");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (ini, "Shell Search Provider", "Version", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "2");
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
  g_test_add_func ("/flatpak-manifest/ids-agree", test_ids_agree);
  g_test_add_func ("/flatpak-manifest/dependencies-provided", test_dependencies_provided);

  return g_test_run ();
}
