/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NbConversationList over 1 000 sessions. Writes 1 000 session files of
 * 20–200 messages (turns of user, tool call, tool result, reply; one in
 * five with long tool results; four in five written as our store writes
 * them, with a metadata record after each turn, one in five as the Python
 * nanobot does, with its only record first and tool results uncut), then
 * prints the time of nb_conversation_list_load_async() (min and median of
 * 7 runs; limit 50 ms for the min) and how long one append to the oldest
 * file takes to reach the list: through the file monitor, and through
 * nb_conversation_list_refresh_path().
 */
#include "config.h"

#include <stdio.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nb-conversation-list.h"
#include "../nb-test-util.h"

#define N_SESSIONS    1000
#define RUNS          7
#define LOAD_LIMIT_MS 50.0

static void
append_turn (GString *file,
             guint    day,
             guint    turn,
             gboolean long_result,
             gboolean python)
{
  g_autofree char *stamp = g_strdup_printf ("2025-%02u-%02uT10:%02u:%02u.000000", 1 + day / 28, 1 + day % 28,
                                            turn / 60 % 60, turn % 60);
  guint result_chars = long_result ? 6000 : 300;
  const char *sep = python ? ": " : ":";
  const char *comma = python ? ", " : ",";

  g_string_append_printf (file, "{\"role\"%s\"user\"%s\"content\"%s\"Question %u about the project: what does the "
                          "function on line %u do, and can it be made faster?\"%s\"timestamp\"%s\"%s\"}\n",
                          sep, comma, sep, turn, turn * 7, comma, sep, stamp);
  g_string_append_printf (file, "{\"role\"%s\"assistant\"%s\"content\"%snull%s\"tool_calls\"%s[{\"id\"%s\"call_%u\"%s"
                          "\"type\"%s\"function\"%s\"function\"%s{\"name\"%s\"read_file\"%s\"arguments\"%s"
                          "\"{\\\"path\\\": \\\"src/file%u.c\\\"}\"}}]%s\"timestamp\"%s\"%s\"}\n",
                          sep, comma, sep, comma, sep, sep, turn, comma, sep, comma, sep, sep, comma, sep,
                          turn, comma, sep, stamp);
  g_string_append_printf (file, "{\"role\"%s\"tool\"%s\"tool_call_id\"%s\"call_%u\"%s\"name\"%s\"read_file\"%s\"content\"%s\"",
                          sep, comma, sep, turn, comma, sep, comma, sep);
  /* Our store cuts tool results at 500 characters in the file. */
  if (!python && result_chars > 500)
    result_chars = 500;
  for (guint i = 0; i < result_chars; i += 50)
    g_string_append (file, "static int counter = 0; /* a line of code */\\n   ");
  if (!python && long_result)
    g_string_append (file, "\\n... (truncated)");
  g_string_append_printf (file, "\"%s\"timestamp\"%s\"%s\"}\n", comma, sep, stamp);
  g_string_append_printf (file, "{\"role\"%s\"assistant\"%s\"content\"%s\"It counts calls; a static counter is "
                          "not thread-safe, so use g_atomic_int_inc() if it runs in workers.\"%s\"timestamp\"%s\"%s\"}\n",
                          sep, comma, sep, comma, sep, stamp);
}

