/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-http.h"
#include "nb-web-search-tool.h"
#include "nb-tools-test-util.h"

/* One loopback server answering like each provider, recording what it got. */

typedef struct {
  SoupServer *server;
  char       *base;
  guint       requests;
  char       *method;
  char       *path;
  GHashTable *query;
  char       *token;
  char       *auth;
  char       *accept;
  char       *body;
  guint       status;
  const char *reply_type;
  const char *reply;
} Fixture;

static const char brave_reply[] =
  "{\"type\":\"search\",\"query\":{\"original\":\"gnome\"},"
  "\"web\":{\"type\":\"search\",\"results\":["
  "{\"title\":\"The <strong>GNOME</strong> Project\",\"url\":\"https://www.gnome.org/\","
  "\"description\":\"GNOME is a <strong>free</strong> desktop &amp; more\",\"profile\":{\"name\":\"GNOME\"}},"
  "{\"title\":\"GNOME - Wikipedia\",\"url\":\"https://en.wikipedia.org/wiki/GNOME\","
  "\"description\":\"  GNOME is a\\n desktop   environment.  \"},"
  "{\"title\":\"No snippet\",\"url\":\"https://example.org/\"}"
  "]}}";

static const char searxng_reply[] =
  "{\"query\":\"gtk\",\"number_of_results\":0,\"results\":["
  "{\"url\":\"https://gtk.org/\",\"title\":\"The GTK Project\",\"content\":\"A free toolkit\",\"engine\":\"duckduckgo\",\"score\":1.0},"
  "{\"url\":\"https://docs.gtk.org/\",\"title\":\"GTK docs\",\"content\":\"API references\",\"engine\":\"bing\"},"
  "{\"url\":\"https://blog.gtk.org/\",\"title\":\"GTK blog\",\"content\":\"News\",\"engine\":\"bing\"}"
  "],\"answers\":[],\"corrections\":[],\"infoboxes\":[],\"suggestions\":[],\"unresponsive_engines\":[]}";

static const char tavily_reply[] =
  "{\"query\":\"libsoup\",\"follow_up_questions\":null,\"answer\":null,\"images\":[],"
  "\"results\":[{\"title\":\"libsoup\",\"url\":\"https://libsoup.gnome.org/\","
  "\"content\":\"An HTTP client/server library\",\"score\":0.98,\"raw_content\":null}],"
  "\"response_time\":1.2}";

static const char ddg_reply[] =
  "<!DOCTYPE html><html><head><title>meson at DuckDuckGo</title></head><body>"
  "<div class=\"serp__results\"><div id=\"links\" class=\"results\">"
  "<div class=\"result results_links results_links_deep result--ad \">"
  "<div class=\"links_main links_deep result__body\"><h2 class=\"result__title\">"
  "<a class=\"result__a\" href=\"https://duckduckgo.com/y.js?ad=1\">Buy build systems</a></h2>"
  "<a class=\"result__snippet\" href=\"#\">Ad text</a></div></div>"
  "<div class=\"result results_links results_links_deep web-result \">"
  "<div class=\"links_main links_deep result__body\"><h2 class=\"result__title\">"
  "<a rel=\"nofollow\" class=\"result__a\" href=\"//duckduckgo.com/l/?uddg=https%3A%2F%2Fmesonbuild.com%2F&amp;rut=abc\">The <b>Meson</b> Build system</a></h2>"
  "<div class=\"result__extras\"><div class=\"result__extras__url\"><a class=\"result__url\" href=\"//duckduckgo.com/l/?uddg=https%3A%2F%2Fmesonbuild.com%2F\">mesonbuild.com</a></div></div>"
  "<a class=\"result__snippet\" href=\"//duckduckgo.com/l/?uddg=https%3A%2F%2Fmesonbuild.com%2F\">Meson is an open source build system meant to be both <b>fast</b> &amp; user friendly.</a>"
  "<div class=\"clear\"></div></div></div>"
  "<div class=\"result results_links results_links_deep web-result \">"
  "<div class=\"links_main links_deep result__body\"><h2 class=\"result__title\">"
  "<a rel=\"nofollow\" class=\"result__a\" href=\"//duckduckgo.com/l/?uddg=https%3A%2F%2Fgithub.com%2Fmesonbuild%2Fmeson%3Ftab%3Dreadme&amp;rut=def\">GitHub - mesonbuild/meson</a></h2>"
  "<a class=\"result__snippet\" href=\"#\">The Meson Build System. Contribute on GitHub.</a>"
  "</div></div>"
  "</div></div></body></html>";

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  f->requests++;
  g_free (f->method);
  f->method = g_strdup (soup_server_message_get_method (msg));
  g_free (f->path);
  f->path = g_strdup (path);
  g_clear_pointer (&f->query, g_hash_table_unref);
  if (query != NULL)
    f->query = g_hash_table_ref (query);
  g_free (f->token);
  f->token = g_strdup (soup_message_headers_get_one (headers, "X-Subscription-Token"));
  g_free (f->auth);
  f->auth = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  g_free (f->accept);
  f->accept = g_strdup (soup_message_headers_get_one (headers, "Accept"));
  g_free (f->body);
  f->body = g_strndup (body->data, body->length);

  soup_server_message_set_status (msg, f->status, NULL);
  soup_server_message_set_response (msg, f->reply_type, SOUP_MEMORY_STATIC, f->reply, strlen (f->reply));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = nb_tools_test_server_new (&f->base);
  f->status = 200;
  f->reply_type = "application/json";
  soup_server_add_handler (f->server, NULL, handler, f, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  nb_http_shutdown ();
  g_assert_finalize_object (f->server);
  g_free (f->base);
  g_free (f->method);
  g_free (f->path);
  g_clear_pointer (&f->query, g_hash_table_unref);
  g_free (f->token);
  g_free (f->auth);
  g_free (f->accept);
  g_free (f->body);
}

