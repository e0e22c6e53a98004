/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-html-extract"

#include "config.h"

#include <string.h>
#include <libxml/HTMLparser.h>

#include "nb-html-extract.h"

/*
 * Readable text from a web page with libxml2's HTML parser: the main content
 * (<main>, role="main", else the largest <article>, else <body>) without
 * navigation, headers, footers, asides, scripts, styles, forms and menus,
 * rendered as light markdown (headings, links, lists, emphasis, code,
 * quotes, tables as rows) or as plain text.
 */

typedef struct
{
  NbHtmlExtractMode  mode;
  GUri              *base;
  int                pre_depth;
  int                list_depth;
} Ctx;

static const char * const skipped_elements[] = {
  "script", "style", "noscript", "nav", "header", "footer", "aside", "form",
  "button", "iframe", "svg", "template", "select", "input", "textarea", "menu",
  "dialog", "canvas", "object", "embed", "head", "title", "meta", "link",
};

static const char * const skipped_roles[] = {
  "navigation", "banner", "contentinfo", "complementary", "menu", "menubar",
  "search", "dialog", "alert",
};

static const char * const skipped_tokens[] = {
  "nav", "navbar", "navigation", "menu", "sidebar", "breadcrumb", "breadcrumbs",
  "footer", "cookie", "cookies", "cookie-banner", "advert", "ads", "share",
  "social", "skip-link", "toc",
};

static const char * const skipped_prefixes[] = {
  "nav-", "menu-", "sidebar-", "cookie-", "footer-",
};

static gboolean
name_is (xmlNode    *node,
         const char *name)
{
  return node->type == XML_ELEMENT_NODE && g_ascii_strcasecmp ((const char *) node->name, name) == 0;
}

static char *
get_attr (xmlNode    *node,
          const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *copy = value != NULL ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return copy;
}

static gboolean
tokens_say_skip (const char *value)
{
  g_auto(GStrv) tokens = NULL;

  if (value == NULL)
    return FALSE;
  tokens = g_strsplit_set (value, " \t\n", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autofree char *token = g_ascii_strdown (tokens[i], -1);

      if (g_strv_contains (skipped_tokens, token))
        return TRUE;
      for (guint j = 0; j < G_N_ELEMENTS (skipped_prefixes); j++)
        if (g_str_has_prefix (token, skipped_prefixes[j]))
          return TRUE;
    }
  return FALSE;
}

static gboolean
is_skipped (xmlNode *node)
{
  g_autofree char *role = NULL;
  g_autofree char *hidden = NULL;
  g_autofree char *klass = NULL;
  g_autofree char *id = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (skipped_elements); i++)
    if (name_is (node, skipped_elements[i]))
      return TRUE;

  if (xmlHasProp (node, (const xmlChar *) "hidden") != NULL)
    return TRUE;
  hidden = get_attr (node, "aria-hidden");
  if (hidden != NULL && g_ascii_strcasecmp (hidden, "true") == 0)
    return TRUE;
  role = get_attr (node, "role");
  if (role != NULL && g_strv_contains (skipped_roles, role))
    return TRUE;

  /* Class and id hints only on containers, never on the content roots. */
  if (name_is (node, "body") || name_is (node, "main") || name_is (node, "article") || name_is (node, "html"))
    return FALSE;
  klass = get_attr (node, "class");
  id = get_attr (node, "id");
  return tokens_say_skip (klass) || tokens_say_skip (id);
}

/* Ends @out with at least @n newlines (nothing at the very start). */
static void
block_break (GString *out,
             guint    n)
{
  guint have = 0;

  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    return;
  for (gsize i = out->len; i > 0 && out->str[i - 1] == '\n'; i--)
    have++;
  for (; have < n; have++)
    g_string_append_c (out, '\n');
}

static void
append_text (Ctx        *ctx,
             GString    *out,
             const char *text)
{
  if (ctx->pre_depth > 0)
    {
      g_string_append (out, text);
      return;
    }
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ' && out->str[out->len - 1] != '\n')
            g_string_append_c (out, ' ');
        }
      else
        g_string_append_c (out, *p);
    }
}

static void render_node (Ctx *ctx, xmlNode *node, GString *out);

static void
render_children (Ctx     *ctx,
                 xmlNode *node,
                 GString *out)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    render_node (ctx, child, out);
}

static char *
render_inline (Ctx     *ctx,
               xmlNode *node)
{
  GString *inner = g_string_new (NULL);

  render_children (ctx, node, inner);
  return g_strstrip (g_string_free (inner, FALSE));
}

