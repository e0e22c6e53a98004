/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb-file-tools.h"
#include "nb-path-guard.h"
#include "nb-tools-test-util.h"

typedef struct {
  char   *root;
  char   *ws;
  NbTool *read;
  NbTool *write;
  NbTool *edit;
  NbTool *list;
  NbTool *delete;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  gboolean restrict_to_workspace = GPOINTER_TO_INT (data);

  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  g_mkdir (f->ws, 0700);
  f->read = nb_read_file_tool_new (f->ws, restrict_to_workspace);
  f->write = nb_write_file_tool_new (f->ws, restrict_to_workspace);
  f->edit = nb_edit_file_tool_new (f->ws, restrict_to_workspace);
  f->list = nb_list_dir_tool_new (f->ws, restrict_to_workspace);
  f->delete = nb_delete_file_tool_new (f->ws, restrict_to_workspace);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_test_finalize_object_soon (f->read);
  nb_test_finalize_object_soon (f->write);
  nb_test_finalize_object_soon (f->edit);
  nb_test_finalize_object_soon (f->list);
  nb_test_finalize_object_soon (f->delete);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->ws);
}

static char *
ws_file (Fixture    *f,
         const char *name)
{
  return g_build_filename (f->ws, name, NULL);
}

static void
put (Fixture    *f,
     const char *name,
     const char *contents)
{
  g_autofree char *path = ws_file (f, name);

  nb_test_write_file (path, contents);
}

static void
test_metadata (Fixture       *f,
               gconstpointer  data)
{
  JsonObject *params = nb_tool_get_parameters (f->edit);
  JsonArray *required = json_object_get_array_member (params, "required");

  g_assert_cmpstr (nb_tool_get_name (f->read), ==, "read_file");
  g_assert_cmpstr (nb_tool_get_name (f->write), ==, "write_file");
  g_assert_cmpstr (nb_tool_get_name (f->edit), ==, "edit_file");
  g_assert_cmpstr (nb_tool_get_name (f->list), ==, "list_dir");
  g_assert_cmpstr (nb_tool_get_name (f->delete), ==, "delete_file");
  g_assert_false (nb_tool_has_side_effects (f->read));
  g_assert_false (nb_tool_has_side_effects (f->list));
  g_assert_true (nb_tool_has_side_effects (f->write));
  g_assert_true (nb_tool_has_side_effects (f->edit));
  g_assert_true (nb_tool_has_side_effects (f->delete));
  g_assert_cmpuint (json_array_get_length (required), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (required, 1), ==, "old_text");
}

static void
test_read (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *abs_path = ws_file (f, "notes.txt");
  g_autofree char *abs_json = nb_tools_test_quote (abs_path);
  g_autofree char *by_abs_args = g_strdup_printf ("{\"path\": %s}", abs_json);
  g_autofree char *rel = NULL, *by_abs = NULL, *missing = NULL, *dir = NULL;
  g_autofree char *empty = NULL, *binary = NULL, *home = NULL, *odd = NULL;
  g_autofree char *home_file = g_build_filename (g_get_home_dir (), "home-note.txt", NULL);

  put (f, "notes.txt", "hello\nworld\n");
  put (f, "empty.txt", "");
  nb_test_write_file (home_file, "from home");
  {
    g_autofree char *sub = ws_file (f, "sub");
    g_autofree char *bin = ws_file (f, "bin.dat");

    g_mkdir (sub, 0700);
    g_file_set_contents (bin, "\xff\xfe\x00\x01", 4, NULL);
  }

  rel = nb_tools_test_run (f->read, "{\"path\": \"notes.txt\"}");
  g_assert_cmpstr (rel, ==, "hello\nworld\n");
  by_abs = nb_tools_test_run (f->read, by_abs_args);
  g_assert_cmpstr (by_abs, ==, "hello\nworld\n");
  missing = nb_tools_test_run (f->read, "{\"path\": \"nope.txt\"}");
  g_assert_cmpstr (missing, ==, "Error: File not found: nope.txt");
  dir = nb_tools_test_run (f->read, "{\"path\": \"sub\"}");
  g_assert_cmpstr (dir, ==, "Error: Not a file: sub");
  empty = nb_tools_test_run (f->read, "{\"path\": \"empty.txt\"}");
  g_assert_cmpstr (empty, ==, "(Empty file: empty.txt)");
  binary = nb_tools_test_run (f->read, "{\"path\": \"bin.dat\"}");
  g_assert_cmpstr (binary, ==, "Error reading file: bin.dat is not UTF-8 text");
  home = nb_tools_test_run (f->read, "{\"path\": \"~/home-note.txt\"}");
  g_assert_cmpstr (home, ==, "from home");
  /* Schema validation happens in the registry; a wrong type still must not crash. */
  odd = nb_tools_test_run (f->read, "{\"path\": 42}");
  g_assert_true (g_str_has_prefix (odd, "Error"));
  g_unlink (home_file);
}