static const char *
query_param (Fixture    *f,
             const char *name)
{
  g_assert_nonnull (f->query);
  return g_hash_table_lookup (f->query, name);
}

static char *
search (Fixture    *f,
        const char *provider,
        const char *key,
        const char *args)
{
  g_autoptr(NbTool) tool = nb_web_search_tool_new (provider, key, f->base, 5);

  return nb_tools_test_run (tool, args);
}

static void
test_brave (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *text = NULL;

  f->reply = brave_reply;
  text = search (f, "brave", "KEY1", "{\"query\": \"gnome\", \"count\": 3}");
  g_assert_cmpstr (text, ==,
                   "Results for: gnome\n"
                   "\n1. The GNOME Project\n   https://www.gnome.org/\n   GNOME is a free desktop & more"
                   "\n2. GNOME - Wikipedia\n   https://en.wikipedia.org/wiki/GNOME\n   GNOME is a desktop environment."
                   "\n3. No snippet\n   https://example.org/");

  g_assert_cmpstr (f->method, ==, "GET");
  g_assert_cmpstr (f->path, ==, "/res/v1/web/search");
  g_assert_cmpstr (query_param (f, "q"), ==, "gnome");
  g_assert_cmpstr (query_param (f, "count"), ==, "3");
  g_assert_cmpstr (f->token, ==, "KEY1");
  g_assert_cmpstr (f->accept, ==, "application/json");
}

static void
test_searxng (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *text = NULL;

  f->reply = searxng_reply;
  text = search (f, "searxng", NULL, "{\"query\": \"gtk & more\", \"count\": 2}");
  g_assert_cmpstr (text, ==,
                   "Results for: gtk & more\n"
                   "\n1. The GTK Project\n   https://gtk.org/\n   A free toolkit"
                   "\n2. GTK docs\n   https://docs.gtk.org/\n   API references");
  g_assert_cmpstr (f->method, ==, "GET");
  g_assert_cmpstr (f->path, ==, "/search");
  g_assert_cmpstr (query_param (f, "q"), ==, "gtk & more");
  g_assert_cmpstr (query_param (f, "format"), ==, "json");
}

/* issue item 4: lone surrogate escapes in a search API's reply become
 * U+FFFD; the result is valid UTF-8 and nothing after them is lost. */
static void
test_item4_lone_surrogates (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *text = NULL;

  f->reply = "{\"results\":[{\"url\":\"https://gtk.org/\",\"title\":\"GTK \\ud800\","
             "\"content\":\"a\\udc00b\"}]}";
  text = search (f, "searxng", NULL, "{\"query\": \"gtk\", \"count\": 1}");
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==,
                   "Results for: gtk\n"
                   "\n1. GTK \xEF\xBF\xBD\n   https://gtk.org/\n   a\xEF\xBF\xBD" "b");
}

static void
test_tavily (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) sent = NULL;

  f->reply = tavily_reply;
  text = search (f, "Tavily", "tvly-KEY", "{\"query\": \"libsoup\", \"count\": 2}");
  g_assert_cmpstr (text, ==,
                   "Results for: libsoup\n"
                   "\n1. libsoup\n   https://libsoup.gnome.org/\n   An HTTP client/server library");
  g_assert_cmpstr (f->method, ==, "POST");
  g_assert_cmpstr (f->path, ==, "/search");
  g_assert_cmpstr (f->auth, ==, "Bearer tvly-KEY");
  sent = nb_tools_test_args (f->body);
  g_assert_cmpstr (json_object_get_string_member (sent, "query"), ==, "libsoup");
  g_assert_cmpint (json_object_get_int_member (sent, "max_results"), ==, 2);
}

static void
test_duckduckgo (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *text = NULL;

  f->reply = ddg_reply;
  f->reply_type = "text/html; charset=UTF-8";
  text = search (f, "duckduckgo", NULL, "{\"query\": \"meson\"}");
  g_assert_cmpstr (text, ==,
                   "Results for: meson\n"
                   "\n1. The Meson Build system\n   https://mesonbuild.com/\n"
                   "   Meson is an open source build system meant to be both fast & user friendly."
                   "\n2. GitHub - mesonbuild/meson\n   https://github.com/mesonbuild/meson?tab=readme\n"
                   "   The Meson Build System. Contribute on GitHub.");
  g_assert_cmpstr (f->method, ==, "GET");
  g_assert_cmpstr (f->path, ==, "/html/");
  g_assert_cmpstr (query_param (f, "q"), ==, "meson");
}

