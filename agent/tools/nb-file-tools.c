/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-file-tools"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define REQUIRE_STRING(var, name)                                              \
  const char *var = nb_json_get_string (arguments, name);                     \
  if (var == NULL)                                                             \
    {                                                                          \
      return_text (task, g_strdup ("Error: missing string parameter '" name "'")); \
      return;                                                                  \
    }

/*
 * Every tool runs its file work in a worker thread through the contained
 * I/O of nb-path-guard-io.c: the path is checked and then opened beneath a
 * descriptor of the workspace (openat2), so nothing swapped in between can
 * lead outside, and no file operation blocks the main loop.
 */

typedef struct
{
  char *workspace;
  gboolean restricted;
  char *path;
  char *text;        /* write_file: content; edit_file: old_text */
  char *new_text;    /* edit_file */
} FileJob;

static void
file_job_free (FileJob *job)
{
  g_free (job->workspace);
  g_free (job->path);
  g_free (job->text);
  g_free (job->new_text);
  g_free (job);
}

/* The job of @task: the tool's settings and @path, as its task data. */
static FileJob *
file_job_start (GTask      *task,
                const char *path)
{
  FileSettings *settings = get_settings (g_task_get_source_object (task));
  FileJob *job = g_new0 (FileJob, 1);

  job->workspace = g_strdup (settings->workspace);
  job->restricted = settings->restrict_to_workspace;
  job->path = g_strdup (path);
  g_task_set_task_data (task, job, (GDestroyNotify) file_job_free);
  return job;
}

/* The texts the model knows (the Python nanobot's) for a refused path. */
static char *
describe_error (const GError *error,
                const char   *path,
                const char   *io_prefix)
{
  if (error->domain == NB_PATH_GUARD_ERROR)
    switch ((NbPathGuardError) error->code)
      {
      case NB_PATH_GUARD_ERROR_OUTSIDE:
      case NB_PATH_GUARD_ERROR_LOOP:
      case NB_PATH_GUARD_ERROR_LINKED:
        return g_strdup_printf ("Error: %s", error->message);
      case NB_PATH_GUARD_ERROR_NOT_FOUND:
        return g_strdup_printf ("Error: File not found: %s", path);
      case NB_PATH_GUARD_ERROR_NOT_REGULAR:
      case NB_PATH_GUARD_ERROR_IS_DIRECTORY:
        return g_strdup_printf ("Error: Not a file: %s", path);
      case NB_PATH_GUARD_ERROR_NOT_DIRECTORY:
      case NB_PATH_GUARD_ERROR_TOO_LARGE:
      case NB_PATH_GUARD_ERROR_FAILED:
      default:
        break;
      }
  return g_strdup_printf ("Error %s: %s", io_prefix, error->message);
}

static gboolean
is_text (const char *contents,
         gsize       length)
{
  return memchr (contents, '\0', length) == NULL && g_utf8_validate (contents, length, NULL);
}

static gboolean
job_cancelled (GTask *task)
{
  return g_task_return_error_if_cancelled (task);
}

/* read_file */

static void
read_file_worker (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (job_cancelled (task))
    return;
  if (!nb_path_guard_read (job->workspace, job->restricted, job->path, NB_READ_FILE_MAX_BYTES,
                           &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE))
        return_text (task, g_strdup_printf ("Error: File too large: %s (%s, at most %d bytes). "
                                            "Use exec with head, tail or grep to read parts of it.",
                                            job->path, error->message, NB_READ_FILE_MAX_BYTES));
      else
        return_text (task, describe_error (error, job->path, "reading file"));
      return;
    }

  if (!is_text (contents, length))
    return_text (task, g_strdup_printf ("Error reading file: %s is not UTF-8 text", job->path));
  else if (length == 0)
    return_text (task, g_strdup_printf ("(Empty file: %s)", job->path));
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

  g_task_set_source_tag (task, nb_read_file_tool_execute_async);
  REQUIRE_STRING (path, "path");

  file_job_start (task, path);
  g_task_run_in_thread (task, read_file_worker);
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

