/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-agent.h"
#include "nb-config.h"
#include "nb-context-builder.h"
#include "nb-mcp-manager.h"
#include "nb-memory-store.h"
#include "nb-session-store.h"
#include "nb-session.h"
#include "nb-tool-registry.h"

G_BEGIN_DECLS

#define NB_TYPE_ASSISTANT (nb_assistant_get_type ())
G_DECLARE_FINAL_TYPE (NbAssistant, nb_assistant, NB, ASSISTANT, GObject)

NbAssistant      *nb_assistant_new                 (NbConfig             *config);
NbAssistant      *nb_assistant_new_for_sessions    (NbConfig             *config,
                                                    const char           *sessions_dir);

NbConfig         *nb_assistant_get_config          (NbAssistant          *self);
NbAgent          *nb_assistant_get_agent           (NbAssistant          *self);
NbToolRegistry   *nb_assistant_get_tools           (NbAssistant          *self);
NbSessionStore   *nb_assistant_get_session_store   (NbAssistant          *self);
NbMemoryStore    *nb_assistant_get_memory_store    (NbAssistant          *self);
NbContextBuilder *nb_assistant_get_context_builder (NbAssistant          *self);
NbMcpManager     *nb_assistant_get_mcp_manager     (NbAssistant          *self);
NbProvider       *nb_assistant_get_provider        (NbAssistant          *self);
GListModel       *nb_assistant_get_conversations   (NbAssistant          *self);

void              nb_assistant_open_session_async  (NbAssistant          *self,
                                                    const char           *key,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
NbSession        *nb_assistant_open_session_finish (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void              nb_assistant_run_async           (NbAssistant          *self,
                                                    NbSession            *session,
                                                    const char           *input,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char             *nb_assistant_run_finish          (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    gboolean             *is_command,
                                                    GError              **error);

void              nb_assistant_retry_async         (NbAssistant          *self,
                                                    NbSession            *session,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);

void              nb_assistant_reload_provider     (NbAssistant          *self);
void              nb_assistant_cancel_background   (NbAssistant          *self);

void              nb_assistant_close_async         (NbAssistant          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          nb_assistant_close_finish        (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* How long a turn waits for MCP servers that are still connecting, and how
 * long closing waits for a running memory consolidation. */
#define NB_ASSISTANT_MCP_WAIT_S           10
#define NB_ASSISTANT_CONSOLIDATION_WAIT_S 30

/* Forks (nb-assistant-forks.c). */
void              nb_assistant_fork_async          (NbAssistant          *self,
                                                    NbSession            *source,
                                                    guint                 n_keep,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
NbSession        *nb_assistant_fork_finish         (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Models and usage (nb-assistant-models.c). */
void              nb_assistant_list_models_async   (NbAssistant          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GStrv             nb_assistant_list_models_finish  (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean          nb_assistant_set_session_model   (NbAssistant          *self,
                                                    NbSession            *session,
                                                    const char           *model,
                                                    GError              **error);
char             *nb_assistant_dup_session_model   (NbAssistant          *self,
                                                    NbSession            *session);
gint64            nb_assistant_get_context_window  (NbAssistant          *self,
                                                    const char           *model);
gboolean          nb_assistant_get_last_usage      (NbAssistant          *self,
                                                    NbSession            *session,
                                                    NbUsage              *usage,
                                                    gint64               *context_tokens,
                                                    gint64               *context_window);

/* How long a provider's list of models is kept. */
#define NB_ASSISTANT_MODELS_TTL_S 600

/* Attachments (nb-assistant-attachments.c): the largest image and text
 * file a turn takes. */
#define NB_ASSISTANT_MAX_IMAGE_SIZE (20 * 1024 * 1024)
#define NB_ASSISTANT_MAX_TEXT_SIZE  (512 * 1024)

void              nb_assistant_run_with_attachments_async (NbAssistant          *self,
                                                           NbSession            *session,
                                                           const char           *input,
                                                           GPtrArray            *files,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
JsonNode         *nb_assistant_build_user_content         (const char           *text,
                                                           GPtrArray            *files,
                                                           GCancellable         *cancellable,
                                                           GError              **error);

/* Conversation operations (nb-assistant-conversations.c). Each shows in
 * the conversations model at once; see the functions' documentation. */
void              nb_assistant_rename_conversation       (NbAssistant          *self,
                                                          const char           *key,
                                                          const char           *title);
void              nb_assistant_set_conversation_pinned   (NbAssistant          *self,
                                                          const char           *key,
                                                          gboolean              pinned);
void              nb_assistant_trash_conversation_async  (NbAssistant          *self,
                                                          const char           *key,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean          nb_assistant_trash_conversation_finish (NbAssistant          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

/* Importing the Python nanobot's conversations (nb-assistant-import.c),
 * e.g. for the first-run onboarding; see nb-python-import.h. */
#include "nb-python-import.h"
void                  nb_assistant_import_python_async  (NbAssistant          *self,
                                                         const char           *python_dir,
                                                         NbPythonImportFlags   flags,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
NbPythonImportResult *nb_assistant_import_python_finish (NbAssistant          *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Tool permissions (nb-assistant-permissions.c) */
typedef struct _NbApprovalQueue NbApprovalQueue;
typedef struct _NbToolApprover NbToolApprover;
typedef struct _NbPermissions NbPermissions;

NbPermissions    *nb_assistant_get_permissions           (NbAssistant          *self);
void              nb_assistant_set_approver              (NbAssistant          *self,
                                                          NbToolApprover       *approver,
                                                          int                   absent_default);
NbApprovalQueue  *nb_assistant_get_approval_queue        (NbAssistant          *self);

/* Scheduled jobs and the heartbeat (nb-assistant-cron.c). The assistant
 * has the `cron` tool and the jobs of cron/jobs.json beside the sessions
 * folder; they run only after nb_assistant_start_scheduler(). */
typedef struct _NbCronService NbCronService;
typedef struct _NbHeartbeat NbHeartbeat;

NbCronService    *nb_assistant_get_cron_service          (NbAssistant          *self);
NbHeartbeat      *nb_assistant_get_heartbeat             (NbAssistant          *self);
void              nb_assistant_start_scheduler           (NbAssistant          *self);
void              nb_assistant_stop_scheduler            (NbAssistant          *self);
void              nb_assistant_run_due_jobs_async        (NbAssistant          *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
int               nb_assistant_run_due_jobs_finish       (NbAssistant          *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

/* Memory (nb-assistant-memory.c), for Preferences: folds the older
 * messages of @session into memory/MEMORY.md and HISTORY.md now, with
 * the memory model, as a due consolidation would. */
void              nb_assistant_consolidate_async   (NbAssistant          *self,
                                                    NbSession            *session,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          nb_assistant_consolidate_finish  (NbAssistant          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* The workspace folder of the configuration, "~" expanded. */
char             *nb_assistant_dup_workspace       (NbAssistant          *self);

G_END_DECLS
