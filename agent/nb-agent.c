/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nb-agent-private.h"
#include "nb-memory-store.h"
#include "nb-slash-commands.h"
#include "nb-message-tool.h"
#include "nb-spawn-tool.h"

/*
 * One agent turn is a GTask whose task data is a Turn. It alternates two
 * phases until the model answers without tool calls or the iteration limit
 * is reached:
 *
 *   CHAT   one streaming provider call; deltas become signals;
 *   TOOLS  every call of the reply starts at once (B1) — except that calls
 *          of tools with side effects wait for the previous such call —
 *          and results are appended to the session in call order as soon
 *          as the calls before them are done.
 *
 * Turns on one session never overlap: a turn asked for while another runs
 * on the same session waits in a queue. Cancelling a turn fills every
 * unfinished tool call with a "cancelled" result so the session never holds
 * a tool call without its result.
 */

#define SUBAGENT_EMPTY_RESULT "Task completed but no final response was generated."
#define EMPTY_REPLY "I've completed processing but have no response to give."

typedef enum {
  TURN_QUEUED,
  TURN_CHAT,
  TURN_TOOLS,
  TURN_DONE,
} TurnState;

typedef struct {
  NbToolCall *call;      /* borrowed from Turn.response */
  NbTool     *tool;      /* NULL when the call cannot run */
  char       *result;
  gboolean    side_effects;
  gboolean    started;
  gboolean    done;
} CallState;

typedef struct {
  NbAgent        *agent;        /* the task's source object */
  NbSession      *session;
  char           *input;
  char           *sender;       /* "subagent" for announcements, else NULL */
  char           *session_key;
  char           *channel;
  char           *chat_id;
  NbToolContext   tool_context;

  char           *model;
  char           *reasoning_effort;
  int             max_tokens;
  double          temperature;
  guint           max_iterations;
  guint           memory_window;

  TurnState       state;
  GPtrArray      *messages;     /* JsonObject, what the next request sends */
  guint           iteration;
  NbChatResponse *response;
  GPtrArray      *calls;        /* CallState */
  guint           n_appended;
  gboolean        side_effects_ran;
  gboolean        side_effects_in_batch; /* since the last CHAT phase */
  gboolean        answered;     /* the message tool already answered this chat */
  gboolean        save_failed;  /* reported once per turn */
  GSource        *cancel_source;
  GCancellable   *cancellable;  /* the turn's, or its own: /stop cancels it */
} Turn;

typedef struct {
  char       *id;
  char       *label;
  char       *task;
  NbAgent    *child;
  NbSession  *origin;
} Subagent;

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
  GHashTable       *turns;        /* session key → running Turn */
  GQueue            queue;        /* GTask, turns waiting for their session */
  guint             queue_idle_id;
  GHashTable       *subagents;    /* id → Subagent */
};

