/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * An in-process NbProvider for the agent tests: it answers each request
 * with the next scripted step, streaming the reply text as deltas from
 * GLib timeouts, and records every request it was sent. Header-only:
 * include it in one file of a test program.
 */

#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>

#include "nb-provider.h"

G_BEGIN_DECLS

typedef enum {
  STEP_REPLY,
  STEP_ERROR,
  STEP_HANG,     /* never answers; only cancellation ends it */
} NbScriptedStepKind;

typedef struct {
  NbScriptedStepKind kind;
  char              *content;
  char              *reasoning;
  GPtrArray         *calls;    /* NbToolCall */
  int                error_code;
  char              *error_message;
  char              *match;    /* only for a request whose messages contain this */
} NbScriptedStep;

#define NB_TYPE_SCRIPTED_PROVIDER (nb_scripted_provider_get_type ())
G_DECLARE_FINAL_TYPE (NbScriptedProvider, nb_scripted_provider, NB, SCRIPTED_PROVIDER, NbProvider)

struct _NbScriptedProvider
{
  NbProvider  parent_instance;

  GQueue      steps;
  guint       delay_ms;
  GPtrArray  *requests;  /* (element-type utf8): each request's messages as JSON */
  GPtrArray  *tools;     /* (element-type JsonArray): each request's tools, or NULL */
  gint64      busy_us;   /* time spent in the provider's own code */
};

G_DEFINE_FINAL_TYPE (NbScriptedProvider, nb_scripted_provider, NB_TYPE_PROVIDER)

static void
nb_scripted_step_free (NbScriptedStep *step)
{
  g_free (step->content);
  g_free (step->reasoning);
  g_clear_pointer (&step->calls, g_ptr_array_unref);
  g_free (step->error_message);
  g_free (step->match);
  g_free (step);
}

typedef struct {
  GTask           *task;
  NbScriptedStep  *step;
  NbChatDeltaFunc  delta_func;
  gpointer         delta_data;
  guint            n_chunks_sent;
  guint            timeout_id;
  gulong           cancelled_id;
} NbScriptedCall;

static void
nb_scripted_call_free (NbScriptedCall *call)
{
  if (call->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (call->task), call->cancelled_id);
  g_clear_handle_id (&call->timeout_id, g_source_remove);
  g_object_unref (call->task);
  nb_scripted_step_free (call->step);
  g_free (call);
}

static gboolean
nb_scripted_call_tick_cb (gpointer user_data)
{
  NbScriptedCall *call = user_data;
  NbScriptedStep *step = call->step;
  NbScriptedProvider *self = g_task_get_source_object (call->task);
  gint64 begin = g_get_monotonic_time ();
  NbChatResponse *response;

  /* Stream the reasoning, then the text in two halves, one per tick. */
  if (call->n_chunks_sent == 0 && step->reasoning != NULL && call->delta_func != NULL)
    call->delta_func (NB_CHAT_DELTA_REASONING, 0, step->reasoning, NULL, call->delta_data);
  if (step->content != NULL && call->n_chunks_sent < 2 && call->delta_func != NULL)
    {
      gsize half = strlen (step->content) / 2;
      g_autofree char *chunk = call->n_chunks_sent == 0 ? g_strndup (step->content, half)
                                                        : g_strdup (step->content + half);

      call->n_chunks_sent++;
      self->busy_us += g_get_monotonic_time () - begin;
      call->delta_func (NB_CHAT_DELTA_TEXT, 0, chunk, NULL, call->delta_data);
      return G_SOURCE_CONTINUE;
    }

  call->timeout_id = 0;

  if (step->kind == STEP_ERROR)
    g_task_return_new_error (call->task, NB_PROVIDER_ERROR, step->error_code, "%s", step->error_message);
  else
    {
      response = nb_chat_response_new ();
      response->content = g_strdup (step->content);
      response->reasoning = g_strdup (step->reasoning);
      for (guint i = 0; step->calls != NULL && i < step->calls->len; i++)
        {
          NbToolCall *scripted = g_ptr_array_index (step->calls, i);

          g_ptr_array_add (response->tool_calls,
                           nb_tool_call_new (scripted->id, scripted->name, scripted->arguments_json));
        }
      response->finish_reason = g_strdup (response->tool_calls->len > 0 ? "tool_calls" : "stop");
      self->busy_us += g_get_monotonic_time () - begin;
      g_task_return_pointer (call->task, response, (GDestroyNotify) nb_chat_response_free);
    }
  nb_scripted_call_free (call);
  return G_SOURCE_REMOVE;
}

