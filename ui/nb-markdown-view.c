/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-markdown-view"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-code-block.h"
#include "nb-markdown-view.h"
#include "nb-scroll-passthrough.h"

/* Shows markdown as widgets, one per block: labels for paragraphs and
 * headings, boxes for lists and quotes, a grid for a table, NbCodeBlock
 * for code. The text is kept in an NbMarkdownDocument; when it changes,
 * the widgets of the blocks that changed are updated in place where the
 * kind of block stays the same (a label gets new markup, a code block the
 * new lines) and replaced otherwise; the widgets of unchanged blocks are
 * not touched.
 *
 * Text set while a reply streams is only stored; a tick callback applies
 * it once per frame, so deltas that arrive between two frames cost one
 * parse and one update. A view that is not mapped does no work until it
 * is. */

struct _NbMarkdownView
{
  GtkWidget parent_instance;

  GtkWidget *box;
  NbMarkdownDocument *document;
  GString *text;       /* the latest text; the document may lag a frame */
  gboolean replaced;   /* text is not a continuation of the document's */
  gboolean dirty;
  gboolean streaming;
  guint tick_id;
};

G_DEFINE_FINAL_TYPE (NbMarkdownView, nb_markdown_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STREAMING,
  N_PROPS
};

enum {
  ACTIVATE_LINK,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define BLOCK_KEY "nb-markdown-block"

static GtkWidget *build_block  (NbMarkdownView  *self,
                                NbMarkdownBlock *block);
static gboolean   update_block (NbMarkdownView  *self,
                                GtkWidget       *widget,
                                NbMarkdownBlock *block);

/* Links */

static gboolean
on_label_activate_link (GtkLabel       *label,
                        const char     *uri,
                        NbMarkdownView *self)
{
  gboolean handled = FALSE;

  g_signal_emit (self, signals[ACTIVATE_LINK], 0, uri, &handled);
  /* Handled or not, the label must not open it on its own. */
  return TRUE;
}

/* Opens web and mail links with the desktop's handler; anything else a
 * model wrote (file:, relative paths, custom schemes) is not opened. */
static gboolean
nb_markdown_view_real_activate_link (NbMarkdownView *self,
                                     const char     *uri)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0 &&
       g_ascii_strcasecmp (scheme, "mailto") != 0))
    {
      g_debug ("Not opening link %s", uri);
      return TRUE;
    }
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
  return TRUE;
}

/* Building widgets */

static void
set_block (GtkWidget       *widget,
           NbMarkdownBlock *block)
{
  g_object_set_data_full (G_OBJECT (widget), BLOCK_KEY, g_object_ref (block), g_object_unref);
}

static NbMarkdownBlock *
get_block (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), BLOCK_KEY);
}

static GtkWidget *
new_label_with_role (NbMarkdownView    *self,
                     const char        *markup,
                     GtkAccessibleRole  role)
{
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL, "accessible-role", role, NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  g_signal_connect_object (label, "activate-link", G_CALLBACK (on_label_activate_link), self, 0);
  return label;
}

static GtkWidget *
new_label (NbMarkdownView *self,
           const char     *markup)
{
  return new_label_with_role (self, markup, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
set_markup (GtkWidget  *label,
            const char *markup)
{
  if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), markup) != 0)
    gtk_label_set_markup (GTK_LABEL (label), markup);
}

static GtkWidget *
nth_child (GtkWidget *parent,
           guint      n)
{
  GtkWidget *child = gtk_widget_get_first_child (parent);

  for (; child != NULL && n > 0; n--)
    child = gtk_widget_get_next_sibling (child);
  return child;
}

/* Makes the children of @box from @position on show @blocks instead of
 * the @removed widgets there: the same widget updated where it can be,
 * a new one where not. */
