/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-http.h"
#include "nb-web-fetch-tool-private.h"
#include "nb-tools-test-util.h"

/* web_fetch against a loopback SoupServer, private hosts allowed. */

static const char page[] =
  "<!DOCTYPE html><html><head><title>Test  Page</title>"
  "<style>body{color:red}</style><script>var x = 1;</script></head>"
  "<body>"
  "<header><h1>Site name</h1><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav></header>"
  "<div class=\"sidebar\">Sidebar junk</div>"
  "<main>"
  "<h1>Main title</h1>"
  "<p>First <strong>bold</strong> and <em>em</em> with a <a href=\"/docs/x?y=1\">relative link</a>.</p>"
  "<ul><li>one</li><li>two <code>code</code></li></ul>"
  "<ol><li>first</li><li>second</li></ol>"
  "<pre>line 1\n  line 2</pre>"
  "<blockquote>Quoted text</blockquote>"
  "<script>alert(1)</script>"
  "<div role=\"navigation\">Inner nav</div>"
  "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
  "<p>Caf&eacute; &amp; cr&egrave;me</p>"
  "<img src=\"/i.png\" alt=\"An image\">"
  "</main>"
  "<aside>Aside junk</aside>"
  "<footer>Footer junk</footer>"
  "</body></html>";

typedef struct {
  SoupServer *server;
  char       *base;
  GPtrArray  *paths;
  char       *accept;
  NbTool     *fetch;
} Fixture;

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->paths, g_strdup (path));
  g_free (f->accept);
  f->accept = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept"));

  if (g_str_equal (path, "/page"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC, page, strlen (page));
    }
  else if (g_str_equal (path, "/untyped"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                page, strlen (page));
    }
  else if (g_str_equal (path, "/data.json"))
    {
      static const char json[] = "{\"b\":[1,2],\"a\":\"caf\\u00e9\"}";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
    }
  else if (g_str_equal (path, "/broken.json"))
    {
      static const char json[] = "{\"b\":[1,";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
    }
  else if (g_str_has_prefix (path, "/r/"))
    {
      int n = atoi (path + 3);

      if (n > 0)
        {
          g_autofree char *next = g_strdup_printf ("/r/%d", n - 1);

          soup_server_message_set_redirect (msg, 302, next);
        }
      else
        {
          soup_server_message_set_status (msg, 200, NULL);
          soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "arrived", 7);
        }
    }
  else if (g_str_equal (path, "/big"))
    {
      char *body = g_strnfill (10000, 'x');

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, body, 10000);
    }
  else if (g_str_equal (path, "/large.html"))
    {
      GString *html = g_string_new ("<html><head><title>Large</title></head><body><nav>menu</nav><article>");
      gsize len;

      for (guint i = 0; i < 3000; i++)
        g_string_append_printf (html, "<p>Paragraph %u of the article.</p>", i);
      g_string_append (html, "</article></body></html>");
      len = html->len;
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_TAKE, g_string_free (html, FALSE), len);
    }
  else if (g_str_equal (path, "/latin1"))
    {
      static const char text[] = "caf\xe9 cr\xe8me";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=ISO-8859-1", SOUP_MEMORY_STATIC,
                                        text, sizeof text - 1);
    }
  else if (g_str_equal (path, "/binary"))
    {
      static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "image/png", SOUP_MEMORY_STATIC, png, sizeof png - 1);
    }
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "nope", 4);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = nb_tools_test_server_new (&f->base);
  f->paths = g_ptr_array_new_with_free_func (g_free);
  soup_server_add_handler (f->server, NULL, handler, f, NULL);
  f->fetch = nb_web_fetch_tool_new (TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->fetch);
  nb_http_shutdown ();
  g_assert_finalize_object (f->server);
  g_ptr_array_unref (f->paths);
  g_free (f->base);
  g_free (f->accept);
}

/* Runs web_fetch on base + @path with @extra arguments; parses the JSON. */
static JsonObject *
fetch (Fixture    *f,
       const char *path,
       const char *extra)
{
  g_autofree char *args = g_strdup_printf ("{\"url\": \"%s%s\"%s}", f->base, path, extra != NULL ? extra : "");
  g_autofree char *text = nb_tools_test_run (f->fetch, args);

  return nb_tools_test_args (text);
}

