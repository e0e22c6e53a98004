/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include "nb-agent-private.h"
#include "nb-memory-store.h"

/*
 * The agent object: configuration, provider, tools, stores, the signals
 * that report a turn's progress, and the NbToolHost that the message and
 * spawn tools reach it through. The turn itself is in nb-agent-turn.c,
 * sub-agents in nb-agent-subagents.c.
 */

static void nb_agent_tool_host_init (NbToolHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbAgent, nb_agent, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NB_TYPE_TOOL_HOST, nb_agent_tool_host_init))

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

guint nb_agent_signals[NB_AGENT_N_SIGNALS];


static void
nb_agent_dispose (GObject *object)
{
  NbAgent *self = NB_AGENT (object);

  /* Running turns hold a reference on the agent, so only background work
   * can be left here. */
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->queue_idle_id, g_source_remove);
  g_hash_table_remove_all (self->subagents);
  g_clear_object (&self->provider);
  g_clear_object (&self->tools);
  g_clear_object (&self->context);
  g_clear_object (&self->store);
  g_clear_object (&self->memory);
  g_clear_object (&self->config);
  g_clear_object (&self->permissions);

  G_OBJECT_CLASS (nb_agent_parent_class)->dispose (object);
}

static void
nb_agent_finalize (GObject *object)
{
  NbAgent *self = NB_AGENT (object);

  g_assert (g_queue_is_empty (&self->queue));
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->turns, g_hash_table_unref);
  g_clear_pointer (&self->subagents, g_hash_table_unref);
  g_free (self->system_prompt);
  g_free (self->agent_label);
  g_free (self->origin_key);

  G_OBJECT_CLASS (nb_agent_parent_class)->finalize (object);
}

