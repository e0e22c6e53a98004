/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hardening item 1: restrictToWorkspace enforced by the kernel. The real
 * exec tool runs real shells under the Landlock ruleset; the escapes are
 * the ones that got past the textual guard before it existed. The file
 * tools open paths beneath the workspace's descriptor (openat2) and refuse
 * files with other names.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <glib/gstdio.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nb-apply-patch-tool.h"
#include "nb-exec-tool.h"
#include "nb-file-tools.h"
#include "nb-search-tools.h"
#include "nb-path-guard.h"
#include "nb-sandbox.h"
#include "nb-tools-test-util.h"

#define SECRET "TOP-SECRET-7f3a"

typedef struct {
  char   *root;      /* holds secret.txt and ws/ */
  char   *ws;
  char   *secret;
  NbTool *exec;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  f->secret = g_build_filename (f->root, "secret.txt", NULL);
  g_mkdir (f->ws, 0700);
  nb_test_write_file (f->secret, SECRET "\n");
  f->exec = nb_exec_tool_new (f->ws, GPOINTER_TO_INT (data) == 0, 60);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (f->exec != NULL)
    nb_test_finalize_object_soon (f->exec);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->ws);
  g_free (f->secret);
}

static char *
run (Fixture    *f,
     const char *command)
{
  g_autofree char *quoted = nb_tools_test_quote (command);
  g_autofree char *args = g_strdup_printf ("{\"command\": %s}", quoted);
  char *text = nb_tools_test_run (f->exec, args);

  g_test_message ("$ %s\n%s", command, text);
  return text;
}

/* The path as printf octal escapes: no "/" or ".." for a text check to see. */
static char *
octal (const char *path)
{
  GString *out = g_string_new (NULL);

  for (const char *p = path; *p != '\0'; p++)
    g_string_append_printf (out, "\\%03o", (guchar) *p);
  return g_string_free (out, FALSE);
}

static gboolean
require_landlock (void)
{
  if (nb_sandbox_available ())
    return TRUE;
  g_test_skip (nb_sandbox_status_text ());
  return FALSE;
}

