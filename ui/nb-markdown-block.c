/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-markdown"

#include "config.h"

#include <string.h>

#include "nb-markdown-block-private.h"

struct _NbMarkdownBlock
{
  GObject parent_instance;

  NbMarkdownBlockKind kind;
  char *markup;      /* paragraph, heading, HTML (escaped) */
  char *text;        /* code, HTML: the source text */
  char *language;    /* code: the first word of the fence's info string */
  guint level;       /* heading: 1–6; list: nesting depth, 0 at the top */
  gboolean ordered;  /* list */
  guint start;       /* ordered list: the first number */
  NbMarkdownTask task;
  GPtrArray *children;

  /* Table: row 0 is the header; cells row by row. */
  guint n_columns;
  guint n_cells_in_row;
  NbMarkdownAlign *alignments;
  GPtrArray *cells;
};

G_DEFINE_FINAL_TYPE (NbMarkdownBlock, nb_markdown_block, G_TYPE_OBJECT)

static void
nb_markdown_block_finalize (GObject *object)
{
  NbMarkdownBlock *self = NB_MARKDOWN_BLOCK (object);

  g_free (self->markup);
  g_free (self->text);
  g_free (self->language);
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_free (self->alignments);
  g_clear_pointer (&self->cells, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_markdown_block_parent_class)->finalize (object);
}

static void
nb_markdown_block_class_init (NbMarkdownBlockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_markdown_block_finalize;
}

static void
nb_markdown_block_init (NbMarkdownBlock *self)
{
}

NbMarkdownBlock *
nb_markdown_block_new (NbMarkdownBlockKind kind)
{
  NbMarkdownBlock *self = g_object_new (NB_TYPE_MARKDOWN_BLOCK, NULL);

  self->kind = kind;
  return self;
}

void
nb_markdown_block_take_markup (NbMarkdownBlock *self,
                               char            *markup)
{
  g_free (self->markup);
  self->markup = markup;
}

void
nb_markdown_block_take_text (NbMarkdownBlock *self,
                             char            *text)
{
  g_free (self->text);
  self->text = text;
}

void
nb_markdown_block_set_language (NbMarkdownBlock *self,
                                const char      *language,
                                gssize           length)
{
  g_free (self->language);
  if (language == NULL || length == 0)
    self->language = NULL;
  else
    self->language = length < 0 ? g_strdup (language) : g_strndup (language, length);
}

void
nb_markdown_block_set_level (NbMarkdownBlock *self,
                             guint            level)
{
  self->level = level;
}

void
nb_markdown_block_set_list (NbMarkdownBlock *self,
                            gboolean         ordered,
                            guint            start)
{
  self->ordered = ordered;
  self->start = start;
}

void
nb_markdown_block_set_task (NbMarkdownBlock *self,
                            NbMarkdownTask   task)
{
  self->task = task;
}

void
nb_markdown_block_add_child (NbMarkdownBlock *self,
                             NbMarkdownBlock *child)
{
  if (self->children == NULL)
    self->children = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->children, child);
}

void
nb_markdown_block_set_columns (NbMarkdownBlock *self,
                               guint            n_columns)
{
  self->n_columns = MAX (n_columns, 1);
  self->alignments = g_new0 (NbMarkdownAlign, self->n_columns);
  self->cells = g_ptr_array_new_with_free_func (g_free);
}

void
nb_markdown_block_set_alignment (NbMarkdownBlock *self,
                                 guint            column,
                                 NbMarkdownAlign  align)
{
  if (column < self->n_columns)
    self->alignments[column] = align;
}

/* Cells beyond the column count are dropped; nb_markdown_block_end_row()
 * fills a short row with empty cells. */
void
nb_markdown_block_add_cell (NbMarkdownBlock *self,
                            char            *markup)
{
  if (self->n_cells_in_row >= self->n_columns)
    {
      g_free (markup);
      return;
    }
  g_ptr_array_add (self->cells, markup);
  self->n_cells_in_row++;
}

void
nb_markdown_block_end_row (NbMarkdownBlock *self)
{
  for (; self->n_cells_in_row < self->n_columns; self->n_cells_in_row++)
    g_ptr_array_add (self->cells, g_strdup (""));
  self->n_cells_in_row = 0;
}

NbMarkdownBlockKind
nb_markdown_block_get_kind (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NB_MARKDOWN_BLOCK_PARAGRAPH);
  return self->kind;
}

/* Pango markup of a paragraph, heading or HTML block ("" otherwise). */
const char *
nb_markdown_block_get_markup (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NULL);
  return self->markup != NULL ? self->markup : "";
}

/* The text of a code block (every line ends in a newline) or HTML block. */
const char *
nb_markdown_block_get_text (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NULL);
  return self->text != NULL ? self->text : "";
}

/* A code block's language as written after the fence, or NULL. */
const char *
nb_markdown_block_get_language (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NULL);
  return self->language;
}

/* A heading's level (1–6), a list's nesting depth (0 at the top). */
guint
nb_markdown_block_get_level (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), 0);
  return self->level;
}

gboolean
nb_markdown_block_get_ordered (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), FALSE);
  return self->ordered;
}

guint
nb_markdown_block_get_start (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), 0);
  return self->start;
}

NbMarkdownTask
nb_markdown_block_get_task (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NB_MARKDOWN_TASK_NONE);
  return self->task;
}

guint
nb_markdown_block_get_n_children (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), 0);
  return self->children != NULL ? self->children->len : 0;
}

