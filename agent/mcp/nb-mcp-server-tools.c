/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <string.h>

#include "nb-json-util.h"
#include "nb-mcp-server-private.h"

/*
 * The tools of an NbMcpServer: tools/list (paged, first when connecting and
 * again on notifications/tools/list_changed), tools/call, and the text the
 * model sees for a result.
 */

#define MAX_TOOL_PAGES 1000

/* Tool listing, first and on notifications/tools/list_changed. */

typedef struct
{
  NbMcpServer *server;
  GPtrArray   *collected;
  guint        generation;
  guint        page;
} ListData;

static void
list_data_free (ListData *data)
{
  g_clear_object (&data->server);
  g_clear_pointer (&data->collected, g_ptr_array_unref);
  g_free (data);
}

static void
list_tools_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ListData *data = user_data;
  NbMcpServer *self = data->server;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tools;
  const char *cursor;

  g_assert (NB_IS_MCP_SERVER (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_SERVER (self));

  reply = nb_mcp_server_request_finish (self, result, &error);
  if (data->generation != self->generation)
    goto out;

  if (reply == NULL)
    {
      if (self->state == NB_MCP_SERVER_STATE_CONNECTING && !self->has_tools &&
          g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SERVER))
        {
          /* Only prompts or resources: connected, with no tools to offer. */
          self->listing = FALSE;
          nb_mcp_server_set_tools (self, data->collected);
          nb_mcp_server_finish_connecting (self);
        }
      else if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
        nb_mcp_server_connection_failed (self, error);
      else
        {
          g_debug ("Refreshing the tools of MCP server %s failed: %s", self->name, error->message);
          self->listing = FALSE;
        }
      goto out;
    }

  tools = nb_json_get_array (reply, "tools");
  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonNode *tool = json_array_get_element (tools, i);

      if (JSON_NODE_HOLDS_OBJECT (tool) &&
          nb_json_get_string_or (json_node_get_object (tool), "name", NULL) != NULL)
        g_ptr_array_add (data->collected, json_object_ref (json_node_get_object (tool)));
    }

  cursor = nb_json_get_string_or (reply, "nextCursor", NULL);
  if (cursor != NULL && *cursor != '\0' && data->page + 1 < MAX_TOOL_PAGES)
    {
      nb_mcp_server_list_tools (self, cursor, data->collected, data->page + 1);
      goto out;
    }

  self->listing = FALSE;
  nb_mcp_server_set_tools (self, data->collected);
  if (self->state == NB_MCP_SERVER_STATE_CONNECTING)
    nb_mcp_server_finish_connecting (self);
  if (self->list_again && self->state == NB_MCP_SERVER_STATE_CONNECTED)
    {
      self->list_again = FALSE;
      nb_mcp_server_list_tools (self, NULL, NULL, 0);
    }

out:
  list_data_free (data);
}

void
nb_mcp_server_list_tools (NbMcpServer *self,
                          const char  *cursor,
                          GPtrArray   *collected,
                          guint        page)
{
  ListData *data = g_new0 (ListData, 1);
  JsonObject *params = NULL;

  if (cursor != NULL)
    {
      params = json_object_new ();
      json_object_set_string_member (params, "cursor", cursor);
    }
  self->listing = TRUE;
  if (page == 0)
    self->list_again = FALSE;
  data->server = g_object_ref (self);
  data->generation = self->generation;
  data->page = page;
  data->collected = collected != NULL
    ? g_ptr_array_ref (collected)
    : g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  nb_mcp_server_request_async (self, "tools/list", params, self->tool_timeout, NULL,
                               list_tools_cb, data);
}

