/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-mcp-manager.h"
#include "nb-mcp-tool.h"

/*
 * The MCP servers of tools.mcpServers and their tools. start() connects all
 * of them in the background, each on its own: a slow or broken server never
 * holds up another one or the agent. Tools stay registered while their
 * server is down; calling one reconnects.
 */

struct _NbMcpManager
{
  GObject       parent_instance;

  GListStore   *servers;
  /* NbMcpServer → GPtrArray of NbTool */
  GHashTable   *tools;
  GCancellable *cancellable;
  /* Registries kept in step with the tool lists. */
  GPtrArray    *registries;
  /* name → the JsonNode of its configuration, to see what changed */
  GHashTable   *configs;
  gboolean      warn_on_stderr;
  gboolean      started;
};

enum {
  TOOLS_CHANGED,
  SERVER_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NbMcpManager, nb_mcp_manager, G_TYPE_OBJECT)

static void
server_tools_changed_cb (NbMcpServer  *server,
                         NbMcpManager *self)
{
  g_autoptr(GPtrArray) definitions = nb_mcp_server_dup_tool_definitions (server);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *tools = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert (NB_IS_MCP_SERVER (server));
  g_assert (NB_IS_MCP_MANAGER (self));

  for (guint i = 0; i < definitions->len; i++)
    {
      g_autoptr(NbTool) tool = nb_mcp_tool_new (server, g_ptr_array_index (definitions, i));
      const char *name = nb_tool_get_name (tool);

      /* Sanitising and cutting can make two names equal; keep the first. */
      if (g_hash_table_contains (seen, name))
        {
          g_debug ("MCP server %s: skipping tool %s, its name repeats %s",
                   nb_mcp_server_get_name (server),
                   nb_mcp_tool_get_remote_name (NB_MCP_TOOL (tool)), name);
          continue;
        }
      g_hash_table_add (seen, g_strdup (name));
      g_ptr_array_add (tools, g_steal_pointer (&tool));
    }

  for (guint r = 0; r < self->registries->len; r++)
    {
      NbToolRegistry *registry = g_ptr_array_index (self->registries, r);
      GPtrArray *old = g_hash_table_lookup (self->tools, server);

      for (guint i = 0; old != NULL && i < old->len; i++)
        {
          NbTool *tool = g_ptr_array_index (old, i);

          /* Only ours: never a tool someone else registered under the name since. */
          if (nb_tool_registry_lookup (registry, nb_tool_get_name (tool)) == tool)
            nb_tool_registry_remove (registry, nb_tool_get_name (tool));
        }
      for (guint i = 0; i < tools->len; i++)
        nb_tool_registry_add (registry, g_ptr_array_index (tools, i));
    }

  g_hash_table_replace (self->tools, server, tools);
  g_signal_emit (self, signals[TOOLS_CHANGED], 0, server);
}

static void
server_state_cb (NbMcpServer  *server,
                 GParamSpec   *pspec,
                 NbMcpManager *self)
{
  g_assert (NB_IS_MCP_SERVER (server));
  g_assert (NB_IS_MCP_MANAGER (self));

  if (self->warn_on_stderr && nb_mcp_server_get_state (server) == NB_MCP_SERVER_STATE_FAILED)
    {
      g_autofree char *line = nb_mcp_server_dup_status_line (server);

      g_printerr ("nanobot: %s\n", line);
    }
  g_signal_emit (self, signals[SERVER_STATE_CHANGED], 0, server);
}

static void
add_server (NbMcpManager *self,
            const char   *name,
            JsonObject   *config)
{
  g_autoptr(NbMcpServer) server = nb_mcp_server_new (name, config);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, config);
  g_hash_table_replace (self->configs, g_strdup (name), node);

  g_signal_connect_object (server, "tools-changed", G_CALLBACK (server_tools_changed_cb), self, 0);
  g_signal_connect_object (server, "notify::state", G_CALLBACK (server_state_cb), self, 0);
  g_list_store_append (self->servers, server);
}

static void
nb_mcp_manager_dispose (GObject *object)
{
  NbMcpManager *self = NB_MCP_MANAGER (object);

  if (self->servers != NULL)
    nb_mcp_manager_shutdown (self);
  g_clear_pointer (&self->tools, g_hash_table_unref);
  g_clear_pointer (&self->registries, g_ptr_array_unref);
  g_clear_pointer (&self->configs, g_hash_table_unref);
  g_clear_object (&self->servers);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_mcp_manager_parent_class)->dispose (object);
}