G_DEFINE_FINAL_TYPE (NbAgent, nb_agent, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  TEXT_DELTA,
  REASONING_DELTA,
  TOOL_CALL_STARTED,
  TOOL_CALL_FINISHED,
  MESSAGE_APPENDED,
  MESSAGE,
  TURN_FINISHED,
  SAVE_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void turn_chat            (GTask *task);
static void turn_run_tools       (GTask *task);
static void nb_agent_run_turn    (NbAgent             *self,
                                  NbSession           *session,
                                  const char          *input,
                                  const char          *sender,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);

static void
call_state_free (CallState *state)
{
  g_free (state->result);
  g_free (state);
}

static void
turn_free (Turn *turn)
{
  if (turn->cancel_source != NULL)
    {
      g_source_destroy (turn->cancel_source);
      g_source_unref (turn->cancel_source);
    }
  g_clear_object (&turn->session);
  g_clear_object (&turn->cancellable);
  g_free (turn->input);
  g_free (turn->sender);
  g_free (turn->session_key);
  g_free (turn->channel);
  g_free (turn->chat_id);
  g_free (turn->model);
  g_free (turn->reasoning_effort);
  g_clear_pointer (&turn->messages, g_ptr_array_unref);
  g_clear_pointer (&turn->calls, g_ptr_array_unref);
  g_clear_pointer (&turn->response, nb_chat_response_free);
  g_free (turn);
}

static void
subagent_free (Subagent *subagent)
{
  g_free (subagent->id);
  g_free (subagent->label);
  g_free (subagent->task);
  g_clear_object (&subagent->child);
  g_clear_object (&subagent->origin);
  g_free (subagent);
}

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
  signals[TEXT_DELTA] =
    g_signal_new ("text-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbAgent::reasoning-delta:
   * @session: the session of the turn
   * @text: a fragment of the model's reasoning
   */
  signals[REASONING_DELTA] =
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
  signals[TOOL_CALL_STARTED] =
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
  signals[TOOL_CALL_FINISHED] =
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
  signals[MESSAGE_APPENDED] =
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
  signals[MESSAGE] =
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
  signals[TURN_FINISHED] =
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
  signals[SAVE_FAILED] =
    g_signal_new ("save-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NB_TYPE_SESSION,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nb_agent_init (NbAgent *self)
{
  self->cancellable = g_cancellable_new ();
  self->turns = g_hash_table_new (g_str_hash, g_str_equal);
  self->subagents = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) subagent_free);
  g_queue_init (&self->queue);
}

/* A background consolidation moved last_consolidated: save that. */
static void
consolidated_cb (NbMemoryStore *memory,
                 NbSession     *session,
                 gboolean       success,
                 NbAgent       *self)
{
  g_autoptr(GError) error = NULL;

  if (success && self->store != NULL && !nb_session_store_append (self->store, session, &error))
    g_message ("Could not save session %s: %s", nb_session_get_key (session), error->message);
}

/**
 * nb_agent_new:
 * @provider: the LLM provider
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

  g_return_val_if_fail (NB_IS_PROVIDER (provider), NULL);
  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);
  g_return_val_if_fail (NB_IS_TOOL_REGISTRY (tools), NULL);
  g_return_val_if_fail (context == NULL || NB_IS_CONTEXT_BUILDER (context), NULL);

  self = g_object_new (NB_TYPE_AGENT, NULL);
  self->provider = g_object_ref (provider);
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

/**
 * nb_agent_add_agent_tools:
 *
 * Registers the tools that need the agent itself: `message` and `spawn`.
 */
void
nb_agent_add_agent_tools (NbAgent *self)
{
  g_autoptr(NbTool) message = NULL;
  g_autoptr(NbTool) spawn = NULL;

  g_return_if_fail (NB_IS_AGENT (self));

  message = nb_message_tool_new ();
  spawn = nb_spawn_tool_new ();
  nb_tool_registry_add (self->tools, message);
  nb_tool_registry_add (self->tools, spawn);
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

static void
notify_busy (NbAgent *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Session bookkeeping */

/* The conversation goes on in memory; the user is told once per turn that
 * it is not being saved, instead of a warning per message. */
static void
turn_report_save_failure (Turn         *turn,
                          const GError *error)
{
  if (turn->save_failed)
    return;
  turn->save_failed = TRUE;
  g_debug ("Could not save session %s: %s", turn->session_key, error->message);
  g_signal_emit (turn->agent, signals[SAVE_FAILED], 0, turn->session, error->message);
}

static void
turn_append (Turn       *turn,
             JsonObject *request_message,
             JsonObject *extra)
{
  g_autoptr(JsonObject) line = json_object_new ();
  g_autoptr(NbMessage) message = NULL;
  g_autofree char *timestamp = nb_message_make_timestamp ();
  g_autoptr(GList) members = json_object_get_members (request_message);

  g_ptr_array_add (turn->messages, json_object_ref (request_message));

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (line, l->data,
                            json_node_copy (json_object_get_member (request_message, l->data)));
  if (extra != NULL)
    {
      g_autoptr(GList) extra_members = json_object_get_members (extra);

      for (GList *l = extra_members; l != NULL; l = l->next)
        json_object_set_member (line, l->data, json_node_copy (json_object_get_member (extra, l->data)));
    }
  json_object_set_string_member (line, "timestamp", timestamp);

  message = nb_message_new_from_json (line);
  nb_session_append (turn->session, message);

  if (turn->agent->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!nb_session_store_append (turn->agent->store, turn->session, &error))
        turn_report_save_failure (turn, error);
    }

  g_signal_emit (turn->agent, signals[MESSAGE_APPENDED], 0, turn->session, message);
}

static JsonObject *
make_message (const char *role,
              const char *content)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  if (content != NULL)
    json_object_set_string_member (message, "content", content);
  else
    json_object_set_null_member (message, "content");
  return message;
}

/* Turn lifecycle */

static gboolean
process_queue_cb (gpointer user_data);

static void
schedule_queue (NbAgent *self)
{
  if (self->queue_idle_id == 0 && !g_queue_is_empty (&self->queue))
    self->queue_idle_id = g_idle_add (process_queue_cb, self);
}

static void
turn_finish (GTask      *task,
             const char *reply,
             GError     *error)
{
  Turn *turn = g_task_get_task_data (task);
  NbAgent *self = turn->agent;
  gboolean was_running = turn->state != TURN_QUEUED;

  g_assert (turn->state != TURN_DONE);
  turn->state = TURN_DONE;

  if (turn->cancel_source != NULL)
    {
      g_source_destroy (turn->cancel_source);
      g_clear_pointer (&turn->cancel_source, g_source_unref);
    }

  if (was_running)
    {
      if (g_hash_table_lookup (self->turns, turn->session_key) == turn)
        g_hash_table_remove (self->turns, turn->session_key);

      /* The fdatasync runs in the background and logs a failure itself;
       * failed writes were already reported by turn_append(). */
      if (self->store != NULL)
        nb_session_store_sync (self->store, turn->session, NULL);

      /* A tool may have written a bootstrap file, MEMORY.md or a skill. */
      if (turn->side_effects_ran && self->context != NULL)
        nb_context_builder_invalidate (self->context);

      /* Fold old messages into memory when the window is full, in the
       * background (B6, P2); the agent's dispose cancels it. */
      if (self->memory != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        nb_memory_store_maybe_consolidate (self->memory, turn->session, self->provider,
                                           nb_config_get_memory_model (self->config),
                                           turn->memory_window, self->cancellable);
    }

  schedule_queue (self);

  g_signal_emit (self, signals[TURN_FINISHED], 0, turn->session, reply, error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (reply), g_free);

  notify_busy (self);
}

static void
turn_begin (GTask *task)
{
  Turn *turn = g_task_get_task_data (task);
  NbAgent *self = turn->agent;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) extra = NULL;

  g_assert (!g_hash_table_contains (self->turns, turn->session_key));
  g_hash_table_insert (self->turns, turn->session_key, turn);
  turn->state = TURN_CHAT;

  history = nb_session_get_history (turn->session, turn->memory_window);

  if (self->context != NULL)
    system = make_message ("system", nb_context_builder_get_system_prompt (self->context));
  else if (self->system_prompt != NULL)
    system = make_message ("system", self->system_prompt);
  if (system != NULL)
    g_ptr_array_add (turn->messages, g_steal_pointer (&system));

  for (guint i = 0; i < history->len; i++)
    g_ptr_array_add (turn->messages, json_object_ref (g_ptr_array_index (history, i)));

  /* Time and channel travel in their own message so that the system prompt
   * stays byte-stable (B2); it is not saved in the session. */
  if (self->context != NULL)
    g_ptr_array_add (turn->messages,
                     nb_context_builder_build_runtime_message (self->context, turn->channel, turn->chat_id));

  user = make_message ("user", turn->input);
  if (turn->sender != NULL)
    {
      extra = json_object_new ();
      json_object_set_string_member (extra, "sender", turn->sender);
    }
  turn_append (turn, user, extra);

  turn_chat (task);
}

static gboolean
process_queue_cb (gpointer user_data)
{
  NbAgent *self = user_data;
  GList *l = self->queue.head;

  self->queue_idle_id = 0;

  while (l != NULL)
    {
      GList *next = l->next;
      GTask *task = l->data;
      Turn *turn = g_task_get_task_data (task);

      if (!g_hash_table_contains (self->turns, turn->session_key))
        {
          g_queue_delete_link (&self->queue, l);
          turn_begin (task);
          g_object_unref (task);
        }
      l = next;
    }

  return G_SOURCE_REMOVE;
}

static char *
cancelled_result (void)
{
  return g_strdup ("Error: The tool call was cancelled before it finished." NB_TOOL_REGISTRY_ERROR_HINT);
}

/* Appends the results that are next in call order. */
static void
turn_flush_results (Turn *turn)
{
  while (turn->n_appended < turn->calls->len)
    {
      CallState *state = g_ptr_array_index (turn->calls, turn->n_appended);
      g_autoptr(JsonObject) message = NULL;

      if (!state->done)
        break;

      message = make_message ("tool", state->result);
      json_object_set_string_member (message, "tool_call_id", state->call->id != NULL ? state->call->id : "");
      json_object_set_string_member (message, "name", state->call->name != NULL ? state->call->name : "");
      turn_append (turn, message, NULL);
      turn->n_appended++;
    }
}

static gboolean
turn_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  Turn *turn = g_task_get_task_data (task);

  g_object_ref (task);

  if (turn->state == TURN_QUEUED)
    {
      if (g_queue_remove (&turn->agent->queue, task))
        g_object_unref (task);
    }
  else if (turn->state == TURN_TOOLS)
    {
      for (guint i = 0; i < turn->calls->len; i++)
        {
          CallState *state = g_ptr_array_index (turn->calls, i);

          if (state->done)
            continue;
          state->done = TRUE;
          state->result = cancelled_result ();
          g_signal_emit (turn->agent, signals[TOOL_CALL_FINISHED], 0, turn->session,
                         state->call->id, state->call->name, state->result);
        }
      turn_flush_results (turn);
    }

  if (turn->state != TURN_DONE)
    turn_finish (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  "The turn was cancelled"));
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* The CHAT phase */

