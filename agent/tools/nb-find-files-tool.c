/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-find-files"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "nb-json-util.h"
#include "nb-search-tools.h"
#include "nb-search-util.h"

/*
 * find_files: the Python nanobot's tool of that name (same parameters,
 * defaults and result texts, in English because they are for the model).
 * The walk runs in a GTask thread; nothing is read, only names and, when
 * sorting by modification time, the matches' lstat().
 */

struct _NbFindFilesTool
{
  NbTool    parent_instance;
  char     *workspace;
  gboolean  restrict_to_workspace;
};

G_DEFINE_FINAL_TYPE (NbFindFilesTool, nb_find_files_tool, NB_TYPE_TOOL)

typedef struct
{
  char     *path;          /* as the model wrote it */
  char     *settings_workspace;
  gboolean  restrict_to_workspace;
  char     *target;        /* resolved */
  char     *root;          /* target, or its folder */
  char     *workspace;     /* canonical, nullable */
  char     *query;         /* lowered terms, nullable */
  char     *glob;
  char     *type;
  gboolean  include_dirs;
  gboolean  by_modified;
  guint     limit;         /* 0: all */
  guint     offset;
  GArray   *matches;       /* Match */
} FindData;

typedef struct
{
  char   *display;
  gint64  mtime;
} Match;

static void
match_clear (Match *match)
{
  g_free (match->display);
}

static void
find_data_free (FindData *data)
{
  g_free (data->path);
  g_free (data->settings_workspace);
  g_free (data->target);
  g_free (data->root);
  g_free (data->workspace);
  g_free (data->query);
  g_free (data->glob);
  g_free (data->type);
  g_clear_pointer (&data->matches, g_array_unref);
  g_free (data);
}

static gboolean
query_matches (const char *display,
               const char *terms)
{
  g_autofree char *haystack = NULL;
  g_auto(GStrv) split = NULL;

  if (terms == NULL)
    return TRUE;
  haystack = g_utf8_strdown (display, -1);
  split = g_strsplit_set (terms, " \t\n\r\f\v", -1);
  for (guint i = 0; split[i] != NULL; i++)
    if (split[i][0] != '\0' && strstr (haystack, split[i]) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
visit_cb (const NbSearchEntry *entry,
          gpointer             user_data)
{
  FindData *data = user_data;
  g_autofree char *display = NULL;
  Match match = { 0 };

  if (entry->is_dir && !data->include_dirs)
    return TRUE;
  if (data->glob != NULL && !nb_search_glob_match (entry->rel, entry->name, data->glob))
    return TRUE;
  if (!entry->is_dir && !nb_search_type_match (entry->name, data->type))
    return TRUE;
  if (entry->is_dir && data->type != NULL)
    return TRUE;

  display = nb_search_display_path (data->workspace, data->root, entry->path);
  if (!query_matches (display, data->query))
    return TRUE;

  if (data->by_modified)
    {
      GStatBuf st;

      if (g_lstat (entry->path, &st) == 0)
        match.mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
  match.display = entry->is_dir ? g_strconcat (display, "/", NULL) : g_steal_pointer (&display);
  g_array_append_val (data->matches, match);
  return TRUE;
}

static int
compare_by_path (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const Match *) a)->display, ((const Match *) b)->display);
}

static int
compare_by_modified (gconstpointer a,
                     gconstpointer b)
{
  const Match *x = a;
  const Match *y = b;

  if (x->mtime != y->mtime)
    return x->mtime > y->mtime ? -1 : 1;
  return strcmp (x->display, y->display);
}

static void
find_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FindData *data = task_data;
  g_autoptr(GString) out = NULL;
  g_autofree char *note = NULL;
  g_autofree char *failure = NULL;
  gboolean truncated;
  gboolean is_dir = FALSE;
  guint end;

  failure = nb_search_resolve (data->settings_workspace, data->restrict_to_workspace, data->path,
                               &data->target, &data->root, &data->workspace, &is_dir);
  if (failure != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&failure), g_free);
      return;
    }
  if (is_dir)
    {
      nb_search_walk (data->target, data->include_dirs, cancellable, visit_cb, data);
    }
  else
    {
      g_autofree char *name = g_path_get_basename (data->target);
      NbSearchEntry entry = { data->target, name, name, FALSE };

      visit_cb (&entry, data);
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  g_array_sort (data->matches, data->by_modified ? compare_by_modified : compare_by_path);

  if (data->offset >= data->matches->len)
    {
      g_task_return_pointer (task, g_strdup ("No files found"), g_free);
      return;
    }
  end = data->limit == 0 ? data->matches->len : MIN (data->matches->len, data->offset + data->limit);
  truncated = data->limit != 0 && data->matches->len > data->offset + data->limit;

  out = g_string_new (NULL);
  for (guint i = data->offset; i < end; i++)
    {
      if (i > data->offset)
        g_string_append_c (out, '\n');
      g_string_append (out, g_array_index (data->matches, Match, i).display);
    }
  note = nb_search_pagination_note (data->limit, data->offset, truncated);
  if (note != NULL)
    g_string_append_printf (out, "\n\n%s", note);
  g_task_return_pointer (task, g_string_free (g_steal_pointer (&out), FALSE), g_free);
}

