/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-window.h"

struct _NbWindow
{
  AdwApplicationWindow parent_instance;

  GSettings           *settings;
};

G_DEFINE_FINAL_TYPE (NbWindow, nb_window, ADW_TYPE_APPLICATION_WINDOW)

static void
nb_window_dispose (GObject *object)
{
  NbWindow *self = NB_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (nb_window_parent_class)->dispose (object);
}

static void
nb_window_class_init (NbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-window.ui");
}

static void
nb_window_init (NbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* GTK keeps default-width/-height up to date while the user resizes a
   * window that is not maximized, so binding them saves the size to come
   * back to. */
  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
}

NbWindow *
nb_window_new (GtkApplication *application)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);

  return g_object_new (NB_TYPE_WINDOW, "application", application, NULL);
}
