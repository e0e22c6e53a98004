/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nb-config.h"
#include "nb-test-util.h"

typedef struct {
  char *dir;
  char *path;
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

static NbConfig *
load_text (Fixture    *f,
           const char *text,
           GError    **error)
{
  nb_test_write_file (f->path, text);
  return nb_config_load (f->path, error);
}

static void
test_missing_file_gives_defaults (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = nb_config_load (f->path, &error);
  g_autofree char *workspace = NULL;
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.provider"), ==, "auto");
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "anthropic/claude-opus-4-5");
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 4096);
  g_assert_cmpfloat_with_epsilon (nb_config_get_double (config, "agents.defaults.temperature"), 0.7, 1e-9);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxToolIterations"), ==, 20);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.memoryWindow"), ==, 50);
  g_assert_null (nb_config_get_string (config, "agents.defaults.memoryModel"));
  g_assert_cmpint (nb_config_get_int (config, "tools.exec.timeout"), ==, 60);
  g_assert_cmpstr (nb_config_get_string (config, "tools.web.search.provider"), ==, "brave");
  g_assert_cmpint (nb_config_get_int (config, "tools.web.search.maxResults"), ==, 5);
  g_assert_false (nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  g_assert_false (nb_config_get_boolean (config, "tools.web.fetch.allowPrivateHosts"));

  workspace = nb_config_dup_workspace (config);
  expected = g_build_filename (g_get_user_data_dir (), "nanobot", "workspace", NULL);
  g_assert_cmpstr (workspace, ==, expected);
  /* Loading a missing file must not create it. */
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

static void
test_byte_order_mark (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f, "\xef\xbb\xbf{\"agents\": {\"defaults\": {\"model\": \"m\"}}}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "m");
}

static void
test_camel_case_keys (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f,
    "{\"agents\": {\"defaults\": {\"model\": \"gpt-4o\", \"maxTokens\": 1000,"
    " \"maxToolIterations\": 7, \"memoryWindow\": 12, \"workspace\": \"~/ws\","
    " \"memoryModel\": \"gpt-4o-mini\"}},"
    " \"providers\": {\"openai\": {\"apiKey\": \"sk-1\", \"apiBase\": \"http://x/v1\","
    " \"extraHeaders\": {\"X-Test\": \"1\"}}},"
    " \"tools\": {\"restrictToWorkspace\": true, \"exec\": {\"timeout\": 5}}}", &error);
  g_autofree char *workspace = NULL;
  g_autofree char *expected = NULL;
  JsonObject *headers;

  g_assert_no_error (error);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.model"), ==, "gpt-4o");
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 1000);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxToolIterations"), ==, 7);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.memoryWindow"), ==, 12);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.memoryModel"), ==, "gpt-4o-mini");
  g_assert_cmpstr (nb_config_get_string (config, "providers.openai.apiKey"), ==, "sk-1");
  g_assert_cmpstr (nb_config_get_string (config, "providers.openai.apiBase"), ==, "http://x/v1");
  headers = nb_config_get_object (config, "providers.openai.extraHeaders");
  g_assert_nonnull (headers);
  g_assert_cmpstr (json_object_get_string_member (headers, "X-Test"), ==, "1");
  g_assert_true (nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  g_assert_cmpint (nb_config_get_int (config, "tools.exec.timeout"), ==, 5);
  /* Defaults still fill what the file leaves out. */
  g_assert_cmpfloat_with_epsilon (nb_config_get_double (config, "agents.defaults.temperature"), 0.7, 1e-9);

  workspace = nb_config_dup_workspace (config);
  expected = g_build_filename (g_get_home_dir (), "ws", NULL);
  g_assert_cmpstr (workspace, ==, expected);
}

