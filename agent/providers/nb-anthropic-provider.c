/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-anthropic-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-anthropic-provider.h"
#include "nb-http-provider-private.h"
#include "nb-json-util.h"

#define ANTHROPIC_VERSION "2023-06-01"

struct _NbAnthropicProvider
{
  NbHttpProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (NbAnthropicProvider, nb_anthropic_provider, NB_TYPE_HTTP_PROVIDER)

typedef enum {
  BLOCK_OTHER,
  BLOCK_TEXT,
  BLOCK_TOOL_USE,
  BLOCK_THINKING,
} BlockKind;

/* Building the request ---------------------------------------------------- */

static JsonObject *
text_block (const char *text)
{
  JsonObject *block = json_object_new ();

  json_object_set_string_member (block, "type", "text");
  json_object_set_string_member (block, "text", text);
  return block;
}

static void
set_cache_control (JsonObject *block)
{
  JsonObject *cache_control = json_object_new ();

  json_object_set_string_member (cache_control, "type", "ephemeral");
  json_object_set_object_member (block, "cache_control", cache_control);
}

/* "data:image/png;base64,AAAA" → an image block; other URLs by reference. */
static JsonObject *
image_block (const char *url)
{
  JsonObject *block = json_object_new ();
  JsonObject *source = json_object_new ();

  json_object_set_string_member (block, "type", "image");
  if (g_str_has_prefix (url, "data:") && strstr (url, ";base64,") != NULL)
    {
      const char *comma = strstr (url, ";base64,");
      g_autofree char *media_type = g_strndup (url + 5, comma - (url + 5));

      json_object_set_string_member (source, "type", "base64");
      json_object_set_string_member (source, "media_type", media_type);
      json_object_set_string_member (source, "data", comma + strlen (";base64,"));
    }
  else
    {
      json_object_set_string_member (source, "type", "url");
      json_object_set_string_member (source, "url", url);
    }
  json_object_set_object_member (block, "source", source);
  return block;
}

/* The canonical content (a string or OpenAI content parts) as blocks. */
static void
add_content_blocks (JsonArray *blocks,
                    JsonNode  *content)
{
  JsonArray *parts;

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return;
  if (JSON_NODE_HOLDS_VALUE (content))
    {
      const char *text = json_node_get_string (content);

      /* The API refuses empty text blocks. */
      if (text != NULL && *text != '\0')
        json_array_add_object_element (blocks, text_block (text));
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return;

  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type = nb_json_get_string (part, "type");

      if (g_strcmp0 (type, "text") == 0)
        {
          const char *text = nb_json_get_string (part, "text");

          if (text != NULL && *text != '\0')
            json_array_add_object_element (blocks, text_block (text));
        }
      else if (g_strcmp0 (type, "image_url") == 0)
        {
          const char *url = nb_json_get_string (nb_json_get_object (part, "image_url"), "url");

          if (url != NULL)
            json_array_add_object_element (blocks, image_block (url));
        }
    }
}

/* Appends @blocks as a message of @role; consecutive messages of one role
 * become one (the API wants user and assistant to alternate, and all tool
 * results of a turn in one user message). */
static void
append_message (JsonArray  *messages,
                const char *role,
                JsonArray  *blocks)
{
  guint n = json_array_get_length (messages);
  JsonObject *message;

  if (json_array_get_length (blocks) == 0)
    return;

  if (n > 0)
    {
      JsonObject *last = json_array_get_object_element (messages, n - 1);

      if (g_str_equal (json_object_get_string_member (last, "role"), role))
        {
          JsonArray *content = json_object_get_array_member (last, "content");

          for (guint i = 0; i < json_array_get_length (blocks); i++)
            json_array_add_element (content, json_node_copy (json_array_get_element (blocks, i)));
          return;
        }
    }

  message = json_object_new ();
  json_object_set_string_member (message, "role", role);
  json_object_set_array_member (message, "content", json_array_ref (blocks));
  json_array_add_object_element (messages, message);
}

static JsonObject *
tool_use_block (JsonObject *call)
{
  JsonObject *function = nb_json_get_object (call, "function");
  const char *arguments = nb_json_get_string (function, "arguments");
  JsonObject *block = json_object_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *input = NULL;

  json_object_set_string_member (block, "type", "tool_use");
  json_object_set_string_member (block, "id", nb_json_get_string (call, "id") ? nb_json_get_string (call, "id") : "");
  json_object_set_string_member (block, "name", nb_json_get_string (function, "name") ? nb_json_get_string (function, "name") : "");

  /* Arguments that never parsed are sent as {}: the tool result already
   * told the model what was wrong with them. */
  if (arguments != NULL && nb_json_parser_load (parser, arguments, -1, NULL) &&
      nb_json_parser_holds_object (parser))
    input = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  else if (function != NULL && nb_json_get_object (function, "arguments") != NULL)
    input = json_object_ref (nb_json_get_object (function, "arguments"));
  json_object_set_object_member (block, "input", input ? input : json_object_new ());
  return block;
}

static JsonObject *
tool_result_block (JsonObject *message)
{
  JsonObject *block = json_object_new ();
  g_autofree char *text = nb_http_provider_content_text (json_object_get_member (message, "content"));

  json_object_set_string_member (block, "type", "tool_result");
  json_object_set_string_member (block, "tool_use_id",
                                 nb_json_get_string (message, "tool_call_id") ? nb_json_get_string (message, "tool_call_id") : "");
  json_object_set_string_member (block, "content", text);
  if (json_object_has_member (message, "is_error") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (message, "is_error")) &&
      json_object_get_boolean_member (message, "is_error"))
    json_object_set_boolean_member (block, "is_error", TRUE);
  return block;
}

