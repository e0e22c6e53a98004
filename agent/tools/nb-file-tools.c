/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-file-tools"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "nb-edit-hint.h"
#include "nb-file-tools.h"
#include "nb-json-util.h"
#include "nb-path-guard.h"

/*
 * One file for the whole family (DESIGN.md: one file per tool family): the
 * five types share their settings, path handling and result conventions, and
 * each is a small class_init plus one execute function. Results are the
 * texts of the Python nanobot, in English, because they are for the model.
 */

typedef struct
{
  char     *workspace;
  gboolean  restrict_to_workspace;
} FileSettings;

static void
file_settings_clear (FileSettings *settings)
{
  g_clear_pointer (&settings->workspace, g_free);
}

#define FILE_TOOL_BOILERPLATE(TypeName, type_name)                           \
  struct _##TypeName                                                         \
  {                                                                          \
    NbTool       parent_instance;                                            \
    FileSettings settings;                                                   \
  };                                                                         \
  G_DEFINE_FINAL_TYPE (TypeName, type_name, NB_TYPE_TOOL)                    \
  static void                                                                \
  type_name##_finalize (GObject *object)                                     \
  {                                                                          \
    file_settings_clear (&((TypeName *) object)->settings);                  \
    G_OBJECT_CLASS (type_name##_parent_class)->finalize (object);            \
  }                                                                          \
  static void                                                                \
  type_name##_init (TypeName *self)                                          \
  {                                                                          \
  }

FILE_TOOL_BOILERPLATE (NbReadFileTool, nb_read_file_tool)
FILE_TOOL_BOILERPLATE (NbWriteFileTool, nb_write_file_tool)
FILE_TOOL_BOILERPLATE (NbEditFileTool, nb_edit_file_tool)
FILE_TOOL_BOILERPLATE (NbListDirTool, nb_list_dir_tool)
FILE_TOOL_BOILERPLATE (NbDeleteFileTool, nb_delete_file_tool)

static const char path_only_schema[] =
  "{\"type\": \"object\","
  " \"properties\": {\"path\": {\"type\": \"string\", \"description\": \"%s\"}},"
  " \"required\": [\"path\"]}";

static NbTool *
file_tool_new (GType       type,
               const char *name,
               const char *description,
               const char *schema,
               gboolean    side_effects,
               const char *workspace,
               gboolean    restrict_to_workspace)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (schema);
  NbTool *tool = g_object_new (type,
                               "name", name,
                               "description", description,
                               "parameters", parameters,
                               "side-effects", side_effects,
                               NULL);
  /* All five instance structs start with the NbTool and then the settings. */
  FileSettings *settings = &((NbReadFileTool *) tool)->settings;

  G_STATIC_ASSERT (G_STRUCT_OFFSET (NbReadFileTool, settings) == G_STRUCT_OFFSET (NbDeleteFileTool, settings));
  settings->workspace = g_strdup (workspace);
  settings->restrict_to_workspace = restrict_to_workspace;
  return tool;
}

static FileSettings *
get_settings (NbTool *tool)
{
  return &((NbReadFileTool *) tool)->settings;
}

static void
return_text (GTask *task,
             char  *text)
{
  g_task_return_pointer (task, text, g_free);
}

/* Returns the resolved path, or NULL after finishing @task with the error. */
static char *
resolve_or_return (GTask      *task,
                   const char *path,
                   gboolean    follow_last)
{
  FileSettings *settings = get_settings (g_task_get_source_object (task));
  g_autoptr(GError) error = NULL;
  char *resolved;

  resolved = nb_path_guard_resolve (settings->workspace, settings->restrict_to_workspace,
                                    path, follow_last, &error);
  if (resolved == NULL)
    return_text (task, g_strdup_printf ("Error: %s", error->message));
  return resolved;
}

/* Returns TRUE (and finishes @task) when an operation was cancelled or failed. */
static gboolean
return_io_error (GTask      *task,
                 GError     *error,
                 const char *what)
{
  if (error == NULL)
    return FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else
    return_text (task, g_strdup_printf ("Error %s: %s", what, error->message));
  return TRUE;
}

#define REQUIRE_STRING(var, name)                                              \
  const char *var = nb_json_get_string (arguments, name);                     \
  if (var == NULL)                                                             \
    {                                                                          \
      return_text (task, g_strdup ("Error: missing string parameter '" name "'")); \
      return;                                                                  \
    }

/* read_file */

