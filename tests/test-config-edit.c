/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "nb-config-edit.h"
#include "nb-config-import.h"
#include "nb-test-util.h"

/*
 * The config writer: only touched members change, unknown keys and the
 * user's key order survive, the file is 0600 and replaced atomically, a
 * file that does not parse is never overwritten, and the configuration
 * object follows the write.
 */

typedef struct {
  char     *dir;
  char     *path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "config.json", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* The byte offsets of @names in @text, which must be increasing. */
static void
assert_in_order (const char         *text,
                 const char * const *names)
{
  const char *last = text;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", names[i]);
      const char *at = strstr (last, quoted);

      if (at == NULL)
        g_error ("“%s” missing or out of order in:\n%s", names[i], text);
      last = at;
    }
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static void
test_keeps_unknown_and_order (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NbConfigEdit *edit;
  struct stat st;
  guint changed = 0;

  /* snake_case, a key nobody knows, a comment-like key, tools before agents. */
  nb_test_write_file (f->path,
                      "{\"zeta\": {\"keep\": [1, 2, {\"deep\": true}]},\n"
                      " \"tools\": {\"exec\": {\"timeout\": 30}, \"_comment\": \"mine\"},\n"
                      " \"agents\": {\"defaults\": {\"max_tokens\": 100, \"model\": \"a\", \"custom\": 1}},\n"
                      " \"alpha\": \"last\"}\n");
  g_assert_cmpint (chmod (f->path, 0644), ==, 0);
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  g_signal_connect_swapped (config, "changed", G_CALLBACK (count_cb), &changed);

  /* Meanwhile another program adds a key: the write must keep it. */
  nb_test_write_file (f->path,
                      "{\"zeta\": {\"keep\": [1, 2, {\"deep\": true}]},\n"
                      " \"tools\": {\"exec\": {\"timeout\": 30}, \"_comment\": \"mine\"},\n"
                      " \"agents\": {\"defaults\": {\"max_tokens\": 100, \"model\": \"a\", \"custom\": 1}},\n"
                      " \"alpha\": \"last\", \"editor\": \"vim\"}\n");

  edit = nb_config_edit_new ();
  nb_config_edit_set_int (edit, "agents.defaults.maxTokens", 2048);
  nb_config_edit_set_string (edit, "agents.defaults.model", "b");
  nb_config_edit_set_boolean (edit, "tools.restrictToWorkspace", TRUE);
  nb_config_edit_set_double (edit, "agents.defaults.temperature", 0.25);
  nb_config_edit_set_string (edit, "providers.openai.apiBase", "http://127.0.0.1:1/v1");
  g_assert_true (nb_config_write (config, edit, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);

  text = nb_test_read_file (f->path);
  assert_in_order (text, (const char *[]) { "zeta", "keep", "deep", "tools", "exec", "timeout", "_comment",
                                            "restrictToWorkspace", "agents", "defaults", "max_tokens", "model",
                                            "custom", "temperature", "alpha", "editor", "providers", NULL });
  /* The user's spelling is kept, with no camelCase twin. */
  g_assert_null (strstr (text, "maxTokens"));
  g_assert_nonnull (strstr (text, "\"mine\""));
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 2048);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "b");
  g_assert_true (nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  g_assert_cmpstr (nb_config_get_string (config, "editor"), ==, "vim");

  g_assert_cmpint (stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Removing, and members whose names hold dots. */
  edit = nb_config_edit_new ();
  nb_config_edit_remove (edit, "zeta");
  {
    g_autoptr(JsonNode) server = json_from_string ("{\"command\":\"x\",\"args\":[\"a.b\"]}", NULL);

    nb_config_edit_set_member (edit, "tools.mcpServers", "my.server", server);
  }
  g_assert_true (nb_config_write (config, edit, &error));
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = nb_test_read_file (f->path);
  g_assert_null (strstr (text, "zeta"));
  g_assert_nonnull (strstr (text, "\"my.server\""));
  g_assert_nonnull (json_object_get_member (nb_config_get_object (config, "tools.mcpServers"), "my.server"));

  /* What the file says is what a fresh load says. */
  {
    g_autoptr(NbConfig) again = nb_config_load (f->path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (nb_config_get_int (again, "agents.defaults.maxTokens"), ==, 2048);
    g_assert_cmpfloat (nb_config_get_double (again, "agents.defaults.temperature"), ==, 0.25);
  }
}

static void
test_never_overwrites_broken (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *backup_text = NULL;
  NbConfigEdit *edit;

  nb_test_write_file (f->path, "{\n  \"agents\": {\n    \"defaults\": {\"model\": \"x\",}\n}\n");
  config = nb_config_load (f->path, &error);
  g_assert_nonnull (error);
  g_assert_null (config);
  g_clear_error (&error);

  {
    NbConfigEdit *probe = nb_config_edit_new ();
    g_autofree char *result = NULL;

    nb_config_edit_set_string (probe, "agents.defaults.model", "y");
    result = nb_config_edit_apply_to_text (probe, "config.json", "{\"a\":", &error);
    g_assert_null (result);
    g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE);
    g_assert_true (g_str_has_prefix (error->message, "config.json:1:"));
    g_clear_error (&error);
    nb_config_edit_free (probe);
  }

  {
    g_autoptr(NbConfig) pointed = NULL;

    /* Loading a missing file gives a configuration with a path. */
    g_autofree char *missing = g_build_filename (f->dir, "other.json", NULL);

    pointed = nb_config_load (missing, &error);
    g_assert_no_error (error);
    nb_test_write_file (missing, "[1, 2");
    edit = nb_config_edit_new ();
    nb_config_edit_set_string (edit, "agents.defaults.model", "y");
    g_assert_false (nb_config_write (pointed, edit, &error));
    g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE);
    g_clear_error (&error);
    g_clear_pointer (&text, g_free);
    text = nb_test_read_file (missing);
    g_assert_cmpstr (text, ==, "[1, 2");

    /* A value of the wrong type is refused before it reaches the file. */
    nb_test_write_file (missing, "{}");
    edit = nb_config_edit_new ();
    nb_config_edit_set_string (edit, "agents.defaults.maxTokens", "many");
    g_assert_false (nb_config_write (pointed, edit, &error));
    g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID);
    g_clear_error (&error);
    g_clear_pointer (&text, g_free);
    text = nb_test_read_file (missing);
    g_assert_cmpstr (text, ==, "{}");
  }

  /* Reset keeps a backup, byte for byte. */
  g_assert_true (nb_config_reset_file (f->path, &backup, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  backup_text = nb_test_read_file (backup);
  g_assert_cmpstr (backup_text, ==, "{\n  \"agents\": {\n    \"defaults\": {\"model\": \"x\",}\n}\n");
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  guint *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (nb_config_write_finish (NB_CONFIG (object), result, &error));
  g_assert_no_error (error);
  (*done)++;
}

static void
test_async_writes_in_order (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) again = NULL;
  guint done = 0;

  nb_test_write_file (f->path, "{\"mine\": 1}");
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);

  /* Ten writes in flight at once, each touching its own key: none lost. */
  for (guint i = 0; i < 10; i++)
    {
      NbConfigEdit *edit = nb_config_edit_new ();
      g_autofree char *name = g_strdup_printf ("k%u", i);
      g_autoptr(JsonNode) value = json_node_init_int (json_node_alloc (), i);

      nb_config_edit_set_member (edit, "tools.mcpServers", name, value);
      nb_config_edit_free (edit);
      edit = nb_config_edit_new ();
      nb_config_edit_set_int (edit, "agents.defaults.maxTokens", 1000 + i);
      {
        g_autoptr(JsonNode) object = json_from_string ("{\"command\":\"c\"}", NULL);

        nb_config_edit_set_member (edit, "tools.mcpServers", name, object);
      }
      nb_config_write_async (config, edit, NULL, written_cb, &done);
    }
  while (done < 10)
    g_main_context_iteration (NULL, TRUE);

  again = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_object_get_size (nb_config_get_object (again, "tools.mcpServers")), ==, 10);
  g_assert_cmpuint (json_object_get_size (nb_config_get_object (config, "tools.mcpServers")), ==, 10);
  g_assert_cmpint (nb_config_get_int (again, "mine"), ==, 1);
  /* In the order they were asked for: the last one's value stays. */
  g_assert_cmpint (nb_config_get_int (again, "agents.defaults.maxTokens"), ==, 1009);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 1009);
}