static void
test_snake_case_keys (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f,
    "{\"agents\": {\"defaults\": {\"max_tokens\": 222, \"max_tool_iterations\": 3,"
    " \"memory_window\": 9, \"memory_model\": \"small\"}},"
    " \"providers\": {\"anthropic\": {\"api_key\": \"ak\", \"api_base\": \"http://a\","
    " \"extra_headers\": {\"X-Snake\": \"yes\"}}},"
    " \"tools\": {\"restrict_to_workspace\": true,"
    " \"web\": {\"search\": {\"api_key\": \"bk\", \"max_results\": 3, \"base_url\": \"http://s\"},"
    " \"fetch\": {\"allow_private_hosts\": true}},"
    " \"mcp_servers\": {\"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"], \"tool_timeout\": 9}}}}",
    &error);
  JsonObject *servers;

  g_assert_no_error (error);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 222);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxToolIterations"), ==, 3);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.memoryWindow"), ==, 9);
  g_assert_cmpstr (nb_config_get_string (config, "agents.defaults.memoryModel"), ==, "small");
  g_assert_cmpstr (nb_config_get_string (config, "providers.anthropic.apiKey"), ==, "ak");
  g_assert_cmpstr (nb_config_get_string (config, "providers.anthropic.apiBase"), ==, "http://a");
  g_assert_nonnull (nb_config_get_object (config, "providers.anthropic.extraHeaders"));
  g_assert_true (nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  g_assert_cmpstr (nb_config_get_string (config, "tools.web.search.apiKey"), ==, "bk");
  g_assert_cmpint (nb_config_get_int (config, "tools.web.search.maxResults"), ==, 3);
  g_assert_cmpstr (nb_config_get_string (config, "tools.web.search.baseUrl"), ==, "http://s");
  g_assert_true (nb_config_get_boolean (config, "tools.web.fetch.allowPrivateHosts"));
  servers = nb_config_get_object (config, "tools.mcpServers");
  g_assert_nonnull (servers);
  g_assert_true (json_object_has_member (servers, "fs"));
  g_assert_cmpint (nb_config_get_int (config, "tools.mcpServers.fs.toolTimeout"), ==, 9);
  g_assert_cmpint (json_array_get_length (nb_config_get_array (config, "tools.mcpServers.fs.args")), ==, 2);
}

typedef struct {
  const char *text;
  const char *expected;  /* the message after "PATH:" */
} ErrorCase;