static void
delta_cb (NbChatDeltaKind  kind,
          guint            index,
          const char      *text,
          const char      *tool_name,
          gpointer         user_data)
{
  Turn *turn = user_data;

  if (turn->state != TURN_CHAT || text == NULL || *text == '\0')
    return;

  if (kind == NB_CHAT_DELTA_TEXT)
    g_signal_emit (turn->agent, signals[TEXT_DELTA], 0, turn->session, text);
  else if (kind == NB_CHAT_DELTA_REASONING)
    g_signal_emit (turn->agent, signals[REASONING_DELTA], 0, turn->session, text);
}

static JsonObject *
assistant_message (NbChatResponse *response)
{
  const char *content = response->content;
  JsonObject *message = make_message ("assistant", content != NULL && *content != '\0' ? content : NULL);

  if (response->tool_calls->len > 0)
    {
      JsonArray *calls = json_array_sized_new (response->tool_calls->len);

      for (guint i = 0; i < response->tool_calls->len; i++)
        {
          NbToolCall *call = g_ptr_array_index (response->tool_calls, i);
          JsonObject *object = json_object_new ();
          JsonObject *function = json_object_new ();

          json_object_set_string_member (function, "name", call->name != NULL ? call->name : "");
          json_object_set_string_member (function, "arguments",
                                         call->arguments_json != NULL ? call->arguments_json : "");
          json_object_set_string_member (object, "id", call->id != NULL ? call->id : "");
          json_object_set_string_member (object, "type", "function");
          json_object_set_object_member (object, "function", function);
          json_array_add_object_element (calls, object);
        }
      json_object_set_array_member (message, "tool_calls", calls);
    }

  if (response->reasoning != NULL && *response->reasoning != '\0')
    json_object_set_string_member (message, "reasoning_content", response->reasoning);

  return message;
}

