/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"
#include "nb-builtin-tools.h"
#include "nb-message-tool.h"
#include "nb-ollama-provider.h"
#include "nb-provider-registry.h"
#include "nb-slash-commands.h"
#include "nb-spawn-tool.h"

/*
 * NbAssistant assembles the agent for every front end (the window, the
 * quick prompt, scheduled jobs, `nanobot -m`): from one NbConfig it makes
 * the tool registry (built-in tools, message and spawn, the MCP servers'
 * tools), the session store, the workspace's context builder and memory
 * store, and the NbAgent that runs turns on them. It hands out one
 * NbSession per key, answers slash commands (the one place that does),
 * resolves the provider when a turn needs it and again after the
 * configuration changed, starts the MCP servers with the first turn, and
 * closes down in bounded time.
 *
 * Front ends listen to the agent's signals (nb_assistant_get_agent()) and
 * to NbAssistant::warning for things the user should know that are not
 * part of a reply (an MCP server that failed, a model picked for them).
 */


G_DEFINE_FINAL_TYPE (NbAssistant, nb_assistant, G_TYPE_OBJECT)

enum {
  WARNING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  NbSession      *session;
  char           *input;
  JsonNode       *content;  /* with attachments: the user message's content */
  gboolean        retry;    /* answer the user's last message again */
  NbSlashCommand  command;
  gboolean        is_command;
  gulong          mcp_handler;
  guint           mcp_timeout_id;
  GSource        *mcp_cancel_source;
} RunData;

static void
run_data_free (RunData *data)
{
  g_assert (data->mcp_handler == 0);
  g_assert (data->mcp_timeout_id == 0);
  g_assert (data->mcp_cancel_source == NULL);
  g_clear_object (&data->session);
  g_free (data->input);
  g_clear_pointer (&data->content, json_node_unref);
  g_free (data);
}

void
nb_assistant_warn (NbAssistant *self,
                   const char  *message)
{
  g_signal_emit (self, signals[WARNING], 0, message);
}

/* Tools */

static void
add_builtin_tools (NbAssistant *self)
{
  g_clear_pointer (&self->builtin_tools, g_ptr_array_unref);
  self->builtin_tools = nb_builtin_tools_new (self->config);
  for (guint i = 0; i < self->builtin_tools->len; i++)
    nb_tool_registry_add (self->tools, g_ptr_array_index (self->builtin_tools, i));
}

static void
remove_builtin_tools (NbAssistant *self)
{
  for (guint i = 0; self->builtin_tools != NULL && i < self->builtin_tools->len; i++)
    {
      NbTool *tool = g_ptr_array_index (self->builtin_tools, i);

      if (nb_tool_registry_lookup (self->tools, nb_tool_get_name (tool)) == tool)
        nb_tool_registry_remove (self->tools, nb_tool_get_name (tool));
    }
}

static void
mcp_state_cb (NbMcpManager *manager,
              NbMcpServer  *server,
              NbAssistant  *self)
{
  g_assert (NB_IS_ASSISTANT (self));

  if (nb_mcp_server_get_state (server) == NB_MCP_SERVER_STATE_FAILED)
    {
      g_autofree char *line = nb_mcp_server_dup_status_line (server);

      nb_assistant_warn (self, line);
    }
}

/* Configuration changes */

static void
config_changed_cb (NbConfig    *config,
                   NbAssistant *self)
{
  g_assert (NB_IS_ASSISTANT (self));

  /* Provider, model, key: resolved again before the next turn. */
  self->provider_stale = TRUE;

  /* Tool settings (search provider, exec timeout, restriction). */
  remove_builtin_tools (self);
  add_builtin_tools (self);

  if (nb_mcp_manager_reconfigure (self->mcp, nb_config_get_object (config, "tools.mcpServers")))
    g_debug ("MCP servers reconfigured");
}

