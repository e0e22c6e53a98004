/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What a provider reports while a reply streams in. */
typedef enum {
  NB_CHAT_DELTA_TEXT,
  NB_CHAT_DELTA_REASONING,
  NB_CHAT_DELTA_TOOL_CALL,
} NbChatDeltaKind;

/**
 * NbChatDeltaFunc:
 * @kind: what kind of fragment this is
 * @index: the tool call's position for %NB_CHAT_DELTA_TOOL_CALL, else 0
 * @text: the text or argument fragment (never %NULL, may be "")
 * @tool_name: (nullable): the tool's name when a tool call starts
 * @user_data: closure data
 *
 * Called on the main context of the caller as fragments arrive.
 */
typedef void (*NbChatDeltaFunc) (NbChatDeltaKind  kind,
                                 guint            index,
                                 const char      *text,
                                 const char      *tool_name,
                                 gpointer         user_data);

/**
 * NbChatRequest:
 * @messages: (element-type JsonObject): the conversation in the canonical
 *   (OpenAI Chat Completions / Python nanobot session) shape: objects with
 *   `role` (system, user, assistant, tool), `content` (a string, or an array
 *   of content parts), `tool_calls` (`[{id, type:"function",
 *   function:{name, arguments}}]`, arguments a JSON string), `tool_call_id`,
 *   `name`, `reasoning_content`. The system prompt, if any, is the first
 *   message with role "system". Each provider converts to its wire format.
 * @tools: (nullable): tool definitions in the OpenAI shape
 *   `[{type:"function", function:{name, description, parameters}}]`
 * @model: the model name without any provider prefix handling
 * @max_tokens: the output token limit
 * @temperature: sampling temperature
 * @reasoning_effort: (nullable): "low", "medium", "high" or %NULL
 */
typedef struct {
  GPtrArray *messages;
  JsonArray *tools;
  char      *model;
  int        max_tokens;
  double     temperature;
  char      *reasoning_effort;
} NbChatRequest;

NbChatRequest *nb_chat_request_new  (const char    *model);
void           nb_chat_request_free (NbChatRequest *request);
/* Takes a reference on @message. */
void           nb_chat_request_add_message (NbChatRequest *request,
                                            JsonObject    *message);

/**
 * NbToolCall:
 * @id: the provider's call id
 * @name: the tool's name
 * @arguments_json: the raw argument text as streamed
 * @arguments: (nullable): the parsed arguments (always a JSON object), or
 *   %NULL when @arguments_json did not parse; then @parse_error says why
 */
typedef struct {
  char       *id;
  char       *name;
  char       *arguments_json;
  JsonObject *arguments;
  char       *parse_error;
} NbToolCall;

NbToolCall *nb_tool_call_new  (const char *id,
                               const char *name,
                               const char *arguments_json);
void        nb_tool_call_free (NbToolCall *call);

/* Prompt tokens are split as Anthropic reports them: input_tokens are those
 * neither read from nor written to the prompt cache, so the whole prompt is
 * the sum of the first and the last two. (OpenAI-compatible servers count
 * the cache hits inside their prompt tokens; the provider subtracts them.) */
typedef struct {
  gint64 input_tokens;
  gint64 output_tokens;
  gint64 cache_read_tokens;
  gint64 cache_write_tokens;
} NbUsage;

/**
 * NbChatResponse:
 * @content: (nullable): the reply text
 * @reasoning: (nullable): reasoning text, if the model streamed any
 * @tool_calls: (element-type NbToolCall): the tool calls, in order
 * @finish_reason: "stop", "length", "tool_calls", "content_filter", "error"
 * @usage: token counts
 */
typedef struct {
  char      *content;
  char      *reasoning;
  GPtrArray *tool_calls;
  char      *finish_reason;
  NbUsage    usage;
} NbChatResponse;

NbChatResponse *nb_chat_response_new  (void);
void            nb_chat_response_free (NbChatResponse *response);

/* Loads a reply's JSON text; a \u0000 escape reads as U+FFFD, because a
 * json-glib string ends at a NUL and would lose the rest of its text. */
gboolean nb_json_parser_load_reply (JsonParser  *parser,
                                    const char  *data,
                                    gssize       length,
                                    GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbChatRequest, nb_chat_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbChatResponse, nb_chat_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbToolCall, nb_tool_call_free)

#define NB_PROVIDER_ERROR (nb_provider_error_quark ())

typedef enum {
  NB_PROVIDER_ERROR_FAILED,         /* anything else */
  NB_PROVIDER_ERROR_CONNECT,        /* nothing answered at the base URL */
  NB_PROVIDER_ERROR_AUTH,           /* 401/403: the key is wrong */
  NB_PROVIDER_ERROR_RATE_LIMIT,     /* 429 after the retries */
  NB_PROVIDER_ERROR_SERVER,         /* 5xx after the retries */
  NB_PROVIDER_ERROR_BAD_REQUEST,    /* other 4xx */
  NB_PROVIDER_ERROR_PROTOCOL,       /* the reply was not the wire format */
  NB_PROVIDER_ERROR_TIMEOUT,
} NbProviderError;

GQuark nb_provider_error_quark (void);

#define NB_TYPE_PROVIDER (nb_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (NbProvider, nb_provider, NB, PROVIDER, GObject)

struct _NbProviderClass
{
  GObjectClass parent_class;

  void             (*chat_async)  (NbProvider          *self,
                                   const NbChatRequest *request,
                                   NbChatDeltaFunc      delta_func,
                                   gpointer             delta_data,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
  NbChatResponse  *(*chat_finish) (NbProvider          *self,
                                   GAsyncResult        *result,
                                   GError             **error);

  /* The models the provider offers (nb-provider-models.c); without them,
   * nb_provider_list_models_async() reports G_IO_ERROR_NOT_SUPPORTED. */
  void             (*list_models_async)  (NbProvider          *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
  GStrv            (*list_models_finish) (NbProvider          *self,
                                          GAsyncResult        *result,
                                          GError             **error);
};

/* The provider's registry name ("openai", "anthropic", "ollama", …). */
const char     *nb_provider_get_name    (NbProvider          *self);
void            nb_provider_chat_async  (NbProvider          *self,
                                         const NbChatRequest *request,
                                         NbChatDeltaFunc      delta_func,
                                         gpointer             delta_data,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
NbChatResponse *nb_provider_chat_finish (NbProvider          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Models (nb-provider-models.c). */
void            nb_provider_list_models_async  (NbProvider          *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GStrv           nb_provider_list_models_finish (NbProvider          *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* The context window of @model (a provider prefix such as "anthropic/"
 * is ignored) from a small table of known families, else a default. */
gint64          nb_provider_get_context_window (NbProvider          *self,
                                                const char          *model);

/* The context window assumed for models the table does not know. */
#define NB_PROVIDER_DEFAULT_CONTEXT_WINDOW 128000
/* Ollama's default num_ctx, which applies as requests do not set one. */
#define NB_PROVIDER_OLLAMA_CONTEXT_WINDOW  4096

G_END_DECLS
