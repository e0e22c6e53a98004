/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "nb-conversation-list.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

typedef struct {
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct {
  char               *dir;
  NbConversationList *list;
  GArray             *changes;
} Fixture;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  Change change = { position, removed, added };

  g_array_append_val (f->changes, change);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->list = nb_conversation_list_new (f->dir);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_signal_connect (f->list, "items-changed", G_CALLBACK (items_changed_cb), f);
}

/* Drops the last reference, waiting for worker threads that may hold one
 * a moment longer (a GTask is released after its callback). */
static void
release_object (gpointer object)
{
  gpointer watch = object;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (object, &watch);
  g_object_unref (object);
  while (watch != NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (watch);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  release_object (f->list);
  g_array_unref (f->changes);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
load (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  nb_conversation_list_load_async (f->list, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  g_assert_true (nb_conversation_list_load_finish (f->list, result, &error));
  g_assert_no_error (error);
  g_array_set_size (f->changes, 0);
}

static char *
session_path (Fixture    *f,
              const char *stem)
{
  g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);

  return g_build_filename (f->dir, name, NULL);
}

/* A file as the Python nanobot writes it: the metadata line first, then
 * @n messages stamped with @day (and the minute of each). */
static char *
python_session (const char *key,
                const char *day,
                guint       n,
                const char *metadata,
                const char *first_user)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "{\"_type\": \"metadata\", \"key\": \"%s\", \"created_at\": \"%sT08:00:00.000000\", "
                          "\"updated_at\": \"%sT09:%02u:00.000000\", \"metadata\": %s, \"last_consolidated\": 0}\n",
                          key, day, day, n, metadata != NULL ? metadata : "{}");
  for (guint i = 0; i < n; i++)
    {
      if (i % 2 == 0)
        g_string_append_printf (text, "{\"role\": \"user\", \"content\": \"%s\", \"timestamp\": \"%sT09:%02u:00.000000\"}\n",
                                i == 0 && first_user != NULL ? first_user : "and then?", day, i);
      else
        g_string_append_printf (text, "{\"role\": \"assistant\", \"content\": \"Reply %u\", \"timestamp\": \"%sT09:%02u:00.000000\"}\n",
                                i, day, i);
    }
  return g_string_free (text, FALSE);
}

static void
write_python_session (Fixture    *f,
                      const char *stem,
                      const char *key,
                      const char *day,
                      guint       n,
                      const char *metadata,
                      const char *first_user)
{
  g_autofree char *path = session_path (f, stem);
  g_autofree char *text = python_session (key, day, n, metadata, first_user);

  nb_test_write_file (path, text);
}

static NbConversation *
item (Fixture *f,
      guint    position)
{
  g_autoptr(NbConversation) conversation = g_list_model_get_item (G_LIST_MODEL (f->list), position);

  g_assert_nonnull (conversation);
  return conversation;
}

static void
assert_keys (Fixture    *f,
             const char *first,
             ...)
{
  va_list args;
  guint i = 0;

  va_start (args, first);
  for (const char *key = first; key != NULL; key = va_arg (args, const char *), i++)
    g_assert_cmpstr (nb_conversation_get_key (item (f, i)), ==, key);
  va_end (args);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, i);
}

/* Iterates the main loop until @n changes came, for at most @timeout_ms;
 * returns how long that took. */