static char *
resolve_url (Ctx        *ctx,
             const char *href)
{
  g_autoptr(GUri) resolved = NULL;

  if (href == NULL)
    return NULL;
  if (ctx->base == NULL)
    return g_strdup (href);
  resolved = g_uri_parse_relative (ctx->base, href, G_URI_FLAGS_PARSE_RELAXED, NULL);
  return resolved != NULL ? g_uri_to_string (resolved) : g_strdup (href);
}

static void
wrap_inline (Ctx        *ctx,
             xmlNode    *node,
             GString    *out,
             const char *mark)
{
  g_autofree char *inner = render_inline (ctx, node);

  if (inner[0] == '\0')
    return;
  if (ctx->mode == NB_HTML_EXTRACT_MARKDOWN)
    g_string_append_printf (out, "%s%s%s", mark, inner, mark);
  else
    g_string_append (out, inner);
}

static void
render_list (Ctx     *ctx,
             xmlNode *node,
             GString *out,
             gboolean ordered)
{
  guint number = 0;

  block_break (out, ctx->list_depth == 0 ? 2 : 1);
  ctx->list_depth++;
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (!name_is (child, "li"))
        {
          render_node (ctx, child, out);
          continue;
        }
      if (is_skipped (child))
        continue;
      block_break (out, 1);
      for (int i = 1; i < ctx->list_depth; i++)
        g_string_append (out, "  ");
      if (ordered)
        g_string_append_printf (out, "%u. ", ++number);
      else
        g_string_append (out, "- ");
      render_children (ctx, child, out);
    }
  ctx->list_depth--;
  block_break (out, ctx->list_depth == 0 ? 2 : 1);
}

static void
render_element (Ctx     *ctx,
                xmlNode *node,
                GString *out)
{
  const char *name = (const char *) node->name;

  if (g_ascii_strcasecmp (name, "br") == 0)
    {
      g_string_append_c (out, '\n');
    }
  else if (g_ascii_strcasecmp (name, "hr") == 0)
    {
      block_break (out, 2);
      g_string_append (out, "---");
      block_break (out, 2);
    }
  else if (strlen (name) == 2 && g_ascii_tolower (name[0]) == 'h' && name[1] >= '1' && name[1] <= '6')
    {
      g_autofree char *inner = render_inline (ctx, node);

      block_break (out, 2);
      if (inner[0] != '\0')
        {
          if (ctx->mode == NB_HTML_EXTRACT_MARKDOWN)
            {
              for (int i = 0; i < name[1] - '0'; i++)
                g_string_append_c (out, '#');
              g_string_append_c (out, ' ');
            }
          g_string_append (out, inner);
        }
      block_break (out, 2);
    }
  else if (g_ascii_strcasecmp (name, "ul") == 0 || g_ascii_strcasecmp (name, "ol") == 0)
    {
      render_list (ctx, node, out, g_ascii_strcasecmp (name, "ol") == 0);
    }
  else if (g_ascii_strcasecmp (name, "a") == 0)
    {
      g_autofree char *href = get_attr (node, "href");
      g_autofree char *inner = render_inline (ctx, node);
      g_autofree char *target = NULL;

      if (inner[0] == '\0')
        return;
      if (ctx->mode == NB_HTML_EXTRACT_MARKDOWN && href != NULL && href[0] != '#' &&
          g_ascii_strncasecmp (href, "javascript:", 11) != 0 && (target = resolve_url (ctx, href)) != NULL)
        g_string_append_printf (out, "[%s](%s)", inner, target);
      else
        g_string_append (out, inner);
    }
  else if (g_ascii_strcasecmp (name, "strong") == 0 || g_ascii_strcasecmp (name, "b") == 0)
    {
      wrap_inline (ctx, node, out, "**");
    }
  else if (g_ascii_strcasecmp (name, "em") == 0 || g_ascii_strcasecmp (name, "i") == 0)
    {
      wrap_inline (ctx, node, out, "*");
    }
  else if (g_ascii_strcasecmp (name, "code") == 0 && ctx->pre_depth == 0)
    {
      wrap_inline (ctx, node, out, "`");
    }
  else if (g_ascii_strcasecmp (name, "pre") == 0)
    {
      GString *inner = g_string_new (NULL);
      g_autofree char *code = NULL;

      ctx->pre_depth++;
      render_children (ctx, node, inner);
      ctx->pre_depth--;
      code = g_string_free (inner, FALSE);
      g_strchomp (code);
      block_break (out, 2);
      if (ctx->mode == NB_HTML_EXTRACT_MARKDOWN)
        g_string_append_printf (out, "```\n%s\n```", code);
      else
        g_string_append (out, code);
      block_break (out, 2);
    }
  else if (g_ascii_strcasecmp (name, "blockquote") == 0)
    {
      g_autofree char *inner = render_inline (ctx, node);
      g_auto(GStrv) lines = g_strsplit (inner, "\n", -1);

      block_break (out, 2);
      for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf (out, "%s%s%s", i > 0 ? "\n" : "",
                                ctx->mode == NB_HTML_EXTRACT_MARKDOWN ? "> " : "", lines[i]);
      block_break (out, 2);
    }
  else if (g_ascii_strcasecmp (name, "img") == 0)
    {
      g_autofree char *alt = get_attr (node, "alt");
      g_autofree char *src = get_attr (node, "src");
      g_autofree char *target = resolve_url (ctx, src);

      if (ctx->mode == NB_HTML_EXTRACT_MARKDOWN && alt != NULL && g_strstrip (alt)[0] != '\0' && target != NULL)
        g_string_append_printf (out, "![%s](%s)", alt, target);
    }
  else if (g_ascii_strcasecmp (name, "tr") == 0)
    {
      gboolean first = TRUE;

      block_break (out, 1);
      for (xmlNode *cell = node->children; cell != NULL; cell = cell->next)
        {
          g_autofree char *inner = NULL;

          if (!name_is (cell, "td") && !name_is (cell, "th"))
            continue;
          inner = render_inline (ctx, cell);
          g_string_append_printf (out, "%s%s", first ? "| " : " | ", inner);
          first = FALSE;
        }
      if (!first)
        g_string_append (out, " |");
      block_break (out, 1);
    }
  else if (g_ascii_strcasecmp (name, "p") == 0 || g_ascii_strcasecmp (name, "table") == 0 ||
           g_ascii_strcasecmp (name, "figure") == 0 || g_ascii_strcasecmp (name, "dl") == 0)
    {
      block_break (out, 2);
      render_children (ctx, node, out);
      block_break (out, 2);
    }
  else if (g_ascii_strcasecmp (name, "div") == 0 || g_ascii_strcasecmp (name, "section") == 0 ||
           g_ascii_strcasecmp (name, "article") == 0 || g_ascii_strcasecmp (name, "main") == 0 ||
           g_ascii_strcasecmp (name, "dt") == 0 || g_ascii_strcasecmp (name, "dd") == 0 ||
           g_ascii_strcasecmp (name, "figcaption") == 0 || g_ascii_strcasecmp (name, "details") == 0 ||
           g_ascii_strcasecmp (name, "summary") == 0 || g_ascii_strcasecmp (name, "address") == 0 ||
           g_ascii_strcasecmp (name, "li") == 0)
    {
      block_break (out, 1);
      render_children (ctx, node, out);
      block_break (out, 1);
    }
  else
    {
      render_children (ctx, node, out);
    }
}

