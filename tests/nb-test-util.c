/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "nb-test-util.h"

char *
nb_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("nanobot-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
nb_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          nb_test_rm_rf (child);
        }
      g_chmod (path, 0700);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
nb_test_write_file (const char *path,
                    const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

char *
nb_test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* The timeouts only guard against hangs. Under the sanitizers on a loaded
 * two-core CI machine work takes several times longer than on a desk, so
 * give every wait generous room; a real hang still fails the test. */
static guint
hang_guard_ms (guint timeout_ms)
{
  return MAX (timeout_ms * 4, 30000);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
nb_test_wait_for (const gboolean *flag,
                  guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (hang_guard_ms (timeout_ms), timeout_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out after %u ms", hang_guard_ms (timeout_ms));
  g_source_remove (id);
}

void
nb_test_store_result_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
nb_test_wait_result (GAsyncResult **slot,
                     guint          timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (hang_guard_ms (timeout_ms), timeout_cb, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out after %u ms", hang_guard_ms (timeout_ms));
  g_source_remove (id);
  return *slot;
}

/* Drops the last reference to @object and waits (up to 10 s) until it is
 * finalized: a GTask that ran in a worker thread lets go of its source
 * object in that thread, a moment after its callback ran here. */
void
nb_test_finalize_object_soon (gpointer object)
{
  gpointer weak = object;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (G_OBJECT (object), &weak);
  g_object_unref (object);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (weak != NULL)
        g_usleep (1000);
    }
  g_assert_null (weak);
}

/* Loads the session file at @path with the Python nanobot's loader
 * (tests/python-session-loader.py) and returns what it printed: the
 * message count and the metadata. %NULL when python3 is missing; a loader
 * failure is a test failure, with its stderr. */
JsonObject *
nb_test_python_load_session (const char *path)
{
  g_autofree char *script = g_build_filename (g_getenv ("NB_SOURCE_DIR"), "tests", "python-session-loader.py", NULL);
  g_autofree char *python3 = g_find_program_in_path ("python3");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (python3 == NULL)
    return NULL;
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                              python3, script, path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("the Python loader failed on %s: %s", path, err);
  return nb_test_parse_object (out);
}

JsonObject *
nb_test_parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}
