/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp-page"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-mcp-page.h"
#include "nb-mcp-server-dialog.h"
#include "nb-mcp-server-row.h"
#include "nb-preferences-private.h"

/*
 * MCP servers: one row per tools.mcpServers entry, in the file's order,
 * with the live state of the assistant's NbMcpManager. The servers are
 * started when the page is first shown, so the user sees whether a server
 * works without sending a message. Every change goes to config.json;
 * NbConfig::changed makes the manager start, stop or restart servers.
 */
struct _NbMcpPage
{
  AdwPreferencesPage   parent_instance;

  NbAssistant         *assistant;
  GHashTable          *rows;   /* name → NbMcpServerRow */

  AdwPreferencesGroup *servers_group;
  AdwActionRow        *empty_row;
};

G_DEFINE_FINAL_TYPE (NbMcpPage, nb_mcp_page, ADW_TYPE_PREFERENCES_PAGE)

static NbMcpManager *
get_manager (NbMcpPage *self)
{
  return nb_assistant_get_mcp_manager (self->assistant);
}

static JsonObject *
get_servers (NbMcpPage *self)
{
  return nb_config_get_object (nb_assistant_get_config (self->assistant), "tools.mcpServers");
}

static void
set_enabled (NbMcpPage  *self,
             const char *name,
             gboolean    enabled)
{
  JsonObject *servers = get_servers (self);
  JsonNode *node = servers != NULL ? json_object_get_member (servers, name) : NULL;
  g_autoptr(JsonNode) changed = NULL;
  NbConfigEdit *edit;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  changed = nb_config_edit_deep_copy (node);
  json_object_remove_member (json_node_get_object (changed), "enabled");
  if (enabled)
    json_object_remove_member (json_node_get_object (changed), "disabled");
  else
    json_object_set_boolean_member (json_node_get_object (changed), "disabled", TRUE);
  edit = nb_config_edit_new ();
  nb_config_edit_set_member (edit, "tools.mcpServers", name, changed);
  nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
}

static void
row_toggled_cb (NbMcpServerRow *row,
                gboolean        enabled,
                NbMcpPage      *self)
{
  set_enabled (self, nb_mcp_server_row_get_name (row), enabled);
}

static void
dialog_response_cb (NbMcpServerDialog *dialog,
                    const char        *response,
                    NbMcpPage         *self)
{
  const char *old_name = g_object_get_data (G_OBJECT (dialog), "nb-old-name");
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autoptr(JsonNode) entry = NULL;
  NbConfigEdit *edit;

  if (g_strcmp0 (response, "save") != 0)
    return;
  entry = nb_mcp_server_dialog_build (dialog, &name, &error);
  if (entry == NULL)
    {
      nb_preferences_toast (GTK_WIDGET (self), error->message);
      return;
    }
  edit = nb_config_edit_new ();
  if (old_name != NULL && g_strcmp0 (old_name, name) != 0)
    nb_config_edit_remove_member (edit, "tools.mcpServers", old_name);
  nb_config_edit_set_member (edit, "tools.mcpServers", name, entry);
  nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
  /* Show the new server come up. */
  nb_mcp_manager_start (get_manager (self));
}

static void
open_dialog (NbMcpPage  *self,
             const char *name)
{
  JsonObject *servers = get_servers (self);
  JsonNode *node = name != NULL && servers != NULL ? json_object_get_member (servers, name) : NULL;
  NbMcpServerDialog *dialog;

  dialog = nb_mcp_server_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), name,
                                     node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL);
  g_object_set_data_full (G_OBJECT (dialog), "nb-old-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (dialog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_clicked_cb (NbMcpPage *self)
{
  open_dialog (self, NULL);
}

static void
row_edit_cb (NbMcpServerRow *row,
             NbMcpPage      *self)
{
  open_dialog (self, nb_mcp_server_row_get_name (row));
}

static void
row_remove_cb (NbMcpServerRow *row,
               NbMcpPage      *self)
{
  NbConfigEdit *edit = nb_config_edit_new ();

  nb_config_edit_remove_member (edit, "tools.mcpServers", nb_mcp_server_row_get_name (row));
  nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
}

static void
update (NbMcpPage *self)
{
  JsonObject *servers = get_servers (self);
  g_autoptr(GList) names = servers != NULL ? json_object_get_members (servers) : NULL;
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (servers, l->data);
      NbMcpServerRow *row;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      g_hash_table_add (wanted, l->data);
      row = g_hash_table_lookup (self->rows, l->data);
      if (row == NULL)
        {
          row = nb_mcp_server_row_new (l->data);
          g_signal_connect_object (row, "toggled", G_CALLBACK (row_toggled_cb), self, 0);
          g_signal_connect_object (row, "edit", G_CALLBACK (row_edit_cb), self, 0);
          g_signal_connect_object (row, "remove", G_CALLBACK (row_remove_cb), self, 0);
          adw_preferences_group_add (self->servers_group, GTK_WIDGET (row));
          g_hash_table_insert (self->rows, g_strdup (l->data), row);
        }
      nb_mcp_server_row_update (row, json_node_get_object (node),
                                nb_mcp_manager_lookup_server (get_manager (self), l->data));
    }

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (wanted, key))
      {
        adw_preferences_group_remove (self->servers_group, value);
        g_hash_table_iter_remove (&iter);
      }
  gtk_widget_set_visible (GTK_WIDGET (self->empty_row), g_hash_table_size (self->rows) == 0);
}

static void
server_changed_cb (NbMcpManager *manager,
                   NbMcpServer  *server,
                   NbMcpPage    *self)
{
  update (self);
}

static void
servers_changed_cb (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    NbMcpPage  *self)
{
  update (self);
}

static void
map_cb (NbMcpPage *self)
{
  /* Connecting is what shows whether a server works. */
  if (g_list_model_get_n_items (nb_mcp_manager_get_servers (get_manager (self))) > 0)
    nb_mcp_manager_start (get_manager (self));
}

static void
nb_mcp_page_dispose (GObject *object)
{
  NbMcpPage *self = NB_MCP_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_MCP_PAGE);
  g_clear_object (&self->assistant);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (nb_mcp_page_parent_class)->dispose (object);
}

static void
nb_mcp_page_class_init (NbMcpPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_mcp_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-mcp-page.ui");
  gtk_widget_class_bind_template_child (widget_class, NbMcpPage, servers_group);
  gtk_widget_class_bind_template_child (widget_class, NbMcpPage, empty_row);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
}

static void
nb_mcp_page_init (NbMcpPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);
}

NbMcpPage *
nb_mcp_page_new (NbAssistant *assistant)
{
  NbMcpPage *self;
  NbMcpManager *manager;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_MCP_PAGE, NULL);
  self->assistant = g_object_ref (assistant);
  manager = nb_assistant_get_mcp_manager (assistant);
  g_signal_connect_object (nb_assistant_get_config (assistant), "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (manager, "server-state-changed", G_CALLBACK (server_changed_cb), self, 0);
  g_signal_connect_object (manager, "tools-changed", G_CALLBACK (server_changed_cb), self, 0);
  g_signal_connect_object (nb_mcp_manager_get_servers (manager), "items-changed",
                           G_CALLBACK (servers_changed_cb), self, 0);
  update (self);
  return self;
}