static double
wait_for_changes (Fixture *f,
                  guint    n,
                  guint    timeout_ms)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + timeout_ms * (gint64) 1000;

  while (f->changes->len < n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("waited %u ms for %u list changes, got %u", timeout_ms, n, f->changes->len);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* Lets events and re-reads that may come settle. */
static void
settle (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * (gint64) 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
assert_change (Fixture *f,
               guint    index,
               guint    position,
               guint    removed,
               guint    added)
{
  Change *change;

  g_assert_cmpuint (index, <, f->changes->len);
  change = &g_array_index (f->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

/* Runs @script with sh in another process ("$1" and "$2" are @arg1 and
 * @arg2), iterating the main loop until it exits. */
static void
run_sh (const char *script,
        const char *arg1,
        const char *arg2)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", script, "sh", arg1, arg2, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (g_subprocess_wait_check_finish (process, result, &error));
  g_assert_no_error (error);
}

static void
test_fields_and_order (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GString) long_title = g_string_new (NULL);
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->dir);
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *updated = NULL;
  NbConversation *conversation;

  for (guint i = 0; i < 30; i++)
    g_string_append (long_title, "long words ");
  g_string_append (long_title, "\\nsecond line");

  write_python_session (f, "cli_old", "cli:old", "2025-01-01", 4, NULL, "What is  the time?\\nSecond line");
  write_python_session (f, "desktop_titled", "desktop:titled", "2025-03-01", 6,
                        "{\"title\": \"Trip planning\", \"pinned\": true, \"forked_from\": \"desktop:old\", \"fork_index\": 3}",
                        "ignored for the title");
  write_python_session (f, "cron_long", "cron:job", "2025-02-01", 2, NULL, long_title->str);
  /* Not sessions. */
  {
    g_autofree char *notes = g_build_filename (f->dir, "notes.txt", NULL);
    g_autofree char *hidden = g_build_filename (f->dir, ".desktop_x.jsonl.ABC123", NULL);

    nb_test_write_file (notes, "not a session");
    nb_test_write_file (hidden, "{\"role\": \"user\", \"content\": \"a temp file\"}\n");
  }
  /* One of ours: the sync's record carries message_count. */
  session = nb_session_store_open (store, "quick:ours", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", i == 0 ? "Ours first" : "more");

      nb_session_append (session, message);
    }
  g_assert_true (nb_session_store_append (store, session, &error));
  g_assert_true (nb_session_store_sync (store, session, &error));

  load (f);
  assert_keys (f, "quick:ours", "desktop:titled", "cron:job", "cli:old", NULL);

  conversation = item (f, 0);
  g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "Ours first");
  g_assert_cmpstr (nb_conversation_get_channel (conversation), ==, "quick");
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 5);
  g_assert_false (nb_conversation_get_pinned (conversation));
  g_assert_null (nb_conversation_get_forked_from (conversation));
  g_assert_cmpint (nb_conversation_get_fork_index (conversation), ==, -1);
  updated = g_date_time_format (nb_conversation_get_updated_at (conversation), "%Y-%m-%dT%H:%M:%S.%f");
  g_assert_cmpstr (updated, ==, nb_session_get_updated_at (session));
  g_assert_nonnull (nb_conversation_get_created_at (conversation));
  g_assert_true (nb_conversation_list_lookup (f->list, "quick:ours") == conversation);
  g_assert_null (nb_conversation_list_lookup (f->list, "quick:nope"));

  conversation = item (f, 1);
  g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "Trip planning");
  g_assert_cmpstr (nb_conversation_get_channel (conversation), ==, "desktop");
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 6);
  g_assert_true (nb_conversation_get_pinned (conversation));
  g_assert_cmpstr (nb_conversation_get_forked_from (conversation), ==, "desktop:old");
  g_assert_cmpint (nb_conversation_get_fork_index (conversation), ==, 3);
  g_assert_cmpint (g_date_time_get_year (nb_conversation_get_created_at (conversation)), ==, 2025);
  g_assert_cmpint (g_date_time_get_month (nb_conversation_get_updated_at (conversation)), ==, 3);
  {
    g_autofree char *titled_path = session_path (f, "desktop_titled");

    g_assert_cmpstr (nb_conversation_get_path (conversation), ==, titled_path);
  }

  /* The first line, cut at 80 characters. */
  conversation = item (f, 2);
  g_assert_cmpuint (g_utf8_strlen (nb_conversation_get_title (conversation), -1), ==, 80);
  g_assert_true (g_str_has_prefix (nb_conversation_get_title (conversation), "long words long"));
  g_assert_true (g_str_has_suffix (nb_conversation_get_title (conversation), "…"));
  g_assert_cmpstr (nb_conversation_get_channel (conversation), ==, "cron");

  conversation = item (f, 3);
  g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "What is  the time?");
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 4);
}

/* Large files: the count comes from the record (ours) or from counting
 * lines (Python's, whose only record is the first line). */
