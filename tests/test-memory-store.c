/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nb-memory-store.h"
#include "nb-test-util.h"

#include "nb-test-provider.h"

/* Fixture */

typedef struct {
  char *workspace;
  char *memory_path;
  char *history_path;
  TestProvider *provider;
  NbMemoryStore *store;
  NbSession *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->workspace = nb_test_make_tmpdir ();
  f->memory_path = g_build_filename (f->workspace, "memory", "MEMORY.md", NULL);
  f->history_path = g_build_filename (f->workspace, "memory", "HISTORY.md", NULL);
  nb_test_write_file (f->memory_path, "# Memory\n- Likes tea.\n");
  nb_test_write_file (f->history_path, "[2026-01-01 10:00] Earlier entry.\n\n");
  f->provider = g_object_new (TEST_TYPE_PROVIDER, "name", "test", NULL);
  f->store = nb_memory_store_new (f->workspace);
  f->session = nb_session_new ("desktop:mem");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->session);
  g_assert_finalize_object (f->provider);
  nb_test_rm_rf (f->workspace);
  g_free (f->workspace);
  g_free (f->memory_path);
  g_free (f->history_path);
}

static void
fill (NbSession *session,
      guint      count)
{
  for (guint i = 0; i < count; i++)
    {
      guint index = nb_session_get_n_messages (session);
      g_autofree char *text = g_strdup_printf ("message %u", index);
      g_autoptr(NbMessage) message = nb_message_new (index % 2 ? "assistant" : "user", text);

      nb_session_append (session, message);
    }
}

static gboolean
consolidate (Fixture   *f,
             gboolean   archive_all,
             GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_memory_store_consolidate_async (f->store, f->session, NB_PROVIDER (f->provider), "small-model",
                                     10, archive_all, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  return nb_memory_store_consolidate_finish (f->store, result, error);
}

static guint64
inode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_ino;
}

static void
test_due (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");

  fill (session, 9);
  g_assert_false (nb_memory_store_needs_consolidation (session, 10));
  fill (session, 1);
  g_assert_true (nb_memory_store_needs_consolidation (session, 10));
  nb_session_set_last_consolidated (session, 5);
  g_assert_false (nb_memory_store_needs_consolidation (session, 10));
  fill (session, 5);
  g_assert_true (nb_memory_store_needs_consolidation (session, 10));
  g_assert_false (nb_memory_store_needs_consolidation (session, 0));
}

static void
test_model (void)
{
  g_autoptr(NbConfig) config = nb_config_new ();

  nb_config_set_string (config, "agents.defaults.model", "big-model");
  g_assert_cmpstr (nb_config_get_memory_model (config), ==, "big-model");
  nb_config_set_string (config, "agents.defaults.memoryModel", "small-model");
  g_assert_cmpstr (nb_config_get_memory_model (config), ==, "small-model");
}

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *history = NULL;
  g_autofree char *memory = NULL;
  guint64 inode = inode_of (f->memory_path);
  JsonObject *request;
  JsonArray *messages;
  JsonObject *tool;
  const char *prompt;

  fill (f->session, 12);
  script (f->provider, REPLY_SAVE,
          "{\"history_entry\": \"[2026-02-20 09:15] Talked about messages 0 to 6.  \","
          " \"memory_update\": \"# Memory\\n- Likes tea.\\n- Counts messages.\\n\"}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);

  /* The newest memoryWindow/2 messages stay unconsolidated. */
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 7);

  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (history, ==,
                   "[2026-01-01 10:00] Earlier entry.\n\n"
                   "[2026-02-20 09:15] Talked about messages 0 to 6.\n\n");
  memory = nb_test_read_file (f->memory_path);
  g_assert_cmpstr (memory, ==, "# Memory\n- Likes tea.\n- Counts messages.\n");
  /* Replaced, not rewritten in place. */
  g_assert_cmpuint (inode_of (f->memory_path), !=, inode);

  /* What the model was sent. */
  g_assert_cmpuint (f->provider->requests->len, ==, 1);
  json_parser_load_from_data (parser, g_ptr_array_index (f->provider->requests, 0), -1, &error);
  g_assert_no_error (error);
  request = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "small-model");
  messages = json_object_get_array_member (request, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  prompt = json_object_get_string_member (json_array_get_object_element (messages, 1), "content");
  g_assert_nonnull (strstr (prompt, "- Likes tea."));
  g_assert_nonnull (strstr (prompt, "] USER: message 0\n"));
  g_assert_nonnull (strstr (prompt, "] ASSISTANT: message 5\n"));
  g_assert_nonnull (strstr (prompt, "] USER: message 6\n"));
  g_assert_null (strstr (prompt, "message 7"));
  tool = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (request, "tools"), 0), "function");
  g_assert_cmpstr (json_object_get_string_member (tool, "name"), ==, "save_memory");
  {
    JsonObject *parameters = json_object_get_object_member (tool, "parameters");
    JsonArray *required = json_object_get_array_member (parameters, "required");
    JsonObject *properties = json_object_get_object_member (parameters, "properties");

    g_assert_cmpuint (json_array_get_length (required), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (required, 0), ==, "history_entry");
    g_assert_cmpstr (json_array_get_string_element (required, 1), ==, "memory_update");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (properties, "history_entry"), "type"), ==, "string");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (properties, "memory_update"), "type"), ==, "string");
  }
}

