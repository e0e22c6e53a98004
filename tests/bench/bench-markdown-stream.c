/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "nb-markdown-view.h"

/* Streams a ~20 000-token markdown reply (prose, nested lists, a table,
 * three code blocks) into a shown NbMarkdownView in 5-token (20-byte)
 * deltas, one every 2 ms of the stream's own schedule, and measures what
 * the main loop spends: per delta on append(), per frame from before-paint
 * to after-paint (the tick that parses and updates widgets, layout and
 * drawing), and how long after the stream's scheduled end the whole text
 * is on screen. Needs a display (build-aux/test --benchmark runs Xvfb). */

#define DELTA_BYTES   20
#define DELTA_USEC    2000

static const char *words[] = {
  "the", "model", "streams", "tokens", "into", "a", "reply", "that", "grows", "while",
  "GTK", "draws", "each", "frame", "markdown", "blocks", "are", "parsed", "once", "and",
  "kept", "only", "open", "tail", "changes", "**bold**", "*emphasis*", "`inline_code()`",
  "[a link](https://example.org/docs)", "widgets", "labels", "wrap", "layout", "cost",
};

static void
append_prose (GString *out,
              GRand   *rand,
              guint    n_words)
{
  for (guint i = 0; i < n_words; i++)
    {
      g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      g_string_append_c (out, i + 1 == n_words ? '.' : ' ');
      if (i % 17 == 16)
        g_string_append (out, ". ");
    }
  g_string_append (out, "\n\n");
}

static void
append_code (GString *out,
             GRand   *rand,
             guint    n_lines)
{
  g_string_append (out, "```c\n");
  for (guint i = 0; i < n_lines; i++)
    g_string_append_printf (out, "%*sresult_%u = compute (input[%u], &state, %u); /* step %u */\n",
                            2 * (i % 4), "", i, g_rand_int_range (rand, 0, 100), i * 7, i);
  g_string_append (out, "```\n\n");
}

static char *
make_reply (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  GString *out = g_string_new ("# A long answer\n\n");
  guint section = 0;

  while (out->len < 80000)
    {
      g_string_append_printf (out, "## Section %u\n\n", ++section);
      append_prose (out, rand, 90);
      append_prose (out, rand, 60);
      g_string_append (out, "- first point with *some* words\n  - nested detail\n    - deeper detail with `code`\n- second point\n1. step one\n2. step two\n\n");
      append_prose (out, rand, 120);
      if (section == 3)
        g_string_append (out, "| Name | Kind | Size |\n|:-----|:----:|-----:|\n| alpha | label | 12 |\n"
                              "| beta | grid | 3400 |\n| gamma | code | 56 |\n| delta | list | 7 |\n\n");
      if (section == 2 || section == 6 || section == 10)
        append_code (out, rand, 50 + section * 4);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  GtkWidget *view;
  const char *text;
  gsize length;
  gsize sent;
  gint64 start;
  gint64 last_sent;
  gint64 shown;
  GArray *append_usec;   /* per delta */
  GArray *frame_usec;    /* per frame while streaming */
  GArray *deltas_per_frame;
  GArray *update_usec;   /* the update phase: every tick callback, ours among them */
  GArray *layout_usec;
  GArray *flush_usec;    /* parse + widget updates alone */
  gint64 frame_start;
  gint64 update_end;
  gint64 layout_end;
  gsize sent_at_last_frame;
  gint64 busy_usec;
  gboolean done;
} Bench;

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  p)
{
  guint index;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_int64);
  index = MIN (values->len - 1, (guint) (p * values->len));
  return g_array_index (values, gint64, index) / 1000.0;
}

