/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-http-provider"

#include "config.h"

#include "nb-http-provider-private.h"

/*
 * NbHttpProvider, the object: its properties and settings. The chat call is
 * in nb-http-provider-call.c, the framing of the body in
 * nb-http-provider-framing.c, and the reply being collected is an
 * NbProviderStream (nb-provider-stream.c).
 */

enum {
  PROP_0,
  PROP_API_BASE,
  PROP_API_KEY,
  PROP_KEY_HINT,
  PROP_MODEL_PREFIX,
  PROP_CONNECT_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_NO_PROGRESS_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbHttpProvider, nb_http_provider, NB_TYPE_PROVIDER)

/* Shared by the files of NbHttpProvider --------------------------------- */

NbHttpProviderPrivate *
nb_http_provider_get_private (NbHttpProvider *self)
{
  return nb_http_provider_get_instance_private (self);
}

const char *
nb_http_provider_get_display_name (NbHttpProvider *self)
{
  const char *name = nb_provider_get_name (NB_PROVIDER (self));

  return name != NULL ? name : "provider";
}

/* Helpers for subclasses ------------------------------------------------ */

char *
nb_http_provider_content_text (JsonNode *content)
{
  GString *text;
  JsonArray *parts;

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (content))
    return g_strdup (json_node_get_string (content) ? json_node_get_string (content) : "");
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return g_strdup ("");

  text = g_string_new (NULL);
  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *part = json_array_get_element (parts, i);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        continue;
      object = json_node_get_object (part);
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", "text"), "text") == 0)
        {
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, json_object_get_string_member_with_default (object, "text", ""));
        }
    }
  return g_string_free (text, FALSE);
}

void
nb_http_provider_add_extra_headers (NbHttpProvider     *self,
                                    SoupMessageHeaders *headers)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, priv->extra_headers);
  while (g_hash_table_iter_next (&iter, &name, &value))
    soup_message_headers_replace (headers, name, value);
}

/* The object ------------------------------------------------------------ */

static void
nb_http_provider_finalize (GObject *object)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_clear_pointer (&priv->api_base, g_free);
  g_clear_pointer (&priv->api_key, g_free);
  g_clear_pointer (&priv->key_hint, g_free);
  g_clear_pointer (&priv->model_prefix, g_free);
  g_clear_pointer (&priv->extra_headers, g_hash_table_unref);

  G_OBJECT_CLASS (nb_http_provider_parent_class)->finalize (object);
}

static void
nb_http_provider_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_API_BASE:
      g_value_set_string (value, priv->api_base);
      break;
    case PROP_API_KEY:
      g_value_set_string (value, priv->api_key);
      break;
    case PROP_KEY_HINT:
      g_value_set_string (value, priv->key_hint);
      break;
    case PROP_MODEL_PREFIX:
      g_value_set_string (value, priv->model_prefix);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, priv->connect_timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, priv->idle_timeout);
      break;
    case PROP_NO_PROGRESS_TIMEOUT:
      g_value_set_uint (value, priv->no_progress_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_http_provider_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NbHttpProvider *self = NB_HTTP_PROVIDER (object);
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_API_BASE:
      g_free (priv->api_base);
      priv->api_base = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      g_free (priv->api_key);
      priv->api_key = g_value_dup_string (value);
      break;
    case PROP_KEY_HINT:
      g_free (priv->key_hint);
      priv->key_hint = g_value_dup_string (value);
      break;
    case PROP_MODEL_PREFIX:
      g_free (priv->model_prefix);
      priv->model_prefix = g_value_dup_string (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      priv->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      priv->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_NO_PROGRESS_TIMEOUT:
      priv->no_progress_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_http_provider_class_init (NbHttpProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbProviderClass *provider_class = NB_PROVIDER_CLASS (klass);

  object_class->finalize = nb_http_provider_finalize;
  object_class->get_property = nb_http_provider_get_property;
  object_class->set_property = nb_http_provider_set_property;

  provider_class->chat_async = nb_http_provider_chat_async;
  provider_class->chat_finish = nb_http_provider_chat_finish;
  provider_class->list_models_async = nb_http_provider_list_models_async;
  provider_class->list_models_finish = nb_http_provider_list_models_finish;
  klass->add_auth_headers = nb_http_provider_add_bearer_header;

  properties[PROP_API_BASE] =
    g_param_spec_string ("api-base", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Said after an authentication error: where to put the key. */
  properties[PROP_KEY_HINT] =
    g_param_spec_string ("key-hint", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* "anthropic/" for anthropic: removed from the front of the model name. */
  properties[PROP_MODEL_PREFIX] =
    g_param_spec_string ("model-prefix", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 3600, 10,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 1, 24 * 3600, 120,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* See NB_HTTP_PROVIDER_NO_PROGRESS_TIMEOUT_S. */
  properties[PROP_NO_PROGRESS_TIMEOUT] =
    g_param_spec_uint ("no-progress-timeout", NULL, NULL, 1, 24 * 3600, NB_HTTP_PROVIDER_NO_PROGRESS_TIMEOUT_S,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_http_provider_init (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  priv->extra_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->connect_timeout = 10;
  priv->idle_timeout = 120;
  priv->no_progress_timeout = NB_HTTP_PROVIDER_NO_PROGRESS_TIMEOUT_S;
  priv->max_retries = 3;
  priv->base_delay_ms = 1000;
}

const char *
nb_http_provider_get_api_base (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_val_if_fail (NB_IS_HTTP_PROVIDER (self), NULL);

  return priv->api_base;
}

const char *
nb_http_provider_get_api_key (NbHttpProvider *self)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_val_if_fail (NB_IS_HTTP_PROVIDER (self), NULL);

  return priv->api_key;
}

/**
 * nb_http_provider_set_extra_header:
 *
 * Adds a header sent with every request (`extraHeaders` in the config);
 * it replaces a header of the same name the provider would send.
 */
void
nb_http_provider_set_extra_header (NbHttpProvider *self,
                                   const char     *name,
                                   const char     *value)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_if_fail (NB_IS_HTTP_PROVIDER (self));
  g_return_if_fail (name != NULL);

  if (value == NULL)
    g_hash_table_remove (priv->extra_headers, name);
  else
    g_hash_table_insert (priv->extra_headers, g_strdup (name), g_strdup (value));
}

void
nb_http_provider_set_retry_policy (NbHttpProvider *self,
                                   guint           max_retries,
                                   guint           base_delay_ms)
{
  NbHttpProviderPrivate *priv = nb_http_provider_get_instance_private (self);

  g_return_if_fail (NB_IS_HTTP_PROVIDER (self));

  priv->max_retries = max_retries;
  priv->base_delay_ms = base_delay_ms;
}