static void
test_large_files (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->dir);
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *python = python_session ("telegram:big", "2025-05-05", 59, NULL, "Big one");
  g_autoptr(GString) big = g_string_new (python);
  g_autofree char *python_path = session_path (f, "telegram_big");

  /* Past 64 KiB: 1 000 more lines. */
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (big, "{\"role\": \"tool\", \"tool_call_id\": \"c%u\", \"content\": \"%0100u\", "
                            "\"timestamp\": \"2025-05-05T10:00:00.000000\"}\n", i, i);
  nb_test_write_file (python_path, big->str);

  session = nb_session_store_open (store, "desktop:big", &error);
  for (guint i = 0; i < 800; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u %0150u", i, i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
      if (i % 100 == 99)
        {
          g_assert_true (nb_session_store_append (store, session, &error));
          g_assert_true (nb_session_store_sync (store, session, &error));
        }
    }
  /* Appended after the last record: counted on top of it. */
  {
    g_autoptr(NbMessage) message = nb_message_new ("user", "one more");

    nb_session_append (session, message);
    g_assert_true (nb_session_store_append (store, session, &error));
  }

  load (f);
  assert_keys (f, "desktop:big", "telegram:big", NULL);
  g_assert_cmpuint (nb_conversation_get_message_count (item (f, 0)), ==, 801);
  g_assert_cmpstr (nb_conversation_get_title (item (f, 0)), ==, "message 0 000000000000000000000000000000000000000000000000000000000000000000000…");
  g_assert_cmpuint (nb_conversation_get_message_count (item (f, 1)), ==, 1059);
  g_assert_cmpstr (nb_conversation_get_title (item (f, 1)), ==, "Big one");
  /* The last message's timestamp is later than the record's updated_at. */
  g_assert_cmpint (g_date_time_get_hour (nb_conversation_get_updated_at (item (f, 1))), ==, 10);
}

static const char *const new_line =
  "{\"role\": \"user\", \"content\": \"appended\", \"timestamp\": \"2030-01-01T00:00:00.000000\"}";