static void
test_markdown (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) result = fetch (f, "/page", NULL);
  g_autofree char *url = g_strdup_printf ("%s/page", f->base);
  g_autofree char *expected = g_strdup_printf (
    "# Test Page\n"
    "\n"
    "# Main title\n"
    "\n"
    "First **bold** and *em* with a [relative link](%s/docs/x?y=1).\n"
    "\n"
    "- one\n"
    "- two `code`\n"
    "\n"
    "1. first\n"
    "2. second\n"
    "\n"
    "```\n"
    "line 1\n"
    "  line 2\n"
    "```\n"
    "\n"
    "> Quoted text\n"
    "\n"
    "| A | B |\n"
    "| 1 | 2 |\n"
    "\n"
    "Café & crème\n"
    "\n"
    "![An image](%s/i.png)", f->base, f->base);
  const char *text = json_object_get_string_member (result, "text");

  g_assert_cmpstr (text, ==, expected);
  g_assert_cmpstr (json_object_get_string_member (result, "url"), ==, url);
  g_assert_cmpstr (json_object_get_string_member (result, "finalUrl"), ==, url);
  g_assert_cmpint (json_object_get_int_member (result, "status"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (result, "extractor"), ==, "html");
  g_assert_false (json_object_get_boolean_member (result, "truncated"));
  g_assert_cmpint (json_object_get_int_member (result, "length"), ==, g_utf8_strlen (text, -1));
  g_assert_true (g_str_has_prefix (f->accept, "text/html"));
}

static void
test_text_mode (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) result = fetch (f, "/untyped", ", \"extractMode\": \"text\"");
  const char *text = json_object_get_string_member (result, "text");

  g_assert_cmpstr (json_object_get_string_member (result, "extractor"), ==, "html");
  g_assert_true (g_str_has_prefix (text, "# Test Page\n\nMain title\n\nFirst bold and em with a relative link.\n\n- one\n- two code"));
  g_assert_null (strstr (text, "]("));
  g_assert_null (strstr (text, "**"));
  g_assert_null (strstr (text, "junk"));
  g_assert_null (strstr (text, "Inner nav"));
  g_assert_null (strstr (text, "alert"));
  g_assert_null (strstr (text, "Site name"));
}

static void
test_json (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonObject) result = fetch (f, "/data.json", NULL);
  g_autoptr(JsonObject) broken = fetch (f, "/broken.json", NULL);

  g_assert_cmpstr (json_object_get_string_member (result, "extractor"), ==, "json");
  g_assert_cmpstr (json_object_get_string_member (result, "text"), ==,
                   "{\n  \"b\" : [\n    1,\n    2\n  ],\n  \"a\" : \"café\"\n}");
  g_assert_cmpstr (json_object_get_string_member (broken, "extractor"), ==, "raw");
  g_assert_cmpstr (json_object_get_string_member (broken, "text"), ==, "{\"b\":[1,");
}

static void
test_charset (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonObject) result = fetch (f, "/latin1", NULL);

  g_assert_cmpstr (json_object_get_string_member (result, "extractor"), ==, "raw");
  g_assert_cmpstr (json_object_get_string_member (result, "text"), ==, "café crème");
}

static void
test_redirects (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) five = fetch (f, "/r/5", NULL);
  g_autoptr(JsonObject) six = NULL;
  g_autofree char *final = g_strdup_printf ("%s/r/0", f->base);
  g_autofree char *six_url = g_strdup_printf ("%s/r/6", f->base);

  g_assert_cmpstr (json_object_get_string_member (five, "finalUrl"), ==, final);
  g_assert_cmpstr (json_object_get_string_member (five, "text"), ==, "arrived");
  g_assert_cmpuint (f->paths->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (f->paths, 5), ==, "/r/0");

  g_ptr_array_set_size (f->paths, 0);
  six = fetch (f, "/r/6", NULL);
  g_assert_cmpstr (json_object_get_string_member (six, "error"), ==, "Too many redirects (more than 5)");
  g_assert_cmpstr (json_object_get_string_member (six, "url"), ==, six_url);
  /* The first request and five redirects were followed; the sixth was not. */
  g_assert_cmpuint (f->paths->len, ==, 6);
}

