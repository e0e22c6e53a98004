/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-openai-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http-provider-private.h"
#include "nb-openai-provider.h"
#include "nb-utf8.h"

struct _NbOpenaiProvider
{
  NbHttpProvider parent_instance;

  gboolean       skip_usage_option;
  gboolean       official_api;
};

G_DEFINE_FINAL_TYPE (NbOpenaiProvider, nb_openai_provider, NB_TYPE_HTTP_PROVIDER)

/* The members of a canonical message that the Chat Completions API takes;
 * anything else (timestamps, reasoning_content, …) stays out. */
static const char * const message_members[] = {
  "role", "content", "tool_calls", "tool_call_id", "name",
};

/* OpenAI's reasoning models: "o1", "o3-mini", "o4-mini", "gpt-5", … */
static gboolean
is_reasoning_model (const char *model)
{
  return (model[0] == 'o' && g_ascii_isdigit (model[1])) || g_str_has_prefix (model, "gpt-5");
}

static JsonNode *
nb_openai_provider_build_request (NbHttpProvider       *self,
                                  const NbChatRequest  *request,
                                  const char           *model,
                                  SoupMessageHeaders   *headers,
                                  GError              **error)
{
  const char *api_key = nb_http_provider_get_api_key (self);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (api_key != NULL && *api_key != '\0')
    {
      g_autofree char *value = g_strconcat ("Bearer ", api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }
  soup_message_headers_replace (headers, "Accept", "text/event-stream");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < request->messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (request->messages, i);
      const char *role = json_object_get_string_member_with_default (message, "role", "");

      json_builder_begin_object (builder);
      for (guint j = 0; j < G_N_ELEMENTS (message_members); j++)
        {
          JsonNode *value = json_object_get_member (message, message_members[j]);

          if (value == NULL)
            continue;
          /* A tool result names its tool, as the Python nanobot sends it
           * (servers that check it, such as Mistral's, want it; the others
           * ignore it); an empty or mistyped name is left out. */
          if (g_str_equal (message_members[j], "name") && g_str_equal (role, "tool") &&
              (nb_json_get_string (message, "name") == NULL || *nb_json_get_string (message, "name") == '\0'))
            continue;
          json_builder_set_member_name (builder, message_members[j]);
          json_builder_add_value (builder, json_node_copy (value));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (request->tools != NULL && json_array_get_length (request->tools) > 0)
    {
      json_builder_set_member_name (builder, "tools");
      json_builder_add_value (builder, json_node_init_array (json_node_alloc (), request->tools));
      json_builder_set_member_name (builder, "tool_choice");
      json_builder_add_string_value (builder, "auto");
    }

  if (NB_OPENAI_PROVIDER (self)->official_api)
    {
      json_builder_set_member_name (builder, "max_completion_tokens");
      json_builder_add_int_value (builder, request->max_tokens);
      if (!is_reasoning_model (model))
        {
          json_builder_set_member_name (builder, "temperature");
          json_builder_add_double_value (builder, request->temperature);
        }
    }
  else
    {
      json_builder_set_member_name (builder, "max_tokens");
      json_builder_add_int_value (builder, request->max_tokens);
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, request->temperature);
    }
  if (request->reasoning_effort != NULL)
    {
      json_builder_set_member_name (builder, "reasoning_effort");
      json_builder_add_string_value (builder, request->reasoning_effort);
    }
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);
  if (!NB_OPENAI_PROVIDER (self)->skip_usage_option)
    {
      json_builder_set_member_name (builder, "stream_options");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "include_usage");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
read_usage (NbProviderStream *stream,
            JsonObject       *usage)
{
  JsonObject *details;

  if (usage == NULL)
    return;
  stream->usage.input_tokens = nb_json_get_int (usage, "prompt_tokens");
  stream->usage.output_tokens = nb_json_get_int (usage, "completion_tokens");
  /* Cache writes are not reported by OpenAI-compatible servers. DeepSeek
   * has its own field for cache hits (and may send both). */
  details = nb_json_get_object (usage, "prompt_tokens_details");
  if (details != NULL && json_object_has_member (details, "cached_tokens"))
    stream->usage.cache_read_tokens = nb_json_get_int (details, "cached_tokens");
  else if (json_object_has_member (usage, "prompt_cache_hit_tokens"))
    stream->usage.cache_read_tokens = nb_json_get_int (usage, "prompt_cache_hit_tokens");
  /* Their prompt tokens include the cache hits; NbUsage counts them apart. */
  stream->usage.cache_read_tokens = CLAMP (stream->usage.cache_read_tokens, 0, MAX (stream->usage.input_tokens, 0));
  stream->usage.input_tokens -= stream->usage.cache_read_tokens;
}

static char *
nb_openai_provider_error_message (NbHttpProvider *self,
                                  JsonNode       *root)
{
  JsonObject *object;
  JsonObject *error;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  if ((error = nb_json_get_object (object, "error")) != NULL && nb_json_get_string (error, "message") != NULL)
    return g_strdup (nb_json_get_string (error, "message"));
  if (nb_json_get_string (object, "error") != NULL)
    return g_strdup (nb_json_get_string (object, "error"));
  if (nb_json_get_string (object, "message") != NULL)
    return g_strdup (nb_json_get_string (object, "message"));
  return NULL;
}

static gboolean
stream_error (NbHttpProvider  *self,
              JsonNode        *root,
              GError         **error)
{
  g_autofree char *message = nb_openai_provider_error_message (self, root);

  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
               _("%s reported an error during the reply: %s"),
               nb_provider_get_name (NB_PROVIDER (self)), message ? message : _("unknown error"));
  return FALSE;
}