static void
render_node (Ctx     *ctx,
             xmlNode *node,
             GString *out)
{
  switch (node->type)
    {
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
      if (node->content != NULL)
        append_text (ctx, out, (const char *) node->content);
      break;
    case XML_ELEMENT_NODE:
      if (!is_skipped (node))
        render_element (ctx, node, out);
      break;
    default:
      break;
    }
}

static gsize
text_length (xmlNode *node)
{
  g_autofree xmlChar *content = xmlNodeGetContent (node);

  return content != NULL ? strlen ((const char *) content) : 0;
}

static void
find_candidates (xmlNode  *node,
                 xmlNode **main_node,
                 xmlNode **best_article,
                 gsize    *best_length,
                 xmlNode **body)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      g_autofree char *role = NULL;

      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (name_is (child, "body") && *body == NULL)
        *body = child;
      role = get_attr (child, "role");
      if (*main_node == NULL && (name_is (child, "main") || g_strcmp0 (role, "main") == 0))
        *main_node = child;
      if (name_is (child, "article"))
        {
          gsize length = text_length (child);

          if (length > *best_length)
            {
              *best_length = length;
              *best_article = child;
            }
        }
      find_candidates (child, main_node, best_article, best_length, body);
    }
}

static char *
find_title (xmlNode *node)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      char *title;

      if (child->type != XML_ELEMENT_NODE || name_is (child, "body"))
        continue;
      if (name_is (child, "title"))
        {
          g_autofree xmlChar *content = xmlNodeGetContent (child);

          return g_strdup (content != NULL ? (const char *) content : "");
        }
      if ((title = find_title (child)) != NULL)
        return title;
    }
  return NULL;
}

static char *
tidy (const char *input)
{
  /* libxml2 passes the bytes of a page through as they are when the
   * charset it was told is wrong (Latin-1 sent as UTF-8), and GRegex
   * refuses text that is not UTF-8 (found by tests/fuzz/fuzz-html.c). */
  g_autofree char *text = g_utf8_make_valid (input, -1);
  g_autoptr(GRegex) trailing = g_regex_new ("[ \\t]+\\n", 0, 0, NULL);
  g_autoptr(GRegex) leading = g_regex_new ("\\n[ ](?=[^ ])", 0, 0, NULL);
  g_autoptr(GRegex) blank_lines = g_regex_new ("\\n{3,}", 0, 0, NULL);
  g_autofree char *a = g_regex_replace_literal (trailing, text, -1, 0, "\n", 0, NULL);
  g_autofree char *b = g_regex_replace_literal (leading, a, -1, 0, "\n", 0, NULL);
  g_autofree char *c = g_regex_replace_literal (blank_lines, b, -1, 0, "\n\n", 0, NULL);

  return g_strstrip (g_steal_pointer (&c));
}

