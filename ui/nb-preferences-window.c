/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-mcp-page.h"
#include "nb-memory-page.h"
#include "nb-preferences-window.h"
#include "nb-providers-page.h"
#include "nb-tools-page.h"

/*
 * Preferences: one page per concern, each its own widget that reads the
 * assistant's NbConfig and writes every change at once through the config
 * writer (nb-preferences-util.c). Pages from other parts of the app come
 * in through nb_preferences_window_add_page().
 */
struct _NbPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  NbAssistant *assistant;
};

G_DEFINE_FINAL_TYPE (NbPreferencesWindow, nb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_ASSISTANT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nb_preferences_window_constructed (GObject *object)
{
  NbPreferencesWindow *self = NB_PREFERENCES_WINDOW (object);
  AdwPreferencesWindow *window = ADW_PREFERENCES_WINDOW (self);
  AdwPreferencesPage *page;

  G_OBJECT_CLASS (nb_preferences_window_parent_class)->constructed (object);

  g_return_if_fail (NB_IS_ASSISTANT (self->assistant));

  page = ADW_PREFERENCES_PAGE (nb_providers_page_new (self->assistant));
  adw_preferences_page_set_name (page, "providers");
  adw_preferences_window_add (window, page);
  page = ADW_PREFERENCES_PAGE (nb_tools_page_new (self->assistant));
  adw_preferences_page_set_name (page, "tools");
  adw_preferences_window_add (window, page);
  page = ADW_PREFERENCES_PAGE (nb_mcp_page_new (self->assistant));
  adw_preferences_page_set_name (page, "mcp");
  adw_preferences_window_add (window, page);
  page = ADW_PREFERENCES_PAGE (nb_memory_page_new (self->assistant));
  adw_preferences_page_set_name (page, "memory");
  adw_preferences_window_add (window, page);
}

static void
nb_preferences_window_dispose (GObject *object)
{
  NbPreferencesWindow *self = NB_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->assistant);

  G_OBJECT_CLASS (nb_preferences_window_parent_class)->dispose (object);
}

static void
nb_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NbPreferencesWindow *self = NB_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ASSISTANT:
      self->assistant = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NbPreferencesWindow *self = NB_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ASSISTANT:
      g_value_set_object (value, self->assistant);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_preferences_window_class_init (NbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = nb_preferences_window_constructed;
  object_class->dispose = nb_preferences_window_dispose;
  object_class->set_property = nb_preferences_window_set_property;
  object_class->get_property = nb_preferences_window_get_property;

  properties[PROP_ASSISTANT] =
    g_param_spec_object ("assistant", NULL, NULL, NB_TYPE_ASSISTANT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-preferences-window.ui");
}

static void
nb_preferences_window_init (NbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbPreferencesWindow *
nb_preferences_window_new (GtkWindow   *transient_for,
                           NbAssistant *assistant)
{
  g_return_val_if_fail (transient_for == NULL || GTK_IS_WINDOW (transient_for), NULL);
  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  return g_object_new (NB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", transient_for,
                       "assistant", assistant,
                       NULL);
}

/**
 * nb_preferences_window_get_assistant:
 *
 * Returns: (transfer none): the assistant whose configuration is shown
 */
NbAssistant *
nb_preferences_window_get_assistant (NbPreferencesWindow *self)
{
  g_return_val_if_fail (NB_IS_PREFERENCES_WINDOW (self), NULL);
  return self->assistant;
}

/**
 * nb_preferences_window_add_page:
 * @page: (transfer none): a page; give it a name to show it by name
 */
void
nb_preferences_window_add_page (NbPreferencesWindow *self,
                                AdwPreferencesPage  *page)
{
  g_return_if_fail (NB_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (ADW_IS_PREFERENCES_PAGE (page));

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), page);
}

void
nb_preferences_window_show_page (NbPreferencesWindow *self,
                                 const char          *name)
{
  g_return_if_fail (NB_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (name != NULL);

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (self), name);
}