/* Returns: (transfer none) */
NbMarkdownBlock *
nb_markdown_block_get_child (NbMarkdownBlock *self,
                             guint            index)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NULL);
  g_return_val_if_fail (index < nb_markdown_block_get_n_children (self), NULL);
  return g_ptr_array_index (self->children, index);
}

guint
nb_markdown_block_get_n_columns (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), 0);
  return self->n_columns;
}

/* Rows of a table, the header row (row 0) included. */
guint
nb_markdown_block_get_n_rows (NbMarkdownBlock *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), 0);
  return self->cells != NULL ? self->cells->len / self->n_columns : 0;
}

NbMarkdownAlign
nb_markdown_block_get_alignment (NbMarkdownBlock *self,
                                 guint            column)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NB_MARKDOWN_ALIGN_DEFAULT);
  return column < self->n_columns ? self->alignments[column] : NB_MARKDOWN_ALIGN_DEFAULT;
}

/* Pango markup of one cell; row 0 is the header. */
const char *
nb_markdown_block_get_cell (NbMarkdownBlock *self,
                            guint            row,
                            guint            column)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_BLOCK (self), NULL);
  g_return_val_if_fail (row < nb_markdown_block_get_n_rows (self), NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);
  return g_ptr_array_index (self->cells, row * self->n_columns + column);
}

/* Deep comparison: same kind, content and children. */
gboolean
nb_markdown_block_equal (NbMarkdownBlock *a,
                         NbMarkdownBlock *b)
{
  guint n;

  if (a == b)
    return TRUE;
  if (a->kind != b->kind || a->level != b->level || a->ordered != b->ordered ||
      a->start != b->start || a->task != b->task || a->n_columns != b->n_columns ||
      g_strcmp0 (a->markup, b->markup) != 0 || g_strcmp0 (a->text, b->text) != 0 ||
      g_strcmp0 (a->language, b->language) != 0)
    return FALSE;

  n = nb_markdown_block_get_n_children (a);
  if (n != nb_markdown_block_get_n_children (b))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!nb_markdown_block_equal (g_ptr_array_index (a->children, i), g_ptr_array_index (b->children, i)))
      return FALSE;

  if (a->n_columns > 0)
    {
      if (memcmp (a->alignments, b->alignments, a->n_columns * sizeof (NbMarkdownAlign)) != 0 ||
          a->cells->len != b->cells->len)
        return FALSE;
      for (guint i = 0; i < a->cells->len; i++)
        if (!g_str_equal (g_ptr_array_index (a->cells, i), g_ptr_array_index (b->cells, i)))
          return FALSE;
    }
  return TRUE;
}

/* Quoted, with newlines, tabs, quotes and backslashes escaped (UTF-8 as is). */
static void
dump_string (GString    *out,
             const char *s)
{
  g_string_append_c (out, '"');
  for (; s != NULL && *s != '\0'; s++)
    switch (*s)
      {
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '"':
      case '\\':
        g_string_append_c (out, '\\');
        G_GNUC_FALLTHROUGH;
      default:
        g_string_append_c (out, *s);
        break;
      }
  g_string_append_c (out, '"');
}

/* A readable one-line-per-block form of the tree, for tests and debugging. */
void
nb_markdown_block_dump (NbMarkdownBlock *self,
                        GString         *out,
                        guint            indent)
{
  static const char * const kinds[] = {
    "paragraph", "heading", "code", "quote", "list", "item", "table", "rule", "html",
  };
  static const char * const aligns[] = { "default", "left", "center", "right" };

  g_string_append_printf (out, "%*s%s", indent * 2, "", kinds[self->kind]);
  switch (self->kind)
    {
    case NB_MARKDOWN_BLOCK_HEADING:
      g_string_append_printf (out, " %u ", self->level);
      dump_string (out, self->markup);
      break;
    case NB_MARKDOWN_BLOCK_PARAGRAPH:
    case NB_MARKDOWN_BLOCK_HTML:
      g_string_append_c (out, ' ');
      dump_string (out, self->markup);
      break;
    case NB_MARKDOWN_BLOCK_CODE:
      g_string_append_printf (out, " [%s] ", self->language != NULL ? self->language : "");
      dump_string (out, self->text);
      break;
    case NB_MARKDOWN_BLOCK_LIST:
      if (self->ordered)
        g_string_append_printf (out, " ordered %u", self->start);
      else
        g_string_append (out, " bullet");
      break;
    case NB_MARKDOWN_BLOCK_LIST_ITEM:
      if (self->task != NB_MARKDOWN_TASK_NONE)
        g_string_append (out, self->task == NB_MARKDOWN_TASK_DONE ? " [x]" : " [ ]");
      break;
    case NB_MARKDOWN_BLOCK_TABLE:
      for (guint c = 0; c < self->n_columns; c++)
        g_string_append_printf (out, " %s", aligns[self->alignments[c]]);
      break;
    case NB_MARKDOWN_BLOCK_QUOTE:
    case NB_MARKDOWN_BLOCK_RULE:
    default:
      break;
    }
  g_string_append_c (out, '\n');

  if (self->kind == NB_MARKDOWN_BLOCK_TABLE)
    for (guint r = 0; r < nb_markdown_block_get_n_rows (self); r++)
      {
        g_string_append_printf (out, "%*srow", (indent + 1) * 2, "");
        for (guint c = 0; c < self->n_columns; c++)
          {
            g_string_append_c (out, ' ');
            dump_string (out, nb_markdown_block_get_cell (self, r, c));
          }
        g_string_append_c (out, '\n');
      }

  for (guint i = 0; i < nb_markdown_block_get_n_children (self); i++)
    nb_markdown_block_dump (g_ptr_array_index (self->children, i), out, indent + 1);
}