static void
config_file_changed_cb (GFileMonitor      *monitor,
                        GFile             *file,
                        GFile             *other,
                        GFileMonitorEvent  event,
                        NbAssistant       *self)
{
  g_autoptr(GError) error = NULL;

  g_assert (NB_IS_ASSISTANT (self));

  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT &&
      event != G_FILE_MONITOR_EVENT_CREATED &&
      event != G_FILE_MONITOR_EVENT_MOVED_IN &&
      event != G_FILE_MONITOR_EVENT_RENAMED)
    return;

  /* A file that is being written or is broken leaves the last good
   * configuration in place; the user hears why. */
  if (!nb_config_reload (self->config, &error))
    nb_assistant_warn (self, error->message);
}

static void
watch_config_file (NbAssistant *self)
{
  const char *path = nb_config_get_path (self->config);
  g_autoptr(GFile) file = NULL;

  if (path == NULL)
    return;
  file = g_file_new_for_path (path);
  self->config_monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (self->config_monitor != NULL)
    g_signal_connect_object (self->config_monitor, "changed",
                             G_CALLBACK (config_file_changed_cb), self, 0);
}

/* Object */

static void
nb_assistant_dispose (GObject *object)
{
  NbAssistant *self = NB_ASSISTANT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  if (self->config_monitor != NULL)
    {
      g_file_monitor_cancel (self->config_monitor);
      g_clear_object (&self->config_monitor);
    }
  if (self->mcp != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->mcp, self);
      nb_mcp_manager_shutdown (self->mcp);
    }
  g_clear_object (&self->agent);
  g_clear_object (&self->mcp);
  g_clear_pointer (&self->builtin_tools, g_ptr_array_unref);
  g_clear_object (&self->tools);
  g_clear_object (&self->memory);
  g_clear_object (&self->context);
  g_clear_object (&self->store);
  g_clear_object (&self->provider);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->conversations);
  g_clear_pointer (&self->models, nb_assistant_models_free);
  g_clear_object (&self->config);

  G_OBJECT_CLASS (nb_assistant_parent_class)->dispose (object);
}

static void
nb_assistant_finalize (GObject *object)
{
  NbAssistant *self = NB_ASSISTANT (object);

  g_assert (g_queue_is_empty (&self->provider_waiters));
  g_free (self->sessions_dir);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_assistant_parent_class)->finalize (object);
}

