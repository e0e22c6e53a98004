/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-markdown-document.h"

/* The markdown model without GTK: blocks and Pango markup from md4c, and
 * the streaming document, which must end with exactly the blocks of
 * parsing the whole text at once. */

static char *
dump_of (const char *text)
{
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();

  nb_markdown_document_set_text (doc, text);
  return nb_markdown_document_dump (doc);
}

static void
assert_dump (const char *text,
             const char *expected)
{
  g_autofree char *dump = dump_of (text);

  g_assert_cmpstr (dump, ==, expected);
}

static void
test_blocks (void)
{
  assert_dump ("# One\n\n## Two\n\n###### Six\n\nText\n===\n\n---\n\n> quoted\n> text\n\nlast",
               "heading 1 \"One\"\n"
               "heading 2 \"Two\"\n"
               "heading 6 \"Six\"\n"
               "heading 1 \"Text\"\n"
               "rule\n"
               "quote\n"
               "  paragraph \"quoted text\"\n"
               "paragraph \"last\"\n");
  /* Raw HTML is shown as text, never interpreted. */
  assert_dump ("<div onclick=\"x\">\n*hi*\n</div>\n\nA <b>tag</b>.",
               "html \"&lt;div onclick=&quot;x&quot;&gt;\\n*hi*\\n&lt;/div&gt;\"\n"
               "paragraph \"A &lt;b&gt;tag&lt;/b&gt;.\"\n");
}

static void
test_inline (void)
{
  assert_dump ("**bold** *it* ~~gone~~ `a<b && c>d` [link](https://e.org/?a=1&b=\"2\")",
               "paragraph \"<b>bold</b> <i>it</i> <s>gone</s> "
               "<span font_family=\\\"monospace\\\" bgcolor=\\\"#808080\\\" bgalpha=\\\"20%\\\">a&lt;b &amp;&amp; c&gt;d</span> "
               "<a href=\\\"https://e.org/?a=1&amp;b=&quot;2&quot;\\\">link</a>\"\n");
  assert_dump ("see https://gnome.org and www.gtk.org, mail a@b.org",
               "paragraph \"see <a href=\\\"https://gnome.org\\\">https://gnome.org</a> and "
               "<a href=\\\"http://www.gtk.org\\\">www.gtk.org</a>, mail "
               "<a href=\\\"mailto:a@b.org\\\">a@b.org</a>\"\n");
  /* Entities become characters; unknown ones stay as written. */
  assert_dump ("&copy; &#65; &#x263A; &bogus; &amp;lt;",
               "paragraph \"\302\251 A \342\230\272 &amp;bogus; &amp;lt;\"\n");
  /* Hard and soft breaks; an image is its alt text linking to it. */
  assert_dump ("one  \ntwo\nthree ![a *pic*](p.png)",
               "paragraph \"one\\ntwo three <a href=\\\"p.png\\\">a pic</a>\"\n");
}

static void
test_table (void)
{
  /* Alignment per column; a short row is filled, a long one cut. */
  assert_dump ("| Name | Qty | Price |\n|:-----|:---:|------:|\n| *apple* | 3 |\n| pear | 1 | 2 | 9 |\n",
               "table left center right\n"
               "  row \"Name\" \"Qty\" \"Price\"\n"
               "  row \"<i>apple</i>\" \"3\" \"\"\n"
               "  row \"pear\" \"1\" \"2\"\n");
  assert_dump ("a | b\n---|---\n`x<y` | &lt;",
               "table default default\n"
               "  row \"a\" \"b\"\n"
               "  row \"<span font_family=\\\"monospace\\\" bgcolor=\\\"#808080\\\" bgalpha=\\\"20%\\\">x&lt;y</span>\" \"&lt;\"\n");
}

static void
test_lists (void)
{
  assert_dump ("- one\n  - two\n    - three\n- [ ] open\n- [x] done\n\n7. seven\n8. eight\n\n   more\n",
               "list bullet\n"
               "  item\n"
               "    paragraph \"one\"\n"
               "    list bullet\n"
               "      item\n"
               "        paragraph \"two\"\n"
               "        list bullet\n"
               "          item\n"
               "            paragraph \"three\"\n"
               "  item [ ]\n"
               "    paragraph \"open\"\n"
               "  item [x]\n"
               "    paragraph \"done\"\n"
               "list ordered 7\n"
               "  item\n"
               "    paragraph \"seven\"\n"
               "  item\n"
               "    paragraph \"eight\"\n"
               "    paragraph \"more\"\n");
}