static void
turn_start_tools (GTask          *task,
                  NbChatResponse *response)
{
  Turn *turn = g_task_get_task_data (task);

  g_clear_pointer (&turn->response, nb_chat_response_free);
  g_clear_pointer (&turn->calls, g_ptr_array_unref);
  turn->response = response;
  turn->calls = g_ptr_array_new_full (response->tool_calls->len, (GDestroyNotify) call_state_free);
  turn->n_appended = 0;
  turn->state = TURN_TOOLS;

  for (guint i = 0; i < response->tool_calls->len; i++)
    {
      CallState *state = g_new0 (CallState, 1);

      state->call = g_ptr_array_index (response->tool_calls, i);
      /* A call that cannot run gets its error result when it "starts". */
      state->result = nb_tool_registry_check_call (turn->agent->tools, state->call, &state->tool);
      state->side_effects = state->tool != NULL && nb_tool_has_side_effects (state->tool);
      g_ptr_array_add (turn->calls, state);
    }

  turn_run_tools (task);
}

static void
chat_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Turn *turn = g_task_get_task_data (task);
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(JsonObject) message = NULL;
  GError *error = NULL;

  response = nb_provider_chat_finish (NB_PROVIDER (source), result, &error);

  /* Cancelled while the reply streamed: the turn is already over. */
  if (turn->state != TURN_CHAT)
    {
      g_clear_error (&error);
      return;
    }

  /* A provider error ends the turn and is never saved as the model's words. */
  if (response == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                                     "The provider returned no reply");
      turn_finish (task, NULL, error);
      return;
    }

  /* Some local servers send tool calls without ids; results must name
   * their call, so give each one. */
  for (guint i = 0; i < response->tool_calls->len; i++)
    {
      NbToolCall *call = g_ptr_array_index (response->tool_calls, i);

      if (call->id == NULL || *call->id == '\0')
        {
          g_autofree char *uuid = g_uuid_string_random ();

          g_free (call->id);
          call->id = g_strdup_printf ("call_%.8s%u", uuid, i);
        }
    }

  message = assistant_message (response);

  if (response->tool_calls->len > 0)
    {
      turn_append (turn, message, NULL);
      turn_start_tools (task, g_steal_pointer (&response));
      return;
    }

  /* The Python nanobot drops empty assistant messages from the session and
   * tells the user that nothing came back. */
  if (response->content == NULL || *response->content == '\0')
    {
      if (!turn->answered)
        g_signal_emit (turn->agent, signals[TEXT_DELTA], 0, turn->session, EMPTY_REPLY);
      turn_finish (task, turn->answered ? NULL : EMPTY_REPLY, NULL);
      return;
    }

  turn_append (turn, message, NULL);
  turn_finish (task, turn->answered ? NULL : response->content, NULL);
}

