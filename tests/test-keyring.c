/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <libsecret/secret.h>

#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-provider-keyring.h"
#include "nb-provider-registry.h"
#include "nb-test-keyring.h"
#include "nb-test-util.h"

/*
 * API keys in a real keyring (gnome-keyring-daemon on a private bus): a
 * key stored the way Preferences stores it is in the keyring and not in
 * config.json, and the next turn sends it; a plain key in config.json
 * moves into the keyring and out of the file, the rest of the file kept.
 */

typedef struct {
  char        *dir;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  NbSession   *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *key = data;
  g_autofree char *sessions = NULL;
  g_autofree char *workspace = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = nb_test_make_tmpdir ();
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"mine\": {\"x\": 1},\n"
                          " \"agents\": {\"defaults\": {\"model\": \"gpt-test\", \"provider\": \"openai\","
                          " \"workspace\": \"%s\"}},\n"
                          " \"providers\": {\"openai\": {\"apiBase\": \"%s\"%s%s%s, \"after\": true}}}\n",
                          workspace, nb_fake_llm_get_url (f->fake),
                          key != NULL ? ", \"apiKey\": \"" : "", key != NULL ? key : "", key != NULL ? "\"" : "");
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);

  nb_assistant_open_session_async (f->assistant, "desktop:keys", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  f->session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Each test starts with an empty keyring. */
  g_assert_true (secret_password_clear_sync (nb_provider_registry_get_secret_schema (), NULL, &error,
                                             "provider", "openai", NULL) || error == NULL);
  g_assert_no_error (error);

  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_clear_object (&f->session);
  g_clear_object (&f->assistant);
  g_clear_object (&f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
}

static char *
keyring_key (const char *provider)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *key;

  nb_provider_keyring_lookup_async (provider, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  key = nb_provider_keyring_lookup_finish (result, &error);
  g_assert_no_error (error);
  return key;
}

/* Runs a turn and returns the Authorization header the server saw. */
static char *
turn_authorization (Fixture *f)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream ("hello");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  guint n = nb_fake_llm_get_n_requests (f->fake);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
  nb_assistant_run_async (f->assistant, f->session, "hi", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "hello");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, n + 1);
  return g_strdup (soup_message_headers_get_one (nb_fake_llm_get_request (f->fake, n)->headers, "Authorization"));
}

static void
test_typed_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *text = NULL;

  /* No key anywhere: the server at the configured address gets none. */
  before = turn_authorization (f);
  g_assert_null (before);

  nb_provider_keyring_set_key_async (f->config, "openai", "  sk-typed-in-preferences\n", NULL,
                                     nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_provider_keyring_set_key_finish (result, &error));
  g_assert_no_error (error);
  nb_assistant_reload_provider (f->assistant);

  stored = keyring_key ("openai");
  g_assert_cmpstr (stored, ==, "sk-typed-in-preferences");
  text = nb_test_read_file (f->config_path);
  g_assert_null (strstr (text, "sk-typed"));

  after = turn_authorization (f);
  g_assert_cmpstr (after, ==, "Bearer sk-typed-in-preferences");
}

static void
test_move_plain_key (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *text = NULL;
  const char *mine;
  const char *providers;

  before = turn_authorization (f);
  g_assert_cmpstr (before, ==, "Bearer sk-plain-in-file");

  nb_provider_keyring_move_key_async (f->config, "openai", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_provider_keyring_move_key_finish (result, &error));
  g_assert_no_error (error);

  stored = keyring_key ("openai");
  g_assert_cmpstr (stored, ==, "sk-plain-in-file");
  text = nb_test_read_file (f->config_path);
  g_assert_null (strstr (text, "sk-plain"));
  g_assert_null (strstr (text, "apiKey"));
  /* Everything else stays, in its order. */
  mine = strstr (text, "\"mine\"");
  providers = strstr (text, "\"providers\"");
  g_assert_nonnull (mine);
  g_assert_nonnull (providers);
  g_assert_true (mine < providers);
  g_assert_nonnull (strstr (text, "\"after\" : true"));

  /* The config changed, so the next turn resolves again: the keyring's key. */
  after = turn_authorization (f);
  g_assert_cmpstr (after, ==, "Bearer sk-plain-in-file");
}

int
main (int   argc,
      char *argv[])
{
  NbTestKeyring *keyring;
  int status;

  g_test_init (&argc, &argv, NULL);
  keyring = nb_test_keyring_start ();

  g_test_add ("/keyring/typed-key", Fixture, NULL,
              fixture_setup, test_typed_key, fixture_teardown);
  g_test_add ("/keyring/move-plain-key", Fixture, "sk-plain-in-file",
              fixture_setup, test_move_plain_key, fixture_teardown);

  status = g_test_run ();
  nb_test_keyring_stop (keyring);
  return status;
}
