/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "nb-code-block.h"
#include "nb-markdown-view.h"

/* NbMarkdownView and NbCodeBlock in this process: the widgets a text
 * becomes, updates that leave finished blocks alone, and the link handler.
 * With NB_SCREENSHOT=file.png, /markdown-view/screenshot shows a sample in
 * a window and saves a screenshot of the screen (NB_SCREENSHOT_DARK=1 and
 * NB_SCREENSHOT_WIDTH=360 for the dark style and a narrow window). */

static GtkWidget *
block_widget (NbMarkdownView *view,
              guint           index)
{
  GtkWidget *child = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (view)));

  for (; child != NULL && index > 0; index--)
    child = gtk_widget_get_next_sibling (child);
  g_assert_nonnull (child);
  return child;
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_descendant (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static NbMarkdownView *
new_view (const char *text)
{
  NbMarkdownView *view = NB_MARKDOWN_VIEW (g_object_ref_sink (nb_markdown_view_new ()));

  nb_markdown_view_set_text (view, text);
  nb_markdown_view_flush (view);
  return view;
}

static void
destroy_view (NbMarkdownView *view)
{
  g_assert_finalize_object (view);
}

static char *
buffer_text (NbCodeBlock *block)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (nb_code_block_get_buffer (block)), &start, &end);
  return gtk_text_buffer_get_text (GTK_TEXT_BUFFER (nb_code_block_get_buffer (block)), &start, &end, FALSE);
}

static void
test_blocks (void)
{
  NbMarkdownView *view = new_view ("# Title\n\nSome *text* with `a<b`.\n\n> quoted\n\n---\n\n<b>html</b>\n");
  GtkWidget *heading = block_widget (view, 0);

  g_assert_true (GTK_IS_LABEL (heading));
  g_assert_true (gtk_widget_has_css_class (heading, "title-1"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (heading)), ==, "Title");
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (heading)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (block_widget (view, 1))), ==, "Some text with a<b.");
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (block_widget (view, 1))));
  g_assert_true (gtk_widget_has_css_class (block_widget (view, 2), "nb-markdown-quote"));
  g_assert_true (GTK_IS_SEPARATOR (block_widget (view, 3)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (block_widget (view, 4))), ==, "<b>html</b>");
  g_assert_cmpstr (nb_markdown_view_get_markdown (view), ==,
                   "# Title\n\nSome *text* with `a<b`.\n\n> quoted\n\n---\n\n<b>html</b>\n");
  destroy_view (view);
}

static void
test_table (void)
{
  NbMarkdownView *view = new_view ("| Name | Qty |\n|:---|---:|\n| apple | 3 |\n| *pear* | 12 |\n");
  GtkWidget *grid = find_descendant (block_widget (view, 0), GTK_TYPE_GRID);
  GtkWidget *cell;

  g_assert_true (GTK_IS_SCROLLED_WINDOW (block_widget (view, 0)));
  g_assert_nonnull (grid);
  g_assert_cmpuint (count_children (grid), ==, 6);
  cell = gtk_grid_get_child_at (GTK_GRID (grid), 0, 0);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (cell)), ==, "Name");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (cell)), ==, "<b>Name</b>");
  cell = gtk_grid_get_child_at (GTK_GRID (grid), 0, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (cell)), ==, "pear");
  cell = gtk_grid_get_child_at (GTK_GRID (grid), 1, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (cell)), ==, "12");
  g_assert_cmpfloat (gtk_label_get_xalign (GTK_LABEL (cell)), ==, 1.0);

  /* A row more: the same grid gets the new cells. */
  nb_markdown_view_set_text (view, "| Name | Qty |\n|:---|---:|\n| apple | 3 |\n| *pear* | 12 |\n| fig | 1 |\n");
  nb_markdown_view_flush (view);
  g_assert_true (find_descendant (block_widget (view, 0), GTK_TYPE_GRID) == grid);
  g_assert_cmpuint (count_children (grid), ==, 8);
  destroy_view (view);
}

