/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nb-memory-store.h"
#include "nb-session-store.h"
#include "nb-test-util.h"
#include "nb-test-provider.h"

/*
 * The disk fills up: a session append, a config save, a consolidation's
 * MEMORY.md and HISTORY.md writes. write(2) is replaced in this program
 * (GLib and GIO call it through the PLT, so theirs is replaced too): for
 * files under the test's folder it writes at most a budget of bytes, then
 * fails with ENOSPC, as a full file system does. For every budget from
 * nothing to one byte short: the operation fails with a message that says
 * so, the files on disk are as before (or loadable with everything that
 * was saved before), and once there is space again the operation works
 * and nothing is doubled.
 */

static GMutex budget_lock;
static char *budget_dir;
static gssize budget = -1;
static guint failures;

ssize_t write (int         fd,
               const void *data,
               size_t      count);

static gboolean
fd_is_watched (int fd)
{
  char link[64];
  char target[4096];
  ssize_t n;

  if (budget_dir == NULL)
    return FALSE;
  g_snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, target, sizeof target - 1);
  if (n <= 0)
    return FALSE;
  target[n] = '\0';
  return g_str_has_prefix (target, budget_dir);
}

ssize_t
write (int         fd,
       const void *data,
       size_t      count)
{
  static ssize_t (*real_write) (int, const void *, size_t);

  if (real_write == NULL)
    real_write = (ssize_t (*) (int, const void *, size_t)) dlsym (RTLD_NEXT, "write");

  if (budget >= 0 && fd_is_watched (fd))
    {
      g_mutex_lock (&budget_lock);
      if (budget >= 0)
        {
          if (budget == 0)
            {
              failures++;
              g_mutex_unlock (&budget_lock);
              errno = ENOSPC;
              return -1;
            }
          count = MIN (count, (size_t) budget);
          budget -= count;
        }
      g_mutex_unlock (&budget_lock);
    }
  return real_write (fd, data, count);
}

static void
set_budget (const char *dir,
            gssize      bytes)
{
  g_mutex_lock (&budget_lock);
  g_free (budget_dir);
  budget_dir = g_strdup (dir);
  budget = bytes;
  failures = 0;
  g_mutex_unlock (&budget_lock);
}

static gsize
size_of (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gsize) st.st_size : 0;
}

static guint
python_loader_count (const char *path)
{
  g_autoptr(JsonObject) result = nb_test_python_load_session (path);

  if (result == NULL)
    return G_MAXUINT;  /* no python3 */
  return json_object_get_int_member (result, "n_messages");
}

static guint
load_count (const char *dir,
            const char *key)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_session_store_open (store, key, &error);

  g_assert_no_error (error);
  return nb_session_get_n_messages (session);
}

