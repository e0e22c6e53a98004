/* SPDX-License-Identifier: GPL-3.0-or-later */
/* apply_patch on real files in a temporary folder. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "nb-apply-patch-tool.h"
#include "nb-search-test-util.h"
#include "nb-tools-test-util.h"

typedef struct {
  char   *root;
  char   *ws;
  NbTool *patch;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  g_mkdir (f->ws, 0700);
  f->patch = nb_apply_patch_tool_new (f->ws, TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_apply_patch_tool_fail_write_at (0);
  nb_search_test_release (f->patch);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->ws);
}

static void
put (Fixture    *f,
     const char *name,
     const char *text)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);

  nb_test_write_file (path, text);
}

static char *
get (Fixture    *f,
     const char *name)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);

  return nb_test_read_file (path);
}

static gboolean
exists (Fixture    *f,
        const char *name)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_applies_several_files (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  put (f, "a.txt", "one\ntwo\nthree\n");
  put (f, "b.txt", "alpha");
  result = nb_tools_test_run (f->patch,
                              "{\"edits\": ["
                              " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"two\\n\", \"new_text\": \"TWO\\n2b\\n\"},"
                              " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"three\", \"new_text\": \"3\"},"
                              " {\"path\": \"b.txt\", \"action\": \"add\", \"new_text\": \"beta\"},"
                              " {\"path\": \"new/c.txt\", \"action\": \"add\", \"new_text\": \"x\\ny\"}]}");
  g_assert_cmpstr (result, ==, "Patch applied:\n"
                               "- update a.txt (+2/-1)\n"
                               "- update a.txt (+1/-1)\n"
                               "- update b.txt (+1/-0)\n"
                               "- add new/c.txt (+2/-0)");
  a = get (f, "a.txt");
  b = get (f, "b.txt");
  c = get (f, "new/c.txt");
  g_assert_cmpstr (a, ==, "one\nTWO\n2b\n3\n");
  g_assert_cmpstr (b, ==, "alpha\nbeta\n");
  g_assert_cmpstr (c, ==, "x\ny\n");
}

static void
test_dry_run (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *a = NULL;

  put (f, "a.txt", "keep me\n");
  result = nb_tools_test_run (f->patch,
                              "{\"dry_run\": true, \"edits\": ["
                              " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"keep\", \"new_text\": \"change\"},"
                              " {\"path\": \"b.txt\", \"action\": \"add\", \"new_text\": \"new\"}]}");
  g_assert_cmpstr (result, ==, "Patch dry-run succeeded:\n- update a.txt (+1/-1)\n- add b.txt (+1/-0)");
  a = get (f, "a.txt");
  g_assert_cmpstr (a, ==, "keep me\n");
  g_assert_false (exists (f, "b.txt"));
}

/* A failing edit anywhere changes nothing. */
static void
test_invalid_edit_changes_nothing (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *missing = NULL;
  g_autofree char *twice = NULL;
  g_autofree char *absent = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *a = NULL;

  put (f, "a.txt", "x\nx\n");
  missing = nb_tools_test_run (f->patch,
                               "{\"edits\": ["
                               " {\"path\": \"b.txt\", \"action\": \"add\", \"new_text\": \"new\"},"
                               " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"y\", \"new_text\": \"z\"}]}");
  g_assert_cmpstr (missing, ==, "Error applying patch: old_text not found in a.txt");
  twice = nb_tools_test_run (f->patch,
                             "{\"edits\": [{\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"x\", \"new_text\": \"z\"}]}");
  g_assert_cmpstr (twice, ==, "Error applying patch: old_text appears multiple times in a.txt");
  absent = nb_tools_test_run (f->patch,
                              "{\"edits\": [{\"path\": \"nope.txt\", \"action\": \"replace\", \"old_text\": \"x\", \"new_text\": \"z\"}]}");
  g_assert_cmpstr (absent, ==, "Error applying patch: file to update does not exist: nope.txt");
  outside = nb_tools_test_run (f->patch,
                               "{\"edits\": [{\"path\": \"../escape.txt\", \"action\": \"add\", \"new_text\": \"z\"}]}");
  g_assert_true (g_str_has_prefix (outside, "Error: Path ../escape.txt is outside allowed directory"));

  a = get (f, "a.txt");
  g_assert_cmpstr (a, ==, "x\nx\n");
  g_assert_false (exists (f, "b.txt"));
  {
    g_autofree char *escape = g_build_filename (f->root, "escape.txt", NULL);

    g_assert_false (g_file_test (escape, G_FILE_TEST_EXISTS));
  }
}

/* The third write fails: the two files written before get their old
 * contents back (the new one is removed), the third is untouched. */
