/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nb-approval-diff.h"
#include "nb-file-util.h"
#include "nb-json-util.h"

/*
 * What a write_file, edit_file or apply_patch call would change, as Pango
 * markup for the approval card: the file is read and the line diff made
 * in a GTask thread (a file may be megabytes), never on the main loop.
 * Lines are compared after their common start and end are set aside; the
 * rest by longest common subsequence while it stays small, else shown as
 * all removed then all added. Three lines of context around changes.
 */

#define CONTEXT_LINES 3
#define MAX_SHOWN_LINES 400
#define MAX_TABLE (4 * 1000 * 1000)

typedef enum { KEEP, DEL, ADD } Op;

typedef struct {
  Op          op;
  const char *line;
} Edit;

static void
append_line (GString    *out,
             Op          op,
             const char *line,
             gboolean    dark)
{
  g_autofree char *escaped = g_markup_escape_text (line, -1);

  switch (op)
    {
    case DEL:
      g_string_append_printf (out, "<span foreground=\"%s\">- %s</span>\n", dark ? "#ff7b63" : "#c01c28", escaped);
      break;
    case ADD:
      g_string_append_printf (out, "<span foreground=\"%s\">+ %s</span>\n", dark ? "#8ff0a4" : "#1c7d3d", escaped);
      break;
    case KEEP:
    default:
      g_string_append_printf (out, "<span alpha=\"60%%\">  %s</span>\n", escaped);
      break;
    }
}

static char **
split_lines (const char *text)
{
  char **lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = g_strv_length (lines);

  /* A final newline ends the last line; it does not start another. */
  if (n > 0 && *lines[n - 1] == '\0')
    {
      g_free (lines[n - 1]);
      lines[n - 1] = NULL;
    }
  return lines;
}

/* The edit script between the middle parts a[0..n) and b[0..m). */
static void
diff_middle (GArray      *edits,
             char       **a,
             guint        n,
             char       **b,
             guint        m)
{
  g_autofree guint *table = NULL;
  guint i = 0, j = 0;

  if ((guint64) (n + 1) * (m + 1) > MAX_TABLE)
    {
      for (guint k = 0; k < n; k++)
        g_array_append_val (edits, ((Edit) { DEL, a[k] }));
      for (guint k = 0; k < m; k++)
        g_array_append_val (edits, ((Edit) { ADD, b[k] }));
      return;
    }

  /* table[i][j]: the LCS length of a[i..] and b[j..]. */
  table = g_new0 (guint, (gsize) (n + 1) * (m + 1));
#define T(x, y) table[(gsize) (x) * (m + 1) + (y)]
  for (guint x = n; x-- > 0;)
    for (guint y = m; y-- > 0;)
      T (x, y) = g_str_equal (a[x], b[y]) ? T (x + 1, y + 1) + 1 : MAX (T (x + 1, y), T (x, y + 1));

  while (i < n || j < m)
    {
      if (i < n && j < m && g_str_equal (a[i], b[j]))
        {
          g_array_append_val (edits, ((Edit) { KEEP, a[i] }));
          i++, j++;
        }
      else if (i < n && (j == m || T (i + 1, j) >= T (i, j + 1)))
        {
          /* Removed lines before the added ones, as diff shows them. */
          g_array_append_val (edits, ((Edit) { DEL, a[i] }));
          i++;
        }
      else
        {
          g_array_append_val (edits, ((Edit) { ADD, b[j] }));
          j++;
        }
    }
#undef T
}

/**
 * nb_approval_diff_lines:
 * @old_text: (nullable): the file now, %NULL for a new file
 * @new_text: the file after the call
 * @added: (out) (optional): lines added
 * @removed: (out) (optional): lines removed
 *
 * Returns: (transfer full): Pango markup of the changed lines with
 *   context; "⋯" between hunks. Blocks; call it in a thread for big texts.
 */