static const ErrorCase error_cases[] = {
  /* Syntax errors: json-glib's position. */
  { "{\n  \"agents\": {\n    \"defaults\": {\"model\": \"x\",}\n  }\n}", "3:" },
  { "{\"agents\": ", "1:" },
  { "", "1:1: the configuration must be a JSON object" },
  { "[1, 2]", "1:1: the configuration must be a JSON object" },
  { "not json", "1:" },
  /* Type errors: our own position of the value. */
  { "{\n  \"agents\": {\n    \"defaults\": {\n      \"maxTokens\": \"many\"\n    }\n  }\n}",
    "4:20: agents.defaults.maxTokens must be an integer" },
  { "{\"agents\": {\"defaults\": {\"max_tokens\": 1.5}}}",
    "1:40: agents.defaults.max_tokens must be an integer" },
  { "{\"agents\": {\"defaults\": {\"temperature\": \"hot\"}}}",
    "1:41: agents.defaults.temperature must be a number" },
  { "{\"agents\": {\"defaults\": {\"maxToolIterations\": 0}}}",
    "1:47: agents.defaults.maxToolIterations must be at least 1" },
  { "{\"agents\": {\"defaults\": {\"model\": 5}}}",
    "1:35: agents.defaults.model must be a string" },
  { "{\"agents\": []}", "1:12: agents must be an object" },
  { "{\"tools\": {\"restrictToWorkspace\": \"yes\"}}",
    "1:35: tools.restrictToWorkspace must be true or false" },
  { "{\n\"tools\": {\"mcpServers\": {\"fs\": {\"args\": [\"a\", 3]}}}}",
    "2:47: tools.mcpServers.fs.args[1] must be a string" },
  { "{\"tools\": {\"mcpServers\": {\"fs\": {\"env\": {\"A\": 1}}}}}",
    "1:47: tools.mcpServers.fs.env.A must be a string" },
  { "{\"providers\": {\"openai\": {\"apiKey\": 12}}}",
    "1:37: providers.openai.apiKey must be a string" },
  { "{\"providers\": {\"openai\": \"sk\"}}",
    "1:26: providers.openai must be an object" },
  { "{\"tools\": {\"exec\": {\"timeout\": -1}}}",
    "1:32: tools.exec.timeout must be at least 1" },
  /* Header names and values libsoup would refuse. */
  { "{\"providers\": {\"custom\": {\"extraHeaders\": {\"\": \"y\"}}}}",
    "1:43: providers.custom.extraHeaders has a name that cannot be an HTTP header" },
  { "{\"providers\": {\"custom\": {\"extraHeaders\": {\"X Y\": \"y\"}}}}",
    "1:43: providers.custom.extraHeaders has a name that cannot be an HTTP header" },
  { "{\"providers\": {\"custom\": {\"extraHeaders\": {\"X-A\": \"a\\r\\nB: c\"}}}}",
    "1:51: providers.custom.extraHeaders.X-A must be on one line" },
  { "{\"tools\": {\"mcpServers\": {\"m\": {\"headers\": {\"a:b\": \"c\"}}}}}",
    "1:44: tools.mcpServers.m.headers has a name that cannot be an HTTP header" },
  /* issue item 7: addresses that are not http(s) URLs, keys with a
   * control character inside. */
  { "{\"providers\": {\"openai\": {\"apiBase\": \"ht!tp://[::zz/\"}}}",
    "1:38: providers.openai.apiBase must be an http:// or https:// URL" },
  { "{\"providers\": {\"ollama\": {\"apiBase\": \"localhost:11434\"}}}",
    "1:38: providers.ollama.apiBase must be an http:// or https:// URL" },
  { "{\"tools\": {\"web\": {\"search\": {\"baseUrl\": \"ftp://example.com\"}}}}",
    "1:42: tools.web.search.baseUrl must be an http:// or https:// URL" },
  { "{\"tools\": {\"mcpServers\": {\"m\": {\"url\": \"http://\"}}}}",
    "1:40: tools.mcpServers.m.url must be an http:// or https:// URL" },
  { "{\"providers\": {\"openai\": {\"apiKey\": \"sk-a\\nb\"}}}",
    "1:37: providers.openai.apiKey contains a control character" },
  { "{\"tools\": {\"web\": {\"search\": {\"apiKey\": \"k\\u0001\"}}}}",
    "1:41: tools.web.search.apiKey contains a control character" },
  /* A byte order mark (Windows editors write one) is not a column. */
  { "\xef\xbb\xbf{\"agents\": []}", "1:12: agents must be an object" },
  { "\xef\xbb\xbf{\n  \"tools\": {\"exec\": {\"timeout\": \"x\"}}}",
    "2:33: tools.exec.timeout must be an integer" },
};

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NbConfig) config = NULL;
      g_autofree char *prefix = g_strconcat (f->path, ":", NULL);

      g_test_message ("case %u: %s", i, error_cases[i].text);
      config = load_text (f, error_cases[i].text, &error);
      g_assert_null (config);
      g_assert_nonnull (error);
      g_assert_true (error->domain == NB_CONFIG_ERROR);
      g_test_message ("→ %s", error->message);
      g_assert_true (g_str_has_prefix (error->message, prefix));
      g_assert_true (g_str_has_prefix (error->message + strlen (prefix), error_cases[i].expected));
      /* Always LINE:COL: before the description. */
      g_assert_true (g_regex_match_simple ("^.*config\\.json:[0-9]+:[0-9]+: .+$", error->message, 0, 0));
    }
}