static void
test_write_failure_restores (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *a = NULL;
  g_autofree char *c = NULL;
  g_autofree char *path_a = g_build_filename (f->ws, "a.txt", NULL);
  GStatBuf st;

  put (f, "a.txt", "original a\n");
  put (f, "c.txt", "original c\n");
  g_chmod (path_a, 0640);
  nb_apply_patch_tool_fail_write_at (3);
  result = nb_tools_test_run (f->patch,
                              "{\"edits\": ["
                              " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"original\", \"new_text\": \"patched\"},"
                              " {\"path\": \"sub/b.txt\", \"action\": \"add\", \"new_text\": \"brand new\"},"
                              " {\"path\": \"c.txt\", \"action\": \"replace\", \"old_text\": \"original\", \"new_text\": \"patched\"}]}");
  g_assert_true (g_str_has_prefix (result, "Error applying patch: "));
  g_assert_nonnull (strstr (result, "c.txt"));
  a = get (f, "a.txt");
  c = get (f, "c.txt");
  g_assert_cmpstr (a, ==, "original a\n");
  g_assert_cmpstr (c, ==, "original c\n");
  g_assert_false (exists (f, "sub/b.txt"));
  g_assert_cmpint (g_stat (path_a, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
}

/* A real failure: a folder where the patch wants a file's parent. */
static void
test_real_write_failure (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *a = NULL;

  put (f, "a.txt", "original a\n");
  put (f, "blocker", "a file\n");
  result = nb_tools_test_run (f->patch,
                              "{\"edits\": ["
                              " {\"path\": \"a.txt\", \"action\": \"replace\", \"old_text\": \"original\", \"new_text\": \"patched\"},"
                              " {\"path\": \"blocker/b.txt\", \"action\": \"add\", \"new_text\": \"x\"}]}");
  g_assert_true (g_str_has_prefix (result, "Error"));
  a = get (f, "a.txt");
  g_assert_cmpstr (a, ==, "original a\n");
}

/* A symlink inside the workspace does not lead outside. */
static void
test_symlink_escape (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *outside = g_build_filename (f->root, "outside", NULL);
  g_autofree char *target = g_build_filename (outside, "x.txt", NULL);
  g_autofree char *link = g_build_filename (f->ws, "out", NULL);
  g_autofree char *result = NULL;
  g_autofree char *kept = NULL;

  nb_test_write_file (target, "outside\n");
  g_assert_cmpint (symlink (outside, link), ==, 0);
  result = nb_tools_test_run (f->patch,
                              "{\"edits\": [{\"path\": \"out/x.txt\", \"action\": \"replace\", "
                              "\"old_text\": \"outside\", \"new_text\": \"changed\"}]}");
  g_assert_true (g_str_has_prefix (result, "Error: Path out/x.txt is outside allowed directory"));
  kept = nb_test_read_file (target);
  g_assert_cmpstr (kept, ==, "outside\n");
}

static void
test_crlf_kept (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *a = NULL;

  put (f, "win.txt", "one\r\ntwo\r\n");
  result = nb_tools_test_run (f->patch,
                              "{\"edits\": ["
                              " {\"path\": \"win.txt\", \"action\": \"replace\", \"old_text\": \"one\\ntwo\", \"new_text\": \"1\\n2\"},"
                              " {\"path\": \"win.txt\", \"action\": \"add\", \"new_text\": \"3\"}]}");
  g_assert_cmpstr (result, ==, "Patch applied:\n- update win.txt (+2/-2)\n- update win.txt (+1/-0)");
  a = get (f, "win.txt");
  g_assert_cmpstr (a, ==, "1\r\n2\r\n3\r\n");
}

static void
test_schema (void)
{
  g_autoptr(NbTool) tool = nb_apply_patch_tool_new (NULL, FALSE);
  g_autoptr(JsonObject) too_many = NULL;
  g_autoptr(JsonObject) bad_action = NULL;
  g_autoptr(GString) edits = g_string_new ("{\"edits\": [");
  g_autofree char *problems = NULL;
  g_autofree char *action_problems = NULL;

  g_assert_true (nb_tool_has_side_effects (tool));
  for (guint i = 0; i < 21; i++)
    g_string_append_printf (edits, "%s{\"path\": \"f%u\", \"action\": \"add\", \"new_text\": \"x\"}", i ? "," : "", i);
  g_string_append (edits, "]}");
  too_many = nb_tools_test_args (edits->str);
  problems = nb_tool_validate_arguments (tool, too_many);
  g_assert_nonnull (problems);
  bad_action = nb_tools_test_args ("{\"edits\": [{\"path\": \"f\", \"action\": \"delete\"}]}");
  action_problems = nb_tool_validate_arguments (tool, bad_action);
  g_assert_nonnull (action_problems);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/apply-patch/schema", test_schema);
  ADD ("/apply-patch/several-files", test_applies_several_files);
  ADD ("/apply-patch/dry-run", test_dry_run);
  ADD ("/apply-patch/invalid-edit-changes-nothing", test_invalid_edit_changes_nothing);
  ADD ("/apply-patch/write-failure-restores", test_write_failure_restores);
  ADD ("/apply-patch/real-write-failure", test_real_write_failure);
  ADD ("/apply-patch/crlf-kept", test_crlf_kept);
  ADD ("/apply-patch/symlink-escape", test_symlink_escape);

  return g_test_run ();
}
