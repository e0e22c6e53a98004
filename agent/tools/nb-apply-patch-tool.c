/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-apply-patch"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "nb-apply-patch-tool.h"
#include "nb-file-util.h"
#include "nb-json-util.h"
#include "nb-path-guard.h"

/*
 * apply_patch: the Python nanobot's tool of that name (same parameters,
 * checks and texts). All or nothing: every edit is applied to in-memory
 * copies first (an edit sees the edits before it to the same file); only
 * when all succeed are the files written, each atomically (a temporary
 * file renamed over it), and if one write fails the files already
 * written get their old contents back (new ones are removed). The work
 * runs in a GTask thread.
 */

struct _NbApplyPatchTool
{
  NbTool    parent_instance;
  char     *workspace;
  gboolean  restrict_to_workspace;
};

G_DEFINE_FINAL_TYPE (NbApplyPatchTool, nb_apply_patch_tool, NB_TYPE_TOOL)

/* Test hook: the write of the Nth file (1-based) fails; 0 never. */
static guint fail_write_at;

typedef struct
{
  char     *resolved;
  GBytes   *original;   /* NULL: the file did not exist */
  char     *content;    /* after the edits so far */
} Pending;

typedef struct
{
  char       *workspace;
  gboolean    restrict_to_workspace;
  JsonArray  *edits;
  gboolean    dry_run;
  GHashTable *by_path;  /* resolved → Pending */
  GPtrArray  *order;    /* Pending, first edit first */
  GString    *summary;
} PatchData;

static void
pending_free (Pending *pending)
{
  g_free (pending->resolved);
  g_clear_pointer (&pending->original, g_bytes_unref);
  g_free (pending->content);
  g_free (pending);
}

static void
patch_data_free (PatchData *data)
{
  g_free (data->workspace);
  g_clear_pointer (&data->edits, json_array_unref);
  g_clear_pointer (&data->by_path, g_hash_table_unref);
  g_clear_pointer (&data->order, g_ptr_array_unref);
  if (data->summary != NULL)
    g_string_free (data->summary, TRUE);
  g_free (data);
}

/* Line statistics */

typedef struct
{
  const char *start;
  gsize       len;
  guint       hash;
} Line;

static GArray *
split_lines (const char *text)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  const char *p = text;

  while (*p != '\0')
    {
      const char *nl = strchr (p, '\n');
      Line line;

      line.start = p;
      line.len = nl != NULL ? (gsize) (nl - p) : strlen (p);
      line.hash = 5381;
      for (gsize i = 0; i < line.len; i++)
        line.hash = line.hash * 33 + (guchar) p[i];
      g_array_append_val (lines, line);
      if (nl == NULL)
        break;
      p = nl + 1;
    }
  return lines;
}

static gboolean
lines_equal (const Line *a,
             const Line *b)
{
  return a->hash == b->hash && a->len == b->len && memcmp (a->start, b->start, a->len) == 0;
}

/* The shortest edit script's length between @a and @b (Myers), or -1
 * past @max_d. */
static gssize
edit_distance (const Line *a,
               gssize      n,
               const Line *b,
               gssize      m,
               gssize      max_d)
{
  g_autofree gssize *v = g_new0 (gssize, 2 * max_d + 3);
  gssize *V = v + max_d + 1;

  for (gssize d = 0; d <= max_d; d++)
    for (gssize k = -d; k <= d; k += 2)
      {
        gssize x = (k == -d || (k != d && V[k - 1] < V[k + 1])) ? V[k + 1] : V[k - 1] + 1;
        gssize y = x - k;

        while (x < n && y < m && lines_equal (&a[x], &b[y]))
          {
            x++;
            y++;
          }
        V[k] = x;
        if (x >= n && y >= m)
          return d;
      }
  return -1;
}

