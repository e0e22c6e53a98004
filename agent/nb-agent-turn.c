/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nb-agent-private.h"
#include "nb-json-util.h"
#include "nb-memory-store.h"
#include "nb-utf8.h"

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
  JsonObject *audit;     /* the permission decision, kept with the result */
  gboolean    side_effects;
  gboolean    started;
  gboolean    done;
} CallState;

typedef struct _NbAgentTurn Turn;

struct _NbAgentTurn {
  NbAgent        *agent;        /* the task's source object */
  NbProvider     *provider;     /* the agent's when the turn was asked for */
  NbTurnSettings *settings;
  NbSession      *session;
  char           *input;
  JsonNode       *content;      /* the user message's content parts, or NULL for input */
  char           *sender;       /* "subagent" for announcements, else NULL */
  char           *session_key;
  char           *channel;
  char           *chat_id;
  NbToolContext   tool_context;


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
  NbUsage         usage;        /* summed over the turn's LLM calls */
  gint64          context_tokens; /* the prompt of the last call */
};

typedef struct {
  char       *id;
  char       *label;
  char       *task;
  NbAgent    *child;
  NbSession  *origin;
} Subagent;

static void turn_chat      (GTask *task);
static void turn_run_tools (GTask *task);

static void
call_state_free (CallState *state)
{
  g_free (state->result);
  g_clear_pointer (&state->audit, json_object_unref);
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
  g_clear_pointer (&turn->content, json_node_unref);
  g_free (turn->sender);
  g_free (turn->session_key);
  g_free (turn->channel);
  g_free (turn->chat_id);
  g_clear_object (&turn->provider);
  g_clear_pointer (&turn->settings, nb_turn_settings_free);
  g_clear_pointer (&turn->messages, g_ptr_array_unref);
  g_clear_pointer (&turn->calls, g_ptr_array_unref);
  g_clear_pointer (&turn->response, nb_chat_response_free);
  g_free (turn);
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
  g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_SAVE_FAILED], 0, turn->session, error->message);
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

  g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_MESSAGE_APPENDED], 0, turn->session, message);
}

/* The usage of the turn's LLM calls goes to the session's metadata (saved
 * with the turn) and to NbAgent::usage. */
