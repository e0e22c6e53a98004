/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-address-check.h"
#include "nb-http.h"
#include "nb-web-fetch-tool-private.h"
#include "nb-tools-test-util.h"

/*
 * SSRF: with allowPrivateHosts off, web_fetch must reach no private,
 * loopback or link-local address, however it is spelt, through redirects,
 * or through a name that resolves differently the second time (DNS
 * rebinding). The target is a real loopback server that counts requests:
 * every refusal must leave it untouched.
 */

typedef struct {
  SoupServer *server;
  char       *base;
  guint       port;
  guint       requests;
  SoupServer *target;      /* where redirects try to go */
  char       *target_base;
  guint       target_port;
  guint       target_requests;
} Fixture;

static void
target_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  guint *count = user_data;

  (*count)++;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "secret", 6);
}

static void
redirect_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Fixture *f = user_data;
  g_autofree char *location = NULL;

  f->requests++;
  if (g_str_equal (path, "/ok"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "public", 6);
      return;
    }
  if (g_str_equal (path, "/to-ip"))
    location = g_strdup_printf ("http://127.0.0.1:%u/secret", f->target_port);
  else if (g_str_equal (path, "/to-name"))
    location = g_strdup_printf ("http://localhost:%u/secret", f->target_port);
  else if (g_str_equal (path, "/to-decimal"))
    location = g_strdup_printf ("http://2130706433:%u/secret", f->target_port);
  else if (g_str_equal (path, "/to-ipv6"))
    location = g_strdup_printf ("http://[::ffff:127.0.0.1]:%u/secret", f->target_port);
  else if (g_str_equal (path, "/to-metadata"))
    location = g_strdup ("http://169.254.169.254/latest/meta-data/");
  else if (g_str_equal (path, "/to-file"))
    location = g_strdup ("file:///etc/passwd");
  else
    location = g_strdup ("/ok");
  soup_server_message_set_redirect (msg, 302, location);
}

static guint
server_port (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);
  guint port = g_uri_get_port (uris->data);

  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = nb_tools_test_server_new (&f->base);
  f->port = server_port (f->server);
  soup_server_add_handler (f->server, NULL, redirect_handler, f, NULL);
  f->target = nb_tools_test_server_new (&f->target_base);
  f->target_port = server_port (f->target);
  soup_server_add_handler (f->target, NULL, target_handler, &f->target_requests, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_http_shutdown ();
  g_assert_finalize_object (f->server);
  g_assert_finalize_object (f->target);
  g_free (f->base);
  g_free (f->target_base);
}

