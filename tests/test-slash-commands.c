/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-slash-commands.h"
#include "nb-test-util.h"

#include "nb-test-provider.h"

typedef struct {
  char *root;
  char *workspace;
  char *history_path;
  TestProvider *provider;
  NbMemoryStore *memory;
  NbSessionStore *store;
  NbSession *session;
  char *session_path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autoptr(GError) error = NULL;

  f->root = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->root, "workspace", NULL);
  f->history_path = g_build_filename (f->workspace, "memory", "HISTORY.md", NULL);
  nb_test_write_file (f->history_path, "");
  sessions = g_build_filename (f->root, "sessions", NULL);
  f->provider = g_object_new (TEST_TYPE_PROVIDER, "name", "test", NULL);
  f->memory = nb_memory_store_new (f->workspace);
  f->store = nb_session_store_new (sessions);
  f->session = nb_session_store_open (f->store, "desktop:new", &error);
  g_assert_no_error (error);
  f->session_path = nb_session_store_get_path (f->store, "desktop:new");

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", text);

      nb_session_append (f->session, message);
    }
  nb_session_set_last_consolidated (f->session, 2);
  g_assert_true (nb_session_store_append (f->store, f->session, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->session);
  g_assert_finalize_object (f->memory);
  g_assert_finalize_object (f->provider);
  nb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->workspace);
  g_free (f->history_path);
  g_free (f->session_path);
}

static char *
run_new (Fixture  *f,
         GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_slash_command_new_async (f->memory, f->store, f->session, NB_PROVIDER (f->provider), "m", 50,
                              NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  return nb_slash_command_new_finish (result, error);
}

static void
test_parse (void)
{
  g_autofree char *help = nb_slash_command_help_text ();

  g_assert_cmpint (nb_slash_command_parse ("/new"), ==, NB_SLASH_COMMAND_NEW);
  g_assert_cmpint (nb_slash_command_parse ("  /NEW \n"), ==, NB_SLASH_COMMAND_NEW);
  g_assert_cmpint (nb_slash_command_parse ("/help"), ==, NB_SLASH_COMMAND_HELP);
  g_assert_cmpint (nb_slash_command_parse ("/stop"), ==, NB_SLASH_COMMAND_STOP);
  g_assert_cmpint (nb_slash_command_parse ("/new topic please"), ==, NB_SLASH_COMMAND_NONE);
  g_assert_cmpint (nb_slash_command_parse ("/usr/bin is a folder"), ==, NB_SLASH_COMMAND_NONE);
  g_assert_cmpint (nb_slash_command_parse ("new"), ==, NB_SLASH_COMMAND_NONE);
  g_assert_cmpint (nb_slash_command_parse (NULL), ==, NB_SLASH_COMMAND_NONE);
  g_assert_nonnull (strstr (help, "/new"));
  g_assert_nonnull (strstr (help, "/stop"));
  g_assert_nonnull (strstr (help, "/help"));
}

static void
test_new (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *history = NULL;
  g_autofree char *file = NULL;
  const char *request;

  script (f->provider, REPLY_SAVE, "{\"history_entry\": \"[2026-02-20 09:15] Lines 2 to 5.\", \"memory_update\": \"m\"}");
  reply = run_new (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);

  /* Only the unconsolidated tail was archived, all of it. */
  request = g_ptr_array_index (f->provider->requests, 0);
  g_assert_null (strstr (request, "line 1"));
  g_assert_nonnull (strstr (request, "line 2"));
  g_assert_nonnull (strstr (request, "line 5"));
  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (history, ==, "[2026-02-20 09:15] Lines 2 to 5.\n\n");

  /* Fresh session, fresh file: one metadata line. */
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 0);
  file = nb_test_read_file (f->session_path);
  g_assert_true (g_str_has_prefix (file, "{\"_type\":\"metadata\""));
  g_assert_cmpuint (strlen (file), ==, (gsize) (strchr (file, '\n') - file) + 1);
}

