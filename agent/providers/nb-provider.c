/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider"

#include "config.h"

#include <string.h>

#include "nb-json-util.h"
#include "nb-provider.h"

typedef struct
{
  char *name;
} NbProviderPrivate;

enum {
  PROP_0,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbProvider, nb_provider, G_TYPE_OBJECT)
G_DEFINE_QUARK (nb-provider-error-quark, nb_provider_error)

/**
 * nb_chat_request_new:
 * @model: the model name
 *
 * Returns: (transfer full): an empty request; free with nb_chat_request_free()
 */
NbChatRequest *
nb_chat_request_new (const char *model)
{
  NbChatRequest *request = g_new0 (NbChatRequest, 1);

  request->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  request->model = g_strdup (model);
  request->max_tokens = 4096;
  request->temperature = 0.7;
  return request;
}

void
nb_chat_request_add_message (NbChatRequest *request,
                             JsonObject    *message)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (message != NULL);

  g_ptr_array_add (request->messages, json_object_ref (message));
}

void
nb_chat_request_free (NbChatRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->messages, g_ptr_array_unref);
  g_clear_pointer (&request->tools, json_array_unref);
  g_free (request->model);
  g_free (request->reasoning_effort);
  g_free (request);
}

/* A copy of @data with each \u0000 escape made \uFFFD (same length), or
 * NULL when there is none. A backslash always starts a two-character
 * escape, so "\\u0000" (a backslash, then text) is left alone. */
static char *
replace_nul_escapes (const char *data,
                     gsize       length)
{
  char *copy = NULL;

  for (gsize i = 0; i + 1 < length; i++)
    {
      if (data[i] != '\\')
        continue;
      if (data[i + 1] == 'u' && i + 5 < length && memcmp (data + i + 2, "0000", 4) == 0)
        {
          if (copy == NULL)
            copy = g_memdup2 (data, length);
          memcpy (copy + i + 2, "FFFD", 4);
        }
      i++;
    }
  return copy;
}

/**
 * nb_json_parser_load_reply:
 * @parser: the parser
 * @data: JSON text from a provider
 * @length: its length, or -1 when NUL-terminated
 * @error: the parse error
 *
 * Loads a provider's JSON with each `\u0000` escape read as U+FFFD:
 * json-glib's strings end at a NUL, which would cut the rest of the text.
 *
 * Returns: whether @data parsed
 */
gboolean
nb_json_parser_load_reply (JsonParser  *parser,
                           const char  *data,
                           gssize       length,
                           GError     **error)
{
  g_autofree char *copy = NULL;
  gsize size = length < 0 ? strlen (data) : (gsize) length;

  copy = replace_nul_escapes (data, size);
  return nb_json_parser_load (parser, copy != NULL ? copy : data, size, error);
}

/**
 * nb_tool_call_new:
 * @id: the call id
 * @name: the tool name
 * @arguments_json: (nullable): the arguments as the model sent them
 *
 * Returns: (transfer full): a call; free with nb_tool_call_free()
 */
NbToolCall *
nb_tool_call_new (const char *id,
                  const char *name,
                  const char *arguments_json)
{
  NbToolCall *call = g_new0 (NbToolCall, 1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *text = arguments_json != NULL ? arguments_json : "";

  call->id = g_strdup (id);
  call->name = g_strdup (name);
  call->arguments_json = g_strdup (text);

  /* An empty argument string is how many servers say "no arguments". */
  if (*text == '\0')
    {
      call->arguments = json_object_new ();
      return call;
    }

  /* json-glib quotes the text it stopped at, cut at a byte count, maybe
   * inside a character (found by tests/fuzz/fuzz-tool-args.c). */
  if (!nb_json_parser_load_reply (parser, text, -1, &error))
    call->parse_error = g_utf8_make_valid (error->message, -1);
  /* Only white space: no root, and no arguments as above (found by
   * tests/fuzz/fuzz-tool-args.c). */
  else if (json_parser_get_root (parser) == NULL)
    call->arguments = json_object_new ();
  else if (!nb_json_parser_holds_object (parser))
    call->parse_error = g_strdup ("the arguments are not a JSON object");
  else
    call->arguments = json_object_ref (json_node_get_object (json_parser_get_root (parser)));

  return call;
}

void
nb_tool_call_free (NbToolCall *call)
{
  if (call == NULL)
    return;
  g_free (call->id);
  g_free (call->name);
  g_free (call->arguments_json);
  g_clear_pointer (&call->arguments, json_object_unref);
  g_free (call->parse_error);
  g_free (call);
}

/**
 * nb_chat_response_new:
 *
 * Returns: (transfer full): an empty response; free with nb_chat_response_free()
 */
NbChatResponse *
nb_chat_response_new (void)
{
  NbChatResponse *response = g_new0 (NbChatResponse, 1);

  response->tool_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) nb_tool_call_free);
  return response;
}

void
nb_chat_response_free (NbChatResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->content);
  g_free (response->reasoning);
  g_clear_pointer (&response->tool_calls, g_ptr_array_unref);
  g_free (response->finish_reason);
  g_free (response);
}

static void
nb_provider_finalize (GObject *object)
{
  NbProvider *self = NB_PROVIDER (object);
  NbProviderPrivate *priv = nb_provider_get_instance_private (self);

  g_clear_pointer (&priv->name, g_free);

  G_OBJECT_CLASS (nb_provider_parent_class)->finalize (object);
}

static void
nb_provider_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  NbProvider *self = NB_PROVIDER (object);
  NbProviderPrivate *priv = nb_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_provider_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  NbProvider *self = NB_PROVIDER (object);
  NbProviderPrivate *priv = nb_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_provider_class_init (NbProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nb_provider_finalize;
  object_class->get_property = nb_provider_get_property;
  object_class->set_property = nb_provider_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_provider_init (NbProvider *self)
{
}

const char *
nb_provider_get_name (NbProvider *self)
{
  NbProviderPrivate *priv = nb_provider_get_instance_private (self);

  g_return_val_if_fail (NB_IS_PROVIDER (self), NULL);

  return priv->name;
}

/**
 * nb_provider_chat_async:
 * @self: a provider
 * @request: the request; the provider copies what it needs before returning
 * @delta_func: (nullable): called as fragments stream in
 * @delta_data: data for @delta_func; must stay valid until @callback runs
 * @cancellable: (nullable): cancels the request and its stream
 * @callback: called with the finished reply
 * @user_data: data for @callback
 *
 * Sends one chat request and streams the reply. Retries transient failures.
 */
void
nb_provider_chat_async (NbProvider          *self,
                        const NbChatRequest *request,
                        NbChatDeltaFunc      delta_func,
                        gpointer             delta_data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (NB_IS_PROVIDER (self));
  g_return_if_fail (request != NULL);

  NB_PROVIDER_GET_CLASS (self)->chat_async (self, request, delta_func, delta_data,
                                            cancellable, callback, user_data);
}

/**
 * nb_provider_chat_finish:
 *
 * Returns: (transfer full): the reply, or %NULL with @error set
 */
NbChatResponse *
nb_provider_chat_finish (NbProvider    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (NB_IS_PROVIDER (self), NULL);

  return NB_PROVIDER_GET_CLASS (self)->chat_finish (self, result, error);
}