static void
nb_agent_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  NbAgent *self = NB_AGENT (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, nb_agent_is_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_agent_class_init (NbAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_agent_dispose;
  object_class->finalize = nb_agent_finalize;
  object_class->get_property = nb_agent_get_property;

  /**
   * NbAgent:busy:
   *
   * Whether a turn runs or waits, or a sub-agent works. Headless mode waits
   * for it to go false so that sub-agent results reach the user.
   */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbAgent::text-delta:
   * @session: the session of the turn
   * @text: a fragment of the reply
   */
  nb_agent_signals[NB_AGENT_TEXT_DELTA] =
    g_signal_new ("text-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::reasoning-delta:
   * @session: the session of the turn
   * @text: a fragment of the model's reasoning
   */
  nb_agent_signals[NB_AGENT_REASONING_DELTA] =
    g_signal_new ("reasoning-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::tool-call-started:
   * @session: the session of the turn
   * @call_id: the provider's call id
   * @name: the tool's name
   * @arguments: the arguments as the model sent them (JSON text)
   */
  nb_agent_signals[NB_AGENT_TOOL_CALL_STARTED] =
    g_signal_new ("tool-call-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::tool-call-finished:
   * @session: the session of the turn
   * @call_id: the provider's call id
   * @name: the tool's name
   * @result: the text the model will see
   */
  nb_agent_signals[NB_AGENT_TOOL_CALL_FINISHED] =
    g_signal_new ("tool-call-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::message-appended:
   * @session: the session
   * @message: the message just appended to it
   */
  nb_agent_signals[NB_AGENT_MESSAGE_APPENDED] =
    g_signal_new ("message-appended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION, NB_TYPE_MESSAGE);
  /**
   * NbAgent::message:
   * @session: (nullable): the session whose turn sent it
   * @channel: the target channel
   * @chat_id: the target chat
   * @content: the text
   * @media: (nullable): file paths to attach
   *
   * The message tool delivers text to the user outside the reply.
   */
  nb_agent_signals[NB_AGENT_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::turn-finished:
   * @session: the session of the turn
   * @reply: (nullable): the final reply, %NULL when the turn failed or the
   *   message tool already answered
   * @error: (nullable): why the turn failed
   *
   * Emitted for every turn, including those the agent starts by itself to
   * report a sub-agent's result.
   */
  nb_agent_signals[NB_AGENT_TURN_FINISHED] =
    g_signal_new ("turn-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::save-failed:
   * @session: the session that could not be written
   * @message: why
   *
   * Emitted at most once per turn when the session's file could not be
   * written; the turn goes on with the messages in memory.
   */
  nb_agent_signals[NB_AGENT_SAVE_FAILED] =
    g_signal_new ("save-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::usage:
   * @session: the session of the turn
   * @usage: (type gpointer): the #NbUsage of the turn's LLM calls, summed
   * @context_tokens: the tokens of the last call's prompt and reply: how
   *   much of the context window the conversation fills
   *
   * Emitted at the end of a turn whose provider reported token counts;
   * the same figures are in the session's metadata as `usage`.
   */
  nb_agent_signals[NB_AGENT_USAGE] =
    g_signal_new ("usage", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  NB_TYPE_SESSION, G_TYPE_POINTER, G_TYPE_INT64);
}

static void
nb_agent_init (NbAgent *self)
{
  self->cancellable = g_cancellable_new ();
  self->turns = g_hash_table_new (g_str_hash, g_str_equal);
  self->subagents = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           nb_agent_subagent_free);
  g_queue_init (&self->queue);
}

/* A background consolidation moved last_consolidated, or recorded that
 * it failed (nb-memory-backoff.h): save that. */
static void
consolidated_cb (NbMemoryStore *memory,
                 NbSession     *session,
                 gboolean       success,
                 NbAgent       *self)
{
  g_autoptr(GError) error = NULL;

  if (self->store != NULL && !nb_session_store_append (self->store, session, &error))
    g_message ("Could not save session %s: %s", nb_session_get_key (session), error->message);
}

/**
 * nb_agent_new:
 * @provider: (nullable): the LLM provider; set one with
 *   nb_agent_set_provider() before the first turn otherwise
 * @config: the configuration (model, limits, memory window)
 * @tools: the tools the model may call
 * @context: (nullable): the system prompt builder; without one the agent
 *   uses the text of nb_agent_set_system_prompt() and no runtime message
 *
 * Returns: (transfer full): a new agent
 */
NbAgent *
nb_agent_new (NbProvider       *provider,
              NbConfig         *config,
              NbToolRegistry   *tools,
              NbContextBuilder *context)
{
  NbAgent *self;

  g_return_val_if_fail (provider == NULL || NB_IS_PROVIDER (provider), NULL);
  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);
  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (tools), NULL);
  g_return_val_if_fail (context == NULL || NB_IS_CONTEXT_BUILDER (context), NULL);

  self = g_object_new (NB_TYPE_AGENT, NULL);
  self->provider = provider != NULL ? g_object_ref (provider) : NULL;
  self->config = g_object_ref (config);
  self->tools = g_object_ref (tools);
  self->context = context != NULL ? g_object_ref (context) : NULL;
  return self;
}

/**
 * nb_agent_get_provider:
 *
 * Returns: (transfer none): the provider
 */
NbProvider *
nb_agent_get_provider (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->provider;
}

/**
 * nb_agent_set_provider:
 *
 * Replaces the provider (after a configuration change). Running turns
 * keep the one they started with.
 */
void
nb_agent_set_provider (NbAgent    *self,
                       NbProvider *provider)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_return_if_fail (NB_IS_PROVIDER (provider));

  g_set_object (&self->provider, provider);
}

/**
 * nb_agent_get_config:
 *
 * Returns: (transfer none): the configuration
 */
NbConfig *
nb_agent_get_config (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->config;
}

/**
 * nb_agent_get_tools:
 *
 * Returns: (transfer none): the tool registry
 */
NbToolRegistry *
nb_agent_get_tools (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->tools;
}

/**
 * nb_agent_get_context_builder:
 *
 * Returns: (transfer none) (nullable): the context builder
 */
NbContextBuilder *
nb_agent_get_context_builder (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->context;
}

/**
 * nb_agent_get_session_store:
 *
 * Returns: (transfer none) (nullable): the store that saves sessions
 */
NbSessionStore *
nb_agent_get_session_store (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->store;
}

/**
 * nb_agent_set_session_store:
 * @store: (nullable): the store; each appended message is written through it
 */
void
nb_agent_set_session_store (NbAgent        *self,
                            NbSessionStore *store)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_set_object (&self->store, store);
}

/**
 * nb_agent_get_memory_store:
 *
 * Returns: (transfer none) (nullable): the memory store
 */
NbMemoryStore *
nb_agent_get_memory_store (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  return self->memory;
}

/**
 * nb_agent_set_memory_store:
 * @memory: (nullable): the workspace's one memory store (B6); after each
 *   turn it consolidates the session in the background when it is due
 */
void
nb_agent_set_memory_store (NbAgent       *self,
                           NbMemoryStore *memory)
{
  g_return_if_fail (NB_IS_AGENT (self));

  if (self->memory == memory)
    return;
  if (self->memory != NULL)
    g_signal_handlers_disconnect_by_func (self->memory, consolidated_cb, self);
  g_set_object (&self->memory, memory);
  if (memory != NULL)
    g_signal_connect_object (memory, "consolidated", G_CALLBACK (consolidated_cb), self, 0);
}

/* The LLM calls one turn may make: the configured maxToolIterations unless
 * set here (sub-agents use 15). */
guint
nb_agent_get_max_iterations (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), 0);

  if (self->max_iterations > 0)
    return self->max_iterations;
  return (guint) CLAMP (nb_config_get_int (self->config, "agents.defaults.maxToolIterations"), 1, G_MAXINT);
}

void
nb_agent_set_max_iterations (NbAgent *self,
                             guint    max_iterations)
{
  g_return_if_fail (NB_IS_AGENT (self));
  self->max_iterations = max_iterations;
}

/* The system prompt of an agent without a context builder (sub-agents). */
void
nb_agent_set_system_prompt (NbAgent    *self,
                            const char *system_prompt)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_free (self->system_prompt);
  self->system_prompt = g_strdup (system_prompt);
}

gboolean
nb_agent_is_busy (NbAgent *self)
{
  g_return_val_if_fail (NB_IS_AGENT (self), FALSE);

  return g_hash_table_size (self->turns) > 0 ||
         !g_queue_is_empty (&self->queue) ||
         g_hash_table_size (self->subagents) > 0;
}

/**
 * nb_agent_cancel_background:
 *
 * Stops the work the agent started by itself: running sub-agents and the
 * turns that report their results. Turns started by the caller are
 * cancelled through their own cancellable. For quitting the application.
 */
void
nb_agent_cancel_background (NbAgent *self)
{
  g_return_if_fail (NB_IS_AGENT (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

void
nb_agent_notify_busy (NbAgent *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/**
 * nb_agent_stop_session:
 * @session_key: the session whose turns to stop
 *
 * Cancels the running turn of @session_key and the turns waiting behind it
 * (what /stop does).
 *
 * Returns: how many turns were stopped
 */
guint
nb_agent_stop_session (NbAgent    *self,
                       const char *session_key)
{
  g_autoptr(GPtrArray) to_cancel = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (NB_IS_AGENT (self), 0);
  g_return_val_if_fail (session_key != NULL, 0);

  nb_agent_cancel_queued (self, session_key, to_cancel);
  for (guint i = 0; i < to_cancel->len; i++)
    g_cancellable_cancel (g_ptr_array_index (to_cancel, i));
  return to_cancel->len;
}

/* Whether a turn of @session_key runs (waiting ones do not count). */
gboolean
nb_agent_is_running (NbAgent    *self,
                     const char *session_key)
{
  g_return_val_if_fail (NB_IS_AGENT (self), FALSE);
  g_return_val_if_fail (session_key != NULL, FALSE);

  return nb_agent_lookup_turn (self, session_key) != NULL;
}

/**
 * nb_agent_run_async:
 * @session: the conversation; the turn appends to it as it goes
 * @input: the user's text, sent to the model as it is
 * @cancellable: (nullable): stops the stream and the running tools
 *
 * Runs one agent turn: up to maxToolIterations LLM calls, with the tools'
 * results fed back, until the model answers without tool calls. After a
 * turn, old messages are consolidated into memory in the background when
 * memoryWindow is reached. Progress comes as signals. A turn on a session
 * that is busy waits for the turn before it. Slash commands are the
 * caller's (NbAssistant answers them): here `/new` is text for the model.
 */
void
nb_agent_run_async (NbAgent             *self,
                    NbSession           *session,
                    const char          *input,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (input != NULL);

  nb_agent_run_turn (self, session, input, NULL, cancellable, callback, user_data);
}

/**
 * nb_agent_run_finish:
 *
 * Returns: (transfer full) (nullable): the final reply; %NULL without an
 *   error when the message tool already answered this chat during the
 *   turn; %NULL with %G_IO_ERROR_CANCELLED when cancelled, or with the
 *   provider's error
 */
char *
nb_agent_run_finish (NbAgent       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* NbToolHost: what the message and spawn tools reach */

static void
nb_agent_deliver_message (NbToolHost          *host,
                          const NbToolContext *context,
                          const char          *channel,
                          const char          *chat_id,
                          const char          *content,
                          const char * const  *media)
{
  NbAgent *self = NB_AGENT (host);
  NbAgentTurn *turn = NULL;

  if (context != NULL)
    turn = nb_agent_lookup_turn (self, context->session_key);
  if (turn != NULL)
    nb_agent_turn_mark_answered (turn, channel, chat_id);

  g_signal_emit (self, nb_agent_signals[NB_AGENT_MESSAGE], 0,
                 turn != NULL ? nb_agent_turn_get_session (turn) : NULL,
                 channel, chat_id, content, media);
}

static char *
nb_agent_tool_host_spawn (NbToolHost          *host,
                          const NbToolContext *context,
                          const char          *task,
                          const char          *label,
                          GError             **error)
{
  return nb_agent_spawn (NB_AGENT (host), context, task, label, error);
}

static void
nb_agent_tool_host_init (NbToolHostInterface *iface)
{
  iface->deliver_message = nb_agent_deliver_message;
  iface->spawn = nb_agent_tool_host_spawn;
}