static void
read_file_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  const char *path = g_task_get_task_data (task);
  gsize length = 0;

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error);
  if (return_io_error (task, error, "reading file"))
    return;

  if (memchr (contents, '\0', length) != NULL || !g_utf8_validate (contents, length, NULL))
    return_text (task, g_strdup_printf ("Error reading file: %s is not UTF-8 text", path));
  else if (length == 0)
    return_text (task, g_strdup_printf ("(Empty file: %s)", path));
  else
    return_text (task, g_steal_pointer (&contents));
}

static void
nb_read_file_tool_execute_async (NbTool              *tool,
                                 JsonObject          *arguments,
                                 const NbToolContext *context,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autofree char *resolved = NULL;
  g_autoptr(GFile) file = NULL;
  GStatBuf st;

  g_task_set_source_tag (task, nb_read_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  g_task_set_task_data (task, g_strdup (path), g_free);

  if ((resolved = resolve_or_return (task, path, TRUE)) == NULL)
    return;

  if (g_stat (resolved, &st) != 0)
    {
      return_text (task, g_strdup_printf ("Error: File not found: %s", path));
      return;
    }
  if (!S_ISREG (st.st_mode))
    {
      return_text (task, g_strdup_printf ("Error: Not a file: %s", path));
      return;
    }
  if (st.st_size > NB_READ_FILE_MAX_BYTES)
    {
      return_text (task, g_strdup_printf ("Error: File too large: %s (%" G_GINT64_FORMAT " bytes, "
                                          "at most %d). Use exec with head, tail or grep to read parts of it.",
                                          path, (gint64) st.st_size, NB_READ_FILE_MAX_BYTES));
      return;
    }

  file = g_file_new_for_path (resolved);
  g_file_load_contents_async (file, cancellable, read_file_loaded_cb, g_steal_pointer (&task));
}

static void
nb_read_file_tool_class_init (NbReadFileToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_read_file_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_read_file_tool_execute_async;
}

/**
 * nb_read_file_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the read_file tool
 */
NbTool *
nb_read_file_tool_new (const char *workspace,
                       gboolean    restrict_to_workspace)
{
  g_autofree char *schema = g_strdup_printf (path_only_schema, "The file path to read");

  return file_tool_new (NB_TYPE_READ_FILE_TOOL, "read_file",
                        "Read the contents of a file at the given path.",
                        schema, FALSE, workspace, restrict_to_workspace);
}

/* write_file */

typedef struct
{
  char  *resolved;
  gsize  n_bytes;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_free (data->resolved);
  g_free (data);
}

static void
write_file_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  WriteData *data = g_task_get_task_data (task);

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_file_replace_contents_finish (G_FILE (source), result, NULL, &error);
  if (return_io_error (task, error, "writing file"))
    return;
  return_text (task, g_strdup_printf ("Successfully wrote %" G_GSIZE_FORMAT " bytes to %s",
                                      data->n_bytes, data->resolved));
}

static void
nb_write_file_tool_execute_async (NbTool              *tool,
                                  JsonObject          *arguments,
                                  const NbToolContext *context,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autofree char *resolved = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  WriteData *data;
  GStatBuf st;

  g_task_set_source_tag (task, nb_write_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  REQUIRE_STRING (content, "content");

  if ((resolved = resolve_or_return (task, path, TRUE)) == NULL)
    return;

  if (g_file_test (resolved, G_FILE_TEST_IS_DIR))
    {
      return_text (task, g_strdup_printf ("Error writing file: %s is a directory", path));
      return;
    }
  /* GIO opens the file it replaces for reading first: a FIFO would
   * hang that worker thread until someone writes into it. */
  if (g_stat (resolved, &st) == 0 && !S_ISREG (st.st_mode))
    {
      return_text (task, g_strdup_printf ("Error writing file: %s is not a regular file", path));
      return;
    }

  parent = g_path_get_dirname (resolved);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved_errno = errno;

      return_text (task, g_strdup_printf ("Error writing file: cannot create %s: %s",
                                          parent, g_strerror (saved_errno)));
      return;
    }

  data = g_new0 (WriteData, 1);
  data->resolved = g_strdup (resolved);
  data->n_bytes = strlen (content);
  g_task_set_task_data (task, data, (GDestroyNotify) write_data_free);

  file = g_file_new_for_path (resolved);
  /* GBytes drops the pointer of an empty copy; GIO wants a non-NULL one. */
  bytes = data->n_bytes > 0 ? g_bytes_new (content, data->n_bytes) : g_bytes_new_static ("", 0);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_NONE,
                                       cancellable, write_file_done_cb, g_steal_pointer (&task));
}

