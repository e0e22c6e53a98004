/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ollama-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http.h"
#include "nb-http-provider-private.h"
#include "nb-json-util.h"
#include "nb-ollama-provider.h"

struct _NbOllamaProvider
{
  NbHttpProvider parent_instance;

  /* Requests for `model` go to `replacement`: the model a user never chose
   * (another provider's default) replaced by one Ollama has. */
  char          *override_model;
  char          *override_replacement;
};

G_DEFINE_FINAL_TYPE (NbOllamaProvider, nb_ollama_provider, NB_TYPE_HTTP_PROVIDER)

/* Building the request ---------------------------------------------------- */

/* Base64 data of the content's data-URL images. */
static JsonArray *
content_images (JsonNode *content)
{
  JsonArray *images = NULL;
  JsonArray *parts;

  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    return NULL;
  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *url = nb_json_get_string (nb_json_get_object (part, "image_url"), "url");
      const char *data;

      if (url == NULL || !g_str_has_prefix (url, "data:") || (data = strstr (url, ";base64,")) == NULL)
        continue;
      if (images == NULL)
        images = json_array_new ();
      json_array_add_string_element (images, data + strlen (";base64,"));
    }
  return images;
}

static JsonObject *
arguments_object (JsonObject *function)
{
  const char *text = nb_json_get_string (function, "arguments");
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (nb_json_get_object (function, "arguments") != NULL)
    return json_object_ref (nb_json_get_object (function, "arguments"));
  if (text != NULL && nb_json_parser_load (parser, text, -1, NULL) &&
      nb_json_parser_holds_object (parser))
    return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return json_object_new ();
}

/* The tool's name for a tool result, from the call it answers. */
static const char *
find_tool_name (const NbChatRequest *request,
                guint                before,
                const char          *call_id)
{
  for (guint i = before; call_id != NULL && i > 0; i--)
    {
      JsonObject *message = g_ptr_array_index (request->messages, i - 1);
      JsonArray *calls = nb_json_get_array (message, "tool_calls");

      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonNode *node = json_array_get_element (calls, j);
          JsonObject *call = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

          if (g_strcmp0 (nb_json_get_string (call, "id"), call_id) == 0)
            return nb_json_get_string (nb_json_get_object (call, "function"), "name");
        }
    }
  return NULL;
}

