/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <glib/gstdio.h>

#include "nb-exec-tool.h"
#include "nb-path-guard.h"
#include "nb-tools-test-util.h"

typedef struct {
  char   *ws;
  NbTool *exec;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ws = nb_test_make_tmpdir ();
  f->exec = nb_exec_tool_new (f->ws, FALSE, GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 60);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Reads cancelled when a run ended early report back on the next
   * iterations and then let go of the tool. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->exec);
  nb_test_rm_rf (f->ws);
  g_free (f->ws);
}

static char *
run_command (Fixture    *f,
             const char *command)
{
  g_autofree char *quoted = nb_tools_test_quote (command);
  g_autofree char *args = g_strdup_printf ("{\"command\": %s}", quoted);

  return nb_tools_test_run (f->exec, args);
}

static gboolean
process_alive (GPid pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return FALSE;
  /* A zombie waiting for a reaper that never comes counts as gone. */
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return FALSE;
  state = strrchr (stat, ')');
  return state == NULL || state[2] != 'Z';
}

static gboolean
process_gone_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Lets the main loop run until @pid is gone (or fails after 10 s). */
static void
assert_process_goes_away (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint id = g_timeout_add (20, process_gone_cb, NULL);

  while (process_alive (pid) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  g_assert_false (process_alive (pid));
}

static GPid
read_pid (Fixture    *f,
          const char *name)
{
  g_autofree char *path = g_build_filename (f->ws, name, NULL);
  g_autofree char *text = nb_test_read_file (path);
  GPid pid = (GPid) g_ascii_strtoll (text, NULL, 10);

  g_assert_cmpint (pid, >, 1);
  return pid;
}

static void
test_output (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *hello = run_command (f, "echo hello");
  g_autofree char *mixed = run_command (f, "echo out; echo err >&2; exit 3");
  g_autofree char *silent = run_command (f, "true");
  g_autofree char *only_err = run_command (f, "echo oops >&2");
  g_autofree char *signalled = run_command (f, "kill -9 $$");
  g_autofree char *invalid = run_command (f, "printf 'a\\377b'");

  g_assert_cmpstr (hello, ==, "hello\n\n\nExit code: 0");
  g_assert_cmpstr (mixed, ==, "out\n\nSTDERR:\nerr\n\n\nExit code: 3");
  g_assert_cmpstr (silent, ==, "(no output)\n\nExit code: 0");
  g_assert_cmpstr (only_err, ==, "STDERR:\noops\n\n\nExit code: 0");
  g_assert_cmpstr (signalled, ==, "(no output)\n\nExit code: -9");
  g_assert_cmpstr (invalid, ==, "a\xef\xbf\xbd" "b\n\nExit code: 0");
  g_assert_true (nb_tool_has_side_effects (f->exec));
}

static void
test_working_dir (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *sub = g_build_filename (f->ws, "sub", NULL);
  g_autofree char *real_sub = NULL;
  g_autofree char *real_ws = NULL;
  g_autofree char *in_sub = NULL, *in_ws = NULL, *missing = NULL;
  g_autofree char *expected_sub = NULL, *expected_ws = NULL;

  g_mkdir (sub, 0700);
  real_sub = nb_path_guard_canonicalize (sub, TRUE, NULL);
  real_ws = nb_path_guard_canonicalize (f->ws, TRUE, NULL);
  expected_sub = g_strdup_printf ("%s\n\n\nExit code: 0", real_sub);
  expected_ws = g_strdup_printf ("%s\n\n\nExit code: 0", real_ws);

  in_sub = nb_tools_test_run (f->exec, "{\"command\": \"pwd -P\", \"working_dir\": \"sub\"}");
  g_assert_cmpstr (in_sub, ==, expected_sub);
  in_ws = run_command (f, "pwd -P");
  g_assert_cmpstr (in_ws, ==, expected_ws);
  missing = nb_tools_test_run (f->exec, "{\"command\": \"pwd\", \"working_dir\": \"nope\"}");
  g_assert_cmpstr (missing, ==, "Error: working_dir not found: nope");
}

static void
test_timeout_kills_group (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *text = NULL;
  GPid grandchild, shell;

  /* The shell starts a grandchild that would outlive it, then waits. */
  text = run_command (f, "echo $$ > sh.pid; sleep 300 & echo $! > gc.pid; sleep 300");
  g_assert_cmpstr (text, ==, "Error: Command timed out after 2 seconds");

  shell = read_pid (f, "sh.pid");
  grandchild = read_pid (f, "gc.pid");
  assert_process_goes_away (shell);
  assert_process_goes_away (grandchild);
}

static void
test_grandchild_keeps_pipe (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *text = NULL;

  /* The shell exits at once, a background child keeps stdout open: the
   * timeout still ends the call and kills it. */
  text = run_command (f, "sleep 300 & echo $! > gc.pid; echo started");
  g_assert_cmpstr (text, ==, "Error: Command timed out after 2 seconds");
  assert_process_goes_away (read_pid (f, "gc.pid"));
}

typedef struct {
  Fixture      *f;
  GCancellable *cancellable;
} CancelData;

static gboolean
cancel_when_started_cb (gpointer user_data)
{
  CancelData *data = user_data;
  g_autofree char *path = g_build_filename (data->f->ws, "gc.pid", NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL) || strchr (contents, '\n') == NULL)
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_kills_group (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  CancelData cancel = { f, cancellable };
  guint id = g_timeout_add (10, cancel_when_started_cb, &cancel);

  text = nb_tools_test_run_full (f->exec,
                                 "{\"command\": \"echo $$ > sh.pid; sleep 300 & echo $! > gc.pid; wait\"}",
                                 cancellable, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  (void) id;

  assert_process_goes_away (read_pid (f, "sh.pid"));
  assert_process_goes_away (read_pid (f, "gc.pid"));
}

static void
test_huge_output (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *text = run_command (f, "head -c 5000000 /dev/zero | tr '\\000' a");
  g_autofree char *expected_tail = g_strdup_printf ("\n... (truncated, %d more chars)\n\nExit code: 0",
                                                    5000000 - NB_EXEC_MAX_OUTPUT_CHARS);

  g_assert_true (g_str_has_suffix (text, expected_tail));
  g_assert_cmpuint (strlen (text), ==, NB_EXEC_MAX_OUTPUT_CHARS + strlen (expected_tail));
  g_assert_cmpint (text[0], ==, 'a');
  g_assert_cmpint (text[NB_EXEC_MAX_OUTPUT_CHARS - 1], ==, 'a');
}

static const char * const denied[] = {
  "rm -rf /",
  "rm -r build",
  "rm -f notes.txt",
  "rm -fr ~",
  "rm --recursive x",
  "ls && rm x -rf",
  "sudo rm -rf /",
  "RM -RF /",
  "del /f C:\\\\x",
  "rmdir /s C:\\\\x",
  "format c:",
  "mkfs.ext4 /dev/sda1",
  "sudo mkfs /dev/sda",
  "sudo -u root mkfs /dev/sda",
  "env FOO=1 mkfs /dev/sda",
  "/usr/bin/env -i mkfs /dev/sda",
  "sh -c \"mkfs /dev/sda\"",
  "bash -lc 'shutdown -h now'",
  "echo hi; reboot",
  "/sbin/reboot",
  "true && poweroff",
  "$(shutdown now)",
  "diskpart",
  "dd if=/dev/zero of=/dev/sda",
  "echo x > /dev/sda",
  ":(){ :|:& };:",
  "bomb(){ bomb|bomb& };bomb",
};

static const char * const allowed[] = {
  "echo format",
  "git log --format=%H",
  "ls -la",
  "rm notes.txt",
  "grep -rf patterns .",
  "echo reboot-notes",
  "python3 -c 'print(1)'",
};

static void
test_deny_patterns (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (denied); i++)
    {
      g_autofree char *refusal = nb_exec_tool_guard_command (denied[i], "/tmp", NULL, FALSE);

      if (refusal == NULL)
        g_error ("Not refused: %s", denied[i]);
      g_assert_cmpstr (refusal, ==, "Error: Command blocked by safety guard (dangerous pattern detected)");
    }
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    {
      g_autofree char *refusal = nb_exec_tool_guard_command (allowed[i], "/tmp", NULL, FALSE);

      if (refusal != NULL)
        g_error ("Refused: %s (%s)", allowed[i], refusal);
    }
}

/* Everyday commands stay allowed inside a restricted workspace. */
static void
test_restricted_allows_ordinary (Fixture       *f,
                                 gconstpointer  data)
{
  static const char * const ordinary[] = {
    "ls -la", "grep -rn foo .", "git status", "echo $PATH", "cat notes.txt | wc -l",
    "find . -name '*.py'", "python3 -c \"print(1/2)\"", "curl -s 'https://example.com/a?q=1'",
    "date +%Y-%m-%d", "sed -i 's/a/b/' notes.txt", "awk '{print $1}' notes.txt",
    "ls 2>/dev/null >&2", "mkdir -p out/sub && cp notes.txt out/sub/", "cd sub && ls",
    "tar czf out.tgz --exclude=out .",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ordinary); i++)
    {
      g_autofree char *refusal = nb_exec_tool_guard_command (ordinary[i], f->ws, f->ws, TRUE);

      if (refusal != NULL)
        g_error ("Refused: %s (%s)", ordinary[i], refusal);
    }
}