static void
nb_assistant_class_init (NbAssistantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_assistant_dispose;
  object_class->finalize = nb_assistant_finalize;

  /**
   * NbAssistant::warning:
   * @message: what the user should know, one line, translated
   *
   * Something that is not part of a reply but matters: an MCP server
   * failed or has not answered, a model was picked because none was
   * configured, the configuration file could not be read again.
   */
  signals[WARNING] =
    g_signal_new ("warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nb_assistant_init (NbAssistant *self)
{
  self->cancellable = g_cancellable_new ();
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_queue_init (&self->provider_waiters);
}

/**
 * nb_assistant_new_for_sessions:
 * @config: the configuration; its file is watched for changes
 * @sessions_dir: (nullable): where sessions live; %NULL for
 *   `$XDG_DATA_HOME/nanobot/sessions`
 *
 * Returns: (transfer full): the assistant; nothing runs until a turn
 */
NbAssistant *
nb_assistant_new_for_sessions (NbConfig   *config,
                               const char *sessions_dir)
{
  NbAssistant *self;
  g_autofree char *workspace = NULL;
  g_autoptr(NbTool) message = NULL;
  g_autoptr(NbTool) spawn = NULL;

  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);

  self = g_object_new (NB_TYPE_ASSISTANT, NULL);
  self->config = g_object_ref (config);

  if (sessions_dir != NULL)
    self->sessions_dir = g_strdup (sessions_dir);
  else
    {
      g_autofree char *data_dir = nb_config_get_data_dir ();

      self->sessions_dir = g_build_filename (data_dir, "sessions", NULL);
    }

  workspace = nb_config_dup_workspace (config);
  self->store = nb_session_store_new (self->sessions_dir);
  self->context = nb_context_builder_new (workspace);
  self->memory = nb_memory_store_new (workspace);

  self->tools = nb_tool_registry_new ();
  add_builtin_tools (self);
  message = nb_message_tool_new ();
  spawn = nb_spawn_tool_new ();
  nb_tool_registry_add (self->tools, message);
  nb_tool_registry_add (self->tools, spawn);
  nb_assistant_cron_init (self);

  self->mcp = nb_mcp_manager_new (config);
  g_signal_connect_object (self->mcp, "server-state-changed", G_CALLBACK (mcp_state_cb), self, 0);

  self->agent = nb_agent_new (NULL, config, self->tools, self->context);
  nb_agent_set_session_store (self->agent, self->store);
  nb_agent_set_memory_store (self->agent, self->memory);
  nb_assistant_watch_memory (self);

  g_signal_connect_object (config, "changed", G_CALLBACK (config_changed_cb), self, 0);
  watch_config_file (self);

  return self;
}

/**
 * nb_assistant_new:
 *
 * Returns: (transfer full): the assistant for @config, with sessions in
 *   the user's data folder
 */
NbAssistant *
nb_assistant_new (NbConfig *config)
{
  return nb_assistant_new_for_sessions (config, NULL);
}

NbConfig *
nb_assistant_get_config (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->config;
}

/**
 * nb_assistant_get_agent:
 *
 * Returns: (transfer none): the agent; its signals report every turn
 */
NbAgent *
nb_assistant_get_agent (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->agent;
}

NbToolRegistry *
nb_assistant_get_tools (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->tools;
}

NbSessionStore *
nb_assistant_get_session_store (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->store;
}

NbMemoryStore *
nb_assistant_get_memory_store (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->memory;
}

NbContextBuilder *
nb_assistant_get_context_builder (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->context;
}

NbMcpManager *
nb_assistant_get_mcp_manager (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->mcp;
}

/**
 * nb_assistant_get_provider:
 *
 * Returns: (transfer none) (nullable): the provider of the last turn,
 *   %NULL before the first one
 */
NbProvider *
nb_assistant_get_provider (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  return self->provider;
}

static void
conversations_loaded_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!nb_conversation_list_load_finish (NB_CONVERSATION_LIST (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not list the conversations: %s", error->message);
}

static void
turn_finished_cb (NbAgent      *agent,
                  NbSession    *session,
                  const char   *reply,
                  const GError *error,
                  NbAssistant  *self)
{
  g_assert (NB_IS_ASSISTANT (self));

  /* Ours need not wait for the file monitor. */
  if (self->conversations != NULL && session != NULL)
    nb_conversation_list_update_from_session (self->conversations, session);
}

/**
 * nb_assistant_get_conversations:
 *
 * Every stored conversation, newest first, kept current (also with what
 * other processes write). Loaded in the background the first time it is
 * asked for: it reads only the sessions' metadata.
 *
 * Returns: (transfer none): a #GListModel of #NbConversation
 */
GListModel *
nb_assistant_get_conversations (NbAssistant *self)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);

  if (self->conversations == NULL)
    {
      self->conversations = nb_conversation_list_new (self->sessions_dir);
      nb_conversation_list_load_async (self->conversations, self->cancellable,
                                       conversations_loaded_cb, NULL);
      g_signal_connect_object (self->agent, "turn-finished", G_CALLBACK (turn_finished_cb), self, 0);
      nb_assistant_watch_turns (self);
    }
  return G_LIST_MODEL (self->conversations);
}

/**
 * nb_assistant_reload_provider:
 *
 * Resolves the provider again before the next turn: for changes the
 * configuration does not show, such as a key stored in the keyring.
 */
void
nb_assistant_reload_provider (NbAssistant *self)
{
  g_return_if_fail (NB_IS_ASSISTANT (self));
  self->provider_stale = TRUE;
}

/**
 * nb_assistant_cancel_background:
 *
 * Stops sub-agents and a running memory consolidation.
 */
void
nb_assistant_cancel_background (NbAssistant *self)
{
  g_return_if_fail (NB_IS_ASSISTANT (self));
  nb_agent_cancel_background (self->agent);
}

/* Sessions */

