/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nb-scroll-passthrough.h"

/*
 * A code block or a table in a message scrolls sideways in its own
 * GtkScrolledWindow. GTK 4.8's scrolled window takes every wheel event
 * over it, also a vertical one it cannot use, so the conversation would
 * stop scrolling whenever the pointer is over code. A capture-phase
 * controller sends mostly-vertical scrolling to the nearest scrolled
 * window above that scrolls vertically, by the step GTK itself uses.
 */

static GtkScrolledWindow *
outer_scroller (GtkWidget *scroller)
{
  GtkWidget *parent = gtk_widget_get_parent (scroller);

  while (parent != NULL)
    {
      GtkWidget *ancestor = gtk_widget_get_ancestor (parent, GTK_TYPE_SCROLLED_WINDOW);
      GtkPolicyType vpolicy;

      if (ancestor == NULL)
        return NULL;
      gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (ancestor), NULL, &vpolicy);
      if (vpolicy != GTK_POLICY_NEVER && vpolicy != GTK_POLICY_EXTERNAL)
        return GTK_SCROLLED_WINDOW (ancestor);
      parent = gtk_widget_get_parent (ancestor);
    }
  return NULL;
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           gpointer                  user_data)
{
  GtkWidget *scroller = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GtkScrolledWindow *outer;
  GtkAdjustment *adjustment;
  double step;

  if (fabs (dy) <= fabs (dx))
    return FALSE;
  outer = outer_scroller (scroller);
  if (outer == NULL)
    return FALSE;

  adjustment = gtk_scrolled_window_get_vadjustment (outer);
  if (gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL)
    step = pow (gtk_adjustment_get_page_size (adjustment), 2.0 / 3.0);
  else
    step = 1.0;
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + dy * step);
  return TRUE;
}

/**
 * nb_scroll_passthrough_vertical:
 * @scroller: a scrolled window that scrolls only sideways
 *
 * Lets vertical scrolling over @scroller scroll what contains it.
 */
void
nb_scroll_passthrough_vertical (GtkScrolledWindow *scroller)
{
  GtkEventController *controller;

  g_return_if_fail (GTK_IS_SCROLLED_WINDOW (scroller));

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_name (controller, "nb-scroll-passthrough");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "scroll", G_CALLBACK (scroll_cb), NULL);
  gtk_widget_add_controller (GTK_WIDGET (scroller), controller);
}
