/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-desktop-preferences.h"
#include "nb-preferences-window.h"

/* A placeholder for now: one page that says where settings live until the
 * provider, model and tool pages land. */
struct _NbPreferencesWindow
{
  AdwPreferencesWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (NbPreferencesWindow, nb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
nb_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (nb_preferences_window_parent_class)->dispose (object);
}

static void
nb_preferences_window_class_init (NbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-preferences-window.ui");
}

static void
nb_preferences_window_init (NbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), nb_desktop_preferences_new_page (NULL));
}

NbPreferencesWindow *
nb_preferences_window_new (GtkWindow *transient_for)
{
  g_return_val_if_fail (transient_for == NULL || GTK_IS_WINDOW (transient_for), NULL);

  return g_object_new (NB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", transient_for,
                       NULL);
}