static void
session_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbAssistant *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(NbSession) session = nb_session_store_open_finish (NB_SESSION_STORE (source), result, &error);

  g_assert (NB_IS_ASSISTANT (self));

  if (session == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_hash_table_replace (self->sessions, g_strdup (nb_session_get_key (session)), g_object_ref (session));
  nb_assistant_permissions_session_opened (self, session);
  g_task_return_pointer (task, g_steal_pointer (&session), g_object_unref);
}

/**
 * nb_assistant_open_session_async:
 * @key: the session key, "channel:chat_id"
 *
 * Opens the session of @key: read from its file in the background the
 * first time, the same object for every caller after that.
 */
void
nb_assistant_open_session_async (NbAssistant         *self,
                                 const char          *key,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_open_session_async);
  nb_session_store_open_async (self->store, key, cancellable, session_opened_cb, g_steal_pointer (&task));
}

/**
 * nb_assistant_open_session_finish:
 *
 * Returns: (transfer full): the session, or %NULL with @error set
 */
NbSession *
nb_assistant_open_session_finish (NbAssistant   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A turn: provider, MCP servers, then the agent */

static void run_step_after_provider (GTask *task);

static void
return_reply (GTask      *task,
              const char *reply)
{
  g_task_return_pointer (task, g_strdup (reply), g_free);
}

static void
resolve_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NbAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbProvider) provider = nb_provider_registry_resolve_finish (result, &error);
  GTask *task;

  self->resolving = FALSE;

  if (provider != NULL)
    {
      g_set_object (&self->provider, provider);
      nb_agent_set_provider (self->agent, provider);
      self->provider_stale = FALSE;

      if (NB_IS_OLLAMA_PROVIDER (provider) &&
          nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (provider)) != NULL)
        {
          g_autofree char *message =
            g_strdup_printf (_("no model configured for Ollama; using “%s” (set agents.defaults.model in %s to choose one)"),
                             nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (provider)),
                             nb_config_get_path (self->config) != NULL ? nb_config_get_path (self->config) : "config.json");

          nb_assistant_warn (self, message);
        }
    }

  while ((task = g_queue_pop_head (&self->provider_waiters)) != NULL)
    {
      if (provider != NULL)
        run_step_after_provider (task);
      else
        g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

/* Takes @task; continues with run_step_after_provider() once a provider
 * for the current configuration is there. */
static void
run_with_provider (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);

  if (self->provider != NULL && !self->provider_stale)
    {
      run_step_after_provider (task);
      g_object_unref (task);
      return;
    }

  g_queue_push_tail (&self->provider_waiters, task);
  if (!self->resolving)
    {
      self->resolving = TRUE;
      nb_provider_registry_resolve_async (self->config, NULL, self->cancellable,
                                          resolve_cb, g_object_ref (self));
    }
}

/* See nb-assistant-private.h. */
void
nb_assistant_with_provider (GTask *task)
{
  run_with_provider (task);
}

static void
agent_run_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *reply = nb_agent_run_finish (NB_AGENT (source), result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, g_free);
}

static void
run_agent (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  if (data->retry)
    nb_agent_retry_async (self->agent, data->session, g_task_get_cancellable (task),
                          agent_run_cb, g_object_ref (task));
  else if (data->content != NULL)
    nb_agent_run_with_content_async (self->agent, data->session, data->content, g_task_get_cancellable (task),
                                     agent_run_cb, g_object_ref (task));
  else
    nb_agent_run_async (self->agent, data->session, data->input, g_task_get_cancellable (task),
                        agent_run_cb, g_object_ref (task));
}

static gboolean
mcp_settled (NbAssistant *self)
{
  GListModel *servers = nb_mcp_manager_get_servers (self->mcp);

  for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (servers, i);
      NbMcpServerState state = nb_mcp_server_get_state (server);

      if (state == NB_MCP_SERVER_STATE_IDLE || state == NB_MCP_SERVER_STATE_CONNECTING)
        return FALSE;
    }
  return TRUE;
}