static void
assert_secret_kept (Fixture    *f,
                    const char *output)
{
  g_autofree char *contents = NULL;

  g_assert_null (strstr (output, SECRET));
  g_assert_true (g_file_get_contents (f->secret, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, SECRET "\n");
}

static void
test_escape_computed_path (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *encoded = NULL;
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;

  if (!require_landlock ())
    return;
  encoded = octal (f->secret);
  command = g_strdup_printf ("cat \"$(printf '%s')\"", encoded);
  out = run (f, command);
  assert_secret_kept (f, out);
  g_assert_nonnull (strstr (out, "Permission denied"));
  g_assert_nonnull (strstr (out, "Note: commands run in a sandbox"));
}

static void
test_escape_python (Fixture       *f,
                    gconstpointer  data)
{
  g_auto(GStrv) parts = NULL;
  GString *list = g_string_new ("[");
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;

  if (!require_landlock ())
    return;

  parts = g_strsplit (f->secret, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    g_string_append_printf (list, "%s'%s'", i > 0 ? "," : "", parts[i]);
  g_string_append_c (list, ']');
  command = g_strdup_printf ("python3 -c \"print(open(chr(47).join(%s)).read())\"", list->str);
  g_string_free (list, TRUE);

  out = run (f, command);
  assert_secret_kept (f, out);
  /* Python started and was refused by the kernel, not by a missing binary. */
  g_assert_nonnull (strstr (out, "PermissionError"));
}

static void
test_escape_dotdot (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *out = NULL;

  if (!require_landlock ())
    return;
  out = run (f, "X=$(printf '\\056\\056'); cd $X && cat secret.txt");
  assert_secret_kept (f, out);
  g_assert_nonnull (strstr (out, "Permission denied"));
}

static void
test_escape_symlink (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *encoded = NULL;
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  g_autofree char *link = NULL;

  if (!require_landlock ())
    return;
  encoded = octal (f->secret);
  command = g_strdup_printf ("ln -s \"$(printf '%s')\" l && cat l", encoded);
  out = run (f, command);
  assert_secret_kept (f, out);
  g_assert_nonnull (strstr (out, "Permission denied"));
  /* Making the link inside is allowed; following it out is not. */
  link = g_build_filename (f->ws, "l", NULL);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
}

static void
test_hard_link_refused (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *encoded = NULL;
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  g_autofree char *link = NULL;
  g_autofree char *moved = NULL;
  GStatBuf st;

  if (!require_landlock ())
    return;
  encoded = octal (f->secret);
  command = g_strdup_printf ("ln \"$(printf '%s')\" h.txt; echo \"exit=$?\"", encoded);
  out = run (f, command);
  g_assert_nonnull (strstr (out, "exit=1"));
  link = g_build_filename (f->ws, "h.txt", NULL);
  g_assert_false (g_file_test (link, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (f->secret, &st), ==, 0);
  g_assert_cmpuint (st.st_nlink, ==, 1);

  /* Nor can a rename bring it in. */
  g_clear_pointer (&command, g_free);
  g_clear_pointer (&out, g_free);
  command = g_strdup_printf ("mv \"$(printf '%s')\" m.txt; echo \"exit=$?\"", encoded);
  out = run (f, command);
  g_assert_null (strstr (out, "exit=0"));
  moved = g_build_filename (f->ws, "m.txt", NULL);
  g_assert_false (g_file_test (moved, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (f->secret, G_FILE_TEST_IS_REGULAR));
}

static void
test_write_outside_refused (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *encoded = NULL;
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  g_autofree char *other = g_build_filename (f->root, "planted.txt", NULL);
  g_autofree char *other_encoded = NULL;

  if (!require_landlock ())
    return;
  encoded = octal (f->secret);
  other_encoded = octal (other);
  command = g_strdup_printf ("echo overwritten > \"$(printf '%s')\"; echo x > \"$(printf '%s')\"",
                             encoded, other_encoded);
  out = run (f, command);
  assert_secret_kept (f, out);
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
}

static void
test_private_tmp (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *out = NULL;

  if (!require_landlock ())
    return;
  out = run (f, "t=$(mktemp) && echo hello > \"$t\" && cat \"$t\" && echo \"in=$TMPDIR\"");
  g_assert_nonnull (strstr (out, "hello"));
  g_assert_nonnull (strstr (out, "nanobot-exec-"));
}

static gboolean
wait_until_gone (const char *path)
{
  for (guint i = 0; i < 1000 && g_file_test (path, G_FILE_TEST_EXISTS); i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10 * 1000);
    }
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* What the commands left in their temporary folder goes with the tool
 * (off the main loop; the folder is gone soon after). */
static void
test_private_tmp_removed (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *tmp = NULL;
  const char *line;

  if (!require_landlock ())
    return;
  out = run (f, "mkdir -p \"$TMPDIR/a/b\" && for i in $(seq 500); do echo x > \"$TMPDIR/a/b/f$i\"; done && "
                "echo \"tmp=$TMPDIR\"");
  line = strstr (out, "tmp=");
  g_assert_nonnull (line);
  tmp = g_strndup (line + 4, strcspn (line + 4, "\n"));
  g_assert_true (g_file_test (tmp, G_FILE_TEST_IS_DIR));

  nb_test_finalize_object_soon (g_steal_pointer (&f->exec));
  g_assert_true (wait_until_gone (tmp));
}

/* A folder left behind by a process that is gone (killed while it ran) is
 * removed when the next one is made; one whose process still runs stays. */
static void
test_stale_tmp_swept (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *stale = NULL;
  g_autofree char *alive = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *file = NULL;
  g_autofree char *out = NULL;
  pid_t pid;

  if (!require_landlock ())
    return;
  pid = fork ();
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);

  stale = g_strdup_printf ("%s/nanobot-exec-%d-stale1", g_get_tmp_dir (), (int) pid);
  alive = g_strdup_printf ("%s/nanobot-exec-%d-alive1", g_get_tmp_dir (), (int) getppid ());
  sub = g_build_filename (stale, "sub", NULL);
  file = g_build_filename (sub, "left.txt", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (alive, 0700), ==, 0);
  nb_test_write_file (file, "left behind\n");

  out = run (f, "echo ok");
  g_assert_nonnull (strstr (out, "ok"));
  g_assert_true (wait_until_gone (stale));
  g_assert_true (g_file_test (alive, G_FILE_TEST_IS_DIR));
  g_rmdir (alive);
}

static void
test_build_still_works (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *makefile = g_build_filename (f->ws, "proj", "Makefile", NULL);
  g_autofree char *source = g_build_filename (f->ws, "proj", "hello.c", NULL);
  g_autofree char *proj = g_build_filename (f->ws, "proj", NULL);
  g_autofree char *out = NULL;
  g_autofree char *git = NULL;

  if (!require_landlock ())
    return;
  g_mkdir (proj, 0755);
  nb_test_write_file (source, "#include <stdio.h>\nint main (void) { puts (\"built and ran\"); return 0; }\n");
  nb_test_write_file (makefile, "hello: hello.c\n\tcc -o hello hello.c\n");

  out = run (f, "cd proj && make && ./hello");
  g_assert_nonnull (strstr (out, "built and ran"));
  g_assert_nonnull (strstr (out, "Exit code: 0"));

  git = run (f, "cd proj && git init -q . && git add hello.c && git status --short");
  g_assert_nonnull (strstr (git, "A  hello.c"));
  g_assert_nonnull (strstr (git, "Exit code: 0"));
}

static void
test_unrestricted_unconfined (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *command = g_strdup_printf ("cat '%s'", f->secret);
  g_autofree char *out = run (f, command);

  /* Without restrictToWorkspace, commands run as the user, as before. */
  g_assert_nonnull (strstr (out, SECRET));
}

/* File tools */

typedef struct {
  char   *root;
  char   *ws;
  char   *outside;
  NbTool *read;
  NbTool *write;
  NbTool *edit;
  NbTool *delete;
} FileFixture;

static void
file_fixture_setup (FileFixture   *f,
                    gconstpointer  data)
{
  f->root = nb_test_make_tmpdir ();
  f->ws = g_build_filename (f->root, "ws", NULL);
  f->outside = g_build_filename (f->root, "outside.txt", NULL);
  g_mkdir (f->ws, 0700);
  nb_test_write_file (f->outside, "outside text\n");
  f->read = nb_read_file_tool_new (f->ws, TRUE);
  f->write = nb_write_file_tool_new (f->ws, TRUE);
  f->edit = nb_edit_file_tool_new (f->ws, TRUE);
  f->delete = nb_delete_file_tool_new (f->ws, TRUE);
}

static void
file_fixture_teardown (FileFixture   *f,
                       gconstpointer  data)
{
  nb_path_guard_set_test_hook (NULL, NULL);
  nb_test_finalize_object_soon (f->read);
  nb_test_finalize_object_soon (f->write);
  nb_test_finalize_object_soon (f->edit);
  nb_test_finalize_object_soon (f->delete);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->ws);
  g_free (f->outside);
}

static char *
run_tool (NbTool     *tool,
          const char *json)
{
  char *text = nb_tools_test_run (tool, json);

  g_test_message ("%s %s → %s", nb_tool_get_name (tool), json, text);
  return text;
}

static void
test_files_hard_link (FileFixture   *f,
                      gconstpointer  data)
{
  g_autofree char *second = g_build_filename (f->ws, "h.txt", NULL);
  g_autofree char *read = NULL;
  g_autofree char *written = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *deleted = NULL;
  g_autofree char *contents = NULL;

  /* A second name inside for a file outside (made here as a command
   * could where the kernel has no Landlock). */
  g_assert_cmpint (link (f->outside, second), ==, 0);

  read = run_tool (f->read, "{\"path\": \"h.txt\"}");
  written = run_tool (f->write, "{\"path\": \"h.txt\", \"content\": \"changed\"}");
  edited = run_tool (f->edit, "{\"path\": \"h.txt\", \"old_text\": \"outside\", \"new_text\": \"changed\"}");
  deleted = run_tool (f->delete, "{\"path\": \"h.txt\"}");

  {
    const char *results[] = { read, written, edited, deleted };

    for (guint i = 0; i < G_N_ELEMENTS (results); i++)
      {
        g_assert_true (g_str_has_prefix (results[i], "Error: h.txt has 2 hard links"));
        g_assert_nonnull (strstr (results[i], "restricted to the workspace"));
      }
  }

  g_assert_true (g_file_get_contents (f->outside, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "outside text\n");
  g_assert_true (g_file_test (second, G_FILE_TEST_EXISTS));
}

/* The search and patch tools share the containment: grep does not read
 * the second name, apply_patch does not change it. */
static void
test_search_and_patch_hard_link (FileFixture   *f,
                                 gconstpointer  data)
{
  g_autofree char *second = g_build_filename (f->ws, "h.txt", NULL);
  g_autofree char *plain = g_build_filename (f->ws, "plain.txt", NULL);
  g_autoptr(NbTool) grep = nb_grep_tool_new (f->ws, TRUE);
  g_autoptr(NbTool) patch = nb_apply_patch_tool_new (f->ws, TRUE);
  g_autofree char *found = NULL;
  g_autofree char *patched = NULL;
  g_autofree char *contents = NULL;

  nb_test_write_file (plain, "outside text, but inside\n");
  g_assert_cmpint (link (f->outside, second), ==, 0);

  found = run_tool (grep, "{\"pattern\": \"outside text\", \"path\": \".\"}");
  g_assert_nonnull (strstr (found, "plain.txt"));
  g_assert_null (strstr (found, "h.txt"));

  patched = run_tool (patch, "{\"edits\": [{\"path\": \"h.txt\", \"action\": \"replace\","
                             " \"old_text\": \"outside\", \"new_text\": \"changed\"}]}");
  g_assert_nonnull (strstr (patched, "hard links"));
  g_assert_true (g_file_get_contents (f->outside, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "outside text\n");

  nb_test_finalize_object_soon (g_steal_pointer (&grep));
  nb_test_finalize_object_soon (g_steal_pointer (&patch));
}

typedef struct {
  char *dir;
  char *outside_dir;
  gboolean swapped;
} Swap;

/* Between the check and the open, the folder becomes a link outside. */
static void
swap_hook (const char *resolved,
           gpointer    data)
{
  Swap *swap = data;
  g_autofree char *aside = g_strconcat (swap->dir, ".aside", NULL);

  if (swap->swapped)
    return;
  swap->swapped = TRUE;
  g_assert_cmpint (g_rename (swap->dir, aside), ==, 0);
  g_assert_cmpint (symlink (swap->outside_dir, swap->dir), ==, 0);
}

static void
test_files_swapped_symlink (FileFixture   *f,
                            gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->ws, "docs", NULL);
  g_autofree char *inner = g_build_filename (dir, "outside.txt", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *read = NULL;
  g_autofree char *written = NULL;
  Swap swap = { dir, f->root, FALSE };

  g_mkdir (dir, 0755);
  nb_test_write_file (inner, "inside text\n");

  nb_path_guard_set_test_hook (swap_hook, &swap);
  read = run_tool (f->read, "{\"path\": \"docs/outside.txt\"}");
  g_assert_true (swap.swapped);
  g_assert_true (g_str_has_prefix (read, "Error: Path docs/outside.txt is outside allowed directory"));

  /* The same race for a write: the file outside stays as it was. */
  g_assert_cmpint (unlink (dir), ==, 0);
  {
    g_autofree char *aside = g_strconcat (dir, ".aside", NULL);

    g_assert_cmpint (g_rename (aside, dir), ==, 0);
  }
  swap.swapped = FALSE;
  written = run_tool (f->write, "{\"path\": \"docs/outside.txt\", \"content\": \"changed\"}");
  g_assert_true (swap.swapped);
  g_assert_true (g_str_has_prefix (written, "Error: Path docs/outside.txt is outside allowed directory"));
  g_assert_true (g_file_get_contents (f->outside, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "outside text\n");
}

static void
test_files_write_keeps_mode (FileFixture   *f,
                             gconstpointer  data)
{
  g_autofree char *script = g_build_filename (f->ws, "run.sh", NULL);
  g_autofree char *written = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  nb_test_write_file (script, "#!/bin/sh\n");
  g_assert_cmpint (g_chmod (script, 0750), ==, 0);
  written = run_tool (f->write, "{\"path\": \"run.sh\", \"content\": \"#!/bin/sh\\necho hi\\n\"}");
  g_assert_true (g_str_has_prefix (written, "Successfully wrote"));
  g_assert_cmpint (g_stat (script, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0750);
  g_assert_true (g_file_get_contents (script, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "#!/bin/sh\necho hi\n");
}

/* Without Landlock and openat2 */

/* What a container's seccomp policy does to system calls it does not know:
 * landlock_create_ruleset and openat2 fail with ENOSYS. */
static void
filter_out_landlock_and_openat2 (void)
{
  struct sock_filter filter[] = {
#ifdef __x86_64__
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 2, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), ==, 0);
}

static void
test_fallback (Fixture       *f,
               gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *plain = NULL;
      g_autofree char *out = NULL;
      g_autofree char *read = NULL;
      g_autofree char *inside = NULL;
      g_autoptr(NbTool) exec = NULL;
      g_autoptr(NbTool) read_tool = NULL;
      g_autofree char *inside_path = g_build_filename (f->ws, "in.txt", NULL);

      filter_out_landlock_and_openat2 ();
      g_assert_false (nb_sandbox_available ());
      g_assert_nonnull (strstr (nb_sandbox_status_text (), "Not enforced by the kernel"));

      /* The warning comes once, however many exec tools there are. */
      exec = nb_exec_tool_new (f->ws, TRUE, 60);
      g_clear_object (&exec);
      exec = nb_exec_tool_new (f->ws, TRUE, 60);

      /* The textual guard still stands in front. */
      plain = g_strdup_printf ("{\"command\": \"cat %s\"}", f->secret);
      out = nb_tools_test_run (exec, plain);
      g_assert_true (g_str_has_prefix (out, "Error: Command blocked by safety guard"));

      /* File tools check the path, then open it with plain openat. */
      read_tool = nb_read_file_tool_new (f->ws, TRUE);
      read = nb_tools_test_run (read_tool, "{\"path\": \"../secret.txt\"}");
      g_assert_true (g_str_has_prefix (read, "Error: Path ../secret.txt is outside allowed directory"));
      nb_test_write_file (inside_path, "inside\n");
      inside = nb_tools_test_run (read_tool, "{\"path\": \"in.txt\"}");
      g_assert_cmpstr (inside, ==, "inside\n");
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*nanobot: Not enforced by the kernel: *");
  g_test_trap_assert_stderr_unmatched ("*Not enforced by the kernel*Not enforced by the kernel*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* The system's programs, which the sandbox may run (a Python installed
   * in the home folder, say by pyenv, is outside it). */
  g_setenv ("PATH", "/usr/local/bin:/usr/bin:/bin", TRUE);

#define EXEC_TEST(path, func, unrestricted) \
  g_test_add ("/sandbox/1-exec/" path, Fixture, GINT_TO_POINTER (unrestricted), \
              fixture_setup, func, fixture_teardown)
  EXEC_TEST ("escape/computed-path", test_escape_computed_path, 0);
  EXEC_TEST ("escape/python", test_escape_python, 0);
  EXEC_TEST ("escape/dotdot", test_escape_dotdot, 0);
  EXEC_TEST ("escape/symlink", test_escape_symlink, 0);
  EXEC_TEST ("hard-link-refused", test_hard_link_refused, 0);
  EXEC_TEST ("write-outside-refused", test_write_outside_refused, 0);
  EXEC_TEST ("private-tmp", test_private_tmp, 0);
  EXEC_TEST ("private-tmp-removed", test_private_tmp_removed, 0);
  EXEC_TEST ("stale-tmp-swept", test_stale_tmp_swept, 0);
  EXEC_TEST ("make-and-git", test_build_still_works, 0);
  EXEC_TEST ("unrestricted", test_unrestricted_unconfined, 1);
  EXEC_TEST ("fallback-without-landlock", test_fallback, 1);
#undef EXEC_TEST

  g_test_add ("/sandbox/1-files/hard-link", FileFixture, NULL,
              file_fixture_setup, test_files_hard_link, file_fixture_teardown);
  g_test_add ("/sandbox/1-files/swapped-symlink", FileFixture, NULL,
              file_fixture_setup, test_files_swapped_symlink, file_fixture_teardown);
  g_test_add ("/sandbox/1-files/search-and-patch-hard-link", FileFixture, NULL,
              file_fixture_setup, test_search_and_patch_hard_link, file_fixture_teardown);
  g_test_add ("/sandbox/1-files/write-keeps-mode", FileFixture, NULL,
              file_fixture_setup, test_files_write_keeps_mode, file_fixture_teardown);

  return g_test_run ();
}