static char *
normalize_newlines (const char *text)
{
  g_autoptr(GString) out = g_string_new (text);

  g_string_replace (out, "\r\n", "\n", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Lines added and removed from @before to @after ("\r\n" counts as "\n"). */
static void
line_diff_stats (const char *before,
                 const char *after,
                 guint      *added,
                 guint      *deleted)
{
  g_autofree char *x = normalize_newlines (before);
  g_autofree char *y = normalize_newlines (after);
  g_autoptr(GArray) a = split_lines (x);
  g_autoptr(GArray) b = split_lines (y);
  gssize n = a->len;
  gssize m = b->len;
  gssize head = 0;
  gssize d;
  const Line *la = (const Line *) a->data;
  const Line *lb = (const Line *) b->data;

  while (head < n && head < m && lines_equal (&la[head], &lb[head]))
    head++;
  while (n > head && m > head && lines_equal (&la[n - 1], &lb[m - 1]))
    {
      n--;
      m--;
    }
  n -= head;
  m -= head;
  d = edit_distance (la + head, n, lb + head, m, MIN (n + m, 4000));
  if (d < 0)
    {
      *added = (guint) m;
      *deleted = (guint) n;
      return;
    }
  /* d = deletions + insertions, and the common lines are (n + m - d) / 2. */
  *deleted = (guint) (n - (n + m - d) / 2);
  *added = (guint) (m - (n + m - d) / 2);
}

/* The edits */

static void
append_summary (PatchData  *data,
                const char *action,
                const char *path,
                const char *before,
                const char *after)
{
  guint added = 0;
  guint deleted = 0;

  if (before != NULL)
    line_diff_stats (before, after, &added, &deleted);
  else
    {
      g_autoptr(GArray) lines = split_lines (after);

      added = lines->len;
    }
  g_string_append_printf (data->summary, "\n- %s %s", action, path);
  if (added > 0 || deleted > 0)
    g_string_append_printf (data->summary, " (+%u/-%u)", added, deleted);
}

/* The file as the edits so far left it: loaded on first use. Returns NULL
 * and sets @error when it cannot be read; *exists says whether it is there. */
static Pending *
get_pending (PatchData   *data,
             const char  *resolved,
             const char  *path,
             gboolean    *exists,
             char       **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  Pending *pending = g_hash_table_lookup (data->by_path, resolved);
  gsize length = 0;

  if (pending != NULL)
    {
      *exists = TRUE;
      return pending;
    }

  pending = g_new0 (Pending, 1);
  pending->resolved = g_strdup (resolved);
  /* Read and (below) written with the file tools' containment. */
  if (!nb_path_guard_read (data->workspace, data->restrict_to_workspace, resolved,
                           NB_APPLY_PATCH_MAX_FILE_BYTES, &contents, &length, NULL, &local))
    {
      if (!g_error_matches (local, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_FOUND))
        {
          *error = g_strdup (local->message);
          pending_free (pending);
          return NULL;
        }
      *exists = FALSE;
      pending->content = g_strdup ("");
    }
  else
    {
      if (memchr (contents, '\0', length) != NULL || !g_utf8_validate_len (contents, length, NULL))
        {
          *error = g_strdup_printf ("file is not UTF-8 text: %s", path);
          pending_free (pending);
          return NULL;
        }
      *exists = TRUE;
      pending->original = g_bytes_new (contents, length);
      pending->content = g_steal_pointer (&contents);
    }
  g_hash_table_insert (data->by_path, pending->resolved, pending);
  g_ptr_array_add (data->order, pending);
  return pending;
}

/* Appends without merging into an unterminated last line; ends with "\n". */
static char *
append_text (const char *content,
             const char *addition)
{
  g_autofree char *base = normalize_newlines (content);
  g_autofree char *extra = normalize_newlines (addition);
  GString *out = g_string_new (base);

  if (base[0] != '\0' && extra[0] != '\0' && !g_str_has_suffix (base, "\n") && extra[0] != '\n')
    g_string_append_c (out, '\n');
  g_string_append (out, extra);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

static char *
to_crlf (char *text)
{
  GString *out = g_string_new (text);

  g_free (text);
  g_string_replace (out, "\n", "\r\n", 0);
  return g_string_free (out, FALSE);
}

/* Applies one edit to the in-memory copies; returns the error text. */
static char *
apply_edit (PatchData *data,
            JsonNode  *node)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *failure = NULL;
  g_autofree char *before = NULL;
  JsonObject *edit;
  const char *raw_path;
  const char *action;
  const char *old_text;
  const char *new_text;
  Pending *pending;
  gboolean exists = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup ("Error applying patch: each edit must be an object");
  edit = json_node_get_object (node);
  raw_path = nb_json_get_string (edit, "path");
  if (raw_path == NULL)
    return g_strdup ("Error applying patch: path required for edit");
  path = g_strstrip (g_strdup (raw_path));
  if (path[0] == '\0')
    return g_strdup ("Error applying patch: patch path cannot be empty");
  action = nb_json_get_string (edit, "action");
  if (action == NULL)
    return g_strdup_printf ("Error applying patch: action required for edit: %s", path);
  old_text = nb_json_get_string (edit, "old_text");
  new_text = nb_json_get_string (edit, "new_text");

  resolved = nb_path_guard_resolve (data->workspace, data->restrict_to_workspace, path, TRUE, &error);
  if (resolved == NULL)
    return g_strdup_printf ("Error: %s", error->message);

  if (strcmp (action, "add") == 0)
    {
      if (new_text == NULL)
        return g_strdup_printf ("Error applying patch: new_text required for add: %s", path);
      if ((pending = get_pending (data, resolved, path, &exists, &failure)) == NULL)
        return g_strdup_printf ("Error applying patch: %s", failure);
      before = g_strdup (pending->content);
      if (exists)
        {
          char *updated = append_text (pending->content, new_text);

          if (strstr (pending->content, "\r\n") != NULL)
            updated = to_crlf (updated);
          g_free (pending->content);
          pending->content = updated;
          append_summary (data, "update", path, before, pending->content);
        }
      else
        {
          g_autoptr(GString) created = g_string_new (new_text);

          g_string_replace (created, "\r\n", "\n", 0);
          if (created->len > 0 && created->str[created->len - 1] != '\n')
            g_string_append_c (created, '\n');
          g_free (pending->content);
          pending->content = g_string_free (g_steal_pointer (&created), FALSE);
          append_summary (data, "add", path, NULL, pending->content);
        }
      return NULL;
    }

  if (strcmp (action, "replace") == 0)
    {
      g_autofree char *norm_content = NULL;
      g_autofree char *norm_old = NULL;
      g_autofree char *norm_new = NULL;
      GString *updated;
      const char *match;

      if (old_text == NULL || old_text[0] == '\0')
        return g_strdup_printf ("Error applying patch: old_text required for replace: %s", path);
      if (new_text == NULL)
        return g_strdup_printf ("Error applying patch: new_text required for replace: %s", path);
      if ((pending = get_pending (data, resolved, path, &exists, &failure)) == NULL)
        return g_strdup_printf ("Error applying patch: %s", failure);
      if (!exists)
        {
          /* Nothing to keep: forget the empty copy. */
          g_hash_table_remove (data->by_path, resolved);
          g_ptr_array_remove (data->order, pending);  /* frees it */
          return g_strdup_printf ("Error applying patch: file to update does not exist: %s", path);
        }

      norm_content = normalize_newlines (pending->content);
      norm_old = normalize_newlines (old_text);
      norm_new = normalize_newlines (new_text);
      match = strstr (norm_content, norm_old);
      if (match == NULL)
        return g_strdup_printf ("Error applying patch: old_text not found in %s", path);
      if (strstr (match + 1, norm_old) != NULL)
        return g_strdup_printf ("Error applying patch: old_text appears multiple times in %s", path);

      updated = g_string_new_len (norm_content, match - norm_content);
      g_string_append (updated, norm_new);
      g_string_append (updated, match + strlen (norm_old));
      if (updated->len > 0 && updated->str[updated->len - 1] != '\n')
        g_string_append_c (updated, '\n');
      before = g_steal_pointer (&pending->content);
      pending->content = g_string_free (updated, FALSE);
      if (strstr (before, "\r\n") != NULL)
        pending->content = to_crlf (pending->content);
      append_summary (data, "update", path, before, pending->content);
      return NULL;
    }

  return g_strdup_printf ("Error applying patch: unknown action: %s", action);
}

/* Writing */

/* Missing folders made beneath the workspace, a temporary file renamed
 * over the target (its mode kept): whole before or after. */
static gboolean
write_file (PatchData   *data,
            const char  *path,
            const char  *content,
            gsize        length,
            GError     **error)
{
  return nb_path_guard_write (data->workspace, data->restrict_to_workspace, path,
                              content, length, NULL, error);
}

/* Puts back what the first @n_written files held. */
static void
restore (PatchData *data,
         guint      n_written)
{
  for (guint i = 0; i < n_written; i++)
    {
      Pending *pending = g_ptr_array_index (data->order, i);
      g_autoptr(GError) error = NULL;

      if (pending->original == NULL)
        {
          if (!nb_path_guard_unlink (data->workspace, data->restrict_to_workspace, pending->resolved, NULL, &error))
            g_warning ("apply_patch: could not remove %s again: %s", pending->resolved, error->message);
        }
      else
        {
          gsize size = 0;
          const char *bytes = g_bytes_get_data (pending->original, &size);

          if (!write_file (data, pending->resolved, size > 0 ? bytes : "", size, &error))
            g_warning ("apply_patch: could not restore %s: %s", pending->resolved, error->message);
        }
    }
}

static void
patch_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PatchData *data = task_data;
  guint n = json_array_get_length (data->edits);

  for (guint i = 0; i < n; i++)
    {
      char *failure = apply_edit (data, json_array_get_element (data->edits, i));

      if (failure != NULL)
        {
          g_task_return_pointer (task, failure, g_free);
          return;
        }
    }

  if (data->dry_run)
    {
      g_task_return_pointer (task, g_strconcat ("Patch dry-run succeeded:", data->summary->str, NULL), g_free);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  for (guint i = 0; i < data->order->len; i++)
    {
      Pending *pending = g_ptr_array_index (data->order, i);
      g_autoptr(GError) error = NULL;

      if (fail_write_at == i + 1)
        g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_IO, "Failed to write %s: injected failure",
                     pending->resolved);
      else
        write_file (data, pending->resolved, pending->content, strlen (pending->content), &error);
      if (error != NULL)
        {
          restore (data, i);
          g_task_return_pointer (task, g_strdup_printf ("Error applying patch: %s", error->message), g_free);
          return;
        }
    }
  g_task_return_pointer (task, g_strconcat ("Patch applied:", data->summary->str, NULL), g_free);
}

static void
nb_apply_patch_tool_execute_async (NbTool              *tool,
                                   JsonObject          *arguments,
                                   const NbToolContext *context,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  NbApplyPatchTool *self = NB_APPLY_PATCH_TOOL (tool);
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  JsonArray *edits = nb_json_get_array (arguments, "edits");
  PatchData *data;

  g_task_set_source_tag (task, nb_apply_patch_tool_execute_async);
  if (edits == NULL || json_array_get_length (edits) == 0)
    {
      g_task_return_pointer (task, g_strdup ("Error applying patch: must provide edits"), g_free);
      return;
    }

  data = g_new0 (PatchData, 1);
  data->workspace = g_strdup (self->workspace);
  data->restrict_to_workspace = self->restrict_to_workspace;
  data->edits = json_array_ref (edits);
  data->dry_run = nb_json_get_boolean (arguments, "dry_run");
  data->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  data->order = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  data->summary = g_string_new (NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) patch_data_free);
  g_task_run_in_thread (task, patch_thread);
}