static void
return_text (GTask *task,
             char  *text)
{
  g_task_return_pointer (task, text, g_free);
}

static void
nb_find_files_tool_execute_async (NbTool              *tool,
                                  JsonObject          *arguments,
                                  const NbToolContext *context,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  NbFindFilesTool *self = NB_FIND_FILES_TOOL (tool);
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  const char *path = nb_json_get_string (arguments, "path");
  const char *query = nb_json_get_string (arguments, "query");
  const char *sort = nb_json_get_string (arguments, "sort");
  FindData *data;

  g_task_set_source_tag (task, nb_find_files_tool_execute_async);
  if (path == NULL || path[0] == '\0')
    path = ".";

  data = g_new0 (FindData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) find_data_free);
  data->path = g_strdup (path);
  data->matches = g_array_new (FALSE, TRUE, sizeof (Match));
  g_array_set_clear_func (data->matches, (GDestroyNotify) match_clear);

  if (sort != NULL && strcmp (sort, "path") != 0 && strcmp (sort, "modified") != 0)
    {
      return_text (task, g_strdup ("Error: sort must be 'path' or 'modified'"));
      return;
    }

  data->settings_workspace = g_strdup (self->workspace);
  data->restrict_to_workspace = self->restrict_to_workspace;
  if (query != NULL && query[0] != '\0')
    data->query = g_utf8_strdown (query, -1);
  if (nb_json_get_string (arguments, "glob") != NULL && nb_json_get_string (arguments, "glob")[0] != '\0')
    data->glob = g_strdup (nb_json_get_string (arguments, "glob"));
  if (nb_json_get_string (arguments, "type") != NULL && nb_json_get_string (arguments, "type")[0] != '\0')
    data->type = g_strdup (nb_json_get_string (arguments, "type"));
  data->include_dirs = nb_json_get_boolean (arguments, "include_dirs");
  data->by_modified = g_strcmp0 (sort, "modified") == 0;
  data->limit = (guint) CLAMP (nb_search_get_int (arguments, "head_limit", NB_FIND_FILES_DEFAULT_LIMIT), 0, 1000);
  data->offset = (guint) CLAMP (nb_search_get_int (arguments, "offset", 0), 0, 100000);

  g_task_run_in_thread (task, find_thread);
}

static void
nb_find_files_tool_finalize (GObject *object)
{
  NbFindFilesTool *self = NB_FIND_FILES_TOOL (object);

  g_free (self->workspace);
  G_OBJECT_CLASS (nb_find_files_tool_parent_class)->finalize (object);
}

static void
nb_find_files_tool_class_init (NbFindFilesToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_find_files_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_find_files_tool_execute_async;
}

static void
nb_find_files_tool_init (NbFindFilesTool *self)
{
}

/**
 * nb_find_files_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the find_files tool (read-only)
 */
NbTool *
nb_find_files_tool_new (const char *workspace,
                        gboolean    restrict_to_workspace)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (
    "{\"type\": \"object\","
    " \"properties\": {"
    "  \"path\": {\"type\": \"string\", \"description\": \"Directory or file to search in (default '.')\"},"
    "  \"query\": {\"type\": \"string\", \"description\": \"Optional case-insensitive path fragment search. "
    "Whitespace-separated terms must all be present.\"},"
    "  \"glob\": {\"type\": \"string\", \"description\": \"Optional file filter, e.g. '*.py' or 'tests/**/test_*.py'\"},"
    "  \"type\": {\"type\": \"string\", \"description\": \"Optional file type shorthand, e.g. 'py', 'ts', 'md', 'json'\"},"
    "  \"include_dirs\": {\"type\": \"boolean\", \"description\": \"Include matching directories as well as files "
    "(default false)\"},"
    "  \"sort\": {\"type\": \"string\", \"enum\": [\"path\", \"modified\"], \"description\": \"Sort by path or most "
    "recently modified first (default path)\"},"
    "  \"head_limit\": {\"type\": \"integer\", \"description\": \"Maximum number of paths to return (default 200, "
    "0 for all, max 1000)\", \"minimum\": 0, \"maximum\": 1000},"
    "  \"offset\": {\"type\": \"integer\", \"description\": \"Skip the first N results before applying head_limit\", "
    "\"minimum\": 0, \"maximum\": 100000}}}");
  NbFindFilesTool *self = g_object_new (NB_TYPE_FIND_FILES_TOOL,
                                        "name", "find_files",
                                        "description",
                                        "Find files by path fragment, glob, or file type. "
                                        "Use this before read_file when you need to locate files, and "
                                        "prefer it over shell find/ls for ordinary workspace discovery. "
                                        "Returns workspace-relative paths and skips common dependency/build "
                                        "directories.",
                                        "parameters", parameters,
                                        "side-effects", FALSE,
                                        NULL);

  self->workspace = g_strdup (workspace);
  self->restrict_to_workspace = restrict_to_workspace;
  return NB_TOOL (self);
}