static void
turn_report_usage (Turn *turn)
{
  JsonObject *usage = json_object_new ();

  json_object_set_int_member (usage, "prompt_tokens", turn->usage.input_tokens);
  json_object_set_int_member (usage, "completion_tokens", turn->usage.output_tokens);
  json_object_set_int_member (usage, "cache_read_tokens", turn->usage.cache_read_tokens);
  json_object_set_int_member (usage, "cache_write_tokens", turn->usage.cache_write_tokens);
  json_object_set_int_member (usage, "context_tokens", turn->context_tokens);
  if (turn->settings->model != NULL)
    json_object_set_string_member (usage, "model", turn->settings->model);
  json_object_set_object_member (nb_session_get_metadata (turn->session), "usage", usage);

  if (turn->agent->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!nb_session_store_append (turn->agent->store, turn->session, &error))
        turn_report_save_failure (turn, error);
    }

  g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_USAGE], 0, turn->session, &turn->usage,
                 turn->context_tokens);
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

      /* A reply cut off by an error or a cancel is not kept. */
      nb_session_end_streaming (turn->session);

      if (turn->usage.input_tokens > 0 || turn->usage.output_tokens > 0)
        turn_report_usage (turn);

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
        nb_memory_store_maybe_consolidate (self->memory, turn->session, turn->provider,
                                           turn->settings->memory_model,
                                           turn->settings->memory_window, self->cancellable);
    }

  schedule_queue (self);

  g_signal_emit (self, nb_agent_signals[NB_AGENT_TURN_FINISHED], 0, turn->session, reply, error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (reply), g_free);

  nb_agent_notify_busy (self);
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

  history = nb_session_get_history (turn->session, turn->settings->memory_window);

  if (self->context != NULL)
    system = make_message ("system", nb_context_builder_get_system_prompt (self->context));
  else if (self->system_prompt != NULL)
    system = make_message ("system", self->system_prompt);
  if (system != NULL)
    g_ptr_array_add (turn->messages, g_steal_pointer (&system));

  /* A retry answers the user's message already in the session. */
  if (turn->input == NULL)
    {
      JsonObject *last = history->len > 0 ? g_ptr_array_index (history, history->len - 1) : NULL;

      if (last == NULL || g_strcmp0 (nb_json_get_string (last, "role"), "user") != 0)
        {
          turn_finish (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                        _("There is no message to answer again")));
          return;
        }
      user = json_object_ref (last);
      g_ptr_array_remove_index (history, history->len - 1);
    }

  for (guint i = 0; i < history->len; i++)
    g_ptr_array_add (turn->messages, json_object_ref (g_ptr_array_index (history, i)));

  /* Time and channel travel in their own message so that the system prompt
   * stays byte-stable (B2); it is not saved in the session. */
  if (self->context != NULL)
    g_ptr_array_add (turn->messages,
                     nb_context_builder_build_runtime_message (self->context, turn->channel, turn->chat_id));

  if (user != NULL)
    {
      g_ptr_array_add (turn->messages, g_steal_pointer (&user));
      turn_chat (task);
      return;
    }

  user = make_message ("user", turn->input);
  if (turn->content != NULL)
    json_object_set_member (user, "content", json_node_copy (turn->content));
  if (turn->sender != NULL)
    {
      extra = json_object_new ();
      json_object_set_string_member (extra, "sender", turn->sender);
    }
  turn_append (turn, user, extra);

  /* The user's message could not be written (NbAgent::save-failed said
   * why): nothing is sent and no tool runs in a conversation that would
   * be lost. */
  if (turn->save_failed)
    {
      turn_finish (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                    _("Nothing was sent: this conversation cannot be saved")));
      return;
    }

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
      g_autoptr(JsonObject) extra = NULL;

      if (!state->done)
        break;

      message = make_message ("tool", state->result);
      json_object_set_string_member (message, "tool_call_id", state->call->id != NULL ? state->call->id : "");
      json_object_set_string_member (message, "name", state->call->name != NULL ? state->call->name : "");
      /* Stored with the result, never sent to the model. */
      if (state->audit != NULL)
        json_object_set_object_member ((extra = json_object_new ()), "permission", json_object_ref (state->audit));
      turn_append (turn, message, extra);
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
          g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TOOL_CALL_FINISHED], 0, turn->session,
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

  /* The reply grows as the session's last item while it streams; the
   * stored message takes its place when it is appended. */
  if (kind == NB_CHAT_DELTA_TEXT)
    {
      nb_message_append_text (nb_session_begin_streaming (turn->session), text);
      g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TEXT_DELTA], 0, turn->session, text);
    }
  else if (kind == NB_CHAT_DELTA_REASONING)
    {
      nb_message_append_reasoning (nb_session_begin_streaming (turn->session), text);
      g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_REASONING_DELTA], 0, turn->session, text);
    }
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

  turn->usage.input_tokens += response->usage.input_tokens;
  turn->usage.output_tokens += response->usage.output_tokens;
  turn->usage.cache_read_tokens += response->usage.cache_read_tokens;
  turn->usage.cache_write_tokens += response->usage.cache_write_tokens;
  if (response->usage.input_tokens > 0)
    turn->context_tokens = response->usage.input_tokens + response->usage.cache_read_tokens +
                           response->usage.cache_write_tokens + response->usage.output_tokens;

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
      nb_session_end_streaming (turn->session);
      if (!turn->answered)
        g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TEXT_DELTA], 0, turn->session, EMPTY_REPLY);
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
  g_autoptr(NbChatRequest) request = nb_chat_request_new (turn->settings->model);

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

  request->max_tokens = turn->settings->max_tokens;
  request->temperature = turn->settings->temperature;
  request->reasoning_effort = g_strdup (turn->settings->reasoning_effort);
  if (nb_tool_registry_get_n_tools (self->tools) > 0)
    request->tools = json_array_ref (nb_tool_registry_get_definitions (self->tools));
  for (guint i = 0; i < turn->messages->len; i++)
    nb_chat_request_add_message (request, g_ptr_array_index (turn->messages, i));

  nb_provider_chat_async (turn->provider, request, delta_cb, turn,
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
  guint max_iterations = turn->settings->max_iterations;

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
      g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TEXT_DELTA], 0, turn->session, text);
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
  g_autoptr(JsonObject) audit = NULL;
  g_autofree char *text = nb_agent_execute_call_finish (NB_AGENT (source), result, &audit, &error);
  CallState *state;

  if (turn->state != TURN_TOOLS || turn->iteration != closure->iteration)
    {
      g_free (closure);
      return;
    }

  state = g_ptr_array_index (turn->calls, closure->index);
  g_free (closure);

  state->done = TRUE;
  state->audit = g_steal_pointer (&audit);
  /* Output of processes, MCP servers and web pages: valid UTF-8 before it is
   * shown, stored or sent back (issue 9, item 4). */
  nb_utf8_ensure_valid (&text);
  state->result = text != NULL ? g_steal_pointer (&text) : cancelled_result ();
  g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TOOL_CALL_FINISHED], 0, turn->session,
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
  g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TOOL_CALL_STARTED], 0, turn->session,
                 state->call->id, state->call->name, state->call->arguments_json);

  if (state->tool == NULL)
    {
      state->done = TRUE;
      g_signal_emit (turn->agent, nb_agent_signals[NB_AGENT_TOOL_CALL_FINISHED], 0, turn->session,
                     state->call->id, state->call->name, state->result);
      return;
    }

  if (state->side_effects)
    turn->side_effects_ran = turn->side_effects_in_batch = TRUE;

  closure = g_new0 (ToolClosure, 1);
  closure->task = g_object_ref (task);
  closure->index = index;
  closure->iteration = turn->iteration;
  /* nb-agent-permissions.c: may wait for the user's approval first. */
  nb_agent_execute_call_async (turn->agent, state->call, &turn->tool_context,
                               g_task_get_cancellable (task), tool_cb, closure);
}

