/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-web-search"

#include "config.h"

#include <string.h>
#include <libxml/HTMLparser.h>

#include "nb-json-util.h"
#include "nb-web-search-tool.h"
#include "nb-web-util.h"

#define SEARCH_TIMEOUT_SECONDS 15
#define SEARCH_MAX_BYTES (2 * 1024 * 1024)

struct _NbWebSearchTool
{
  NbTool  parent_instance;

  char   *provider;
  char   *api_key;
  char   *base_url;
  guint   max_results;
};

G_DEFINE_FINAL_TYPE (NbWebSearchTool, nb_web_search_tool, NB_TYPE_TOOL)

typedef enum {
  PROVIDER_BRAVE,
  PROVIDER_SEARXNG,
  PROVIDER_TAVILY,
  PROVIDER_DUCKDUCKGO,
} Provider;

static const char * const provider_names[] = { "brave", "searxng", "tavily", "duckduckgo" };

typedef struct
{
  Provider  provider;
  char     *query;
  guint     count;
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_free (data->query);
  g_free (data);
}

typedef struct
{
  char *title;
  char *url;
  char *snippet;
} Hit;

static void
hit_free (Hit *hit)
{
  g_free (hit->title);
  g_free (hit->url);
  g_free (hit->snippet);
  g_free (hit);
}

static void
add_hit (GPtrArray  *hits,
         const char *title,
         const char *url,
         const char *snippet)
{
  Hit *hit = g_new0 (Hit, 1);

  hit->title = nb_web_strip_tags (title != NULL ? title : "");
  hit->url = g_strdup (url != NULL ? url : "");
  hit->snippet = nb_web_strip_tags (snippet != NULL ? snippet : "");
  g_ptr_array_add (hits, hit);
}

/* "Results for: q", then "1. title\n   url\n   snippet" per hit. */
static char *
format_hits (const char *query,
             GPtrArray  *hits,
             guint       count)
{
  GString *out;

  if (hits->len == 0)
    return g_strdup_printf ("No results for: %s", query);

  out = g_string_new (NULL);
  g_string_append_printf (out, "Results for: %s\n", query);
  for (guint i = 0; i < hits->len && i < count; i++)
    {
      Hit *hit = g_ptr_array_index (hits, i);

      g_string_append_printf (out, "\n%u. %s\n   %s", i + 1, hit->title, hit->url);
      if (hit->snippet[0] != '\0')
        g_string_append_printf (out, "\n   %s", hit->snippet);
    }
  return g_string_free (out, FALSE);
}

/* Reads results[] {title, url, <snippet_member>} below @path ("web" for Brave). */
static gboolean
parse_json_hits (GBytes      *body,
                 const char  *container,
                 const char  *snippet_member,
                 GPtrArray   *hits,
                 char       **error_text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;
  JsonObject *object;
  JsonNode *results;
  JsonArray *array;

  if (len == 0 || !nb_json_parser_load (parser, data, len, &error))
    {
      *error_text = g_strdup_printf ("malformed JSON (%s)", error != NULL ? error->message : "empty body");
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      *error_text = g_strdup ("the response is not a JSON object");
      return FALSE;
    }
  object = json_node_get_object (root);
  if (container != NULL)
    {
      JsonNode *inner = json_object_get_member (object, container);

      /* Brave leaves "web" out when nothing was found. */
      if (inner == NULL || JSON_NODE_HOLDS_NULL (inner))
        return TRUE;
      if (!JSON_NODE_HOLDS_OBJECT (inner))
        {
          *error_text = g_strdup_printf ("\"%s\" is not an object", container);
          return FALSE;
        }
      object = json_node_get_object (inner);
    }

  results = json_object_get_member (object, "results");
  if (results == NULL || JSON_NODE_HOLDS_NULL (results))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (results))
    {
      *error_text = g_strdup ("\"results\" is not an array");
      return FALSE;
    }
  array = json_node_get_array (results);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *hit;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      hit = json_node_get_object (item);
      add_hit (hits, nb_json_get_string (hit, "title"), nb_json_get_string (hit, "url"),
               nb_json_get_string (hit, snippet_member));
    }
  return TRUE;
}

/* DuckDuckGo's HTML endpoint */