/**
 * nb_html_extract:
 * @html: the page
 * @length: its length in bytes
 * @base_url: (nullable): where it came from, for resolving links
 * @charset: (nullable): the charset from Content-Type, else what the page says
 * @mode: markdown or plain text
 *
 * Returns: (transfer full): "# Title\n\ncontent" (or just the content)
 */
char *
nb_html_extract (const char        *html,
                 gsize              length,
                 const char        *base_url,
                 const char        *charset,
                 NbHtmlExtractMode  mode)
{
  Ctx ctx = { mode, NULL, 0, 0 };
  htmlDocPtr doc;
  xmlNode *main_node = NULL, *article = NULL, *body = NULL, *root;
  gsize article_length = 0;
  g_autofree char *title = NULL;
  g_autofree char *content = NULL;
  GString *out;

  g_return_val_if_fail (html != NULL || length == 0, NULL);

  if (length == 0)
    return g_strdup ("");

  doc = htmlReadMemory (html, (int) MIN (length, G_MAXINT), base_url, charset,
                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                        HTML_PARSE_NONET | HTML_PARSE_COMPACT);
  if (doc == NULL)
    return g_strdup ("");

  if (base_url != NULL)
    ctx.base = g_uri_parse (base_url, G_URI_FLAGS_PARSE_RELAXED, NULL);

  find_candidates ((xmlNode *) doc, &main_node, &article, &article_length, &body);
  root = main_node != NULL ? main_node : article != NULL ? article : body != NULL ? body : xmlDocGetRootElement (doc);

  out = g_string_new (NULL);
  if (root != NULL)
    render_children (&ctx, root, out);
  content = tidy (out->str);
  g_string_free (out, TRUE);

  title = find_title ((xmlNode *) doc);
  if (title != NULL)
    {
      g_autoptr(GRegex) spaces = g_regex_new ("\\s+", 0, 0, NULL);
      g_autofree char *valid = g_utf8_make_valid (title, -1);
      g_autofree char *flat = g_regex_replace_literal (spaces, valid, -1, 0, " ", 0, NULL);

      g_free (title);
      title = g_strstrip (g_steal_pointer (&flat));
    }

  g_clear_pointer (&ctx.base, g_uri_unref);
  xmlFreeDoc (doc);

  if (title != NULL && title[0] != '\0')
    return g_strdup_printf ("# %s\n\n%s", title, content);
  return g_steal_pointer (&content);
}

typedef struct
{
  GBytes            *html;
  char              *base_url;
  char              *charset;
  NbHtmlExtractMode  mode;
} ExtractData;

static void
extract_data_free (ExtractData *data)
{
  g_bytes_unref (data->html);
  g_free (data->base_url);
  g_free (data->charset);
  g_free (data);
}

static void
extract_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ExtractData *data = task_data;
  gsize length;
  const char *html = g_bytes_get_data (data->html, &length);

  g_task_return_pointer (task, nb_html_extract (html, length, data->base_url, data->charset, data->mode),
                         g_free);
}

/**
 * nb_html_extract_async:
 *
 * Like nb_html_extract(); pages of NB_HTML_EXTRACT_THREAD_MIN_BYTES and more
 * are parsed in a worker thread, as that is CPU-bound work.
 */
void
nb_html_extract_async (GBytes              *html,
                       const char          *base_url,
                       const char          *charset,
                       NbHtmlExtractMode    mode,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExtractData *data;

  g_return_if_fail (html != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_html_extract_async);
  data = g_new0 (ExtractData, 1);
  data->html = g_bytes_ref (html);
  data->base_url = g_strdup (base_url);
  data->charset = g_strdup (charset);
  data->mode = mode;
  g_task_set_task_data (task, data, (GDestroyNotify) extract_data_free);

  /* libxml2 sets up its globals once, from the main thread. */
  xmlInitParser ();

  if (g_bytes_get_size (html) >= NB_HTML_EXTRACT_THREAD_MIN_BYTES)
    g_task_run_in_thread (task, extract_thread);
  else
    extract_thread (task, NULL, data, cancellable);
}

/**
 * nb_html_extract_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the extracted text, or %NULL with
 *   @error set
 */
char *
nb_html_extract_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
