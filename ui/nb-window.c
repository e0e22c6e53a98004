/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-window.h"

struct _NbWindow
{
  AdwApplicationWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (NbWindow, nb_window, ADW_TYPE_APPLICATION_WINDOW)

static void
nb_window_class_init (NbWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-window.ui");
}

static void
nb_window_init (NbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbWindow *
nb_window_new (GtkApplication *application)
{
  return g_object_new (NB_TYPE_WINDOW, "application", application, NULL);
}
