/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-exec-tool"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <glib-unix.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "nb-exec-tool.h"
#include "nb-json-util.h"
#include "nb-path-guard.h"
#include "nb-sandbox.h"

/* Each pipe keeps at most this many bytes; the rest is only counted. At
 * 4 bytes a character this is still more than NB_EXEC_MAX_OUTPUT_CHARS. */
#define CAPTURE_MAX_BYTES (64 * 1024)
#define READ_CHUNK 8192

struct _NbExecTool
{
  NbTool    parent_instance;

  char           *workspace;
  gboolean        restrict_to_workspace;
  guint           timeout_seconds;
  NbSandboxRules *sandbox;      /* built at the first restricted command */
};

G_DEFINE_FINAL_TYPE (NbExecTool, nb_exec_tool, NB_TYPE_TOOL)

/*
 * Deny patterns, matched on the lower-cased command (nanobot-redux's list,
 * written anew). COMMAND_START matches where a command word begins, also
 * behind sudo/doas, env with options and assignments, "sh -c '…'",
 * "bash -lc", nohup, nice, time, exec and a path prefix.
 */
#define COMMAND_START \
  "(?:^|[;&|(`\\n]|\\$\\()\\s*" \
  "(?:(?:sudo|doas)(?:\\s+-\\S+(?:\\s+[^-\\s]\\S*)?)*\\s+" \
  "|(?:\\S*/)?env(?:\\s+-\\S+)*(?:\\s+[a-z_][a-z0-9_]*=\\S*)*\\s+" \
  "|(?:\\S*/)?(?:ba|da|z|k|fi)?sh\\s+(?:-\\S+\\s+)*-[a-z]*c[a-z]*\\s+[\"']?\\s*" \
  "|cmd(?:\\.exe)?\\s+/c\\s+" \
  "|(?:nohup|exec|time|command)\\s+" \
  "|nice(?:\\s+-\\S+)*\\s+" \
  "|[a-z_][a-z0-9_]*=\\S*\\s+" \
  ")*(?:\\S*/)?"

static const char * const deny_patterns[] = {
  "\\brm\\s(?:[^;&|\\n]*\\s)?-[a-z]*[rf]",                 /* rm -r, -f, -rf, rm x -r */
  "\\brm\\s(?:[^;&|\\n]*\\s)?--(?:recursive|force)\\b",
  "\\bdel\\s+/[fqs]\\b",                                  /* del /f */
  "\\brmdir\\s+/s\\b",                                    /* rmdir /s */
  COMMAND_START "(?:mkfs(?:\\.\\w+)?|diskpart|format|fdisk|wipefs)\\b(?!\\s*=)",
  COMMAND_START "(?:shutdown|reboot|poweroff|halt)\\b(?!\\s*=)",
  "\\bdd\\s[^;&|\\n]*\\bif=",                             /* dd if= */
  ">\\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk)",               /* writing to a disk */
  ":\\(\\)\\s*\\{.*\\};\\s*:",                           /* the fork bomb */
  "\\b(\\w+)\\(\\)\\s*\\{[^}]*\\b\\1\\s*\\|\\s*\\1\\s*&",     /* the same with another name */
};

static gboolean
matches_deny_pattern (const char *lower)
{
  static GPtrArray *regexes;

  if (g_once_init_enter (&regexes))
    {
      GPtrArray *compiled = g_ptr_array_new ();

      for (guint i = 0; i < G_N_ELEMENTS (deny_patterns); i++)
        {
          g_autoptr(GError) error = NULL;
          GRegex *regex = g_regex_new (deny_patterns[i], G_REGEX_MULTILINE | G_REGEX_OPTIMIZE, 0, &error);

          g_assert_no_error (error);
          g_ptr_array_add (compiled, regex);
        }
      g_once_init_leave (&regexes, compiled);
    }

  for (guint i = 0; i < regexes->len; i++)
    if (g_regex_match (g_ptr_array_index (regexes, i), lower, 0, NULL))
      return TRUE;
  return FALSE;
}

/* Device files commands commonly redirect to; never a way out. */
static gboolean
is_harmless_device (const char *path)
{
  static const char * const devices[] = {
    "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom",
    "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty",
  };

  for (guint i = 0; i < G_N_ELEMENTS (devices); i++)
    if (g_str_equal (path, devices[i]))
      return TRUE;
  return g_str_has_prefix (path, "/dev/fd/");
}

