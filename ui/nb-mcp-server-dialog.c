/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp-server-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-edit.h"
#include "nb-json-util.h"
#include "nb-mcp-server.h"
#include "nb-mcp-server-dialog.h"
#include "nb-preferences-private.h"

struct _NbMcpServerDialog
{
  AdwMessageDialog  parent_instance;

  JsonObject       *config;   /* what was there, kept for unknown members */

  AdwEntryRow      *name_row;
  AdwEntryRow      *command_row;
  AdwEntryRow      *args_row;
  AdwEntryRow      *env_row;
  AdwEntryRow      *url_row;
  AdwEntryRow      *headers_row;
  AdwEntryRow      *timeout_row;
};

G_DEFINE_FINAL_TYPE (NbMcpServerDialog, nb_mcp_server_dialog, ADW_TYPE_MESSAGE_DIALOG)

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_or_remove (JsonObject *object,
               const char *member,
               JsonNode   *value)
{
  if (value == NULL)
    json_object_remove_member (object, member);
  else
    json_object_set_member (object, member, value);
}

/**
 * nb_mcp_server_dialog_build:
 * @name: (out): the name given
 *
 * Returns: (transfer full): the entry, or %NULL with @error set
 */
JsonNode *
nb_mcp_server_dialog_build (NbMcpServerDialog  *self,
                            char              **name,
                            GError            **error)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), self->config);
  g_autoptr(JsonNode) result = NULL;
  g_autofree char *given = g_strstrip (g_strdup (text_of (self->name_row)));
  g_autofree char *command = g_strstrip (g_strdup (text_of (self->command_row)));
  g_autofree char *url = g_strstrip (g_strdup (text_of (self->url_row)));
  g_autofree char *timeout = g_strstrip (g_strdup (text_of (self->timeout_row)));
  g_auto(GStrv) args = NULL;
  JsonObject *object;

  g_return_val_if_fail (NB_IS_MCP_SERVER_DIALOG (self), NULL);

  result = nb_config_edit_deep_copy (node);
  object = json_node_get_object (result);

  if (*given == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The server needs a name."));
      return NULL;
    }
  if ((*command == '\0') == (*url == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give either a command or a URL."));
      return NULL;
    }
  if (*url != '\0' && !nb_config_is_http_url (url))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The URL must start with http:// or https://"));
      return NULL;
    }

  if (*text_of (self->args_row) != '\0' && !g_shell_parse_argv (text_of (self->args_row), NULL, &args, error))
    return NULL;
  if (*command != '\0')
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) env = nb_preferences_parse_map (text_of (self->env_row), "=", error);

      if (env == NULL)
        return NULL;
      for (guint i = 0; args != NULL && args[i] != NULL; i++)
        json_array_add_string_element (array, args[i]);
      json_object_set_string_member (object, "command", command);
      json_object_set_array_member (object, "args", g_steal_pointer (&array));
      set_or_remove (object, "env", json_object_get_size (json_node_get_object (env)) > 0
                     ? g_steal_pointer (&env) : NULL);
      json_object_remove_member (object, "url");
      json_object_remove_member (object, "headers");
    }
  else
    {
      g_autoptr(JsonNode) headers = nb_preferences_parse_map (text_of (self->headers_row), ": ", error);

      if (headers == NULL)
        return NULL;
      json_object_set_string_member (object, "url", url);
      set_or_remove (object, "headers", json_object_get_size (json_node_get_object (headers)) > 0
                     ? g_steal_pointer (&headers) : NULL);
      json_object_remove_member (object, "command");
      json_object_remove_member (object, "args");
      json_object_remove_member (object, "env");
    }

  if (*timeout != '\0')
    {
      guint64 seconds = 0;

      if (!g_ascii_string_to_unsigned (timeout, 10, 1, G_MAXINT, &seconds, NULL))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The time limit must be a whole number of seconds."));
          return NULL;
        }
      json_object_set_int_member (object, "toolTimeout", (gint64) seconds);
    }
  else
    json_object_remove_member (object, "toolTimeout");

  if (name != NULL)
    *name = g_steal_pointer (&given);
  return g_steal_pointer (&result);
}

static void
nb_mcp_server_dialog_dispose (GObject *object)
{
  NbMcpServerDialog *self = NB_MCP_SERVER_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_MCP_SERVER_DIALOG);
  g_clear_pointer (&self->config, json_object_unref);

  G_OBJECT_CLASS (nb_mcp_server_dialog_parent_class)->dispose (object);
}

static void
nb_mcp_server_dialog_class_init (NbMcpServerDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_mcp_server_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-mcp-server-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, command_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, args_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, env_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, headers_row);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerDialog, timeout_row);
}

static void
nb_mcp_server_dialog_init (NbMcpServerDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * nb_mcp_server_dialog_new:
 * @name: (nullable): the server's name; %NULL to add one
 * @config: (nullable): its entry
 */
NbMcpServerDialog *
nb_mcp_server_dialog_new (GtkWindow  *parent,
                          const char *name,
                          JsonObject *config)
{
  NbMcpServerDialog *self = g_object_new (NB_TYPE_MCP_SERVER_DIALOG,
                                          "transient-for", parent,
                                          "modal", TRUE,
                                          NULL);
  g_autoptr(GString) args = g_string_new (NULL);
  g_autofree char *env = NULL;
  g_autofree char *headers = NULL;
  JsonArray *array;
  gint64 timeout;

  self->config = config != NULL ? json_object_ref (config) : json_object_new ();
  if (name == NULL)
    adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Add MCP Server"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->command_row),
                         nb_json_get_string_or (self->config, "command", ""));
  array = nb_json_get_array (self->config, "args");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *quoted = g_shell_quote (json_node_get_string (node));

          if (args->len > 0)
            g_string_append_c (args, ' ');
          g_string_append (args, quoted);
        }
    }
  gtk_editable_set_text (GTK_EDITABLE (self->args_row), args->str);
  env = nb_preferences_format_map (nb_json_get_object (self->config, "env"), "=");
  gtk_editable_set_text (GTK_EDITABLE (self->env_row), env);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row),
                         nb_json_get_string_or (self->config, "url", ""));
  headers = nb_preferences_format_map (nb_json_get_object (self->config, "headers"), ": ");
  gtk_editable_set_text (GTK_EDITABLE (self->headers_row), headers);
  timeout = nb_json_get_int (self->config, "toolTimeout");
  if (timeout > 0)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, timeout);

      gtk_editable_set_text (GTK_EDITABLE (self->timeout_row), text);
    }
  return self;
}