void
nb_mcp_server_handle_notification (NbMcpServer *self,
                                   JsonObject  *message)
{
  const char *method = nb_json_get_string_or (message, "method", "");

  if (g_str_equal (method, "notifications/tools/list_changed"))
    {
      if (self->state == NB_MCP_SERVER_STATE_CONNECTED && !self->listing)
        nb_mcp_server_list_tools (self, NULL, NULL, 0);
      else
        self->list_again = TRUE;
    }
  else if (g_str_equal (method, "notifications/message"))
    {
      JsonObject *params = nb_json_get_object (message, "params");
      JsonNode *data = params != NULL ? json_object_get_member (params, "data") : NULL;
      g_autofree char *text = data != NULL ? json_to_string (data, FALSE) : NULL;

      g_debug ("MCP server %s log: %s", self->name, text != NULL ? text : "");
    }
}

/* Calling tools. The wrappers of tool results are for the model and stay in
 * English, so that the registry sees the "Error" prefix whatever the locale. */

typedef struct
{
  char       *tool_name;
  JsonObject *arguments;
  gboolean    retried;
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_pointer (&data->tool_name, g_free);
  g_clear_pointer (&data->arguments, json_object_unref);
  g_free (data);
}

static void call_connected_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data);

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbMcpServer *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_SERVER (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  reply = nb_mcp_server_request_finish (self, result, &error);
  if (reply != NULL)
    {
      g_task_return_pointer (task, nb_mcp_server_format_result (reply), g_free);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SESSION_EXPIRED) && !data->retried)
    {
      /* The server forgot our session: initialize a new one and retry. */
      data->retried = TRUE;
      if (self->state == NB_MCP_SERVER_STATE_CONNECTED)
        {
          nb_mcp_server_teardown (self, error);
          nb_mcp_server_set_state (self, NB_MCP_SERVER_STATE_IDLE, NULL);
        }
      GCancellable *cancellable = g_task_get_cancellable (task);

      nb_mcp_server_connect_async (self, cancellable, call_connected_cb, g_steal_pointer (&task));
    }
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_TIMEOUT))
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP tool '%s' of server '%s' timed out: %s",
                                            data->tool_name, self->name, error->message),
                           g_free);
  else if (g_error_matches (error, NB_MCP_ERROR, NB_MCP_ERROR_SERVER))
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP tool '%s' of server '%s' failed: %s",
                                            data->tool_name, self->name, error->message),
                           g_free);
  else
    g_task_return_pointer (task,
                           g_strdup_printf ("Error: MCP server '%s': %s",
                                            self->name, error->message),
                           g_free);
}

static void
call_tool (GTask *task)
{
  NbMcpServer *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "name", data->tool_name);
  json_object_set_object_member (params, "arguments", json_object_ref (data->arguments));
  nb_mcp_server_request_async (self, "tools/call", params, self->tool_timeout,
                               g_task_get_cancellable (task), call_done_cb, task);
}

static void
call_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbMcpServer *self = NB_MCP_SERVER (object);
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_MCP_SERVER (self));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (!nb_mcp_server_connect_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task,
                               g_strdup_printf ("Error: MCP server '%s' is not available: %s",
                                                self->name, error->message),
                               g_free);
      return;
    }
  call_tool (g_steal_pointer (&task));
}

/**
 * nb_mcp_server_call_tool_async:
 * @tool_name: the tool's name on the server
 * @arguments: the arguments object
 *
 * Calls a tool, connecting first if needed. Failures (server down, time-out,
 * protocol errors) are results starting with "Error:"; only cancellation is
 * a #GError.
 */
void
nb_mcp_server_call_tool_async (NbMcpServer         *self,
                               const char          *tool_name,
                               JsonObject          *arguments,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CallData *data;

  g_return_if_fail (NB_IS_MCP_SERVER (self));
  g_return_if_fail (tool_name != NULL);
  g_return_if_fail (arguments != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_mcp_server_call_tool_async);
  data = g_new0 (CallData, 1);
  data->tool_name = g_strdup (tool_name);
  data->arguments = json_object_ref (arguments);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  if (self->state == NB_MCP_SERVER_STATE_CONNECTED)
    call_tool (g_steal_pointer (&task));
  else
    nb_mcp_server_connect_async (self, cancellable, call_connected_cb, g_steal_pointer (&task));
}