static gboolean
send_due (gpointer user_data)
{
  Bench *b = user_data;
  gint64 now = g_get_monotonic_time ();

  /* Every delta whose time has come, so a slow frame delays the text on
   * screen but not the stream. */
  while (b->sent < b->length && b->start + (gint64) (b->sent / DELTA_BYTES) * DELTA_USEC <= now)
    {
      gsize n = MIN (DELTA_BYTES, b->length - b->sent);
      gint64 t0 = g_get_monotonic_time (), dt;

      nb_markdown_view_append (NB_MARKDOWN_VIEW (b->view), b->text + b->sent, n);
      dt = g_get_monotonic_time () - t0;
      g_array_append_val (b->append_usec, dt);
      b->busy_usec += dt;
      b->sent += n;
    }
  if (b->sent < b->length)
    return G_SOURCE_CONTINUE;

  b->last_sent = g_get_monotonic_time ();
  nb_markdown_view_set_streaming (NB_MARKDOWN_VIEW (b->view), FALSE);
  return G_SOURCE_REMOVE;
}

static void
before_paint (GdkFrameClock *clock,
              Bench         *b)
{
  b->frame_start = g_get_monotonic_time ();
}

static void
after_update (GdkFrameClock *clock,
              Bench         *b)
{
  b->update_end = g_get_monotonic_time ();
}

static void
after_layout (GdkFrameClock *clock,
              Bench         *b)
{
  b->layout_end = g_get_monotonic_time ();
}

static void
after_paint (GdkFrameClock *clock,
             Bench         *b)
{
  NbMarkdownDocument *doc = nb_markdown_view_get_document (NB_MARKDOWN_VIEW (b->view));
  gint64 now = g_get_monotonic_time ();
  gint64 work = now - b->frame_start;

  if (b->frame_start == 0 || b->done)
    return;
  if (b->sent > 0)
    {
      gint64 deltas = (b->sent - b->sent_at_last_frame) / DELTA_BYTES;
      gint64 update = b->update_end > b->frame_start ? b->update_end - b->frame_start : 0;
      gint64 layout = b->layout_end > b->frame_start ? b->layout_end - MAX (b->update_end, b->frame_start) : 0;

      g_array_append_val (b->update_usec, update);
      g_array_append_val (b->layout_usec, layout);

      g_array_append_val (b->frame_usec, work);
      g_array_append_val (b->deltas_per_frame, deltas);
      b->busy_usec += work;
      b->sent_at_last_frame = b->sent;
    }
  if (b->last_sent != 0 && !nb_markdown_document_get_streaming (doc) &&
      strlen (nb_markdown_document_get_text (doc)) == b->length)
    {
      b->shown = now;
      b->done = TRUE;
    }
}

/* Connected to the frame clock before the view first asks for a tick,
 * this runs ahead of the view's own tick in the update phase and applies
 * the text itself, so the parse and widget update are timed alone. */
static void
timed_flush (GdkFrameClock *clock,
             Bench         *b)
{
  NbMarkdownDocument *doc = nb_markdown_view_get_document (NB_MARKDOWN_VIEW (b->view));
  gsize before = strlen (nb_markdown_document_get_text (doc));
  gint64 t0 = g_get_monotonic_time (), dt;

  nb_markdown_view_flush (NB_MARKDOWN_VIEW (b->view));
  dt = g_get_monotonic_time () - t0;
  if (strlen (nb_markdown_document_get_text (doc)) != before && !b->done)
    g_array_append_val (b->flush_usec, dt);
}