static void
test_lists (void)
{
  NbMarkdownView *view = new_view ("7. seven\n8. eight\n   - two\n     - three\n       - four\n- [x] done\n");
  GtkWidget *list = block_widget (view, 0);
  GtkWidget *row = gtk_widget_get_first_child (list);
  GtkWidget *nested;

  g_assert_true (gtk_widget_has_css_class (list, "nb-markdown-list"));
  g_assert_cmpuint (count_children (list), ==, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (row))), ==, "7.");
  row = gtk_widget_get_next_sibling (row);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (row))), ==, "8.");

  /* Three levels below the ordered list: bullets by depth. */
  nested = gtk_widget_get_last_child (gtk_widget_get_last_child (row));
  g_assert_true (gtk_widget_has_css_class (nested, "nb-markdown-list"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (gtk_widget_get_first_child (nested)))), ==, "◦");
  nested = gtk_widget_get_last_child (gtk_widget_get_last_child (gtk_widget_get_first_child (nested)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (gtk_widget_get_first_child (nested)))), ==, "▪");
  nested = gtk_widget_get_last_child (gtk_widget_get_last_child (gtk_widget_get_first_child (nested)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (gtk_widget_get_first_child (nested)))), ==, "•");

  row = gtk_widget_get_first_child (block_widget (view, 1));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (row))), ==, "☑");
  destroy_view (view);
}

static void
test_code (void)
{
  NbMarkdownView *view = new_view ("```py\nif a < b:\n    print(\"&\")\n```\n");
  GtkWidget *widget = block_widget (view, 0);
  g_autofree char *text = NULL;

  g_assert_true (NB_IS_CODE_BLOCK (widget));
  g_assert_cmpstr (nb_code_block_get_language (NB_CODE_BLOCK (widget)), ==, "py");
  g_assert_cmpstr (nb_code_block_get_code (NB_CODE_BLOCK (widget)), ==, "if a < b:\n    print(\"&\")\n");
  text = buffer_text (NB_CODE_BLOCK (widget));
  g_assert_cmpstr (text, ==, "if a < b:\n    print(\"&\")");
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (nb_code_block_get_buffer (NB_CODE_BLOCK (widget)))), ==, "python3");
  g_assert_false (gtk_text_view_get_editable (GTK_TEXT_VIEW (find_descendant (widget, GTK_SOURCE_TYPE_VIEW))));
  destroy_view (view);
}

static void
test_languages (void)
{
  static const struct { const char *name, *id; } cases[] = {
    { "js", "js" }, { "javascript", "js" }, { "py", "python3" },
    { "Python", "python3" }, { "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" },
    { "c", "c" }, { "cpp", "cpp" }, { "c++", "cpp" }, { "rust", "rust" }, { "rs", "rust" },
    { "go", "go" }, { "json", "json" }, { "yaml", "yaml" }, { "yml", "yaml" },
    { "xml", "xml" }, { "html", "html" }, { "css", "css" }, { "sql", "sql" },
    { "diff", "diff" }, { "ts", "typescript" }, { "toml", "toml" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GtkSourceLanguage *language = nb_code_block_lookup_language (cases[i].name);

      if (language == NULL)
        g_error ("no language for %s", cases[i].name);
      g_assert_cmpstr (gtk_source_language_get_id (language), ==, cases[i].id);
    }
  g_assert_null (nb_code_block_lookup_language ("text"));
  g_assert_null (nb_code_block_lookup_language ("no-such-language"));
  g_assert_null (nb_code_block_lookup_language (NULL));
}

static void
test_copy (void)
{
  NbMarkdownView *view = new_view ("```\nls -l\n```");
  NbCodeBlock *block = NB_CODE_BLOCK (block_widget (view, 0));
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (block));
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  GtkWidget *button = find_descendant (GTK_WIDGET (block), GTK_TYPE_BUTTON);

  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Copy");
  nb_code_block_copy (block);
  g_assert_true (gdk_clipboard_is_local (clipboard));
  g_value_init (&value, G_TYPE_STRING);
  g_assert_true (gdk_content_provider_get_value (gdk_clipboard_get_content (clipboard), &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (&value), ==, "ls -l\n");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Copied");
  destroy_view (view);
}

static gboolean
on_activate_link (NbMarkdownView  *view,
                  const char      *uri,
                  char           **activated)
{
  g_free (*activated);
  *activated = g_strdup (uri);
  return TRUE;
}

static void
test_link (void)
{
  NbMarkdownView *view = new_view ("Go to [GNOME](https://gnome.org/?a=1&b=2).");
  g_autofree char *activated = NULL;
  gboolean handled = FALSE;
  GtkWidget *label = block_widget (view, 0);

  g_signal_connect (view, "activate-link", G_CALLBACK (on_activate_link), &activated);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, "Go to GNOME.");
  g_signal_emit_by_name (label, "activate-link", "https://gnome.org/?a=1&b=2", &handled);
  g_assert_true (handled);
  g_assert_cmpstr (activated, ==, "https://gnome.org/?a=1&b=2");
  destroy_view (view);
}