static void
test_missing_settings (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(NbTool) searx = nb_web_search_tool_new ("searxng", NULL, NULL, 5);
  g_autoptr(NbTool) odd = nb_web_search_tool_new ("altavista", NULL, f->base, 5);
  g_autofree char *brave = NULL, *tavily = NULL, *no_base = NULL, *unknown = NULL;

  brave = search (f, "brave", NULL, "{\"query\": \"x\"}");
  g_assert_true (g_str_has_prefix (brave, "Error: Brave Search needs an API key: set tools.web.search.apiKey"));
  tavily = search (f, "tavily", "", "{\"query\": \"x\"}");
  g_assert_true (g_str_has_prefix (tavily, "Error: Tavily needs an API key: set tools.web.search.apiKey"));
  no_base = nb_tools_test_run (searx, "{\"query\": \"x\"}");
  g_assert_cmpstr (no_base, ==, "Error: SearXNG needs the address of an instance: set tools.web.search.baseUrl");
  unknown = nb_tools_test_run (odd, "{\"query\": \"x\"}");
  g_assert_true (g_str_has_prefix (unknown, "Error: unknown search provider 'altavista'"));
  g_assert_cmpuint (f->requests, ==, 0);
}

static void
test_bad_replies (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *http = NULL, *malformed = NULL, *wrong = NULL, *empty = NULL, *ddg_empty = NULL;
  g_autofree char *ddg_challenge = NULL;

  f->reply = "{\"error\": \"boom\"}";
  f->status = 500;
  http = search (f, "brave", "K", "{\"query\": \"x\"}");
  g_assert_cmpstr (http, ==, "Error: brave search failed (HTTP 500 Internal Server Error)");

  f->status = 200;
  f->reply = "{\"web\": {\"results\": [";
  malformed = search (f, "brave", "K", "{\"query\": \"x\"}");
  g_assert_true (g_str_has_prefix (malformed, "Error: brave search failed (malformed JSON"));

  f->reply = "{\"results\": 42}";
  wrong = search (f, "searxng", NULL, "{\"query\": \"x\"}");
  g_assert_cmpstr (wrong, ==, "Error: searxng search failed (\"results\" is not an array)");

  f->reply = "{\"type\": \"search\"}";
  empty = search (f, "brave", "K", "{\"query\": \"nothing here\"}");
  g_assert_cmpstr (empty, ==, "No results for: nothing here");

  f->reply = "<html><body><p>No results.</p></body></html>";
  f->reply_type = "text/html";
  ddg_empty = search (f, "duckduckgo", NULL, "{\"query\": \"zzz\"}");
  g_assert_cmpstr (ddg_empty, ==, "No results for: zzz");

  f->status = 202;
  f->reply = "<html><body><form id=\"challenge-form\">anomaly</form></body></html>";
  ddg_challenge = search (f, "duckduckgo", NULL, "{\"query\": \"zzz\"}");
  g_assert_true (g_str_has_prefix (ddg_challenge, "Error: duckduckgo search failed (the service asked for a challenge"));
}

static void
test_unreachable (void)
{
  g_autoptr(NbTool) tool = NULL;
  g_autofree char *text = NULL;
  g_autofree char *base = NULL;
  SoupServer *server = nb_tools_test_server_new (&base);

  /* A port that was just free: nothing listens there any more. */
  g_assert_finalize_object (server);
  tool = nb_web_search_tool_new ("searxng", NULL, base, 5);
  text = nb_tools_test_run (tool, "{\"query\": \"x\"}");
  g_assert_true (g_str_has_prefix (text, "Error: searxng search failed ("));
  nb_http_shutdown ();
}

int
main (int   argc,
      char *argv[])
{
  /* The keys' environment fallbacks must not leak in from the caller. */
  g_unsetenv ("BRAVE_API_KEY");
  g_unsetenv ("TAVILY_API_KEY");
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/web-search/brave", Fixture, NULL, fixture_setup, test_brave, fixture_teardown);
  g_test_add ("/web-search/searxng", Fixture, NULL, fixture_setup, test_searxng, fixture_teardown);
  g_test_add ("/web-search/tavily", Fixture, NULL, fixture_setup, test_tavily, fixture_teardown);
  g_test_add ("/web-search/duckduckgo", Fixture, NULL, fixture_setup, test_duckduckgo, fixture_teardown);
  g_test_add ("/web-search/missing-settings", Fixture, NULL, fixture_setup, test_missing_settings, fixture_teardown);
  g_test_add ("/web-search/bad-replies", Fixture, NULL, fixture_setup, test_bad_replies, fixture_teardown);
  g_test_add ("/web-search/item4-lone-surrogates", Fixture, NULL, fixture_setup, test_item4_lone_surrogates,
              fixture_teardown);
  g_test_add_func ("/web-search/unreachable", test_unreachable);

  return g_test_run ();
}