char *
nb_approval_diff_lines (const char *old_text,
                        const char *new_text,
                        gboolean    dark,
                        guint      *added,
                        guint      *removed)
{
  g_auto(GStrv) a = split_lines (old_text);
  g_auto(GStrv) b = split_lines (new_text);
  guint n = g_strv_length (a), m = g_strv_length (b);
  guint start = 0, end = 0;
  g_autoptr(GArray) edits = g_array_new (FALSE, FALSE, sizeof (Edit));
  g_autofree gboolean *shown = NULL;
  GString *out = g_string_new (NULL);
  guint n_added = 0, n_removed = 0, n_shown = 0;
  gboolean skipped = FALSE;

  while (start < n && start < m && g_str_equal (a[start], b[start]))
    start++;
  while (end < n - start && end < m - start && g_str_equal (a[n - 1 - end], b[m - 1 - end]))
    end++;

  for (guint k = 0; k < start; k++)
    g_array_append_val (edits, ((Edit) { KEEP, a[k] }));
  diff_middle (edits, a + start, n - start - end, b + start, m - start - end);
  for (guint k = n - end; k < n; k++)
    g_array_append_val (edits, ((Edit) { KEEP, a[k] }));

  /* Context: keep lines within CONTEXT_LINES of a change. */
  shown = g_new0 (gboolean, edits->len + 1);
  for (guint k = 0; k < edits->len; k++)
    if (g_array_index (edits, Edit, k).op != KEEP)
      for (guint c = k >= CONTEXT_LINES ? k - CONTEXT_LINES : 0; c <= k + CONTEXT_LINES && c < edits->len; c++)
        shown[c] = TRUE;

  for (guint k = 0; k < edits->len; k++)
    {
      Edit *edit = &g_array_index (edits, Edit, k);

      n_added += edit->op == ADD;
      n_removed += edit->op == DEL;
      if (!shown[k])
        {
          skipped = TRUE;
          continue;
        }
      if (n_shown == MAX_SHOWN_LINES)
        {
          n_shown++;
          g_string_append (out, "<span alpha=\"60%\">⋯</span>\n");
        }
      if (n_shown > MAX_SHOWN_LINES)
        continue;
      if (skipped && out->len > 0)
        g_string_append (out, "<span alpha=\"60%\">⋯</span>\n");
      skipped = FALSE;
      append_line (out, edit->op, edit->line, dark);
      n_shown++;
    }
  if (out->len > 0)
    g_string_truncate (out, out->len - 1);

  if (added != NULL)
    *added = n_added;
  if (removed != NULL)
    *removed = n_removed;
  return g_string_free (out, FALSE);
}

/* In a thread */

typedef struct {
  char       *tool;
  char       *path;      /* absolute */
  char       *content;   /* write_file */
  char       *old_text;  /* edit_file */
  char       *new_text;
  char       *patch;     /* apply_patch */
  gboolean    dark;
  char       *summary;
} Job;

static void
job_free (Job *job)
{
  g_free (job->tool);
  g_free (job->path);
  g_free (job->content);
  g_free (job->old_text);
  g_free (job->new_text);
  g_free (job->patch);
  g_free (job->summary);
  g_free (job);
}

static char *
counts (guint added,
        guint removed)
{
  /* Translators: lines of a file, as in "+3 −1 lines" */
  return g_strdup_printf (_("+%u −%u lines"), added, removed);
}

static char *
patch_markup (Job *job)
{
  g_auto(GStrv) lines = split_lines (job->patch);
  GString *out = g_string_new (NULL);
  guint added = 0, removed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      Op op = KEEP;

      if (lines[i][0] == '+' && !g_str_has_prefix (lines[i], "+++"))
        op = ADD, added++;
      else if (lines[i][0] == '-' && !g_str_has_prefix (lines[i], "---"))
        op = DEL, removed++;
      append_line (out, op, op == KEEP ? lines[i] : lines[i] + 1, job->dark);
    }
  if (out->len > 0)
    g_string_truncate (out, out->len - 1);
  job->summary = counts (added, removed);
  return g_string_free (out, FALSE);
}

