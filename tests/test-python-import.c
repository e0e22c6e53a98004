/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <utime.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nb-assistant.h"
#include "nb-conversation.h"
#include "nb-conversation-list.h"
#include "nb-python-import.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * Importing the Python nanobot's sessions, on fixtures of both layouts
 * made here: today's `sessions/<workspace id>/<base64url key>.jsonl` and
 * the older `sessions/<safe key>.jsonl` and `<workspace>/sessions/`.
 */

#define WORKSPACE_A "0123456789abcdef0123456789abcdef"
#define WORKSPACE_B "fedcba9876543210fedcba9876543210"

/* Today's Python files start with the metadata line and may have a
 * provider_state record before the messages. */
#define CLI_DIRECT \
  "{\"_type\": \"metadata\", \"key\": \"cli:direct\", \"created_at\": \"2026-03-01T10:00:00\", " \
  "\"updated_at\": \"2026-03-01T10:05:00\", \"metadata\": {}, \"last_consolidated\": 0}\n" \
  "{\"_type\": \"provider_state\", \"state\": {\"response_id\": \"resp_1\"}}\n" \
  "{\"role\": \"user\", \"content\": \"Wie spät ist es?\", \"timestamp\": \"2026-03-01T10:00:00\"}\n" \
  "{\"role\": \"assistant\", \"content\": \"Zehn Uhr.\", \"timestamp\": \"2026-03-01T10:00:01\"}\n"
#define CLI_DIRECT_OLDER \
  "{\"_type\": \"metadata\", \"key\": \"cli:direct\", \"created_at\": \"2025-01-01T10:00:00\", " \
  "\"metadata\": {}, \"last_consolidated\": 0}\n" \
  "{\"role\": \"user\", \"content\": \"older\"}\n"
#define TELEGRAM \
  "{\"_type\": \"metadata\", \"key\": \"telegram:12/3\", \"created_at\": \"2026-02-01T00:00:00\", " \
  "\"metadata\": {}, \"last_consolidated\": 0}\n{\"role\": \"user\", \"content\": \"thread\"}\n"
#define SLACK \
  "{\"_type\": \"metadata\", \"key\": \"slack:C1\", \"created_at\": \"2025-06-01T00:00:00\", " \
  "\"metadata\": {}, \"last_consolidated\": 0}\n{\"role\": \"user\", \"content\": \"slack\"}\n"
#define DISCORD "{\"role\": \"user\", \"content\": \"no metadata line\"}\n"
#define EMAIL \
  "{\"_type\": \"metadata\", \"key\": \"email:me@example.org\", \"created_at\": \"2025-05-01T00:00:00\", " \
  "\"metadata\": {}, \"last_consolidated\": 0}\n{\"role\": \"user\", \"content\": \"mail\"}\n"
#define OURS "{\"_type\":\"metadata\",\"key\":\"slack:C1\",\"created_at\":\"2026-01-01T00:00:00\"}\n"

typedef struct {
  char *root;
  char *python;      /* the Python nanobot's folder */
  char *workspace;   /* its configured workspace, elsewhere */
  char *sessions;    /* ours */
} Fixture;

/* The file name today's Python nanobot gives @key. */
static char *
python_stem (const char *key)
{
  char *stem = g_base64_encode ((const guchar *) key, strlen (key));

  g_strdelimit (stem, "+", '-');
  g_strdelimit (stem, "/", '_');
  for (char *end = stem + strlen (stem); end > stem && end[-1] == '='; end--)
    end[-1] = '\0';
  return stem;
}

