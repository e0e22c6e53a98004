/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-markdown"

#include "config.h"

#include <md4c.h>
#include <string.h>

#include "nb-markdown-block-private.h"
#include "nb-markdown-parser.h"

/* md4c calls back for every block and span it enters and leaves and for
 * every piece of text; this builds the block tree from those calls. Inline
 * content becomes Pango markup with every piece of text escaped, so the
 * markup is always well-formed whatever the source says. */

#define NB_MARKDOWN_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
                           MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_TASKLISTS)

/* Inline code: monospace on a faint grey that reads in light and dark. */
#define CODE_SPAN_OPEN "<span font_family=\"monospace\" bgcolor=\"#808080\" bgalpha=\"20%\">"

typedef struct
{
  const char *src_end;       /* the end of the text being parsed */
  const char *raw_end;       /* where the last piece of code text ended */
  GPtrArray *top;            /* the result */
  GPtrArray *stack;          /* open containers, owned */
  NbMarkdownBlock *leaf;     /* open paragraph, heading, code or HTML block */
  gboolean leaf_is_implicit; /* a tight list item's text, which has no P */
  GString *markup;           /* of the leaf or the table cell */
  GString *raw;              /* text of a code or HTML block */
  NbMarkdownBlock *table;    /* the open table (also on the stack) */
  gboolean in_cell;
  guint cell_column;
  guint list_depth;
  guint link_depth;
  guint image_depth;         /* inside an image's alt text */
} Builder;

static const struct {
  const char *name;
  const char *utf8;
} named_entities[] = {
  { "&nbsp;", "\u00a0" }, { "&copy;", "©" }, { "&reg;", "®" }, { "&trade;", "™" },
  { "&hellip;", "…" }, { "&mdash;", "—" }, { "&ndash;", "–" }, { "&lsquo;", "‘" },
  { "&rsquo;", "’" }, { "&ldquo;", "“" }, { "&rdquo;", "”" }, { "&laquo;", "«" },
  { "&raquo;", "»" }, { "&times;", "×" }, { "&divide;", "÷" }, { "&deg;", "°" },
  { "&plusmn;", "±" }, { "&middot;", "·" }, { "&bull;", "•" }, { "&euro;", "€" },
  { "&pound;", "£" }, { "&yen;", "¥" }, { "&cent;", "¢" }, { "&sect;", "§" },
  { "&para;", "¶" }, { "&larr;", "←" }, { "&rarr;", "→" }, { "&uarr;", "↑" },
  { "&darr;", "↓" }, { "&harr;", "↔" }, { "&rArr;", "⇒" }, { "&lArr;", "⇐" },
  { "&hArr;", "⇔" }, { "&le;", "≤" }, { "&ge;", "≥" }, { "&ne;", "≠" },
  { "&infin;", "∞" }, { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
  { "&quot;", "\"" }, { "&apos;", "'" }, { "&shy;", "\u00ad" }, { "&zwj;", "\u200d" },
};

/* Appends the character an entity stands for, or the entity as written
 * when it is not one we know. */
static void
append_entity (GString    *out,
               const char *text,
               gsize       size)
{
  if (size > 3 && text[1] == '#')
    {
      gboolean hex = text[2] == 'x' || text[2] == 'X';
      g_autofree char *digits = g_strndup (text + (hex ? 3 : 2), size - (hex ? 4 : 3));
      guint64 value = g_ascii_strtoull (digits, NULL, hex ? 16 : 10);
      gunichar c = value > 0 && value <= 0x10FFFF && g_unichar_validate ((gunichar) value) ? (gunichar) value : 0xFFFD;

      g_string_append_unichar (out, c);
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (named_entities); i++)
    if (strlen (named_entities[i].name) == size && memcmp (named_entities[i].name, text, size) == 0)
      {
        g_string_append (out, named_entities[i].utf8);
        return;
      }
  g_string_append_len (out, text, size);
}

static void
append_escaped (GString    *out,
                const char *text,
                gsize       size)
{
  g_autofree char *escaped = g_markup_escape_text (text, size);

  g_string_append (out, escaped);
}

/* An attribute (a link's href) as plain text: entities decoded. */
static char *
attribute_to_string (const MD_ATTRIBUTE *attr)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; attr->substr_offsets != NULL && attr->substr_offsets[i] < attr->size; i++)
    {
      const char *piece = attr->text + attr->substr_offsets[i];
      gsize size = attr->substr_offsets[i + 1] - attr->substr_offsets[i];

      switch (attr->substr_types[i])
        {
        case MD_TEXT_ENTITY:
          append_entity (out, piece, size);
          break;
        case MD_TEXT_NULLCHAR:
          g_string_append (out, "\xef\xbf\xbd");
          break;
        default:
          g_string_append_len (out, piece, size);
          break;
        }
    }
  return g_string_free (out, FALSE);
}