static void
nb_write_file_tool_class_init (NbWriteFileToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_write_file_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_write_file_tool_execute_async;
}

/**
 * nb_write_file_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the write_file tool
 */
NbTool *
nb_write_file_tool_new (const char *workspace,
                        gboolean    restrict_to_workspace)
{
  return file_tool_new (NB_TYPE_WRITE_FILE_TOOL, "write_file",
                        "Write content to a file at the given path. Creates parent directories if needed.",
                        "{\"type\": \"object\","
                        " \"properties\": {"
                        "  \"path\": {\"type\": \"string\", \"description\": \"The file path to write to\"},"
                        "  \"content\": {\"type\": \"string\", \"description\": \"The content to write\"}},"
                        " \"required\": [\"path\", \"content\"]}",
                        TRUE, workspace, restrict_to_workspace);
}

/* edit_file */

typedef struct
{
  char *path;
  char *resolved;
  char *old_text;
  char *new_text;
} EditData;

static void
edit_data_free (EditData *data)
{
  g_free (data->path);
  g_free (data->resolved);
  g_free (data->old_text);
  g_free (data->new_text);
  g_free (data);
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  gsize needle_len = strlen (needle);
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + needle_len, needle))
    count++;
  return count;
}

static void
edit_file_written_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  EditData *data = g_task_get_task_data (task);

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_file_replace_contents_finish (G_FILE (source), result, NULL, &error);
  if (return_io_error (task, error, "editing file"))
    return;
  return_text (task, g_strdup_printf ("Successfully edited %s", data->resolved));
}

static void
edit_file_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  EditData *data = g_task_get_task_data (task);
  gsize length = 0;
  const char *match;
  GString *edited;
  guint count;

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error);
  if (return_io_error (task, error, "editing file"))
    return;
  if (memchr (contents, '\0', length) != NULL || !g_utf8_validate (contents, length, NULL))
    {
      return_text (task, g_strdup_printf ("Error editing file: %s is not UTF-8 text", data->path));
      return;
    }

  count = count_occurrences (contents, data->old_text);
  if (count == 0 && strstr (contents, "\r\n") != NULL && strstr (data->old_text, "\r\n") == NULL &&
      strchr (data->old_text, '\n') != NULL)
    {
      /* The model writes "\n"; a file with Windows line endings has "\r\n". */
      g_autoptr(GString) old_crlf = g_string_new (data->old_text);
      g_autoptr(GString) new_crlf = g_string_new (data->new_text);

      g_string_replace (old_crlf, "\n", "\r\n", 0);
      g_string_replace (new_crlf, "\r\n", "\n", 0);
      g_string_replace (new_crlf, "\n", "\r\n", 0);
      count = count_occurrences (contents, old_crlf->str);
      if (count > 0)
        {
          g_free (data->old_text);
          data->old_text = g_string_free (g_steal_pointer (&old_crlf), FALSE);
          g_free (data->new_text);
          data->new_text = g_string_free (g_steal_pointer (&new_crlf), FALSE);
        }
    }
  if (count == 0)
    {
      return_text (task, nb_edit_hint_message (data->old_text, contents, data->path));
      return;
    }
  if (count > 1)
    {
      return_text (task, g_strdup_printf ("Warning: old_text appears %u times. "
                                          "Please provide more context to make it unique.", count));
      return;
    }

  match = strstr (contents, data->old_text);
  edited = g_string_sized_new (length + strlen (data->new_text));
  g_string_append_len (edited, contents, match - contents);
  g_string_append (edited, data->new_text);
  g_string_append (edited, match + strlen (data->old_text));

  {
    g_autoptr(GBytes) bytes = g_string_free_to_bytes (edited);
    GCancellable *cancellable = g_task_get_cancellable (task);

    g_file_replace_contents_bytes_async (G_FILE (source), bytes, NULL, FALSE, G_FILE_CREATE_NONE,
                                         cancellable, edit_file_written_cb, g_steal_pointer (&task));
  }
}