static gboolean
is_traversal (const char *word)
{
  gsize len = strlen (word);

  return g_str_equal (word, "..") ||
         strstr (word, "../") != NULL || strstr (word, "..\\") != NULL ||
         (len >= 3 && g_str_has_suffix (word, "/.."));
}

/* Whether the path @candidate, as the shell would see it from @cwd, stays
 * inside @root. */
static gboolean
candidate_inside (const char *candidate,
                  const char *cwd,
                  const char *root)
{
  g_autofree char *absolute = NULL;
  g_autofree char *resolved = NULL;

  if (candidate[0] == '\0')
    return TRUE;
  if (candidate[0] == '~' && candidate[1] != '\0' && candidate[1] != '/')
    return FALSE;  /* ~user: someone's home */
  if (is_harmless_device (candidate))
    return TRUE;

  absolute = nb_path_guard_expand (cwd, candidate);
  resolved = nb_path_guard_canonicalize (absolute, TRUE, NULL);
  return resolved != NULL && nb_path_guard_is_inside (root, resolved);
}

static char *
replace_home_variables (const char *word)
{
  g_autoptr(GString) s = g_string_new (word);

  g_string_replace (s, "${HOME}", g_get_home_dir (), 0);
  g_string_replace (s, "$HOME", g_get_home_dir (), 0);
  return g_strdup (s->str);
}

/**
 * nb_exec_tool_guard_command:
 * @command: the shell command
 * @cwd: the folder it runs in
 * @workspace: (nullable): the workspace
 * @restrict_to_workspace: whether paths must stay inside @workspace
 *
 * The safety guard run before a command starts: the deny patterns always,
 * and with @restrict_to_workspace a check of every word of the command.
 * Words are split at blanks, quotes and shell operators (so a path inside
 * "sh -c '…'" or after a redirection is a word too); each word, the value
 * after an "=" and the path glued to an option ("-o/x") are resolved from
 * @cwd like the file tools resolve paths, and must stay inside. "..",
 * "$HOME", "~user" and a bare "cd" are refused. This is a textual guard like
 * the Python nanobot's, without its known gaps; it cannot see paths that
 * the shell computes (command substitution, variables set elsewhere).
 *
 * Returns: (transfer full) (nullable): the error text, or %NULL when allowed
 */
char *
nb_exec_tool_guard_command (const char *command,
                            const char *cwd,
                            const char *workspace,
                            gboolean    restrict_to_workspace)
{
  g_autofree char *lower = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GRegex) bare_cd = NULL;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (command != NULL, NULL);

  /* Every check below (GRegex, case folding) needs UTF-8; a command that
   * is not (json-glib turns a lone surrogate "\ud800" into such bytes)
   * is refused rather than let through or crash the split. */
  if (!g_utf8_validate (command, -1, NULL))
    return g_strdup ("Error: the command is not valid UTF-8 (a lone surrogate or a broken "
                     "character?); write it again as plain text");

  lower = g_utf8_strdown (command, -1);
  if (matches_deny_pattern (lower))
    return g_strdup ("Error: Command blocked by safety guard (dangerous pattern detected)");

  if (!restrict_to_workspace || workspace == NULL || workspace[0] == '\0')
    return NULL;

  {
    g_autofree char *ws_abs = nb_path_guard_expand (NULL, workspace);

    root = nb_path_guard_canonicalize (ws_abs, TRUE, NULL);
    if (root == NULL)
      return g_strdup ("Error: Command blocked by safety guard (workspace cannot be resolved)");
  }

  /* $HOME and ${HOME} are checked as the path they stand for below; other
   * spellings (${HOME:-…}, ${HOME#…}) and the previous folder are refused. */
  if (g_regex_match_simple ("\\$\\{(?:HOME|OLDPWD)\\b(?!\\})|\\$\\{?OLDPWD\\b", command, 0, 0))
    return g_strdup ("Error: Command blocked by safety guard (path outside working dir)");

  /* "cd" alone and "cd -" go to the home or the previous folder. */
  bare_cd = g_regex_new ("(?:^|[;&|(`\\n])\\s*cd\\s*(?:-\\s*)?(?:$|[;&|)`\\n])", G_REGEX_MULTILINE, 0, NULL);
  if (g_regex_match (bare_cd, command, 0, NULL))
    return g_strdup ("Error: Command blocked by safety guard (path outside working dir)");

  words = g_regex_split_simple ("[\\s'\"`;&|<>(){},]+", command, 0, 0);
  if (words == NULL)
    return g_strdup ("Error: Command blocked by safety guard (the command cannot be read)");
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *word = replace_home_variables (words[i]);
      const char *candidates[3] = { word, NULL, NULL };
      const char *eq = strchr (word, '=');

      if (word[0] == '\0')
        continue;
      if (is_traversal (word))
        return g_strdup ("Error: Command blocked by safety guard (path traversal detected)");

      if (eq != NULL)
        candidates[1] = eq + 1;
      if (word[0] == '-')
        {
          const char *slash = strpbrk (word, "/~");

          if (slash != NULL)
            candidates[2] = slash;
        }

      for (guint c = 0; c < G_N_ELEMENTS (candidates); c++)
        if (candidates[c] != NULL && !candidate_inside (candidates[c], cwd, root))
          return g_strdup ("Error: Command blocked by safety guard (path outside working dir)");
    }

  return NULL;
}

