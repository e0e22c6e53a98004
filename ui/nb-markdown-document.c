/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-markdown"

#include "config.h"

#include <string.h>

#include "nb-markdown-document.h"
#include "nb-markdown-parser.h"

/* How the tail re-parse works (see HACKING.md, "Markdown rendering").
 *
 * A line scanner walks every complete line once and remembers the last
 * "split": the start of a line where a new top-level block begins and
 * every block before it is certainly finished. That is a line that
 *  - follows a blank line,
 *  - is not indented (it cannot continue a list item or indented code),
 *  - does not start a list item while a list may be open above (it would
 *    be the list's next item; a list ends at a line like this one that
 *    is not an item),
 *  - is outside a fenced code block and outside an HTML block that only
 *    ends at its end marker (<!-- -->, <script>…, <?…?>, <!X>, CDATA).
 * Parsing the text up to a split and the text after it separately gives
 * exactly the blocks of parsing the whole: the only thing that reaches
 * across blank lines in CommonMark is a link reference definition
 * ("[x]: url"), so a text with one is always parsed whole.
 *
 * So text[0, closed_len) is parsed once, when the split moves past it, and
 * its blocks are kept; only text[closed_len, end) is parsed on each update.
 * The scanner is conservative: when unsure it finds no split, which costs
 * time, never correctness.
 *
 * While streaming, a last line that is not finished and whose meaning is
 * still open (only markers such as "-", "|", "`", "=", or a table row) is
 * held back until it is, and so is a lone "| a | b |" line that may be a
 * table's header: otherwise "Text\n-" would flash as a heading and a table
 * as a paragraph before its delimiter row arrives. */

struct _NbMarkdownDocument
{
  GObject parent_instance;

  GString *text;
  gboolean streaming;
  GPtrArray *blocks;
  guint n_closed;    /* blocks[0, n_closed) come from text[0, closed_len) */
  gsize closed_len;

  /* The line scanner. */
  gsize scan_pos;    /* start of the first line not yet scanned */
  gsize split;
  gboolean prev_blank;
  gboolean in_list;  /* a list item began since the last split */
  char fence_char;   /* 0 outside a fenced code block */
  gsize fence_len;
  const char *html_end;
  gboolean has_refdefs;
};

static void nb_markdown_document_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbMarkdownDocument, nb_markdown_document, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_markdown_document_list_model_init))

enum {
  PROP_0,
  PROP_STREAMING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
nb_markdown_document_get_item_type (GListModel *model)
{
  return NB_TYPE_MARKDOWN_BLOCK;
}

static guint
nb_markdown_document_get_n_items (GListModel *model)
{
  return NB_MARKDOWN_DOCUMENT (model)->blocks->len;
}

static gpointer
nb_markdown_document_get_item (GListModel *model,
                               guint       position)
{
  NbMarkdownDocument *self = NB_MARKDOWN_DOCUMENT (model);

  if (position >= self->blocks->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->blocks, position));
}

static void
nb_markdown_document_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_markdown_document_get_item_type;
  iface->get_n_items = nb_markdown_document_get_n_items;
  iface->get_item = nb_markdown_document_get_item;
}

/* The line scanner. A line is [line, line + len) without its newline. */

static guint
line_indent (const char *line,
             gsize       len,
             gsize      *skipped)
{
  guint indent = 0;
  gsize i;

  for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
    indent = line[i] == '\t' ? (indent + 4) & ~3u : indent + 1;
  if (skipped != NULL)
    *skipped = i;
  return indent;
}

static gboolean
line_is_blank (const char *line,
               gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return FALSE;
  return TRUE;
}

static gboolean
line_starts_list_item (const char *line,
                       gsize       len)
{
  gsize i = 0;

  if (len > 0 && (line[0] == '-' || line[0] == '+' || line[0] == '*'))
    i = 1;
  else
    {
      while (i < len && i < 10 && g_ascii_isdigit (line[i]))
        i++;
      if (i == 0 || i > 9 || i >= len || (line[i] != '.' && line[i] != ')'))
        return FALSE;
      i++;
    }
  return i == len || line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
}