static void
nb_edit_file_tool_execute_async (NbTool              *tool,
                                 JsonObject          *arguments,
                                 const NbToolContext *context,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autofree char *resolved = NULL;
  g_autoptr(GFile) file = NULL;
  EditData *data;
  GStatBuf st;

  g_task_set_source_tag (task, nb_edit_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  REQUIRE_STRING (old_text, "old_text");
  REQUIRE_STRING (new_text, "new_text");

  if ((resolved = resolve_or_return (task, path, TRUE)) == NULL)
    return;
  if (g_stat (resolved, &st) != 0)
    {
      return_text (task, g_strdup_printf ("Error: File not found: %s", path));
      return;
    }
  if (!S_ISREG (st.st_mode))
    {
      return_text (task, g_strdup_printf ("Error: Not a file: %s", path));
      return;
    }
  if (old_text[0] == '\0')
    {
      return_text (task, g_strdup ("Error: old_text is empty. Give the exact text to replace."));
      return;
    }
  if (st.st_size > NB_READ_FILE_MAX_BYTES)
    {
      return_text (task, g_strdup_printf ("Error: File too large to edit: %s", path));
      return;
    }

  data = g_new0 (EditData, 1);
  data->path = g_strdup (path);
  data->resolved = g_strdup (resolved);
  data->old_text = g_strdup (old_text);
  data->new_text = g_strdup (new_text);
  g_task_set_task_data (task, data, (GDestroyNotify) edit_data_free);

  file = g_file_new_for_path (resolved);
  g_file_load_contents_async (file, cancellable, edit_file_loaded_cb, g_steal_pointer (&task));
}

static void
nb_edit_file_tool_class_init (NbEditFileToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_edit_file_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_edit_file_tool_execute_async;
}

/**
 * nb_edit_file_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the edit_file tool
 */
NbTool *
nb_edit_file_tool_new (const char *workspace,
                       gboolean    restrict_to_workspace)
{
  return file_tool_new (NB_TYPE_EDIT_FILE_TOOL, "edit_file",
                        "Edit a file by replacing old_text with new_text. "
                        "The old_text must exist exactly in the file.",
                        "{\"type\": \"object\","
                        " \"properties\": {"
                        "  \"path\": {\"type\": \"string\", \"description\": \"The file path to edit\"},"
                        "  \"old_text\": {\"type\": \"string\", \"description\": \"The exact text to find and replace\"},"
                        "  \"new_text\": {\"type\": \"string\", \"description\": \"The text to replace with\"}},"
                        " \"required\": [\"path\", \"old_text\", \"new_text\"]}",
                        TRUE, workspace, restrict_to_workspace);
}

/* list_dir */

typedef struct
{
  char      *path;
  GPtrArray *entries;  /* "📁 name" / "📄 name" */
  guint      total;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->path);
  g_ptr_array_unref (data->entries);
  g_free (data);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  /* Sort by name, after the marker (both markers are 4 bytes + a space). */
  const char *x = *(const char * const *) a;
  const char *y = *(const char * const *) b;

  return strcmp (strchr (x, ' ') + 1, strchr (y, ' ') + 1);
}

static void
list_dir_next_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GFileEnumerator *enumerator = G_FILE_ENUMERATOR (source);
  ListData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GList *infos;
  GString *out;

  g_assert (G_IS_FILE_ENUMERATOR (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  infos = g_file_enumerator_next_files_finish (enumerator, result, &error);
  if (return_io_error (task, error, "listing directory"))
    return;

  if (infos != NULL)
    {
      for (GList *l = infos; l != NULL; l = l->next)
        {
          GFileInfo *info = l->data;
          gboolean is_dir = g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY;

          data->total++;
          g_ptr_array_add (data->entries, g_strdup_printf ("%s %s", is_dir ? "📁" : "📄",
                                                           g_file_info_get_name (info)));
        }
      g_list_free_full (infos, g_object_unref);
      g_file_enumerator_next_files_async (enumerator, 100, G_PRIORITY_DEFAULT,
                                          cancellable, list_dir_next_cb, g_steal_pointer (&task));
      return;
    }

  if (data->entries->len == 0)
    {
      return_text (task, g_strdup_printf ("Directory %s is empty", data->path));
      return;
    }

  g_ptr_array_sort (data->entries, compare_entries);
  out = g_string_new (NULL);
  for (guint i = 0; i < data->entries->len && i < NB_LIST_DIR_MAX_ENTRIES; i++)
    {
      if (i > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, g_ptr_array_index (data->entries, i));
    }
  if (data->total > NB_LIST_DIR_MAX_ENTRIES)
    g_string_append_printf (out, "\n\n(truncated, showing first %d of %u entries)",
                            NB_LIST_DIR_MAX_ENTRIES, data->total);
  return_text (task, g_string_free (out, FALSE));
}

static void
list_dir_enumerated_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  enumerator = g_file_enumerate_children_finish (G_FILE (source), result, &error);
  if (return_io_error (task, error, "listing directory"))
    return;
  g_file_enumerator_next_files_async (enumerator, 100, G_PRIORITY_DEFAULT,
                                      cancellable, list_dir_next_cb, g_steal_pointer (&task));
}