static void
test_limits (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) chars = fetch (f, "/big", ", \"maxChars\": 100");
  g_autoptr(JsonObject) tiny = fetch (f, "/big", ", \"maxChars\": 5");
  g_autoptr(JsonObject) capped = NULL;

  g_assert_true (json_object_get_boolean_member (chars, "truncated"));
  g_assert_cmpint (json_object_get_int_member (chars, "length"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (tiny, "length"), ==, 100);

  nb_web_fetch_tool_set_max_bytes (NB_WEB_FETCH_TOOL (f->fetch), 1000);
  capped = fetch (f, "/big", NULL);
  g_assert_true (json_object_get_boolean_member (capped, "truncated"));
  g_assert_cmpint (json_object_get_int_member (capped, "length"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (capped, "extractor"), ==, "raw");
}

static void
test_large_page (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) result = fetch (f, "/large.html", ", \"maxChars\": 1000000");
  const char *text = json_object_get_string_member (result, "text");

  g_assert_true (g_str_has_prefix (text, "# Large\n\nParagraph 0 of the article.\n\nParagraph 1 of"));
  g_assert_true (g_str_has_suffix (text, "Paragraph 2999 of the article."));
  g_assert_null (strstr (text, "menu"));
}

static void
test_failures (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) missing = fetch (f, "/missing", NULL);
  g_autoptr(JsonObject) binary = fetch (f, "/binary", NULL);
  g_autofree char *ftp = nb_tools_test_run (f->fetch, "{\"url\": \"ftp://example.com/x\"}");
  g_autofree char *file = nb_tools_test_run (f->fetch, "{\"url\": \"file:///etc/passwd\"}");
  g_autofree char *none = nb_tools_test_run (f->fetch, "{\"url\": \"example.com\"}");
  g_autofree char *no_host = nb_tools_test_run (f->fetch, "{\"url\": \"http://\"}");
  g_autofree char *odd = nb_tools_test_run (f->fetch, "{\"url\": 7}");

  g_assert_cmpstr (json_object_get_string_member (missing, "error"), ==, "HTTP 404 Not Found");
  g_assert_cmpstr (json_object_get_string_member (binary, "error"), ==, "Cannot show binary content (image/png)");
  g_assert_cmpstr (ftp, ==, "{\"error\":\"URL validation failed: Only http/https allowed, got 'ftp'\",\"url\":\"ftp://example.com/x\"}");
  g_assert_cmpstr (file, ==, "{\"error\":\"URL validation failed: Only http/https allowed, got 'file'\",\"url\":\"file:///etc/passwd\"}");
  g_assert_cmpstr (none, ==, "{\"error\":\"URL validation failed: Only http/https allowed, got 'none'\",\"url\":\"example.com\"}");
  g_assert_true (g_str_has_prefix (no_host, "{\"error\":\"URL validation failed: "));
  g_assert_true (g_str_has_prefix (odd, "{\"error\":\"URL validation failed: missing string parameter 'url'\""));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *args = g_strdup_printf ("{\"url\": \"%s/page\"}", f->base);
  g_autofree char *text = NULL;

  g_cancellable_cancel (cancellable);
  text = nb_tools_test_run_full (f->fetch, args, cancellable, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/web-fetch/markdown", Fixture, NULL, fixture_setup, test_markdown, fixture_teardown);
  g_test_add ("/web-fetch/text-mode", Fixture, NULL, fixture_setup, test_text_mode, fixture_teardown);
  g_test_add ("/web-fetch/json", Fixture, NULL, fixture_setup, test_json, fixture_teardown);
  g_test_add ("/web-fetch/charset", Fixture, NULL, fixture_setup, test_charset, fixture_teardown);
  g_test_add ("/web-fetch/redirects", Fixture, NULL, fixture_setup, test_redirects, fixture_teardown);
  g_test_add ("/web-fetch/limits", Fixture, NULL, fixture_setup, test_limits, fixture_teardown);
  g_test_add ("/web-fetch/large-page", Fixture, NULL, fixture_setup, test_large_page, fixture_teardown);
  g_test_add ("/web-fetch/failures", Fixture, NULL, fixture_setup, test_failures, fixture_teardown);
  g_test_add ("/web-fetch/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);

  return g_test_run ();
}