static void
mcp_wait_done (GTask    *task,
               gboolean  timed_out)
{
  NbAssistant *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  g_clear_signal_handler (&data->mcp_handler, self->mcp);
  g_clear_handle_id (&data->mcp_timeout_id, g_source_remove);
  if (data->mcp_cancel_source != NULL)
    {
      g_source_destroy (data->mcp_cancel_source);
      g_clear_pointer (&data->mcp_cancel_source, g_source_unref);
    }

  if (timed_out)
    {
      GListModel *servers = nb_mcp_manager_get_servers (self->mcp);

      for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
        {
          g_autoptr(NbMcpServer) server = g_list_model_get_item (servers, i);
          NbMcpServerState state = nb_mcp_server_get_state (server);

          if (state == NB_MCP_SERVER_STATE_IDLE || state == NB_MCP_SERVER_STATE_CONNECTING)
            {
              /* Translators: the number of seconds is 10 */
              g_autofree char *message =
                g_strdup_printf (_("MCP server “%s” has not answered within %u seconds; "
                                   "starting without its tools, which join if it connects"),
                                 nb_mcp_server_get_name (server), NB_ASSISTANT_MCP_WAIT_S);

              nb_assistant_warn (self, message);
            }
        }
    }

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  run_agent (task);
  g_object_unref (task);
}

static void
mcp_wait_state_cb (NbMcpManager *manager,
                   NbMcpServer  *server,
                   GTask        *task)
{
  NbAssistant *self = g_task_get_source_object (task);

  if (mcp_settled (self))
    mcp_wait_done (task, FALSE);
}

static gboolean
mcp_wait_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);

  data->mcp_timeout_id = 0;
  mcp_wait_done (task, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
mcp_wait_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  mcp_wait_done (user_data, FALSE);
  return G_SOURCE_REMOVE;
}

/* The first turn starts the MCP servers and waits a little for their tool
 * lists (NB_ASSISTANT_MCP_WAIT_S from the start at most); a slow server
 * joins the registry when it connects, even during a turn. */
static void
run_with_mcp (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  gint64 waited_ms;

  if (!self->mcp_started)
    {
      self->mcp_started = TRUE;
      self->mcp_started_at = g_get_monotonic_time ();
      nb_mcp_manager_attach_registry (self->mcp, self->tools);
      nb_mcp_manager_start (self->mcp);
    }

  waited_ms = (g_get_monotonic_time () - self->mcp_started_at) / 1000;
  if (mcp_settled (self) || waited_ms >= NB_ASSISTANT_MCP_WAIT_S * 1000)
    {
      run_agent (task);
      return;
    }

  g_object_ref (task);
  data->mcp_handler = g_signal_connect (self->mcp, "server-state-changed",
                                        G_CALLBACK (mcp_wait_state_cb), task);
  data->mcp_timeout_id = g_timeout_add (NB_ASSISTANT_MCP_WAIT_S * 1000 - waited_ms,
                                        mcp_wait_timeout_cb, task);
  if (g_task_get_cancellable (task) != NULL)
    {
      data->mcp_cancel_source = g_cancellable_source_new (g_task_get_cancellable (task));
      g_source_set_callback (data->mcp_cancel_source, G_SOURCE_FUNC (mcp_wait_cancelled_cb), task, NULL);
      g_source_attach (data->mcp_cancel_source, NULL);
    }
}

static void
new_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *reply = nb_slash_command_new_finish (result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, g_free);
}