static void
test_denied_not_run (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *victim = g_build_filename (f->ws, "keep", "file.txt", NULL);
  g_autofree char *text = NULL;

  nb_test_write_file (victim, "x");
  text = run_command (f, "rm -rf keep");
  g_assert_cmpstr (text, ==, "Error: Command blocked by safety guard (dangerous pattern detected)");
  g_assert_true (g_file_test (victim, G_FILE_TEST_EXISTS));
}

/* issue item 2: a lone surrogate in the command (json-glib turns it into
 * bytes that are not UTF-8) is an error to the model, in a restricted and
 * an unrestricted workspace alike; the guard never crashes on it. */
static void
test_invalid_utf8_command (Fixture       *f,
                           gconstpointer  data)
{
  static const char * const bad[] = {
    "{\"command\": \"echo a\\ud800b\"}",
    "{\"command\": \"echo \\udc00x\"}",
    "{\"command\": \"echo ok\", \"working_dir\": \"\\ud800x\"}",
  };
  g_autoptr(NbTool) restricted = nb_exec_tool_new (f->ws, TRUE, 60);
  g_autofree char *guard = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      NbTool *tools[] = { f->exec, restricted };

      for (guint t = 0; t < G_N_ELEMENTS (tools); t++)
        {
          g_autofree char *text = nb_tools_test_run (tools[t], bad[i]);

          g_assert_true (g_str_has_prefix (text, "Error:"));
          g_assert_nonnull (strstr (text, "not valid UTF-8"));
        }
    }

  /* The registry's argument check says so for every tool's strings. */
  {
    g_autoptr(JsonObject) args = nb_tools_test_args (bad[0]);
    g_autofree char *problems = nb_tool_validate_arguments (f->exec, args);

    g_assert_nonnull (problems);
    g_assert_nonnull (strstr (problems, "command is not valid UTF-8"));
  }

  guard = nb_exec_tool_guard_command ("echo a\xed\xa0\x80" "b", f->ws, f->ws, TRUE);
  g_assert_nonnull (guard);
  g_assert_nonnull (strstr (guard, "not valid UTF-8"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/exec/output", Fixture, NULL, fixture_setup, test_output, fixture_teardown);
  g_test_add ("/exec/working-dir", Fixture, NULL, fixture_setup, test_working_dir, fixture_teardown);
  g_test_add ("/exec/timeout-kills-group", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_timeout_kills_group, fixture_teardown);
  g_test_add ("/exec/grandchild-keeps-pipe", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_grandchild_keeps_pipe, fixture_teardown);
  g_test_add ("/exec/cancel-kills-group", Fixture, NULL, fixture_setup, test_cancel_kills_group, fixture_teardown);
  g_test_add ("/exec/huge-output", Fixture, NULL, fixture_setup, test_huge_output, fixture_teardown);
  g_test_add_func ("/exec/deny-patterns", test_deny_patterns);
  g_test_add ("/exec/restricted-allows-ordinary", Fixture, NULL, fixture_setup, test_restricted_allows_ordinary, fixture_teardown);
  g_test_add ("/exec/denied-not-run", Fixture, NULL, fixture_setup, test_denied_not_run, fixture_teardown);
  g_test_add ("/exec/invalid-utf8-command", Fixture, NULL, fixture_setup, test_invalid_utf8_command, fixture_teardown);

  return g_test_run ();
}