static void
add_tool_call_delta (NbProviderStream *stream,
                     JsonObject       *delta,
                     gint              default_index)
{
  JsonObject *function = nb_json_get_object (delta, "function");
  const char *id = nb_json_get_string (delta, "id");
  const char *name = nb_json_get_string (function, "name");
  JsonNode *arguments = function ? json_object_get_member (function, "arguments") : NULL;
  gint index = json_object_has_member (delta, "index") ? (gint) nb_json_get_int (delta, "index") : default_index;
  gint position = nb_provider_stream_find_call (stream, index);

  if (position >= 0 && id != NULL && *id != '\0')
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, position);

      /* Some servers reuse index 0 for every call: a new id is a new call. */
      if (builder->id != NULL && *builder->id != '\0' && !g_str_equal (builder->id, id))
        position = -1;
      else if (builder->id == NULL || *builder->id == '\0')
        {
          g_free (builder->id);
          builder->id = nb_utf8_join_surrogates (id, NULL);
        }
    }

  if (position < 0)
    position = nb_provider_stream_begin_call (stream, index, id, name);
  else if (name != NULL && *name != '\0')
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, position);

      if (builder->name == NULL || *builder->name == '\0')
        {
          g_free (builder->name);
          builder->name = nb_utf8_join_surrogates (name, NULL);
        }
    }

  if (arguments != NULL && JSON_NODE_HOLDS_VALUE (arguments))
    nb_provider_stream_add_arguments (stream, position, json_node_get_string (arguments));
  else if (arguments != NULL && JSON_NODE_HOLDS_OBJECT (arguments))
    {
      g_autofree char *text = nb_json_to_data (arguments, FALSE, NULL);

      nb_provider_stream_add_arguments (stream, position, text);
    }
}

static gboolean
nb_openai_provider_parse_event (NbHttpProvider    *self,
                                NbProviderStream  *stream,
                                const char        *event,
                                const char        *data,
                                gsize              length,
                                GError           **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *chunk;
  JsonArray *choices;

  if (length == 6 && memcmp (data, "[DONE]", 6) == 0)
    {
      stream->done = TRUE;
      return TRUE;
    }

  root = nb_http_provider_parse_object (self, stream, data, length, error);
  if (root == NULL)
    return FALSE;
  chunk = json_node_get_object (root);

  if (json_object_has_member (chunk, "error") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (chunk, "error")))
    return stream_error (self, root, error);

  read_usage (stream, nb_json_get_object (chunk, "usage"));

  /* Azure's first chunk and the usage chunk have no choices. */
  choices = nb_json_get_array (chunk, "choices");
  if (choices == NULL || json_array_get_length (choices) == 0)
    return TRUE;

  {
    JsonNode *first = json_array_get_element (choices, 0);
    JsonObject *choice = JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
    JsonObject *delta = nb_json_get_object (choice, "delta");
    JsonArray *tool_calls = nb_json_get_array (delta, "tool_calls");
    const char *finish_reason = nb_json_get_string (choice, "finish_reason");

    if (nb_json_get_string (delta, "reasoning_content") != NULL)
      nb_provider_stream_add_reasoning (stream, nb_json_get_string (delta, "reasoning_content"));
    else if (nb_json_get_string (delta, "reasoning") != NULL)
      nb_provider_stream_add_reasoning (stream, nb_json_get_string (delta, "reasoning"));

    nb_provider_stream_add_text (stream, nb_json_get_string (delta, "content"));

    for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
      {
        JsonNode *node = json_array_get_element (tool_calls, i);

        if (JSON_NODE_HOLDS_OBJECT (node))
          add_tool_call_delta (stream, json_node_get_object (node), 0);
      }

    if (finish_reason != NULL)
      {
        nb_provider_stream_set_finish (stream, finish_reason);
        /* Some servers end without "[DONE]"; a finish reason is enough. */
        stream->done = TRUE;
      }
  }
  return TRUE;
}