static void
turn_chat (GTask *task)
{
  Turn *turn = g_task_get_task_data (task);
  NbAgent *self = turn->agent;
  g_autoptr(NbChatRequest) request = nb_chat_request_new (turn->model);

  turn->iteration++;
  turn->state = TURN_CHAT;

  /* A tool of this turn may have changed a file the prompt is built from
   * (SOUL.md, MEMORY.md, a skill): the next call already sees it. While
   * nothing changed the builder serves the same bytes from its cache. */
  if (self->context != NULL && turn->iteration > 1)
    {
      const char *prompt;
      JsonObject *system;

      if (turn->side_effects_in_batch)
        nb_context_builder_invalidate (self->context);
      turn->side_effects_in_batch = FALSE;
      prompt = nb_context_builder_get_system_prompt (self->context);
      system = g_ptr_array_index (turn->messages, 0);

      if (g_strcmp0 (json_object_get_string_member (system, "content"), prompt) != 0)
        {
          g_ptr_array_index (turn->messages, 0) = make_message ("system", prompt);
          json_object_unref (system);
        }
    }

  request->max_tokens = turn->max_tokens;
  request->temperature = turn->temperature;
  request->reasoning_effort = g_strdup (turn->reasoning_effort);
  if (nb_tool_registry_get_n_tools (self->tools) > 0)
    request->tools = json_array_ref (nb_tool_registry_get_definitions (self->tools));
  for (guint i = 0; i < turn->messages->len; i++)
    nb_chat_request_add_message (request, g_ptr_array_index (turn->messages, i));

  nb_provider_chat_async (self->provider, request, delta_cb, turn,
                          g_task_get_cancellable (task), chat_cb, g_object_ref (task));
}

/* The TOOLS phase */

typedef struct {
  GTask *task;
  guint  index;
  guint  iteration;
} ToolClosure;

static void
turn_after_tools (GTask *task)
{
  Turn *turn = g_task_get_task_data (task);
  guint max_iterations = turn->max_iterations;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      /* The cancel source will end the turn in a moment. */
      return;
    }

  if (turn->iteration >= max_iterations)
    {
      g_autofree char *text = g_strdup_printf ("I reached the maximum number of tool call iterations (%u) "
                                               "without completing the task. You can try breaking the task "
                                               "into smaller steps.", max_iterations);
      g_autoptr(JsonObject) message = make_message ("assistant", text);

      turn_append (turn, message, NULL);
      g_signal_emit (turn->agent, signals[TEXT_DELTA], 0, turn->session, text);
      turn_finish (task, text, NULL);
      return;
    }

  turn_chat (task);
}

static void
tool_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ToolClosure *closure = user_data;
  g_autoptr(GTask) task = closure->task;
  Turn *turn = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = nb_tool_registry_execute_finish (NB_TOOL_REGISTRY (source), result, &error);
  CallState *state;

  if (turn->state != TURN_TOOLS || turn->iteration != closure->iteration)
    {
      g_free (closure);
      return;
    }

  state = g_ptr_array_index (turn->calls, closure->index);
  g_free (closure);

  state->done = TRUE;
  state->result = text != NULL ? g_steal_pointer (&text) : cancelled_result ();
  g_signal_emit (turn->agent, signals[TOOL_CALL_FINISHED], 0, turn->session,
                 state->call->id, state->call->name, state->result);

  turn_run_tools (task);
}

static void
turn_start_call (GTask     *task,
                 guint      index)
{
  Turn *turn = g_task_get_task_data (task);
  CallState *state = g_ptr_array_index (turn->calls, index);
  ToolClosure *closure;

  state->started = TRUE;
  g_signal_emit (turn->agent, signals[TOOL_CALL_STARTED], 0, turn->session,
                 state->call->id, state->call->name, state->call->arguments_json);

  if (state->tool == NULL)
    {
      state->done = TRUE;
      g_signal_emit (turn->agent, signals[TOOL_CALL_FINISHED], 0, turn->session,
                     state->call->id, state->call->name, state->result);
      return;
    }

  if (state->side_effects)
    turn->side_effects_ran = turn->side_effects_in_batch = TRUE;

  closure = g_new0 (ToolClosure, 1);
  closure->task = g_object_ref (task);
  closure->index = index;
  closure->iteration = turn->iteration;
  nb_tool_registry_execute_async (turn->agent->tools, state->call, &turn->tool_context,
                                  g_task_get_cancellable (task), tool_cb, closure);
}

/* Starts what may start: every read-only call, and the first unfinished
 * call with side effects once the one before it has finished. */