static void
sync_children (NbMarkdownView *self,
               GtkWidget      *box,
               guint           position,
               guint           removed,
               GPtrArray      *blocks)
{
  GtkWidget *prev = position > 0 ? nth_child (box, position - 1) : NULL;
  GtkWidget *child = prev != NULL ? gtk_widget_get_next_sibling (prev) : gtk_widget_get_first_child (box);

  for (guint i = 0; i < blocks->len; i++)
    {
      NbMarkdownBlock *block = g_ptr_array_index (blocks, i);

      if (i < removed && child != NULL && update_block (self, child, block))
        {
          prev = child;
          child = gtk_widget_get_next_sibling (child);
          continue;
        }

      {
        GtkWidget *widget = build_block (self, block);

        gtk_box_insert_child_after (GTK_BOX (box), widget, prev);
        prev = widget;
        if (i < removed && child != NULL)
          {
            GtkWidget *next = gtk_widget_get_next_sibling (child);

            gtk_box_remove (GTK_BOX (box), child);
            child = next;
          }
      }
    }
  for (guint i = blocks->len; i < removed && child != NULL; i++)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_box_remove (GTK_BOX (box), child);
      child = next;
    }
}

static GPtrArray *
children_of (NbMarkdownBlock *block)
{
  GPtrArray *children = g_ptr_array_new ();

  for (guint i = 0; i < nb_markdown_block_get_n_children (block); i++)
    g_ptr_array_add (children, nb_markdown_block_get_child (block, i));
  return children;
}

static guint
n_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

static void
sync_all_children (NbMarkdownView  *self,
                   GtkWidget       *box,
                   NbMarkdownBlock *block)
{
  g_autoptr(GPtrArray) children = children_of (block);

  sync_children (self, box, 0, n_children (box), children);
}

static GtkWidget *
new_vbox (const char *css_class,
          int         spacing)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, spacing);

  if (css_class != NULL)
    gtk_widget_add_css_class (box, css_class);
  return box;
}

/* Lists: one row per item, a bullet or number and the item's blocks. */

static char *
bullet_text (NbMarkdownBlock *list,
             guint            index)
{
  static const char * const bullets[] = { "•", "◦", "▪" };
  NbMarkdownBlock *item = nb_markdown_block_get_child (list, index);

  switch (nb_markdown_block_get_task (item))
    {
    case NB_MARKDOWN_TASK_OPEN:
      return g_strdup ("☐");
    case NB_MARKDOWN_TASK_DONE:
      return g_strdup ("☑");
    case NB_MARKDOWN_TASK_NONE:
    default:
      break;
    }
  if (nb_markdown_block_get_ordered (list))
    return g_strdup_printf ("%u.", nb_markdown_block_get_start (list) + index);
  return g_strdup (bullets[nb_markdown_block_get_level (list) % G_N_ELEMENTS (bullets)]);
}

static GtkWidget *
build_list_item (NbMarkdownView  *self,
                 NbMarkdownBlock *list,
                 guint            index)
{
  NbMarkdownBlock *item = nb_markdown_block_get_child (list, index);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *content = new_vbox (NULL, 6);
  g_autofree char *bullet = bullet_text (list, index);
  GtkWidget *label = gtk_label_new (bullet);

  gtk_widget_add_css_class (row, "nb-markdown-item");
  gtk_widget_add_css_class (label, "nb-markdown-bullet");
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_set_valign (label, GTK_ALIGN_START);
  if (nb_markdown_block_get_ordered (list))
    gtk_label_set_width_chars (GTK_LABEL (label), 2 + (nb_markdown_block_get_start (list) + nb_markdown_block_get_n_children (list) > 10));
  gtk_widget_set_hexpand (content, TRUE);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), content);
  sync_all_children (self, content, item);
  set_block (row, item);
  return row;
}

static void
sync_list (NbMarkdownView  *self,
           GtkWidget       *box,
           NbMarkdownBlock *list)
{
  guint n = nb_markdown_block_get_n_children (list);
  GtkWidget *row = gtk_widget_get_first_child (box);
  guint i;

  for (i = 0; i < n && row != NULL; i++, row = gtk_widget_get_next_sibling (row))
    {
      NbMarkdownBlock *item = nb_markdown_block_get_child (list, i);
      g_autofree char *bullet = bullet_text (list, i);

      if (get_block (row) == item)
        continue;
      gtk_label_set_text (GTK_LABEL (gtk_widget_get_first_child (row)), bullet);
      sync_all_children (self, gtk_widget_get_last_child (row), item);
      set_block (row, item);
    }
  for (; i < n; i++)
    gtk_box_append (GTK_BOX (box), build_list_item (self, list, i));
  while (row != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (row);

      gtk_box_remove (GTK_BOX (box), row);
      row = next;
    }
}