static void
test_read_too_large (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = ws_file (f, "big.txt");
  g_autofree char *big = g_strnfill (NB_READ_FILE_MAX_BYTES + 1, 'x');
  g_autofree char *text = NULL;

  nb_test_write_file (path, big);
  text = nb_tools_test_run (f->read, "{\"path\": \"big.txt\"}");
  g_assert_true (g_str_has_prefix (text, "Error: File too large: big.txt"));
}

static void
test_write (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *path = ws_file (f, "a/b/c.txt");
  g_autofree char *expected = g_strdup_printf ("Successfully wrote 6 bytes to %s", path);
  g_autofree char *text = NULL, *again = NULL, *to_dir = NULL, *contents = NULL;

  text = nb_tools_test_run (f->write, "{\"path\": \"a/b/c.txt\", \"content\": \"h\\u00e9llo\"}");
  g_assert_cmpstr (text, ==, expected);
  contents = nb_test_read_file (path);
  g_assert_cmpstr (contents, ==, "h\xc3\xa9llo");

  again = nb_tools_test_run (f->write, "{\"path\": \"a/b/c.txt\", \"content\": \"\"}");
  g_clear_pointer (&contents, g_free);
  contents = nb_test_read_file (path);
  g_assert_cmpstr (contents, ==, "");

  to_dir = nb_tools_test_run (f->write, "{\"path\": \"a/b\", \"content\": \"x\"}");
  g_assert_cmpstr (to_dir, ==, "Error writing file: a/b is a directory");
}

/* A FIFO is not read, edited nor written: opening it would wait for the
 * other end for ever (GIO's replace opens the old file for reading). */
static void
test_fifo (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *path = ws_file (f, "pipe");
  g_autofree char *read = NULL, *written = NULL, *edited = NULL;
  GStatBuf st;

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  read = nb_tools_test_run (f->read, "{\"path\": \"pipe\"}");
  g_assert_cmpstr (read, ==, "Error: Not a file: pipe");
  written = nb_tools_test_run (f->write, "{\"path\": \"pipe\", \"content\": \"x\"}");
  g_assert_cmpstr (written, ==, "Error writing file: pipe is not a regular file");
  edited = nb_tools_test_run (f->edit, "{\"path\": \"pipe\", \"old_text\": \"a\", \"new_text\": \"b\"}");
  g_assert_cmpstr (edited, ==, "Error: Not a file: pipe");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));
}