static void
write_file_worker (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *resolved = NULL;
  gsize n_bytes = strlen (job->text);

  if (job_cancelled (task))
    return;
  if (!nb_path_guard_write (job->workspace, job->restricted, job->path, job->text, n_bytes,
                            &resolved, &error))
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_IS_DIRECTORY))
        return_text (task, g_strdup_printf ("Error writing file: %s is a directory", job->path));
      else if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_REGULAR))
        return_text (task, g_strdup_printf ("Error writing file: %s is not a regular file", job->path));
      else
        return_text (task, describe_error (error, job->path, "writing file"));
      return;
    }
  return_text (task, g_strdup_printf ("Successfully wrote %" G_GSIZE_FORMAT " bytes to %s",
                                      n_bytes, resolved));
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
  FileJob *job;

  g_task_set_source_tag (task, nb_write_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  REQUIRE_STRING (content, "content");

  job = file_job_start (task, path);
  job->text = g_strdup (content);
  g_task_run_in_thread (task, write_file_worker);
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

/* The edited text, or NULL with the answer for the model in *reply. */
static char *
apply_edit (FileJob     *job,
            const char  *contents,
            gsize        length,
            char       **reply)
{
  const char *old_text = job->text;
  const char *new_text = job->new_text;
  g_autoptr(GString) old_crlf = NULL;
  g_autoptr(GString) new_crlf = NULL;
  const char *match;
  GString *edited;
  guint count;

  count = count_occurrences (contents, old_text);
  if (count == 0 && strstr (contents, "\r\n") != NULL && strstr (old_text, "\r\n") == NULL &&
      strchr (old_text, '\n') != NULL)
    {
      /* The model writes "\n"; a file with Windows line endings has "\r\n". */
      old_crlf = g_string_new (old_text);
      new_crlf = g_string_new (new_text);
      g_string_replace (old_crlf, "\n", "\r\n", 0);
      g_string_replace (new_crlf, "\r\n", "\n", 0);
      g_string_replace (new_crlf, "\n", "\r\n", 0);
      count = count_occurrences (contents, old_crlf->str);
      if (count > 0)
        {
          old_text = old_crlf->str;
          new_text = new_crlf->str;
        }
    }
  if (count == 0)
    {
      *reply = nb_edit_hint_message (job->text, contents, job->path);
      return NULL;
    }
  if (count > 1)
    {
      *reply = g_strdup_printf ("Warning: old_text appears %u times. "
                                "Please provide more context to make it unique.", count);
      return NULL;
    }

  match = strstr (contents, old_text);
  edited = g_string_sized_new (length + strlen (new_text));
  g_string_append_len (edited, contents, match - contents);
  g_string_append (edited, new_text);
  g_string_append (edited, match + strlen (old_text));
  return g_string_free (edited, FALSE);
}

static void
edit_file_worker (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *resolved = NULL;
  char *reply = NULL;
  gsize length = 0;

  if (job_cancelled (task))
    return;
  if (!nb_path_guard_read (job->workspace, job->restricted, job->path, NB_READ_FILE_MAX_BYTES,
                           &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE))
        return_text (task, g_strdup_printf ("Error: File too large to edit: %s", job->path));
      else
        return_text (task, describe_error (error, job->path, "editing file"));
      return;
    }
  if (!is_text (contents, length))
    {
      return_text (task, g_strdup_printf ("Error editing file: %s is not UTF-8 text", job->path));
      return;
    }

  edited = apply_edit (job, contents, length, &reply);
  if (edited == NULL)
    {
      return_text (task, reply);
      return;
    }
  if (job_cancelled (task))
    return;
  if (!nb_path_guard_write (job->workspace, job->restricted, job->path, edited, strlen (edited),
                            &resolved, &error))
    {
      return_text (task, describe_error (error, job->path, "editing file"));
      return;
    }
  return_text (task, g_strdup_printf ("Successfully edited %s", resolved));
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
  FileJob *job;

  g_task_set_source_tag (task, nb_edit_file_tool_execute_async);
  REQUIRE_STRING (path, "path");
  REQUIRE_STRING (old_text, "old_text");
  REQUIRE_STRING (new_text, "new_text");

  if (old_text[0] == '\0')
    {
      return_text (task, g_strdup ("Error: old_text is empty. Give the exact text to replace."));
      return;
    }

  job = file_job_start (task, path);
  job->text = g_strdup (old_text);
  job->new_text = g_strdup (new_text);
  g_task_run_in_thread (task, edit_file_worker);
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
list_dir_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  struct dirent *entry;
  GString *out;
  guint total = 0;
  DIR *dir;
  int fd;

  if (job_cancelled (task))
    return;
  fd = nb_path_guard_open (job->workspace, job->restricted, job->path, O_RDONLY | O_DIRECTORY,
                           NULL, &error);
  if (fd < 0)
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_FOUND))
        return_text (task, g_strdup_printf ("Error: Directory not found: %s", job->path));
      else if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_NOT_DIRECTORY))
        return_text (task, g_strdup_printf ("Error: Not a directory: %s", job->path));
      else
        return_text (task, describe_error (error, job->path, "listing directory"));
      return;
    }

  dir = fdopendir (fd);
  if (dir == NULL)
    {
      int saved_errno = errno;

      close (fd);
      return_text (task, g_strdup_printf ("Error listing directory: %s", g_strerror (saved_errno)));
      return;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      gboolean is_dir = entry->d_type == DT_DIR;
      struct stat st;

      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      if (entry->d_type == DT_UNKNOWN && fstatat (dirfd (dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        is_dir = S_ISDIR (st.st_mode);
      total++;
      g_ptr_array_add (entries, g_strdup_printf ("%s %s", is_dir ? "📁" : "📄", entry->d_name));
    }
  closedir (dir);

  if (entries->len == 0)
    {
      return_text (task, g_strdup_printf ("Directory %s is empty", job->path));
      return;
    }

  g_ptr_array_sort (entries, compare_entries);
  out = g_string_new (NULL);
  for (guint i = 0; i < entries->len && i < NB_LIST_DIR_MAX_ENTRIES; i++)
    {
      if (i > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, g_ptr_array_index (entries, i));
    }
  if (total > NB_LIST_DIR_MAX_ENTRIES)
    g_string_append_printf (out, "\n\n(truncated, showing first %d of %u entries)",
                            NB_LIST_DIR_MAX_ENTRIES, total);
  return_text (task, g_string_free (out, FALSE));
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

  g_task_set_source_tag (task, nb_list_dir_tool_execute_async);
  REQUIRE_STRING (path, "path");

  file_job_start (task, path);
  g_task_run_in_thread (task, list_dir_worker);
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
delete_file_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;

  if (job_cancelled (task))
    return;
  /* The link itself is deleted, never what it points to; its parents are
   * resolved, so a symlinked folder cannot lead outside. */
  if (!nb_path_guard_unlink (job->workspace, job->restricted, job->path, NULL, &error))
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_OUTSIDE))
        return_text (task, g_strdup_printf ("Error: %s", error->message));
      else
        return_text (task, describe_error (error, job->path, "deleting file"));
      return;
    }
  return_text (task, g_strdup_printf ("Successfully deleted %s", job->path));
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

  g_task_set_source_tag (task, nb_delete_file_tool_execute_async);
  REQUIRE_STRING (path, "path");

  file_job_start (task, path);
  g_task_run_in_thread (task, delete_file_worker);
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