static void
add_block (Builder         *b,
           NbMarkdownBlock *block)
{
  if (b->stack->len > 0)
    nb_markdown_block_add_child (g_ptr_array_index (b->stack, b->stack->len - 1), block);
  else
    g_ptr_array_add (b->top, block);
}

static void
close_leaf (Builder *b)
{
  NbMarkdownBlockKind kind;

  if (b->leaf == NULL)
    return;

  kind = nb_markdown_block_get_kind (b->leaf);
  if (kind == NB_MARKDOWN_BLOCK_CODE)
    {
      nb_markdown_block_take_text (b->leaf, g_strndup (b->raw->str, b->raw->len));
    }
  else if (kind == NB_MARKDOWN_BLOCK_HTML)
    {
      gsize len = b->raw->len;

      while (len > 0 && b->raw->str[len - 1] == '\n')
        len--;
      nb_markdown_block_take_text (b->leaf, g_strndup (b->raw->str, b->raw->len));
      nb_markdown_block_take_markup (b->leaf, g_markup_escape_text (b->raw->str, len));
    }
  else
    {
      /* A soft break before the end of a streamed paragraph. */
      while (b->markup->len > 0 && b->markup->str[b->markup->len - 1] == ' ')
        g_string_truncate (b->markup, b->markup->len - 1);
      nb_markdown_block_take_markup (b->leaf, g_strndup (b->markup->str, b->markup->len));
    }
  add_block (b, b->leaf);
  b->leaf = NULL;
  b->leaf_is_implicit = FALSE;
}

static void
open_leaf (Builder             *b,
           NbMarkdownBlockKind  kind)
{
  b->leaf = nb_markdown_block_new (kind);
  g_string_truncate (b->markup, 0);
  g_string_truncate (b->raw, 0);
}

static void
push_container (Builder         *b,
                NbMarkdownBlock *block)
{
  g_ptr_array_add (b->stack, block);
}

static void
pop_container (Builder *b)
{
  NbMarkdownBlock *block;

  g_return_if_fail (b->stack->len > 0);
  block = g_ptr_array_steal_index (b->stack, b->stack->len - 1);
  add_block (b, block);
}