static void
diff_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  Job *job = data;
  g_autofree char *current = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  guint added = 0, removed = 0;
  char *markup;

  if (job->patch != NULL)
    {
      g_task_return_pointer (task, patch_markup (job), g_free);
      return;
    }

  if (job->path != NULL &&
      !nb_file_read_bounded (job->path, NB_FILE_MAX_WORKSPACE, &current, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          job->summary = g_strdup (error->message);
          g_task_return_pointer (task, g_strdup (""), g_free);
          return;
        }
      g_clear_pointer (&current, g_free);
    }
  if (current != NULL && (memchr (current, '\0', length) != NULL || !g_utf8_validate (current, length, NULL)))
    {
      job->summary = g_strdup (_("Replaces a file that is not text"));
      g_task_return_pointer (task, g_strdup (""), g_free);
      return;
    }

  if (g_strcmp0 (job->tool, "write_file") == 0)
    {
      markup = nb_approval_diff_lines (current, job->content, job->dark, &added, &removed);
      if (current == NULL)
        {
          g_autofree char *lines = counts (added, 0);

          job->summary = g_strdup_printf (_("New file, %s"), lines);
        }
      else
        job->summary = counts (added, removed);
    }
  else
    {
      const char *at = current != NULL && job->old_text != NULL && *job->old_text != '\0'
                       ? strstr (current, job->old_text) : NULL;

      if (at == NULL)
        {
          /* The call will fail; show what it asked for anyway. */
          markup = nb_approval_diff_lines (job->old_text, job->new_text, job->dark, &added, &removed);
          job->summary = g_strdup (current == NULL ? _("The file does not exist")
                                                   : _("The text to replace is not in the file"));
        }
      else
        {
          g_autoptr(GString) edited = g_string_new_len (current, at - current);

          g_string_append (edited, job->new_text != NULL ? job->new_text : "");
          g_string_append (edited, at + strlen (job->old_text));
          markup = nb_approval_diff_lines (current, edited->str, job->dark, &added, &removed);
          job->summary = counts (added, removed);
        }
    }
  g_task_return_pointer (task, markup, g_free);
}

/**
 * nb_approval_diff_async:
 *
 * Makes the diff of @approval's call (write_file, edit_file,
 * apply_patch) in a thread.
 */
void
nb_approval_diff_async (NbToolApproval      *approval,
                        gboolean             dark,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  JsonObject *arguments = nb_tool_approval_get_arguments (approval);
  const char *path = nb_json_get_string (arguments, "path");
  const char *workspace = nb_tool_approval_get_workspace (approval);
  Job *job = g_new0 (Job, 1);

  g_task_set_source_tag (task, nb_approval_diff_async);
  job->tool = g_strdup (nb_tool_approval_get_tool_name (approval));
  job->dark = dark;
  if (g_str_equal (job->tool, "apply_patch"))
    {
      static const char * const keys[] = { "patch", "input", "diff", "patch_text" };

      for (guint i = 0; i < G_N_ELEMENTS (keys) && job->patch == NULL; i++)
        job->patch = g_strdup (nb_json_get_string (arguments, keys[i]));
      if (job->patch == NULL)
        job->patch = g_strdup ("");
    }
  else if (path != NULL)
    {
      if (path[0] == '~')
        job->path = g_build_filename (g_get_home_dir (), path + 1, NULL);
      else if (!g_path_is_absolute (path) && workspace != NULL)
        job->path = g_build_filename (workspace, path, NULL);
      else
        job->path = g_strdup (path);
    }
  job->content = g_strdup (nb_json_get_string (arguments, "content"));
  job->old_text = g_strdup (nb_json_get_string (arguments, "old_text"));
  job->new_text = g_strdup (nb_json_get_string (arguments, "new_text"));
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, diff_thread);
}

/**
 * nb_approval_diff_finish:
 * @summary: (out) (transfer full): "+3 −1 lines", "New file, +5 lines", or
 *   why there is no diff
 *
 * Returns: (transfer full): the markup, %NULL when cancelled
 */
char *
nb_approval_diff_finish (GAsyncResult  *result,
                         char         **summary,
                         GError       **error)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  char *markup = g_task_propagate_pointer (G_TASK (result), error);

  if (summary != NULL)
    *summary = markup != NULL ? g_steal_pointer (&job->summary) : NULL;
  return markup;
}
