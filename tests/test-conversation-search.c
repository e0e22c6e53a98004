/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-conversation-list.h"
#include "nb-conversation-search.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/*
 * NbConversationSearch over real session files listed by an
 * NbConversationList, without a display: title and content matches with
 * snippets, what does not count as content (roles, metadata, timestamps,
 * tool results, malformed lines), a newer query cancelling an older one,
 * and results arriving in batches while the search still runs.
 */

typedef struct {
  char                 *dir;
  NbConversationList   *list;
  NbConversationSearch *search;
  guint                 batches;
  guint                 batches_while_running;
} Fixture;

static void
write_session (Fixture    *f,
               const char *key,
               const char *updated_at,
               const char *lines)
{
  g_autofree char *stem = nb_session_store_key_to_file_stem (key);
  g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *text =
    g_strdup_printf ("{\"_type\":\"metadata\",\"key\":\"%s\",\"created_at\":\"2026-01-01T10:00:00\","
                     "\"updated_at\":\"%s\",\"metadata\":{},\"last_consolidated\":0}\n%s",
                     key, updated_at, lines);

  nb_test_write_file (path, text);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  if (added == 0)
    return;
  f->batches++;
  if (nb_conversation_search_get_running (f->search))
    f->batches_while_running++;
}

static void
load (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->list = nb_conversation_list_new (f->dir);
  nb_conversation_list_load_async (f->list, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_conversation_list_load_finish (f->list, result, &error));
  g_assert_no_error (error);
  f->search = nb_conversation_search_new (G_LIST_MODEL (f->list));
  g_signal_connect (f->search, "items-changed", G_CALLBACK (items_changed_cb), f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
}

/* Drops the last reference, waiting for worker threads that may hold one
 * a moment longer. */
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
  if (f->search != NULL)
    release_object (f->search);
  if (f->list != NULL)
    release_object (f->list);
  /* Workers of a cancelled query finish their file and go. */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
wait_done (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (nb_conversation_search_get_running (f->search) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (nb_conversation_search_get_running (f->search));
}

static NbConversationSearchHit *
hit_for (Fixture    *f,
         const char *key)
{
  GListModel *model = G_LIST_MODEL (f->search);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NbConversationSearchHit) hit = g_list_model_get_item (model, i);

      if (g_strcmp0 (nb_conversation_search_hit_get_key (hit), key) == 0)
        return hit;
    }
  return NULL;
}

static guint
n_hits (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (f->search));
}

static void
run_query (Fixture    *f,
           const char *query)
{
  nb_conversation_search_set_query (f->search, query);
  wait_done (f);
}

static void
test_title_and_content (Fixture       *f,
                        gconstpointer  data)
{
  NbConversationSearchHit *hit;

  write_session (f, "desktop:paris", "2026-01-03T10:00:00",
                 "{\"role\":\"user\",\"content\":\"Plan a trip to Paris\",\"timestamp\":\"2026-01-03T10:00:00\"}\n"
                 "{\"role\":\"assistant\",\"content\":\"Sure.\",\"timestamp\":\"2026-01-03T10:00:01\"}\n");
  write_session (f, "cli:direct", "2026-01-02T10:00:00",
                 "{\"role\":\"user\",\"content\":\"What is tall in France?\",\"timestamp\":\"2026-01-02T10:00:00\"}\n"
                 "{\"role\":\"assistant\",\"content\":\"The Eiffel Tower is 330 m tall;\\nit was built in 1889 "
                 "for the World's Fair, and \\\"la dame de fer\\\" is its nickname.\",\"timestamp\":\"2026-01-02T10:00:01\"}\n"
                 "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"name\":\"web_search\",\"content\":\"kangaroo\",\"timestamp\":\"2026-01-02T10:00:02\"}\n");
  write_session (f, "quick:1", "2026-01-01T10:00:00",
                 "{\"role\":\"user\",\"content\":\"Nothing to see\",\"timestamp\":\"2026-01-01T10:00:00\"}\n");
  load (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 3);

  /* A title match is there as soon as the query is set. */
  nb_conversation_search_set_query (f->search, "PARIS");
  hit = hit_for (f, "desktop:paris");
  g_assert_nonnull (hit);
  g_assert_null (nb_conversation_search_hit_get_snippet (hit));
  g_assert_cmpstr (nb_conversation_search_hit_get_title (hit), ==, "Plan a trip to Paris");
  wait_done (f);
  g_assert_cmpuint (n_hits (f), ==, 1);

  run_query (f, "eiffel");
  g_assert_cmpuint (n_hits (f), ==, 1);
  hit = hit_for (f, "cli:direct");
  g_assert_nonnull (hit);
  g_assert_nonnull (strstr (nb_conversation_search_hit_get_snippet (hit), "The Eiffel Tower is 330 m tall; it was"));
  g_assert_cmpstr (nb_conversation_search_hit_get_title (hit), ==, "What is tall in France?");

  /* Quotes are found as the user typed them, not as JSON escapes them. */
  run_query (f, "\"la dame");
  g_assert_nonnull (hit_for (f, "cli:direct"));
  g_assert_nonnull (strstr (nb_conversation_search_hit_get_snippet (hit_for (f, "cli:direct")), "\"la dame de fer\""));

  /* Member names, roles, dates and tool results are not content. */
  run_query (f, "assistant");
  g_assert_cmpuint (n_hits (f), ==, 0);
  run_query (f, "timestamp");
  g_assert_cmpuint (n_hits (f), ==, 0);
  run_query (f, "2026-01");
  g_assert_cmpuint (n_hits (f), ==, 0);
  run_query (f, "kangaroo");
  g_assert_cmpuint (n_hits (f), ==, 0);
  run_query (f, "metadata");
  g_assert_cmpuint (n_hits (f), ==, 0);

  /* "\\nit" is in the file, but the text has a line break there. */
  run_query (f, "nit");
  g_assert_cmpuint (n_hits (f), ==, 0);

  run_query (f, "");
  g_assert_cmpuint (n_hits (f), ==, 0);
  g_assert_null (nb_conversation_search_get_query (f->search));
}