static void
test_edit (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *path = ws_file (f, "code.c");
  g_autofree char *expected = g_strdup_printf ("Successfully edited %s", path);
  g_autofree char *ok = NULL, *contents = NULL, *many = NULL, *none = NULL;
  g_autofree char *close = NULL, *missing = NULL, *after_failures = NULL;

  put (f, "code.c", "int a = 1;\nint b = 2;\nint c = 3;\nreturn a + b;\n");

  ok = nb_tools_test_run (f->edit, "{\"path\": \"code.c\", \"old_text\": \"int b = 2;\", \"new_text\": \"int b = 20;\"}");
  g_assert_cmpstr (ok, ==, expected);
  contents = nb_test_read_file (path);
  g_assert_cmpstr (contents, ==, "int a = 1;\nint b = 20;\nint c = 3;\nreturn a + b;\n");

  many = nb_tools_test_run (f->edit, "{\"path\": \"code.c\", \"old_text\": \"int \", \"new_text\": \"long \"}");
  g_assert_cmpstr (many, ==, "Warning: old_text appears 3 times. Please provide more context to make it unique.");

  close = nb_tools_test_run (f->edit, "{\"path\": \"code.c\", \"old_text\": \"int c = 4;\\nreturn a + b;\", \"new_text\": \"x\"}");
  g_assert_cmpstr (close, ==,
                   "Error: old_text not found in code.c.\n"
                   "Best match (89% similar) at line 3:\n"
                   "--- old_text (provided)\n"
                   "+++ code.c (actual, line 3)\n"
                   "@@ -1,2 +3,2 @@\n"
                   "-int c = 4;\n"
                   "+int c = 3;\n"
                   " return a + b;");

  none = nb_tools_test_run (f->edit, "{\"path\": \"code.c\", \"old_text\": \"zzzz qqqq\", \"new_text\": \"x\"}");
  g_assert_cmpstr (none, ==, "Error: old_text not found in code.c. No similar text found. Verify the file content.");

  missing = nb_tools_test_run (f->edit, "{\"path\": \"nope.c\", \"old_text\": \"a\", \"new_text\": \"b\"}");
  g_assert_cmpstr (missing, ==, "Error: File not found: nope.c");

  /* Failed edits change nothing. */
  after_failures = nb_test_read_file (path);
  g_assert_cmpstr (after_failures, ==, contents);
}

