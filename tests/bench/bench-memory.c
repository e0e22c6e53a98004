/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Memory consolidation (B6, P2), each beside the redux design reproduced:
 *
 *  - B6: an automatic consolidation and /new's at the same moment, on a
 *    session of 40 messages (memoryWindow 20). Nanobot has one
 *    NbMemoryStore per workspace: the second waits for the first and sees
 *    only what it left. The redux loop made a MemoryStore per
 *    consolidation: here two stores, which know nothing of each other.
 *    Counted: LLM calls at once, messages sent to the model, HISTORY.md
 *    entries.
 *  - P2: the model the consolidation call names with memoryModel set
 *    ("gpt-4o-mini", main model "gpt-4o") and the redux way (the main
 *    model); the ratio is the two models' list prices per input token
 *    (USD 2.50 and 0.15 per million).
 */
#include "config.h"

#include <stdio.h>

#include "nb-memory-store.h"
#include "../nb-test-util.h"
#include "../nb-test-provider.h"
#include "nb-bench-table.h"

#define MESSAGES 40
#define WINDOW   20

static NbSession *
make_session (void)
{
  NbSession *session = nb_session_new ("bench:memory");

  for (guint i = 0; i < MESSAGES; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u of the chat (mark)", i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
    }
  return session;
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (haystack, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

typedef struct {
  guint calls_at_once;
  guint messages_sent;
  guint history_entries;
} Outcome;

static Outcome
run (gboolean store_per_consolidation)
{
  g_autofree char *workspace = nb_test_make_tmpdir ();
  g_autofree char *history_path = g_build_filename (workspace, "memory", "HISTORY.md", NULL);
  g_autoptr(TestProvider) provider = g_object_new (TEST_TYPE_PROVIDER, "name", "test", NULL);
  g_autoptr(NbSession) session = make_session ();
  g_autoptr(NbMemoryStore) store = nb_memory_store_new (workspace);
  g_autoptr(NbMemoryStore) second = store_per_consolidation ? nb_memory_store_new (workspace) : g_object_ref (store);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *history = NULL;
  Outcome outcome = { 0 };

  for (guint i = 0; i < 2; i++)
    script (provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] Talked.\", \"memory_update\": \"m\"}");

  /* The automatic one after a turn, then /new before it ended. */
  g_assert_true (nb_memory_store_maybe_consolidate (store, session, NB_PROVIDER (provider), "gpt-4o", WINDOW, NULL));
  nb_memory_store_consolidate_async (second, session, NB_PROVIDER (provider), "gpt-4o", WINDOW, TRUE,
                                     NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  nb_memory_store_consolidate_finish (second, result, &error);
  g_assert_no_error (error);
  while (nb_memory_store_is_consolidating (store, session))
    g_main_context_iteration (NULL, TRUE);

  outcome.calls_at_once = provider->max_in_flight;
  for (guint i = 0; i < provider->requests->len; i++)
    outcome.messages_sent += count (g_ptr_array_index (provider->requests, i), "of the chat (mark)");
  history = nb_test_read_file (history_path);
  outcome.history_entries = count (history, "Talked.");

  g_clear_object (&store);
  g_clear_object (&second);
  nb_test_rm_rf (workspace);
  return outcome;
}

static char *
consolidation_model (gboolean use_memory_model)
{
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autofree char *workspace = nb_test_make_tmpdir ();
  g_autoptr(TestProvider) provider = g_object_new (TEST_TYPE_PROVIDER, "name", "test", NULL);
  g_autoptr(NbSession) session = make_session ();
  g_autoptr(NbMemoryStore) store = nb_memory_store_new (workspace);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *model;

  nb_config_set_string (config, "agents.defaults.model", "gpt-4o");
  if (use_memory_model)
    nb_config_set_string (config, "agents.defaults.memoryModel", "gpt-4o-mini");
  script (provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] Talked.\", \"memory_update\": \"m\"}");
  /* As the agent calls it. */
  nb_memory_store_consolidate_async (store, session, NB_PROVIDER (provider), nb_config_get_memory_model (config),
                                     WINDOW, FALSE, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_memory_store_consolidate_finish (store, result, &error));
  {
    g_autoptr(JsonObject) sent = nb_test_parse_object (g_ptr_array_index (provider->requests, 0));

    model = g_strdup (json_object_get_string_member (sent, "model"));
  }
  g_clear_object (&store);
  nb_test_rm_rf (workspace);
  return model;
}

int
main (int   argc,
      char *argv[])
{
  Outcome one = run (FALSE);
  Outcome two = run (TRUE);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *ratio = NULL;
  g_autofree char *small = consolidation_model (TRUE);
  g_autofree char *main_model = consolidation_model (FALSE);

  printf ("automatic consolidation + /new at once, %u messages, memoryWindow %u:\n", MESSAGES, WINDOW);
  printf ("  one store per workspace: %u call(s) at once, %u messages sent, %u HISTORY.md entries\n",
          one.calls_at_once, one.messages_sent, one.history_entries);
  printf ("  a store per consolidation (the redux way): %u call(s) at once, %u messages sent, %u HISTORY.md entries\n",
          two.calls_at_once, two.messages_sent, two.history_entries);
  a = g_strdup_printf ("%u sent, %u at once", one.messages_sent, one.calls_at_once);
  b = g_strdup_printf ("%u sent, %u at once", two.messages_sent, two.calls_at_once);
  ratio = nb_bench_ratio (one.messages_sent, two.messages_sent);
  nb_bench_table_row ("B6", "consolidation + /new at once (40 messages): messages sent to the model, calls in flight",
                      a, b, ratio);

  printf ("consolidation model: %s with memoryModel, %s the redux way\n", small, main_model);
  nb_bench_table_row ("P2", "model of the consolidation call (main model gpt-4o): USD per million input tokens",
                      g_str_equal (small, "gpt-4o-mini") ? "gpt-4o-mini, 0.15" : small,
                      g_str_equal (main_model, "gpt-4o") ? "gpt-4o, 2.50" : main_model,
                      "16.7×");

  /* Nanobot must not send a message twice, nor run two at once. */
  return one.messages_sent == MESSAGES && one.calls_at_once == 1 && g_str_equal (small, "gpt-4o-mini") ? 0 : 1;
}