static char *
write_python_file (const char *dir,
                   const char *name,
                   const char *contents,
                   time_t      mtime)
{
  char *path = g_build_filename (dir, name, NULL);
  struct utimbuf times = { mtime, mtime };

  nb_test_write_file (path, contents);
  g_assert_cmpint (utime (path, &times), ==, 0);
  return path;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *old = NULL;
  g_autofree char *ws = NULL;
  g_autofree char *cli = python_stem ("cli:direct");
  g_autofree char *telegram = python_stem ("telegram:12/3");
  g_autofree char *name = NULL;
  g_autofree char *link_path = NULL;
  time_t now = time (NULL);

  f->root = nb_test_make_tmpdir ();
  f->python = g_build_filename (f->root, "home", ".nanobot", NULL);
  f->workspace = g_build_filename (f->root, "projects", "bot", NULL);
  f->sessions = g_build_filename (f->root, "ours", "sessions", NULL);

  config = g_strdup_printf ("{\"agents\": {\"defaults\": {\"workspace\": \"%s\"}}}", f->workspace);
  config_path = g_build_filename (f->python, "config.json", NULL);
  nb_test_write_file (config_path, config);

  /* Today's layout, two workspaces; cli:direct in both, B's newer. */
  a = g_build_filename (f->python, "sessions", WORKSPACE_A, NULL);
  b = g_build_filename (f->python, "sessions", WORKSPACE_B, NULL);
  name = g_strconcat (cli, ".jsonl", NULL);
  g_free (write_python_file (a, name, CLI_DIRECT_OLDER, now - 3600));
  g_free (write_python_file (b, name, CLI_DIRECT, now - 60));
  g_clear_pointer (&name, g_free);
  name = g_strconcat (telegram, ".jsonl", NULL);
  g_free (write_python_file (a, name, TELEGRAM, now - 120));
  /* Not session files: the workspace marker, the lock, names that are no
   * canonical base64 of a key. */
  g_free (write_python_file (a, ".workspace", "/somewhere\n", now));
  g_free (write_python_file (a, ".session-files.lock", "", now));
  g_free (write_python_file (a, "not base64!.jsonl", SLACK, now));
  g_free (write_python_file (a, "Y2xpOmRpcmVjdB.jsonl", SLACK, now));

  /* The older layouts. */
  old = g_build_filename (f->python, "sessions", NULL);
  g_free (write_python_file (old, "slack_C1.jsonl", SLACK, now - 500));
  g_free (write_python_file (old, "discord_9.jsonl", DISCORD, now - 600));
  ws = g_build_filename (f->workspace, "sessions", NULL);
  g_free (write_python_file (ws, "email_me@example.org.jsonl", EMAIL, now - 700));
  /* A symlink is skipped, as the Python nanobot skips it. */
  link_path = g_build_filename (old, "link_1.jsonl", NULL);
  g_assert_cmpint (symlink ("slack_C1.jsonl", link_path), ==, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->python);
  g_free (f->workspace);
  g_free (f->sessions);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Every file below @dir with its size, mtime and contents: to show that
 * nothing there changed. */
static void
snapshot_dir (const char *dir,
              GString    *out)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      GStatBuf st;

      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      g_string_append_printf (out, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", path,
                              (gint64) st.st_size, (gint64) st.st_mtime);
      if (S_ISDIR (st.st_mode))
        snapshot_dir (path, out);
      else if (S_ISREG (st.st_mode))
        {
          g_autofree char *contents = nb_test_read_file (path);

          g_string_append (out, contents);
        }
    }
}

static char *
snapshot (const char *dir)
{
  GString *out = g_string_new (NULL);

  snapshot_dir (dir, out);
  return g_string_free (out, FALSE);
}

static NbPythonImportItem *
find_item (NbPythonImportResult *result,
           const char           *key,
           NbPythonImportStatus  status)
{
  for (guint i = 0; i < result->items->len; i++)
    {
      NbPythonImportItem *item = g_ptr_array_index (result->items, i);

      if (g_strcmp0 (item->key, key) == 0 && item->status == status)
        return item;
    }
  return NULL;
}

static void
assert_copied (Fixture    *f,
               const char *file_name,
               const char *contents)
{
  g_autofree char *path = g_build_filename (f->sessions, file_name, NULL);
  g_autofree char *copied = nb_test_read_file (path);

  g_assert_cmpstr (copied, ==, contents);
}

