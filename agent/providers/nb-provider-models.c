/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http.h"
#include "nb-http-provider-private.h"
#include "nb-json-util.h"
#include "nb-ollama-provider.h"

/*
 * What the model menu needs from a provider: the names of the models it
 * offers, and how large a context each has (for "12 % of the context").
 *
 * Network providers list with one GET through the shared SoupSession:
 * OpenAI-compatible `{apiBase}/models` (data[].id), Anthropic
 * `/v1/models` (data[].id, with its key and version headers), Ollama
 * `/api/tags` (models[].name). The body is bounded, the call has a time
 * limit, and HTTP errors read as a chat call's do. Nothing is retried:
 * the menu can ask again.
 */

#define MODELS_MAX_BODY   (4 * 1024 * 1024)
#define MODELS_READ_CHUNK (64 * 1024)

/* NbProvider */

/**
 * nb_provider_list_models_async:
 *
 * Asks the provider which models it offers. Providers that cannot say
 * report %G_IO_ERROR_NOT_SUPPORTED.
 */
void
nb_provider_list_models_async (NbProvider          *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  NbProviderClass *klass;

  g_return_if_fail (NB_IS_PROVIDER (self));

  klass = NB_PROVIDER_GET_CLASS (self);
  if (klass->list_models_async == NULL || klass->list_models_finish == NULL)
    {
      g_task_report_new_error (self, callback, user_data, nb_provider_list_models_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("%s cannot list its models"),
                               nb_provider_get_name (self) != NULL ? nb_provider_get_name (self) : "provider");
      return;
    }
  klass->list_models_async (self, cancellable, callback, user_data);
}

/**
 * nb_provider_list_models_finish:
 *
 * Returns: (transfer full): the model names in the provider's order
 *   (maybe none), or %NULL with @error set
 */
GStrv
nb_provider_list_models_finish (NbProvider    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (NB_IS_PROVIDER (self), NULL);

  if (g_async_result_is_tagged (result, nb_provider_list_models_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return NB_PROVIDER_GET_CLASS (self)->list_models_finish (self, result, error);
}

/* Context windows */

typedef struct
{
  const char *prefix;
  gint64      tokens;
} ContextWindow;

/* By model-name prefix, the first match wins: specific names first.
 * Figures from the vendors' model pages. */
static const ContextWindow context_windows[] = {
  { "claude-", 200000 },
  { "gpt-4.1", 1047576 },
  { "gpt-4o", 128000 },
  { "gpt-4-turbo", 128000 },
  { "gpt-4-32k", 32768 },
  { "gpt-4", 8192 },
  { "gpt-3.5-turbo", 16385 },
  { "gpt-5", 400000 },
  { "o1-mini", 128000 },
  { "o1", 200000 },
  { "o3", 200000 },
  { "o4", 200000 },
  { "gemini-1.5-pro", 2097152 },
  { "gemini", 1048576 },
  { "deepseek", 128000 },
  { "mistral-large", 128000 },
  { "codestral", 256000 },
  { "kimi-k2", 131072 },
  { "moonshot-v1-8k", 8192 },
  { "moonshot-v1-32k", 32768 },
  { "moonshot-v1-128k", 131072 },
  { "llama-3", 131072 },
  { "llama3", 131072 },
  { "grok", 131072 },
};

/**
 * nb_provider_get_context_window:
 * @self: (nullable): the provider that serves @model, if known
 * @model: (nullable): the model name, with or without a provider prefix
 *
 * Ollama serves every model with its num_ctx, which requests leave at the
 * server's default: that default is the window there.
 *
 * Returns: the context window in tokens
 */
gint64
nb_provider_get_context_window (NbProvider *self,
                                const char *model)
{
  const char *slash;

  g_return_val_if_fail (self == NULL || NB_IS_PROVIDER (self), NB_PROVIDER_DEFAULT_CONTEXT_WINDOW);

  if (self != NULL && NB_IS_OLLAMA_PROVIDER (self))
    return NB_PROVIDER_OLLAMA_CONTEXT_WINDOW;
  if (model == NULL)
    return NB_PROVIDER_DEFAULT_CONTEXT_WINDOW;
  /* "anthropic/claude-…", "openrouter/meta-llama/llama-3…" */
  slash = strrchr (model, '/');
  if (slash != NULL)
    model = slash + 1;
  for (guint i = 0; i < G_N_ELEMENTS (context_windows); i++)
    if (g_ascii_strncasecmp (model, context_windows[i].prefix, strlen (context_windows[i].prefix)) == 0)
      return context_windows[i].tokens;
  return NB_PROVIDER_DEFAULT_CONTEXT_WINDOW;
}

/* NbHttpProvider */

/* See nb-http-provider-private.h. */
void
nb_http_provider_add_bearer_header (NbHttpProvider     *self,
                                    SoupMessageHeaders *headers)
{
  const char *api_key = nb_http_provider_get_api_key (self);

  if (api_key != NULL && *api_key != '\0')
    {
      g_autofree char *value = g_strconcat ("Bearer ", api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }
}

typedef struct
{
  SoupMessage  *message;
  GInputStream *input;
  GByteArray   *body;
  GCancellable *cancellable;    /* the call's own: the caller's or the time limit */
  GCancellable *caller;
  gulong        caller_id;
  guint         timeout_id;
  gboolean      timed_out;
} ModelsCall;

static void
models_call_free (gpointer data)
{
  ModelsCall *call = data;

  g_clear_handle_id (&call->timeout_id, g_source_remove);
  if (call->caller != NULL)
    g_cancellable_disconnect (call->caller, call->caller_id);
  g_clear_object (&call->caller);
  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_clear_object (&call->cancellable);
  g_free (call);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static gboolean
models_timeout_cb (gpointer user_data)
{
  ModelsCall *call = user_data;

  call->timeout_id = 0;
  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
models_fail (GTask  *task,
             GError *error)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  ModelsCall *call = g_task_get_task_data (task);
  const char *name = nb_http_provider_get_display_name (self);

  if (call->timed_out)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT,
                               _("%s: no list of models from %s within %u s"),
                               name, priv->api_base, priv->connect_timeout + priv->idle_timeout);
      g_error_free (error);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      error->domain == G_RESOLVER_ERROR)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT,
                               _("%s: nothing answered at %s (%s)"), name, priv->api_base, error->message);
      g_error_free (error);
      return;
    }
  g_task_return_error (task, error);
}