static JsonNode *
nb_ollama_provider_build_request (NbHttpProvider       *self,
                                  const NbChatRequest  *request,
                                  const char           *model,
                                  SoupMessageHeaders   *headers,
                                  GError              **error)
{
  const char *api_key = nb_http_provider_get_api_key (self);
  g_autoptr(JsonObject) body = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonObject *options = json_object_new ();

  /* A local Ollama needs no key; a hosted or proxied one may. */
  if (api_key != NULL && *api_key != '\0')
    {
      g_autofree char *value = g_strconcat ("Bearer ", api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }

  for (guint i = 0; i < request->messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (request->messages, i);
      const char *role = nb_json_get_string (message, "role");
      JsonNode *content = json_object_get_member (message, "content");
      JsonObject *out = json_object_new ();
      JsonArray *images = content_images (content);
      JsonArray *calls = nb_json_get_array (message, "tool_calls");
      g_autofree char *text = nb_http_provider_content_text (content);

      json_object_set_string_member (out, "role", role ? role : "user");
      json_object_set_string_member (out, "content", text);
      if (images != NULL)
        json_object_set_array_member (out, "images", images);

      if (calls != NULL && json_array_get_length (calls) > 0)
        {
          JsonArray *out_calls = json_array_new ();

          for (guint j = 0; j < json_array_get_length (calls); j++)
            {
              JsonNode *node = json_array_get_element (calls, j);
              JsonObject *function = JSON_NODE_HOLDS_OBJECT (node)
                ? nb_json_get_object (json_node_get_object (node), "function") : NULL;
              JsonObject *out_call = json_object_new ();
              JsonObject *out_function = json_object_new ();

              json_object_set_string_member (out_function, "name",
                                             nb_json_get_string (function, "name") ? nb_json_get_string (function, "name") : "");
              json_object_set_object_member (out_function, "arguments", arguments_object (function));
              json_object_set_object_member (out_call, "function", out_function);
              json_array_add_object_element (out_calls, out_call);
            }
          json_object_set_array_member (out, "tool_calls", out_calls);
        }

      if (g_strcmp0 (role, "tool") == 0)
        {
          const char *name = nb_json_get_string (message, "name");

          if (name == NULL)
            name = find_tool_name (request, i, nb_json_get_string (message, "tool_call_id"));
          if (name != NULL)
            json_object_set_string_member (out, "tool_name", name);
        }
      json_array_add_object_element (messages, out);
    }

  if (NB_OLLAMA_PROVIDER (self)->override_replacement != NULL &&
      g_strcmp0 (model, NB_OLLAMA_PROVIDER (self)->override_model) == 0)
    model = NB_OLLAMA_PROVIDER (self)->override_replacement;
  json_object_set_string_member (body, "model", model);
  json_object_set_array_member (body, "messages", messages);
  if (request->tools != NULL && json_array_get_length (request->tools) > 0)
    json_object_set_array_member (body, "tools", json_array_ref (request->tools));
  json_object_set_boolean_member (body, "stream", TRUE);
  if (request->reasoning_effort != NULL)
    json_object_set_boolean_member (body, "think", TRUE);
  json_object_set_double_member (options, "temperature", request->temperature);
  json_object_set_int_member (options, "num_predict", request->max_tokens);
  json_object_set_object_member (body, "options", options);

  return json_node_init_object (json_node_alloc (), body);
}

/* Reading the reply ------------------------------------------------------- */

static char *
nb_ollama_provider_error_message (NbHttpProvider *self,
                                  JsonNode       *root)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;

  if (nb_json_get_string (object, "error") != NULL)
    return g_strdup (nb_json_get_string (object, "error"));
  if (nb_json_get_string (nb_json_get_object (object, "error"), "message") != NULL)
    return g_strdup (nb_json_get_string (nb_json_get_object (object, "error"), "message"));
  return NULL;
}

static gboolean
nb_ollama_provider_parse_event (NbHttpProvider    *self,
                                NbProviderStream  *stream,
                                const char        *event,
                                const char        *data,
                                gsize              length,
                                GError           **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *message;
  JsonArray *calls;

  root = nb_http_provider_parse_object (self, stream, data, length, error);
  if (root == NULL)
    return FALSE;
  object = json_node_get_object (root);

  if (json_object_has_member (object, "error"))
    {
      g_autofree char *text = nb_ollama_provider_error_message (self, root);

      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                   _("%s reported an error during the reply: %s"),
                   nb_provider_get_name (NB_PROVIDER (self)), text ? text : _("unknown error"));
      return FALSE;
    }

  message = nb_json_get_object (object, "message");
  nb_provider_stream_add_reasoning (stream, nb_json_get_string (message, "thinking"));
  nb_provider_stream_add_text (stream, nb_json_get_string (message, "content"));

  /* Tool calls arrive whole, arguments as an object. */
  calls = nb_json_get_array (message, "tool_calls");
  for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
    {
      JsonNode *node = json_array_get_element (calls, i);
      JsonObject *call = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *function = nb_json_get_object (call, "function");
      JsonNode *arguments = function ? json_object_get_member (function, "arguments") : NULL;
      guint position;

      if (function == NULL)
        continue;
      position = nb_provider_stream_begin_call (stream, (gint) stream->calls->len,
                                                nb_json_get_string (call, "id"),
                                                nb_json_get_string (function, "name"));
      if (arguments != NULL && JSON_NODE_HOLDS_OBJECT (arguments))
        {
          g_autofree char *text = nb_json_to_data (arguments, FALSE, NULL);

          nb_provider_stream_add_arguments (stream, position, text);
        }
      else if (arguments != NULL && JSON_NODE_HOLDS_VALUE (arguments))
        nb_provider_stream_add_arguments (stream, position, json_node_get_string (arguments));
    }

  if (json_object_has_member (object, "done") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "done")) &&
      json_object_get_boolean_member (object, "done"))
    {
      const char *reason = nb_json_get_string (object, "done_reason");

      if (stream->calls->len > 0)
        nb_provider_stream_set_finish (stream, "tool_calls");
      else if (g_strcmp0 (reason, "length") == 0)
        nb_provider_stream_set_finish (stream, "length");
      else
        nb_provider_stream_set_finish (stream, "stop");
      stream->usage.input_tokens = nb_json_get_int (object, "prompt_eval_count");
      stream->usage.output_tokens = nb_json_get_int (object, "eval_count");
      stream->done = TRUE;
    }
  return TRUE;
}