static gboolean
has_class (xmlNode    *node,
           const char *name)
{
  g_autofree xmlChar *classes = xmlGetProp (node, (const xmlChar *) "class");
  g_auto(GStrv) tokens = NULL;

  if (classes == NULL)
    return FALSE;
  tokens = g_strsplit_set ((const char *) classes, " \t\n", -1);
  return g_strv_contains ((const char * const *) tokens, name);
}

static xmlNode *
find_by_class (xmlNode    *node,
               const char *name)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      xmlNode *found;

      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (has_class (child, name))
        return child;
      if ((found = find_by_class (child, name)) != NULL)
        return found;
    }
  return NULL;
}

static char *
node_text (xmlNode *node)
{
  g_autofree xmlChar *content = NULL;

  if (node == NULL)
    return g_strdup ("");
  content = xmlNodeGetContent (node);
  return g_strdup (content != NULL ? (const char *) content : "");
}

/* Result links go through "//duckduckgo.com/l/?uddg=<target>&rut=…". */
static char *
ddg_target_url (const char *href)
{
  const char *uddg;

  if (href == NULL)
    return g_strdup ("");
  uddg = strstr (href, "uddg=");
  if (uddg != NULL)
    {
      const char *end = strchr (uddg, '&');
      g_autofree char *encoded = end != NULL ? g_strndup (uddg + 5, end - uddg - 5) : g_strdup (uddg + 5);
      char *decoded = g_uri_unescape_string (encoded, NULL);

      if (decoded != NULL)
        return decoded;
    }
  if (g_str_has_prefix (href, "//"))
    return g_strconcat ("https:", href, NULL);
  return g_strdup (href);
}

static void
collect_ddg_results (xmlNode   *node,
                     GPtrArray *hits)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type != XML_ELEMENT_NODE)
        continue;

      if (has_class (child, "result") && !has_class (child, "result--ad"))
        {
          xmlNode *link = find_by_class (child, "result__a");
          xmlNode *snippet = find_by_class (child, "result__snippet");
          g_autofree xmlChar *href = NULL;
          g_autofree char *title = NULL;
          g_autofree char *url = NULL;
          g_autofree char *text = NULL;

          if (link == NULL)
            continue;
          href = xmlGetProp (link, (const xmlChar *) "href");
          url = ddg_target_url ((const char *) href);
          title = node_text (link);
          text = node_text (snippet);
          /* Already plain text: keep "<" literal through strip_tags. */
          {
            Hit *hit = g_new0 (Hit, 1);

            hit->title = nb_web_normalize_ws (title);
            hit->url = g_steal_pointer (&url);
            hit->snippet = nb_web_normalize_ws (text);
            g_ptr_array_add (hits, hit);
          }
        }
      else
        collect_ddg_results (child, hits);
    }
}

static void
parse_ddg_hits (GBytes    *body,
                GPtrArray *hits)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  htmlDocPtr doc;

  if (len == 0)
    return;
  doc = htmlReadMemory (data, (int) MIN (len, G_MAXINT), NULL, "UTF-8",
                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (doc == NULL)
    return;
  if (xmlDocGetRootElement (doc) != NULL)
    collect_ddg_results ((xmlNode *) doc, hits);
  xmlFreeDoc (doc);
}

/* Requests */

static char *
origin (NbWebSearchTool *self,
        const char      *default_origin)
{
  const char *base = self->base_url != NULL && self->base_url[0] != '\0' ? self->base_url : default_origin;
  g_autofree char *trimmed = g_strdup (base);
  gsize len = strlen (trimmed);

  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';
  return g_steal_pointer (&trimmed);
}

static char *
get_key (NbWebSearchTool *self,
         const char      *env_name)
{
  if (self->api_key != NULL && self->api_key[0] != '\0')
    return g_strdup (self->api_key);
  if (g_getenv (env_name) != NULL && g_getenv (env_name)[0] != '\0')
    return g_strdup (g_getenv (env_name));
  return NULL;
}