static void
test_list_depth (void)
{
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
  g_autoptr(NbMarkdownBlock) list = NULL;
  NbMarkdownBlock *inner;

  nb_markdown_document_set_text (doc, "1. a\n   1. b\n      - c\n");
  list = g_list_model_get_item (G_LIST_MODEL (doc), 0);
  g_assert_cmpuint (nb_markdown_block_get_level (list), ==, 0);
  g_assert_true (nb_markdown_block_get_ordered (list));
  g_assert_cmpuint (nb_markdown_block_get_start (list), ==, 1);
  inner = nb_markdown_block_get_child (nb_markdown_block_get_child (list, 0), 1);
  g_assert_cmpuint (nb_markdown_block_get_level (inner), ==, 1);
  inner = nb_markdown_block_get_child (nb_markdown_block_get_child (inner, 0), 1);
  g_assert_cmpuint (nb_markdown_block_get_level (inner), ==, 2);
  g_assert_false (nb_markdown_block_get_ordered (inner));
}

static void
test_code (void)
{
  assert_dump ("```c\nint a = b < c && d;\n```\n\n~~~ python3 extra words\nx\n~~~\n\n    indented\n",
               "code [c] \"int a = b < c && d;\\n\"\n"
               "code [python3] \"x\\n\"\n"
               "code [] \"indented\\n\"\n");
  /* An unclosed fence is a code block of what has arrived. */
  assert_dump ("Text\n\n```rust\nfn main() {\n    let x",
               "paragraph \"Text\"\n"
               "code [rust] \"fn main() {\\n    let x\"\n");
}

/* Documents for the streaming property: what chat replies contain, and
 * the constructs that make block boundaries tricky. */
static const char * const documents[] = {
  "# Plan\n\nFirst a paragraph with **bold** and `code`,\nwrapped over lines.\n\n"
  "1. Install:\n   ```sh\n   apt install foo\n   ```\n2. Run it\n\n   - nested *item*\n     - deeper\n\n"
  "Then:\n\n| Col | Right |\n|-----|------:|\n| a | 1 |\n| b | 2 |\n\n"
  "```python\ndef f(x):\n    return x * 2\n\n\nprint(f(3))\n```\n\n> A quote\nlazy line\n\n---\n\nDone.\n",

  "Intro\n\n- a\n\n- b\n\n  continued\n\nc\n\n* x\n* y\n\n+ z\n\n10) ten\n11) eleven\n\nend",

  "Setext\n------\n\n    indented code\n\n    still code\n\nafter\n\n````md\n```\nnested fence\n```\n````\n\n~~~\nunclosed",

  "<!-- comment\n\nstill comment\n-->\n\n<script>\nvar a;\n\nb();\n</script>\n\n<div>\nhtml 6\n</div>\n\n*emph\n\nnext*",

  "Text [ref] here.\n\nMore [ref] text.\n\n[ref]: https://example.org \"Title\"\n\nLast.",

  "Para\n- a\n\n- b\n\nPara2\n\n- c\n\n1. d\n\n2. e\n\n* * *\n\n- f\n\n> - q\n\n- g\n# H\n\n- h\n\n\tcode\n\n - i\n\n   j",

  "- [ ] task\n- [x] done\n\n> quote\n\n> other quote\n\n| a |\n|---|\n\n| b | c |\n|:-:|---|\n| 1 | 2 |\nx | y\n\nplain",
};

static void
assert_markup_valid (const char *markup)
{
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) error = NULL;
  static const GMarkupParser parser = { 0 };
  g_autofree char *wrapped = g_strconcat ("<markup>", markup, "</markup>", NULL);

  context = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  if (!g_markup_parse_context_parse (context, wrapped, -1, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    g_error ("invalid markup %s: %s", markup, error->message);
}

static void
check_block_markup (NbMarkdownBlock *block)
{
  assert_markup_valid (nb_markdown_block_get_markup (block));
  for (guint r = 0; r < nb_markdown_block_get_n_rows (block); r++)
    for (guint c = 0; c < nb_markdown_block_get_n_columns (block); c++)
      assert_markup_valid (nb_markdown_block_get_cell (block, r, c));
  for (guint i = 0; i < nb_markdown_block_get_n_children (block); i++)
    check_block_markup (nb_markdown_block_get_child (block, i));
}

static void
check_markup (NbMarkdownDocument *doc)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (doc)); i++)
    {
      g_autoptr(NbMarkdownBlock) block = g_list_model_get_item (G_LIST_MODEL (doc), i);

      check_block_markup (block);
    }
}