static void
test_unchanged_memory_not_written (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint64 inode = inode_of (f->memory_path);

  fill (f->session, 10);
  script (f->provider, REPLY_SAVE,
          "{\"history_entry\": \"[2026-02-20 09:15] Nothing new.\", \"memory_update\": \"# Memory\\n- Likes tea.\\n\"}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inode_of (f->memory_path), ==, inode);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 5);
}

/* An empty memory_update is "nothing new", never "forget everything";
 * "" used to hang the consolidation on a GIO critical. */
static void
test_empty_update_keeps_memory (Fixture       *f,
                                gconstpointer  data)
{
  static const char * const updates[] = { "", "  \\n " };
  g_autofree char *memory_before = nb_test_read_file (f->memory_path);
  guint64 inode = inode_of (f->memory_path);

  for (guint i = 0; i < G_N_ELEMENTS (updates); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *arguments = g_strdup_printf ("{\"history_entry\": \"[2026-02-20 09:15] Entry %u.\", "
                                                    "\"memory_update\": \"%s\"}", i, updates[i]);
      g_autofree char *memory = NULL;
      g_autofree char *history = NULL;
      g_autofree char *entry = g_strdup_printf ("[2026-02-20 09:15] Entry %u.\n\n", i);

      fill (f->session, 10);
      script (f->provider, REPLY_SAVE, arguments);
      g_assert_true (consolidate (f, FALSE, &error));
      g_assert_no_error (error);

      memory = nb_test_read_file (f->memory_path);
      g_assert_cmpstr (memory, ==, memory_before);
      g_assert_cmpuint (inode_of (f->memory_path), ==, inode);
      history = nb_test_read_file (f->history_path);
      g_assert_true (g_str_has_suffix (history, entry));
    }
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 15);
}

static void
test_failures_change_nothing (Fixture       *f,
                              gconstpointer  data)
{
  static const struct { ReplyKind kind; const char *arguments; int code; } cases[] = {
    { REPLY_ERROR, NULL, NB_PROVIDER_ERROR_SERVER },
    { REPLY_TEXT, NULL, NB_MEMORY_ERROR_NO_TOOL_CALL },
    { REPLY_RAW_ARGS, "{\"history_entry\": \"cut", NB_MEMORY_ERROR_BAD_ARGUMENTS },
    { REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] x\"}", NB_MEMORY_ERROR_BAD_ARGUMENTS },
    { REPLY_SAVE, "{\"history_entry\": null, \"memory_update\": \"m\"}", NB_MEMORY_ERROR_BAD_ARGUMENTS },
    { REPLY_SAVE, "{\"history_entry\": \"   \", \"memory_update\": \"m\"}", NB_MEMORY_ERROR_BAD_ARGUMENTS },
  };
  g_autofree char *memory_before = nb_test_read_file (f->memory_path);
  g_autofree char *history_before = nb_test_read_file (f->history_path);

  fill (f->session, 20);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *memory = NULL;
      g_autofree char *history = NULL;

      script (f->provider, cases[i].kind, cases[i].arguments);
      g_assert_false (consolidate (f, FALSE, &error));
      g_assert_nonnull (error);
      GQuark domain = cases[i].kind == REPLY_ERROR ? NB_PROVIDER_ERROR : NB_MEMORY_ERROR;

      g_assert_error (error, domain, cases[i].code);

      memory = nb_test_read_file (f->memory_path);
      history = nb_test_read_file (f->history_path);
      g_assert_cmpstr (memory, ==, memory_before);
      g_assert_cmpstr (history, ==, history_before);
      g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 0);
    }
}