static guint
thinking_budget (const char *effort)
{
  if (g_strcmp0 (effort, "low") == 0)
    return 1024;
  if (g_strcmp0 (effort, "high") == 0)
    return 16384;
  return 4096;
}

/* Whether the last message is a tool result: the model is mid-turn. */
static gboolean
continues_tool_loop (const NbChatRequest *request)
{
  JsonObject *last;

  if (request->messages->len == 0)
    return FALSE;
  last = g_ptr_array_index (request->messages, request->messages->len - 1);
  return g_strcmp0 (nb_json_get_string (last, "role"), "tool") == 0;
}

static JsonNode *
nb_anthropic_provider_build_request (NbHttpProvider       *self,
                                     const NbChatRequest  *request,
                                     const char           *model,
                                     SoupMessageHeaders   *headers,
                                     GError              **error)
{
  const char *api_key = nb_http_provider_get_api_key (self);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonArray) system = json_array_new ();
  g_autoptr(JsonArray) messages = json_array_new ();
  guint n;

  if (api_key != NULL && *api_key != '\0')
    soup_message_headers_replace (headers, "x-api-key", api_key);
  soup_message_headers_replace (headers, "anthropic-version", ANTHROPIC_VERSION);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");

  for (guint i = 0; i < request->messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (request->messages, i);
      const char *role = nb_json_get_string (message, "role");
      g_autoptr(JsonArray) blocks = json_array_new ();

      if (g_strcmp0 (role, "system") == 0)
        add_content_blocks (system, json_object_get_member (message, "content"));
      else if (g_strcmp0 (role, "user") == 0)
        {
          add_content_blocks (blocks, json_object_get_member (message, "content"));
          append_message (messages, "user", blocks);
        }
      else if (g_strcmp0 (role, "assistant") == 0)
        {
          JsonArray *calls = nb_json_get_array (message, "tool_calls");

          add_content_blocks (blocks, json_object_get_member (message, "content"));
          for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
            {
              JsonNode *call = json_array_get_element (calls, j);

              if (JSON_NODE_HOLDS_OBJECT (call))
                json_array_add_object_element (blocks, tool_use_block (json_node_get_object (call)));
            }
          append_message (messages, "assistant", blocks);
        }
      else if (g_strcmp0 (role, "tool") == 0)
        {
          json_array_add_object_element (blocks, tool_result_block (message));
          append_message (messages, "user", blocks);
        }
    }

  /* Prompt caching (P1): the prefix is tools → system → messages, so one
   * breakpoint after the tools, one after the system prompt and one at the
   * end of the newest turn cache everything a next call repeats. Three
   * breakpoints, within the API's limit of four. */
  json_object_set_string_member (body, "model", model);
  json_object_set_int_member (body, "max_tokens", request->max_tokens);

  if (json_array_get_length (system) > 0)
    {
      set_cache_control (json_array_get_object_element (system, json_array_get_length (system) - 1));
      json_object_set_array_member (body, "system", json_array_ref (system));
    }

  n = json_array_get_length (messages);
  if (n > 0)
    {
      JsonArray *content = json_object_get_array_member (json_array_get_object_element (messages, n - 1), "content");

      set_cache_control (json_array_get_object_element (content, json_array_get_length (content) - 1));
    }
  json_object_set_array_member (body, "messages", json_array_ref (messages));

  if (request->tools != NULL && json_array_get_length (request->tools) > 0)
    {
      JsonArray *tools = json_array_new ();

      for (guint i = 0; i < json_array_get_length (request->tools); i++)
        {
          JsonNode *node = json_array_get_element (request->tools, i);
          JsonObject *function = JSON_NODE_HOLDS_OBJECT (node)
            ? nb_json_get_object (json_node_get_object (node), "function") : NULL;
          JsonObject *tool;
          JsonObject *schema;

          if (function == NULL)
            continue;
          tool = json_object_new ();
          json_object_set_string_member (tool, "name", nb_json_get_string (function, "name") ? nb_json_get_string (function, "name") : "");
          if (nb_json_get_string (function, "description") != NULL)
            json_object_set_string_member (tool, "description", nb_json_get_string (function, "description"));
          schema = nb_json_get_object (function, "parameters");
          if (schema != NULL)
            json_object_set_member (tool, "input_schema", json_node_copy (json_object_get_member (function, "parameters")));
          else
            {
              schema = json_object_new ();
              json_object_set_string_member (schema, "type", "object");
              json_object_set_object_member (schema, "properties", json_object_new ());
              json_object_set_object_member (tool, "input_schema", schema);
            }
          json_array_add_object_element (tools, tool);
        }
      if (json_array_get_length (tools) > 0)
        set_cache_control (json_array_get_object_element (tools, json_array_get_length (tools) - 1));
      json_object_set_array_member (body, "tools", tools);
    }

  /* Thinking inside a tool loop needs the previous thinking blocks with
   * their signatures sent back, which the session does not keep; so it is
   * only asked for when a turn starts (the API allows that). */
  if (request->reasoning_effort != NULL && request->max_tokens > 2048 && !continues_tool_loop (request))
    {
      JsonObject *thinking = json_object_new ();
      guint budget = MIN (thinking_budget (request->reasoning_effort), (guint) request->max_tokens / 2);

      json_object_set_string_member (thinking, "type", "enabled");
      json_object_set_int_member (thinking, "budget_tokens", MAX (budget, 1024));
      json_object_set_object_member (body, "thinking", thinking);
      /* Extended thinking only runs at the default temperature. */
    }
  else
    json_object_set_double_member (body, "temperature", request->temperature);

  json_object_set_boolean_member (body, "stream", TRUE);

  return json_node_init_object (json_node_alloc (), body);
}