static void
test_address_ranges (void)
{
  static const struct { const char *address; gboolean private; } cases[] = {
    { "127.0.0.1", TRUE }, { "127.255.255.254", TRUE }, { "10.1.2.3", TRUE },
    { "172.16.0.1", TRUE }, { "172.31.255.255", TRUE }, { "172.32.0.1", FALSE },
    { "192.168.1.1", TRUE }, { "169.254.169.254", TRUE }, { "100.64.0.1", TRUE },
    { "100.127.255.255", TRUE }, { "100.128.0.1", FALSE }, { "0.0.0.0", TRUE },
    { "0.1.2.3", TRUE }, { "224.0.0.1", TRUE }, { "255.255.255.255", TRUE },
    { "198.18.0.1", TRUE }, { "8.8.8.8", FALSE }, { "93.184.216.34", FALSE },
    { "::1", TRUE }, { "::", TRUE }, { "::ffff:127.0.0.1", TRUE }, { "::ffff:10.0.0.1", TRUE },
    { "::ffff:8.8.8.8", FALSE }, { "::127.0.0.1", TRUE }, { "64:ff9b::a00:1", TRUE },
    { "2002:7f00:1::", TRUE }, { "fc00::1", TRUE }, { "fd12:3456::1", TRUE },
    { "fe80::1", TRUE }, { "febf::1", TRUE }, { "fec0::1", TRUE }, { "ff02::1", TRUE },
    { "2001:db8::1", TRUE }, { "2606:4700:4700::1111", FALSE }, { "2a00:1450::1", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (cases[i].address);

      g_assert_nonnull (address);
      if (nb_address_check_is_private (address) != cases[i].private)
        g_error ("%s: expected private=%d", cases[i].address, cases[i].private);
    }
}

/* issue item 8: every range of the IANA special-purpose registries that is
 * not globally reachable is refused, IPv4 and IPv6 (documentation,
 * benchmarking, reserved and broadcast were treated as public). */
static void
test_special_purpose_ranges (void)
{
  static const struct { const char *address; gboolean private; } cases[] = {
    { "192.0.2.1", TRUE }, { "192.0.2.255", TRUE }, { "198.51.100.7", TRUE },
    { "203.0.113.9", TRUE }, { "100.64.0.1", TRUE }, { "198.18.0.1", TRUE },
    { "198.19.255.255", TRUE }, { "198.20.0.1", FALSE }, { "240.0.0.1", TRUE },
    { "255.255.255.255", TRUE }, { "192.0.0.8", TRUE }, { "192.0.0.170", TRUE },
    { "192.88.99.1", TRUE }, { "192.0.0.9", FALSE }, { "192.0.3.1", FALSE },
    { "203.0.114.1", FALSE }, { "192.31.196.1", FALSE }, { "1.1.1.1", FALSE },
    { "::ffff:192.0.2.1", TRUE }, { "::ffff:203.0.113.1", TRUE }, { "64:ff9b::c633:6401", TRUE },
    { "2002:c000:0201::1", TRUE }, { "64:ff9b:1::1", TRUE }, { "100::1", TRUE },
    { "2001::1", TRUE }, { "2001:2::1", TRUE }, { "2001:10::1", TRUE },
    { "2001:db8:1::1", TRUE }, { "3fff::1", TRUE }, { "5f00::1", TRUE },
    { "4000::1", TRUE }, { "1::1", TRUE }, { "2001:1::1", FALSE }, { "2001:4:112::1", FALSE },
    { "2001:4860:4860::8888", FALSE }, { "2620:4f:8000::1", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (cases[i].address);

      g_assert_nonnull (address);
      if (nb_address_check_is_private (address) != cases[i].private)
        g_error ("%s: expected private=%d", cases[i].address, cases[i].private);
    }
}

static void
test_host_spellings (void)
{
  static const struct { const char *host; const char *address; } cases[] = {
    { "127.0.0.1", "127.0.0.1" }, { "2130706433", "127.0.0.1" }, { "0x7f000001", "127.0.0.1" },
    { "0X7F000001", "127.0.0.1" }, { "0177.0.0.1", "127.0.0.1" }, { "0177.0000.0000.0001", "127.0.0.1" },
    { "127.1", "127.0.0.1" }, { "127.0.1", "127.0.0.1" }, { "0x7f.1", "127.0.0.1" },
    { "127.0.0.1.", "127.0.0.1" }, { "0", "0.0.0.0" }, { "[::1]", "::1" }, { "::1", "::1" },
    { "[::ffff:127.0.0.1]", "::ffff:127.0.0.1" }, { "[fe80::1%25eth0]", "fe80::1" },
    { "3232235777", "192.168.1.1" }, { "0xa9fea9fe", "169.254.169.254" },
    { "example.com", NULL }, { "localhost", NULL }, { "cafe", NULL }, { "1.2.3.4.5", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) address = nb_address_check_parse_host (cases[i].host);
      g_autofree char *text = address != NULL ? g_inet_address_to_string (address) : NULL;

      if (g_strcmp0 (text, cases[i].address) != 0)
        g_error ("%s: got %s, expected %s", cases[i].host, text, cases[i].address);
    }
}

static char *
fetch_url (NbTool     *tool,
           const char *url)
{
  g_autofree char *quoted = nb_tools_test_quote (url);
  g_autofree char *args = g_strdup_printf ("{\"url\": %s}", quoted);

  return nb_tools_test_run (tool, args);
}

static void
assert_refused (const char *result,
                const char *url)
{
  g_autoptr(JsonObject) object = nb_tools_test_args (result);

  g_test_message ("%s → %s", url, result);
  if (!json_object_has_member (object, "error") ||
      !g_str_has_prefix (json_object_get_string_member (object, "error"), "Refused: "))
    g_error ("Not refused: %s → %s", url, result);
  g_assert_cmpstr (json_object_get_string_member (object, "url"), ==, url);
}

static void
test_literal_and_names (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(NbTool) tool = nb_web_fetch_tool_new (FALSE);
  const char *templates[] = {
    "http://127.0.0.1:%u/", "https://127.0.0.1:%u/", "http://localhost:%u/",
    "http://LOCALHOST:%u/x", "http://[::1]:%u/", "http://2130706433:%u/",
    "http://0x7f000001:%u/", "http://0177.0.0.1:%u/", "http://127.1:%u/",
    "http://0.0.0.0:%u/", "http://0:%u/", "http://[::ffff:127.0.0.1]:%u/",
    "http://[::ffff:7f00:1]:%u/", "http://127.0.0.1.:%u/", "http://user@127.0.0.1:%u/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.0.1/",
    "http://172.16.0.1/", "http://100.64.0.1/", "http://[fc00::1]/", "http://[fe80::1]/",
    "http://[::]:%u/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (templates); i++)
    {
      g_autofree char *url = g_strdup_printf (templates[i], f->port);
      g_autofree char *result = fetch_url (tool, url);

      assert_refused (result, url);
    }
  g_assert_cmpuint (f->requests, ==, 0);
}

static void
test_redirect_hops (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(NbTool) tool = nb_web_fetch_tool_new (FALSE);
  g_autofree char *allowed = g_strdup_printf ("127.0.0.1:%u", f->port);
  const char *paths[] = { "/to-ip", "/to-name", "/to-decimal", "/to-ipv6", "/to-metadata" };
  g_autofree char *ok_url = g_strdup_printf ("%s/start", f->base);
  g_autofree char *ok = NULL;
  g_autofree char *file_url = g_strdup_printf ("%s/to-file", f->base);
  g_autofree char *file = NULL;
  g_autoptr(JsonObject) ok_result = NULL;
  g_autoptr(JsonObject) file_result = NULL;

  /* Only the first server is let through (a test-only allowlist). */
  nb_web_fetch_tool_allow_host_for_testing (NB_WEB_FETCH_TOOL (tool), allowed);

  /* Positive control: a redirect that stays on the allowed server works. */
  ok = fetch_url (tool, ok_url);
  ok_result = nb_tools_test_args (ok);
  g_assert_cmpstr (json_object_get_string_member (ok_result, "text"), ==, "public");

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *url = g_strdup_printf ("%s%s", f->base, paths[i]);
      g_autofree char *result = fetch_url (tool, url);

      assert_refused (result, url);
    }
  g_assert_cmpuint (f->target_requests, ==, 0);

  file = fetch_url (tool, file_url);
  file_result = nb_tools_test_args (file);
  g_assert_cmpstr (json_object_get_string_member (file_result, "error"), ==,
                   "URL validation failed: Only http/https allowed, got 'file'");
}

/* A resolver that answers a public address the first time a name is looked
 * up and 127.0.0.1 afterwards: DNS rebinding between check and connect. */

typedef struct { GResolver parent_instance; guint lookups; } FakeResolver;
typedef struct { GResolverClass parent_class; } FakeResolverClass;

G_DEFINE_TYPE (FakeResolver, fake_resolver, G_TYPE_RESOLVER)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeResolver, g_object_unref)

static GList *
fake_answer (FakeResolver                *self,
             GResolverNameLookupFlags     flags,
             GError                     **error)
{
  if (flags == G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY)
    {
      g_set_error_literal (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no IPv6 address");
      return NULL;
    }
  return g_list_prepend (NULL, g_inet_address_new_from_string (self->lookups++ == 0 ? "93.184.216.34" : "127.0.0.1"));
}

static GList *
fake_lookup_by_name (GResolver     *resolver,
                     const char    *hostname,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return fake_answer ((FakeResolver *) resolver, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static void
fake_lookup_with_flags_async (GResolver                *resolver,
                              const char               *hostname,
                              GResolverNameLookupFlags  flags,
                              GCancellable             *cancellable,
                              GAsyncReadyCallback       callback,
                              gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *answer = fake_answer ((FakeResolver *) resolver, flags, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) g_resolver_free_addresses);
}

static void
fake_lookup_async (GResolver           *resolver,
                   const char          *hostname,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  fake_lookup_with_flags_async (resolver, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                cancellable, callback, user_data);
}

static GList *
fake_lookup_finish (GResolver     *resolver,
                    GAsyncResult  *result,
                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_resolver_class_init (FakeResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  resolver_class->lookup_by_name = fake_lookup_by_name;
  resolver_class->lookup_by_name_async = fake_lookup_async;
  resolver_class->lookup_by_name_finish = fake_lookup_finish;
  resolver_class->lookup_by_name_with_flags_async = fake_lookup_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = fake_lookup_finish;
}

static void
fake_resolver_init (FakeResolver *self)
{
}

static void
test_dns_rebinding (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(NbTool) tool = nb_web_fetch_tool_new (FALSE);
  g_autoptr(GResolver) original = g_resolver_get_default ();
  g_autoptr(FakeResolver) fake = g_object_new (fake_resolver_get_type (), NULL);
  g_autofree char *url = g_strdup_printf ("http://rebind.test:%u/secret", f->target_port);
  g_autofree char *result = NULL;
  g_autoptr(JsonObject) object = NULL;

  g_resolver_set_default (G_RESOLVER (fake));
  result = fetch_url (tool, url);
  g_resolver_set_default (original);

  assert_refused (result, url);
  object = nb_tools_test_args (result);
  g_assert_nonnull (strstr (json_object_get_string_member (object, "error"), "127.0.0.1"));
  /* The check saw the public answer; the connection got the private one. */
  g_assert_cmpuint (fake->lookups, >=, 2);
  g_assert_cmpuint (f->target_requests, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/web-fetch-ssrf/address-ranges", test_address_ranges);
  g_test_add_func ("/web-fetch-ssrf/host-spellings", test_host_spellings);
  g_test_add_func ("/web-fetch-ssrf/special-purpose-ranges", test_special_purpose_ranges);
  g_test_add ("/web-fetch-ssrf/literal-and-names", Fixture, NULL, fixture_setup, test_literal_and_names, fixture_teardown);
  g_test_add ("/web-fetch-ssrf/redirect-hops", Fixture, NULL, fixture_setup, test_redirect_hops, fixture_teardown);
  g_test_add ("/web-fetch-ssrf/dns-rebinding", Fixture, NULL, fixture_setup, test_dns_rebinding, fixture_teardown);

  return g_test_run ();
}
