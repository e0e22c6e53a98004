/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-config.h"
#include "nb-context-builder.h"
#include "nb-memory-store.h"
#include "nb-provider.h"
#include "nb-session-store.h"
#include "nb-session.h"
#include "nb-tool-registry.h"

G_BEGIN_DECLS

#define NB_TYPE_AGENT (nb_agent_get_type ())
G_DECLARE_FINAL_TYPE (NbAgent, nb_agent, NB, AGENT, GObject)

NbAgent          *nb_agent_new                    (NbProvider          *provider,
                                                   NbConfig            *config,
                                                   NbToolRegistry      *tools,
                                                   NbContextBuilder    *context);
NbProvider       *nb_agent_get_provider           (NbAgent             *self);
void              nb_agent_set_provider           (NbAgent             *self,
                                                   NbProvider          *provider);
NbConfig         *nb_agent_get_config             (NbAgent             *self);
NbToolRegistry   *nb_agent_get_tools              (NbAgent             *self);
NbContextBuilder *nb_agent_get_context_builder    (NbAgent             *self);
NbSessionStore   *nb_agent_get_session_store      (NbAgent             *self);
void              nb_agent_set_session_store      (NbAgent             *self,
                                                   NbSessionStore      *store);
NbMemoryStore    *nb_agent_get_memory_store       (NbAgent             *self);
void              nb_agent_set_memory_store       (NbAgent             *self,
                                                   NbMemoryStore       *memory);
guint             nb_agent_get_max_iterations     (NbAgent             *self);
void              nb_agent_set_max_iterations     (NbAgent             *self,
                                                   guint                max_iterations);
void              nb_agent_set_system_prompt      (NbAgent             *self,
                                                   const char          *system_prompt);
gboolean          nb_agent_is_busy                (NbAgent             *self);
void              nb_agent_cancel_background      (NbAgent             *self);
guint             nb_agent_stop_session           (NbAgent             *self,
                                                   const char          *session_key);
gboolean          nb_agent_is_running             (NbAgent             *self,
                                                   const char          *session_key);

void              nb_agent_run_async              (NbAgent             *self,
                                                   NbSession           *session,
                                                   const char          *input,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
char             *nb_agent_run_finish             (NbAgent             *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* A turn whose user message has @content (a string or OpenAI content
 * parts, e.g. images); finished with nb_agent_run_finish(). */
void              nb_agent_retry_async            (NbAgent             *self,
                                                   NbSession           *session,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
void              nb_agent_run_with_content_async (NbAgent             *self,
                                                   NbSession           *session,
                                                   JsonNode            *content,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);

/* Tool permissions (nb-agent-permissions.c) */
typedef struct _NbPermissions NbPermissions;

void              nb_agent_set_permissions        (NbAgent             *self,
                                                   NbPermissions       *permissions);
NbPermissions    *nb_agent_get_permissions        (NbAgent             *self);

G_END_DECLS