/* Reading the reply ------------------------------------------------------- */

static const char *
map_stop_reason (const char *reason)
{
  if (reason == NULL)
    return NULL;
  if (g_str_equal (reason, "end_turn") || g_str_equal (reason, "stop_sequence") ||
      g_str_equal (reason, "pause_turn"))
    return "stop";
  if (g_str_equal (reason, "tool_use"))
    return "tool_calls";
  if (g_str_equal (reason, "max_tokens"))
    return "length";
  if (g_str_equal (reason, "refusal"))
    return "content_filter";
  return reason;
}

static void
read_usage (NbProviderStream *stream,
            JsonObject       *usage)
{
  if (usage == NULL)
    return;
  /* message_start has the input side; message_delta's counts are
   * cumulative and may repeat or omit it. */
  if (json_object_has_member (usage, "input_tokens") && nb_json_get_int (usage, "input_tokens") > 0)
    stream->usage.input_tokens = nb_json_get_int (usage, "input_tokens");
  if (json_object_has_member (usage, "output_tokens"))
    stream->usage.output_tokens = nb_json_get_int (usage, "output_tokens");
  if (nb_json_get_int (usage, "cache_read_input_tokens") > 0)
    stream->usage.cache_read_tokens = nb_json_get_int (usage, "cache_read_input_tokens");
  if (nb_json_get_int (usage, "cache_creation_input_tokens") > 0)
    stream->usage.cache_write_tokens = nb_json_get_int (usage, "cache_creation_input_tokens");
}