static void
nb_mcp_manager_class_init (NbMcpManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_mcp_manager_dispose;

  /**
   * NbMcpManager::tools-changed:
   * @server: the server whose tools changed
   */
  signals[TOOLS_CHANGED] =
    g_signal_new ("tools-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, NB_TYPE_MCP_SERVER);
  /**
   * NbMcpManager::server-state-changed:
   * @server: the server; see nb_mcp_server_get_state()
   */
  signals[SERVER_STATE_CHANGED] =
    g_signal_new ("server-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, NB_TYPE_MCP_SERVER);
}

static void
nb_mcp_manager_init (NbMcpManager *self)
{
  self->servers = g_list_store_new (NB_TYPE_MCP_SERVER);
  self->tools = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->cancellable = g_cancellable_new ();
  self->registries = g_ptr_array_new_with_free_func (g_object_unref);
  self->configs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
}

/**
 * nb_mcp_manager_config_is_disabled:
 * @server: a tools.mcpServers.<name> object
 *
 * A server the user turned off in Preferences (`"disabled": true`, as
 * other MCP clients spell it, or `"enabled": false`) is kept in the file
 * but neither started nor listed here.
 */
gboolean
nb_mcp_manager_config_is_disabled (JsonObject *server)
{
  JsonNode *node;

  g_return_val_if_fail (server != NULL, FALSE);

  node = json_object_get_member (server, "disabled");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
      json_node_get_boolean (node))
    return TRUE;
  node = json_object_get_member (server, "enabled");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
      !json_node_get_boolean (node))
    return TRUE;
  return FALSE;
}

/**
 * nb_mcp_manager_new_for_servers:
 * @servers: (nullable): an object like tools.mcpServers
 *
 * Returns: (transfer full): a manager; nothing is started yet
 */
NbMcpManager *
nb_mcp_manager_new_for_servers (JsonObject *servers)
{
  NbMcpManager *self = g_object_new (NB_TYPE_MCP_MANAGER, NULL);
  g_autoptr(GList) names = NULL;

  if (servers == NULL)
    return self;

  /* json_object_get_members() keeps the order of the file. */
  names = json_object_get_members (servers);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (servers, l->data);

      if (JSON_NODE_HOLDS_OBJECT (node) && !nb_mcp_manager_config_is_disabled (json_node_get_object (node)))
        add_server (self, l->data, json_node_get_object (node));
    }
  return self;
}

/**
 * nb_mcp_manager_new:
 *
 * Returns: (transfer full): a manager for tools.mcpServers of @config
 */
NbMcpManager *
nb_mcp_manager_new (NbConfig *config)
{
  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);
  return nb_mcp_manager_new_for_servers (nb_config_get_object (config, "tools.mcpServers"));
}

/**
 * nb_mcp_manager_get_servers:
 *
 * Returns: (transfer none): a list model of #NbMcpServer, in configuration order
 */
GListModel *
nb_mcp_manager_get_servers (NbMcpManager *self)
{
  g_return_val_if_fail (NB_IS_MCP_MANAGER (self), NULL);
  return G_LIST_MODEL (self->servers);
}

/**
 * nb_mcp_manager_lookup_server:
 *
 * Returns: (transfer none) (nullable): the server called @name
 */
NbMcpServer *
nb_mcp_manager_lookup_server (NbMcpManager *self,
                              const char   *name)
{
  g_return_val_if_fail (NB_IS_MCP_MANAGER (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);

      if (g_str_equal (nb_mcp_server_get_name (server), name))
        return server;
    }
  return NULL;
}

/**
 * nb_mcp_manager_dup_tools:
 *
 * The tools of every server that listed its tools at least once.
 *
 * Returns: (transfer container) (element-type NbTool): the tools
 */
GPtrArray *
nb_mcp_manager_dup_tools (NbMcpManager *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (NB_IS_MCP_MANAGER (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);
      GPtrArray *tools = g_hash_table_lookup (self->tools, server);

      for (guint j = 0; tools != NULL && j < tools->len; j++)
        g_ptr_array_add (all, g_object_ref (g_ptr_array_index (tools, j)));
    }
  return all;
}

/**
 * nb_mcp_manager_attach_registry:
 *
 * Adds the MCP tools known so far to @registry and keeps it in step: tools
 * come and go with each server's tool list. Tools stay while their server
 * is down (a call reconnects).
 */
void
nb_mcp_manager_attach_registry (NbMcpManager   *self,
                                NbToolRegistry *registry)
{
  g_autoptr(GPtrArray) tools = NULL;

  g_return_if_fail (NB_IS_MCP_MANAGER (self));
  g_return_if_fail (NB_IS_TOOL_REGISTRY (registry));

  if (g_ptr_array_find (self->registries, registry, NULL))
    return;
  g_ptr_array_add (self->registries, g_object_ref (registry));

  tools = nb_mcp_manager_dup_tools (self);
  for (guint i = 0; i < tools->len; i++)
    nb_tool_registry_add (registry, g_ptr_array_index (tools, i));
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  NbMcpServer *server = NB_MCP_SERVER (object);
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_SERVER (server));
  g_assert (G_IS_ASYNC_RESULT (result));

  if (nb_mcp_server_connect_finish (server, result, &error))
    g_debug ("MCP server %s connected with %u tools",
             nb_mcp_server_get_name (server), nb_mcp_server_get_n_tools (server));
}