/* Starts what may start, in the order the model wrote the calls, so that
 * each call sees the effects of the calls before it: a call waits for every
 * earlier call with side effects, and a call with side effects also waits
 * for every earlier call. Consecutive read-only calls run together. */
static void
turn_run_tools (GTask *task)
{
  Turn *turn = g_task_get_task_data (task);
  gboolean earlier_busy = FALSE;              /* an earlier call has not finished */
  gboolean earlier_side_effects_busy = FALSE; /* ... and it has side effects */

  for (guint i = 0; i < turn->calls->len && turn->state == TURN_TOOLS; i++)
    {
      CallState *state = g_ptr_array_index (turn->calls, i);

      if (!state->started)
        {
          /* Whatever blocks this call blocks every later one too. */
          if (earlier_side_effects_busy || (state->side_effects && earlier_busy))
            break;
          turn_start_call (task, i);
        }
      if (!state->done)
        {
          earlier_busy = TRUE;
          if (state->side_effects)
            earlier_side_effects_busy = TRUE;
        }
    }

  if (turn->state != TURN_TOOLS)
    return;

  turn_flush_results (turn);
  if (turn->n_appended == turn->calls->len)
    turn_after_tools (task);
}

/* Entry points */

static void
run_turn (NbAgent             *self,
          NbSession           *session,
          const char          *input,
          JsonNode            *content,
          const char          *sender,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GCancellable) own_cancellable = NULL;
  Turn *turn;
  gboolean waiting = FALSE;

  g_return_if_fail (self->provider != NULL);

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
  turn->content = content != NULL ? json_node_copy (content) : NULL;
  turn->sender = g_strdup (sender);
  turn->session_key = g_strdup (nb_session_get_key (session));
  nb_turn_split_session_key (turn->session_key, &turn->channel, &turn->chat_id);
  turn->tool_context.session_key = turn->session_key;
  turn->tool_context.channel = turn->channel;
  turn->tool_context.chat_id = turn->chat_id;
  turn->tool_context.host = NB_TOOL_HOST (self);
  turn->provider = g_object_ref (self->provider);
  turn->settings = nb_turn_settings_new (self->config, session, self->max_iterations);
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

  nb_agent_notify_busy (self);
}