static void
test_edit_crlf (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = ws_file (f, "dos.txt");
  g_autofree char *text = NULL, *contents = NULL;

  put (f, "dos.txt", "one\r\ntwo\r\nthree\r\n");
  text = nb_tools_test_run (f->edit, "{\"path\": \"dos.txt\", \"old_text\": \"one\\ntwo\", \"new_text\": \"1\\n2\"}");
  g_assert_true (g_str_has_prefix (text, "Successfully edited"));
  contents = nb_test_read_file (path);
  g_assert_cmpstr (contents, ==, "1\r\n2\r\nthree\r\n");
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *sub = ws_file (f, "b-dir");
  g_autofree char *empty_dir = ws_file (f, "empty");
  g_autofree char *text = NULL, *empty = NULL, *missing = NULL, *not_dir = NULL;

  put (f, "c.txt", "c");
  put (f, "a.txt", "a");
  g_mkdir (sub, 0700);
  g_mkdir (empty_dir, 0700);

  text = nb_tools_test_run (f->list, "{\"path\": \".\"}");
  g_assert_cmpstr (text, ==, "📄 a.txt\n📁 b-dir\n📄 c.txt\n📁 empty");
  empty = nb_tools_test_run (f->list, "{\"path\": \"empty\"}");
  g_assert_cmpstr (empty, ==, "Directory empty is empty");
  missing = nb_tools_test_run (f->list, "{\"path\": \"nope\"}");
  g_assert_cmpstr (missing, ==, "Error: Directory not found: nope");
  not_dir = nb_tools_test_run (f->list, "{\"path\": \"a.txt\"}");
  g_assert_cmpstr (not_dir, ==, "Error: Not a directory: a.txt");
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *victim = ws_file (f, "victim.txt");
  g_autofree char *target = ws_file (f, "target.txt");
  g_autofree char *link = ws_file (f, "link.txt");
  g_autofree char *dir = ws_file (f, "dir");
  g_autofree char *ok = NULL, *link_ok = NULL, *is_dir = NULL, *missing = NULL;

  put (f, "victim.txt", "x");
  put (f, "target.txt", "t");
  g_assert_cmpint (symlink ("target.txt", link), ==, 0);
  g_mkdir (dir, 0700);

  ok = nb_tools_test_run (f->delete, "{\"path\": \"victim.txt\"}");
  g_assert_cmpstr (ok, ==, "Successfully deleted victim.txt");
  g_assert_false (g_file_test (victim, G_FILE_TEST_EXISTS));

  link_ok = nb_tools_test_run (f->delete, "{\"path\": \"link.txt\"}");
  g_assert_cmpstr (link_ok, ==, "Successfully deleted link.txt");
  g_assert_false (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));

  is_dir = nb_tools_test_run (f->delete, "{\"path\": \"dir\"}");
  g_assert_cmpstr (is_dir, ==, "Error: Not a file: dir");
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

  missing = nb_tools_test_run (f->delete, "{\"path\": \"victim.txt\"}");
  g_assert_cmpstr (missing, ==, "Error: File not found: victim.txt");
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  put (f, "notes.txt", "hello");
  g_cancellable_cancel (cancellable);
  text = nb_tools_test_run_full (f->read, "{\"path\": \"notes.txt\"}", cancellable, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_canonicalize (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *real_root = nb_path_guard_canonicalize (root, TRUE, NULL);
  g_autofree char *a = g_build_filename (root, "a", NULL);
  g_autofree char *link = g_build_filename (root, "l", NULL);
  g_autofree char *loop = g_build_filename (root, "loop", NULL);
  g_autofree char *through = g_build_filename (root, "l/x/../y", NULL);
  g_autofree char *expected = g_build_filename (real_root, "a/y", NULL);
  g_autofree char *via_missing = g_build_filename (root, "missing/../l/z", NULL);
  g_autofree char *expected_z = g_build_filename (real_root, "a/z", NULL);
  g_autofree char *unfollowed = NULL, *expected_link = g_build_filename (real_root, "l", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;

  g_mkdir (a, 0700);
  g_assert_cmpint (symlink ("a", link), ==, 0);
  g_assert_cmpint (symlink ("loop", loop), ==, 0);

  r1 = nb_path_guard_canonicalize (through, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r1, ==, expected);
  r2 = nb_path_guard_canonicalize (via_missing, TRUE, &error);
  g_assert_cmpstr (r2, ==, expected_z);
  unfollowed = nb_path_guard_canonicalize (link, FALSE, &error);
  g_assert_cmpstr (unfollowed, ==, expected_link);
  r3 = nb_path_guard_canonicalize (loop, TRUE, &error);
  g_assert_null (r3);
  g_assert_error (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_LOOP);

  g_assert_true (nb_path_guard_is_inside ("/a/b", "/a/b"));
  g_assert_true (nb_path_guard_is_inside ("/a/b", "/a/b/c"));
  g_assert_true (nb_path_guard_is_inside ("/a/b/", "/a/b/c"));
  g_assert_false (nb_path_guard_is_inside ("/a/b", "/a/bc"));
  g_assert_false (nb_path_guard_is_inside ("/a/b", "/a"));
  g_assert_true (nb_path_guard_is_inside ("/", "/etc"));

  nb_test_rm_rf (root);
}

static gboolean
record_gap_cb (gpointer user_data)
{
  gint64 *times = user_data;   /* [0] last tick, [1] the longest gap */
  gint64 now = g_get_monotonic_time ();

  times[1] = MAX (times[1], now - times[0]);
  times[0] = now;
  return G_SOURCE_CONTINUE;
}

/* Runs edit_file with @args while a 1 ms timer measures the longest time
 * the main loop was blocked; returns the answer. */
static char *
run_edit_timed (Fixture    *f,
                const char *args,
                gint64     *longest_gap_us)
{
  gint64 times[2] = { g_get_monotonic_time (), 0 };
  guint tick = g_timeout_add (1, record_gap_cb, times);
  char *text = nb_tools_test_run (f->edit, args);

  g_source_remove (tick);
  *longest_gap_us = times[1];
  return text;
}

/* issue item 2: the "did you mean" hint of edit_file on a 1 MB single-line
 * file, or on 100 000 lines, must not block the main loop (it took 144 s:
 * an insertion sort of the line's bigrams, every window compared). */
static void
test_edit_hint_bounded (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *one_line = g_build_filename (f->ws, "one-line.txt", NULL);
  g_autofree char *many_lines = g_build_filename (f->ws, "many-lines.txt", NULL);
  g_autoptr(GString) text = g_string_sized_new (1 << 20);
  g_autoptr(GString) old = g_string_new (NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autofree char *answer = NULL, *answer2 = NULL;
  g_autofree char *old_quoted = NULL, *args = NULL;
  gint64 gap = 0;

  for (guint i = 0; i < (1 << 20); i++)
    g_string_append_c (text, 'a' + g_rand_int_range (rand, 0, 26));
  nb_test_write_file (one_line, text->str);
  answer = run_edit_timed (f, "{\"path\": \"one-line.txt\", \"old_text\": \"0123456789\", \"new_text\": \"x\"}", &gap);
  g_assert_true (g_str_has_prefix (answer, "Error: old_text not found in one-line.txt."));
  g_test_message ("1 MB single line: the main loop was blocked at most %" G_GINT64_FORMAT " us", gap);
  g_assert_cmpint (gap, <, 250 * 1000);

  g_string_truncate (text, 0);
  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (text, "line %u: %u %u\n", i, g_rand_int (rand), g_rand_int (rand));
  nb_test_write_file (many_lines, text->str);
  for (guint i = 0; i < 150; i++)
    g_string_append_printf (old, "line %u: changed\n", 70000 + i);
  old_quoted = nb_tools_test_quote (old->str);
  args = g_strdup_printf ("{\"path\": \"many-lines.txt\", \"old_text\": %s, \"new_text\": \"x\"}", old_quoted);
  answer2 = run_edit_timed (f, args, &gap);
  g_assert_true (g_str_has_prefix (answer2, "Error: old_text not found in many-lines.txt."));
  g_test_message ("100 000 lines: the main loop was blocked at most %" G_GINT64_FORMAT " us", gap);
  g_assert_cmpint (gap, <, 250 * 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = nb_test_make_tmpdir ();
  int ret;

  /* g_get_home_dir() reads $HOME: keep the tests away from the real one. */
  g_setenv ("HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/file-tools/metadata", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_metadata, fixture_teardown);
  g_test_add ("/file-tools/read", Fixture, GINT_TO_POINTER (FALSE), fixture_setup, test_read, fixture_teardown);
  g_test_add ("/file-tools/read-too-large", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_read_too_large, fixture_teardown);
  g_test_add ("/file-tools/write", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_write, fixture_teardown);
  g_test_add ("/file-tools/fifo", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_fifo, fixture_teardown);
  g_test_add ("/file-tools/edit", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_edit, fixture_teardown);
  g_test_add ("/file-tools/edit-crlf", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_edit_crlf, fixture_teardown);
  g_test_add ("/file-tools/edit-hint-bounded", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_edit_hint_bounded, fixture_teardown);
  g_test_add ("/file-tools/list", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_list, fixture_teardown);
  g_test_add ("/file-tools/delete", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_delete, fixture_teardown);
  g_test_add ("/file-tools/cancelled", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_cancelled, fixture_teardown);
  g_test_add_func ("/file-tools/canonicalize", test_canonicalize);

  ret = g_test_run ();
  nb_test_rm_rf (home);
  return ret;
}
