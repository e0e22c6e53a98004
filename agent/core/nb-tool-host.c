/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool-host"

#include "config.h"

#include "nb-tool-host.h"

G_DEFINE_INTERFACE (NbToolHost, nb_tool_host, G_TYPE_OBJECT)

static void
nb_tool_host_default_init (NbToolHostInterface *iface)
{
}

/**
 * nb_tool_host_deliver_message:
 * @media: (nullable) (array zero-terminated=1): file paths to attach
 */
void
nb_tool_host_deliver_message (NbToolHost          *self,
                              const NbToolContext *context,
                              const char          *channel,
                              const char          *chat_id,
                              const char          *content,
                              const char * const  *media)
{
  NbToolHostInterface *iface;

  g_return_if_fail (NB_IS_TOOL_HOST (self));
  g_return_if_fail (content != NULL);

  iface = NB_TOOL_HOST_GET_IFACE (self);
  if (iface->deliver_message != NULL)
    iface->deliver_message (self, context, channel, chat_id, content, media);
}

/**
 * nb_tool_host_spawn:
 *
 * Returns: (transfer full) (nullable): the spawn tool's result text, or
 *   %NULL with @error set
 */
char *
nb_tool_host_spawn (NbToolHost          *self,
                    const NbToolContext *context,
                    const char          *task,
                    const char          *label,
                    GError             **error)
{
  NbToolHostInterface *iface;

  g_return_val_if_fail (NB_IS_TOOL_HOST (self), NULL);
  g_return_val_if_fail (task != NULL, NULL);

  iface = NB_TOOL_HOST_GET_IFACE (self);
  if (iface->spawn == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Sub-agents cannot be started from here");
      return NULL;
    }
  return iface->spawn (self, context, task, label, error);
}