static gboolean
line_has_prefix_ci (const char *line,
                    gsize       len,
                    const char *prefix)
{
  gsize n = strlen (prefix);

  return len >= n && g_ascii_strncasecmp (line, prefix, n) == 0;
}

static gboolean
line_contains_ci (const char *line,
                  gsize       len,
                  const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (g_ascii_strncasecmp (line + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* The end marker of an HTML block that a blank line does not end (types 1
 * to 5 of CommonMark), or NULL. */
static const char *
html_block_end (const char *line,
                gsize       len)
{
  static const char * const tags[] = { "script", "pre", "style", "textarea" };
  static const char * const ends[] = { "</script>", "</pre>", "</style>", "</textarea>" };

  if (len < 2 || line[0] != '<')
    return NULL;
  if (line_has_prefix_ci (line, len, "<!--"))
    return "-->";
  if (line_has_prefix_ci (line, len, "<![CDATA["))
    return "]]>";
  if (line[1] == '?')
    return "?>";
  if (line[1] == '!' && len > 2 && g_ascii_isalpha (line[2]))
    return ">";
  for (gsize i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      gsize n = strlen (tags[i]);

      if (len >= n + 1 && g_ascii_strncasecmp (line + 1, tags[i], n) == 0 &&
          (len == n + 1 || line[n + 1] == ' ' || line[n + 1] == '>' || line[n + 1] == '\t'))
        return ends[i];
    }
  return NULL;
}

static void
scan_line (NbMarkdownDocument *self,
           gsize               start,
           gsize               len)
{
  const char *line = self->text->str + start;
  gboolean blank = line_is_blank (line, len);
  gsize skip;
  guint indent = line_indent (line, len, &skip);
  const char *rest = line + skip;
  gsize rest_len = len - skip;
  gboolean list_item;

  if (self->fence_char != 0)
    {
      gsize n = 0;

      while (n < rest_len && rest[n] == self->fence_char)
        n++;
      if (indent <= 3 && n >= self->fence_len && line_is_blank (rest + n, rest_len - n))
        self->fence_char = 0;
      self->prev_blank = FALSE;
      return;
    }

  if (self->html_end != NULL)
    {
      if (line_contains_ci (line, len, self->html_end))
        self->html_end = NULL;
      self->prev_blank = blank;
      return;
    }

  list_item = indent <= 3 && line_starts_list_item (rest, rest_len);
  if (!blank && self->prev_blank && indent == 0 && !(list_item && self->in_list))
    {
      self->split = start;
      self->in_list = FALSE;
    }
  if (list_item)
    self->in_list = TRUE;

  if (indent <= 3 && rest_len >= 3 && (rest[0] == '`' || rest[0] == '~'))
    {
      gsize n = 0;

      while (n < rest_len && rest[n] == rest[0])
        n++;
      if (n >= 3 && (rest[0] == '~' || memchr (rest + n, '`', rest_len - n) == NULL))
        {
          self->fence_char = rest[0];
          self->fence_len = n;
        }
    }
  else if (indent <= 3 && rest_len > 0 && rest[0] == '<')
    {
      const char *end = html_block_end (rest, rest_len);

      if (end != NULL && !line_contains_ci (rest + 2, rest_len - 2, end))
        self->html_end = end;
    }
  else if (indent <= 3 && rest_len > 3 && rest[0] == '[')
    {
      const char *close = memchr (rest + 1, ']', rest_len - 1);

      if (close != NULL && close > rest + 1 && close + 1 < rest + rest_len && close[1] == ':')
        self->has_refdefs = TRUE;
    }

  self->prev_blank = blank;
}

static void
scan_lines (NbMarkdownDocument *self)
{
  const char *str = self->text->str;
  const char *nl;

  while (self->scan_pos < self->text->len &&
         (nl = memchr (str + self->scan_pos, '\n', self->text->len - self->scan_pos)) != NULL)
    {
      gsize end = nl - str;

      scan_line (self, self->scan_pos, end - self->scan_pos);
      self->scan_pos = end + 1;
    }
}

static void
reset_scanner (NbMarkdownDocument *self)
{
  self->scan_pos = 0;
  self->split = 0;
  self->prev_blank = TRUE;
  self->in_list = FALSE;
  self->fence_char = 0;
  self->fence_len = 0;
  self->html_end = NULL;
  self->has_refdefs = FALSE;
}

/* Streaming: a last line whose meaning its next characters decide. */
static gboolean
line_is_undecided (const char *line,
                   gsize       len)
{
  gsize skip;

  line_indent (line, len, &skip);
  if (skip < len && line[skip] == '|')
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (strchr (" \t-=|:*_`~#>+", line[i]) == NULL)
      return FALSE;
  return len > 0;
}

static gboolean
line_starts_with_pipe (const char *line,
                       gsize       len)
{
  gsize skip;

  return line_indent (line, len, &skip) <= 3 && skip < len && line[skip] == '|';
}

static gsize
line_start_before (const char *str,
                   gsize       pos)
{
  while (pos > 0 && str[pos - 1] != '\n')
    pos--;
  return pos;
}

/* How much of the text to show now. */
static gsize
shown_length (NbMarkdownDocument *self)
{
  const char *str = self->text->str;
  gsize end = self->text->len;

  if (!self->streaming)
    return end;

  /* scan_pos is the start of the unfinished last line. */
  if (self->scan_pos < end && line_is_undecided (str + self->scan_pos, end - self->scan_pos))
    end = self->scan_pos;

  if (end > 0 && str[end - 1] == '\n')
    {
      gsize last = line_start_before (str, end - 1);

      if (line_starts_with_pipe (str + last, end - 1 - last) &&
          (last == 0 || !line_starts_with_pipe (str + line_start_before (str, last - 1),
                                                last - 1 - line_start_before (str, last - 1))))
        end = last;
    }
  return MAX (end, self->closed_len);
}

/* Puts new_blocks in place of blocks[start, …), keeping the old objects
 * that are equal, and says what changed. */
static void
replace_tail (NbMarkdownDocument *self,
              guint               start,
              GPtrArray          *new_blocks)
{
  guint n_old = self->blocks->len - start;
  guint same = 0;

  while (same < n_old && same < new_blocks->len &&
         nb_markdown_block_equal (g_ptr_array_index (self->blocks, start + same),
                                  g_ptr_array_index (new_blocks, same)))
    same++;

  if (same == n_old && same == new_blocks->len)
    return;

  g_ptr_array_remove_range (self->blocks, start + same, n_old - same);
  for (guint i = same; i < new_blocks->len; i++)
    g_ptr_array_add (self->blocks, g_object_ref (g_ptr_array_index (new_blocks, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), start + same, n_old - same, new_blocks->len - same);
}

static void
update (NbMarkdownDocument *self)
{
  g_autoptr(GPtrArray) new_blocks = NULL;
  g_autoptr(GPtrArray) tail = NULL;
  guint start = self->n_closed;
  gsize split, end;

  scan_lines (self);

  /* A reference definition may be used anywhere: parse everything. */
  split = self->has_refdefs ? 0 : self->split;
  if (split < self->closed_len)
    {
      self->closed_len = 0;
      self->n_closed = 0;
      start = 0;
    }

  if (split > self->closed_len)
    new_blocks = nb_markdown_parse (self->text->str + self->closed_len, split - self->closed_len);
  else
    new_blocks = g_ptr_array_new_with_free_func (g_object_unref);
  self->closed_len = split;

  end = shown_length (self);
  tail = nb_markdown_parse (self->text->str + split, end - split);

  self->n_closed = start + new_blocks->len;
  g_ptr_array_extend_and_steal (new_blocks, g_steal_pointer (&tail));
  replace_tail (self, start, new_blocks);
}

static void
nb_markdown_document_finalize (GObject *object)
{
  NbMarkdownDocument *self = NB_MARKDOWN_DOCUMENT (object);

  g_string_free (self->text, TRUE);
  g_ptr_array_unref (self->blocks);

  G_OBJECT_CLASS (nb_markdown_document_parent_class)->finalize (object);
}

static void
nb_markdown_document_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NbMarkdownDocument *self = NB_MARKDOWN_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_markdown_document_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NbMarkdownDocument *self = NB_MARKDOWN_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_STREAMING:
      nb_markdown_document_set_streaming (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_markdown_document_class_init (NbMarkdownDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nb_markdown_document_finalize;
  object_class->get_property = nb_markdown_document_get_property;
  object_class->set_property = nb_markdown_document_set_property;

  /**
   * NbMarkdownDocument:streaming:
   *
   * Whether more text is coming: an unfinished last line whose meaning is
   * still open is then held back. Set it to %FALSE when the text is whole.
   */
  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_markdown_document_init (NbMarkdownDocument *self)
{
  self->text = g_string_new (NULL);
  self->blocks = g_ptr_array_new_with_free_func (g_object_unref);
  reset_scanner (self);
}

NbMarkdownDocument *
nb_markdown_document_new (void)
{
  return g_object_new (NB_TYPE_MARKDOWN_DOCUMENT, NULL);
}

/**
 * nb_markdown_document_set_text:
 *
 * Sets the whole text. When it starts with the current text (a reply that
 * grew), only the new part is looked at; otherwise everything is parsed
 * again, and blocks equal to the ones before are kept.
 */
void
nb_markdown_document_set_text (NbMarkdownDocument *self,
                               const char         *text)
{
  gsize len;

  g_return_if_fail (NB_IS_MARKDOWN_DOCUMENT (self));

  text = text != NULL ? text : "";
  len = strlen (text);
  if (len >= self->text->len && memcmp (text, self->text->str, self->text->len) == 0)
    {
      nb_markdown_document_append (self, text + self->text->len, len - self->text->len);
      return;
    }

  g_string_truncate (self->text, 0);
  reset_scanner (self);
  self->closed_len = 0;
  self->n_closed = 0;
  nb_markdown_document_append (self, text, len);
}

/* Adds text at the end (a streamed delta). */
void
nb_markdown_document_append (NbMarkdownDocument *self,
                             const char         *text,
                             gssize              length)
{
  g_return_if_fail (NB_IS_MARKDOWN_DOCUMENT (self));
  g_return_if_fail (text != NULL || length == 0);

  if (length < 0)
    length = strlen (text);
  g_string_append_len (self->text, text, length);
  update (self);
}

const char *
nb_markdown_document_get_text (NbMarkdownDocument *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_DOCUMENT (self), NULL);
  return self->text->str;
}

void
nb_markdown_document_set_streaming (NbMarkdownDocument *self,
                                    gboolean            streaming)
{
  g_return_if_fail (NB_IS_MARKDOWN_DOCUMENT (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;
  self->streaming = streaming;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

gboolean
nb_markdown_document_get_streaming (NbMarkdownDocument *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_DOCUMENT (self), FALSE);
  return self->streaming;
}

/* How many leading blocks are final: they stay the same objects. */
guint
nb_markdown_document_get_n_closed (NbMarkdownDocument *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_DOCUMENT (self), 0);
  return self->n_closed;
}

/* The blocks in nb_markdown_block_dump()'s form. */
char *
nb_markdown_document_dump (NbMarkdownDocument *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (NB_IS_MARKDOWN_DOCUMENT (self), NULL);

  for (guint i = 0; i < self->blocks->len; i++)
    nb_markdown_block_dump (g_ptr_array_index (self->blocks, i), out, 0);
  return g_string_free (out, FALSE);
}