static void
test_decode_stem (void)
{
  g_autofree char *cli = nb_python_import_decode_stem ("Y2xpOmRpcmVjdA");
  g_autofree char *slash = python_stem ("telegram:12/3?");
  g_autofree char *decoded = nb_python_import_decode_stem (slash);

  g_assert_cmpstr (cli, ==, "cli:direct");
  g_assert_cmpstr (decoded, ==, "telegram:12/3?");
  g_assert_null (nb_python_import_decode_stem (""));
  g_assert_null (nb_python_import_decode_stem ("Y2xpOmRpcmVjdA=="));
  g_assert_null (nb_python_import_decode_stem ("Y2xpOmRpcmVjdB"));   /* stray bits */
  g_assert_null (nb_python_import_decode_stem ("Y2xpOmRpcmVjd"));    /* one char short: length % 4 == 1 */
  g_assert_null (nb_python_import_decode_stem ("cli_direct"));        /* old layout name: not UTF-8 */
  g_assert_null (nb_python_import_decode_stem ("AA"));                /* a NUL byte */
}

static void
test_layouts (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(NbPythonImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = g_build_filename (f->sessions, "slack_C1.jsonl", NULL);
  g_autofree char *before = snapshot (f->python);
  g_autofree char *before_workspace = snapshot (f->workspace);
  g_autofree char *after = NULL;
  g_autofree char *after_workspace = NULL;
  g_autoptr(NbSessionStore) store = NULL;
  g_autoptr(NbSession) session = NULL;
  NbPythonImportItem *item;

  nb_test_write_file (ours, OURS);

  result = nb_python_import_run (f->python, f->sessions, NB_PYTHON_IMPORT_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpuint (result->n_imported, ==, 4);
  g_assert_cmpuint (result->n_skipped, ==, 2);
  g_assert_cmpuint (result->n_failed, ==, 0);
  g_assert_cmpuint (result->items->len, ==, 6);

  /* Today's layout: keys from the names; of two workspaces the newer. */
  item = find_item (result, "cli:direct", NB_PYTHON_IMPORT_IMPORTED);
  g_assert_nonnull (item);
  g_assert_nonnull (strstr (item->source, WORKSPACE_B));
  item = find_item (result, "cli:direct", NB_PYTHON_IMPORT_DUPLICATE);
  g_assert_nonnull (item);
  g_assert_nonnull (strstr (item->source, WORKSPACE_A));
  assert_copied (f, "cli_direct.jsonl", CLI_DIRECT);
  g_assert_nonnull (find_item (result, "telegram:12/3", NB_PYTHON_IMPORT_IMPORTED));
  assert_copied (f, "telegram_12_3.jsonl", TELEGRAM);

  /* The older layouts: the key from the metadata line, else the name. */
  g_assert_nonnull (find_item (result, "discord:9", NB_PYTHON_IMPORT_IMPORTED));
  assert_copied (f, "discord_9.jsonl", DISCORD);
  g_assert_nonnull (find_item (result, "email:me@example.org", NB_PYTHON_IMPORT_IMPORTED));
  assert_copied (f, "email_me@example.org.jsonl", EMAIL);

  /* Ours is never replaced. */
  item = find_item (result, "slack:C1", NB_PYTHON_IMPORT_EXISTS);
  g_assert_nonnull (item);
  g_assert_cmpstr (item->destination, ==, ours);
  assert_copied (f, "slack_C1.jsonl", OURS);

  /* Nothing in the Python folders changed, and nothing was left behind
   * in ours but the sessions. */
  after = snapshot (f->python);
  after_workspace = snapshot (f->workspace);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpstr (after_workspace, ==, before_workspace);
  {
    g_autoptr(GDir) dir = g_dir_open (f->sessions, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_assert_true (name[0] != '.');
        n++;
      }
    g_assert_cmpuint (n, ==, 5);
  }

  /* Our store reads the copy: the provider's private record is no
   * message. */
  store = nb_session_store_new (f->sessions);
  session = nb_session_store_open (store, "cli:direct", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 2);
  g_assert_cmpstr (nb_message_get_role (nb_session_get_message (session, 0)), ==, "user");

  /* The sidebar lists it from its metadata: the title, and two messages
   * (the provider_state record is none). */
  {
    g_autoptr(NbConversationList) list = nb_conversation_list_new (f->sessions);
    g_autoptr(GAsyncResult) loaded = NULL;
    NbConversation *conversation;

    nb_conversation_list_load_async (list, NULL, nb_test_store_result_cb, &loaded);
    nb_test_wait_result (&loaded, 10000);
    g_assert_true (nb_conversation_list_load_finish (list, loaded, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 5);
    conversation = nb_conversation_list_lookup (list, "cli:direct");
    g_assert_nonnull (conversation);
    g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "Wie spät ist es?");
    g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 2);
    conversation = nb_conversation_list_lookup (list, "telegram:12/3");
    g_assert_nonnull (conversation);
    g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 1);
  }

  /* Again: everything is there already. */
  g_clear_pointer (&result, nb_python_import_result_free);
  result = nb_python_import_run (f->python, f->sessions, NB_PYTHON_IMPORT_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_imported, ==, 0);
  g_assert_cmpuint (result->n_skipped, ==, 6);
}