static char *
nb_anthropic_provider_error_message (NbHttpProvider *self,
                                     JsonNode       *root)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonObject *error = nb_json_get_object (object, "error");
  const char *message = nb_json_get_string (error, "message");
  const char *type = nb_json_get_string (error, "type");

  if (message == NULL)
    return NULL;
  if (type != NULL)
    return g_strdup_printf ("%s: %s", type, message);
  return g_strdup (message);
}

static void
set_block_kind (NbProviderStream *stream,
                gint              index,
                BlockKind         kind)
{
  int value = kind;

  if (index < 0 || index > 4096)
    return;
  if ((guint) index >= stream->blocks->len)
    g_array_set_size (stream->blocks, index + 1);
  g_array_index (stream->blocks, int, index) = value;
}

static BlockKind
get_block_kind (NbProviderStream *stream,
                gint              index)
{
  if (index < 0 || (guint) index >= stream->blocks->len)
    return BLOCK_OTHER;
  return g_array_index (stream->blocks, int, index);
}

static void
start_block (NbProviderStream *stream,
             gint              index,
             JsonObject       *block)
{
  const char *type = nb_json_get_string (block, "type");

  if (g_strcmp0 (type, "text") == 0)
    {
      set_block_kind (stream, index, BLOCK_TEXT);
      nb_provider_stream_add_text (stream, nb_json_get_string (block, "text"));
    }
  else if (g_strcmp0 (type, "tool_use") == 0)
    {
      JsonObject *input = nb_json_get_object (block, "input");
      guint position;

      set_block_kind (stream, index, BLOCK_TOOL_USE);
      position = nb_provider_stream_begin_call (stream, index, nb_json_get_string (block, "id"),
                                                nb_json_get_string (block, "name"));
      /* Streams start with an empty input and send it as fragments; a
       * whole body has it here. */
      if (input != NULL && json_object_get_size (input) > 0)
        {
          g_autofree char *text = nb_json_to_data (json_object_get_member (block, "input"), FALSE, NULL);

          nb_provider_stream_add_arguments (stream, position, text);
        }
    }
  else if (g_strcmp0 (type, "thinking") == 0)
    {
      set_block_kind (stream, index, BLOCK_THINKING);
      nb_provider_stream_add_reasoning (stream, nb_json_get_string (block, "thinking"));
    }
  else
    set_block_kind (stream, index, BLOCK_OTHER);
}

static gboolean
nb_anthropic_provider_parse_event (NbHttpProvider    *self,
                                   NbProviderStream  *stream,
                                   const char        *event,
                                   const char        *data,
                                   gsize              length,
                                   GError           **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  const char *type;
  gint index;

  root = nb_http_provider_parse_object (self, stream, data, length, error);
  if (root == NULL)
    return FALSE;
  object = json_node_get_object (root);
  type = nb_json_get_string (object, "type");
  if (type == NULL)
    type = event;
  if (type == NULL)
    return TRUE;
  index = (gint) nb_json_get_int (object, "index");

  if (g_str_equal (type, "message_start"))
    read_usage (stream, nb_json_get_object (nb_json_get_object (object, "message"), "usage"));
  else if (g_str_equal (type, "content_block_start"))
    start_block (stream, index, nb_json_get_object (object, "content_block"));
  else if (g_str_equal (type, "content_block_delta"))
    {
      JsonObject *delta = nb_json_get_object (object, "delta");
      const char *delta_type = nb_json_get_string (delta, "type");

      if (g_strcmp0 (delta_type, "text_delta") == 0)
        nb_provider_stream_add_text (stream, nb_json_get_string (delta, "text"));
      else if (g_strcmp0 (delta_type, "thinking_delta") == 0)
        nb_provider_stream_add_reasoning (stream, nb_json_get_string (delta, "thinking"));
      else if (g_strcmp0 (delta_type, "input_json_delta") == 0)
        {
          gint position = nb_provider_stream_find_call (stream, index);

          if (position < 0 || get_block_kind (stream, index) != BLOCK_TOOL_USE)
            {
              g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                           _("%s sent tool input for a content block that is not a tool call"),
                           nb_provider_get_name (NB_PROVIDER (self)));
              return FALSE;
            }
          nb_provider_stream_add_arguments (stream, position, nb_json_get_string (delta, "partial_json"));
        }
      /* signature_delta and anything newer carry nothing to show. */
    }
  else if (g_str_equal (type, "message_delta"))
    {
      const char *reason = nb_json_get_string (nb_json_get_object (object, "delta"), "stop_reason");

      if (reason != NULL)
        nb_provider_stream_set_finish (stream, map_stop_reason (reason));
      read_usage (stream, nb_json_get_object (object, "usage"));
    }
  else if (g_str_equal (type, "message_stop"))
    stream->done = TRUE;
  else if (g_str_equal (type, "error"))
    {
      g_autofree char *message = nb_anthropic_provider_error_message (self, root);
      const char *error_type = nb_json_get_string (nb_json_get_object (object, "error"), "type");
      gboolean server = g_strcmp0 (error_type, "overloaded_error") == 0 || g_strcmp0 (error_type, "api_error") == 0;

      g_set_error (error, NB_PROVIDER_ERROR, server ? NB_PROVIDER_ERROR_SERVER : NB_PROVIDER_ERROR_FAILED,
                   _("%s reported an error during the reply: %s"),
                   nb_provider_get_name (NB_PROVIDER (self)), message ? message : _("unknown error"));
      return FALSE;
    }
  /* "ping", content_block_stop and unknown events need nothing. */
  return TRUE;
}