static void
turn_run_tools (GTask *task)
{
  Turn *turn = g_task_get_task_data (task);
  gboolean side_effects_busy = FALSE;

  for (guint i = 0; i < turn->calls->len && turn->state == TURN_TOOLS; i++)
    {
      CallState *state = g_ptr_array_index (turn->calls, i);

      if (state->side_effects)
        {
          if (side_effects_busy || state->done)
            continue;
          side_effects_busy = TRUE;
        }
      if (!state->started)
        turn_start_call (task, i);
    }

  if (turn->state != TURN_TOOLS)
    return;

  turn_flush_results (turn);
  if (turn->n_appended == turn->calls->len)
    turn_after_tools (task);
}

/* Entry points */

static void
split_session_key (const char  *key,
                   char       **channel,
                   char       **chat_id)
{
  const char *colon = strchr (key, ':');

  if (colon != NULL)
    {
      *channel = g_strndup (key, colon - key);
      *chat_id = g_strdup (colon + 1);
    }
  else
    {
      *channel = g_strdup ("cli");
      *chat_id = g_strdup (key);
    }
}

static void
nb_agent_run_turn (NbAgent             *self,
                   NbSession           *session,
                   const char          *input,
                   const char          *sender,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GCancellable) own_cancellable = NULL;
  Turn *turn;
  gboolean waiting = FALSE;

  /* Every turn has a cancellable, so that /stop can stop it. */
  if (cancellable != NULL)
    own_cancellable = g_object_ref (cancellable);
  else
    own_cancellable = g_cancellable_new ();

  task = g_task_new (self, own_cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_agent_run_async);
  g_task_set_check_cancellable (task, FALSE);

  turn = g_new0 (Turn, 1);
  turn->agent = self;
  turn->session = g_object_ref (session);
  turn->input = g_strdup (input);
  turn->sender = g_strdup (sender);
  turn->session_key = g_strdup (nb_session_get_key (session));
  split_session_key (turn->session_key, &turn->channel, &turn->chat_id);
  turn->tool_context.session_key = turn->session_key;
  turn->tool_context.channel = turn->channel;
  turn->tool_context.chat_id = turn->chat_id;
  turn->tool_context.agent = self;
  turn->model = g_strdup (nb_config_get_string (self->config, "agents.defaults.model"));
  turn->reasoning_effort = g_strdup (nb_config_get_string (self->config, "agents.defaults.reasoningEffort"));
  turn->max_tokens = (int) CLAMP (nb_config_get_int (self->config, "agents.defaults.maxTokens"), 1, G_MAXINT);
  turn->temperature = nb_config_get_double (self->config, "agents.defaults.temperature");
  turn->max_iterations = nb_agent_get_max_iterations (self);
  turn->memory_window = (guint) CLAMP (nb_config_get_int (self->config, "agents.defaults.memoryWindow"), 0, G_MAXINT);
  turn->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  turn->state = TURN_QUEUED;
  turn->cancellable = g_steal_pointer (&own_cancellable);
  g_task_set_task_data (task, turn, (GDestroyNotify) turn_free);

  turn->cancel_source = g_cancellable_source_new (turn->cancellable);
  g_source_set_callback (turn->cancel_source, G_SOURCE_FUNC (turn_cancelled_cb), task, NULL);
  g_source_attach (turn->cancel_source, g_task_get_context (task));

  /* Wait behind a running turn of the same session, or behind earlier
   * waiting ones. */
  if (g_hash_table_contains (self->turns, turn->session_key))
    waiting = TRUE;
  for (GList *l = self->queue.head; l != NULL && !waiting; l = l->next)
    {
      Turn *queued = g_task_get_task_data (l->data);

      waiting = g_str_equal (queued->session_key, turn->session_key);
    }

  if (waiting)
    g_queue_push_tail (&self->queue, g_steal_pointer (&task));
  else
    turn_begin (task);

  notify_busy (self);
}

/* Slash commands: answered before the LLM, nothing saved in the session. */

static void
command_reply (GTask      *task,
               NbSession  *session,
               const char *reply,
               GError     *error)
{
  NbAgent *self = g_task_get_source_object (task);

  g_signal_emit (self, signals[TURN_FINISHED], 0, session, reply, error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (reply), g_free);
}

static guint
stop_session (NbAgent    *self,
              const char *key)
{
  Turn *running = g_hash_table_lookup (self->turns, key);
  g_autoptr(GPtrArray) to_cancel = g_ptr_array_new_with_free_func (g_object_unref);

  if (running != NULL)
    g_ptr_array_add (to_cancel, g_object_ref (running->cancellable));
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      Turn *queued = g_task_get_task_data (l->data);

      if (g_str_equal (queued->session_key, key))
        g_ptr_array_add (to_cancel, g_object_ref (queued->cancellable));
    }
  /* Cancelling changes the queue, so collect first. */
  for (guint i = 0; i < to_cancel->len; i++)
    g_cancellable_cancel (g_ptr_array_index (to_cancel, i));
  return to_cancel->len;
}

