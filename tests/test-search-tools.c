/* SPDX-License-Identifier: GPL-3.0-or-later */
/* find_files and grep on real files in a temporary folder. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nb-search-tools.h"
#include "nb-search-util.h"
#include "nb-search-test-util.h"
#include "nb-tools-test-util.h"

typedef struct {
  char   *root;
  char   *ws;
  NbTool *find;
  NbTool *grep;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  gboolean restrict_to_workspace = GPOINTER_TO_INT (data);

  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  g_mkdir (f->ws, 0700);
  f->find = nb_find_files_tool_new (f->ws, restrict_to_workspace);
  f->grep = nb_grep_tool_new (f->ws, restrict_to_workspace);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_search_test_release (f->find);
  nb_search_test_release (f->grep);
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

static void
set_mtime (Fixture    *f,
           const char *name,
           time_t      seconds)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);
  struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), ==, 0);
}

static char *
run (Fixture    *f,
     NbTool     *tool,
     const char *json)
{
  return nb_tools_test_run (tool, json);
}

static void
test_glob_match (void)
{
  g_assert_true (nb_search_glob_match ("a.py", "a.py", "*.py"));
  g_assert_true (nb_search_glob_match ("src/deep/a.py", "a.py", "*.py"));
  g_assert_false (nb_search_glob_match ("a.pyc", "a.pyc", "*.py"));
  g_assert_true (nb_search_glob_match ("tests/test_a.py", "test_a.py", "tests/**/test_*.py"));
  g_assert_true (nb_search_glob_match ("tests/unit/deep/test_a.py", "test_a.py", "tests/**/test_*.py"));
  g_assert_true (nb_search_glob_match ("lib/tests/x/test_a.py", "test_a.py", "tests/**/test_*.py"));
  g_assert_false (nb_search_glob_match ("tests/unit/a.py", "a.py", "tests/**/test_*.py"));
  g_assert_true (nb_search_glob_match ("a/b/c.txt", "c.txt", "**/*.txt"));
  g_assert_true (nb_search_glob_match ("c.txt", "c.txt", "**/*.txt"));
  g_assert_true (nb_search_glob_match ("src/x.c", "x.c", "src\\*.c"));
  g_assert_false (nb_search_glob_match ("x.c", "x.c", "   "));
  g_assert_true (nb_search_type_match ("A.PY", "py"));
  g_assert_true (nb_search_type_match ("a.pyi", "python"));
  g_assert_true (nb_search_type_match ("a.yml", "yaml"));
  g_assert_true (nb_search_type_match ("a.c", "c"));
  g_assert_false (nb_search_type_match ("a.h", "c"));
}

/* The word-at-a-time checks agree with byte-by-byte ones. */
static void
test_text_checks (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint round = 0; round < 2000; round++)
    {
      guchar buf[64];
      gsize len = g_rand_int_range (rand, 0, sizeof buf);
      guint control = 0;
      guint span = round % 3 == 0 ? 256 : round % 3 == 1 ? 40 : 128;

      for (gsize i = 0; i < len; i++)
        {
          buf[i] = (guchar) g_rand_int_range (rand, 0, span);
          if (round % 5 == 0 && buf[i] == 0)
            buf[i] = 'a';
          if (buf[i] < 9 || (buf[i] > 13 && buf[i] < 32))
            control++;
        }
      g_assert_cmpint (nb_search_looks_binary_sample ((const char *) buf, len), ==, len > 0 && control * 5 > len);
      g_assert_cmpint (nb_search_is_text ((const char *) buf, len), ==,
                       memchr (buf, 0, len) == NULL && g_utf8_validate_len ((const char *) buf, len, NULL));
    }
  g_assert_true (nb_search_is_text ("plain ascii text, then caf\xc3\xa9 and \xe2\x80\xa6 more ascii", 47));
  g_assert_false (nb_search_is_text ("plain ascii text, then caf\xe9 and more", 36));
  g_assert_false (nb_search_is_text ("0123456789\0abcdef", 17));
}