/* Tables: a grid in a scroller, so that a wide table scrolls sideways
 * instead of widening the chat. */

static GtkWidget *
table_grid (GtkWidget *scroller)
{
  return g_object_get_data (G_OBJECT (scroller), "nb-grid");
}

/* A table scrolls sideways, and a scroller takes the height its child
 * needs at its narrowest: a cell that wraps freely would be measured a word
 * wide and leave a tall gap. So short cells do not wrap and long ones wrap
 * at a fixed width, which gives them one height at every width. */
#define CELL_WRAP_CHARS 32

static void
size_cell (GtkWidget *label)
{
  gboolean wrap = g_utf8_strlen (gtk_label_get_text (GTK_LABEL (label)), -1) > CELL_WRAP_CHARS;

  gtk_label_set_wrap (GTK_LABEL (label), wrap);
  gtk_label_set_width_chars (GTK_LABEL (label), wrap ? CELL_WRAP_CHARS : -1);
  gtk_label_set_max_width_chars (GTK_LABEL (label), wrap ? CELL_WRAP_CHARS : -1);
}

static void
sync_table (NbMarkdownView  *self,
            GtkWidget       *scroller,
            NbMarkdownBlock *table)
{
  GtkGrid *grid = GTK_GRID (table_grid (scroller));
  guint n_rows = nb_markdown_block_get_n_rows (table);
  guint n_columns = nb_markdown_block_get_n_columns (table);
  guint old_rows = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (grid), "nb-rows"));

  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_columns; c++)
      {
        const char *cell = nb_markdown_block_get_cell (table, r, c);
        g_autofree char *markup = r == 0 ? g_strconcat ("<b>", cell, "</b>", NULL) : NULL;
        GtkWidget *label = r < old_rows ? gtk_grid_get_child_at (grid, c, r) : NULL;

        if (label != NULL)
          {
            set_markup (label, markup != NULL ? markup : cell);
            size_cell (label);
            continue;
          }
        label = new_label (self, markup != NULL ? markup : cell);
        size_cell (label);
        switch (nb_markdown_block_get_alignment (table, c))
          {
          case NB_MARKDOWN_ALIGN_CENTER:
            gtk_label_set_xalign (GTK_LABEL (label), 0.5);
            gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
            break;
          case NB_MARKDOWN_ALIGN_RIGHT:
            gtk_label_set_xalign (GTK_LABEL (label), 1);
            gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_RIGHT);
            break;
          case NB_MARKDOWN_ALIGN_LEFT:
          case NB_MARKDOWN_ALIGN_DEFAULT:
          default:
            break;
          }
        gtk_widget_set_valign (label, GTK_ALIGN_START);
        gtk_widget_add_css_class (label, r == 0 ? "nb-markdown-table-header" : "nb-markdown-table-cell");
        gtk_grid_attach (grid, label, c, r, 1, 1);
      }
  for (guint r = old_rows; r > n_rows; r--)
    gtk_grid_remove_row (grid, r - 1);
  g_object_set_data (G_OBJECT (grid), "nb-rows", GUINT_TO_POINTER (n_rows));
}

static GtkWidget *
build_table (NbMarkdownView  *self,
             NbMarkdownBlock *table)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *grid = gtk_grid_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_widget_add_css_class (scroller, "nb-markdown-table-scroller");
  nb_scroll_passthrough_vertical (GTK_SCROLLED_WINDOW (scroller));
  gtk_widget_add_css_class (grid, "nb-markdown-table");
  gtk_widget_set_halign (grid, GTK_ALIGN_START);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);
  g_object_set_data (G_OBJECT (scroller), "nb-grid", grid);
  sync_table (self, scroller, table);
  return scroller;
}

