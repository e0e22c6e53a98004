/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-desktop-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-desktop-preferences.h"
#include "nb-gnome-shortcut.h"

struct _NbDesktopPreferences
{
  AdwPreferencesGroup    parent_instance;

  GSettings             *settings;
  GSettingsSchemaSource *gnome_schemas;   /* (nullable): the default source */
  gboolean               capturing;

  GtkSwitch             *background_switch;
  GtkSwitch             *login_switch;
  GtkSwitch             *notifications_switch;
  AdwActionRow          *shortcut_row;
  GtkShortcutLabel      *shortcut_label;
  GtkButton             *change_button;
  GtkButton             *gnome_button;
};

G_DEFINE_FINAL_TYPE (NbDesktopPreferences, nb_desktop_preferences, ADW_TYPE_PREFERENCES_GROUP)

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

/* What the shortcut row offers here: GNOME's custom shortcuts outside
 * Flatpak, words elsewhere. */
static void
update_shortcut_row (NbDesktopPreferences *self)
{
  g_autofree char *accel = g_settings_get_string (self->settings, "quick-prompt-shortcut");
  gboolean gnome = !in_flatpak () && nb_gnome_shortcut_available (self->gnome_schemas);
  g_autofree char *installed = gnome ? nb_gnome_shortcut_dup (self->gnome_schemas) : NULL;

  gtk_shortcut_label_set_accelerator (self->shortcut_label, accel);
  gtk_widget_set_visible (GTK_WIDGET (self->shortcut_label), gnome);
  gtk_widget_set_visible (GTK_WIDGET (self->change_button), gnome);
  gtk_widget_set_visible (GTK_WIDGET (self->gnome_button), gnome && g_strcmp0 (installed, accel) != 0);

  if (self->capturing)
    adw_action_row_set_subtitle (self->shortcut_row, _("Press the new shortcut, or Escape to cancel"));
  else if (gnome && installed != NULL && g_strcmp0 (installed, accel) == 0)
    adw_action_row_set_subtitle (self->shortcut_row, _("In GNOME’s keyboard shortcuts"));
  else if (gnome)
    adw_action_row_set_subtitle (self->shortcut_row, _("Add it to GNOME’s keyboard shortcuts to use it anywhere"));
  else if (in_flatpak ())
    {
      /* Translators: %s is the command, “flatpak run <app id> --quick-prompt” */
      g_autofree char *hint = g_strdup_printf (_("Where the desktop offers global shortcuts, it asked when Nanobot started; "
                                                 "otherwise add a shortcut in your system’s keyboard settings that runs “%s”"),
                                               "flatpak run " APPLICATION_ID " --quick-prompt");

      adw_action_row_set_subtitle (self->shortcut_row, hint);
    }
  else
    adw_action_row_set_subtitle (self->shortcut_row,
                                 _("Add a shortcut in your desktop’s keyboard settings that runs "
                                   "“nanobot --quick-prompt”"));
}

static void
show_error (NbDesktopPreferences *self,
            const GError         *error)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);

  if (window != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), adw_toast_new (error->message));
  else
    g_warning ("%s", error->message);
}

static void
gnome_clicked_cb (NbDesktopPreferences *self)
{
  g_autofree char *accel = g_settings_get_string (self->settings, "quick-prompt-shortcut");
  g_autoptr(GError) error = NULL;

  if (*accel == '\0')
    return;
  if (!nb_gnome_shortcut_set (self->gnome_schemas, accel, &error))
    show_error (self, error);
  update_shortcut_row (self);
}

gboolean
nb_desktop_preferences_set_shortcut (NbDesktopPreferences *self,
                                     const char           *accelerator)
{
  guint key = 0;
  GdkModifierType mods = 0;
  g_autofree char *installed = NULL;

  g_return_val_if_fail (NB_IS_DESKTOP_PREFERENCES (self), FALSE);
  g_return_val_if_fail (accelerator != NULL, FALSE);

  if (!gtk_accelerator_parse (accelerator, &key, &mods) || key == 0 ||
      !gtk_accelerator_valid (key, mods))
    return FALSE;

  installed = nb_gnome_shortcut_dup (self->gnome_schemas);
  g_settings_set_string (self->settings, "quick-prompt-shortcut", accelerator);
  /* GNOME's entry follows the new choice. */
  if (installed != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!nb_gnome_shortcut_set (self->gnome_schemas, accelerator, &error))
        show_error (self, error);
    }
  update_shortcut_row (self);
  return TRUE;
}

static void
stop_capture (NbDesktopPreferences *self)
{
  self->capturing = FALSE;
  gtk_button_set_label (self->change_button, _("_Change…"));
  update_shortcut_row (self);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                NbDesktopPreferences  *self)
{
  g_autofree char *accel = NULL;
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();

  if (!self->capturing)
    return FALSE;
  if (keyval == GDK_KEY_Escape && mods == 0)
    {
      stop_capture (self);
      return TRUE;
    }
  /* A modifier alone is the start of a shortcut, not one. A shortcut
   * without a modifier would take a key from every application. */
  if (gdk_key_event_is_modifier (gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller))) ||
      mods == 0)
    return TRUE;

  accel = gtk_accelerator_name (gdk_keyval_to_lower (keyval), mods);
  if (nb_desktop_preferences_set_shortcut (self, accel))
    stop_capture (self);
  return TRUE;
}

static void
change_clicked_cb (NbDesktopPreferences *self)
{
  self->capturing = !self->capturing;
  if (!self->capturing)
    {
      stop_capture (self);
      return;
    }
  gtk_button_set_label (self->change_button, _("_Cancel"));
  update_shortcut_row (self);
}

static void
shortcut_changed_cb (GSettings            *settings,
                     const char           *key,
                     NbDesktopPreferences *self)
{
  update_shortcut_row (self);
}

static void
nb_desktop_preferences_dispose (GObject *object)
{
  NbDesktopPreferences *self = NB_DESKTOP_PREFERENCES (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_DESKTOP_PREFERENCES);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->gnome_schemas, g_settings_schema_source_unref);

  G_OBJECT_CLASS (nb_desktop_preferences_parent_class)->dispose (object);
}

static void
nb_desktop_preferences_class_init (NbDesktopPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_desktop_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-desktop-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, background_switch);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, login_switch);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, shortcut_row);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, shortcut_label);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, change_button);
  gtk_widget_class_bind_template_child (widget_class, NbDesktopPreferences, gnome_button);
  gtk_widget_class_bind_template_callback (widget_class, change_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, gnome_clicked_cb);
}

static void
nb_desktop_preferences_init (NbDesktopPreferences *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "run-in-background", self->background_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-at-login", self->login_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::quick-prompt-shortcut",
                           G_CALLBACK (shortcut_changed_cb), self, 0);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->change_button), keys);
}

NbDesktopPreferences *
nb_desktop_preferences_new (GSettingsSchemaSource *gnome_schemas)
{
  NbDesktopPreferences *self = g_object_new (NB_TYPE_DESKTOP_PREFERENCES, NULL);

  if (gnome_schemas != NULL)
    self->gnome_schemas = g_settings_schema_source_ref (gnome_schemas);
  update_shortcut_row (self);
  return self;
}

AdwPreferencesPage *
nb_desktop_preferences_new_page (GSettingsSchemaSource *gnome_schemas)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());

  adw_preferences_page_set_title (page, _("Desktop"));
  adw_preferences_page_set_icon_name (page, "preferences-desktop-symbolic");
  adw_preferences_page_add (page, ADW_PREFERENCES_GROUP (nb_desktop_preferences_new (gnome_schemas)));
  return page;
}