static SoupMessage *
build_message (NbWebSearchTool  *self,
               SearchData       *data,
               char            **error_text)
{
  g_autofree char *count = g_strdup_printf ("%u", data->count);
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *query = NULL;
  SoupMessage *message;

  switch (data->provider)
    {
    case PROVIDER_BRAVE:
      if ((key = get_key (self, "BRAVE_API_KEY")) == NULL)
        {
          *error_text = g_strdup ("Error: Brave Search needs an API key: set tools.web.search.apiKey "
                                  "(or BRAVE_API_KEY), or choose provider \"duckduckgo\" or \"searxng\" "
                                  "in tools.web.search.provider");
          return NULL;
        }
      base = origin (self, "https://api.search.brave.com");
      query = soup_form_encode ("q", data->query, "count", count, NULL);
      url = g_strdup_printf ("%s/res/v1/web/search?%s", base, query);
      message = soup_message_new ("GET", url);
      if (message != NULL)
        {
          soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
          soup_message_headers_replace (soup_message_get_request_headers (message), "X-Subscription-Token", key);
        }
      break;

    case PROVIDER_SEARXNG:
      if (self->base_url == NULL || self->base_url[0] == '\0')
        {
          *error_text = g_strdup ("Error: SearXNG needs the address of an instance: set tools.web.search.baseUrl");
          return NULL;
        }
      base = origin (self, NULL);
      query = soup_form_encode ("q", data->query, "format", "json", NULL);
      url = g_strdup_printf ("%s/search?%s", base, query);
      message = soup_message_new ("GET", url);
      if (message != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
      break;

    case PROVIDER_TAVILY:
      if ((key = get_key (self, "TAVILY_API_KEY")) == NULL)
        {
          *error_text = g_strdup ("Error: Tavily needs an API key: set tools.web.search.apiKey "
                                  "(or TAVILY_API_KEY), or choose provider \"duckduckgo\" or \"searxng\" "
                                  "in tools.web.search.provider");
          return NULL;
        }
      base = origin (self, "https://api.tavily.com");
      url = g_strdup_printf ("%s/search", base);
      message = soup_message_new ("POST", url);
      if (message != NULL)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();
          g_autoptr(JsonGenerator) generator = json_generator_new ();
          g_autoptr(JsonNode) root = NULL;
          g_autofree char *bearer = g_strdup_printf ("Bearer %s", key);
          g_autoptr(GBytes) body = NULL;
          char *json;

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "query");
          json_builder_add_string_value (builder, data->query);
          json_builder_set_member_name (builder, "max_results");
          json_builder_add_int_value (builder, data->count);
          json_builder_end_object (builder);
          root = json_builder_get_root (builder);
          json_generator_set_root (generator, root);
          json = json_generator_to_data (generator, NULL);
          body = g_bytes_new_take (json, strlen (json));
          soup_message_set_request_body_from_bytes (message, "application/json", body);
          soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", bearer);
        }
      break;

    case PROVIDER_DUCKDUCKGO:
    default:
      base = origin (self, "https://html.duckduckgo.com");
      query = soup_form_encode ("q", data->query, NULL);
      url = g_strdup_printf ("%s/html/?%s", base, query);
      message = soup_message_new ("GET", url);
      break;
    }

  if (message == NULL)
    *error_text = g_strdup_printf ("Error: invalid search URL: %s", url);
  return message;
}

static void
search_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify) hit_free);
  SearchData *data = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "message");
  const char *name = provider_names[data->provider];
  g_autofree char *error_text = NULL;
  guint status;
  gboolean truncated = FALSE;

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));
  g_assert (SOUP_IS_MESSAGE (message));

  body = nb_web_read_finish (result, &truncated, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, g_strdup_printf ("Error: %s search failed (%s)", name, error->message), g_free);
      return;
    }

  status = soup_message_get_status (message);
  if (status < 200 || status >= 300)
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: %s search failed (HTTP %u %s)", name, status,
                                                    soup_message_get_reason_phrase (message)), g_free);
      return;
    }
  if (truncated)
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: %s search failed (response over %d bytes)",
                                                    name, SEARCH_MAX_BYTES), g_free);
      return;
    }

  switch (data->provider)
    {
    case PROVIDER_BRAVE:
      parse_json_hits (body, "web", "description", hits, &error_text);
      break;
    case PROVIDER_SEARXNG:
    case PROVIDER_TAVILY:
      parse_json_hits (body, NULL, "content", hits, &error_text);
      break;
    case PROVIDER_DUCKDUCKGO:
    default:
      parse_ddg_hits (body, hits);
      break;
    }

  /* DuckDuckGo answers bots it distrusts with 202 and a challenge page. */
  if (error_text == NULL && data->provider == PROVIDER_DUCKDUCKGO && hits->len == 0 && status == 202)
    error_text = g_strdup ("the service asked for a challenge instead of results; try again later "
                           "or set another provider in tools.web.search.provider");

  if (error_text != NULL)
    g_task_return_pointer (task, g_strdup_printf ("Error: %s search failed (%s)", name, error_text), g_free);
  else
    g_task_return_pointer (task, format_hits (data->query, hits, data->count), g_free);
}