static void
new_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autofree char *reply = nb_slash_command_new_finish (result, &error);

  command_reply (task, g_task_get_task_data (task), reply, error);
}

static gboolean
run_slash_command (NbAgent             *self,
                   NbSession           *session,
                   const char          *input,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  NbSlashCommand command = nb_slash_command_parse (input);
  const char *key = nb_session_get_key (session);
  g_autoptr(GTask) task = NULL;
  g_autofree char *reply = NULL;

  if (command == NB_SLASH_COMMAND_NONE)
    return FALSE;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_agent_run_async);
  g_task_set_task_data (task, g_object_ref (session), g_object_unref);

  switch (command)
    {
    case NB_SLASH_COMMAND_HELP:
      reply = nb_slash_command_help_text ();
      break;

    case NB_SLASH_COMMAND_STOP:
      if (stop_session (self, key) > 0)
        reply = g_strdup (_("Stopped."));
      else
        reply = g_strdup (_("Nothing is running."));
      break;

    case NB_SLASH_COMMAND_NEW:
      if (g_hash_table_contains (self->turns, key))
        {
          reply = g_strdup (_("Wait for the current answer to finish, or send /stop first."));
          break;
        }
      if (self->memory == NULL)
        {
          /* No workspace, no memory: just start afresh. */
          g_autoptr(GError) error = NULL;

          nb_session_clear (session);
          if (self->store != NULL && !nb_session_store_compact (self->store, session, &error))
            g_message ("Could not rewrite session %s: %s", key, error->message);
          reply = g_strdup (_("New session started."));
          break;
        }
      nb_slash_command_new_async (self->memory, self->store, session, self->provider,
                                  nb_config_get_memory_model (self->config),
                                  (guint) CLAMP (nb_config_get_int (self->config, "agents.defaults.memoryWindow"), 0, G_MAXINT),
                                  cancellable, new_done_cb, g_steal_pointer (&task));
      return TRUE;

    case NB_SLASH_COMMAND_NONE:
    default:
      g_assert_not_reached ();
    }

  command_reply (task, session, reply, NULL);
  return TRUE;
}

/**
 * nb_agent_run_async:
 * @session: the conversation; the turn appends to it as it goes
 * @input: the user's text
 * @cancellable: (nullable): stops the stream and the running tools
 *
 * Runs one agent turn: up to maxToolIterations LLM calls, with the tools'
 * results fed back, until the model answers without tool calls. The
 * commands /new, /help and /stop are answered without the LLM and leave
 * nothing in the session; after a turn, old messages are consolidated into
 * memory in the background when memoryWindow is reached. Progress
 * comes as signals. A turn on a session that is busy waits for the turn
 * before it.
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

  if (run_slash_command (self, session, input, cancellable, callback, user_data))
    return;

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

/* The message tool */

void
nb_agent_deliver_message (NbAgent             *self,
                          const NbToolContext *context,
                          const char          *channel,
                          const char          *chat_id,
                          const char          *content,
                          const char * const  *media)
{
  Turn *turn = NULL;

  g_return_if_fail (NB_IS_AGENT (self));

  if (context != NULL && context->session_key != NULL)
    turn = g_hash_table_lookup (self->turns, context->session_key);

  if (turn != NULL && g_strcmp0 (channel, turn->channel) == 0 && g_strcmp0 (chat_id, turn->chat_id) == 0)
    turn->answered = TRUE;

  g_signal_emit (self, signals[MESSAGE], 0, turn != NULL ? turn->session : NULL,
                 channel, chat_id, content, media);
}

/* Sub-agents */

typedef struct {
  GWeakRef  agent;
  char     *id;
} SubagentClosure;

static char *
subagent_prompt (NbAgent *self)
{
  g_autofree char *workspace = nb_config_dup_workspace (self->config);

  return g_strdup_printf ("# Sub-agent\n\n"
                          "The main agent started you to carry out one task in the background. "
                          "Work on that task only, using the tools you have; you cannot talk to the "
                          "user or start other sub-agents. When you are done, answer with a short, "
                          "complete account of what you found or did: it goes back to the main agent.\n\n"
                          "Workspace: %s\n", workspace != NULL ? workspace : "");
}

