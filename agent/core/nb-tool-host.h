/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-tool.h"

G_BEGIN_DECLS

#define NB_TYPE_TOOL_HOST (nb_tool_host_get_type ())
G_DECLARE_INTERFACE (NbToolHost, nb_tool_host, NB, TOOL_HOST, GObject)

/**
 * NbToolHostInterface:
 * @deliver_message: shows @content to the user of @channel/@chat_id now,
 *   outside the final reply (the message tool)
 * @spawn: starts a sub-agent on @task in the background; its result comes
 *   back to the calling session later (the spawn tool). Returns the text
 *   the model sees, or %NULL with @error set
 *
 * What tools may ask of whatever runs the turn. The agent implements it;
 * tools reach it through #NbToolContext.host and never include the
 * agent's headers, so the dependency points one way.
 */
struct _NbToolHostInterface
{
  GTypeInterface parent_iface;

  void   (*deliver_message) (NbToolHost          *self,
                             const NbToolContext *context,
                             const char          *channel,
                             const char          *chat_id,
                             const char          *content,
                             const char * const  *media);
  char  *(*spawn)           (NbToolHost          *self,
                             const NbToolContext *context,
                             const char          *task,
                             const char          *label,
                             GError             **error);
};

void  nb_tool_host_deliver_message (NbToolHost          *self,
                                    const NbToolContext *context,
                                    const char          *channel,
                                    const char          *chat_id,
                                    const char          *content,
                                    const char * const  *media);
char *nb_tool_host_spawn           (NbToolHost          *self,
                                    const NbToolContext *context,
                                    const char          *task,
                                    const char          *label,
                                    GError             **error);

G_END_DECLS
