/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * A scripted NbProvider for tests of code that makes one LLM call
 * (memory consolidation, /new): each call pops the next scripted reply,
 * answers from an idle callback, and keeps the request as JSON. Include
 * it in one file per test program.
 */

#include "nb-provider.h"

G_BEGIN_DECLS

/* A provider that answers from a script and keeps what it was sent. */

typedef enum {
  REPLY_SAVE,         /* save_memory with the scripted arguments */
  REPLY_TEXT,         /* text, no tool call */
  REPLY_ERROR,        /* a provider error */
  REPLY_RAW_ARGS,     /* save_memory with unparsable arguments */
} ReplyKind;

typedef struct {
  ReplyKind kind;
  char *arguments;
} Reply;

#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, NbProvider)

struct _TestProvider
{
  NbProvider  parent_instance;
  GQueue     *replies;
  GPtrArray  *requests;     /* char *: the request as JSON */
  char       *last_model;
  guint       in_flight;
  guint       max_in_flight;
};

G_DEFINE_FINAL_TYPE (TestProvider, test_provider, NB_TYPE_PROVIDER)

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->arguments);
  g_free (reply);
}

static gboolean
answer_cb (gpointer user_data)
{
  GTask *task = user_data;
  TestProvider *self = g_task_get_source_object (task);
  Reply *reply = g_task_get_task_data (task);
  g_autoptr(NbChatResponse) response = nb_chat_response_new ();

  self->in_flight--;
  switch (reply->kind)
    {
    case REPLY_ERROR:
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_SERVER, "HTTP 500 from the test");
      return G_SOURCE_REMOVE;
    case REPLY_TEXT:
      response->content = g_strdup ("I summarised it in my head.");
      response->finish_reason = g_strdup ("stop");
      break;
    case REPLY_SAVE:
    case REPLY_RAW_ARGS:
      g_ptr_array_add (response->tool_calls, nb_tool_call_new ("call_1", "save_memory", reply->arguments));
      response->finish_reason = g_strdup ("tool_calls");
      break;
    default:
      g_assert_not_reached ();
    }
  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) nb_chat_response_free);
  return G_SOURCE_REMOVE;
}

static void
test_provider_chat_async (NbProvider          *provider,
                          const NbChatRequest *request,
                          NbChatDeltaFunc      delta_func,
                          gpointer             delta_data,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  TestProvider *self = TEST_PROVIDER (provider);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Reply *reply = g_queue_pop_head (self->replies);

  g_assert_nonnull (reply);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, request->model);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < request->messages->len; i++)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, g_ptr_array_index (request->messages, i));
      json_builder_add_value (builder, node);
    }
  json_builder_end_array (builder);
  if (request->tools != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (node, request->tools);
      json_builder_set_member_name (builder, "tools");
      json_builder_add_value (builder, node);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  g_ptr_array_add (self->requests, json_to_string (root, FALSE));

  self->in_flight++;
  self->max_in_flight = MAX (self->max_in_flight, self->in_flight);
  g_task_set_task_data (task, reply, reply_free);
  g_idle_add (answer_cb, task);
}

static NbChatResponse *
test_provider_chat_finish (NbProvider    *provider,
                           GAsyncResult  *result,
                           GError       **error)
{
  NbChatResponse *response = g_task_propagate_pointer (G_TASK (result), error);

  g_object_unref (result);
  return response;
}

static void
test_provider_finalize (GObject *object)
{
  TestProvider *self = TEST_PROVIDER (object);

  g_queue_free_full (self->replies, reply_free);
  g_ptr_array_unref (self->requests);

  G_OBJECT_CLASS (test_provider_parent_class)->finalize (object);
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_provider_finalize;
  NB_PROVIDER_CLASS (klass)->chat_async = test_provider_chat_async;
  NB_PROVIDER_CLASS (klass)->chat_finish = test_provider_chat_finish;
}

static void
test_provider_init (TestProvider *self)
{
  self->replies = g_queue_new ();
  self->requests = g_ptr_array_new_with_free_func (g_free);
}

static void
script (TestProvider *self,
        ReplyKind     kind,
        const char   *arguments)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->kind = kind;
  reply->arguments = g_strdup (arguments);
  g_queue_push_tail (self->replies, reply);
}

G_END_DECLS