static void
test_session_append (void)
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autoptr(NbSessionStore) store = nb_session_store_new (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_session_store_open (store, "desktop:disk", &error);
  g_autofree char *path = nb_session_store_get_path (store, "desktop:disk");
  guint tried = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u, saved before the disk filled", i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
    }
  g_assert_true (nb_session_store_append (store, session, &error));
  g_assert_true (nb_session_store_sync (store, session, &error));

  /* The message in flight, written with 0, 1, ... n - 1 bytes of room. */
  for (gssize room = 0;; room++)
    {
      g_autofree char *text = g_strdup_printf ("message %u, in flight when the disk filled", 5 + tried);
      g_autoptr(NbMessage) message = nb_message_new ("user", text);
      gsize before = size_of (path);
      gboolean ok;

      nb_session_append (session, message);
      set_budget (dir, room);
      ok = nb_session_store_append (store, session, &error);
      set_budget (NULL, -1);
      if (ok)
        {
          /* Room enough: the line went in whole. */
          g_assert_cmpuint (size_of (path) - before, <=, (gsize) room);
          break;
        }
      tried++;
      /* The user's message says what happened... */
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
      /* ...the file is as it was, loadable by both loaders... */
      g_assert_cmpuint (size_of (path), ==, before);
      g_assert_cmpuint (load_count (dir, "desktop:disk"), ==, 5 + tried - 1);
      if (room == 0 || room % 16 == 1)
        {
          guint python = python_loader_count (path);

          g_assert_true (python == G_MAXUINT || python == 5 + tried - 1);
        }
      /* ...and with room again, the message is saved once. */
      g_assert_true (nb_session_store_append (store, session, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (load_count (dir, "desktop:disk"), ==, 5 + tried);
    }
  g_assert_cmpuint (tried, >, 40);
  g_assert_true (nb_session_store_sync (store, session, &error));
  g_assert_cmpuint (load_count (dir, "desktop:disk"), ==, nb_session_get_n_messages (session));
  g_assert_cmpuint (python_loader_count (path), ==, nb_session_get_n_messages (session));

  g_clear_object (&session);
  g_clear_object (&store);
  nb_test_rm_rf (dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_config_save (void)
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *original = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  guint tried = 0;

  nb_test_write_file (path, "{\"agents\":{\"defaults\":{\"model\":\"before-model\",\"maxTokens\":4096}},"
                            "\"providers\":{\"openai\":{\"apiKey\":\"sk-keep-me\"}}}\n");
  config = nb_config_load (path, &error);
  g_assert_no_error (error);
  original = nb_test_read_file (path);
  nb_config_set_string (config, "agents.defaults.model", "after-model");
  length = strlen (original) + 40;

  for (gssize room = 0; room < (gssize) length; room += room < 8 ? 1 : 7)
    {
      g_autoptr(NbConfig) loaded = NULL;
      g_autofree char *now = NULL;
      gboolean ok;

      set_budget (dir, room);
      ok = nb_config_save (config, NULL, &error);
      set_budget (NULL, -1);
      if (ok)
        break;
      tried++;
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "config.json"));
      g_clear_error (&error);
      /* The old file, whole; no temporary file left beside it. */
      now = nb_test_read_file (path);
      g_assert_cmpstr (now, ==, original);
      g_assert_cmpuint (count_entries (dir), ==, 1);
      loaded = nb_config_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (nb_config_get_string (loaded, "agents.defaults.model"), ==, "before-model");
    }
  g_assert_cmpuint (tried, >, 5);
  g_assert_true (nb_config_save (config, NULL, &error));
  {
    g_autoptr(NbConfig) loaded = nb_config_load (path, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (nb_config_get_string (loaded, "agents.defaults.model"), ==, "after-model");
    g_assert_cmpstr (nb_config_get_string (loaded, "providers.openai.apiKey"), ==, "sk-keep-me");
  }
  nb_test_rm_rf (dir);
}

static gboolean
consolidate (NbMemoryStore *store,
             NbSession     *session,
             TestProvider  *provider,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  script (provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] The user asked about the disk.\", "
                                "\"memory_update\": \"# Memory\\n- Likes tea.\\n- Asked about the disk.\\n\"}");
  nb_memory_store_consolidate_async (store, session, NB_PROVIDER (provider), "small-model", 10, FALSE,
                                     NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  return nb_memory_store_consolidate_finish (store, result, error);
}

static void
test_memory_write (void)
{
  g_autofree char *workspace = nb_test_make_tmpdir ();
  g_autofree char *memory_dir = g_build_filename (workspace, "memory", NULL);
  g_autofree char *memory_path = g_build_filename (memory_dir, "MEMORY.md", NULL);
  g_autofree char *history_path = g_build_filename (memory_dir, "HISTORY.md", NULL);
  g_autoptr(TestProvider) provider = g_object_new (TEST_TYPE_PROVIDER, "name", "test", NULL);
  g_autoptr(NbMemoryStore) store = nb_memory_store_new (workspace);
  g_autoptr(NbSession) session = nb_session_new ("desktop:memory");
  g_autoptr(GError) error = NULL;
  guint tried = 0;

  nb_test_write_file (memory_path, "# Memory\n- Likes tea.\n");
  nb_test_write_file (history_path, "[2026-01-01 10:00] Earlier entry.\n\n");
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
    }

  for (gssize room = 0; room < 200; room += room < 8 ? 1 : 5)
    {
      g_autofree char *memory = NULL;
      g_autofree char *history = NULL;
      gboolean ok;

      set_budget (memory_dir, room);
      ok = consolidate (store, session, provider, &error);
      set_budget (NULL, -1);
      if (ok)
        break;
      tried++;
      /* Said, and nothing changed: memory as it was, the messages not
       * marked consolidated, no half entry in the history. */
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "space"));
      g_clear_error (&error);
      memory = nb_test_read_file (memory_path);
      history = nb_test_read_file (history_path);
      g_assert_cmpuint (nb_session_get_last_consolidated (session), ==, 0);
      if (!g_str_equal (memory, "# Memory\n- Likes tea.\n") &&
          !g_str_equal (memory, "# Memory\n- Likes tea.\n- Asked about the disk.\n"))
        g_error ("with %" G_GSSIZE_FORMAT " bytes of room, MEMORY.md became \"%s\"", room, memory);
      g_assert_true (g_str_equal (memory, "# Memory\n- Likes tea.\n") ||
                     g_str_equal (memory, "# Memory\n- Likes tea.\n- Asked about the disk.\n"));
      g_assert_cmpstr (history, ==, "[2026-01-01 10:00] Earlier entry.\n\n");
    }
  g_assert_cmpuint (tried, >, 5);
  g_assert_true (consolidate (store, session, provider, &error));
  {
    g_autofree char *memory = nb_test_read_file (memory_path);
    g_autofree char *history = nb_test_read_file (history_path);

    g_assert_cmpstr (memory, ==, "# Memory\n- Likes tea.\n- Asked about the disk.\n");
    g_assert_cmpstr (history, ==, "[2026-01-01 10:00] Earlier entry.\n\n"
                                  "[2026-02-20 09:15] The user asked about the disk.\n\n");
    g_assert_cmpuint (nb_session_get_last_consolidated (session), ==, 15);
  }
  g_clear_object (&store);
  nb_test_rm_rf (workspace);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fault/disk-full/session-append", test_session_append);
  g_test_add_func ("/fault/disk-full/config-save", test_config_save);
  g_test_add_func ("/fault/disk-full/memory-write", test_memory_write);

  return g_test_run ();
}