static void
write_session (const char *dir,
               guint       index)
{
  g_autoptr(GString) file = g_string_new (NULL);
  g_autofree char *path = g_strdup_printf ("%s/desktop_%04u.jsonl", dir, index);
  guint day = index % 300;
  guint turns = 5 + g_random_int_range (0, 46);     /* 20–200 messages */
  gboolean python = index % 5 == 4;
  gboolean long_results = index % 5 == 1 || index % 10 == 9;

  if (python)
    g_string_append_printf (file, "{\"_type\": \"metadata\", \"key\": \"cli:%04u\", \"created_at\": \"2025-01-01T09:00:00.000000\", "
                            "\"updated_at\": \"2025-%02u-%02uT11:00:00.000000\", \"metadata\": {}, \"last_consolidated\": 0}\n",
                            index, 1 + day / 28, 1 + day % 28);
  else
    g_string_append_printf (file, "{\"_type\":\"metadata\",\"key\":\"desktop:%04u\",\"created_at\":\"2025-01-01T09:00:00.000000\","
                            "\"updated_at\":\"2025-01-01T09:00:00.000000\",\"metadata\":{\"model\":\"gpt-4.1\"},"
                            "\"last_consolidated\":0,\"message_count\":0}\n", index);
  for (guint turn = 0; turn < turns; turn++)
    {
      append_turn (file, day, turn, long_results, python);
      if (!python)
        g_string_append_printf (file, "{\"_type\":\"metadata\",\"key\":\"desktop:%04u\",\"created_at\":\"2025-01-01T09:00:00.000000\","
                                "\"updated_at\":\"2025-%02u-%02uT10:%02u:%02u.500000\",\"metadata\":{\"model\":\"gpt-4.1\"},"
                                "\"last_consolidated\":0,\"message_count\":%u}\n",
                                index, 1 + day / 28, 1 + day % 28, turn / 60 % 60, turn % 60, (turn + 1) * 4);
    }
  nb_test_write_file (path, file->str);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gboolean   *changed)
{
  if (added > 0)
    *changed = TRUE;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static NbConversationList *
load (const char *dir,
      double     *ms)
{
  NbConversationList *list = nb_conversation_list_new (dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  nb_conversation_list_load_async (list, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  if (!nb_conversation_list_load_finish (list, result, &error))
    g_error ("%s", error->message);
  *ms = (g_get_monotonic_time () - start) / 1000.0;
  return list;
}

/* Appends a line to the oldest file (or asks the list to re-read it) and
 * waits until it moved to the front. */
static double
time_update (NbConversationList *list,
             const char         *dir,
             gboolean            refresh)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_autoptr(NbConversation) oldest = g_list_model_get_item (G_LIST_MODEL (list), n - 1);
  const char *path = nb_conversation_get_path (oldest);
  g_autofree char *line = g_strdup_printf ("{\"role\":\"user\",\"content\":\"later\",\"timestamp\":\"2026-0%u-01T00:00:00.000000\"}\n",
                                           refresh ? 2 : 1);
  gboolean changed = FALSE;
  gulong handler = g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &changed);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  gint64 start;
  double ms;

  stream = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  g_output_stream_write_all (G_OUTPUT_STREAM (stream), line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error);
  if (refresh)
    nb_conversation_list_refresh_path (list, path);
  nb_test_wait_for (&changed, 5000);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_signal_handler_disconnect (list, handler);
  {
    g_autoptr(NbConversation) first = g_list_model_get_item (G_LIST_MODEL (list), 0);

    g_assert_true (first == oldest);
  }
  return ms;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autoptr(NbConversationList) list = NULL;
  double times[RUNS];
  double monitor_ms, refresh_ms;
  guint64 bytes = 0;
  guint n_items = 0;
  gboolean ok;

  g_random_set_seed (42);
  for (guint i = 0; i < N_SESSIONS; i++)
    write_session (dir, i);
  for (guint i = 0; i < N_SESSIONS; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/desktop_%04u.jsonl", dir, i);
      GStatBuf st;

      if (g_stat (path, &st) == 0)
        bytes += st.st_size;
    }
  printf ("%u session files, %.1f MiB\n", N_SESSIONS, bytes / 1048576.0);

  for (guint run = 0; run < RUNS; run++)
    {
      g_clear_object (&list);
      list = load (dir, &times[run]);
      n_items = g_list_model_get_n_items (G_LIST_MODEL (list));
      printf ("load %u sessions, run %u: %.1f ms\n", n_items, run + 1, times[run]);
    }
  qsort (times, RUNS, sizeof (double), compare_double);
  printf ("load %u sessions: min %.1f ms, median %.1f ms\n", n_items, times[0], times[RUNS / 2]);

  monitor_ms = time_update (list, dir, FALSE);
  printf ("an append to the oldest session moved it to the front after %.1f ms (file monitor, %u ms coalescing)\n",
          monitor_ms, 150);
  refresh_ms = time_update (list, dir, TRUE);
  printf ("the same with nb_conversation_list_refresh_path(): %.1f ms\n", refresh_ms);

  g_clear_object (&list);
  /* Worker threads may hold the list a moment longer. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  nb_test_rm_rf (dir);

  ok = n_items == N_SESSIONS && times[0] <= LOAD_LIMIT_MS && monitor_ms < 1000.0;
  if (!ok)
    {
      printf ("FAILED: listing %u sessions must take at most %.0f ms, an update less than 1 s\n",
              N_SESSIONS, LOAD_LIMIT_MS);
      return 1;
    }
  return 0;
}