/**
 * nb_mcp_server_call_tool_finish:
 *
 * Returns: (transfer full): the result text for the model
 */
char *
nb_mcp_server_call_tool_finish (NbMcpServer   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Results. */

static gsize
base64_decoded_size (const char *data)
{
  gsize length = strlen (data);
  gsize padding = 0;

  while (length > 0 && g_ascii_isspace (data[length - 1]))
    length--;
  if (length > 0 && data[length - 1] == '=')
    padding++;
  if (length > 1 && data[length - 2] == '=')
    padding++;
  return length / 4 * 3 + (length % 4 != 0 ? (length % 4) * 3 / 4 : 0) - padding;
}

static void
append_block (GString    *text,
              JsonObject *block)
{
  const char *type = nb_json_get_string_or (block, "type", "");

  if (text->len > 0)
    g_string_append_c (text, '\n');

  if (g_str_equal (type, "text"))
    g_string_append (text, nb_json_get_string_or (block, "text", ""));
  else if (g_str_equal (type, "image") || g_str_equal (type, "audio"))
    g_string_append_printf (text, "[%s: %s, %" G_GSIZE_FORMAT " bytes]", type,
                            nb_json_get_string_or (block, "mimeType", "?"),
                            base64_decoded_size (nb_json_get_string_or (block, "data", "")));
  else if (g_str_equal (type, "resource"))
    {
      JsonObject *resource = nb_json_get_object (block, "resource");
      const char *resource_text = resource != NULL
        ? nb_json_get_string_or (resource, "text", NULL) : NULL;

      if (resource_text != NULL)
        g_string_append (text, resource_text);
      else
        g_string_append_printf (text, "[resource: %s]",
                                resource != NULL
                                ? nb_json_get_string_or (resource, "uri", "?")
                                : "?");
    }
  else if (g_str_equal (type, "resource_link"))
    g_string_append_printf (text, "[resource: %s]",
                            nb_json_get_string_or (block, "uri", "?"));
  else
    g_string_append_printf (text, "[%s]", type);
}

/**
 * nb_mcp_server_format_result:
 * @result: a tools/call result
 *
 * Text blocks are joined by newlines, images and audio are described,
 * resources are inlined when they are text; `isError` results start with
 * "Error: ". Results over %NB_MCP_MAX_RESULT_SIZE bytes are cut with a note.
 *
 * Returns: (transfer full): the text for the model
 */
char *
nb_mcp_server_format_result (JsonObject *result)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *content = NULL;
  gboolean is_error;

  g_return_val_if_fail (result != NULL, NULL);

  is_error = nb_json_get_boolean (result, "isError");
  content = nb_json_get_array (result, "content");

  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      JsonNode *block = json_array_get_element (content, i);

      if (JSON_NODE_HOLDS_OBJECT (block))
        append_block (text, json_node_get_object (block));
    }

  if (text->len == 0 && json_object_has_member (result, "structuredContent"))
    {
      g_autofree char *json = json_to_string (json_object_get_member (result, "structuredContent"), FALSE);

      g_string_append (text, json);
    }

  if (is_error)
    g_string_prepend (text, text->len > 0 ? "Error: " : "Error: the tool failed");
  else if (text->len == 0)
    g_string_append (text, "(no output)");

  if (text->len > NB_MCP_MAX_RESULT_SIZE)
    {
      gsize total = text->len;
      const char *cut = g_utf8_find_prev_char (text->str, text->str + NB_MCP_MAX_RESULT_SIZE + 1);

      g_string_truncate (text, cut != NULL ? (gsize) (cut - text->str) : NB_MCP_MAX_RESULT_SIZE);
      g_string_append_printf (text, "\n\n[output truncated: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes shown]",
                              text->len, total);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