/* The consolidation fails: the conversation is kept whole beside the
 * new, empty session (renamed, never deleted), and the error says that
 * memory was not updated and where the old conversation is. */
static void
test_new_failure_keeps_session (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *before = nb_test_read_file (f->session_path);
  g_autofree char *after = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *history = NULL;
  const char *path;

  script (f->provider, REPLY_ERROR, NULL);
  reply = run_new (f, &error);
  g_assert_null (reply);
  g_assert_error (error, NB_SLASH_COMMAND_ERROR, NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED);
  g_assert_nonnull (strstr (error->message, "memory was not updated"));
  g_assert_nonnull (strstr (error->message, "HTTP 500"));
  path = strstr (error->message, f->session_path);
  g_assert_nonnull (path);
  kept = g_strndup (path, strcspn (path, " "));
  if (g_str_has_suffix (kept, "."))
    kept[strlen (kept) - 1] = '\0';
  g_assert_true (g_str_has_prefix (kept, f->session_path));
  g_assert_true (g_str_has_prefix (kept + strlen (f->session_path), ".archived-"));

  /* Byte for byte aside; memory untouched; the session starts afresh. */
  after = nb_test_read_file (kept);
  g_assert_cmpstr (after, ==, before);
  history = nb_test_read_file (f->history_path);
  g_assert_cmpstr (history, ==, "");
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 0);
  g_clear_pointer (&after, g_free);
  after = nb_test_read_file (f->session_path);
  g_assert_null (strstr (after, "line 0"));
}

/* Without a file to keep aside (no store), the session stays as it was. */
static void
test_new_failure_without_store (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  script (f->provider, REPLY_ERROR, NULL);
  nb_slash_command_new_async (f->memory, NULL, f->session, NB_PROVIDER (f->provider), "m", 50,
                              NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  reply = nb_slash_command_new_finish (result, &error);
  g_assert_null (reply);
  g_assert_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "kept"));
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 6);
  g_assert_cmpuint (nb_session_get_last_consolidated (f->session), ==, 2);
}

static void
test_parse_args (void)
{
  g_autofree char *args = NULL;

  g_assert_cmpint (nb_slash_command_parse_args ("/model  gpt-4.1 ", &args), ==, NB_SLASH_COMMAND_MODEL);
  g_assert_cmpstr (args, ==, "gpt-4.1");
  g_clear_pointer (&args, g_free);
  g_assert_cmpint (nb_slash_command_parse_args ("/History", &args), ==, NB_SLASH_COMMAND_HISTORY);
  g_assert_cmpstr (args, ==, "");
  g_clear_pointer (&args, g_free);
  g_assert_cmpint (nb_slash_command_parse_args ("/history 5", &args), ==, NB_SLASH_COMMAND_HISTORY);
  g_assert_cmpstr (args, ==, "5");
  g_clear_pointer (&args, g_free);
  g_assert_cmpint (nb_slash_command_parse ("/status"), ==, NB_SLASH_COMMAND_STATUS);
  g_assert_cmpint (nb_slash_command_parse ("/skill"), ==, NB_SLASH_COMMAND_SKILL);
  /* Commands without arguments stand alone; unknown words are text. */
  g_assert_cmpint (nb_slash_command_parse_args ("/status please", &args), ==, NB_SLASH_COMMAND_NONE);
  g_assert_null (args);
  g_assert_cmpint (nb_slash_command_parse ("/skills"), ==, NB_SLASH_COMMAND_NONE);
  g_assert_cmpint (nb_slash_command_parse ("/modelx"), ==, NB_SLASH_COMMAND_NONE);
  g_assert_cmpint (nb_slash_command_parse ("/"), ==, NB_SLASH_COMMAND_NONE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/slash-commands/parse", test_parse);
  g_test_add_func ("/slash-commands/parse-args", test_parse_args);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/slash-commands/new", test_new);
  ADD ("/slash-commands/new-failure-keeps-session", test_new_failure_keeps_session);
  ADD ("/slash-commands/new-failure-without-store", test_new_failure_without_store);
#undef ADD

  return g_test_run ();
}
