/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-python-import"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-file-util.h"
#include "nb-json-util.h"
#include "nb-python-import.h"
#include "nb-session-store-private.h"

/*
 * Where the Python nanobot keeps conversations (nanobot/session/manager.py):
 *
 * - today: `<dir>/sessions/<workspace id>/<base64url(key)>.jsonl`, one
 *   folder per workspace (32 hex digits), the key in the file name,
 *   unpadded URL-safe base64 ("Y2xpOmRpcmVjdA" is "cli:direct");
 * - before: `<dir>/sessions/<safe key>.jsonl` (the "global" folder it
 *   still migrates from) and `<workspace>/sessions/<safe key>.jsonl`
 *   (nanobot-redux), the safe key being the key with ":" and the other
 *   characters a file name cannot have replaced by "_". Those names lose
 *   the key; the file's metadata line has it ("key"), else the first "_"
 *   is taken for the ":" (as both programs guess).
 *
 * The format of the lines is ours (metadata record, then OpenAI-style
 * messages), so a file is copied byte for byte. `<dir>` is only read.
 */

#define WORKSPACE_ID_LENGTH 32

typedef struct {
  char   *key;
  char   *source;
  gint64  mtime;
  guint   order;  /* discovery order, to keep ties stable */
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->key);
  g_free (candidate->source);
  g_free (candidate);
}

static void
item_free (gpointer data)
{
  NbPythonImportItem *item = data;

  g_free (item->key);
  g_free (item->source);
  g_free (item->destination);
  g_free (item->message);
  g_free (item);
}

void
nb_python_import_result_free (NbPythonImportResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->items, g_ptr_array_unref);
  g_free (result);
}

/**
 * nb_python_import_default_dir:
 *
 * Returns: (transfer full): `~/.nanobot`
 */