static void
test_find_files (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *all = NULL;
  g_autofree char *py = NULL;
  g_autofree char *globbed = NULL;
  g_autofree char *query = NULL;
  g_autofree char *dirs = NULL;
  g_autofree char *none = NULL;

  put (f, "README.md", "hi\n");
  put (f, "src/main.py", "print()\n");
  put (f, "src/util.pyi", "x\n");
  put (f, "src/app.ts", "x\n");
  put (f, "tests/unit/test_main.py", "x\n");
  put (f, "node_modules/dep/index.js", "x\n");
  put (f, ".git/config", "x\n");
  put (f, "build/out.py", "x\n");
  put (f, "__pycache__/main.cpython.pyc", "x\n");

  /* Ignored folders are skipped; paths are workspace-relative, sorted. */
  all = run (f, f->find, "{}");
  g_assert_cmpstr (all, ==, "README.md\nsrc/app.ts\nsrc/main.py\nsrc/util.pyi\ntests/unit/test_main.py");

  py = run (f, f->find, "{\"type\": \"py\"}");
  g_assert_cmpstr (py, ==, "src/main.py\nsrc/util.pyi\ntests/unit/test_main.py");

  globbed = run (f, f->find, "{\"glob\": \"tests/**/test_*.py\"}");
  g_assert_cmpstr (globbed, ==, "tests/unit/test_main.py");

  query = run (f, f->find, "{\"query\": \"SRC  main\"}");
  g_assert_cmpstr (query, ==, "src/main.py");

  dirs = run (f, f->find, "{\"path\": \"src\", \"include_dirs\": true, \"glob\": \"s*\"}");
  g_assert_cmpstr (dirs, ==, "src/");

  none = run (f, f->find, "{\"glob\": \"*.rs\"}");
  g_assert_cmpstr (none, ==, "No files found");
}

static void
test_find_files_sort_and_pages (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *newest = NULL;
  g_autofree char *page = NULL;
  g_autofree char *last = NULL;
  g_autofree char *error = NULL;

  put (f, "a.txt", "a\n");
  put (f, "b.txt", "b\n");
  put (f, "c.txt", "c\n");
  set_mtime (f, "a.txt", 1000);
  set_mtime (f, "b.txt", 3000);
  set_mtime (f, "c.txt", 2000);

  newest = run (f, f->find, "{\"sort\": \"modified\"}");
  g_assert_cmpstr (newest, ==, "b.txt\nc.txt\na.txt");

  page = run (f, f->find, "{\"head_limit\": 1, \"offset\": 1}");
  g_assert_cmpstr (page, ==, "b.txt\n\n(pagination: limit=1, offset=1)");
  last = run (f, f->find, "{\"head_limit\": 5, \"offset\": 2}");
  g_assert_cmpstr (last, ==, "c.txt\n\n(pagination: offset=2)");

  error = run (f, f->find, "{\"path\": \"missing\"}");
  g_assert_cmpstr (error, ==, "Error: Path not found: missing");
}

static void
test_symlinks_skipped (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *outside = g_build_filename (f->root, "outside", NULL);
  g_autofree char *secret = g_build_filename (outside, "secret.txt", NULL);
  g_autofree char *link_dir = g_build_filename (f->ws, "linked", NULL);
  g_autofree char *link_file = g_build_filename (f->ws, "linked.txt", NULL);
  g_autofree char *found = NULL;
  g_autofree char *grepped = NULL;
  g_autofree char *escaped = NULL;

  nb_test_write_file (secret, "password=hunter2\n");
  put (f, "inside.txt", "nothing here\n");
  g_assert_cmpint (symlink (outside, link_dir), ==, 0);
  g_assert_cmpint (symlink (secret, link_file), ==, 0);

  /* Neither the linked folder nor the linked file is walked. */
  found = run (f, f->find, "{}");
  g_assert_cmpstr (found, ==, "inside.txt");
  grepped = run (f, f->grep, "{\"pattern\": \"hunter2\"}");
  g_assert_cmpstr (grepped, ==, "No matches found for pattern 'hunter2' in .");

  /* The root itself outside the workspace is refused when restricted. */
  escaped = run (f, f->grep, "{\"pattern\": \"hunter2\", \"path\": \"../outside\"}");
  g_assert_true (g_str_has_prefix (escaped, "Error: Path ../outside is outside allowed directory"));
}