static int
enter_block (MD_BLOCKTYPE  type,
             void         *detail,
             void         *user_data)
{
  Builder *b = user_data;
  NbMarkdownBlock *block;

  if (b->leaf_is_implicit)
    close_leaf (b);

  switch (type)
    {
    case MD_BLOCK_DOC:
      break;
    case MD_BLOCK_P:
      open_leaf (b, NB_MARKDOWN_BLOCK_PARAGRAPH);
      break;
    case MD_BLOCK_H:
      open_leaf (b, NB_MARKDOWN_BLOCK_HEADING);
      nb_markdown_block_set_level (b->leaf, ((MD_BLOCK_H_DETAIL *) detail)->level);
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        open_leaf (b, NB_MARKDOWN_BLOCK_CODE);
        if (code->lang.text != NULL && code->lang.size > 0)
          {
            g_autofree char *lang = attribute_to_string (&code->lang);

            nb_markdown_block_set_language (b->leaf, lang, -1);
          }
      }
      break;
    case MD_BLOCK_HTML:
      open_leaf (b, NB_MARKDOWN_BLOCK_HTML);
      break;
    case MD_BLOCK_HR:
      add_block (b, nb_markdown_block_new (NB_MARKDOWN_BLOCK_RULE));
      break;
    case MD_BLOCK_QUOTE:
      push_container (b, nb_markdown_block_new (NB_MARKDOWN_BLOCK_QUOTE));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      block = nb_markdown_block_new (NB_MARKDOWN_BLOCK_LIST);
      if (type == MD_BLOCK_OL)
        nb_markdown_block_set_list (block, TRUE, ((MD_BLOCK_OL_DETAIL *) detail)->start);
      nb_markdown_block_set_level (block, b->list_depth++);
      push_container (b, block);
      break;
    case MD_BLOCK_LI:
      {
        MD_BLOCK_LI_DETAIL *li = detail;

        block = nb_markdown_block_new (NB_MARKDOWN_BLOCK_LIST_ITEM);
        if (li->is_task)
          nb_markdown_block_set_task (block, li->task_mark == ' ' ? NB_MARKDOWN_TASK_OPEN : NB_MARKDOWN_TASK_DONE);
        push_container (b, block);
      }
      break;
    case MD_BLOCK_TABLE:
      block = nb_markdown_block_new (NB_MARKDOWN_BLOCK_TABLE);
      nb_markdown_block_set_columns (block, ((MD_BLOCK_TABLE_DETAIL *) detail)->col_count);
      b->table = block;
      push_container (b, block);
      break;
    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
      break;
    case MD_BLOCK_TR:
      b->cell_column = 0;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (b->table != NULL)
        {
          NbMarkdownAlign align = (NbMarkdownAlign) ((MD_BLOCK_TD_DETAIL *) detail)->align;

          nb_markdown_block_set_alignment (b->table, b->cell_column, align);
        }
      b->in_cell = TRUE;
      g_string_truncate (b->markup, 0);
      break;
    default:
      break;
    }
  return 0;
}

static int
leave_block (MD_BLOCKTYPE  type,
             void         *detail,
             void         *user_data)
{
  Builder *b = user_data;

  if (b->leaf_is_implicit)
    close_leaf (b);

  switch (type)
    {
    case MD_BLOCK_P:
    case MD_BLOCK_H:
    case MD_BLOCK_CODE:
    case MD_BLOCK_HTML:
      close_leaf (b);
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      b->list_depth--;
      pop_container (b);
      break;
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_LI:
      pop_container (b);
      break;
    case MD_BLOCK_TABLE:
      b->table = NULL;
      pop_container (b);
      break;
    case MD_BLOCK_TR:
      if (b->table != NULL)
        nb_markdown_block_end_row (b->table);
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (b->table != NULL)
        nb_markdown_block_add_cell (b->table, g_strndup (b->markup->str, b->markup->len));
      b->in_cell = FALSE;
      b->cell_column++;
      break;
    default:
      break;
    }
  return 0;
}

static int
enter_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Builder *b = user_data;

  if (b->image_depth > 0)
    return 0;

  switch (type)
    {
    case MD_SPAN_EM:
      g_string_append (b->markup, "<i>");
      break;
    case MD_SPAN_STRONG:
      g_string_append (b->markup, "<b>");
      break;
    case MD_SPAN_DEL:
      g_string_append (b->markup, "<s>");
      break;
    case MD_SPAN_U:
      g_string_append (b->markup, "<u>");
      break;
    case MD_SPAN_CODE:
      g_string_append (b->markup, CODE_SPAN_OPEN);
      break;
    case MD_SPAN_A:
    case MD_SPAN_IMG:
      {
        /* An image is its alt text, linking to the picture. Links do not
         * nest in Pango markup: inside a link an image is only its text. */
        const MD_ATTRIBUTE *href = type == MD_SPAN_A ? &((MD_SPAN_A_DETAIL *) detail)->href
                                                     : &((MD_SPAN_IMG_DETAIL *) detail)->src;

        if (b->link_depth == 0)
          {
            g_autofree char *url = attribute_to_string (href);
            g_autofree char *escaped = g_markup_escape_text (url, -1);

            g_string_append_printf (b->markup, "<a href=\"%s\">", escaped);
          }
        b->link_depth++;
        if (type == MD_SPAN_IMG)
          b->image_depth++;
      }
      break;
    default:
      break;
    }
  return 0;
}