static void
nb_web_search_tool_execute_async (NbTool              *tool,
                                  JsonObject          *arguments,
                                  const NbToolContext *context,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  NbWebSearchTool *self = NB_WEB_SEARCH_TOOL (tool);
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *provider = NULL;
  const char *query = nb_json_get_string (arguments, "query");
  JsonNode *count_node = json_object_get_member (arguments, "count");
  SearchData *data;
  gint64 count = self->max_results;
  gboolean known = FALSE;

  g_task_set_source_tag (task, nb_web_search_tool_execute_async);

  if (query == NULL || query[0] == '\0')
    {
      g_task_return_pointer (task, g_strdup ("Error: missing string parameter 'query'"), g_free);
      return;
    }
  if (count_node != NULL && JSON_NODE_HOLDS_VALUE (count_node) &&
      (json_node_get_value_type (count_node) == G_TYPE_INT64 || json_node_get_value_type (count_node) == G_TYPE_DOUBLE))
    count = json_node_get_value_type (count_node) == G_TYPE_INT64 ? json_node_get_int (count_node)
                                                                  : nb_json_double_to_int64 (json_node_get_double (count_node));

  data = g_new0 (SearchData, 1);
  data->query = g_strdup (query);
  data->count = (guint) CLAMP (count, 1, 10);
  g_task_set_task_data (task, data, (GDestroyNotify) search_data_free);

  provider = g_ascii_strdown (self->provider != NULL && self->provider[0] != '\0' ? self->provider : "brave", -1);
  g_strstrip (provider);
  for (guint i = 0; i < G_N_ELEMENTS (provider_names); i++)
    if (g_str_equal (provider, provider_names[i]))
      {
        data->provider = (Provider) i;
        known = TRUE;
      }
  if (!known)
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: unknown search provider '%s' "
                                                    "(tools.web.search.provider: brave, searxng, tavily "
                                                    "or duckduckgo)", provider), g_free);
      return;
    }

  message = build_message (self, data, &error_text);
  if (message == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&error_text), g_free);
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "message", g_object_ref (message), g_object_unref);
  nb_web_read_async (message, SEARCH_MAX_BYTES, SEARCH_TIMEOUT_SECONDS, cancellable,
                     search_read_cb, g_steal_pointer (&task));
}

static void
nb_web_search_tool_finalize (GObject *object)
{
  NbWebSearchTool *self = NB_WEB_SEARCH_TOOL (object);

  g_free (self->provider);
  g_free (self->api_key);
  g_free (self->base_url);

  G_OBJECT_CLASS (nb_web_search_tool_parent_class)->finalize (object);
}

static void
nb_web_search_tool_class_init (NbWebSearchToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_web_search_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_web_search_tool_execute_async;
}

static void
nb_web_search_tool_init (NbWebSearchTool *self)
{
}

/**
 * nb_web_search_tool_new:
 *
 * Returns: (transfer full): the web_search tool
 */
NbTool *
nb_web_search_tool_new (const char *provider,
                        const char *api_key,
                        const char *base_url,
                        guint       max_results)
{
  g_autoptr(JsonObject) parameters =
    nb_tool_parse_schema ("{\"type\": \"object\","
                          " \"properties\": {"
                          "  \"query\": {\"type\": \"string\", \"description\": \"Search query\"},"
                          "  \"count\": {\"type\": \"integer\", \"description\": \"Results (1-10)\","
                          "             \"minimum\": 1, \"maximum\": 10}},"
                          " \"required\": [\"query\"]}");
  NbWebSearchTool *self = g_object_new (NB_TYPE_WEB_SEARCH_TOOL,
                                        "name", "web_search",
                                        "description", "Search the web. Returns titles, URLs, and snippets.",
                                        "parameters", parameters,
                                        "side-effects", FALSE,
                                        NULL);

  self->provider = g_strdup (provider);
  self->api_key = g_strdup (api_key);
  self->base_url = g_strdup (base_url);
  self->max_results = CLAMP (max_results, 1, 10);
  return NB_TOOL (self);
}