/* A window, realized and mapped, and a way to wait for frames. */

static GtkWindow *
new_window (GtkWidget *view,
            int        width)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_widget_set_margin_start (view, 18);
  gtk_widget_set_margin_end (view, 18);
  gtk_widget_set_margin_top (view, 18);
  gtk_widget_set_margin_bottom (view, 18);
  gtk_window_set_child (window, scroller);
  gtk_window_set_default_size (window, width, 700);
  gtk_window_present (window);
  return window;
}

static gboolean
count_frame (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_frames (GtkWidget *widget,
             guint      n)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, count_frame, &frames, NULL);
  guint timer = g_timeout_add (100, wake_up, NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (frames < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  gtk_widget_remove_tick_callback (widget, id);
  g_source_remove (timer);
  g_assert_cmpuint (frames, >=, n);
}

/* Streamed into a shown view: updates wait for a frame, finished blocks
 * keep their widgets, and an open code block keeps its widget and buffer
 * while its code grows. */
static void
test_streaming (void)
{
  const char *text = "First paragraph.\n\nSecond *one*.\n\n```c\nint a;\nint b;\nint c;\n```\n\nAfter.";
  GtkWidget *view = nb_markdown_view_new ();
  GtkWindow *window = new_window (view, 600);
  GtkWidget *first = NULL, *code = NULL;
  gsize len = strlen (text);

  wait_frames (view, 1);
  nb_markdown_view_set_streaming (NB_MARKDOWN_VIEW (view), TRUE);
  for (gsize n = 0; n < len; n += 5)
    {
      g_autofree char *prefix = g_strndup (text, MIN (n + 5, len));

      nb_markdown_view_set_text (NB_MARKDOWN_VIEW (view), prefix);
      /* Not applied before the next frame. */
      if (n == 0)
        g_assert_null (gtk_widget_get_first_child (gtk_widget_get_first_child (view)));
      wait_frames (view, 1);

      if (first == NULL && nb_markdown_document_get_n_closed (nb_markdown_view_get_document (NB_MARKDOWN_VIEW (view))) > 0)
        first = block_widget (NB_MARKDOWN_VIEW (view), 0);
      if (first != NULL)
        g_assert_true (block_widget (NB_MARKDOWN_VIEW (view), 0) == first);
      if (code == NULL && strstr (prefix, "int a;") != NULL)
        code = block_widget (NB_MARKDOWN_VIEW (view), 2);
      if (code != NULL)
        g_assert_true (block_widget (NB_MARKDOWN_VIEW (view), 2) == code);
    }
  nb_markdown_view_set_streaming (NB_MARKDOWN_VIEW (view), FALSE);
  wait_frames (view, 1);

  g_assert_nonnull (first);
  g_assert_true (NB_IS_CODE_BLOCK (code));
  g_assert_cmpstr (nb_code_block_get_code (NB_CODE_BLOCK (code)), ==, "int a;\nint b;\nint c;\n");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (block_widget (NB_MARKDOWN_VIEW (view), 3))), ==, "After.");

  g_object_ref (window);
  gtk_window_destroy (window);
  g_assert_finalize_object (window);
}

/* A 2 000-line code block, shown and laid out, does not stall. */
static void
test_big_code_block (void)
{
  g_autoptr(GString) text = g_string_new ("```c\n");
  GtkWidget *view = nb_markdown_view_new ();
  GtkWindow *window = new_window (view, 800);
  GtkWidget *code;
  g_autofree char *shown = NULL;
  gint64 start, elapsed;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text, "  result_%u = compute (input[%u], &state, 0x%04x); /* line %u */\n", i, i, i, i);
  g_string_append (text, "```\n");
  wait_frames (view, 1);

  start = g_get_monotonic_time ();
  nb_markdown_view_set_text (NB_MARKDOWN_VIEW (view), text->str);
  wait_frames (view, 2);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("2000-line code block shown in %.1f ms", elapsed / 1000.0);

  code = block_widget (NB_MARKDOWN_VIEW (view), 0);
  g_assert_true (NB_IS_CODE_BLOCK (code));
  shown = buffer_text (NB_CODE_BLOCK (code));
  g_assert_cmpuint (strlen (shown), ==, text->len - strlen ("```c\n") - strlen ("\n```\n"));
  /* Generous: sanitizers make this several times slower. */
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);

  g_object_ref (window);
  gtk_window_destroy (window);
  g_assert_finalize_object (window);
}