static GtkWidget *
build_heading (NbMarkdownView  *self,
               NbMarkdownBlock *block)
{
  static const char * const classes[] = { "title-1", "title-2", "title-3", "title-4", "heading", "heading" };
  GtkWidget *label = new_label_with_role (self, nb_markdown_block_get_markup (block), GTK_ACCESSIBLE_ROLE_HEADING);
  guint level = CLAMP (nb_markdown_block_get_level (block), 1, 6);

  gtk_widget_add_css_class (label, classes[level - 1]);
  gtk_widget_add_css_class (label, "nb-markdown-heading");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LEVEL, (int) level, -1);
  return label;
}

static GtkWidget *
build_block (NbMarkdownView  *self,
             NbMarkdownBlock *block)
{
  GtkWidget *widget = NULL;

  switch (nb_markdown_block_get_kind (block))
    {
    case NB_MARKDOWN_BLOCK_PARAGRAPH:
      widget = new_label (self, nb_markdown_block_get_markup (block));
      break;
    case NB_MARKDOWN_BLOCK_HEADING:
      widget = build_heading (self, block);
      break;
    case NB_MARKDOWN_BLOCK_HTML:
      widget = new_label (self, nb_markdown_block_get_markup (block));
      gtk_widget_add_css_class (widget, "monospace");
      break;
    case NB_MARKDOWN_BLOCK_CODE:
      widget = nb_code_block_new (nb_markdown_block_get_language (block));
      nb_code_block_set_code (NB_CODE_BLOCK (widget), nb_markdown_block_get_text (block));
      break;
    case NB_MARKDOWN_BLOCK_QUOTE:
    case NB_MARKDOWN_BLOCK_LIST_ITEM:
      widget = new_vbox (nb_markdown_block_get_kind (block) == NB_MARKDOWN_BLOCK_QUOTE ? "nb-markdown-quote" : NULL, 12);
      sync_all_children (self, widget, block);
      break;
    case NB_MARKDOWN_BLOCK_LIST:
      widget = new_vbox ("nb-markdown-list", 6);
      sync_list (self, widget, block);
      break;
    case NB_MARKDOWN_BLOCK_TABLE:
      widget = build_table (self, block);
      break;
    case NB_MARKDOWN_BLOCK_RULE:
    default:
      widget = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      gtk_widget_add_css_class (widget, "nb-markdown-rule");
      break;
    }
  set_block (widget, block);
  return widget;
}

/* Updates @widget, built for a block, to show @block; FALSE when it cannot
 * (another kind of block) and must be replaced. */
static gboolean
update_block (NbMarkdownView  *self,
              GtkWidget       *widget,
              NbMarkdownBlock *block)
{
  NbMarkdownBlock *old = get_block (widget);
  NbMarkdownBlockKind kind = nb_markdown_block_get_kind (block);

  if (old == block)
    return TRUE;
  if (old == NULL || nb_markdown_block_get_kind (old) != kind ||
      nb_markdown_block_get_level (old) != nb_markdown_block_get_level (block))
    return FALSE;

  switch (kind)
    {
    case NB_MARKDOWN_BLOCK_PARAGRAPH:
    case NB_MARKDOWN_BLOCK_HEADING:
    case NB_MARKDOWN_BLOCK_HTML:
      set_markup (widget, nb_markdown_block_get_markup (block));
      break;
    case NB_MARKDOWN_BLOCK_CODE:
      if (g_strcmp0 (nb_markdown_block_get_language (old), nb_markdown_block_get_language (block)) != 0)
        return FALSE;
      nb_code_block_set_code (NB_CODE_BLOCK (widget), nb_markdown_block_get_text (block));
      break;
    case NB_MARKDOWN_BLOCK_QUOTE:
    case NB_MARKDOWN_BLOCK_LIST_ITEM:
      sync_all_children (self, widget, block);
      break;
    case NB_MARKDOWN_BLOCK_LIST:
      if (nb_markdown_block_get_ordered (old) != nb_markdown_block_get_ordered (block))
        return FALSE;
      sync_list (self, widget, block);
      break;
    case NB_MARKDOWN_BLOCK_TABLE:
      if (nb_markdown_block_get_n_columns (old) != nb_markdown_block_get_n_columns (block))
        return FALSE;
      for (guint c = 0; c < nb_markdown_block_get_n_columns (block); c++)
        if (nb_markdown_block_get_alignment (old, c) != nb_markdown_block_get_alignment (block, c))
          return FALSE;
      sync_table (self, widget, block);
      break;
    case NB_MARKDOWN_BLOCK_RULE:
    default:
      break;
    }
  set_block (widget, block);
  return TRUE;
}

