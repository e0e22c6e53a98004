/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-message-tool"

#include "config.h"

#include "nb-tool-host.h"
#include "nb-json-util.h"
#include "nb-message-tool.h"

/* `message`: text for the user outside the final reply (progress notes,
 * answers to another chat). The agent emits it as NbAgent::message; when it
 * went to the chat of the turn, the turn's final reply is not sent again. */

struct _NbMessageTool
{
  NbTool parent_instance;
};

G_DEFINE_FINAL_TYPE (NbMessageTool, nb_message_tool, NB_TYPE_TOOL)

static const char schema[] =
  "{\"type\":\"object\",\"properties\":{"
  "\"content\":{\"type\":\"string\",\"description\":\"The text to send\"},"
  "\"channel\":{\"type\":\"string\",\"description\":\"Optional: the target channel (the current one by default)\"},"
  "\"chat_id\":{\"type\":\"string\",\"description\":\"Optional: the target chat (the current one by default)\"},"
  "\"media\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
  "\"description\":\"Optional: paths of files to attach\"}"
  "},\"required\":[\"content\"]}";

static const char *
optional_string (JsonObject *arguments,
                 const char *member,
                 const char *fallback)
{
  const char *value = nb_json_get_string (arguments, member);

  return value != NULL && *value != '\0' ? value : fallback;
}

static void
nb_message_tool_execute_async (NbTool              *tool,
                               JsonObject          *arguments,
                               const NbToolContext *context,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_auto(GStrv) media = NULL;
  const char *content = json_object_get_string_member (arguments, "content");
  const char *channel = optional_string (arguments, "channel", context->channel);
  const char *chat_id = optional_string (arguments, "chat_id", context->chat_id);
  guint n_media;

  g_task_set_source_tag (task, nb_message_tool_execute_async);

  if (channel == NULL || chat_id == NULL)
    {
      g_task_return_pointer (task, g_strdup ("Error: No target channel/chat specified"), g_free);
      return;
    }
  if (context->host == NULL)
    {
      g_task_return_pointer (task, g_strdup ("Error: Messages cannot be sent from here"), g_free);
      return;
    }

  media = nb_json_dup_strv (arguments, "media");
  n_media = g_strv_length (media);

  nb_tool_host_deliver_message (context->host, context, channel, chat_id, content,
                                (const char * const *) media);

  if (n_media > 0)
    g_task_return_pointer (task, g_strdup_printf ("Message sent to %s:%s with %u attachments",
                                                  channel, chat_id, n_media), g_free);
  else
    g_task_return_pointer (task, g_strdup_printf ("Message sent to %s:%s", channel, chat_id), g_free);
}

static void
nb_message_tool_class_init (NbMessageToolClass *klass)
{
  NbToolClass *tool_class = NB_TOOL_CLASS (klass);

  tool_class->execute_async = nb_message_tool_execute_async;
}

static void
nb_message_tool_init (NbMessageTool *self)
{
}

/**
 * nb_message_tool_new:
 *
 * Returns: (transfer full): the `message` tool
 */
NbTool *
nb_message_tool_new (void)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (schema);

  return g_object_new (NB_TYPE_MESSAGE_TOOL,
                       "name", "message",
                       "description",
                       "Send a message to the user now, outside your final answer: progress on a long "
                       "task, or text for another chat. Do not use it to give your final answer.",
                       "parameters", parameters,
                       "side-effects", FALSE,
                       "for-subagents", FALSE,
                       NULL);
}