static void
nb_apply_patch_tool_finalize (GObject *object)
{
  NbApplyPatchTool *self = NB_APPLY_PATCH_TOOL (object);

  g_free (self->workspace);
  G_OBJECT_CLASS (nb_apply_patch_tool_parent_class)->finalize (object);
}

static void
nb_apply_patch_tool_class_init (NbApplyPatchToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_apply_patch_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_apply_patch_tool_execute_async;
}

static void
nb_apply_patch_tool_init (NbApplyPatchTool *self)
{
}

/**
 * nb_apply_patch_tool_fail_write_at:
 * @n: the write (1-based, in the order of the files' first edits) that
 *   fails, or 0
 *
 * For tests: makes a write fail after the ones before it succeeded, to
 * check that those are undone.
 */
void
nb_apply_patch_tool_fail_write_at (guint n)
{
  fail_write_at = n;
}

/**
 * nb_apply_patch_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the apply_patch tool (side-effecting)
 */
NbTool *
nb_apply_patch_tool_new (const char *workspace,
                         gboolean    restrict_to_workspace)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (
    "{\"type\": \"object\","
    " \"properties\": {"
    "  \"edits\": {\"type\": \"array\", \"description\": \"List of edits to apply. Each edit specifies a file and "
    "the change to make.\", \"minItems\": 1, \"maxItems\": 20,"
    "   \"items\": {\"type\": \"object\","
    "    \"properties\": {"
    "     \"path\": {\"type\": \"string\", \"description\": \"Path to the file to edit. Relative paths resolve "
    "against the workspace; absolute paths and '..' obey the workspace access policy.\"},"
    "     \"action\": {\"type\": \"string\", \"enum\": [\"replace\", \"add\"], \"description\": \"Operation type: "
    "replace or add.\"},"
    "     \"old_text\": {\"type\": [\"string\", \"null\"], \"description\": \"Exact text to search for in the file. "
    "Required for replace.\"},"
    "     \"new_text\": {\"type\": [\"string\", \"null\"], \"description\": \"Text to replace with or append. "
    "Required for replace and add.\"}},"
    "    \"required\": [\"path\", \"action\"]}},"
    "  \"dry_run\": {\"type\": \"boolean\", \"description\": \"Validate and summarize the patch without writing "
    "files.\", \"default\": false}},"
    " \"required\": [\"edits\"]}");
  NbApplyPatchTool *self = g_object_new (NB_TYPE_APPLY_PATCH_TOOL,
                                         "name", "apply_patch",
                                         "description",
                                         "Default tool for code edits. Supports multi-file changes in a single call. "
                                         "Provide a list of structured edits, each specifying a file path, action "
                                         "(replace/add), and the exact text to change. "
                                         "Paths are resolved by the current workspace access policy. "
                                         "Set dry_run=true to validate and preview without writing files. "
                                         "Use edit_file only for small exact replacements on a single file.",
                                         "parameters", parameters,
                                         "side-effects", TRUE,
                                         NULL);

  self->workspace = g_strdup (workspace);
  self->restrict_to_workspace = restrict_to_workspace;
  return NB_TOOL (self);
}