static void
on_items_changed (GListModel     *model,
                  guint           position,
                  guint           removed,
                  guint           added,
                  NbMarkdownView *self)
{
  g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < added; i++)
    g_ptr_array_add (blocks, g_list_model_get_item (model, position + i));
  sync_children (self, self->box, position, removed, blocks);
}

/* Applying text, once per frame */

/**
 * nb_markdown_view_flush:
 *
 * Shows the text set so far now rather than at the next frame.
 */
void
nb_markdown_view_flush (NbMarkdownView *self)
{
  gsize applied;

  g_return_if_fail (NB_IS_MARKDOWN_VIEW (self));

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  if (!self->dirty)
    return;
  self->dirty = FALSE;

  nb_markdown_document_set_streaming (self->document, self->streaming);
  applied = strlen (nb_markdown_document_get_text (self->document));
  if (self->replaced)
    nb_markdown_document_set_text (self->document, self->text->str);
  else if (self->text->len > applied)
    nb_markdown_document_append (self->document, self->text->str + applied, self->text->len - applied);
  self->replaced = FALSE;
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (widget);

  self->tick_id = 0;
  nb_markdown_view_flush (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_update (NbMarkdownView *self)
{
  self->dirty = TRUE;
  if (self->tick_id == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
}

static void
nb_markdown_view_map (GtkWidget *widget)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (widget);

  GTK_WIDGET_CLASS (nb_markdown_view_parent_class)->map (widget);
  if (self->dirty)
    schedule_update (self);
}

static void
nb_markdown_view_unmap (GtkWidget *widget)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }
  GTK_WIDGET_CLASS (nb_markdown_view_parent_class)->unmap (widget);
}

static void
nb_markdown_view_dispose (GObject *object)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (object);

  if (self->document != NULL)
    g_signal_handlers_disconnect_by_func (self->document, on_items_changed, self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->document);

  G_OBJECT_CLASS (nb_markdown_view_parent_class)->dispose (object);
}

static void
nb_markdown_view_finalize (GObject *object)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (object);

  g_string_free (self->text, TRUE);

  G_OBJECT_CLASS (nb_markdown_view_parent_class)->finalize (object);
}