static void
nb_ollama_provider_finalize (GObject *object)
{
  NbOllamaProvider *self = NB_OLLAMA_PROVIDER (object);

  g_clear_pointer (&self->override_model, g_free);
  g_clear_pointer (&self->override_replacement, g_free);

  G_OBJECT_CLASS (nb_ollama_provider_parent_class)->finalize (object);
}

static void
nb_ollama_provider_class_init (NbOllamaProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbHttpProviderClass *http_class = NB_HTTP_PROVIDER_CLASS (klass);

  object_class->finalize = nb_ollama_provider_finalize;

  http_class->path = "/api/chat";
  http_class->wire_format = NB_WIRE_FORMAT_NDJSON;
  http_class->build_request = nb_ollama_provider_build_request;
  http_class->parse_event = nb_ollama_provider_parse_event;
  http_class->error_message = nb_ollama_provider_error_message;
  http_class->models_path = "/api/tags";
  http_class->models_member = "models";
  http_class->models_id = "name";
}

static void
nb_ollama_provider_init (NbOllamaProvider *self)
{
}

/**
 * nb_ollama_provider_new:
 * @name: the registry name ("ollama")
 * @api_base: the server's root, e.g. "http://localhost:11434"
 * @api_key: (nullable): sent as a bearer token when set
 *
 * Returns: (transfer full): a provider for Ollama's native chat API
 */
NbProvider *
nb_ollama_provider_new (const char *name,
                        const char *api_base,
                        const char *api_key)
{
  return g_object_new (NB_TYPE_OLLAMA_PROVIDER,
                       "name", name,
                       "api-base", api_base,
                       "api-key", api_key,
                       NULL);
}

/**
 * nb_ollama_provider_set_model_override:
 * @model: the model name requests may carry
 * @replacement: (nullable): what to ask Ollama for instead; %NULL to stop
 *
 * Requests for @model ask Ollama for @replacement.
 */
void
nb_ollama_provider_set_model_override (NbOllamaProvider *self,
                                       const char       *model,
                                       const char       *replacement)
{
  g_return_if_fail (NB_IS_OLLAMA_PROVIDER (self));

  g_free (self->override_model);
  g_free (self->override_replacement);
  self->override_model = g_strdup (model);
  self->override_replacement = replacement != NULL ? g_strdup (replacement) : NULL;
}

/**
 * nb_ollama_provider_get_model_override:
 *
 * Returns: (nullable): the model requests are redirected to, if any
 */
const char *
nb_ollama_provider_get_model_override (NbOllamaProvider *self)
{
  g_return_val_if_fail (NB_IS_OLLAMA_PROVIDER (self), NULL);

  return self->override_replacement;
}

/**
 * nb_ollama_provider_list_models_async:
 *
 * Asks the server which models it has (GET {apiBase}/api/tags), as
 * nb_provider_list_models_async() does for every provider.
 */
void
nb_ollama_provider_list_models_async (NbOllamaProvider    *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (NB_IS_OLLAMA_PROVIDER (self));

  nb_provider_list_models_async (NB_PROVIDER (self), cancellable, callback, user_data);
}

/**
 * nb_ollama_provider_list_models_finish:
 *
 * Returns: (transfer full): the installed models' names, maybe none
 */
GStrv
nb_ollama_provider_list_models_finish (NbOllamaProvider  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (NB_IS_OLLAMA_PROVIDER (self), NULL);

  return nb_provider_list_models_finish (NB_PROVIDER (self), result, error);
}
