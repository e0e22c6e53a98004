/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-builtin-tools"

#include "config.h"

#include "nb-builtin-tools.h"
#include "nb-exec-tool.h"
#include "nb-file-tools.h"
#include "nb-web-fetch-tool.h"
#include "nb-web-search-tool.h"
#include "nb-apply-patch-tool.h"
#include "nb-search-tools.h"
#include "nb-session-tools.h"

/**
 * nb_builtin_tools_new:
 * @config: the configuration
 *
 * Builds the file, exec and web tools from @config: the workspace
 * (agents.defaults.workspace), tools.restrictToWorkspace, tools.exec.timeout,
 * tools.web.search.{provider,apiKey,baseUrl,maxResults} and
 * tools.web.fetch.allowPrivateHosts. Message, spawn, cron and MCP tools are
 * made elsewhere.
 *
 * Returns: (transfer full) (element-type NbTool): the tools, in a stable order
 */
GPtrArray *
nb_builtin_tools_new (NbConfig *config)
{
  g_autofree char *workspace = NULL;
  GPtrArray *tools;
  gboolean restrict_to_workspace;
  gint64 timeout;
  gint64 max_results;

  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);

  workspace = nb_config_dup_workspace (config);
  restrict_to_workspace = nb_config_get_boolean (config, "tools.restrictToWorkspace");
  timeout = nb_config_get_int (config, "tools.exec.timeout");
  max_results = nb_config_get_int (config, "tools.web.search.maxResults");

  tools = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (tools, nb_read_file_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_write_file_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_edit_file_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_list_dir_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_delete_file_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_exec_tool_new (workspace, restrict_to_workspace,
                                            (guint) CLAMP (timeout > 0 ? timeout : 60, 1, 24 * 3600)));
  g_ptr_array_add (tools, nb_web_search_tool_new (nb_config_get_string (config, "tools.web.search.provider"),
                                                  nb_config_get_string (config, "tools.web.search.apiKey"),
                                                  nb_config_get_string (config, "tools.web.search.baseUrl"),
                                                  (guint) CLAMP (max_results > 0 ? max_results : 5, 1, 10)));
  g_ptr_array_add (tools, nb_web_fetch_tool_new (nb_config_get_boolean (config, "tools.web.fetch.allowPrivateHosts")));
  /* find_files, grep, apply_patch, search_sessions, read_session. */
  g_ptr_array_add (tools, nb_find_files_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_grep_tool_new (workspace, restrict_to_workspace));
  g_ptr_array_add (tools, nb_apply_patch_tool_new (workspace, restrict_to_workspace));
  {
    g_autofree char *data_dir = nb_config_get_data_dir ();
    g_autofree char *sessions_dir = g_build_filename (data_dir, "sessions", NULL);

    g_ptr_array_add (tools, nb_search_sessions_tool_new (sessions_dir));
    g_ptr_array_add (tools, nb_read_session_tool_new (sessions_dir));
  }
  return tools;
}
