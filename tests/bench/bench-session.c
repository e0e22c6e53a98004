/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Append-only sessions (B3). Prints the bytes written to the file when
 * message 10 and message 2 000 are appended (each must equal the size of
 * its own line: nothing is rewritten), and the time to load a session of
 * 10 000 messages (limit 100 ms). Fails when either does not hold.
 * Also prints the bytes of a typical turn (user, tool call, tool result,
 * reply) and of the metadata record the sync at its end adds.
 *
 * For the table: a 200-message conversation saved after every message,
 * appended (Nanobot, with the metadata record of each turn's sync) and
 * rewritten whole on every save (the redux design, here
 * nb_session_store_compact()); bytes written counted by the kernel
 * (/proc/self/io wchar).
 */

#include "config.h"

#include <stdio.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nb-session-store.h"
#include "../nb-test-util.h"
#include "nb-bench-table.h"

#define LOAD_MESSAGES 10000
#define LOAD_LIMIT_MS 100.0

static goffset
size_of (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : -1;
}

static NbMessage *
make_message (guint index)
{
  g_autofree char *text = g_strdup_printf ("Message number %u of a long conversation, with a sentence or two "
                                           "of ordinary text so that the lines look like real ones.", index);

  return nb_message_new (index % 2 ? "assistant" : "user", text);
}

/* Appends one message and returns how many bytes the file grew, and the
 * length of the line that message became. */
static goffset
append_one (NbSessionStore *store,
            NbSession      *session,
            const char     *path,
            guint           index,
            gsize          *line_length)
{
  g_autoptr(NbMessage) message = make_message (index);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  goffset before = size_of (path);
  goffset after;
  const char *last;

  nb_session_append (session, message);
  if (!nb_session_store_append (store, session, &error))
    g_error ("%s", error->message);
  after = size_of (path);

  contents = nb_test_read_file (path);
  contents[strlen (contents) - 1] = '\0';
  last = strrchr (contents, '\n');
  *line_length = strlen (last != NULL ? last + 1 : contents) + 1;
  return after - before;
}

static void
append_json (NbSessionStore *store,
             NbSession      *session,
             const char     *json)
{
  g_autoptr(JsonObject) object = nb_test_parse_object (json);
  g_autoptr(NbMessage) message = nb_message_new_from_json (object);
  g_autoptr(GError) error = NULL;

  nb_session_append (session, message);
  if (!nb_session_store_append (store, session, &error))
    g_error ("%s", error->message);
}

/* One turn as the agent writes it, then the sync that ends it: the bytes
 * of the messages and of the metadata record the sync appends. */
static void
measure_turn (NbSessionStore *store,
              NbSession      *session,
              const char     *path,
              goffset        *messages_bytes,
              goffset        *record_bytes)
{
  g_autoptr(GString) result = g_string_new ("{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"name\":\"read_file\",\"content\":\"");
  g_autoptr(GError) error = NULL;
  goffset before = size_of (path);
  goffset after_messages;

  append_json (store, session, "{\"role\":\"user\",\"content\":\"What does the README say about building it?\"}");
  append_json (store, session,
               "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
               "\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\":\\\"README.md\\\"}\"}}]}");
  for (guint i = 0; i < 40; i++)
    g_string_append (result, "A line of the README that the tool read. ");
  g_string_append (result, "\"}");
  append_json (store, session, result->str);
  append_json (store, session,
               "{\"role\":\"assistant\",\"content\":\"It builds with meson: `meson setup _build && meson compile -C _build`. "
               "The tests run with `build-aux/test`.\"}");
  after_messages = size_of (path);
  if (!nb_session_store_sync (store, session, &error))
    g_error ("%s", error->message);
  *messages_bytes = after_messages - before;
  *record_bytes = size_of (path) - after_messages;
}

#define TABLE_MESSAGES 200

static gint64
proc_wchar (void)
{
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/self/io", &text, NULL, NULL))
    return -1;
  at = strstr (text, "wchar: ");
  return at != NULL ? g_ascii_strtoll (at + 7, NULL, 10) : -1;
}

/* Bytes written to save a TABLE_MESSAGES conversation message by message. */
static gint64
save_conversation (const char *dir,
                   gboolean    rewrite,
                   gint64     *last_save)
{
  g_autoptr(NbSessionStore) store = nb_session_store_new (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_session_store_open (store, rewrite ? "bench:rewrite" : "bench:append", &error);
  gint64 before, total = 0;

  g_assert_no_error (error);
  for (guint i = 1; i <= TABLE_MESSAGES; i++)
    {
      g_autoptr(NbMessage) message = make_message (i);
      gboolean ok;

      before = proc_wchar ();
      nb_session_append (session, message);
      if (rewrite)
        ok = nb_session_store_compact (store, session, &error);
      else
        ok = nb_session_store_append (store, session, &error) &&
             (i % 2 != 0 || nb_session_store_sync (store, session, &error));
      if (!ok)
        g_error ("%s", error->message);
      *last_save = proc_wchar () - before;
      total += *last_save;
    }
  return total;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autoptr(NbSessionStore) store = nb_session_store_new (dir);
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = nb_session_store_get_path (store, "bench:append");
  gsize line10 = 0, line2000 = 0;
  goffset wrote10 = 0, wrote2000 = 0;
  gint64 start;
  double load_ms;
  gboolean ok = TRUE;

  session = nb_session_store_open (store, "bench:append", &error);
  g_assert_no_error (error);

  /* Message 1 creates the file with its metadata line first. */
  for (guint i = 1; i <= 2000; i++)
    {
      if (i == 10)
        wrote10 = append_one (store, session, path, i, &line10);
      else if (i == 2000)
        wrote2000 = append_one (store, session, path, i, &line2000);
      else
        {
          g_autoptr(NbMessage) message = make_message (i);

          nb_session_append (session, message);
          if (!nb_session_store_append (store, session, &error))
            g_error ("%s", error->message);
        }
    }

  printf ("append message 10: %" G_GOFFSET_FORMAT " bytes written, its line is %zu bytes\n", wrote10, line10);
  printf ("append message 2000: %" G_GOFFSET_FORMAT " bytes written, its line is %zu bytes\n", wrote2000, line2000);
  printf ("file after 2000 messages: %" G_GOFFSET_FORMAT " bytes\n", size_of (path));
  ok = ok && wrote10 == (goffset) line10 && wrote2000 == (goffset) line2000;

  /* Turns: the first sync records the 2000 messages above, so measure
   * the second and third. */
  {
    goffset messages_bytes = 0, record_bytes = 0;

    measure_turn (store, session, path, &messages_bytes, &record_bytes);
    measure_turn (store, session, path, &messages_bytes, &record_bytes);
    printf ("turn of 4 messages: %" G_GOFFSET_FORMAT " bytes of messages + %" G_GOFFSET_FORMAT
            " bytes of metadata record (%.1f %%)\n",
            messages_bytes, record_bytes, 100.0 * record_bytes / messages_bytes);
    ok = ok && record_bytes > 0 && record_bytes < messages_bytes;
  }

  /* A 10 000 message session. */
  {
    g_autofree char *big_dir = g_build_filename (dir, "big", NULL);
    g_autoptr(NbSessionStore) writer = nb_session_store_new (big_dir);
    g_autoptr(NbSession) big = nb_session_store_open (writer, "bench:load", &error);
    g_autoptr(NbSessionStore) reader = NULL;
    g_autoptr(NbSession) loaded = NULL;
    g_autofree char *big_path = nb_session_store_get_path (writer, "bench:load");

    for (guint i = 0; i < LOAD_MESSAGES; i++)
      {
        g_autoptr(NbMessage) message = make_message (i);

        nb_session_append (big, message);
      }
    if (!nb_session_store_append (writer, big, &error))
      g_error ("%s", error->message);

    /* The machine is shared: the best of five runs is the figure. */
    load_ms = G_MAXDOUBLE;
    for (guint run = 0; run < 5; run++)
      {
        double ms;

        g_clear_object (&loaded);
        g_clear_object (&reader);
        reader = nb_session_store_new (big_dir);
        start = g_get_monotonic_time ();
        loaded = nb_session_store_open (reader, "bench:load", &error);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_assert_no_error (error);
        printf ("load %u messages (%" G_GOFFSET_FORMAT " bytes), run %u: %.1f ms\n",
                nb_session_get_n_messages (loaded), size_of (big_path), run + 1, ms);
        load_ms = MIN (load_ms, ms);
      }
    printf ("load %u messages: best %.1f ms\n", nb_session_get_n_messages (loaded), load_ms);
    ok = ok && nb_session_get_n_messages (loaded) == LOAD_MESSAGES && load_ms <= LOAD_LIMIT_MS;
  }

  {
    g_autofree char *table_dir = g_build_filename (dir, "table", NULL);
    gint64 last_append = 0, last_rewrite = 0;
    gint64 appended = save_conversation (table_dir, FALSE, &last_append);
    gint64 rewritten = save_conversation (table_dir, TRUE, &last_rewrite);
    g_autofree char *a = g_strdup_printf ("%.1f KB", appended / 1024.0);
    g_autofree char *b = g_strdup_printf ("%.1f KB", rewritten / 1024.0);
    g_autofree char *ratio = nb_bench_ratio (appended, rewritten);
    g_autofree char *a2 = g_strdup_printf ("%" G_GINT64_FORMAT " B", last_append);
    g_autofree char *b2 = g_strdup_printf ("%" G_GINT64_FORMAT " B", last_rewrite);
    g_autofree char *ratio2 = nb_bench_ratio (last_append, last_rewrite);

    printf ("%u messages saved one by one: appended %" G_GINT64_FORMAT " bytes written, "
            "rewritten whole each time %" G_GINT64_FORMAT " bytes\n", TABLE_MESSAGES, appended, rewritten);
    nb_bench_table_row ("B3", "200-message conversation saved after each message: bytes written (kernel wchar)",
                        a, b, ratio);
    nb_bench_table_row ("B3", "saving message 200: bytes written", a2, b2, ratio2);
  }

  g_clear_object (&session);
  g_clear_object (&store);
  nb_test_rm_rf (dir);

  if (!ok)
    {
      printf ("FAILED: appends must write only their own line; loading must take at most %.0f ms\n", LOAD_LIMIT_MS);
      return 1;
    }
  return 0;
}