static void
test_unrestricted (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *outside = g_build_filename (f->root, "outside", "notes.txt", NULL);
  g_autofree char *grepped = NULL;

  nb_test_write_file (outside, "the moon\n");
  grepped = run (f, f->grep, "{\"pattern\": \"moon\", \"path\": \"../outside\"}");
  g_assert_cmpstr (grepped, ==, "notes.txt");
}

static void
test_grep_modes (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *files = NULL;
  g_autofree char *content = NULL;
  g_autofree char *count = NULL;
  g_autofree char *regex = NULL;
  g_autofree char *fixed = NULL;
  g_autofree char *ci = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *globbed = NULL;
  g_autofree char *single = NULL;

  put (f, "old.txt", "alpha\nbeta moon\ngamma\n");
  put (f, "new.txt", "moon one\r\nnothing\r\nmoon two\r\n");
  put (f, "sub/deep.md", "a.b\nno\n");
  set_mtime (f, "old.txt", 1000);
  set_mtime (f, "new.txt", 5000);

  /* files_with_matches: newest first. */
  files = run (f, f->grep, "{\"pattern\": \"moon\"}");
  g_assert_cmpstr (files, ==, "new.txt\nold.txt");

  /* content: walk order (files of a folder sorted), context lines, no "\r". */
  content = run (f, f->grep, "{\"pattern\": \"moon\", \"output_mode\": \"content\", "
                             "\"context_before\": 1, \"context_after\": 1}");
  g_assert_cmpstr (content, ==,
                   "new.txt:1\n> 1| moon one\n  2| nothing\n\n"
                   "new.txt:3\n  2| nothing\n> 3| moon two\n\n"
                   "old.txt:2\n  1| alpha\n> 2| beta moon\n  3| gamma");

  count = run (f, f->grep, "{\"pattern\": \"moon\", \"output_mode\": \"count\"}");
  g_assert_cmpstr (count, ==, "new.txt: 2\nold.txt: 1\n\n(total matches: 3 in 2 files)");

  /* A regex, anchored per line; plain text with fixed_strings. */
  regex = run (f, f->grep, "{\"pattern\": \"^moon \\\\w+$\", \"output_mode\": \"content\"}");
  g_assert_cmpstr (regex, ==, "new.txt:1\n> 1| moon one\n\nnew.txt:3\n> 3| moon two");
  fixed = run (f, f->grep, "{\"pattern\": \"a.b\", \"fixed_strings\": true}");
  g_assert_cmpstr (fixed, ==, "sub/deep.md");
  ci = run (f, f->grep, "{\"pattern\": \"MOON TWO\", \"case_insensitive\": true, \"output_mode\": \"content\"}");
  g_assert_cmpstr (ci, ==, "new.txt:3\n> 3| moon two");

  /* A line-spanning regex does not match across lines. */
  {
    g_autofree char *spanning = run (f, f->grep, "{\"pattern\": \"alpha\\\\sbeta\"}");

    g_assert_cmpstr (spanning, ==, "No matches found for pattern 'alpha\\sbeta' in .");
  }
  /* A look-ahead does not see the line break: "beta moon" ends its line. */
  {
    g_autofree char *ahead = run (f, f->grep, "{\"pattern\": \"moon(?=\\\\s)\"}");

    g_assert_cmpstr (ahead, ==, "new.txt");
  }

  bad = run (f, f->grep, "{\"pattern\": \"(unclosed\"}");
  g_assert_true (g_str_has_prefix (bad, "Error: invalid regex pattern: "));

  globbed = run (f, f->grep, "{\"pattern\": \"a\", \"type\": \"md\"}");
  g_assert_cmpstr (globbed, ==, "sub/deep.md");

  single = run (f, f->grep, "{\"pattern\": \"gamma\", \"path\": \"old.txt\", \"output_mode\": \"content\"}");
  g_assert_cmpstr (single, ==, "old.txt:3\n> 3| gamma");
}