static void
test_structured_arguments (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *memory = NULL;

  fill (f->session, 10);
  /* Some models send an object where a string was asked for. */
  script (f->provider, REPLY_SAVE,
          "{\"history_entry\": \"[2026-02-20 09:15] Structured.\", \"memory_update\": {\"likes\": [\"tea\"]}}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  memory = nb_test_read_file (f->memory_path);
  g_assert_cmpstr (memory, ==, "{\"likes\":[\"tea\"]}");
}

static void
test_archive_all (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fill (f->session, 4);
  nb_session_set_last_consolidated (f->session, 1);
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] All.\", \"memory_update\": \"m\"}");
  g_assert_true (consolidate (f, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 4);
  g_assert_null (strstr (g_ptr_array_index (f->provider->requests, 0), "message 0"));
  g_assert_nonnull (strstr (g_ptr_array_index (f->provider->requests, 0), "message 3"));

  /* Nothing left: no LLM call. */
  g_assert_true (consolidate (f, TRUE, &error));
  g_assert_cmpuint (f->provider->requests->len, ==, 1);
}

static void
consolidated_cb (NbMemoryStore *store,
                 NbSession     *session,
                 gboolean       success,
                 gpointer       user_data)
{
  guint *count = user_data;

  g_assert_true (success);
  (*count)++;
}

static void
test_one_at_a_time (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *history = NULL;
  guint finished = 0;

  g_signal_connect (f->store, "consolidated", G_CALLBACK (consolidated_cb), &finished);
  fill (f->session, 10);
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] First.\", \"memory_update\": \"m1\"}");
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:16] Second.\", \"memory_update\": \"m2\"}");

  g_assert_true (nb_memory_store_maybe_consolidate (f->store, f->session, NB_PROVIDER (f->provider), "m", 10, NULL));
  g_assert_true (nb_memory_store_is_consolidating (f->store, f->session));
  /* A second background start for the same session is refused. */
  g_assert_false (nb_memory_store_maybe_consolidate (f->store, f->session, NB_PROVIDER (f->provider), "m", 10, NULL));
  /* An explicit one (/new) waits for the running one. */
  nb_memory_store_consolidate_async (f->store, f->session, NB_PROVIDER (f->provider), "m", 10, TRUE,
                                     NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  g_assert_true (nb_memory_store_consolidate_finish (f->store, result, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (finished, ==, 1);
  g_assert_cmpuint (f->provider->max_in_flight, ==, 1);
  g_assert_cmpuint (f->provider->requests->len, ==, 2);
  /* The second saw only what the first left. */
  g_assert_null (strstr (g_ptr_array_index (f->provider->requests, 1), "message 4"));
  g_assert_nonnull (strstr (g_ptr_array_index (f->provider->requests, 1), "message 5"));
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 10);
  history = nb_test_read_file (f->history_path);
  g_assert_true (g_str_has_suffix (history, "First.\n\n[2026-02-20 09:16] Second.\n\n"));
  g_assert_false (nb_memory_store_is_consolidating (f->store, f->session));
}

/* A kill after HISTORY.md was appended but before the session file saved
 * last_consolidated: the next run consolidates the same messages again,
 * and must not log them twice. */
static void
test_killed_before_save (Fixture       *f,
                         gconstpointer  data)
{
  static const char earlier[] = "[2026-01-01 10:00] Earlier entry.\n\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *history = NULL;

  fill (f->session, 10);
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] First.\", \"memory_update\": \"m1\"}");
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:16] Again.\", \"memory_update\": \"m2\"}");
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:17] Later.\", \"memory_update\": \"m3\"}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 5);

  /* Killed before the save: the session loads with its old value. */
  nb_session_set_last_consolidated (f->session, 0);
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 5);
  g_assert_cmpuint (f->provider->requests->len, ==, 1);
  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (history, ==, "[2026-01-01 10:00] Earlier entry.\n\n[2026-02-20 09:15] First.\n\n");
  g_clear_pointer (&history, g_free);

  /* Killed before the entry was appended: consolidated again. */
  nb_test_write_file (f->history_path, earlier);
  nb_session_set_last_consolidated (f->session, 0);
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->provider->requests->len, ==, 2);
  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (history, ==, "[2026-01-01 10:00] Earlier entry.\n\n[2026-02-20 09:16] Again.\n\n");
  g_clear_pointer (&history, g_free);

  /* Other messages are consolidated as usual. */
  fill (f->session, 10);
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->provider->requests->len, ==, 3);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 15);
  history = nb_test_read_file (f->history_path);
  g_assert_true (g_str_has_suffix (history, "Again.\n\n[2026-02-20 09:17] Later.\n\n"));
}