/* Fed in 5-byte steps the document ends with the blocks of the whole text,
 * and, without streaming, equals a fresh parse at every step. */
static void
test_stream_equivalence (void)
{
  for (gsize d = 0; d < G_N_ELEMENTS (documents); d++)
    {
      const char *text = documents[d];
      gsize len = strlen (text);
      g_autoptr(NbMarkdownDocument) streamed = nb_markdown_document_new ();
      g_autoptr(NbMarkdownDocument) stepwise = nb_markdown_document_new ();
      g_autofree char *whole = dump_of (text);
      g_autofree char *streamed_dump = NULL;

      nb_markdown_document_set_streaming (streamed, TRUE);
      for (gsize n = 0; n <= len; n = n < len ? MIN (n + 5, len) : len + 1)
        {
          g_autofree char *prefix = g_strndup (text, n);
          g_autofree char *expected = dump_of (prefix);
          g_autofree char *got = NULL;

          nb_markdown_document_set_text (streamed, prefix);
          check_markup (streamed);

          nb_markdown_document_append (stepwise, text + strlen (nb_markdown_document_get_text (stepwise)),
                                       n - strlen (nb_markdown_document_get_text (stepwise)));
          got = nb_markdown_document_dump (stepwise);
          if (g_strcmp0 (got, expected) != 0)
            g_error ("document %" G_GSIZE_FORMAT " at %" G_GSIZE_FORMAT ":\n%s\nexpected:\n%s", d, n, got, expected);
        }

      nb_markdown_document_set_streaming (streamed, FALSE);
      streamed_dump = nb_markdown_document_dump (streamed);
      g_assert_cmpstr (streamed_dump, ==, whole);
    }
}

/* Random chunk sizes, including splits inside UTF-8 sequences. */
static void
test_stream_random_chunks (void)
{
  for (guint round = 0; round < 20; round++)
    for (gsize d = 0; d < G_N_ELEMENTS (documents); d++)
      {
        g_autofree char *text = g_strconcat (documents[d], "\n\nÜnïcödé ✓ — end\n", documents[(d + round) % G_N_ELEMENTS (documents)], NULL);
        gsize len = strlen (text);
        g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
        g_autofree char *whole = dump_of (text);
        g_autofree char *got = NULL;

        nb_markdown_document_set_streaming (doc, TRUE);
        for (gsize n = 0; n < len;)
          {
            gsize step = g_test_rand_int_range (1, 40);

            step = MIN (step, len - n);

            nb_markdown_document_append (doc, text + n, step);
            n += step;
          }
        nb_markdown_document_set_streaming (doc, FALSE);
        got = nb_markdown_document_dump (doc);
        g_assert_cmpstr (got, ==, whole);
      }
}

typedef struct
{
  guint min_position;
} Changes;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->min_position = MIN (changes->min_position, position);
}

/* A block, once closed, is the same object until the end, and no change
 * ever touches it again. */
static void
test_closed_blocks_kept (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
  g_autoptr(GPtrArray) closed = g_ptr_array_new_with_free_func (g_object_unref);
  Changes changes;

  for (guint i = 0; i < 30; i++)
    g_string_append_printf (text, "Paragraph %u with *some* words in it.\n\n- item\n- item %u\n\n", i, i);

  nb_markdown_document_set_streaming (doc, TRUE);
  g_signal_connect (doc, "items-changed", G_CALLBACK (on_items_changed), &changes);
  for (gsize n = 0; n < text->len; n += 5)
    {
      guint n_closed = nb_markdown_document_get_n_closed (doc);

      changes.min_position = G_MAXUINT;
      nb_markdown_document_append (doc, text->str + n, MIN (5, text->len - n));
      g_assert_cmpuint (changes.min_position, >=, n_closed);
      g_assert_cmpuint (nb_markdown_document_get_n_closed (doc), >=, n_closed);

      for (guint i = 0; i < closed->len; i++)
        {
          g_autoptr(NbMarkdownBlock) block = g_list_model_get_item (G_LIST_MODEL (doc), i);

          g_assert_true (block == g_ptr_array_index (closed, i));
        }
      while (closed->len < nb_markdown_document_get_n_closed (doc))
        g_ptr_array_add (closed, g_list_model_get_item (G_LIST_MODEL (doc), closed->len));
    }
  /* All but the last block closed on the way. */
  g_assert_cmpuint (closed->len, ==, 59);
}

