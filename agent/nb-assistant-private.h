/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-assistant.h"
#include "nb-conversation-list.h"

G_BEGIN_DECLS

/* NbAssistant is nb-assistant.c (assembly, sessions, turns),
 * nb-assistant-close.c (bounded shutdown) and nb-assistant-conversations.c
 * (rename, pin, trash, the running state). */

struct _NbAssistant
{
  GObject           parent_instance;

  NbConfig         *config;
  char             *sessions_dir;
  NbSessionStore   *store;
  NbContextBuilder *context;
  NbMemoryStore    *memory;
  NbToolRegistry   *tools;
  GPtrArray        *builtin_tools;
  NbMcpManager     *mcp;
  NbAgent          *agent;
  GFileMonitor     *config_monitor;

  NbProvider       *provider;
  gboolean          provider_stale;
  gboolean          resolving;
  GQueue            provider_waiters;  /* GTask */

  gboolean          mcp_started;
  gint64            mcp_started_at;

  NbConversationList *conversations;  /* made on first use */

  GHashTable       *sessions;          /* key → NbSession */
  GCancellable     *cancellable;
};

void nb_assistant_warn (NbAssistant *self,
                        const char  *message);

/* nb-assistant-conversations.c: keeps NbConversation:running and new
 * conversations' items current from the agent's turns. */
void nb_assistant_watch_turns (NbAssistant *self);

G_END_DECLS