static const char sample[] =
  "# Markdown in Nanobot\n\n"
  "A paragraph with **bold**, *italic*, ~~struck~~ text, a [link](https://gnome.org) and "
  "inline `code <with> & symbols`, long enough to wrap over more than one line in a narrow window.\n\n"
  "## A list\n\n"
  "1. First item\n"
  "2. Second item with a nested list:\n"
  "   - nested bullet\n"
  "     - deeper bullet with enough words to wrap when the window is narrow\n"
  "3. Third item\n\n"
  "- [x] a done task\n- [ ] an open task\n\n"
  "> A block quote, which has a line at its left.\n\n"
  "| Language | Typing | Year | Notes on the language |\n"
  "|:---------|:------:|-----:|:----------------------|\n"
  "| C | static | 1972 | systems programming, GTK itself |\n"
  "| Python | dynamic | 1991 | scripting, the original nanobot |\n"
  "| Rust | static | 2015 | memory safety without a garbage collector, and a long cell that wraps |\n\n"
  "```c\n"
  "#include <gtk/gtk.h>\n\n"
  "static void\n"
  "activate (GtkApplication *app, gpointer user_data)\n"
  "{\n"
  "  GtkWidget *window = gtk_application_window_new (app); /* a comment that is long enough to scroll */\n"
  "  gtk_window_present (GTK_WINDOW (window));\n"
  "}\n"
  "```\n\n"
  "---\n\n"
  "That is all.\n";

static void
test_screenshot (void)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  const char *width = g_getenv ("NB_SCREENSHOT_WIDTH");
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *view;
  GtkWindow *window;
  int status;

  if (path == NULL)
    {
      g_test_skip ("NB_SCREENSHOT not set");
      return;
    }

  gtk_css_provider_load_from_resource (css, "/io/github/nanobot/Nanobot/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  if (g_strcmp0 (g_getenv ("NB_SCREENSHOT_DARK"), "1") == 0)
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);

  view = nb_markdown_view_new ();
  window = new_window (view, width != NULL ? atoi (width) : 720);
  gtk_window_set_default_size (window, width != NULL ? atoi (width) : 720, 1100);
  nb_markdown_view_set_text (NB_MARKDOWN_VIEW (view), sample);
  wait_frames (view, 30);

  for (GtkWidget *c = gtk_widget_get_first_child (gtk_widget_get_first_child (view)); c != NULL; c = gtk_widget_get_next_sibling (c))
    g_test_message ("%s: %d×%d", G_OBJECT_TYPE_NAME (c), gtk_widget_get_width (c), gtk_widget_get_height (c));

  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);

  g_object_ref (window);
  gtk_window_destroy (window);
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  /* These tests draw frames. With the GL renderer Mesa's llvmpipe JITs
   * shaders and registers their unwind tables while holding the unwinder's
   * lock, where ASan's slow unwinder (fast_unwind_on_malloc=0) deadlocks
   * on it. Cairo draws the same widgets without a JIT. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/markdown-view/blocks", test_blocks);
  g_test_add_func ("/markdown-view/table", test_table);
  g_test_add_func ("/markdown-view/lists", test_lists);
  g_test_add_func ("/markdown-view/code", test_code);
  g_test_add_func ("/markdown-view/languages", test_languages);
  g_test_add_func ("/markdown-view/copy", test_copy);
  g_test_add_func ("/markdown-view/link", test_link);
  g_test_add_func ("/markdown-view/streaming", test_streaming);
  g_test_add_func ("/markdown-view/big-code-block", test_big_code_block);
  g_test_add_func ("/markdown-view/screenshot", test_screenshot);

  return g_test_run ();
}