static void
test_grep_pages_and_caps (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GString) many = g_string_new (NULL);
  g_autoptr(GString) wide = g_string_new (NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *capped = NULL;
  g_autofree char *files = NULL;

  for (guint i = 1; i <= 10; i++)
    g_string_append_printf (many, "hit %u\n", i);
  put (f, "a.txt", many->str);

  first = run (f, f->grep, "{\"pattern\": \"hit\", \"output_mode\": \"content\", \"head_limit\": 2}");
  g_assert_cmpstr (first, ==, "a.txt:1\n> 1| hit 1\n\na.txt:2\n> 2| hit 2\n\n(pagination: limit=2, offset=0)");
  second = run (f, f->grep, "{\"pattern\": \"hit\", \"output_mode\": \"content\", \"head_limit\": 2, \"offset\": 8}");
  g_assert_cmpstr (second, ==, "a.txt:9\n> 9| hit 9\n\na.txt:10\n> 10| hit 10\n\n(pagination: offset=8)");

  /* 400 lines of 1000 characters: the result stops under the cap, saying so. */
  for (guint i = 0; i < 400; i++)
    {
      for (guint j = 0; j < 100; j++)
        g_string_append (wide, "wide line ");
      g_string_append_c (wide, '\n');
    }
  put (f, "wide.txt", wide->str);
  capped = run (f, f->grep, "{\"pattern\": \"wide\", \"path\": \"wide.txt\", \"output_mode\": \"content\", "
                            "\"head_limit\": 0}");
  g_assert_cmpuint (strlen (capped), <=, NB_GREP_MAX_RESULT_CHARS + 100);
  g_assert_cmpuint (strlen (capped), >, NB_GREP_MAX_RESULT_CHARS - 2000);
  g_assert_true (g_str_has_suffix (capped, "\n\n(output truncated due to size)"));

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u.txt", i);

      put (f, name, "hit\n");
      set_mtime (f, name, 1000 + i);
    }
  files = run (f, f->grep, "{\"pattern\": \"hit\", \"glob\": \"f*.txt\", \"head_limit\": 2, \"offset\": 1}");
  g_assert_cmpstr (files, ==, "f3.txt\nf2.txt\n\n(pagination: limit=2, offset=1)");
}

static void
test_grep_binary_and_large (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *bin = g_build_filename (f->ws, "blob.bin", NULL);
  g_autofree char *latin = g_build_filename (f->ws, "latin1.txt", NULL);
  g_autofree char *big = g_build_filename (f->ws, "big.txt", NULL);
  g_autofree char *huge = g_malloc (NB_GREP_MAX_FILE_BYTES + 10);
  g_autofree char *result = NULL;
  g_autofree char *explicit_big = NULL;

  g_assert_true (g_file_set_contents (bin, "needle\0\1\2\3", 10, NULL));
  g_assert_true (g_file_set_contents (latin, "needle caf\xe9\n", -1, NULL));
  memset (huge, 'x', NB_GREP_MAX_FILE_BYTES + 10);
  memcpy (huge, "needle\n", 7);
  g_assert_true (g_file_set_contents (big, huge, NB_GREP_MAX_FILE_BYTES + 10, NULL));
  put (f, "text.txt", "a needle\n");

  result = run (f, f->grep, "{\"pattern\": \"needle\"}");
  g_assert_cmpstr (result, ==, "text.txt\n\n(skipped 2 binary/unreadable files)\n(skipped 1 large files)");

  /* Given by name, a file may be larger. */
  explicit_big = run (f, f->grep, "{\"pattern\": \"needle\", \"path\": \"big.txt\"}");
  g_assert_cmpstr (explicit_big, ==, "big.txt");
}