static void
test_unreadable_file (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = NULL;

  /* A folder where the file should be. */
  g_mkdir (f->path, 0700);
  config = nb_config_load (f->path, &error);
  g_assert_null (config);
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, f->path));
}

static void
test_unknown_keys_kept (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f,
    "{\"channels\": {\"telegram\": {\"enabled\": true, \"token\": \"t\"}},"
    " \"agents\": {\"defaults\": {\"model\": \"m1\", \"futureKnob\": [1, 2]}},"
    " \"gateway\": {\"port\": 18790, \"big\": 1e30, \"huge\": 100000000000000000000000}}", &error);
  g_autoptr(NbConfig) again = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_assert_no_error (error);
  nb_config_set_string (config, "agents.defaults.model", "m2");
  nb_config_set_int (config, "agents.defaults.maxTokens", 77);
  g_assert_true (nb_config_save (config, NULL, &error));
  g_assert_no_error (error);

  text = nb_test_read_file (f->path);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (json_object_get_object_member (root, "channels"), "telegram"), "enabled"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "gateway"), "port"), ==, 18790);
  /* json-glib writes 1e30 as "1e+30.0", which no parser reads back. */
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (root, "gateway"), "big"), ==, 1e30);
  /* json-glib read 10^23 as -1 and saved that. */
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (root, "gateway"), "huge"), ==, 1e23);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
    json_object_get_object_member (json_object_get_object_member (root, "agents"), "defaults"), "futureKnob")), ==, 2);

  again = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nb_config_get_string (again, "agents.defaults.model"), ==, "m2");
  g_assert_cmpint (nb_config_get_int (again, "agents.defaults.maxTokens"), ==, 77);
}

static void
test_set_replaces_snake_twin (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f, "{\"agents\": {\"defaults\": {\"max_tokens\": 5}}}", &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  nb_config_set_int (config, "agents.defaults.maxTokens", 6);
  g_assert_cmpint (nb_config_get_int (config, "agents.defaults.maxTokens"), ==, 6);
  g_assert_true (nb_config_save (config, NULL, &error));
  text = nb_test_read_file (f->path);
  g_assert_null (strstr (text, "max_tokens"));
  g_assert_nonnull (strstr (text, "\"maxTokens\" : 6"));
}