/* Running */

typedef struct
{
  GByteArray *head;      /* the first CAPTURE_MAX_BYTES bytes */
  gsize       dropped;   /* characters read beyond that */
} Capture;

typedef struct
{
  GSubprocess  *process;
  GPid          pgid;
  GCancellable *cancellable;     /* ours: cancelled on timeout, finish, or the caller's */
  GCancellable *caller_cancellable;
  gulong        caller_handler;
  guint         timeout_id;
  guint         timeout_seconds;
  guint         pending;         /* reads and the wait still running */
  gboolean      finished;
  gboolean      sandboxed;
  Capture       out;
  Capture       err;
} RunState;

static void
run_state_free (RunState *state)
{
  g_assert (state->timeout_id == 0 && state->caller_handler == 0);
  g_clear_object (&state->caller_cancellable);
  g_clear_object (&state->cancellable);
  g_clear_object (&state->process);
  g_byte_array_unref (state->out.head);
  g_byte_array_unref (state->err.head);
  g_free (state);
}

static void
kill_group (RunState *state)
{
  /* The shell was started in a session of its own, so its process group
   * holds every child and grandchild that did not leave it. */
  if (state->pgid > 0)
    kill (-state->pgid, SIGKILL);
}

static gsize
count_chars (const guint8 *data,
             gsize         len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    if ((data[i] & 0xC0) != 0x80)
      n++;
  return n;
}

static char *
capture_text (Capture *capture)
{
  if (capture->head->len == 0)
    return g_strdup ("");
  return g_utf8_make_valid ((const char *) capture->head->data, capture->head->len);
}

static char *
format_output (RunState *state)
{
  g_autofree char *out = capture_text (&state->out);
  g_autofree char *err = capture_text (&state->err);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stripped_err = g_strstrip (g_strdup (err));
  g_autofree char *joined = NULL;
  gsize dropped = state->out.dropped;
  int code = 0;
  glong total;

  if (g_subprocess_get_if_exited (state->process))
    code = g_subprocess_get_exit_status (state->process);
  else if (g_subprocess_get_if_signaled (state->process))
    code = -g_subprocess_get_term_sig (state->process);

  if (out[0] != '\0' || state->out.dropped > 0)
    g_ptr_array_add (parts, g_strdup (out));
  if (stripped_err[0] != '\0' || state->err.dropped > 0)
    {
      g_ptr_array_add (parts, g_strconcat ("STDERR:\n", err, NULL));
      dropped += state->err.dropped;
    }
  if (parts->len == 0)
    g_ptr_array_add (parts, g_strdup ("(no output)"));

  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv ("\n", (char **) parts->pdata);
  total = g_utf8_strlen (joined, -1) + dropped;
  if (total > NB_EXEC_MAX_OUTPUT_CHARS)
    {
      const char *cut = g_utf8_offset_to_pointer (joined, NB_EXEC_MAX_OUTPUT_CHARS);
      g_autofree char *truncated = g_strdup_printf ("%.*s\n... (truncated, %ld more chars)",
                                                    (int) (cut - joined), joined,
                                                    total - NB_EXEC_MAX_OUTPUT_CHARS);

      g_free (joined);
      joined = g_steal_pointer (&truncated);
    }

  /* Unlike the Python nanobot, the exit code is always reported, after any
   * cut: a silent success and a silent failure must read differently. A
   * refusal by the sandbox gets a word of explanation, so that the model
   * does not try the same thing another way. */
  if (state->sandboxed && code != 0 &&
      (strstr (err, "Permission denied") != NULL || strstr (err, "Operation not permitted") != NULL ||
       strstr (err, "PermissionError") != NULL))
    return g_strdup_printf ("%s\n\nExit code: %d\n\nNote: commands run in a sandbox: they can write only "
                            "inside the workspace and $TMPDIR, and read only there and in the system "
                            "folders; everything else is refused by the kernel.", joined, code);
  return g_strdup_printf ("%s\n\nExit code: %d", joined, code);
}