static void
test_missing_files (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *history = NULL;

  g_unlink (f->memory_path);
  g_unlink (f->history_path);
  fill (f->session, 10);
  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] First ever.\", \"memory_update\": \"- new\\n\"}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (g_ptr_array_index (f->provider->requests, 0), "(empty)"));
  memory = nb_test_read_file (f->memory_path);
  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (memory, ==, "- new\n");
  g_assert_cmpstr (history, ==, "[2026-02-20 09:15] First ever.\n\n");
}

/* issue item 4: a lone surrogate in save_memory's arguments never puts
 * invalid UTF-8 into MEMORY.md or HISTORY.md (memory would be left out of
 * every prompt after that). */
static void
test_item4_lone_surrogate_memory (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *history = NULL;

  fill (f->session, 12);
  script (f->provider, REPLY_SAVE,
          "{\"history_entry\": \"[2026-02-20 09:15] Said \\ud800hi.\","
          " \"memory_update\": \"# Memory\\n- Likes \\udc00tea.\\n\"}");
  g_assert_true (consolidate (f, FALSE, &error));
  g_assert_no_error (error);

  memory = nb_test_read_file (f->memory_path);
  g_assert_true (g_utf8_validate (memory, -1, NULL));
  g_assert_cmpstr (memory, ==, "# Memory\n- Likes \xef\xbf\xbdtea.\n");
  history = nb_test_read_file (f->history_path);
  g_assert_true (g_utf8_validate (history, -1, NULL));
  g_assert_nonnull (strstr (history, "Said \xef\xbf\xbdhi."));
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* issue item 3: a MEMORY.md that is a FIFO left the consolidation reading
 * it for ever, cancelled or not. Now it fails at once naming the file, and
 * the cancelled one ends (in a subprocess with a timeout, so that the old
 * hang fails the test instead of hanging it). */
static void
test_issue3_memory_fifo (Fixture       *f,
                         gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_unlink (f->memory_path), ==, 0);
      g_assert_cmpint (mkfifo (f->memory_path, 0600), ==, 0);
      fill (f->session, 20);
      nb_memory_store_consolidate_async (f->store, f->session, NB_PROVIDER (f->provider), "small-model",
                                         10, FALSE, cancellable, nb_test_store_result_cb, &result);
      if (g_str_equal (data, "cancelled"))
        g_timeout_add_full (G_PRIORITY_HIGH, 200, cancel_cb, g_object_ref (cancellable), g_object_unref);
      nb_test_wait_result (&result, 5000);
      g_assert_false (nb_memory_store_consolidate_finish (f->store, result, &error));
      g_assert_nonnull (error);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_assert_nonnull (strstr (error->message, f->memory_path));
          g_assert_nonnull (strstr (error->message, "not a regular file"));
        }
      g_assert_cmpuint (f->provider->requests->len, ==, 0);
      g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 15 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/memory-store/due", test_due);
  g_test_add_func ("/memory-store/model", test_model);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/memory-store/empty-update-keeps-memory", test_empty_update_keeps_memory);
  ADD ("/memory-store/success", test_success);
  ADD ("/memory-store/unchanged-memory-not-written", test_unchanged_memory_not_written);
  ADD ("/memory-store/failures-change-nothing", test_failures_change_nothing);
  ADD ("/memory-store/structured-arguments", test_structured_arguments);
  ADD ("/memory-store/archive-all", test_archive_all);
  ADD ("/memory-store/one-at-a-time", test_one_at_a_time);
  ADD ("/memory-store/missing-files", test_missing_files);
  ADD ("/memory-store/killed-before-save", test_killed_before_save);
  ADD ("/memory-store/item4-lone-surrogate-memory", test_item4_lone_surrogate_memory);
  g_test_add ("/memory-store/issue3-memory-fifo", Fixture, "plain", fixture_setup,
              test_issue3_memory_fifo, fixture_teardown);
  g_test_add ("/memory-store/issue3-memory-fifo-cancelled", Fixture, "cancelled", fixture_setup,
              test_issue3_memory_fifo, fixture_teardown);
#undef ADD

  return g_test_run ();
}