static NbToolRegistry *
subagent_tools (NbAgent *self)
{
  g_autoptr(GPtrArray) tools = nb_tool_registry_list_tools (self->tools);
  NbToolRegistry *registry = nb_tool_registry_new ();

  for (guint i = 0; i < tools->len; i++)
    {
      NbTool *tool = g_ptr_array_index (tools, i);
      const char *name = nb_tool_get_name (tool);

      /* The file, exec and web tools only. */
      if (g_str_equal (name, "message") || g_str_equal (name, "spawn") ||
          g_str_equal (name, "cron") || g_str_has_prefix (name, "mcp_"))
        continue;
      nb_tool_registry_add (registry, tool);
    }
  return registry;
}

static void
announce_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autofree char *reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Failures reached the user through NbAgent::turn-finished. */
  reply = nb_agent_run_finish (NB_AGENT (source), result, &error);
}

static void
subagent_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SubagentClosure *closure = user_data;
  g_autoptr(NbAgent) self = g_weak_ref_get (&closure->agent);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = nb_agent_run_finish (NB_AGENT (source), result, &error);
  g_autofree char *announcement = NULL;
  Subagent *subagent;

  if (self == NULL || (subagent = g_hash_table_lookup (self->subagents, closure->id)) == NULL)
    goto out;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *status = error != NULL ? "failed" : "completed successfully";
      g_autofree char *text = error != NULL ? g_strdup_printf ("Error: %s", error->message) : NULL;

      if (text == NULL)
        text = g_strdup (reply != NULL && *reply != '\0' ? reply : SUBAGENT_EMPTY_RESULT);

      announcement = g_strdup_printf ("[Subagent '%s' %s]\n\nTask: %s\n\nResult:\n%s\n\n"
                                      "Summarize this naturally for the user. Keep it brief (1-2 sentences). "
                                      "Do not mention technical details like \"subagent\" or task IDs.",
                                      subagent->label, status, subagent->task, text);

      /* The sub-agent's tools may have changed the workspace. */
      if (self->context != NULL)
        nb_context_builder_invalidate (self->context);

      nb_agent_run_turn (self, subagent->origin, announcement, "subagent", self->cancellable,
                         announce_cb, NULL);
    }

  g_hash_table_remove (self->subagents, closure->id);
  notify_busy (self);

out:
  g_weak_ref_clear (&closure->agent);
  g_free (closure->id);
  g_free (closure);
}

/**
 * nb_agent_spawn:
 * @self: the agent running the turn
 * @context: the calling tool's context (its session receives the result)
 * @task: what the sub-agent should do
 * @label: (nullable): a short name for the task
 * @error: return location for an error
 *
 * Starts a sub-agent on @task in the background.
 *
 * Returns: (transfer full) (nullable): the spawn tool's result text, or
 *   %NULL with @error set
 */
char *
nb_agent_spawn (NbAgent             *self,
                const NbToolContext *context,
                const char          *task,
                const char          *label,
                GError             **error)
{
  g_autoptr(NbToolRegistry) tools = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  Subagent *subagent;
  SubagentClosure *closure;
  Turn *turn = NULL;

  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  g_return_val_if_fail (task != NULL, NULL);

  if (context != NULL && context->session_key != NULL)
    turn = g_hash_table_lookup (self->turns, context->session_key);
  if (turn == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "a sub-agent can only be started during a turn");
      return NULL;
    }

  subagent = g_new0 (Subagent, 1);
  subagent->id = g_strndup (uuid, 8);
  subagent->task = g_strdup (task);
  if (label != NULL && *label != '\0')
    subagent->label = g_strdup (label);
  else if (g_utf8_strlen (task, -1) > 30)
    {
      g_autofree char *start = g_utf8_substring (task, 0, 30);

      subagent->label = g_strconcat (start, "...", NULL);
    }
  else
    subagent->label = g_strdup (task);
  subagent->origin = g_object_ref (turn->session);

  tools = subagent_tools (self);
  prompt = subagent_prompt (self);
  subagent->child = nb_agent_new (self->provider, self->config, tools, NULL);
  nb_agent_set_system_prompt (subagent->child, prompt);
  nb_agent_set_max_iterations (subagent->child, NB_AGENT_SUBAGENT_MAX_ITERATIONS);
  g_hash_table_insert (self->subagents, subagent->id, subagent);

  closure = g_new0 (SubagentClosure, 1);
  g_weak_ref_init (&closure->agent, self);
  closure->id = g_strdup (subagent->id);

  {
    g_autofree char *key = g_strdup_printf ("subagent:%s", subagent->id);

    session = nb_session_new (key);
  }
  nb_agent_run_async (subagent->child, session, task, self->cancellable, subagent_done_cb, closure);
  notify_busy (self);

  return g_strdup_printf ("Subagent [%s] started (id: %s). I'll notify you when it completes.",
                          subagent->label, subagent->id);
}
