/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-spawn-tool"

#include "config.h"

#include "nb-tool-host.h"
#include "nb-json-util.h"
#include "nb-spawn-tool.h"

/* `spawn`: hands a task to a sub-agent that works in the background with
 * the file, exec and web tools; its result comes back into this
 * conversation later and the agent tells the user about it. */

struct _NbSpawnTool
{
  NbTool parent_instance;
};

G_DEFINE_FINAL_TYPE (NbSpawnTool, nb_spawn_tool, NB_TYPE_TOOL)

static const char schema[] =
  "{\"type\":\"object\",\"properties\":{"
  "\"task\":{\"type\":\"string\",\"description\":\"What the sub-agent should do, with all the details it needs\"},"
  "\"label\":{\"type\":\"string\",\"description\":\"Optional: a short name for the task\"}"
  "},\"required\":[\"task\"]}";

static void
nb_spawn_tool_execute_async (NbTool              *tool,
                             JsonObject          *arguments,
                             const NbToolContext *context,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  const char *label = nb_json_get_string (arguments, "label");
  char *result;

  g_task_set_source_tag (task, nb_spawn_tool_execute_async);

  if (context->host == NULL)
    {
      g_task_return_pointer (task, g_strdup ("Error: Sub-agents cannot be started from here"), g_free);
      return;
    }

  result = nb_tool_host_spawn (context->host, context,
                               json_object_get_string_member (arguments, "task"), label, &error);
  if (result == NULL)
    result = g_strdup_printf ("Error: %s", error->message);
  g_task_return_pointer (task, result, g_free);
}

static void
nb_spawn_tool_class_init (NbSpawnToolClass *klass)
{
  NbToolClass *tool_class = NB_TOOL_CLASS (klass);

  tool_class->execute_async = nb_spawn_tool_execute_async;
}

static void
nb_spawn_tool_init (NbSpawnTool *self)
{
}

/**
 * nb_spawn_tool_new:
 *
 * Returns: (transfer full): the `spawn` tool
 */
NbTool *
nb_spawn_tool_new (void)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (schema);

  return g_object_new (NB_TYPE_SPAWN_TOOL,
                       "name", "spawn",
                       "description",
                       "Start a sub-agent that carries out a task in the background with the file, "
                       "shell and web tools. Use it for long or independent work; you get its result "
                       "later and can then tell the user.",
                       "parameters", parameters,
                       "side-effects", FALSE,
                       "for-subagents", FALSE,
                       NULL);
}
