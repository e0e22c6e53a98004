/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Loaded into the real nanobot with LD_PRELOAD by bench-startup: reports,
 * as lines appended to $NB_BENCH_REPORT, the g_get_monotonic_time() (the
 * system's monotonic clock, the same in every process) when the first
 * window drew its first frame ("first-frame"), when the chat became usable
 * ("usable": the composer's text view has the focus and takes input, and
 * the conversation's messages, if any, are drawn), then the resident set
 * after $NB_BENCH_IDLE_MS of idling ("rss", kB), and quits the app.
 * Nothing in Nanobot knows about it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <gtk/gtk.h>

static gboolean reported_frame;
static gboolean reported_usable;

static void
report (const char *what,
        gint64      value)
{
  const char *path = g_getenv ("NB_BENCH_REPORT");
  FILE *file = path != NULL ? fopen (path, "a") : NULL;

  if (file == NULL)
    return;
  fprintf (file, "%s %" G_GINT64_FORMAT "\n", what, value);
  fclose (file);
}

static gint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (at = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (at + 6, NULL, 10);
}

static gboolean
quit_cb (gpointer user_data)
{
  report ("rss", rss_kb ());
  g_application_quit (g_application_get_default ());
  return G_SOURCE_REMOVE;
}

/* Messages of an opened conversation are drawn: some list row with a
 * label of the conversation's text. Enough: a GtkListView with items. */
static gboolean
has_rows (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    {
      GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (widget)));

      return model != NULL && g_list_model_get_n_items (model) > 0 && gtk_widget_get_mapped (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (has_rows (child))
      return TRUE;
  return FALSE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                GtkWindow     *window)
{
  GtkWidget *focus;
  gboolean need_rows = g_getenv ("NB_BENCH_EXPECT_ROWS") != NULL;

  if (!reported_frame)
    {
      reported_frame = TRUE;
      report ("first-frame", g_get_monotonic_time ());
    }
  if (reported_usable)
    return;
  focus = gtk_window_get_focus (window);
  if (focus != NULL && GTK_IS_TEXT_VIEW (focus) && gtk_widget_is_sensitive (focus) &&
      gtk_text_view_get_editable (GTK_TEXT_VIEW (focus)) && gtk_widget_get_mapped (focus) &&
      (!need_rows || has_rows (GTK_WIDGET (window))))
    {
      const char *idle = g_getenv ("NB_BENCH_IDLE_MS");

      reported_usable = TRUE;
      report ("usable", g_get_monotonic_time ());
      g_timeout_add (idle != NULL ? atoi (idle) : 2000, quit_cb, NULL);
    }
  else
    gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
}

static gboolean
map_hook (GSignalInvocationHint *hint,
          guint                  n_values,
          const GValue          *values,
          gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&values[0]);
  GdkFrameClock *clock;

  if (!GTK_IS_WINDOW (widget) || (clock = gtk_widget_get_frame_clock (widget)) == NULL)
    return TRUE;
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), widget);
  return FALSE;   /* the first window only */
}

/* GTK is initialised by the time the main loop first runs. */
static gboolean
setup_cb (gpointer user_data)
{
  g_autoptr(GListModel) toplevels = NULL;

  toplevels = g_object_ref (gtk_window_get_toplevels ());
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);
      GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

      if (clock != NULL)
        {
          g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), window);
          gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
          return G_SOURCE_REMOVE;
        }
    }
  g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, map_hook, NULL, NULL);
  return G_SOURCE_REMOVE;
}

__attribute__ ((constructor)) static void
shim_init (void)
{
  g_idle_add_full (G_PRIORITY_HIGH, setup_cb, NULL, NULL);
}