static int
leave_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Builder *b = user_data;

  if (type == MD_SPAN_IMG)
    b->image_depth--;
  if (b->image_depth > 0)
    return 0;

  switch (type)
    {
    case MD_SPAN_EM:
      g_string_append (b->markup, "</i>");
      break;
    case MD_SPAN_STRONG:
      g_string_append (b->markup, "</b>");
      break;
    case MD_SPAN_DEL:
      g_string_append (b->markup, "</s>");
      break;
    case MD_SPAN_U:
      g_string_append (b->markup, "</u>");
      break;
    case MD_SPAN_CODE:
      g_string_append (b->markup, "</span>");
      break;
    case MD_SPAN_A:
    case MD_SPAN_IMG:
      if (--b->link_depth == 0)
        g_string_append (b->markup, "</a>");
      break;
    default:
      break;
    }
  return 0;
}

static int
on_text (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Builder *b = user_data;

  if (b->leaf != NULL && !b->leaf_is_implicit &&
      (nb_markdown_block_get_kind (b->leaf) == NB_MARKDOWN_BLOCK_CODE ||
       nb_markdown_block_get_kind (b->leaf) == NB_MARKDOWN_BLOCK_HTML))
    {
      /* md4c ends a last line that has no newline with one of its own:
       * leave it out, so that the code of a streamed block only grows. */
      if (size == 1 && text[0] == '\n' && b->raw_end == b->src_end && text != b->src_end)
        return 0;
      if (type == MD_TEXT_NULLCHAR)
        g_string_append (b->raw, "\xef\xbf\xbd");
      else
        g_string_append_len (b->raw, text, size);
      b->raw_end = text + size;
      return 0;
    }

  if (b->leaf == NULL && !b->in_cell)
    {
      /* Text straight in a tight list item (or anywhere md4c gives no P). */
      open_leaf (b, NB_MARKDOWN_BLOCK_PARAGRAPH);
      b->leaf_is_implicit = TRUE;
    }

  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      g_string_append (b->markup, "\xef\xbf\xbd");
      break;
    case MD_TEXT_BR:
      g_string_append_c (b->markup, '\n');
      break;
    case MD_TEXT_SOFTBR:
      g_string_append_c (b->markup, ' ');
      break;
    case MD_TEXT_ENTITY:
      {
        g_autoptr(GString) decoded = g_string_new (NULL);

        append_entity (decoded, text, size);
        append_escaped (b->markup, decoded->str, decoded->len);
      }
      break;
    default:
      append_escaped (b->markup, text, size);
      break;
    }
  return 0;
}

GPtrArray *
nb_markdown_parse (const char *text,
                   gsize       length)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = NB_MARKDOWN_FLAGS,
    .enter_block = enter_block,
    .leave_block = leave_block,
    .enter_span = enter_span,
    .leave_span = leave_span,
    .text = on_text,
  };
  Builder b = {
    .src_end = text + length,
    .top = g_ptr_array_new_with_free_func (g_object_unref),
    .stack = g_ptr_array_new_with_free_func (g_object_unref),
    .markup = g_string_new (NULL),
    .raw = g_string_new (NULL),
  };

  g_return_val_if_fail (length <= G_MAXUINT32, b.top);

  if (md_parse (text, (MD_SIZE) length, &parser, &b) != 0)
    g_warning ("md4c failed to parse %" G_GSIZE_FORMAT " bytes", length);

  /* Only after a failure is anything still open. */
  close_leaf (&b);
  while (b.stack->len > 0)
    pop_container (&b);

  g_ptr_array_unref (b.stack);
  g_string_free (b.markup, TRUE);
  g_string_free (b.raw, TRUE);
  return b.top;
}