/* Each file is opened once, whatever the number of matches. */
static void
test_grep_reads_once (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *result = NULL;
  g_autofree char *page = NULL;
  guint before;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("d%u/f%u.txt", i % 7, i);

      put (f, name, "one word\ntwo word\nthree\n");
    }
  before = nb_grep_tool_get_files_read ();
  result = run (f, f->grep, "{\"pattern\": \"word\", \"output_mode\": \"count\", \"head_limit\": 0}");
  g_assert_cmpuint (nb_grep_tool_get_files_read () - before, ==, 300);
  g_assert_true (g_str_has_suffix (result, "(total matches: 600 in 300 files)"));

  /* Content mode stops reading once the page is full: in a folder of
   * 43 files (searched by one thread, so the count is exact), the first
   * file has two matches and fills a page of one. */
  before = nb_grep_tool_get_files_read ();
  page = run (f, f->grep, "{\"pattern\": \"word\", \"path\": \"d0\", \"output_mode\": \"content\", "
                          "\"head_limit\": 1}");
  g_assert_cmpstr (page, ==, "d0/f0.txt:1\n> 1| one word\n\n(pagination: limit=1, offset=0)");
  g_assert_cmpuint (nb_grep_tool_get_files_read () - before, ==, 1);
}

static void
test_grep_cancel (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;

  put (f, "a.txt", "word\n");
  g_cancellable_cancel (cancellable);
  result = nb_tools_test_run_full (f->grep, "{\"pattern\": \"word\"}", cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);
}

/* Cancelled while it runs: the call ends with G_IO_ERROR_CANCELLED and
 * its threads stop (the tool is finalized in teardown). */
static void
test_grep_cancel_running (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) args = nb_tools_test_args ("{\"pattern\": \"word\", \"output_mode\": \"count\"}");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NbToolContext context = { "cli:direct", "cli", "direct", NULL };
  g_autofree char *text = NULL;

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *name = g_strdup_printf ("d%u/f%u.txt", i % 20, i);

      put (f, name, "a word\n");
    }
  nb_tool_execute_async (f->grep, args, &context, cancellable, nb_test_store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  nb_test_wait_result (&result, 60000);
  text = nb_tool_execute_finish (f->grep, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (text);
}

static void
test_read_only (void)
{
  g_autoptr(NbTool) find = nb_find_files_tool_new (NULL, FALSE);
  g_autoptr(NbTool) grep = nb_grep_tool_new (NULL, FALSE);

  g_assert_false (nb_tool_has_side_effects (find));
  g_assert_false (nb_tool_has_side_effects (grep));
  g_assert_cmpstr (nb_tool_get_name (find), ==, "find_files");
  g_assert_cmpstr (nb_tool_get_name (grep), ==, "grep");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, restricted) \
  g_test_add (path, Fixture, GINT_TO_POINTER (restricted), fixture_setup, func, fixture_teardown)

  g_test_add_func ("/search-tools/glob-match", test_glob_match);
  g_test_add_func ("/search-tools/read-only", test_read_only);
  g_test_add_func ("/search-tools/text-checks", test_text_checks);
  ADD ("/search-tools/find-files", test_find_files, TRUE);
  ADD ("/search-tools/find-files-sort-and-pages", test_find_files_sort_and_pages, TRUE);
  ADD ("/search-tools/symlinks-skipped", test_symlinks_skipped, TRUE);
  ADD ("/search-tools/unrestricted", test_unrestricted, FALSE);
  ADD ("/search-tools/grep-modes", test_grep_modes, TRUE);
  ADD ("/search-tools/grep-pages-and-caps", test_grep_pages_and_caps, TRUE);
  ADD ("/search-tools/grep-binary-and-large", test_grep_binary_and_large, TRUE);
  ADD ("/search-tools/grep-reads-once", test_grep_reads_once, TRUE);
  ADD ("/search-tools/grep-cancel", test_grep_cancel, TRUE);
  ADD ("/search-tools/grep-cancel-running", test_grep_cancel_running, TRUE);

  return g_test_run ();
}
