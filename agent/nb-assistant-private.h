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

  struct _NbAssistantModels *models;   /* nb-assistant-models.c */
};

void nb_assistant_warn (NbAssistant *self,
                        const char  *message);

/* Takes @task and continues it once the provider for the current
 * configuration is resolved (self->provider), or returns the error:
 * turns go on in nb-assistant.c, model lists (source tag
 * nb_assistant_list_models_async) in nb_assistant_models_provider_ready(),
 * which borrows @task. */
void nb_assistant_with_provider          (GTask                     *task);
void nb_assistant_models_provider_ready  (GTask                     *task);
void nb_assistant_models_free            (struct _NbAssistantModels *models);

/* A turn's task, shared with nb-assistant-attachments.c, which reads the
 * files before the turn starts. */
GTask   *nb_assistant_run_task_new         (NbAssistant         *self,
                                            NbSession           *session,
                                            const char          *input,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean nb_assistant_run_task_is_command  (GTask               *task);
void     nb_assistant_run_task_set_content (GTask               *task,
                                            JsonNode            *content);
void     nb_assistant_run_task_start       (GTask               *task);

/* nb-assistant-conversations.c: keeps NbConversation:running and new
 * conversations' items current from the agent's turns. */
void nb_assistant_watch_turns (NbAssistant *self);

/* nb-assistant-turn-lock.c: one turn at a time per session across
 * processes. Takes @task; calls @run with it once this process holds the
 * session's lock file (or cannot have one) and has read the messages
 * another process appended meanwhile. The lock is released when @task is
 * finalized. */
typedef void (*NbAssistantTurnFunc) (GTask *task);
void nb_assistant_turn_lock_then (GTask               *task,
                                  NbSession           *session,
                                  NbAssistantTurnFunc  run);

/* nb-assistant-commands.c: answers /status, /model, /history and /skill
 * for @session without the model. Takes @task (a run task). */
#include "nb-slash-commands.h"
void nb_assistant_answer_command (GTask          *task,
                                  NbSession      *session,
                                  NbSlashCommand  command,
                                  const char     *input);
/* Turns NbMemoryStore::consolidation-failed into a warning. */
void nb_assistant_watch_memory   (NbAssistant    *self);
/* nb-assistant-cron.c: the cron service (nothing read yet) and the `cron`
 * tool, made with the assistant. */
void nb_assistant_cron_init (NbAssistant *self);

/* nb-assistant-permissions.c: gives the permissions the conversation
 * grants kept in @session's metadata. */
void nb_assistant_permissions_session_opened (NbAssistant *self,
                                              NbSession   *session);
/* Takes @task; @then gets it once the permission rules being saved are
 * written (closing waits for them). */
void nb_assistant_permissions_flush_then     (NbAssistant         *self,
                                              GTask               *task,
                                              NbAssistantTurnFunc  then);

G_END_DECLS