static void
nb_markdown_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (object);

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
nb_markdown_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NbMarkdownView *self = NB_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_STREAMING:
      nb_markdown_view_set_streaming (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_markdown_view_class_init (NbMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_markdown_view_dispose;
  object_class->finalize = nb_markdown_view_finalize;
  object_class->get_property = nb_markdown_view_get_property;
  object_class->set_property = nb_markdown_view_set_property;
  widget_class->map = nb_markdown_view_map;
  widget_class->unmap = nb_markdown_view_unmap;

  /**
   * NbMarkdownView:streaming:
   *
   * Whether more text is coming (see NbMarkdownDocument:streaming).
   */
  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbMarkdownView::activate-link:
   * @uri: the link's target
   *
   * A link was activated. The default handler opens http, https and
   * mailto links with the desktop's handler and nothing else.
   *
   * Returns: %TRUE when handled
   */
  signals[ACTIVATE_LINK] =
    g_signal_new_class_handler ("activate-link",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (nb_markdown_view_real_activate_link),
                                g_signal_accumulator_true_handled, NULL,
                                NULL,
                                G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "nb-markdown-view");
}

static void
nb_markdown_view_init (NbMarkdownView *self)
{
  self->text = g_string_new (NULL);
  self->document = nb_markdown_document_new ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  g_signal_connect (self->document, "items-changed", G_CALLBACK (on_items_changed), self);
}

GtkWidget *
nb_markdown_view_new (void)
{
  return g_object_new (NB_TYPE_MARKDOWN_VIEW, NULL);
}

/**
 * nb_markdown_view_set_text:
 *
 * Sets the markdown to show, at the next frame. While a reply streams,
 * pass the whole text so far each time (or use nb_markdown_view_append()):
 * only the blocks that changed are updated.
 */
void
nb_markdown_view_set_text (NbMarkdownView *self,
                           const char     *text)
{
  gsize len;

  g_return_if_fail (NB_IS_MARKDOWN_VIEW (self));

  text = text != NULL ? text : "";
  len = strlen (text);
  if (len == self->text->len && memcmp (text, self->text->str, len) == 0)
    return;
  if (len < self->text->len || memcmp (text, self->text->str, self->text->len) != 0)
    {
      self->replaced = TRUE;
      g_string_truncate (self->text, 0);
    }
  g_string_append_len (self->text, text + self->text->len, len - self->text->len);
  schedule_update (self);
}

/* Adds a streamed delta; shown at the next frame. */
void
nb_markdown_view_append (NbMarkdownView *self,
                         const char     *text,
                         gssize          length)
{
  g_return_if_fail (NB_IS_MARKDOWN_VIEW (self));
  g_return_if_fail (text != NULL || length == 0);

  if (length < 0)
    length = strlen (text);
  if (length == 0)
    return;
  g_string_append_len (self->text, text, length);
  schedule_update (self);
}

/* The markdown source, as set (for Copy). */
const char *
nb_markdown_view_get_markdown (NbMarkdownView *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_VIEW (self), NULL);
  return self->text->str;
}

void
nb_markdown_view_set_streaming (NbMarkdownView *self,
                                gboolean        streaming)
{
  g_return_if_fail (NB_IS_MARKDOWN_VIEW (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;
  self->streaming = streaming;
  schedule_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

gboolean
nb_markdown_view_get_streaming (NbMarkdownView *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_VIEW (self), FALSE);
  return self->streaming;
}

/* Returns: (transfer none): the blocks shown. */
NbMarkdownDocument *
nb_markdown_view_get_document (NbMarkdownView *self)
{
  g_return_val_if_fail (NB_IS_MARKDOWN_VIEW (self), NULL);
  return self->document;
}

/**
 * nb_markdown_view_set_document:
 * @document: the document to show; a reference is taken
 *
 * Shows @document instead of the view's own. Its blocks are shown now, not
 * at the next frame, so a list row knows its height when it is bound; the
 * widgets already there are updated in place where the kind of block
 * matches. Text set or appended later goes into @document.
 */
void
nb_markdown_view_set_document (NbMarkdownView     *self,
                               NbMarkdownDocument *document)
{
  g_autoptr(NbMarkdownDocument) old = NULL;
  g_autoptr(GPtrArray) blocks = NULL;
  gboolean streaming;

  g_return_if_fail (NB_IS_MARKDOWN_VIEW (self));
  g_return_if_fail (NB_IS_MARKDOWN_DOCUMENT (document));

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  if (document != self->document)
    {
      g_signal_handlers_disconnect_by_func (self->document, on_items_changed, self);
      old = g_steal_pointer (&self->document);
      self->document = g_object_ref (document);
      g_signal_connect (self->document, "items-changed", G_CALLBACK (on_items_changed), self);
    }
  g_string_assign (self->text, nb_markdown_document_get_text (document));
  self->dirty = FALSE;
  self->replaced = FALSE;

  blocks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (document)); i++)
    g_ptr_array_add (blocks, g_list_model_get_item (G_LIST_MODEL (document), i));
  sync_children (self, self->box, 0, n_children (self->box), blocks);

  streaming = nb_markdown_document_get_streaming (document);
  if (self->streaming != streaming)
    {
      self->streaming = streaming;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
    }
}