static void
test_dry_run_async (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(NbPythonImportResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_python_import_async (f->python, f->sessions, NB_PYTHON_IMPORT_FLAGS_DRY_RUN, NULL,
                          nb_test_store_result_cb, &async_result);
  nb_test_wait_result (&async_result, 10000);
  result = nb_python_import_finish (async_result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_imported, ==, 5);
  g_assert_cmpuint (result->n_skipped, ==, 1);
  g_assert_false (g_file_test (f->sessions, G_FILE_TEST_EXISTS));

  /* A folder that is not there is an error, not an empty result. */
  g_clear_object (&async_result);
  g_clear_pointer (&result, nb_python_import_result_free);
  nb_python_import_async ("/nonexistent/.nanobot", f->sessions, NB_PYTHON_IMPORT_FLAGS_NONE, NULL,
                          nb_test_store_result_cb, &async_result);
  nb_test_wait_result (&async_result, 10000);
  result = nb_python_import_finish (async_result, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gboolean   *changed)
{
  *changed = TRUE;
}

/* The assistant's entry point, for the onboarding: into its sessions
 * folder, and the conversations model shows them. */
static void
test_assistant (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *workspace = g_build_filename (f->root, "ours", "workspace", NULL);
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbAssistant) assistant = NULL;
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(NbPythonImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *conversations;
  gboolean changed = FALSE;
  gint64 deadline;

  nb_config_set_string (config, "agents.defaults.workspace", workspace);
  assistant = nb_assistant_new_for_sessions (config, f->sessions);
  conversations = nb_assistant_get_conversations (assistant);
  g_signal_connect (conversations, "items-changed", G_CALLBACK (items_changed_cb), &changed);

  /* Asking first copies nothing. */
  nb_assistant_import_python_async (assistant, f->python, NB_PYTHON_IMPORT_FLAGS_DRY_RUN, NULL,
                                    nb_test_store_result_cb, &async_result);
  nb_test_wait_result (&async_result, 10000);
  result = nb_assistant_import_python_finish (assistant, async_result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_imported, ==, 5);
  {
    g_autofree char *copy = g_build_filename (f->sessions, "cli_direct.jsonl", NULL);

    g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
  }
  g_clear_object (&async_result);
  g_clear_pointer (&result, nb_python_import_result_free);

  nb_assistant_import_python_async (assistant, f->python, NB_PYTHON_IMPORT_FLAGS_NONE, NULL,
                                    nb_test_store_result_cb, &async_result);
  nb_test_wait_result (&async_result, 10000);
  result = nb_assistant_import_python_finish (assistant, async_result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_imported, ==, 5);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_list_model_get_n_items (conversations) < 5 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (changed);
  g_assert_cmpuint (g_list_model_get_n_items (conversations), ==, 5);
  g_signal_handlers_disconnect_by_data (conversations, &changed);
}

/* `nanobot ARGS…` */
static int
run_nanobot (Fixture             *f,
             const char          *data_home,
             const char * const  *args,
             char               **out,
             char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *home = g_build_filename (f->root, "home", NULL);
  g_autofree char *config_home = g_build_filename (f->root, "config", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_ptr_array_add (argv, (gpointer) g_getenv ("NANOBOT_BIN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  g_subprocess_communicate_utf8_finish (process, result, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* `nanobot --import-python [DIR]` */
static int
run_import (Fixture     *f,
            const char  *data_home,
            const char  *dir,
            char       **out,
            char       **err)
{
  const char *args[] = { "--import-python", dir, NULL };

  return run_nanobot (f, data_home, args, out, err);
}

static void
test_command_line (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *data_home = g_build_filename (f->root, "data", NULL);
  g_autofree char *sessions = g_build_filename (data_home, "nanobot", "sessions", NULL);
  g_autofree char *imported = g_build_filename (sessions, "cli_direct.jsonl", NULL);
  g_autofree char *before = snapshot (f->python);
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *blocked_home = NULL;
  g_autofree char *blocker = NULL;

  /* The default folder is ~/.nanobot. */
  g_assert_cmpint (run_import (f, data_home, NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "imported cli:direct\n"));
  g_assert_nonnull (strstr (out, "imported telegram:12/3\n"));
  g_assert_nonnull (strstr (out, "5 imported, 1 skipped, 0 failed"));
  g_assert_nonnull (strstr (err, "skipped cli:direct in "));
  copied = nb_test_read_file (imported);
  g_assert_cmpstr (copied, ==, CLI_DIRECT);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Again: every key exists, each is named. */
  g_assert_cmpint (run_import (f, data_home, f->python, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "0 imported, 6 skipped, 0 failed"));
  g_assert_nonnull (strstr (err, "skipped slack:C1: Nanobot already has this conversation\n"));
  g_assert_nonnull (strstr (err, "skipped email:me@example.org: Nanobot already has this conversation\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  after = snapshot (f->python);
  g_assert_cmpstr (after, ==, before);

  /* No such folder: bad usage. */
  g_assert_cmpint (run_import (f, data_home, "/nonexistent/.nanobot", &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "/nonexistent/.nanobot: no such folder"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Bad usage: two folders, or with -m. */
  {
    const char *two[] = { "--import-python", f->python, f->root, NULL };
    const char *with_message[] = { "--import-python", "-m", "hi", NULL };

    g_assert_cmpint (run_nanobot (f, data_home, two, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "takes one folder"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_nanobot (f, data_home, with_message, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "cannot be combined with --message"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* Our sessions folder cannot be made: each file fails, status 1. */
  blocked_home = g_build_filename (f->root, "blocked", NULL);
  blocker = g_build_filename (blocked_home, "nanobot", "sessions", NULL);
  nb_test_write_file (blocker, "a file where the folder should be");
  g_assert_cmpint (run_import (f, blocked_home, f->python, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "failed cli:direct: "));
  g_assert_nonnull (strstr (out, "0 imported, 1 skipped, 5 failed"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/python-import/decode-stem", test_decode_stem);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/python-import/layouts", test_layouts);
  ADD ("/python-import/dry-run-async", test_dry_run_async);
  ADD ("/python-import/command-line", test_command_line);
  ADD ("/python-import/assistant", test_assistant);
#undef ADD

  return g_test_run ();
}
