/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-preferences-private.h"

void
nb_preferences_toast (GtkWidget  *widget,
                      const char *text)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
  else
    g_warning ("%s", text);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!nb_config_write_finish (NB_CONFIG (object), result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save: %s"), error->message);

      nb_preferences_toast (widget, text);
    }
}

void
nb_preferences_save (GtkWidget    *widget,
                     NbAssistant  *assistant,
                     NbConfigEdit *edit)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (NB_IS_ASSISTANT (assistant));

  nb_config_write_async (nb_assistant_get_config (assistant), edit, NULL, saved_cb, g_object_ref (widget));
}

void
nb_preferences_save_string (GtkWidget   *widget,
                            NbAssistant *assistant,
                            const char  *path,
                            const char  *value)
{
  NbConfigEdit *edit = nb_config_edit_new ();

  nb_config_edit_set_string (edit, path, value);
  nb_preferences_save (widget, assistant, edit);
}

void
nb_preferences_save_int (GtkWidget   *widget,
                         NbAssistant *assistant,
                         const char  *path,
                         gint64       value)
{
  NbConfigEdit *edit = nb_config_edit_new ();

  nb_config_edit_set_int (edit, path, value);
  nb_preferences_save (widget, assistant, edit);
}

void
nb_preferences_save_boolean (GtkWidget   *widget,
                             NbAssistant *assistant,
                             const char  *path,
                             gboolean     value)
{
  NbConfigEdit *edit = nb_config_edit_new ();

  nb_config_edit_set_boolean (edit, path, value);
  nb_preferences_save (widget, assistant, edit);
}

#if !GTK_CHECK_VERSION (4, 10, 0)
static void
launched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    nb_preferences_toast (widget, error->message);
}
#else
static void
launched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_file_launcher_launch_finish (GTK_FILE_LAUNCHER (object), result, &error) &&
      !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED))
    nb_preferences_toast (widget, error->message);
}
#endif

void
nb_preferences_open_file (GtkWidget  *widget,
                          const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

#if GTK_CHECK_VERSION (4, 10, 0)
  g_autoptr(GtkFileLauncher) launcher = gtk_file_launcher_new (file);

  gtk_file_launcher_launch (launcher, GTK_WINDOW (gtk_widget_get_root (widget)), NULL,
                            launched_cb, g_object_ref (widget));
#else
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr(GAppLaunchContext) context =
    G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (widget)));

  g_app_info_launch_default_for_uri_async (uri, context, NULL, launched_cb, g_object_ref (widget));
#endif
}

/**
 * nb_preferences_format_map:
 * @object: (nullable): a JSON object of strings
 *
 * Returns: (transfer full): "Name: value; Name: value" (with @separator ": ")
 */
char *
nb_preferences_format_map (JsonObject *object,
                           const char *separator)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GList) names = NULL;

  if (object == NULL)
    return g_strdup ("");
  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append_printf (out, "%s%s%s", (const char *) l->data, separator, json_node_get_string (node));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * nb_preferences_parse_map:
 *
 * Returns: (transfer full): a JSON object, or %NULL with @error naming
 *   the part that has no @separator
 */
JsonNode *
nb_preferences_parse_map (const char  *text,
                          const char  *separator,
                          GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text != NULL ? text : "", ";", -1);
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      g_autofree char *sep = g_strstrip (g_strdup (separator));
      char *at;

      if (*part == '\0')
        continue;
      at = strstr (part, sep);
      if (at == NULL || at == part)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not “name%svalue”"), part, separator);
          return NULL;
        }
      *at = '\0';
      json_object_set_string_member (object, g_strstrip (part), g_strstrip (at + strlen (sep)));
    }
  node = json_node_init_object (json_node_alloc (), object);
  return node;
}