static void
test_malformed_lines (Fixture       *f,
                      gconstpointer  data)
{
  NbConversationSearchHit *hit;

  write_session (f, "desktop:a", "2026-01-03T10:00:00",
                 "{\"role\":\"user\",\"content\":\"a zebra here but the line is cut\n"
                 "not json at all zebra\n"
                 "{\"role\":\"assistant\",\"content\":\"a zebra crossing\",\"timestamp\":\"2026-01-03T10:00:01\"}\n");
  write_session (f, "desktop:b", "2026-01-02T10:00:00",
                 "{\"role\":\"user\",\"content\":\"only a broken zebra\"\n");
  write_session (f, "desktop:c", "2026-01-01T10:00:00",
                 "{\"role\":\"user\",\"content\":\"hi\",\"timestamp\":\"2026-01-01T10:00:00\"}\n"
                 "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"look at this zebra\"},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}],\"timestamp\":\"2026-01-01T10:00:00\"}\n");
  load (f);

  run_query (f, "zebra");
  g_assert_cmpuint (n_hits (f), ==, 2);
  hit = hit_for (f, "desktop:a");
  g_assert_nonnull (hit);
  g_assert_cmpstr (nb_conversation_search_hit_get_snippet (hit), ==, "a zebra crossing");
  g_assert_null (hit_for (f, "desktop:b"));
  hit = hit_for (f, "desktop:c");
  g_assert_nonnull (hit);
  g_assert_cmpstr (nb_conversation_search_hit_get_snippet (hit), ==, "look at this zebra");
}

static void
write_many (Fixture *f,
            guint    n,
            gsize    filler_bytes)
{
  g_autofree char *filler = g_strnfill (filler_bytes, 'x');

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("desktop:%04u", i);
      g_autofree char *date = g_strdup_printf ("2026-01-01T10:%02u:%02u", (i / 60) % 60, i % 60);
      g_autofree char *lines =
        g_strdup_printf ("{\"role\":\"user\",\"content\":\"question %u %s\",\"timestamp\":\"%s\"}\n"
                         "{\"role\":\"assistant\",\"content\":\"%s answer about %s\",\"timestamp\":\"%s\"}\n",
                         i, filler, date, filler, i % 2 == 0 ? "apples" : "bananas", date);

      write_session (f, key, date, lines);
    }
}

static void
test_newer_query_cancels (Fixture       *f,
                          gconstpointer  data)
{
  GListModel *model;

  write_many (f, 400, 20000);
  load (f);

  nb_conversation_search_set_query (f->search, "apples");
  /* Let the first one get going. */
  while (n_hits (f) == 0)
    g_main_context_iteration (NULL, TRUE);
  nb_conversation_search_set_query (f->search, "bananas");
  g_assert_cmpuint (n_hits (f), ==, 0);
  wait_done (f);

  model = G_LIST_MODEL (f->search);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 200);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NbConversationSearchHit) hit = g_list_model_get_item (model, i);

      g_assert_nonnull (strstr (nb_conversation_search_hit_get_snippet (hit), "bananas"));
    }
  /* Nothing of the cancelled query comes late. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 200);
  g_assert_cmpstr (nb_conversation_search_get_query (f->search), ==, "bananas");
}

static void
test_incremental (Fixture       *f,
                  gconstpointer  data)
{
  GListModel *model;
  guint last_rank = 0;

  write_many (f, 400, 20000);
  load (f);

  f->batches = f->batches_while_running = 0;
  run_query (f, "apples");
  model = G_LIST_MODEL (f->search);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 200);
  /* More than one batch, and the first ones while files were still being
   * searched. */
  g_assert_cmpuint (f->batches, >=, 2);
  g_assert_cmpuint (f->batches_while_running, >=, 1);

  /* Newest first, roughly: the first hit is among the newest files. */
  {
    g_autoptr(NbConversationSearchHit) first = g_list_model_get_item (model, 0);

    g_assert_cmpuint (nb_conversation_search_hit_get_rank (first), <, 20);
  }
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NbConversationSearchHit) hit = g_list_model_get_item (model, i);

      last_rank = MAX (last_rank, nb_conversation_search_hit_get_rank (hit));
    }
  g_assert_cmpuint (last_rank, >=, 390);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/conversation-search/title-and-content", test_title_and_content);
  ADD ("/conversation-search/malformed-lines", test_malformed_lines);
  ADD ("/conversation-search/newer-query-cancels", test_newer_query_cancels);
  ADD ("/conversation-search/incremental", test_incremental);
#undef ADD

  return g_test_run ();
}