static void
on_map (GtkWidget *view,
        gboolean  *mapped)
{
  *mapped = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *text = make_reply ();
  Bench b = { 0 };
  GtkWindow *window;
  GtkWidget *scroller;
  GdkFrameClock *clock;
  gboolean mapped = FALSE;
  double duration_ms, lag_ms;
  guint n_deltas, n_blocks;

  gtk_init ();
  adw_init ();

  b.text = text;
  b.length = strlen (text);
  b.append_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.frame_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.deltas_per_frame = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.update_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.layout_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.flush_usec = g_array_new (FALSE, FALSE, sizeof (gint64));

  window = GTK_WINDOW (gtk_window_new ());
  scroller = gtk_scrolled_window_new ();
  b.view = nb_markdown_view_new ();
  gtk_widget_set_margin_start (b.view, 18);
  gtk_widget_set_margin_end (b.view, 18);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), b.view);
  gtk_window_set_child (window, scroller);
  gtk_window_set_default_size (window, 800, 900);
  g_signal_connect (b.view, "map", G_CALLBACK (on_map), &mapped);
  gtk_window_present (window);
  while (!mapped)
    g_main_context_iteration (NULL, TRUE);

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint), &b);
  g_signal_connect_after (clock, "update", G_CALLBACK (after_update), &b);
  g_signal_connect_after (clock, "layout", G_CALLBACK (after_layout), &b);
  g_signal_connect_after (clock, "after-paint", G_CALLBACK (after_paint), &b);

  g_signal_connect (clock, "update", G_CALLBACK (timed_flush), &b);
  nb_markdown_view_set_streaming (NB_MARKDOWN_VIEW (b.view), TRUE);
  b.start = g_get_monotonic_time ();
  g_timeout_add (1, send_due, &b);
  while (!b.done)
    g_main_context_iteration (NULL, TRUE);

  n_deltas = b.append_usec->len;
  n_blocks = g_list_model_get_n_items (G_LIST_MODEL (nb_markdown_view_get_document (NB_MARKDOWN_VIEW (b.view))));
  duration_ms = n_deltas * DELTA_USEC / 1000.0;
  lag_ms = (b.shown - (b.start + (gint64) n_deltas * DELTA_USEC)) / 1000.0;

  g_print ("reply: %" G_GSIZE_FORMAT " bytes (~%" G_GSIZE_FORMAT " tokens), %u blocks, %u deltas of %d bytes every %d ms\n",
           b.length, b.length / 4, n_blocks, n_deltas, DELTA_BYTES, DELTA_USEC / 1000);
  g_print ("renderer: %s\n", g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default");
  g_print ("append per delta:            median %.3f ms  p99 %.3f ms\n",
           percentile_ms (b.append_usec, 0.5), percentile_ms (b.append_usec, 0.99));
  g_print ("frame (tick+layout+paint):   median %.2f ms  p99 %.2f ms  max %.2f ms  (%u frames, %.1f deltas per frame)\n",
           percentile_ms (b.frame_usec, 0.5), percentile_ms (b.frame_usec, 0.99), percentile_ms (b.frame_usec, 1.0),
           b.frame_usec->len, (double) n_deltas / MAX (b.frame_usec->len, 1));
  g_print ("  of which update phase (all tick work):    median %.2f ms  p99 %.2f ms\n",
           percentile_ms (b.update_usec, 0.5), percentile_ms (b.update_usec, 0.99));
  g_print ("    parse + widget updates alone:         median %.2f ms  p99 %.2f ms\n",
           percentile_ms (b.flush_usec, 0.5), percentile_ms (b.flush_usec, 0.99));
  g_print ("  of which layout:                          median %.2f ms  p99 %.2f ms\n",
           percentile_ms (b.layout_usec, 0.5), percentile_ms (b.layout_usec, 0.99));
  g_print ("main loop per delta (all frame work / deltas): %.3f ms\n", b.busy_usec / 1000.0 / n_deltas);
  g_print ("stream %.0f ms; fully shown %.1f ms after its scheduled end (%.1f%% of the stream)\n",
           duration_ms, lag_ms, 100.0 * lag_ms / duration_ms);

  gtk_window_destroy (window);
  g_array_unref (b.append_usec);
  g_array_unref (b.frame_usec);
  g_array_unref (b.deltas_per_frame);
  g_array_unref (b.update_usec);
  g_array_unref (b.layout_usec);
  g_array_unref (b.flush_usec);
  return EXIT_SUCCESS;
}