char *
nb_python_import_default_dir (void)
{
  return g_build_filename (g_get_home_dir (), ".nanobot", NULL);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
is_base64url_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/**
 * nb_python_import_decode_stem:
 * @stem: a file name without ".jsonl"
 *
 * Returns: (transfer full) (nullable): the key, when @stem is the
 *   unpadded URL-safe base64 of valid UTF-8 and encoding it again gives
 *   @stem (the Python nanobot's session_key_from_path())
 */
char *
nb_python_import_decode_stem (const char *stem)
{
  gsize length = strlen (stem);
  g_autoptr(GString) standard = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *again = NULL;
  gsize decoded_length = 0;

  if (length == 0 || length % 4 == 1)
    return NULL;
  for (gsize i = 0; i < length; i++)
    if (!is_base64url_char (stem[i]))
      return NULL;

  standard = g_string_new (stem);
  g_strdelimit (standard->str, "-", '+');
  g_strdelimit (standard->str, "_", '/');
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');
  decoded = g_base64_decode (standard->str, &decoded_length);
  if (decoded == NULL || decoded_length == 0 ||
      memchr (decoded, '\0', decoded_length) != NULL ||
      !g_utf8_validate ((const char *) decoded, decoded_length, NULL))
    return NULL;

  /* Non-canonical spellings (stray bits in the last character) would
   * name a second file for one key; Python refuses them too. */
  again = g_base64_encode (decoded, decoded_length);
  g_strdelimit (again, "+", '-');
  g_strdelimit (again, "/", '_');
  for (char *end = again + strlen (again); end > again && end[-1] == '='; end--)
    end[-1] = '\0';
  if (!g_str_equal (again, stem))
    return NULL;
  return g_strndup ((const char *) decoded, decoded_length);
}

/* The key in the first metadata record of @contents, or %NULL. */
static char *
key_from_metadata (const char *contents,
                   gsize       length)
{
  const char *end = memchr (contents, '\n', length);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *record;
  const char *key;

  if (end == NULL)
    end = contents + length;
  if (!nb_json_parser_load (parser, contents, end - contents, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  record = json_node_get_object (root);
  if (g_strcmp0 (nb_json_get_string (record, "_type"), "metadata") != 0)
    return NULL;
  key = nb_json_get_string (record, "key");
  return key != NULL && *key != '\0' && g_utf8_validate (key, -1, NULL) ? g_strdup (key) : NULL;
}

/* "telegram_12345" → "telegram:12345" */
static char *
key_from_safe_stem (const char *stem)
{
  char *key = g_strdup (stem);
  char *underscore = strchr (key, '_');

  if (underscore != NULL)
    *underscore = ':';
  return key;
}

/* Regular files named *.jsonl in @dir, not hidden, not symlinks (the
 * Python nanobot skips those too). */
static GPtrArray *
list_session_files (const char *dir)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (handle == NULL)
    return paths;
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      const char *entry = g_ptr_array_index (names, i);
      g_autofree char *path = NULL;
      GStatBuf st;

      if (entry[0] == '.' || !g_str_has_suffix (entry, FILE_SUFFIX) || strlen (entry) == strlen (FILE_SUFFIX))
        continue;
      path = g_build_filename (dir, entry, NULL);
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      g_ptr_array_add (paths, g_steal_pointer (&path));
    }
  return paths;
}

static gboolean
is_workspace_id (const char *name)
{
  if (strlen (name) != WORKSPACE_ID_LENGTH)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

/* The workspace of `<dir>/config.json` (agents.defaults.workspace, "~"
 * expanded), else `<dir>/workspace`. */
static char *
python_workspace (const char *python_dir)
{
  g_autofree char *config_path = g_build_filename (python_dir, "config.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *workspace = NULL;

  if (nb_file_read_bounded (config_path, NB_FILE_MAX_CONFIG, &contents, &length, NULL) &&
      nb_json_parser_load (parser, contents, length, NULL) &&
      nb_json_parser_holds_object (parser))
    {
      JsonObject *agents = nb_json_get_object (json_node_get_object (json_parser_get_root (parser)), "agents");
      JsonObject *defaults = agents != NULL ? nb_json_get_object (agents, "defaults") : NULL;

      workspace = defaults != NULL ? nb_json_get_string (defaults, "workspace") : NULL;
    }
  if (workspace == NULL || *workspace == '\0')
    return g_build_filename (python_dir, "workspace", NULL);
  if (g_str_equal (workspace, "~"))
    return g_strdup (g_get_home_dir ());
  if (g_str_has_prefix (workspace, "~/"))
    return g_build_filename (g_get_home_dir (), workspace + 2, NULL);
  if (!g_path_is_absolute (workspace))
    return g_build_filename (python_dir, workspace, NULL);
  return g_strdup (workspace);
}

static void
add_candidate (GPtrArray  *candidates,
               const char *path,
               char       *key)
{
  Candidate *candidate = g_new0 (Candidate, 1);
  GStatBuf st;

  candidate->source = g_strdup (path);
  candidate->key = key;
  candidate->order = candidates->len;
  if (g_stat (path, &st) == 0)
    candidate->mtime = st.st_mtime;
  g_ptr_array_add (candidates, candidate);
}

/* Every Python session file, with its key when the name gives it (the new
 * layout); old-layout keys are read from the files later. */
static GPtrArray *
find_candidates (const char *python_dir)
{
  GPtrArray *candidates = g_ptr_array_new_with_free_func (candidate_free);
  g_autofree char *root = g_build_filename (python_dir, "sessions", NULL);
  g_autofree char *workspace = python_workspace (python_dir);
  g_autofree char *workspace_sessions = g_build_filename (workspace, "sessions", NULL);
  g_autoptr(GDir) handle = g_dir_open (root, 0, NULL);
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  /* The new layout: one folder per workspace. */
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (is_workspace_id (name))
      g_ptr_array_add (folders, g_strdup (name));
  g_ptr_array_sort (folders, compare_strings);
  for (guint i = 0; i < folders->len; i++)
    {
      g_autofree char *folder = g_build_filename (root, g_ptr_array_index (folders, i), NULL);
      g_autoptr(GPtrArray) files = NULL;
      GStatBuf st;

      if (g_lstat (folder, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      files = list_session_files (folder);
      for (guint j = 0; j < files->len; j++)
        {
          const char *path = g_ptr_array_index (files, j);
          g_autofree char *base = g_path_get_basename (path);
          char *key;

          base[strlen (base) - strlen (FILE_SUFFIX)] = '\0';
          key = nb_python_import_decode_stem (base);
          /* Not a name the Python nanobot would load: not a session. */
          if (key != NULL)
            add_candidate (candidates, path, key);
        }
    }

  /* The old layouts. */
  {
    const char *old_dirs[] = { root, workspace_sessions };

    for (guint i = 0; i < G_N_ELEMENTS (old_dirs); i++)
      {
        g_autoptr(GPtrArray) files = list_session_files (old_dirs[i]);

        /* A workspace configured as <dir> would list the same folder twice. */
        if (i == 1 && g_str_equal (old_dirs[0], old_dirs[1]))
          break;
        for (guint j = 0; j < files->len; j++)
          add_candidate (candidates, g_ptr_array_index (files, j), NULL);
      }
  }
  return candidates;
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const Candidate *x = *(Candidate * const *) a;
  const Candidate *y = *(Candidate * const *) b;

  if (x->mtime != y->mtime)
    return x->mtime > y->mtime ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
    }
  return TRUE;
}

/* Writes @contents to a hidden temp file in @dir, syncs it and links it
 * as @path, never replacing a file: FALSE with G_IO_ERROR_EXISTS when
 * @path appeared meanwhile. */
static gboolean
install_copy (const char  *dir,
              const char  *path,
              const char  *contents,
              gsize        length,
              GError     **error)
{
  g_autofree char *tmp = g_build_filename (dir, ".python-import.XXXXXX", NULL);
  int fd;
  int saved_errno;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create a file in %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!write_all (fd, contents, length) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);

  if (link (tmp, path) != 0)
    {
      saved_errno = errno;
      /* A file system without hard links: a rename after a check. */
      if (saved_errno != EEXIST && !g_file_test (path, G_FILE_TEST_EXISTS) && g_rename (tmp, path) == 0)
        return TRUE;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  g_unlink (tmp);
  return TRUE;
}

static NbPythonImportItem *
import_one (Candidate           *candidate,
            const char          *sessions_dir,
            GHashTable          *seen,
            NbPythonImportFlags  flags)
{
  NbPythonImportItem *item = g_new0 (NbPythonImportItem, 1);
  g_autofree char *contents = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  item->source = g_strdup (candidate->source);
  if (!nb_file_read_bounded (candidate->source, NB_FILE_MAX_SESSION, &contents, &length, &error))
    {
      item->status = NB_PYTHON_IMPORT_FAILED;
      item->message = g_strdup (error->message);
      item->key = g_strdup (candidate->key);
      return item;
    }

  if (candidate->key != NULL)
    item->key = g_strdup (candidate->key);
  else
    {
      item->key = key_from_metadata (contents, length);
      if (item->key == NULL)
        {
          g_autofree char *base = g_path_get_basename (candidate->source);

          base[strlen (base) - strlen (FILE_SUFFIX)] = '\0';
          item->key = key_from_safe_stem (base);
        }
    }

  stem = nb_session_store_key_to_file_stem (item->key);
  name = g_strconcat (stem, FILE_SUFFIX, NULL);
  item->destination = g_build_filename (sessions_dir, name, NULL);

  if (g_hash_table_contains (seen, item->key))
    {
      item->status = NB_PYTHON_IMPORT_DUPLICATE;
      return item;
    }
  g_hash_table_add (seen, g_strdup (item->key));

  if (g_file_test (item->destination, G_FILE_TEST_EXISTS))
    {
      item->status = NB_PYTHON_IMPORT_EXISTS;
      return item;
    }
  if ((flags & NB_PYTHON_IMPORT_FLAGS_DRY_RUN) != 0)
    {
      item->status = NB_PYTHON_IMPORT_IMPORTED;
      return item;
    }
  if (!install_copy (sessions_dir, item->destination, contents, length, &error))
    {
      item->status = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS)
                     ? NB_PYTHON_IMPORT_EXISTS : NB_PYTHON_IMPORT_FAILED;
      if (item->status == NB_PYTHON_IMPORT_FAILED)
        item->message = g_strdup (error->message);
      return item;
    }
  item->status = NB_PYTHON_IMPORT_IMPORTED;
  return item;
}

/**
 * nb_python_import_run:
 * @python_dir: (nullable): the Python nanobot's folder; %NULL for
 *   nb_python_import_default_dir()
 * @sessions_dir: our sessions folder (created when something is copied)
 * @flags: %NB_PYTHON_IMPORT_FLAGS_DRY_RUN to only find out
 *
 * Finds the Python nanobot's sessions in both layouts and copies each key
 * that we do not have yet, byte for byte, into @sessions_dir (a hidden
 * temp file, fsynced, then linked to its name, so an existing file is
 * never replaced). When several Python files have one key (one per
 * workspace), the most recently modified is taken. Blocks: call it from a
 * worker thread, or use nb_python_import_async().
 *
 * Returns: (transfer full): what happened to each file, or %NULL with
 *   @error set (%G_IO_ERROR_NOT_FOUND: @python_dir is not a folder;
 *   %G_IO_ERROR_CANCELLED)
 */
NbPythonImportResult *
nb_python_import_run (const char           *python_dir,
                      const char           *sessions_dir,
                      NbPythonImportFlags   flags,
                      GCancellable         *cancellable,
                      GError              **error)
{
  g_autofree char *default_dir = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(NbPythonImportResult) result = NULL;

  g_return_val_if_fail (sessions_dir != NULL, NULL);

  if (python_dir == NULL)
    python_dir = default_dir = nb_python_import_default_dir ();
  if (!g_file_test (python_dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *shown = g_filename_display_name (python_dir);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s: no such folder (the Python nanobot keeps its data in ~/.nanobot)"), shown);
      return NULL;
    }

  candidates = find_candidates (python_dir);
  g_ptr_array_sort (candidates, newest_first);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  result = g_new0 (NbPythonImportResult, 1);
  result->items = g_ptr_array_new_with_free_func (item_free);

  for (guint i = 0; i < candidates->len; i++)
    {
      NbPythonImportItem *item;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      item = import_one (g_ptr_array_index (candidates, i), sessions_dir, seen, flags);
      switch (item->status)
        {
        case NB_PYTHON_IMPORT_IMPORTED:
          result->n_imported++;
          break;
        case NB_PYTHON_IMPORT_EXISTS:
        case NB_PYTHON_IMPORT_DUPLICATE:
          result->n_skipped++;
          break;
        case NB_PYTHON_IMPORT_FAILED:
        default:
          result->n_failed++;
          break;
        }
      g_ptr_array_add (result->items, item);
    }
  return g_steal_pointer (&result);
}

typedef struct {
  char                *python_dir;
  char                *sessions_dir;
  NbPythonImportFlags  flags;
} ImportData;

static void
import_data_free (gpointer data)
{
  ImportData *import = data;

  g_free (import->python_dir);
  g_free (import->sessions_dir);
  g_free (import);
}

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportData *import = task_data;
  GError *error = NULL;
  NbPythonImportResult *result = nb_python_import_run (import->python_dir, import->sessions_dir,
                                                       import->flags, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) nb_python_import_result_free);
}

/**
 * nb_python_import_async:
 *
 * nb_python_import_run() in a worker thread. An NbConversationList on
 * @sessions_dir sees the new files through its folder monitor.
 */
void
nb_python_import_async (const char           *python_dir,
                        const char           *sessions_dir,
                        NbPythonImportFlags   flags,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  ImportData *import;

  g_return_if_fail (sessions_dir != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_python_import_async);
  import = g_new0 (ImportData, 1);
  import->python_dir = g_strdup (python_dir);
  import->sessions_dir = g_strdup (sessions_dir);
  import->flags = flags;
  g_task_set_task_data (task, import, import_data_free);
  g_task_run_in_thread (task, import_thread);
}

/**
 * nb_python_import_finish:
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
NbPythonImportResult *
nb_python_import_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
