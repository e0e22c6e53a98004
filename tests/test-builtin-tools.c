/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "nb-builtin-tools.h"
#include "nb-path-guard.h"
#include "nb-tools-test-util.h"

static NbTool *
find_tool (GPtrArray  *tools,
           const char *name)
{
  for (guint i = 0; i < tools->len; i++)
    if (g_str_equal (nb_tool_get_name (g_ptr_array_index (tools, i)), name))
      return g_ptr_array_index (tools, i);
  g_error ("No tool %s", name);
}

static void
test_from_config (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *ws = g_build_filename (root, "ws", NULL);
  g_autofree char *secret = g_build_filename (root, "secret.txt", NULL);
  g_autofree char *real_ws = NULL, *expected_pwd = NULL;
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(GPtrArray) tools = NULL;
  g_autofree char *refused = NULL, *pwd = NULL, *exec_refused = NULL;
  const char *expected[] = { "read_file", "write_file", "edit_file", "list_dir", "delete_file",
                             "exec", "web_search", "web_fetch",
                             "find_files", "grep", "apply_patch", "search_sessions", "read_session", NULL };
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) got = NULL;

  nb_test_write_file (secret, "s");
  g_mkdir (ws, 0700);
  nb_config_set_string (config, "agents.defaults.workspace", ws);
  nb_config_set_boolean (config, "tools.restrictToWorkspace", TRUE);
  nb_config_set_int (config, "tools.exec.timeout", 5);

  tools = nb_builtin_tools_new (config);
  for (guint i = 0; i < tools->len; i++)
    g_strv_builder_add (builder, nb_tool_get_name (g_ptr_array_index (tools, i)));
  got = g_strv_builder_end (builder);
  g_assert_cmpstrv (got, expected);

  refused = nb_tools_test_run (find_tool (tools, "read_file"), "{\"path\": \"../secret.txt\"}");
  g_assert_true (g_str_has_prefix (refused, "Error: Path ../secret.txt is outside allowed directory"));

  real_ws = nb_path_guard_canonicalize (ws, TRUE, NULL);
  expected_pwd = g_strdup_printf ("%s\n\n\nExit code: 0", real_ws);
  pwd = nb_tools_test_run (find_tool (tools, "exec"), "{\"command\": \"pwd -P\"}");
  g_assert_cmpstr (pwd, ==, expected_pwd);
  exec_refused = nb_tools_test_run (find_tool (tools, "exec"), "{\"command\": \"cat ../secret.txt\"}");
  g_assert_true (g_str_has_prefix (exec_refused, "Error: Command blocked by safety guard"));

  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "web_search")));
  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "web_fetch")));
  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "find_files")));
  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "grep")));
  g_assert_true (nb_tool_has_side_effects (find_tool (tools, "apply_patch")));
  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "search_sessions")));
  g_assert_false (nb_tool_has_side_effects (find_tool (tools, "read_session")));

  g_clear_pointer (&tools, g_ptr_array_unref);
  nb_test_rm_rf (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/builtin-tools/from-config", test_from_config);

  return g_test_run ();
}