static gboolean
nb_scripted_call_cancel_idle_cb (gpointer user_data)
{
  NbScriptedCall *call = user_data;

  g_task_return_new_error (call->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  nb_scripted_call_free (call);
  return G_SOURCE_REMOVE;
}

static void
nb_scripted_call_cancelled_cb (GCancellable *cancellable,
                               gpointer      user_data)
{
  NbScriptedCall *call = user_data;

  g_clear_handle_id (&call->timeout_id, g_source_remove);
  g_idle_add (nb_scripted_call_cancel_idle_cb, call);
}

static void
nb_scripted_provider_chat_async (NbProvider          *provider,
                                 const NbChatRequest *request,
                                 NbChatDeltaFunc      delta_func,
                                 gpointer             delta_data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  NbScriptedProvider *self = NB_SCRIPTED_PROVIDER (provider);
  NbScriptedCall *call = g_new0 (NbScriptedCall, 1);
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autoptr(JsonNode) node = NULL;
  gint64 begin = g_get_monotonic_time ();
  const char *text;

  for (guint i = 0; i < request->messages->len; i++)
    json_array_add_object_element (messages, json_object_ref (g_ptr_array_index (request->messages, i)));
  node = json_node_init_array (json_node_alloc (), messages);
  g_ptr_array_add (self->requests, json_to_string (node, FALSE));
  text = g_ptr_array_index (self->requests, self->requests->len - 1);
  g_ptr_array_add (self->tools, request->tools != NULL ? json_array_ref (request->tools) : NULL);

  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_check_cancellable (call->task, FALSE);
  call->delta_func = delta_func;
  call->delta_data = delta_data;
  for (GList *l = self->steps.head; l != NULL && call->step == NULL; l = l->next)
    {
      NbScriptedStep *step = l->data;

      if (step->match == NULL || strstr (text, step->match) != NULL)
        {
          call->step = step;
          /* Not l->next after this (found by valgrind). */
          g_queue_delete_link (&self->steps, l);
          break;
        }
    }
  if (call->step == NULL)
    {
      call->step = g_new0 (NbScriptedStep, 1);
      call->step->kind = STEP_ERROR;
      call->step->error_code = NB_PROVIDER_ERROR_FAILED;
      call->step->error_message = g_strdup ("The script has no more steps");
    }

  if (cancellable != NULL)
    call->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (nb_scripted_call_cancelled_cb),
                                                call, NULL);
  if (call->step->kind != STEP_HANG && !g_cancellable_is_cancelled (cancellable))
    call->timeout_id = g_timeout_add (self->delay_ms, nb_scripted_call_tick_cb, call);
  self->busy_us += g_get_monotonic_time () - begin;
}

static NbChatResponse *
nb_scripted_provider_chat_finish (NbProvider    *provider,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
nb_scripted_provider_finalize (GObject *object)
{
  NbScriptedProvider *self = NB_SCRIPTED_PROVIDER (object);

  g_queue_clear_full (&self->steps, (GDestroyNotify) nb_scripted_step_free);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_pointer (&self->tools, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_scripted_provider_parent_class)->finalize (object);
}

static void
nb_scripted_provider_class_init (NbScriptedProviderClass *klass)
{
  NbProviderClass *provider_class = NB_PROVIDER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = nb_scripted_provider_finalize;
  provider_class->chat_async = nb_scripted_provider_chat_async;
  provider_class->chat_finish = nb_scripted_provider_chat_finish;
}

static void
nb_scripted_provider_unref_tools (gpointer data)
{
  if (data != NULL)
    json_array_unref (data);
}

static void
nb_scripted_provider_init (NbScriptedProvider *self)
{
  g_queue_init (&self->steps);
  self->delay_ms = 1;
  self->requests = g_ptr_array_new_with_free_func (g_free);
  self->tools = g_ptr_array_new_with_free_func (nb_scripted_provider_unref_tools);
}

static G_GNUC_UNUSED NbScriptedProvider *
nb_scripted_provider_new (void)
{
  return g_object_new (NB_TYPE_SCRIPTED_PROVIDER, "name", "scripted", NULL);
}

static G_GNUC_UNUSED void
nb_scripted_provider_add_reply (NbScriptedProvider *self,
                                const char         *content)
{
  NbScriptedStep *step = g_new0 (NbScriptedStep, 1);

  step->kind = STEP_REPLY;
  step->content = g_strdup (content);
  g_queue_push_tail (&self->steps, step);
}

/* Adds a reply with tool calls: @content (nullable), then triples of
 * id, name, arguments JSON, ending with NULL. */
static G_GNUC_UNUSED void
nb_scripted_provider_add_calls (NbScriptedProvider *self,
                                const char         *content,
                                ...)
{
  NbScriptedStep *step = g_new0 (NbScriptedStep, 1);
  const char *id;
  va_list args;

  step->kind = STEP_REPLY;
  step->content = g_strdup (content);
  step->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) nb_tool_call_free);

  va_start (args, content);
  while ((id = va_arg (args, const char *)) != NULL)
    {
      const char *name = va_arg (args, const char *);
      const char *arguments = va_arg (args, const char *);

      g_ptr_array_add (step->calls, nb_tool_call_new (id, name, arguments));
    }
  va_end (args);

  g_queue_push_tail (&self->steps, step);
}

static G_GNUC_UNUSED void
nb_scripted_provider_add_error (NbScriptedProvider *self,
                                NbProviderError     code,
                                const char         *message)
{
  NbScriptedStep *step = g_new0 (NbScriptedStep, 1);

  step->kind = STEP_ERROR;
  step->error_code = code;
  step->error_message = g_strdup (message);
  g_queue_push_tail (&self->steps, step);
}

static G_GNUC_UNUSED void
nb_scripted_provider_add_hang (NbScriptedProvider *self)
{
  NbScriptedStep *step = g_new0 (NbScriptedStep, 1);

  step->kind = STEP_HANG;
  g_queue_push_tail (&self->steps, step);
}

/* The last added step answers only a request whose messages contain @match. */
static G_GNUC_UNUSED void
nb_scripted_provider_set_match (NbScriptedProvider *self,
                                const char         *match)
{
  NbScriptedStep *step = g_queue_peek_tail (&self->steps);

  g_free (step->match);
  step->match = g_strdup (match);
}

/* The index of the first request whose messages contain @text. */
static G_GNUC_UNUSED guint
nb_scripted_provider_find_request (NbScriptedProvider *self,
                                   const char         *text)
{
  for (guint i = 0; i < self->requests->len; i++)
    if (strstr (g_ptr_array_index (self->requests, i), text) != NULL)
      return i;
  g_error ("No request contains %s", text);
}

G_END_DECLS
