/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "nb-exec-tool.h"
#include "nb-file-tools.h"
#include "nb-tools-test-util.h"

/*
 * Escape attempts under restrictToWorkspace. Layout of the temp root:
 *   ws/                  the workspace
 *     sub/inner.txt
 *     link_in  -> sub            (stays inside)
 *     link_out -> ../outside     (a folder outside)
 *     link_file_out -> ../outside/secret.txt
 *     dangling -> ../outside/created.txt (does not exist yet)
 *     loop -> loop
 *   ws2/other.txt        a sibling whose name starts like the workspace
 *   outside/secret.txt
 * and $HOME (a temp folder of its own) holds h.txt.
 * Every attempt must be refused with an "Error" result, and afterwards the
 * folders outside the workspace must be exactly as before.
 */

typedef struct {
  const char *tool;
  const char *args;   /* @ROOT@ is replaced by the temp root */
} Attempt;

static const Attempt attempts[] = {
  /* read_file */
  { "read_file", "{\"path\": \"../outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"@ROOT@/outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"link_out/secret.txt\"}" },
  { "read_file", "{\"path\": \"link_file_out\"}" },
  { "read_file", "{\"path\": \"~/h.txt\"}" },
  { "read_file", "{\"path\": \"sub/../../outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"missing/../../outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"link_in/../../outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"/etc/passwd\"}" },
  { "read_file", "{\"path\": \"@ROOT@/ws2/other.txt\"}" },
  { "read_file", "{\"path\": \"@ROOT@/ws/../outside/secret.txt\"}" },
  { "read_file", "{\"path\": \"loop\"}" },
  /* write_file */
  { "write_file", "{\"path\": \"../outside/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"link_out/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"link_file_out\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"~/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"@ROOT@/outside/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"newdir/../../outside/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"link_out/a/b/new.txt\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"dangling\", \"content\": \"x\"}" },
  { "write_file", "{\"path\": \"@ROOT@/ws2/other.txt\", \"content\": \"x\"}" },
  /* edit_file */
  { "edit_file", "{\"path\": \"link_file_out\", \"old_text\": \"secret\", \"new_text\": \"pwned\"}" },
  { "edit_file", "{\"path\": \"../outside/secret.txt\", \"old_text\": \"secret\", \"new_text\": \"pwned\"}" },
  { "edit_file", "{\"path\": \"~/h.txt\", \"old_text\": \"home\", \"new_text\": \"pwned\"}" },
  /* list_dir */
  { "list_dir", "{\"path\": \"..\"}" },
  { "list_dir", "{\"path\": \"link_out\"}" },
  { "list_dir", "{\"path\": \"/\"}" },
  { "list_dir", "{\"path\": \"~\"}" },
  /* delete_file */
  { "delete_file", "{\"path\": \"link_out/secret.txt\"}" },
  { "delete_file", "{\"path\": \"../outside/secret.txt\"}" },
  { "delete_file", "{\"path\": \"link_file_out\"}" },
  { "delete_file", "{\"path\": \"@ROOT@/outside/secret.txt\"}" },
  { "delete_file", "{\"path\": \"~/h.txt\"}" },
  { "delete_file", "{\"path\": \"link_in/../../outside/secret.txt\"}" },
  /* exec */
  { "exec", "{\"command\": \"cat /etc/passwd\"}" },
  { "exec", "{\"command\": \"cd / && ls\"}" },
  { "exec", "{\"command\": \"cd .. && ls\"}" },
  { "exec", "{\"command\": \"cat ../outside/secret.txt\"}" },
  { "exec", "{\"command\": \"echo pwned > @ROOT@/outside/secret.txt\"}" },
  { "exec", "{\"command\": \"echo pwned >@ROOT@/outside/new.txt\"}" },
  { "exec", "{\"command\": \"echo pwned >> link_file_out\"}" },
  { "exec", "{\"command\": \"cat link_out/secret.txt\"}" },
  { "exec", "{\"command\": \"rm link_out/secret.txt\"}" },
  { "exec", "{\"command\": \"cat ~/h.txt\"}" },
  { "exec", "{\"command\": \"ls ~\"}" },
  { "exec", "{\"command\": \"echo x > ~/new.txt\"}" },
  { "exec", "{\"command\": \"cat $HOME/h.txt\"}" },
  { "exec", "{\"command\": \"cat ${HOME}/h.txt\"}" },
  { "exec", "{\"command\": \"cd; echo x > new.txt\"}" },
  { "exec", "{\"command\": \"cat ${HOME:-/}/h.txt\"}" },
  { "exec", "{\"command\": \"cd $OLDPWD\"}" },
  { "exec", "{\"command\": \"cd - && ls\"}" },
  { "exec", "{\"command\": \"sh -c 'cat /etc/passwd'\"}" },
  { "exec", "{\"command\": \"cp sub/inner.txt --target-directory=@ROOT@/outside\"}" },
  { "exec", "{\"command\": \"sort -o@ROOT@/outside/sorted sub/inner.txt\"}" },
  { "exec", "{\"command\": \"touch ~root/x\"}" },
  { "exec", "{\"command\": \"cat {sub/inner.txt,@ROOT@/outside/secret.txt}\"}" },
  { "exec", "{\"command\": \"cp sub/inner.txt \\\"@ROOT@/outside/q.txt\\\"\"}" },
  { "exec", "{\"command\": \"ls\", \"working_dir\": \"..\"}" },
  { "exec", "{\"command\": \"ls\", \"working_dir\": \"@ROOT@/outside\"}" },
  { "exec", "{\"command\": \"echo x > new.txt\", \"working_dir\": \"link_out\"}" },
  { "exec", "{\"command\": \"ls\", \"working_dir\": \"~\"}" },
  { "exec", "{\"command\": \"ls\", \"working_dir\": \"/\"}" },
};