/* A change made by a function on the parsed file (what saving a
 * permission rule needs: insert into an array), in order with the
 * others, checked like them, freed with the edit. */
static void
prepend_rule (JsonObject *root,
              gpointer    user_data)
{
  JsonObject *permissions = json_object_get_object_member (json_object_get_object_member (root, "tools"),
                                                           "permissions");
  JsonArray *rules = json_object_get_array_member (permissions, "rules");
  g_autoptr(JsonArray) reordered = json_array_new ();

  json_array_add_element (reordered, json_from_string (user_data, NULL));
  for (guint i = 0; i < json_array_get_length (rules); i++)
    json_array_add_element (reordered, json_node_copy (json_array_get_element (rules, i)));
  json_object_set_array_member (permissions, "rules", g_steal_pointer (&reordered));
}

static void
test_edit_func (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NbConfigEdit *edit;

  nb_test_write_file (f->path, "{\"zeta\": true, \"tools\": {\"permissions\": {\"rules\": "
                               "[{\"tool\": \"exec\", \"decision\": \"ask\"}]}}}");
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);

  edit = nb_config_edit_new ();
  nb_config_edit_set_string (edit, "tools.permissions.default", "allow");
  nb_config_edit_add_func (edit, prepend_rule,
                           g_strdup ("{\"tool\": \"exec\", \"command\": \"ls*\", \"decision\": \"allow\"}"),
                           g_free);
  g_assert_true (nb_config_write (config, edit, &error));
  g_assert_no_error (error);
  text = nb_test_read_file (f->path);
  assert_in_order (text, (const char *[]) { "zeta", "tools", "permissions", "rules", "ls*", "ask", "default", NULL });
  g_assert_cmpstr (nb_config_get_string (config, "tools.permissions.default"), ==, "allow");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      nb_config_get_object (config, "tools.permissions"), "rules")), ==, 2);

  /* What the function makes is checked: a rule without a decision is
   * not written. */
  g_clear_pointer (&text, g_free);
  edit = nb_config_edit_new ();
  nb_config_edit_add_func (edit, prepend_rule, g_strdup ("{\"tool\": \"exec\"}"), g_free);
  g_assert_false (nb_config_write (config, edit, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  text = nb_test_read_file (f->path);
  {
    g_autoptr(JsonNode) saved = json_from_string (text, NULL);
    JsonObject *tools = json_object_get_object_member (json_node_get_object (saved), "tools");

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_object_get_object_member (tools, "permissions"), "rules")), ==, 2);
  }
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      nb_config_get_object (config, "tools.permissions"), "rules")), ==, 2);
}