static void
nb_list_dir_tool_execute_async (NbTool              *tool,
                                JsonObject          *arguments,
                                const NbToolContext *context,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autofree char *resolved = NULL;
  g_autoptr(GFile) file = NULL;
  ListData *data;
  GStatBuf st;

  g_task_set_source_tag (task, nb_list_dir_tool_execute_async);
  REQUIRE_STRING (path, "path");

  if ((resolved = resolve_or_return (task, path, TRUE)) == NULL)
    return;
  if (g_stat (resolved, &st) != 0)
    {
      return_text (task, g_strdup_printf ("Error: Directory not found: %s", path));
      return;
    }
  if (!S_ISDIR (st.st_mode))
    {
      return_text (task, g_strdup_printf ("Error: Not a directory: %s", path));
      return;
    }

  data = g_new0 (ListData, 1);
  data->path = g_strdup (path);
  data->entries = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);

  file = g_file_new_for_path (resolved);
  g_file_enumerate_children_async (file,
                                   G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                   G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, cancellable,
                                   list_dir_enumerated_cb, g_steal_pointer (&task));
}

static void
nb_list_dir_tool_class_init (NbListDirToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_list_dir_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_list_dir_tool_execute_async;
}

/**
 * nb_list_dir_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the list_dir tool
 */
NbTool *
nb_list_dir_tool_new (const char *workspace,
                      gboolean    restrict_to_workspace)
{
  g_autofree char *schema = g_strdup_printf (path_only_schema, "The directory path to list");

  return file_tool_new (NB_TYPE_LIST_DIR_TOOL, "list_dir", "List the contents of a directory.",
                        schema, FALSE, workspace, restrict_to_workspace);
}

/* delete_file */

static void
delete_file_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (G_IS_FILE (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  g_file_delete_finish (G_FILE (source), result, &error);
  if (return_io_error (task, error, "deleting file"))
    return;
  return_text (task, g_strdup_printf ("Successfully deleted %s", (const char *) g_task_get_task_data (task)));
}

static void
nb_delete_file_tool_execute_async (NbTool              *tool,
                                   JsonObject          *arguments,
                                   const NbToolContext *context,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  FileSettings *settings = get_settings (tool);
  g_autofree char *resolved = NULL;
  g_autoptr(GFile) file = NULL;
  GStatBuf st;

  g_task_set_source_tag (task, nb_delete_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  g_task_set_task_data (task, g_strdup (path), g_free);

  /* The link itself is deleted, never what it points to; its parents are
   * resolved, so a symlinked folder cannot lead outside. */
  if ((resolved = resolve_or_return (task, path, FALSE)) == NULL)
    return;

  if (g_lstat (resolved, &st) != 0)
    {
      return_text (task, g_strdup_printf ("Error: File not found: %s", path));
      return;
    }
  if (S_ISDIR (st.st_mode))
    {
      return_text (task, g_strdup_printf ("Error: Not a file: %s", path));
      return;
    }
  if (S_ISLNK (st.st_mode) && settings->restrict_to_workspace)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *target = nb_path_guard_resolve (settings->workspace, TRUE, path, TRUE, &error);

      if (target == NULL)
        {
          return_text (task, g_strdup_printf ("Error: %s is a symbolic link pointing outside "
                                              "allowed directory %s", path, settings->workspace));
          return;
        }
    }

  file = g_file_new_for_path (resolved);
  g_file_delete_async (file, G_PRIORITY_DEFAULT, cancellable, delete_file_done_cb, g_steal_pointer (&task));
}

static void
nb_delete_file_tool_class_init (NbDeleteFileToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_delete_file_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_delete_file_tool_execute_async;
}

/**
 * nb_delete_file_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the delete_file tool
 */
NbTool *
nb_delete_file_tool_new (const char *workspace,
                         gboolean    restrict_to_workspace)
{
  g_autofree char *schema = g_strdup_printf (path_only_schema, "The file path to delete");

  return file_tool_new (NB_TYPE_DELETE_FILE_TOOL, "delete_file",
                        "Delete a file or symlink at the given path. For symlinks, only the link is deleted.",
                        schema, TRUE, workspace, restrict_to_workspace);
}