typedef struct {
  char       *root;
  char       *ws;
  GHashTable *tools;  /* name → NbTool */
} Fixture;

static void
add_tool (Fixture *f,
          NbTool  *tool)
{
  g_hash_table_insert (f->tools, g_strdup (nb_tool_get_name (tool)), tool);
}

static void
make_link (Fixture    *f,
           const char *target,
           const char *name)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *home = NULL;
  g_autofree char *path = NULL;

  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  home = g_strdup (g_get_home_dir ());

  path = g_build_filename (f->ws, "sub", "inner.txt", NULL);
  nb_test_write_file (path, "inner");
  g_free (path);
  path = g_build_filename (f->root, "ws2", "other.txt", NULL);
  nb_test_write_file (path, "other");
  g_free (path);
  path = g_build_filename (f->root, "outside", "secret.txt", NULL);
  nb_test_write_file (path, "secret");
  g_free (path);
  path = g_build_filename (home, "h.txt", NULL);
  nb_test_write_file (path, "home");

  make_link (f, "sub", "link_in");
  make_link (f, "../outside", "link_out");
  make_link (f, "../outside/secret.txt", "link_file_out");
  make_link (f, "../outside/created.txt", "dangling");
  make_link (f, "loop", "loop");

  f->tools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  add_tool (f, nb_read_file_tool_new (f->ws, TRUE));
  add_tool (f, nb_write_file_tool_new (f->ws, TRUE));
  add_tool (f, nb_edit_file_tool_new (f->ws, TRUE));
  add_tool (f, nb_list_dir_tool_new (f->ws, TRUE));
  add_tool (f, nb_delete_file_tool_new (f->ws, TRUE));
  add_tool (f, nb_exec_tool_new (f->ws, TRUE, 20));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_hash_table_unref (f->tools);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->ws);
}

/* A listing of every path below @dir (links not followed) with contents. */
static void
snapshot_tree (const char *dir,
               GString    *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);

      g_string_append_printf (out, "%s\n", path);
      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        {
          g_autofree char *target = g_file_read_link (path, NULL);

          g_string_append_printf (out, " -> %s\n", target);
        }
      else if (g_file_test (path, G_FILE_TEST_IS_DIR))
        snapshot_tree (path, out);
      else
        {
          g_autofree char *contents = nb_test_read_file (path);

          g_string_append_printf (out, " = %s\n", contents);
        }
    }
}