/* The Python nanobot's config.json: its settings come over, keys go to
 * the caller (for the keyring), its workspace and file stay untouched. */
static void
test_import_python (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *python_dir = g_build_filename (f->dir, "dot-nanobot", NULL);
  g_autofree char *python = g_build_filename (python_dir, "config.json", NULL);
  const char *text =
    "{\"agents\": {\"defaults\": {\"workspace\": \"~/.nanobot/workspace\", \"model\": \"anthropic/claude-x\","
    " \"max_tokens\": 1234, \"temperature\": 0.3}},"
    " \"providers\": {\"anthropic\": {\"api_key\": \"sk-ant-py\", \"extra_headers\": {\"X_Keep\": \"1\"}},"
    " \"openai\": {\"api_key\": \"\", \"api_base\": null}, \"vllm\": {\"api_key\": \"\", \"api_base\": \"http://127.0.0.1:8000/v1\"}},"
    " \"tools\": {\"web\": {\"search\": {\"api_key\": \"brave-key\", \"max_results\": 3}},"
    " \"exec\": {\"timeout\": 99}, \"restrict_to_workspace\": true,"
    " \"mcp_servers\": {\"fs\": {\"command\": \"npx\", \"args\": [\"x\"], \"env\": {\"MY_VAR\": \"v\"}, \"tool_timeout\": 12}}}}";
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autofree char *after = NULL;
  g_autofree char *ours = NULL;
  NbConfigEdit *edit;
  JsonObject *server;

  g_assert_cmpint (g_mkdir_with_parents (python_dir, 0700), ==, 0);
  nb_test_write_file (python, text);
  edit = nb_config_import_python (python, &keys, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (keys, "anthropic"), ==, "sk-ant-py");

  nb_test_write_file (f->path, "{\"mine\": 1}");
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (nb_config_write (config, edit, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "anthropic/claude-x");
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 1234);
  g_assert_cmpint (nb_config_get_int (config, "tools.exec.timeout"), ==, 99);
  g_assert_true (nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  g_assert_cmpint (nb_config_get_int (config, "tools.web.search.maxResults"), ==, 3);
  g_assert_cmpstr (nb_config_get_string (config, "providers.anthropic.extraHeaders.X_Keep"), ==, "1");
  g_assert_cmpstr (nb_config_get_string (config, "providers.vllm.apiBase"), ==, "http://127.0.0.1:8000/v1");
  g_assert_null (nb_config_get_object (config, "providers.openai"));
  server = nb_config_get_object (config, "tools.mcpServers.fs");
  g_assert_nonnull (server);
  g_assert_cmpint (json_object_get_int_member (server, "toolTimeout"), ==, 12);
  g_assert_true (json_object_has_member (json_object_get_object_member (server, "env"), "MY_VAR"));
  g_assert_null (nb_config_get_string (config, "agents.defaults.workspace"));
  g_assert_cmpint (nb_config_get_int (config, "mine"), ==, 1);

  ours = nb_test_read_file (f->path);
  g_assert_null (strstr (ours, "sk-ant-py"));
  after = nb_test_read_file (python);
  g_assert_cmpstr (after, ==, text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/config-edit/keeps-unknown-and-order", Fixture, NULL,
              fixture_setup, test_keeps_unknown_and_order, fixture_teardown);
  g_test_add ("/config-edit/never-overwrites-broken", Fixture, NULL,
              fixture_setup, test_never_overwrites_broken, fixture_teardown);
  g_test_add ("/config-edit/async-writes-in-order", Fixture, NULL,
              fixture_setup, test_async_writes_in_order, fixture_teardown);

  g_test_add ("/config-edit/edit-func", Fixture, NULL, fixture_setup, test_edit_func, fixture_teardown);
  g_test_add ("/config-edit/import-python", Fixture, NULL,
              fixture_setup, test_import_python, fixture_teardown);

  return g_test_run ();
}