static void
run_finish (GTask    *task,
            gboolean  kill_it,
            char     *text,
            GError   *error)
{
  RunState *state = g_task_get_task_data (task);

  if (state->finished)
    {
      g_free (text);
      g_clear_error (&error);
      return;
    }
  state->finished = TRUE;
  g_clear_handle_id (&state->timeout_id, g_source_remove);
  if (state->caller_handler != 0)
    {
      g_cancellable_disconnect (state->caller_cancellable, state->caller_handler);
      state->caller_handler = 0;
    }

  if (kill_it)
    kill_group (state);
  /* Stops whatever still reads or waits (a grandchild that left the group
   * may hold the pipes open). */
  g_cancellable_cancel (state->cancellable);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, text, g_free);
}

static void
op_done (GTask  *task,
         GError *error)
{
  RunState *state = g_task_get_task_data (task);

  state->pending--;
  if (state->finished)
    g_clear_error (&error);
  else if (error != NULL && g_cancellable_is_cancelled (state->caller_cancellable))
    {
      g_clear_error (&error);
      run_finish (task, TRUE, NULL,
                  g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Command cancelled"));
    }
  else if (error != NULL)
    {
      char *text = g_strdup_printf ("Error executing command: %s", error->message);

      g_clear_error (&error);
      run_finish (task, TRUE, text, NULL);
    }
  else if (state->pending == 0)
    run_finish (task, FALSE, format_output (state), NULL);
}

static void read_chunk (GTask *task, GInputStream *stream, Capture *capture);

typedef struct
{
  GTask   *task;
  Capture *capture;
} ReadOp;

static void
read_chunk_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ReadOp *op = user_data;
  g_autoptr(GTask) task = op->task;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  Capture *capture = op->capture;
  gsize len;
  const guint8 *data;

  g_assert (G_IS_INPUT_STREAM (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_free (op);
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      op_done (task, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      op_done (task, NULL);
      return;
    }

  if (capture->head->len < CAPTURE_MAX_BYTES)
    {
      gsize keep = MIN (len, CAPTURE_MAX_BYTES - capture->head->len);

      g_byte_array_append (capture->head, data, keep);
      capture->dropped += count_chars (data + keep, len - keep);
    }
  else
    capture->dropped += count_chars (data, len);

  read_chunk (task, G_INPUT_STREAM (source), capture);
}

static void
read_chunk (GTask        *task,
            GInputStream *stream,
            Capture      *capture)
{
  RunState *state = g_task_get_task_data (task);
  ReadOp *op = g_new0 (ReadOp, 1);

  op->task = g_object_ref (task);
  op->capture = capture;
  g_input_stream_read_bytes_async (stream, READ_CHUNK, G_PRIORITY_DEFAULT, state->cancellable,
                                   read_chunk_cb, op);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (G_IS_SUBPROCESS (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  op_done (task, g_steal_pointer (&error));
}

static gboolean
timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  RunState *state = g_task_get_task_data (task);

  g_assert (G_IS_TASK (task));

  state->timeout_id = 0;
  run_finish (task, TRUE,
              g_strdup_printf ("Error: Command timed out after %u seconds", state->timeout_seconds),
              NULL);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_assert (G_IS_CANCELLABLE (caller));
  g_assert (G_IS_CANCELLABLE (ours));

  /* May run in another thread; cancelling ours moves the work back to the
   * main context, where the pending operations fail and finish the task. */
  g_cancellable_cancel (ours);
}

typedef struct
{
  int pid_fd;
  int ruleset_fd;    /* -1 when not sandboxed */
} ChildSetup;

static void
child_write_all (int         fd,
                 const char *text)
{
  gsize len = strlen (text);

  while (len > 0)
    {
      ssize_t n = write (fd, text, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      text += n;
      len -= (gsize) n;
    }
}

static void
child_setup (gpointer user_data)
{
  const ChildSetup *setup = user_data;
  int pid_fd = setup->pid_fd;
  pid_t pid;

  /* In the child between fork and exec: a new session and process group,
   * so that one kill reaches every process the command starts. */
  setsid ();
#ifdef __linux__
  /* If Nanobot dies without cancelling, the shell does not outlive it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
  /* The group's id for the parent: GSubprocess forgets the pid as soon as
   * a quick shell has been reaped, which can be before the parent asks. */
  pid = getpid ();
  while (write (pid_fd, &pid, sizeof pid) < 0 && errno == EINTR)
    ;

  /* Last, so that nothing above needs a right the sandbox withholds. If
   * the kernel refuses, the command does not run unconfined. */
  if (setup->ruleset_fd >= 0 && nb_sandbox_enter (setup->ruleset_fd) != 0)
    {
      child_write_all (STDERR_FILENO, "nanobot: the kernel refused the sandbox; the command was not run\n");
      _exit (126);
    }
}

/* The ruleset for restricted commands, built once; FALSE (after finishing
 * @task) when it cannot be. Without Landlock, only the textual guard
 * stands, as said once on stderr. */
static gboolean
ensure_sandbox (NbExecTool *self,
                GTask      *task)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;

  if (!self->restrict_to_workspace || self->workspace == NULL || self->workspace[0] == '\0')
    return TRUE;
  if (!nb_sandbox_available ())
    {
      nb_sandbox_warn_once ();
      return TRUE;
    }
  if (self->sandbox != NULL)
    return TRUE;

  {
    g_autofree char *ws_abs = nb_path_guard_expand (NULL, self->workspace);

    g_mkdir_with_parents (ws_abs, 0755);
    root = nb_path_guard_canonicalize (ws_abs, TRUE, &error);
  }
  if (root != NULL)
    self->sandbox = nb_sandbox_rules_new (root, &error);
  if (self->sandbox == NULL)
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: the command was not run: the workspace "
                                                    "sandbox could not be set up (%s)", error->message),
                             g_free);
      return FALSE;
    }
  return TRUE;
}