/* Another process creates a session, then appends to the oldest one. */
static void
test_other_process (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *created_path = session_path (f, "cli_new");
  g_autofree char *created = python_session ("cli:new", "2026-06-01", 2, NULL, "Made elsewhere");
  g_autofree char *old_path = session_path (f, "cli_a");
  g_autoptr(NbConversation) old = NULL;
  double ms;

  write_python_session (f, "cli_a", "cli:a", "2025-01-01", 2, NULL, NULL);
  write_python_session (f, "cli_b", "cli:b", "2025-01-02", 2, NULL, NULL);
  write_python_session (f, "cli_c", "cli:c", "2025-01-03", 2, NULL, NULL);
  load (f);
  assert_keys (f, "cli:c", "cli:b", "cli:a", NULL);

  run_sh ("printf '%s' \"$1\" > \"$2\"", created, created_path);
  ms = wait_for_changes (f, 1, 1000);
  g_test_message ("a new file appeared after %.0f ms", ms);
  assert_change (f, 0, 0, 0, 1);
  assert_keys (f, "cli:new", "cli:c", "cli:b", "cli:a", NULL);
  g_assert_cmpstr (nb_conversation_get_title (item (f, 0)), ==, "Made elsewhere");

  /* An append to the oldest moves it to the front: out at 3, in at 0,
   * the same object updated in place. */
  old = g_object_ref (item (f, 3));
  g_array_set_size (f->changes, 0);
  run_sh ("printf '%s\\n' \"$1\" >> \"$2\"", new_line, old_path);
  ms = wait_for_changes (f, 2, 1000);
  g_test_message ("an append moved the item after %.0f ms", ms);
  assert_change (f, 0, 3, 1, 0);
  assert_change (f, 1, 0, 0, 1);
  assert_keys (f, "cli:a", "cli:new", "cli:c", "cli:b", NULL);
  g_assert_true (item (f, 0) == old);
  g_assert_cmpuint (nb_conversation_get_message_count (old), ==, 3);
  g_assert_cmpint (g_date_time_get_year (nb_conversation_get_updated_at (old)), ==, 2030);

  /* Another append to the first: updated in place, no items-changed. */
  g_array_set_size (f->changes, 0);
  run_sh ("printf '%s\\n' \"$1\" >> \"$2\"", new_line, old_path);
  {
    gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (nb_conversation_get_message_count (old) != 4 && g_get_monotonic_time () < deadline)
      settle (5);
  }
  g_assert_cmpuint (nb_conversation_get_message_count (old), ==, 4);
  g_assert_cmpuint (f->changes->len, ==, 0);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* Rapid appends are read a few times, not once per line. */
static void
test_rapid_appends (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *path = session_path (f, "cli_busy");
  g_autoptr(NbConversation) busy = NULL;
  guint notifies = 0;
  gint64 deadline;

  write_python_session (f, "cli_busy", "cli:busy", "2025-01-01", 2, NULL, NULL);
  load (f);
  busy = g_object_ref (item (f, 0));
  g_signal_connect (busy, "notify::message-count", G_CALLBACK (count_notify_cb), &notifies);
  run_sh ("for i in $(seq 200); do printf '%s\\n' \"$1\" >> \"$2\"; sleep 0.005; done", new_line, path);
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (nb_conversation_get_message_count (busy) != 202 && g_get_monotonic_time () < deadline)
    settle (5);
  g_assert_cmpuint (nb_conversation_get_message_count (busy), ==, 202);
  g_test_message ("200 appends over about 1 s: %u updates", notifies);
  g_assert_cmpuint (notifies, <, 50);
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *path = session_path (f, "cli_b");

  write_python_session (f, "cli_a", "cli:a", "2025-01-01", 2, NULL, NULL);
  write_python_session (f, "cli_b", "cli:b", "2025-01-02", 2, NULL, NULL);
  write_python_session (f, "cli_c", "cli:c", "2025-01-03", 2, NULL, NULL);
  load (f);

  run_sh ("rm \"$1\"", path, "");
  wait_for_changes (f, 1, 1000);
  assert_change (f, 0, 1, 1, 0);
  assert_keys (f, "cli:c", "cli:a", NULL);
  settle (300);
  g_assert_cmpuint (f->changes->len, ==, 1);
}

/* A compaction writes a temp file and renames it over the session. */
static void
test_compaction (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = session_path (f, "cli_a");
  g_autofree char *tmp = g_build_filename (f->dir, ".cli_a.jsonl.XYZ123", NULL);
  g_autofree char *compacted = python_session ("cli:a", "2025-01-01", 2, "{\"title\": \"Compacted\"}", NULL);
  g_autoptr(NbConversation) conversation = NULL;
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->dir);
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;

  write_python_session (f, "cli_a", "cli:a", "2025-01-01", 8, NULL, NULL);
  write_python_session (f, "cli_b", "cli:b", "2025-01-02", 2, NULL, NULL);
  load (f);
  conversation = g_object_ref (item (f, 1));
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 8);

  nb_test_write_file (tmp, compacted);
  run_sh ("mv \"$1\" \"$2\"", tmp, path);
  {
    gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (g_strcmp0 (nb_conversation_get_title (conversation), "Compacted") != 0 && g_get_monotonic_time () < deadline)
      settle (5);
  }
  g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "Compacted");
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 2);
  settle (300);
  g_assert_cmpuint (f->changes->len, ==, 0);
  assert_keys (f, "cli:b", "cli:a", NULL);

  /* The store's own compaction (/new) too. */
  session = nb_session_store_open (store, "cli:b", &error);
  g_assert_no_error (error);
  nb_session_clear (session);
  g_assert_true (nb_session_store_compact (store, session, &error));
  g_assert_no_error (error);
  {
    gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (nb_conversation_get_message_count (item (f, 0)) != 0 && g_get_monotonic_time () < deadline)
      settle (5);
  }
  g_assert_cmpuint (nb_conversation_get_message_count (item (f, 0)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 2);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GString) deep = g_string_new ("{\"role\": \"user\", \"content\": ");
  struct {
    const char *stem;
    const char *contents;
  } files[] = {
    { "garbage", "this is not JSON\n\x01\x02\xff\xfe\n" },
    { "torn_tail", "{\"_type\": \"metadata\", \"key\": \"cli:torn\", \"updated_at\": \"2025-01-01T00:00:00\", \"metadata\": {}}\n"
                   "{\"role\": \"user\", \"content\": \"Before the tear\", \"timestamp\": \"2025-01-01T00:00:00\"}\n"
                   "{\"role\": \"assistant\", \"cont" },
    { "odd_types", "{\"_type\": \"metadata\", \"key\": 12, \"updated_at\": [], \"metadata\": {\"title\": 5, \"pinned\": \"yes\", "
                   "\"fork_index\": \"3\"}, \"message_count\": \"9\"}\n[1, 2]\n\"string\"\n" },
    { "bad_date", "{\"_type\": \"metadata\", \"key\": \"cli:date\", \"updated_at\": \"yesterday\", \"metadata\": {}}\n" },
    { "empty", "" },
    { "blank", "\n\n  \n" },
  };

  for (guint i = 0; i < 2000; i++)
    g_string_append_c (deep, '[');
  g_string_append_c (deep, '\n');

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = session_path (f, files[i].stem);

      nb_test_write_file (path, files[i].contents);
    }
  {
    g_autofree char *path = session_path (f, "deep");
    g_autofree char *folder = session_path (f, "folder");

    nb_test_write_file (path, deep->str);
    g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  }

  load (f);
  /* Everything with content is listed with what could be read; the empty
   * file (one being written) and the folder are not. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 6);
  {
    NbConversation *torn = nb_conversation_list_lookup (f->list, "cli:torn");
    NbConversation *odd = nb_conversation_list_lookup (f->list, "odd:types");
    NbConversation *garbage = nb_conversation_list_lookup (f->list, "garbage");

    g_assert_nonnull (torn);
    g_assert_cmpstr (nb_conversation_get_title (torn), ==, "Before the tear");
    g_assert_cmpuint (nb_conversation_get_message_count (torn), ==, 2);
    g_assert_nonnull (odd);
    g_assert_null (nb_conversation_get_title (odd));
    g_assert_false (nb_conversation_get_pinned (odd));
    g_assert_cmpint (nb_conversation_get_fork_index (odd), ==, -1);
    g_assert_nonnull (garbage);
    g_assert_nonnull (nb_conversation_get_updated_at (garbage));
    g_assert_nonnull (nb_conversation_get_updated_at (nb_conversation_list_lookup (f->list, "cli:date")));
  }
}

/* The owner's own change shows at once, and the file's re-read agrees. */
static void
test_update_from_session (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (f->dir);
  g_autoptr(NbSession) session = NULL;
  g_autoptr(NbMessage) message = nb_message_new ("user", "Typed in the window");
  g_autoptr(NbMessage) empty = nb_message_new ("assistant", "");
  g_autoptr(GError) error = NULL;
  NbConversation *conversation;

  write_python_session (f, "cli_a", "cli:a", "2025-01-01", 2, NULL, NULL);
  load (f);

  session = nb_session_store_open (store, "desktop:mine", &error);
  nb_session_append (session, message);
  nb_session_append (session, empty);
  nb_conversation_list_update_from_session (f->list, session);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, 0, 1);
  conversation = nb_conversation_list_lookup (f->list, "desktop:mine");
  g_assert_true (conversation == item (f, 0));
  g_assert_cmpstr (nb_conversation_get_title (conversation), ==, "Typed in the window");
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 1);

  /* The store writes it; the monitor's read finds the same. */
  g_assert_true (nb_session_store_append (store, session, &error));
  g_assert_true (nb_session_store_sync (store, session, &error));
  settle (500);
  g_assert_cmpuint (f->changes->len, ==, 1);
  g_assert_true (nb_conversation_list_lookup (f->list, "desktop:mine") == conversation);
  g_assert_cmpuint (nb_conversation_get_message_count (conversation), ==, 1);

  /* A refresh of a removed file drops it at once. */
  {
    g_autofree char *path = session_path (f, "cli_a");

    g_assert_cmpint (g_unlink (path), ==, 0);
    nb_conversation_list_refresh_path (f->list, path);
    wait_for_changes (f, 2, 1000);
    assert_change (f, 1, 1, 1, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/conversation-list/fields-and-order", test_fields_and_order);
  ADD ("/conversation-list/large-files", test_large_files);
  ADD ("/conversation-list/other-process", test_other_process);
  ADD ("/conversation-list/rapid-appends", test_rapid_appends);
  ADD ("/conversation-list/delete", test_delete);
  ADD ("/conversation-list/compaction", test_compaction);
  ADD ("/conversation-list/malformed", test_malformed);
  ADD ("/conversation-list/update-from-session", test_update_from_session);
#undef ADD

  return g_test_run ();
}