static void
test_save_mode_and_atomic (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autofree char *nested = g_build_filename (f->dir, "sub", "dir", "config.json", NULL);
  g_autoptr(GDir) dir = NULL;
  struct stat st;
  const char *name;
  guint n_files = 0;

  /* An existing world-readable file becomes private on save. */
  nb_test_write_file (f->path, "{\"agents\": {\"defaults\": {\"model\": \"a\"}}}");
  g_chmod (f->path, 0644);
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  nb_config_set_string (config, "providers.openai.apiKey", "sk-secret");
  g_assert_true (nb_config_save (config, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* No temporary file is left beside it. */
  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    n_files++;
  g_assert_cmpint (n_files, ==, 1);

  /* A new file in a new folder. */
  g_assert_true (nb_config_save (config, nested, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stat (nested, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* A config.json that links into a dotfiles folder stays a link; the
 * file it points to gets the change. */
static void
test_save_symlink (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(NbConfig) again = NULL;
  g_autofree char *dotfiles = g_build_filename (f->dir, "dotfiles", NULL);
  g_autofree char *real = g_build_filename (dotfiles, "nanobot.json", NULL);
  g_autofree char *text = NULL;

  g_mkdir (dotfiles, 0700);
  nb_test_write_file (real, "{\"agents\": {\"defaults\": {\"model\": \"a\"}}}");
  g_assert_cmpint (symlink (real, f->path), ==, 0);
  config = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  nb_config_set_string (config, "agents.defaults.model", "b");
  g_assert_true (nb_config_save (config, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_SYMLINK));
  text = nb_test_read_file (real);
  g_assert_nonnull (strstr (text, "\"b\""));
  again = nb_config_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nb_config_get_string (again, "agents.defaults.model"), ==, "b");
}

static void
run_nanobot (const char  *config_path,
             int         *status,
             char       **out,
             char       **err)
{
  const char *bin = g_getenv ("NANOBOT_BIN");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *argv[] = { bin, "--config", config_path, "-m", "hello", NULL };

  g_assert_nonnull (bin);
  envp = g_environ_unsetenv (envp, "DISPLAY");
  envp = g_environ_unsetenv (envp, "WAYLAND_DISPLAY");
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, out, err, status, &error);
  g_assert_no_error (error);
}

static void
test_headless_bad_config (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  int status = 0;

  nb_test_write_file (f->path, "{\n  \"agents\": {\"defaults\": {\"maxTokens\": true}}\n}\n");
  run_nanobot (f->path, &status, &out, &err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  expected = g_strdup_printf ("%s:2:", f->path);
  g_assert_nonnull (strstr (err, expected));
  g_assert_nonnull (strstr (err, "agents.defaults.maxTokens must be an integer"));
  g_assert_cmpstr (out, ==, "");
}

/* issue item 3: a config.json that is a FIFO hung the load; one that is a
 * symlink to /dev/zero exhausted memory and aborted. Both are an error
 * naming the file, at once (the load runs in a subprocess with a
 * timeout, so that the old hang fails the test instead of hanging it). */
static void
test_issue3_config_not_regular (Fixture       *f,
                                gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NbConfig) config = NULL;

      if (g_str_equal (data, "fifo"))
        g_assert_cmpint (mkfifo (f->path, 0600), ==, 0);
      else
        g_assert_cmpint (symlink ("/dev/zero", f->path), ==, 0);
      config = nb_config_load (f->path, &error);
      g_assert_null (config);
      g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO);
      g_assert_nonnull (strstr (error->message, f->path));
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* issue item 7: what the checks of addresses and keys accept. */
static void
test_urls_and_keys_accepted (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) config = load_text (f,
    "{\"providers\": {\"openai\": {\"apiKey\": \"sk-x\\n\", \"apiBase\": \"https://api.example.com/v1/\"},"
    " \"ollama\": {\"apiBase\": \"http://[::1]:11434\"}, \"custom\": {\"apiBase\": \"\"},"
    " \"vllm\": {\"apiBase\": null}}}", &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_true (nb_config_is_http_url ("HTTP://localhost:8000"));
  g_assert_false (nb_config_is_http_url ("localhost:8000"));
  g_assert_false (nb_config_secret_has_control ("\t sk-x \r\n"));
  g_assert_true (nb_config_secret_has_control ("sk-\x7f-x"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/config/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("missing-file-gives-defaults", test_missing_file_gives_defaults);
  ADD ("camel-case-keys", test_camel_case_keys);
  ADD ("byte-order-mark", test_byte_order_mark);
  ADD ("snake-case-keys", test_snake_case_keys);
  ADD ("errors-name-line-and-column", test_errors);
  ADD ("unreadable-file", test_unreadable_file);
  ADD ("unknown-keys-kept", test_unknown_keys_kept);
  ADD ("set-replaces-snake-twin", test_set_replaces_snake_twin);
  ADD ("save-mode-and-atomic", test_save_mode_and_atomic);
  ADD ("save-symlink", test_save_symlink);
  ADD ("headless-bad-config", test_headless_bad_config);
  g_test_add ("/config/issue3-config-fifo", Fixture, "fifo", fixture_setup,
              test_issue3_config_not_regular, fixture_teardown);
  g_test_add ("/config/issue3-config-dev-zero", Fixture, "zero", fixture_setup,
              test_issue3_config_not_regular, fixture_teardown);
  ADD ("urls-and-keys-accepted", test_urls_and_keys_accepted);
#undef ADD

  return g_test_run ();
}
