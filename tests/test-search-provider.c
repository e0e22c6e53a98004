/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-search-provider.h"
#include "nb-session-store.h"
#include "nb-test-util.h"

/* GNOME Shell's search provider on a private bus (GTestDBus), called as
 * the Shell calls it, from another connection: results come from titles
 * and from message contents (the sidebar's search), subsearches narrow
 * them, metas carry the title and the snippet, and activating a result
 * names the conversation. */

#define TIMEOUT_MS 10000

typedef struct {
  GTestDBus        *bus;
  GDBusConnection  *app_connection;
  GDBusConnection  *shell_connection;
  char             *dir;
  NbSearchProvider *provider;
  char             *activated;
} Fixture;

static GDBusConnection *
new_connection (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

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
activate_result_cb (NbSearchProvider *provider,
                    const char       *key,
                    guint             timestamp,
                    Fixture          *f)
{
  g_free (f->activated);
  f->activated = g_strdup (key);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->app_connection = new_connection ();
  f->shell_connection = new_connection ();
  f->dir = nb_test_make_tmpdir ();

  write_session (f, "desktop:zebra1", "2026-01-02T10:00:00",
                 "{\"role\":\"user\",\"content\":\"Tell me about zebras in Kenya\"}\n"
                 "{\"role\":\"assistant\",\"content\":\"Plains zebras live in herds.\"}\n");
  write_session (f, "quick:quick1", "2026-01-03T10:00:00",
                 "{\"role\":\"user\",\"content\":\"Convert 3 miles to km\"}\n"
                 "{\"role\":\"assistant\",\"content\":\"About 4.8 km; zebras run 65 km/h.\"}\n");
  write_session (f, "desktop:other", "2026-01-04T10:00:00",
                 "{\"role\":\"user\",\"content\":\"Write a haiku\"}\n");

  f->provider = nb_search_provider_new (f->dir, NULL);
  g_signal_connect (f->provider, "activate-result", G_CALLBACK (activate_result_cb), f);
  nb_search_provider_export (f->provider, f->app_connection, NB_SEARCH_PROVIDER_PATH, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->provider);
  g_dbus_connection_close_sync (f->app_connection, NULL, NULL);
  g_dbus_connection_close_sync (f->shell_connection, NULL, NULL);
  g_clear_object (&f->app_connection);
  g_clear_object (&f->shell_connection);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->activated);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
}

/* Asynchronous, with the main loop running: the provider answers from it
 * and must never make the caller wait on a blocked loop. */
static GVariant *
call (Fixture    *f,
      const char *method,
      GVariant   *parameters)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  g_dbus_connection_call (f->shell_connection, g_dbus_connection_get_unique_name (f->app_connection),
                          NB_SEARCH_PROVIDER_PATH, "org.gnome.Shell.SearchProvider2", method, parameters,
                          NULL, G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, TIMEOUT_MS);
  reply = g_dbus_connection_call_finish (f->shell_connection, result, &error);
  g_assert_no_error (error);
  return reply;
}

static char *
results_of (GVariant *reply)
{
  g_autofree const char **keys = NULL;

  g_variant_get (reply, "(^a&s)", &keys);
  return g_strjoinv (",", (char **) keys);
}

static void
test_initial (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *results = NULL;

  /* As in the sidebar: title matches (the first user message is the
   * title), then content matches; case-insensitive. */
  reply = call (f, "GetInitialResultSet", g_variant_new_parsed ("(['ZEBRAS'],)"));
  results = results_of (reply);
  g_assert_cmpstr (results, ==, "desktop:zebra1,quick:quick1");

  /* Nothing matches: no results, not an error. */
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&results, g_free);
  reply = call (f, "GetInitialResultSet", g_variant_new_parsed ("(['giraffe'],)"));
  results = results_of (reply);
  g_assert_cmpstr (results, ==, "");
}

static void
test_subsearch (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *results = NULL;

  /* "zebras kenya" is in one conversation only; a previous result set
   * that lacks it leaves nothing. */
  reply = call (f, "GetSubsearchResultSet",
                g_variant_new_parsed ("(['quick:quick1', 'desktop:zebra1'], ['zebras', 'in', 'kenya'])"));
  results = results_of (reply);
  g_assert_cmpstr (results, ==, "desktop:zebra1");

  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&results, g_free);
  reply = call (f, "GetSubsearchResultSet", g_variant_new_parsed ("(['quick:quick1'], ['zebras in kenya'])"));
  results = results_of (reply);
  g_assert_cmpstr (results, ==, "");
}

static void
test_metas_and_activate (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) metas = NULL;
  g_autoptr(GVariant) meta = NULL;
  const char *s;

  /* A content match: the snippet is the description. */
  g_variant_unref (call (f, "GetInitialResultSet", g_variant_new_parsed ("(['herds'],)")));
  reply = call (f, "GetResultMetas", g_variant_new_parsed ("(['desktop:zebra1'],)"));
  metas = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (metas), ==, 1);
  meta = g_variant_get_child_value (metas, 0);
  g_assert_true (g_variant_lookup (meta, "id", "&s", &s));
  g_assert_cmpstr (s, ==, "desktop:zebra1");
  g_assert_true (g_variant_lookup (meta, "name", "&s", &s));
  g_assert_true (g_str_has_prefix (s, "Tell me about zebras"));
  g_assert_true (g_variant_lookup (meta, "description", "&s", &s));
  g_assert_nonnull (strstr (s, "live in herds"));
  {
    g_autoptr(GVariant) icon = g_variant_lookup_value (meta, "icon", NULL);

    g_assert_nonnull (icon);
  }

  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "ActivateResult", g_variant_new_parsed ("('desktop:zebra1', ['kenya'], @u 0)"));
  g_assert_cmpstr (f->activated, ==, "desktop:zebra1");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/search-provider/initial", Fixture, NULL, fixture_setup, test_initial, fixture_teardown);
  g_test_add ("/search-provider/subsearch", Fixture, NULL, fixture_setup, test_subsearch, fixture_teardown);
  g_test_add ("/search-provider/metas-and-activate", Fixture, NULL, fixture_setup, test_metas_and_activate,
              fixture_teardown);

  return g_test_run ();
}