static void
run_step_after_provider (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  if (g_task_get_source_tag (task) == nb_assistant_list_models_async)
    {
      nb_assistant_models_provider_ready (task);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (data->command == NB_SLASH_COMMAND_NEW)
    {
      if (nb_agent_is_running (self->agent, nb_session_get_key (data->session)))
        {
          return_reply (task, _("Wait for the current answer to finish, or send /stop first."));
          return;
        }
      nb_slash_command_new_async (self->memory, self->store, data->session, self->provider,
                                  nb_config_get_memory_model (self->config),
                                  (guint) CLAMP (nb_config_get_int (self->config, "agents.defaults.memoryWindow"), 0, G_MAXINT),
                                  g_task_get_cancellable (task), new_done_cb, g_object_ref (task));
      return;
    }

  run_with_mcp (task);
}

/**
 * nb_assistant_run_async:
 * @session: the conversation (from nb_assistant_open_session_async())
 * @input: what the user typed
 * @cancellable: (nullable): stops the turn
 *
 * Answers @input: `/help`, `/stop`, `/new`, `/status`, `/model [name]`,
 * `/history [n]` and `/skill` are answered here without the model (`/new`
 * archives the session into memory and starts afresh);
 * anything else is an agent turn, whose progress comes as the agent's
 * signals. The first turn resolves the provider and starts the MCP
 * servers; after a configuration change the next turn resolves again.
 */
void
nb_assistant_run_async (NbAssistant         *self,
                        NbSession           *session,
                        const char          *input,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (input != NULL);

  nb_assistant_run_task_start (nb_assistant_run_task_new (self, session, input, cancellable,
                                                          callback, user_data));
}

/**
 * nb_assistant_retry_async:
 * @session: a conversation whose last turn failed after the user's
 *   message was saved
 * @cancellable: (nullable): stops the turn
 *
 * Runs the failed turn again: the model answers the user's last message,
 * which is not appended a second time. Finish with
 * nb_assistant_run_finish().
 */
void
nb_assistant_retry_async (NbAssistant         *self,
                          NbSession           *session,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  RunData *data;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (NB_IS_SESSION (session));

  task = nb_assistant_run_task_new (self, session, "", cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  data->retry = TRUE;
  nb_assistant_run_task_start (task);
}

/* The task of nb_assistant_run_async(), not started yet: what
 * nb_assistant_run_finish() takes, also for turns with attachments. */
GTask *
nb_assistant_run_task_new (NbAssistant         *self,
                           NbSession           *session,
                           const char          *input,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  RunData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_run_async);
  data = g_new0 (RunData, 1);
  data->session = g_object_ref (session);
  data->input = g_strdup (input);
  data->command = nb_slash_command_parse (input);
  data->is_command = data->command != NB_SLASH_COMMAND_NONE;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  return task;
}

gboolean
nb_assistant_run_task_is_command (GTask *task)
{
  RunData *data = g_task_get_task_data (task);

  return data->is_command;
}

/* The user message's content instead of the input text. */
void
nb_assistant_run_task_set_content (GTask    *task,
                                   JsonNode *content)
{
  RunData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->content, json_node_unref);
  data->content = json_node_ref (content);
}

/* Takes @task: answers a command or runs the turn. */
void
nb_assistant_run_task_start (GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  NbAssistant *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  NbSession *session = data->session;

  switch (data->command)
    {
    case NB_SLASH_COMMAND_HELP:
      {
        g_autofree char *help = nb_slash_command_help_text ();

        return_reply (task, help);
      }
      return;

    case NB_SLASH_COMMAND_STOP:
      if (nb_agent_stop_session (self->agent, nb_session_get_key (session)) > 0)
        return_reply (task, _("Stopped."));
      else
        return_reply (task, _("Nothing is running."));
      return;

    case NB_SLASH_COMMAND_STATUS:
    case NB_SLASH_COMMAND_MODEL:
    case NB_SLASH_COMMAND_HISTORY:
    case NB_SLASH_COMMAND_SKILL:
      nb_assistant_answer_command (g_steal_pointer (&task), session, data->command, data->input);
      return;

    case NB_SLASH_COMMAND_NEW:
    case NB_SLASH_COMMAND_NONE:
    default:
      nb_assistant_turn_lock_then (g_steal_pointer (&task), session, run_with_provider);
      return;
    }
}

/**
 * nb_assistant_run_finish:
 * @is_command: (out) (optional): set to whether @input was a slash
 *   command, whose reply was not streamed and should be shown
 *
 * Returns: (transfer full) (nullable): the reply; %NULL without an error
 *   when the message tool already answered; %NULL with @error set when
 *   the turn failed (%G_IO_ERROR_CANCELLED when cancelled, an
 *   %NB_CONFIG_ERROR when the configuration names no usable provider)
 */
char *
nb_assistant_run_finish (NbAssistant   *self,
                         GAsyncResult  *result,
                         gboolean      *is_command,
                         GError       **error)
{
  RunData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (is_command != NULL)
    *is_command = data->is_command;
  return g_task_propagate_pointer (G_TASK (result), error);
}