/* The folder the command runs in, or NULL after finishing @task. */
static char *
resolve_cwd (NbExecTool *self,
             GTask      *task,
             const char *working_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cwd = NULL;

  if (working_dir == NULL || working_dir[0] == '\0')
    {
      if (self->workspace == NULL || self->workspace[0] == '\0')
        return g_get_current_dir ();
      cwd = nb_path_guard_expand (NULL, self->workspace);
      /* A fresh workspace may not exist yet. */
      g_mkdir_with_parents (cwd, 0755);
      return g_steal_pointer (&cwd);
    }

  cwd = nb_path_guard_resolve (self->workspace, self->restrict_to_workspace, working_dir, TRUE, &error);
  if (cwd == NULL)
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_OUTSIDE))
        g_task_return_pointer (task, g_strdup ("Error: Command blocked by safety guard "
                                               "(working_dir outside workspace)"), g_free);
      else
        g_task_return_pointer (task, g_strdup_printf ("Error: %s", error->message), g_free);
      return NULL;
    }
  if (!g_file_test (cwd, G_FILE_TEST_IS_DIR))
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: working_dir not found: %s", working_dir), g_free);
      return NULL;
    }
  return g_steal_pointer (&cwd);
}

static void
nb_exec_tool_execute_async (NbTool              *tool,
                            JsonObject          *arguments,
                            const NbToolContext *context,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  NbExecTool *self = NB_EXEC_TOOL (tool);
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cwd = NULL;
  g_autofree char *refusal = NULL;
  const char *command = nb_json_get_string (arguments, "command");
  int pid_pipe[2];
  pid_t child_pid = 0;
  gssize got;
  RunState *state;
  ChildSetup *setup;

  g_task_set_source_tag (task, nb_exec_tool_execute_async);

  if (command == NULL || command[0] == '\0')
    {
      g_task_return_pointer (task, g_strdup ("Error: missing string parameter 'command'"), g_free);
      return;
    }
  if (!g_utf8_validate (command, -1, NULL) ||
      !g_utf8_validate (nb_json_get_string_or (arguments, "working_dir", ""), -1, NULL))
    {
      g_task_return_pointer (task, g_strdup ("Error: the command or working_dir is not valid UTF-8 "
                                             "(a lone surrogate or a broken character?); "
                                             "write it again as plain text"), g_free);
      return;
    }
  if ((cwd = resolve_cwd (self, task, nb_json_get_string (arguments, "working_dir"))) == NULL)
    return;
  refusal = nb_exec_tool_guard_command (command, cwd, self->workspace, self->restrict_to_workspace);
  if (refusal != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&refusal), g_free);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  if (!ensure_sandbox (self, task))
    return;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  if (!g_unix_open_pipe (pid_pipe, FD_CLOEXEC, &error))
    {
      g_task_return_pointer (task, g_strdup_printf ("Error executing command: %s", error->message), g_free);
      return;
    }
  /* The child has its own copy of this; the launcher frees ours. */
  setup = g_new0 (ChildSetup, 1);
  setup->pid_fd = pid_pipe[1];
  setup->ruleset_fd = -1;
  if (self->sandbox != NULL)
    {
      setup->ruleset_fd = nb_sandbox_rules_get_fd (self->sandbox);
      g_subprocess_launcher_setenv (launcher, "TMPDIR", nb_sandbox_rules_get_tmp_dir (self->sandbox), TRUE);
    }
  g_subprocess_launcher_set_child_setup (launcher, child_setup, setup, g_free);

  state = g_new0 (RunState, 1);
  state->out.head = g_byte_array_new ();
  state->err.head = g_byte_array_new ();
  state->cancellable = g_cancellable_new ();
  state->timeout_seconds = self->timeout_seconds;
  state->sandboxed = self->sandbox != NULL;
  g_task_set_task_data (task, state, (GDestroyNotify) run_state_free);

  state->process = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", command, NULL);
  close (pid_pipe[1]);
  if (state->process == NULL)
    {
      close (pid_pipe[0]);
      g_task_return_pointer (task, g_strdup_printf ("Error executing command: %s", error->message), g_free);
      state->finished = TRUE;
      return;
    }
  /* The spawn returned after the child's exec, so its pid is in the pipe:
   * this read does not wait. */
  while ((got = read (pid_pipe[0], &child_pid, sizeof child_pid)) < 0 && errno == EINTR)
    ;
  if (got == sizeof child_pid)
    state->pgid = (GPid) child_pid;
  else if (g_subprocess_get_identifier (state->process) != NULL)
    state->pgid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (state->process), NULL, 10);
  close (pid_pipe[0]);

  state->pending = 3;
  read_chunk (task, g_subprocess_get_stdout_pipe (state->process), &state->out);
  read_chunk (task, g_subprocess_get_stderr_pipe (state->process), &state->err);
  g_subprocess_wait_async (state->process, state->cancellable, wait_cb, g_object_ref (task));

  state->timeout_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, state->timeout_seconds,
                                                  timeout_cb, g_object_ref (task), g_object_unref);
  if (cancellable != NULL)
    {
      state->caller_cancellable = g_object_ref (cancellable);
      state->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                     g_object_ref (state->cancellable), g_object_unref);
    }
}

