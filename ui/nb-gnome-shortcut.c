/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-gnome-shortcut"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-gnome-shortcut.h"

#define MEDIA_KEYS_SCHEMA "org.gnome.settings-daemon.plugins.media-keys"
#define CUSTOM_SCHEMA     MEDIA_KEYS_SCHEMA ".custom-keybinding"

static GSettings *
open_settings (GSettingsSchemaSource  *source,
               const char             *id,
               const char             *path,
               GError                **error)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, id, TRUE);
  if (schema == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("GNOME’s keyboard shortcut settings are not installed"));
      return NULL;
    }
  return g_settings_new_full (schema, NULL, path);
}

gboolean
nb_gnome_shortcut_available (GSettingsSchemaSource *source)
{
  g_autoptr(GSettingsSchema) media = NULL;
  g_autoptr(GSettingsSchema) custom = NULL;

  if (source == NULL)
    source = g_settings_schema_source_get_default ();
  if (source == NULL)
    return FALSE;
  media = g_settings_schema_source_lookup (source, MEDIA_KEYS_SCHEMA, TRUE);
  custom = g_settings_schema_source_lookup (source, CUSTOM_SCHEMA, TRUE);
  return media != NULL && custom != NULL && g_settings_schema_has_key (media, "custom-keybindings");
}

/* The list of custom keybinding paths with ours added or removed. */
static gboolean
update_list (GSettings *media,
             gboolean   present)
{
  g_auto(GStrv) paths = g_settings_get_strv (media, "custom-keybindings");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  gboolean found = FALSE;

  for (guint i = 0; paths[i] != NULL; i++)
    {
      if (g_str_equal (paths[i], NB_GNOME_SHORTCUT_PATH))
        {
          found = TRUE;
          if (!present)
            continue;
        }
      g_strv_builder_add (builder, paths[i]);
    }
  if (found == present)
    return TRUE;
  if (present)
    g_strv_builder_add (builder, NB_GNOME_SHORTCUT_PATH);
  updated = g_strv_builder_end (builder);
  return g_settings_set_strv (media, "custom-keybindings", (const char * const *) updated);
}

/**
 * nb_gnome_shortcut_set:
 * @accelerator: in GTK syntax, such as `<Super><Alt>space`
 *
 * Adds (or changes) the custom shortcut that opens the quick prompt.
 */
gboolean
nb_gnome_shortcut_set (GSettingsSchemaSource  *source,
                       const char             *accelerator,
                       GError                **error)
{
  g_autoptr(GSettings) media = NULL;
  g_autoptr(GSettings) custom = NULL;

  g_return_val_if_fail (accelerator != NULL, FALSE);

  if (!nb_gnome_shortcut_available (source))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("GNOME’s keyboard shortcut settings are not installed"));
      return FALSE;
    }
  media = open_settings (source, MEDIA_KEYS_SCHEMA, NULL, error);
  custom = open_settings (source, CUSTOM_SCHEMA, NB_GNOME_SHORTCUT_PATH, error);
  if (media == NULL || custom == NULL)
    return FALSE;

  g_settings_delay (custom);
  g_settings_set_string (custom, "name", _("Nanobot Quick Prompt"));
  g_settings_set_string (custom, "command", NB_GNOME_SHORTCUT_COMMAND);
  g_settings_set_string (custom, "binding", accelerator);
  g_settings_apply (custom);
  if (!update_list (media, TRUE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GNOME’s shortcut list could not be changed"));
      return FALSE;
    }
  return TRUE;
}

gboolean
nb_gnome_shortcut_remove (GSettingsSchemaSource  *source,
                          GError                **error)
{
  g_autoptr(GSettings) media = NULL;
  g_autoptr(GSettings) custom = NULL;

  if (!nb_gnome_shortcut_available (source))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("GNOME’s keyboard shortcut settings are not installed"));
      return FALSE;
    }
  media = open_settings (source, MEDIA_KEYS_SCHEMA, NULL, error);
  custom = open_settings (source, CUSTOM_SCHEMA, NB_GNOME_SHORTCUT_PATH, error);
  if (media == NULL || custom == NULL)
    return FALSE;
  update_list (media, FALSE);
  g_settings_reset (custom, "name");
  g_settings_reset (custom, "command");
  g_settings_reset (custom, "binding");
  return TRUE;
}

char *
nb_gnome_shortcut_dup (GSettingsSchemaSource *source)
{
  g_autoptr(GSettings) media = NULL;
  g_autoptr(GSettings) custom = NULL;
  g_auto(GStrv) paths = NULL;
  g_autofree char *binding = NULL;

  if (!nb_gnome_shortcut_available (source))
    return NULL;
  media = open_settings (source, MEDIA_KEYS_SCHEMA, NULL, NULL);
  paths = g_settings_get_strv (media, "custom-keybindings");
  if (!g_strv_contains ((const char * const *) paths, NB_GNOME_SHORTCUT_PATH))
    return NULL;
  custom = open_settings (source, CUSTOM_SCHEMA, NB_GNOME_SHORTCUT_PATH, NULL);
  binding = g_settings_get_string (custom, "binding");
  return *binding != '\0' ? g_steal_pointer (&binding) : NULL;
}
