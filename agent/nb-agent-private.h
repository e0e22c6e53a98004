/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-agent.h"

G_BEGIN_DECLS

/* Sub-agents run this many LLM calls at most (the Python nanobot's limit). */
#define NB_AGENT_SUBAGENT_MAX_ITERATIONS 15

/* For the message tool: emits NbAgent::message and remembers, for the turn
 * of @context, that the user of that chat was already answered. */
void  nb_agent_deliver_message (NbAgent             *self,
                                const NbToolContext *context,
                                const char          *channel,
                                const char          *chat_id,
                                const char          *content,
                                const char * const  *media);

/* For the spawn tool: starts a sub-agent on @task in the background and
 * returns the tool's result, "Subagent [label] started (id: …). …". The
 * sub-agent's result comes back into the session of @context as an
 * announcement that the agent summarises for the user in a new turn. */
char *nb_agent_spawn           (NbAgent             *self,
                                const NbToolContext *context,
                                const char          *task,
                                const char          *label,
                                GError             **error);

G_END_DECLS
