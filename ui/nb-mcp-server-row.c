/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp-server-row"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-manager.h"
#include "nb-mcp-server-row.h"

struct _NbMcpServerRow
{
  AdwExpanderRow  parent_instance;

  char           *name;
  GPtrArray      *tool_rows;
  GPtrArray      *shown_tools;   /* the definitions the tool rows show */
  gboolean        updating;

  GtkSwitch      *enabled_switch;
  AdwActionRow   *actions_row;
};

G_DEFINE_FINAL_TYPE (NbMcpServerRow, nb_mcp_server_row, ADW_TYPE_EXPANDER_ROW)

enum {
  TOGGLED,
  EDIT,
  REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
state_text (JsonObject  *config,
            NbMcpServer *server)
{
  if (nb_mcp_manager_config_is_disabled (config))
    return g_strdup (_("Turned off"));
  if (server == NULL)
    return g_strdup (_("Not started"));
  switch (nb_mcp_server_get_state (server))
    {
    case NB_MCP_SERVER_STATE_CONNECTING:
      return g_strdup (_("Connecting…"));
    case NB_MCP_SERVER_STATE_CONNECTED:
      {
        guint n = nb_mcp_server_get_n_tools (server);

        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Connected, %u tool", "Connected, %u tools", n), n);
      }
    case NB_MCP_SERVER_STATE_FAILED:
      return g_strdup_printf (_("Failed: %s"), nb_mcp_server_get_error_message (server));
    case NB_MCP_SERVER_STATE_IDLE:
    default:
      return g_strdup (_("Starts with the next message"));
    }
}

static char *
describe_config (JsonObject *config)
{
  const char *url = nb_json_get_string (config, "url");
  const char *command = nb_json_get_string (config, "command");
  JsonArray *args = nb_json_get_array (config, "args");
  g_autoptr(GString) text = NULL;

  if (url != NULL && *url != '\0')
    return g_strdup (url);
  text = g_string_new (command != NULL ? command : "");
  for (guint i = 0; args != NULL && i < json_array_get_length (args); i++)
    {
      JsonNode *node = json_array_get_element (args, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *quoted = g_shell_quote (json_node_get_string (node));
          const char *arg = json_node_get_string (node);

          g_string_append_c (text, ' ');
          g_string_append (text, strpbrk (arg, " \t'\"\\$") != NULL ? quoted : arg);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_tools (NbMcpServerRow *self,
              NbMcpServer    *server)
{
  g_autoptr(GPtrArray) tools = NULL;

  if (server != NULL && nb_mcp_server_get_state (server) == NB_MCP_SERVER_STATE_CONNECTED)
    tools = nb_mcp_server_dup_tool_definitions (server);
  if (tools == self->shown_tools || (tools == NULL && self->tool_rows->len == 0))
    return;

  for (guint i = 0; i < self->tool_rows->len; i++)
    adw_expander_row_remove (ADW_EXPANDER_ROW (self), g_ptr_array_index (self->tool_rows, i));
  g_ptr_array_set_size (self->tool_rows, 0);
  g_clear_pointer (&self->shown_tools, g_ptr_array_unref);

  for (guint i = 0; tools != NULL && i < tools->len; i++)
    {
      JsonObject *tool = g_ptr_array_index (tools, i);
      const char *name = nb_json_get_string (tool, "name");
      const char *description = nb_json_get_string (tool, "description");
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name != NULL ? name : "?");
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      if (description != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
      g_ptr_array_add (self->tool_rows, row);
    }
  if (tools != NULL)
    self->shown_tools = g_steal_pointer (&tools);
}

void
nb_mcp_server_row_update (NbMcpServerRow *self,
                          JsonObject     *config,
                          NbMcpServer    *server)
{
  g_autofree char *state = NULL;
  g_autofree char *described = NULL;

  g_return_if_fail (NB_IS_MCP_SERVER_ROW (self));
  g_return_if_fail (config != NULL);

  state = state_text (config, server);
  described = describe_config (config);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), state);
  adw_action_row_set_subtitle (self->actions_row, described);
  self->updating = TRUE;
  gtk_switch_set_active (self->enabled_switch, !nb_mcp_manager_config_is_disabled (config));
  self->updating = FALSE;
  update_tools (self, server);
}

static void
enabled_cb (NbMcpServerRow *self)
{
  if (!self->updating)
    g_signal_emit (self, signals[TOGGLED], 0, gtk_switch_get_active (self->enabled_switch));
}

static void
edit_clicked_cb (NbMcpServerRow *self)
{
  g_signal_emit (self, signals[EDIT], 0);
}

static void
remove_clicked_cb (NbMcpServerRow *self)
{
  g_signal_emit (self, signals[REMOVE], 0);
}

static void
nb_mcp_server_row_dispose (GObject *object)
{
  NbMcpServerRow *self = NB_MCP_SERVER_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_MCP_SERVER_ROW);
  g_clear_pointer (&self->shown_tools, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_mcp_server_row_parent_class)->dispose (object);
}

static void
nb_mcp_server_row_finalize (GObject *object)
{
  NbMcpServerRow *self = NB_MCP_SERVER_ROW (object);

  g_free (self->name);
  g_ptr_array_unref (self->tool_rows);

  G_OBJECT_CLASS (nb_mcp_server_row_parent_class)->finalize (object);
}

static void
nb_mcp_server_row_class_init (NbMcpServerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_mcp_server_row_dispose;
  object_class->finalize = nb_mcp_server_row_finalize;

  signals[TOGGLED] = g_signal_new ("toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[EDIT] = g_signal_new ("edit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-mcp-server-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerRow, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, NbMcpServerRow, actions_row);
  gtk_widget_class_bind_template_callback (widget_class, edit_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
}

static void
nb_mcp_server_row_init (NbMcpServerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->tool_rows = g_ptr_array_new ();
  g_signal_connect_swapped (self->enabled_switch, "notify::active", G_CALLBACK (enabled_cb), self);
}

NbMcpServerRow *
nb_mcp_server_row_new (const char *name)
{
  NbMcpServerRow *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (NB_TYPE_MCP_SERVER_ROW, NULL);
  self->name = g_strdup (name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  gtk_widget_set_name (GTK_WIDGET (self), name);
  return self;
}

const char *
nb_mcp_server_row_get_name (NbMcpServerRow *self)
{
  g_return_val_if_fail (NB_IS_MCP_SERVER_ROW (self), NULL);
  return self->name;
}