static void
nb_exec_tool_finalize (GObject *object)
{
  NbExecTool *self = NB_EXEC_TOOL (object);

  g_free (self->workspace);
  g_clear_pointer (&self->sandbox, nb_sandbox_rules_free);

  G_OBJECT_CLASS (nb_exec_tool_parent_class)->finalize (object);
}

static void
nb_exec_tool_class_init (NbExecToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_exec_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_exec_tool_execute_async;
}

static void
nb_exec_tool_init (NbExecTool *self)
{
}

/**
 * nb_exec_tool_new:
 * @workspace: (nullable): the default working folder
 * @restrict_to_workspace: refuse commands that reach outside @workspace
 * @timeout_seconds: after this the whole process group is killed
 *
 * Returns: (transfer full): the exec tool
 */
NbTool *
nb_exec_tool_new (const char *workspace,
                  gboolean    restrict_to_workspace,
                  guint       timeout_seconds)
{
  g_autoptr(JsonObject) parameters =
    nb_tool_parse_schema ("{\"type\": \"object\","
                          " \"properties\": {"
                          "  \"command\": {\"type\": \"string\", \"description\": \"The shell command to execute\"},"
                          "  \"working_dir\": {\"type\": \"string\", \"description\": \"Optional working directory for the command\"}},"
                          " \"required\": [\"command\"]}");
  NbExecTool *self = g_object_new (NB_TYPE_EXEC_TOOL,
                                   "name", "exec",
                                   "description", "Execute a shell command and return its output. Use with caution.",
                                   "parameters", parameters,
                                   "side-effects", TRUE,
                                   NULL);

  self->workspace = g_strdup (workspace);
  self->restrict_to_workspace = restrict_to_workspace;
  if (restrict_to_workspace)
    nb_sandbox_warn_once ();
  self->timeout_seconds = MAX (timeout_seconds, 1);
  return NB_TOOL (self);
}
