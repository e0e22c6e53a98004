/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-agent.h"
#include "nb-tool-host.h"

G_BEGIN_DECLS

/*
 * NbAgent is spread over three files that share this header:
 *   nb-agent.c            the object, its signals and its public API, and
 *                         the NbToolHost the message and spawn tools reach
 *   nb-agent-turn.c       one turn: the CHAT / TOOLS state machine
 *   nb-agent-subagents.c  sub-agents started by the spawn tool
 */

/* Sub-agents run this many LLM calls at most (the Python nanobot's limit). */
#define NB_AGENT_SUBAGENT_MAX_ITERATIONS 15

struct _NbAgent
{
  GObject           parent_instance;

  NbProvider       *provider;
  NbConfig         *config;
  NbToolRegistry   *tools;
  NbContextBuilder *context;
  NbSessionStore   *store;
  NbMemoryStore    *memory;
  char             *system_prompt;
  guint             max_iterations;

  GCancellable     *cancellable;  /* background work: sub-agents and their announcements */
  GHashTable       *turns;        /* session key → running NbAgentTurn */
  GQueue            queue;        /* GTask, turns waiting for their session */
  guint             queue_idle_id;
  GHashTable       *subagents;    /* id → subagent */

  /* nb-agent-permissions.c */
  NbPermissions    *permissions;  /* NULL: every call runs */
  char             *agent_label;  /* a sub-agent's label */
  char             *origin_key;   /* a sub-agent's calling session */
};

enum {
  NB_AGENT_TEXT_DELTA,
  NB_AGENT_REASONING_DELTA,
  NB_AGENT_TOOL_CALL_STARTED,
  NB_AGENT_TOOL_CALL_FINISHED,
  NB_AGENT_MESSAGE_APPENDED,
  NB_AGENT_MESSAGE,
  NB_AGENT_TURN_FINISHED,
  NB_AGENT_SAVE_FAILED,
  NB_AGENT_USAGE,
  NB_AGENT_N_SIGNALS
};

extern guint nb_agent_signals[NB_AGENT_N_SIGNALS];

void        nb_agent_notify_busy        (NbAgent             *self);

/**
 * NbTurnSettings:
 *
 * What a turn reads from the configuration, taken once when it is asked
 * for, so that a setting saved meanwhile applies from the next turn on and
 * never halfway through one. The session's own `model` (metadata) wins
 * over the configured one.
 */
typedef struct {
  char   *model;
  char   *reasoning_effort;
  int     max_tokens;
  double  temperature;
  guint   max_iterations;
  guint   memory_window;
  char   *memory_model;
} NbTurnSettings;

void            nb_turn_split_session_key (const char  *key,
                                           char       **channel,
                                           char       **chat_id);
NbTurnSettings *nb_turn_settings_new  (NbConfig       *config,
                                       NbSession      *session,
                                       guint           max_iterations);
void            nb_turn_settings_free (NbTurnSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbTurnSettings, nb_turn_settings_free)

/* nb-agent-turn.c */
typedef struct _NbAgentTurn NbAgentTurn;

void        nb_agent_run_turn           (NbAgent             *self,
                                         NbSession           *session,
                                         const char          *input,
                                         const char          *sender,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
NbAgentTurn *nb_agent_lookup_turn       (NbAgent             *self,
                                         const char          *session_key);
NbSession  *nb_agent_turn_get_session   (NbAgentTurn         *turn);
/* The message tool answered the turn's own chat: the final reply is not
 * delivered a second time. */
void        nb_agent_turn_mark_answered (NbAgentTurn         *turn,
                                         const char          *channel,
                                         const char          *chat_id);
void        nb_agent_cancel_queued      (NbAgent             *self,
                                         const char          *session_key,
                                         GPtrArray           *cancellables);

/* nb-agent-subagents.c */
void        nb_agent_subagent_free      (gpointer             subagent);
char       *nb_agent_spawn              (NbAgent             *self,
                                         const NbToolContext *context,
                                         const char          *task,
                                         const char          *label,
                                         GError             **error);

/* nb-agent-permissions.c: a call checked against the permissions, then
 * run by the registry; @audit is the decision to keep with the result. */
void        nb_agent_execute_call_async  (NbAgent             *self,
                                          const NbToolCall    *call,
                                          const NbToolContext *context,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char       *nb_agent_execute_call_finish (NbAgent             *self,
                                          GAsyncResult        *result,
                                          JsonObject         **audit,
                                          GError             **error);
void        nb_agent_inherit_permissions (NbAgent             *child,
                                          NbAgent             *parent,
                                          const char          *label,
                                          const char          *origin_key);

G_END_DECLS