static NbMarkdownBlock *
last_block (NbMarkdownDocument *doc)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (doc));

  g_assert_cmpuint (n, >, 0);
  return g_list_model_get_item (G_LIST_MODEL (doc), n - 1);
}

/* While a fence is open its code only grows, and a closing fence that is
 * still arriving never shows up as code. */
static void
test_stream_code_grows (void)
{
  const char *text = "Look:\n\n```c\nint main (void)\n{\n  return a < b;\n}\n```\n\nAfter.";
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
  g_autofree char *previous = g_strdup ("");
  gsize len = strlen (text);
  gsize fence_end = strstr (text, "}\n```") - text + 5;

  nb_markdown_document_set_streaming (doc, TRUE);
  for (gsize n = 1; n <= fence_end; n++)
    {
      g_autoptr(NbMarkdownBlock) block = NULL;

      nb_markdown_document_append (doc, text + n - 1, 1);
      block = last_block (doc);
      if (nb_markdown_block_get_kind (block) != NB_MARKDOWN_BLOCK_CODE)
        continue;
      g_assert_cmpstr (nb_markdown_block_get_language (block), ==, "c");
      g_assert_true (g_str_has_prefix (nb_markdown_block_get_text (block), previous));
      g_assert_null (strchr (nb_markdown_block_get_text (block), '`'));
      g_free (previous);
      previous = g_strdup (nb_markdown_block_get_text (block));
    }
  g_assert_cmpstr (previous, ==, "int main (void)\n{\n  return a < b;\n}\n");
  nb_markdown_document_append (doc, text + fence_end, len - fence_end);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (doc)), ==, 3);
}

/* A table arriving row by row never flashes as a heading or a paragraph
 * of pipes once its header is there. */
static void
test_stream_table (void)
{
  const char *text = "Data:\n\n| Name | Value |\n|:-----|------:|\n| one | 1 |\n| two | 22 |\n";
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
  gsize len = strlen (text);

  nb_markdown_document_set_streaming (doc, TRUE);
  for (gsize n = 0; n < len; n++)
    {
      g_autofree char *dump = NULL;

      nb_markdown_document_append (doc, text + n, 1);
      dump = nb_markdown_document_dump (doc);
      g_assert_null (strstr (dump, "heading"));
      g_assert_null (strstr (dump, "paragraph \"|"));
      g_assert_null (strstr (dump, "paragraph \"Data: |"));
    }
  nb_markdown_document_set_streaming (doc, FALSE);
  assert_dump (nb_markdown_document_get_text (doc),
               "paragraph \"Data:\"\n"
               "table left right\n"
               "  row \"Name\" \"Value\"\n"
               "  row \"one\" \"1\"\n"
               "  row \"two\" \"22\"\n");
}

/* A text that is not a continuation starts over, keeping equal blocks. */
static void
test_replace_text (void)
{
  g_autoptr(NbMarkdownDocument) doc = nb_markdown_document_new ();
  g_autoptr(NbMarkdownBlock) first = NULL;
  g_autoptr(NbMarkdownBlock) again = NULL;
  g_autofree char *dump = NULL;

  nb_markdown_document_set_text (doc, "# Title\n\nold text\n\nmore");
  first = g_list_model_get_item (G_LIST_MODEL (doc), 0);
  nb_markdown_document_set_text (doc, "# Title\n\nnew text");
  again = g_list_model_get_item (G_LIST_MODEL (doc), 0);
  g_assert_true (first == again);
  dump = nb_markdown_document_dump (doc);
  g_assert_cmpstr (dump, ==, "heading 1 \"Title\"\nparagraph \"new text\"\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markdown/blocks", test_blocks);
  g_test_add_func ("/markdown/inline", test_inline);
  g_test_add_func ("/markdown/table", test_table);
  g_test_add_func ("/markdown/lists", test_lists);
  g_test_add_func ("/markdown/list-depth", test_list_depth);
  g_test_add_func ("/markdown/code", test_code);
  g_test_add_func ("/markdown/stream/equivalence", test_stream_equivalence);
  g_test_add_func ("/markdown/stream/random-chunks", test_stream_random_chunks);
  g_test_add_func ("/markdown/stream/closed-blocks-kept", test_closed_blocks_kept);
  g_test_add_func ("/markdown/stream/code-grows", test_stream_code_grows);
  g_test_add_func ("/markdown/stream/table", test_stream_table);
  g_test_add_func ("/markdown/replace-text", test_replace_text);

  return g_test_run ();
}