static char *
snapshot_outside (Fixture *f)
{
  GString *out = g_string_new (NULL);
  const char *dirs[] = { "outside", "ws2" };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (f->root, dirs[i], NULL);

      snapshot_tree (dir, out);
    }
  snapshot_tree (g_get_home_dir (), out);
  /* Nothing may appear next to the workspace either. */
  {
    g_autoptr(GDir) d = g_dir_open (f->root, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      g_string_append_printf (out, "root: %s\n", name);
  }
  return g_string_free (out, FALSE);
}

static char *
expand_args (Fixture    *f,
             const char *args)
{
  g_autoptr(GString) s = g_string_new (args);

  g_string_replace (s, "@ROOT@", f->root, 0);
  return g_strdup (s->str);
}

static void
test_escapes (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *before = snapshot_outside (f);
  g_autofree char *after = NULL;

  g_assert_cmpuint (G_N_ELEMENTS (attempts), >=, 60);

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      NbTool *tool = g_hash_table_lookup (f->tools, attempts[i].tool);
      g_autofree char *args = expand_args (f, attempts[i].args);
      g_autofree char *text = NULL;

      g_assert_nonnull (tool);
      text = nb_tools_test_run (tool, args);
      g_test_message ("%s %s → %s", attempts[i].tool, args, text);
      if (!g_str_has_prefix (text, "Error"))
        g_error ("Escape not refused: %s %s → %s", attempts[i].tool, args, text);
    }

  after = snapshot_outside (f);
  g_assert_cmpstr (after, ==, before);
}

/* The same layout, used honestly, works: the guard is not just refusing all. */
static void
test_inside_allowed (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;
  g_autofree char *r6 = NULL, *r7 = NULL;
  g_autofree char *abs_args = NULL;
  g_autofree char *through_alias = NULL;
  g_autofree char *alias = g_build_filename (f->root, "alias", NULL);
  g_autoptr(NbTool) alias_read = NULL;

  r1 = nb_tools_test_run (g_hash_table_lookup (f->tools, "read_file"), "{\"path\": \"link_in/inner.txt\"}");
  g_assert_cmpstr (r1, ==, "inner");
  r2 = nb_tools_test_run (g_hash_table_lookup (f->tools, "read_file"), "{\"path\": \"sub/../sub/./inner.txt\"}");
  g_assert_cmpstr (r2, ==, "inner");
  abs_args = g_strdup_printf ("{\"path\": \"%s/sub/inner.txt\"}", f->ws);
  r3 = nb_tools_test_run (g_hash_table_lookup (f->tools, "read_file"), abs_args);
  g_assert_cmpstr (r3, ==, "inner");
  r4 = nb_tools_test_run (g_hash_table_lookup (f->tools, "delete_file"), "{\"path\": \"link_in\"}");
  g_assert_cmpstr (r4, ==, "Successfully deleted link_in");
  r6 = nb_tools_test_run (g_hash_table_lookup (f->tools, "exec"),
                          "{\"command\": \"cat inner.txt 2>/dev/null && echo ok > made.txt && cat made.txt\", \"working_dir\": \"sub\"}");
  g_assert_cmpstr (r6, ==, "innerok\n\n\nExit code: 0");
  r7 = nb_tools_test_run (g_hash_table_lookup (f->tools, "exec"), "{\"command\": \"curl --version >/dev/null || echo https://example.com/a/b\"}");
  g_assert_false (g_str_has_prefix (r7, "Error"));

  /* A workspace configured through a symbolic link. */
  g_assert_cmpint (symlink ("ws", alias), ==, 0);
  alias_read = nb_read_file_tool_new (alias, TRUE);
  through_alias = g_strdup_printf ("{\"path\": \"%s/sub/inner.txt\"}", f->ws);
  r5 = nb_tools_test_run (alias_read, through_alias);
  g_assert_cmpstr (r5, ==, "inner");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = nb_test_make_tmpdir ();
  int ret;

  /* g_get_home_dir() reads $HOME once: a temp home for the whole program. */
  g_setenv ("HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/workspace-escape/refused", Fixture, NULL, fixture_setup, test_escapes, fixture_teardown);
  g_test_add ("/workspace-escape/inside-allowed", Fixture, NULL, fixture_setup, test_inside_allowed, fixture_teardown);

  ret = g_test_run ();
  nb_test_rm_rf (home);
  return ret;
}