/* A server that ignored "stream": one chat.completion object. */
static gboolean
nb_openai_provider_parse_body (NbHttpProvider    *self,
                               NbProviderStream  *stream,
                               JsonNode          *root,
                               GError           **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *choices = nb_json_get_array (object, "choices");
  JsonObject *choice = NULL;
  JsonObject *message;
  JsonArray *tool_calls;

  if (object != NULL && json_object_has_member (object, "error"))
    return stream_error (self, root, error);

  if (choices != NULL && json_array_get_length (choices) > 0 &&
      JSON_NODE_HOLDS_OBJECT (json_array_get_element (choices, 0)))
    choice = json_node_get_object (json_array_get_element (choices, 0));
  message = nb_json_get_object (choice, "message");
  if (message == NULL)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                   _("%s answered with JSON that holds no chat message"),
                   nb_provider_get_name (NB_PROVIDER (self)));
      return FALSE;
    }

  nb_provider_stream_add_reasoning (stream, nb_json_get_string (message, "reasoning_content"));
  nb_provider_stream_add_text (stream, nb_json_get_string (message, "content"));
  tool_calls = nb_json_get_array (message, "tool_calls");
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonNode *node = json_array_get_element (tool_calls, i);
      JsonObject *call;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      call = json_node_get_object (node);
      add_tool_call_delta (stream, call, (gint) i);
    }
  if (nb_json_get_string (choice, "finish_reason") != NULL)
    nb_provider_stream_set_finish (stream, nb_json_get_string (choice, "finish_reason"));
  read_usage (stream, nb_json_get_object (object, "usage"));
  stream->done = TRUE;
  return TRUE;
}

static void
nb_openai_provider_class_init (NbOpenaiProviderClass *klass)
{
  NbHttpProviderClass *http_class = NB_HTTP_PROVIDER_CLASS (klass);

  http_class->path = "/chat/completions";
  http_class->wire_format = NB_WIRE_FORMAT_SSE;
  http_class->build_request = nb_openai_provider_build_request;
  http_class->parse_event = nb_openai_provider_parse_event;
  http_class->parse_body = nb_openai_provider_parse_body;
  http_class->error_message = nb_openai_provider_error_message;
  http_class->models_path = "/models";
  http_class->models_member = "data";
  http_class->models_id = "id";
}

static void
nb_openai_provider_init (NbOpenaiProvider *self)
{
}

/**
 * nb_openai_provider_new:
 * @name: the registry name ("openai", "deepseek", "custom", …)
 * @api_base: the URL before "/chat/completions"
 * @api_key: (nullable): sent as a bearer token
 *
 * Returns: (transfer full): a provider for an OpenAI-compatible server
 */
NbProvider *
nb_openai_provider_new (const char *name,
                        const char *api_base,
                        const char *api_key)
{
  return g_object_new (NB_TYPE_OPENAI_PROVIDER,
                       "name", name,
                       "api-base", api_base,
                       "api-key", api_key,
                       NULL);
}

void
nb_openai_provider_set_include_usage (NbOpenaiProvider *self,
                                      gboolean          include_usage)
{
  g_return_if_fail (NB_IS_OPENAI_PROVIDER (self));

  self->skip_usage_option = !include_usage;
}

void
nb_openai_provider_set_official_api (NbOpenaiProvider *self,
                                     gboolean          official_api)
{
  g_return_if_fail (NB_IS_OPENAI_PROVIDER (self));

  self->official_api = official_api;
}