static gboolean
nb_anthropic_provider_parse_body (NbHttpProvider    *self,
                                  NbProviderStream  *stream,
                                  JsonNode          *root,
                                  GError           **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *content = nb_json_get_array (object, "content");

  if (g_strcmp0 (nb_json_get_string (object, "type"), "error") == 0)
    {
      g_autofree char *message = nb_anthropic_provider_error_message (self, root);

      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                   _("%s reported an error during the reply: %s"),
                   nb_provider_get_name (NB_PROVIDER (self)), message ? message : _("unknown error"));
      return FALSE;
    }
  if (content == NULL)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                   _("%s answered with JSON that holds no message"),
                   nb_provider_get_name (NB_PROVIDER (self)));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (content); i++)
    {
      JsonNode *node = json_array_get_element (content, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        start_block (stream, (gint) i, json_node_get_object (node));
    }
  nb_provider_stream_set_finish (stream, map_stop_reason (nb_json_get_string (object, "stop_reason")));
  read_usage (stream, nb_json_get_object (object, "usage"));
  stream->done = TRUE;
  return TRUE;
}

static void
nb_anthropic_provider_add_auth_headers (NbHttpProvider     *self,
                                        SoupMessageHeaders *headers)
{
  const char *api_key = nb_http_provider_get_api_key (self);

  if (api_key != NULL && *api_key != '\0')
    soup_message_headers_replace (headers, "x-api-key", api_key);
  soup_message_headers_replace (headers, "anthropic-version", ANTHROPIC_VERSION);
}

static void
nb_anthropic_provider_class_init (NbAnthropicProviderClass *klass)
{
  NbHttpProviderClass *http_class = NB_HTTP_PROVIDER_CLASS (klass);

  http_class->path = "/v1/messages";
  http_class->wire_format = NB_WIRE_FORMAT_SSE;
  http_class->build_request = nb_anthropic_provider_build_request;
  http_class->parse_event = nb_anthropic_provider_parse_event;
  http_class->parse_body = nb_anthropic_provider_parse_body;
  http_class->error_message = nb_anthropic_provider_error_message;
  /* One page of up to 1000 models: more than Anthropic has. */
  http_class->models_path = "/v1/models?limit=1000";
  http_class->models_member = "data";
  http_class->models_id = "id";
  http_class->add_auth_headers = nb_anthropic_provider_add_auth_headers;
}

static void
nb_anthropic_provider_init (NbAnthropicProvider *self)
{
}

/**
 * nb_anthropic_provider_new:
 * @name: the registry name ("anthropic")
 * @api_base: the URL before "/v1/messages"
 * @api_key: (nullable): sent as x-api-key
 *
 * Returns: (transfer full): a provider for the Anthropic Messages API
 */
NbProvider *
nb_anthropic_provider_new (const char *name,
                           const char *api_base,
                           const char *api_key)
{
  return g_object_new (NB_TYPE_ANTHROPIC_PROVIDER,
                       "name", name,
                       "api-base", api_base,
                       "api-key", api_key,
                       NULL);
}