static void
models_parse (GTask *task)
{
  NbHttpProvider *self = g_task_get_source_object (task);
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);
  ModelsCall *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->message);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonArray *models;

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, nb_http_provider_status_error (self, status,
                                                                soup_message_get_reason_phrase (call->message),
                                                                call->body));
      return;
    }

  if (!nb_json_parser_load_reply (parser, (const char *) call->body->data, call->body->len, &error) ||
      !nb_json_parser_holds_object (parser))
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                               _("%s: the list of models is not JSON (%s)"),
                               nb_http_provider_get_display_name (self),
                               error != NULL ? error->message : _("not an object"));
      return;
    }
  root = json_parser_get_root (parser);
  models = nb_json_get_array (json_node_get_object (root), klass->models_member);
  if (models == NULL)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                               _("%s: the list of models has no “%s”"),
                               nb_http_provider_get_display_name (self), klass->models_member);
      return;
    }
  for (guint i = 0; i < json_array_get_length (models); i++)
    {
      JsonNode *node = json_array_get_element (models, i);
      const char *id = JSON_NODE_HOLDS_OBJECT (node) ? nb_json_get_string (json_node_get_object (node), klass->models_id) : NULL;

      if (id != NULL && *id != '\0' && g_utf8_validate (id, -1, NULL))
        g_strv_builder_add (names, id);
    }
  g_task_return_pointer (task, g_strv_builder_end (names), (GDestroyNotify) g_strfreev);
}

static void models_read_next (GTask *task);

static void
models_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbHttpProvider *self = g_task_get_source_object (task);
  ModelsCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (bytes == NULL)
    {
      models_fail (task, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      g_clear_handle_id (&call->timeout_id, g_source_remove);
      models_parse (task);
      return;
    }
  if (call->body->len + g_bytes_get_size (bytes) > MODELS_MAX_BODY)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                               _("%s: the list of models is larger than %u MiB"),
                               nb_http_provider_get_display_name (self), MODELS_MAX_BODY / (1024 * 1024));
      return;
    }
  g_byte_array_append (call->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  models_read_next (g_steal_pointer (&task));
}

/* Takes @task. */
static void
models_read_next (GTask *task)
{
  ModelsCall *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->input, MODELS_READ_CHUNK, G_PRIORITY_DEFAULT,
                                   call->cancellable, models_read_cb, task);
}

static void
models_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ModelsCall *call = g_task_get_task_data (task);
  GError *error = NULL;

  call->input = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (call->input == NULL)
    {
      models_fail (task, error);
      return;
    }
  call->body = g_byte_array_new ();
  models_read_next (g_steal_pointer (&task));
}

/* See nb-http-provider-private.h. */
void
nb_http_provider_list_models_async (NbProvider          *provider,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (provider);
  NbHttpProviderPrivate *priv = nb_http_provider_get_private (self);
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);
  g_autoptr(GTask) task = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;
  ModelsCall *call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_http_provider_list_models_async);

  if (klass->models_path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("%s cannot list its models"), nb_http_provider_get_display_name (self));
      return;
    }
  if (priv->api_base == NULL || *priv->api_base == '\0')
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                               _("%s has no apiBase; set providers.%s.apiBase in the configuration"),
                               nb_http_provider_get_display_name (self), nb_http_provider_get_display_name (self));
      return;
    }

  base = g_strdup (priv->api_base);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strconcat (base, klass->models_path, NULL);

  call = g_new0 (ModelsCall, 1);
  g_task_set_task_data (task, call, models_call_free);
  call->message = soup_message_new (SOUP_METHOD_GET, url);
  if (call->message == NULL)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                               _("%s: the apiBase “%s” is not a valid URL"),
                               nb_http_provider_get_display_name (self), priv->api_base);
      return;
    }
  headers = soup_message_get_request_headers (call->message);
  if (klass->add_auth_headers != NULL)
    klass->add_auth_headers (self, headers);
  soup_message_headers_replace (headers, "Accept", "application/json");
  nb_http_provider_add_extra_headers (self, headers);

  call->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->caller = g_object_ref (cancellable);
      call->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                               call->cancellable, NULL);
    }
  call->timeout_id = g_timeout_add_seconds (priv->connect_timeout + priv->idle_timeout,
                                            models_timeout_cb, call);

  soup_session_send_async (nb_http_get_session (), call->message, G_PRIORITY_DEFAULT,
                           call->cancellable, models_sent_cb, g_steal_pointer (&task));
}

/* See nb-http-provider-private.h. */
GStrv
nb_http_provider_list_models_finish (NbProvider    *provider,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