/**
 * nb_mcp_manager_start:
 *
 * Connects every server in the background. Returns at once; watch
 * #NbMcpManager::tools-changed and #NbMcpManager::server-state-changed.
 */
void
nb_mcp_manager_start (NbMcpManager *self)
{
  g_return_if_fail (NB_IS_MCP_MANAGER (self));

  self->started = TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);

      nb_mcp_server_connect_async (server, self->cancellable, connected_cb, NULL);
    }
}

/**
 * nb_mcp_manager_is_connecting:
 *
 * Returns: whether any server is still connecting (e.g. after
 *   nb_mcp_manager_start()); see #NbMcpManager::server-state-changed
 */
gboolean
nb_mcp_manager_is_connecting (NbMcpManager *self)
{
  g_return_val_if_fail (NB_IS_MCP_MANAGER (self), FALSE);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);

      if (nb_mcp_server_get_state (server) == NB_MCP_SERVER_STATE_CONNECTING)
        return TRUE;
    }
  return FALSE;
}

/**
 * nb_mcp_manager_shutdown:
 *
 * Disconnects every server; stdio servers are killed with their process
 * groups.
 */
void
nb_mcp_manager_shutdown (NbMcpManager *self)
{
  g_return_if_fail (NB_IS_MCP_MANAGER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);

      nb_mcp_server_shutdown (server);
    }
}

/**
 * nb_mcp_manager_warn_on_stderr:
 *
 * From now on, prints one line on stderr each time a server fails
 * ("nanobot: MCP server “name” failed: why"), for `nanobot -m`.
 */
void
nb_mcp_manager_warn_on_stderr (NbMcpManager *self)
{
  g_return_if_fail (NB_IS_MCP_MANAGER (self));
  self->warn_on_stderr = TRUE;
}

static void
remove_server (NbMcpManager *self,
               guint         position)
{
  g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), position);
  GPtrArray *tools = g_hash_table_lookup (self->tools, server);

  for (guint r = 0; r < self->registries->len; r++)
    {
      NbToolRegistry *registry = g_ptr_array_index (self->registries, r);

      for (guint i = 0; tools != NULL && i < tools->len; i++)
        {
          NbTool *tool = g_ptr_array_index (tools, i);

          if (nb_tool_registry_lookup (registry, nb_tool_get_name (tool)) == tool)
            nb_tool_registry_remove (registry, nb_tool_get_name (tool));
        }
    }
  g_hash_table_remove (self->tools, server);
  g_hash_table_remove (self->configs, nb_mcp_server_get_name (server));
  g_signal_handlers_disconnect_by_data (server, self);
  nb_mcp_server_shutdown (server);
  g_list_store_remove (self->servers, position);
}

/**
 * nb_mcp_manager_reconfigure:
 * @servers: (nullable): the new tools.mcpServers object
 *
 * Brings the servers in line with a changed configuration: a server that
 * is gone, or whose settings changed, is stopped and its tools removed; a
 * new or changed one is added (and connected, once the manager was
 * started). Servers whose settings did not change are left running.
 *
 * Returns: whether anything changed
 */
gboolean
nb_mcp_manager_reconfigure (NbMcpManager *self,
                            JsonObject   *servers)
{
  g_autoptr(GList) names = NULL;
  gboolean changed = FALSE;

  g_return_val_if_fail (NB_IS_MCP_MANAGER (self), FALSE);

  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i > 0; i--)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i - 1);
      const char *name = nb_mcp_server_get_name (server);
      JsonNode *old = g_hash_table_lookup (self->configs, name);
      JsonNode *new = servers != NULL ? json_object_get_member (servers, name) : NULL;

      if (new != NULL && old != NULL && JSON_NODE_HOLDS_OBJECT (new) && json_node_equal (old, new))
        continue;
      remove_server (self, i - 1);
      changed = TRUE;
    }

  if (servers != NULL)
    names = json_object_get_members (servers);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (servers, l->data);

      if (!JSON_NODE_HOLDS_OBJECT (node) || nb_mcp_manager_lookup_server (self, l->data) != NULL ||
          nb_mcp_manager_config_is_disabled (json_node_get_object (node)))
        continue;
      add_server (self, l->data, json_node_get_object (node));
      changed = TRUE;
      if (self->started)
        {
          guint n = g_list_model_get_n_items (G_LIST_MODEL (self->servers));
          g_autoptr(NbMcpServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), n - 1);

          nb_mcp_server_connect_async (server, self->cancellable, connected_cb, NULL);
        }
    }
  return changed;
}