void
nb_agent_run_turn (NbAgent             *self,
                   NbSession           *session,
                   const char          *input,
                   const char          *sender,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  run_turn (self, session, input, NULL, sender, cancellable, callback, user_data);
}

/**
 * nb_agent_run_with_content_async:
 * @session: the conversation
 * @content: the user message's content: a string, or an array of OpenAI
 *   content parts (`{"type":"text",…}`, `{"type":"image_url",…}`) that
 *   every provider translates to its wire format
 * @cancellable: (nullable): stops the turn
 *
 * Like nb_agent_run_async() with a user message of any content: images
 * from attachments travel this way. Finish with nb_agent_run_finish().
 */
void
nb_agent_run_with_content_async (NbAgent             *self,
                                 NbSession           *session,
                                 JsonNode            *content,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (content != NULL);
  g_return_if_fail (JSON_NODE_HOLDS_ARRAY (content) ||
                    (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING));

  run_turn (self, session, "", content, NULL, cancellable, callback, user_data);
}

/**
 * nb_agent_retry_async:
 * @session: a conversation whose last message is the user's, left
 *   unanswered by a turn that failed
 * @cancellable: (nullable): stops the turn
 *
 * Runs the turn again for the user's last message, without appending it
 * a second time: Retry after a provider or network error. Fails with
 * %G_IO_ERROR_INVALID_ARGUMENT when the conversation does not end with a
 * user message. Finish with nb_agent_run_finish().
 */
void
nb_agent_retry_async (NbAgent             *self,
                      NbSession           *session,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (NB_IS_AGENT (self));
  g_return_if_fail (NB_IS_SESSION (session));

  run_turn (self, session, NULL, NULL, NULL, cancellable, callback, user_data);
}

/* What the rest of the agent may ask of a running turn */

NbAgentTurn *
nb_agent_lookup_turn (NbAgent    *self,
                      const char *session_key)
{
  g_assert (NB_IS_AGENT (self));

  if (session_key == NULL)
    return NULL;
  return g_hash_table_lookup (self->turns, session_key);
}

NbSession *
nb_agent_turn_get_session (NbAgentTurn *turn)
{
  return turn->session;
}

void
nb_agent_turn_mark_answered (NbAgentTurn *turn,
                             const char  *channel,
                             const char  *chat_id)
{
  if (g_strcmp0 (channel, turn->channel) == 0 && g_strcmp0 (chat_id, turn->chat_id) == 0)
    turn->answered = TRUE;
}

/* Adds the cancellables of the running and waiting turns of
 * @session_key to @cancellables; cancelling changes the queue, so the
 * caller cancels them after collecting. */
void
nb_agent_cancel_queued (NbAgent    *self,
                        const char *session_key,
                        GPtrArray  *cancellables)
{
  Turn *running = g_hash_table_lookup (self->turns, session_key);

  if (running != NULL)
    g_ptr_array_add (cancellables, g_object_ref (running->cancellable));
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      Turn *queued = g_task_get_task_data (l->data);

      if (g_str_equal (queued->session_key, session_key))
        g_ptr_array_add (cancellables, g_object_ref (queued->cancellable));
    }
}
