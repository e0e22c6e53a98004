/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider-registry"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-anthropic-provider.h"
#include "nb-http-provider.h"
#include "nb-ollama-provider.h"
#include "nb-openai-provider.h"
#include "nb-provider-registry.h"

#define KEYRING_TIMEOUT_MS 1000

#define KEYWORDS(...) ((const char * const[]) { __VA_ARGS__, NULL })
#define NO_KEYWORDS   ((const char * const[]) { NULL })

/* Order is priority: the custom endpoint, gateways (they route any model),
 * the standard providers, local servers, then the auxiliary ones, as in the
 * Python nanobot's registry. */
static const NbProviderSpec specs[] = {
  { "custom", "Custom", NO_KEYWORDS, NULL, NULL, NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "openrouter", "OpenRouter", KEYWORDS ("openrouter"), "OPENROUTER_API_KEY",
    "https://openrouter.ai/api/v1", NB_PROVIDER_WIRE_OPENAI, TRUE, FALSE, NULL },
  { "anthropic", "Anthropic", KEYWORDS ("anthropic", "claude"), "ANTHROPIC_API_KEY",
    "https://api.anthropic.com", NB_PROVIDER_WIRE_ANTHROPIC, FALSE, FALSE, NULL },
  { "openai", "OpenAI", KEYWORDS ("openai", "gpt"), "OPENAI_API_KEY",
    "https://api.openai.com/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "deepseek", "DeepSeek", KEYWORDS ("deepseek"), "DEEPSEEK_API_KEY",
    "https://api.deepseek.com", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "gemini", "Gemini", KEYWORDS ("gemini"), "GEMINI_API_KEY",
    "https://generativelanguage.googleapis.com/v1beta/openai", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "zhipu", "Zhipu AI", KEYWORDS ("zhipu", "glm", "zai"), "ZAI_API_KEY",
    "https://open.bigmodel.cn/api/paas/v4", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "dashscope", "DashScope", KEYWORDS ("qwen", "dashscope"), "DASHSCOPE_API_KEY",
    "https://dashscope.aliyuncs.com/compatible-mode/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "moonshot", "Moonshot", KEYWORDS ("moonshot", "kimi"), "MOONSHOT_API_KEY",
    "https://api.moonshot.ai/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "minimax", "MiniMax", KEYWORDS ("minimax"), "MINIMAX_API_KEY",
    "https://api.minimax.io/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
  { "mistral", "Mistral", KEYWORDS ("mistral", "mixtral", "codestral", "magistral"), "MISTRAL_API_KEY",
    "https://api.mistral.ai/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL, TRUE },
  { "vllm", "vLLM/Local", KEYWORDS ("vllm"), "HOSTED_VLLM_API_KEY",
    NULL, NB_PROVIDER_WIRE_OPENAI, FALSE, TRUE, NULL },
  { "ollama", "Ollama", KEYWORDS ("ollama"), "OLLAMA_API_KEY",
    "http://localhost:11434", NB_PROVIDER_WIRE_OLLAMA, FALSE, TRUE, "11434" },
  { "groq", "Groq", KEYWORDS ("groq"), "GROQ_API_KEY",
    "https://api.groq.com/openai/v1", NB_PROVIDER_WIRE_OPENAI, FALSE, FALSE, NULL },
};

const SecretSchema *
nb_provider_registry_get_secret_schema (void)
{
  static const SecretSchema schema = {
    NB_PROVIDER_SECRET_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

const NbProviderSpec *
nb_provider_registry_get_specs (guint *n_specs)
{
  if (n_specs != NULL)
    *n_specs = G_N_ELEMENTS (specs);
  return specs;
}

const NbProviderSpec *
nb_provider_registry_find (const char *name)
{
  g_autofree char *normalized = NULL;

  if (name == NULL)
    return NULL;
  normalized = g_strdelimit (g_ascii_strdown (name, -1), "-", '_');
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (g_str_equal (specs[i].name, normalized))
      return &specs[i];
  return NULL;
}

static const char *
config_value (NbConfig             *config,
              const NbProviderSpec *spec,
              const char           *key)
{
  g_autofree char *path = g_strdup_printf ("providers.%s.%s", spec->name, key);
  const char *value = nb_config_get_string (config, path);

  return value != NULL && *value != '\0' ? value : NULL;
}

/**
 * nb_provider_registry_dup_key:
 * @source: (out) (optional): "config", "keyring" or "environment"
 *
 * Returns: (transfer full) (nullable): the key @spec would use
 */
/* @value without surrounding whitespace, or NULL when nothing is left. */
static char *
dup_trimmed (const char *value)
{
  g_autofree char *key = value != NULL ? g_strstrip (g_strdup (value)) : NULL;

  return key != NULL && *key != '\0' ? g_steal_pointer (&key) : NULL;
}

char *
nb_provider_registry_dup_key (NbConfig              *config,
                              const NbProviderSpec  *spec,
                              GHashTable            *keyring_keys,
                              const char           **source)
{
  char *key;
  const char *from = NULL;

  /* Whitespace around a key (a pasted line break, "$'sk-…\n'") is not part
   * of it; a source with only whitespace has no key. */
  if ((key = dup_trimmed (config_value (config, spec, "apiKey"))) != NULL)
    from = "config";
  else if (keyring_keys != NULL &&
           (key = dup_trimmed (g_hash_table_lookup (keyring_keys, spec->name))) != NULL)
    from = "keyring";
  else if (spec->env_key != NULL && (key = dup_trimmed (g_getenv (spec->env_key))) != NULL)
    from = "environment";

  if (source)
    *source = from;
  return key;
}

/* Whether @spec can take a request: a key, or a local server. The custom
 * endpoint counts as ready once it has an apiBase (local OpenAI-compatible
 * servers often need no key). */
static gboolean
is_ready (NbConfig             *config,
          const NbProviderSpec *spec,
          GHashTable           *keyring_keys)
{
  g_autofree char *key = NULL;

  if (spec->is_local)
    return TRUE;
  if (g_str_equal (spec->name, "custom") && config_value (config, spec, "apiBase") != NULL)
    return TRUE;
  key = nb_provider_registry_dup_key (config, spec, keyring_keys, NULL);
  return key != NULL;
}

static gboolean
keyword_matches (const char *keyword,
                 const char *model,
                 const char *model_normalized)
{
  g_autofree char *normalized = g_strdelimit (g_strdup (keyword), "-", '_');

  return strstr (model, keyword) != NULL || strstr (model_normalized, normalized) != NULL;
}

const NbProviderSpec *
nb_provider_registry_match (NbConfig    *config,
                            const char  *model,
                            GHashTable  *keyring_keys,
                            GError     **error)
{
  const char *forced = nb_config_get_string (config, "agents.defaults.provider");
  g_autofree char *lower = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *prefix = NULL;
  const NbProviderSpec *local_fallback = NULL;
  const char *slash;

  if (forced != NULL && *forced != '\0' && g_ascii_strcasecmp (forced, "auto") != 0)
    {
      const NbProviderSpec *spec = nb_provider_registry_find (forced);

      if (spec == NULL)
        {
          const char *path = nb_config_get_path (config);
          g_autofree char *default_path = NULL;
          g_autoptr(GString) names = g_string_new (NULL);

          if (path == NULL)
            path = default_path = nb_config_get_default_path ();
          for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
            g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", specs[i].name);
          /* A configuration mistake, not a failed turn. */
          g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                       _("%s: unknown provider “%s” in agents.defaults.provider (known: auto, %s)"),
                       path, forced, names->str);
        }
      return spec;
    }

  if (model == NULL || *model == '\0')
    model = nb_config_get_string (config, "agents.defaults.model");
  lower = g_ascii_strdown (model ? model : "", -1);
  normalized = g_strdelimit (g_strdup (lower), "-", '_');
  if ((slash = strchr (lower, '/')) != NULL)
    prefix = g_strdelimit (g_strndup (lower, slash - lower), "-", '_');

  /* An explicit "provider/model" prefix wins. */
  for (guint i = 0; prefix != NULL && i < G_N_ELEMENTS (specs); i++)
    if (g_str_equal (prefix, specs[i].name) && is_ready (config, &specs[i], keyring_keys))
      return &specs[i];

  /* Then keywords, in registry order. Gateways match only by their own
   * name, which is one of their keywords. */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      for (guint k = 0; specs[i].keywords[k] != NULL; k++)
        if (keyword_matches (specs[i].keywords[k], lower, normalized) &&
            is_ready (config, &specs[i], keyring_keys))
          return &specs[i];
    }

  /* A configured local server takes models without a keyword ("llama3.2"),
   * preferably one whose apiBase gives it away. */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      const char *base;

      if (!specs[i].is_local || (base = config_value (config, &specs[i], "apiBase")) == NULL)
        continue;
      if (specs[i].detect_base != NULL && strstr (base, specs[i].detect_base) != NULL)
        return &specs[i];
      if (local_fallback == NULL)
        local_fallback = &specs[i];
    }
  if (local_fallback != NULL)
    return local_fallback;

  /* Then the first provider that has a key. */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (!specs[i].is_local && is_ready (config, &specs[i], keyring_keys))
      return &specs[i];

  /* Nothing configured at all: the local Ollama. */
  return nb_provider_registry_find ("ollama");
}

static char *
key_hint (NbConfig             *config,
          const NbProviderSpec *spec)
{
  const char *path = nb_config_get_path (config);
  g_autofree char *default_path = NULL;

  if (path == NULL)
    path = default_path = nb_config_get_default_path ();
  if (spec->env_key != NULL)
    return g_strdup_printf (_("Set providers.%s.apiKey in %s or the %s environment variable."),
                            spec->name, path, spec->env_key);
  return g_strdup_printf (_("Set providers.%s.apiKey in %s."), spec->name, path);
}

static guint
config_seconds (NbConfig   *config,
                const char *path,
                guint       fallback)
{
  gint64 value = nb_config_get_int (config, path);

  return value > 0 ? (guint) MIN (value, 24 * 3600) : fallback;
}

/**
 * nb_provider_registry_resolve_with_keys:
 * @config: the configuration
 * @model: (nullable): the model, %NULL for `agents.defaults.model`
 * @keyring_keys: (nullable) (element-type utf8 utf8): API keys from the
 *   keyring by provider name
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the provider, or %NULL with @error set
 */
NbProvider *
nb_provider_registry_resolve_with_keys (NbConfig    *config,
                                        const char  *model,
                                        GHashTable  *keyring_keys,
                                        GError     **error)
{
  const NbProviderSpec *spec;
  g_autofree char *key = NULL;
  g_autofree char *base = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *prefix = NULL;
  const char *key_source = NULL;
  JsonObject *headers;
  NbProvider *provider;
  GType type;

  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);

  spec = nb_provider_registry_match (config, model, keyring_keys, error);
  if (spec == NULL)
    return NULL;

  base = g_strdup (config_value (config, spec, "apiBase"));
  if (base == NULL)
    base = g_strdup (spec->default_api_base);
  if (base == NULL)
    {
      const char *path = nb_config_get_path (config);
      g_autofree char *default_path = NULL;

      if (path == NULL)
        path = default_path = nb_config_get_default_path ();
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                   _("The %s provider needs a server address: set providers.%s.apiBase in %s"),
                   spec->name, spec->name, path);
      return NULL;
    }
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  /* The Python nanobot points Ollama at its OpenAI-compatible /v1; the
   * native API lives at the root. Anthropic's path already has /v1. */
  if ((spec->wire == NB_PROVIDER_WIRE_OLLAMA || spec->wire == NB_PROVIDER_WIRE_ANTHROPIC) &&
      g_str_has_suffix (base, "/v1"))
    base[strlen (base) - 3] = '\0';

  key = nb_provider_registry_dup_key (config, spec, keyring_keys, &key_source);
  hint = key_hint (config, spec);

  /* A control character inside a key cannot go into an HTTP header: said
   * as a configuration error naming where the key came from. */
  if (key != NULL && nb_config_secret_has_control (key))
    {
      const char *path = nb_config_get_path (config);
      g_autofree char *default_path = NULL;
      g_autofree char *where = NULL;

      if (path == NULL)
        path = default_path = nb_config_get_default_path ();
      if (g_strcmp0 (key_source, "config") == 0)
        where = g_strdup_printf (_("providers.%s.apiKey in %s"), spec->name, path);
      else if (g_strcmp0 (key_source, "keyring") == 0)
        where = g_strdup_printf (_("the keyring entry of %s"), spec->name);
      else
        where = g_strdup_printf (_("the environment variable %s"), spec->env_key);
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                   _("the API key in %s contains a control character (a line break or tab inside the key?)"),
                   where);
      return NULL;
    }

  /* A hosted provider without any key can only answer 401: that is a
   * configuration problem, said before anything is sent. A server at an
   * address the user gave may need no key. */
  if ((key == NULL || *key == '\0') && !spec->is_local &&
      config_value (config, spec, "apiBase") == NULL)
    {
      g_set_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                   _("no provider configured: %s needs an API key. %s"), spec->name, hint);
      return NULL;
    }
  if (!spec->is_gateway)
    prefix = g_strconcat (spec->name, "/", NULL);

  switch (spec->wire)
    {
    case NB_PROVIDER_WIRE_ANTHROPIC:
      type = NB_TYPE_ANTHROPIC_PROVIDER;
      break;
    case NB_PROVIDER_WIRE_OLLAMA:
      type = NB_TYPE_OLLAMA_PROVIDER;
      break;
    case NB_PROVIDER_WIRE_OPENAI:
    default:
      type = NB_TYPE_OPENAI_PROVIDER;
      break;
    }

  provider = g_object_new (type,
                           "name", spec->name,
                           "api-base", base,
                           "api-key", key,
                           "key-hint", hint,
                           "model-prefix", prefix,
                           "connect-timeout", config_seconds (config, "agents.defaults.connectTimeout", 10),
                           "idle-timeout", config_seconds (config, "agents.defaults.streamIdleTimeout", 120),
                           NULL);

  if (spec->no_stream_options)
    nb_openai_provider_set_include_usage (NB_OPENAI_PROVIDER (provider), FALSE);
  if (g_str_equal (spec->name, "openai"))
    nb_openai_provider_set_official_api (NB_OPENAI_PROVIDER (provider), TRUE);

  {
    g_autofree char *path = g_strdup_printf ("providers.%s.extraHeaders", spec->name);

    headers = nb_config_get_object (config, path);
  }
  if (headers != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (headers);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (headers, l->data);

          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            nb_http_provider_set_extra_header (NB_HTTP_PROVIDER (provider), l->data,
                                               json_node_get_string (value));
        }
    }

  return provider;
}

/**
 * nb_provider_registry_resolve:
 * @config: the configuration
 * @model: (nullable): the model; %NULL for agents.defaults.model
 *
 * Returns: (transfer full): the provider for @model, or %NULL with @error
 */
NbProvider *
nb_provider_registry_resolve (NbConfig    *config,
                              const char  *model,
                              GError     **error)
{
  return nb_provider_registry_resolve_with_keys (config, model, NULL, error);
}

/* The keyring ------------------------------------------------------------- */

typedef struct {
  GHashTable   *keys;
  GCancellable *cancellable;   /* ours: cancelled on timeout */
  guint         pending;
  guint         timeout_id;
  gboolean      returned;
} KeyLookup;

static void
key_lookup_free (gpointer data)
{
  KeyLookup *lookup = data;

  g_assert (lookup->timeout_id == 0);
  g_clear_pointer (&lookup->keys, g_hash_table_unref);
  g_clear_object (&lookup->cancellable);
  g_free (lookup);
}

static void
key_lookup_return (GTask *task)
{
  KeyLookup *lookup = g_task_get_task_data (task);

  if (lookup->returned)
    return;
  lookup->returned = TRUE;
  g_clear_handle_id (&lookup->timeout_id, g_source_remove);
  /* Whatever is still asking the keyring gives up now. */
  g_cancellable_cancel (lookup->cancellable);
  g_task_return_pointer (task, g_hash_table_ref (lookup->keys), (GDestroyNotify) g_hash_table_unref);
}

static gboolean
key_lookup_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  KeyLookup *lookup = g_task_get_task_data (task);

  g_assert (G_IS_TASK (task));

  lookup->timeout_id = 0;
  g_debug ("The keyring did not answer within %d ms; using config and environment keys",
           KEYRING_TIMEOUT_MS);
  key_lookup_return (task);
  return G_SOURCE_REMOVE;
}

typedef struct {
  GTask *task;
  char  *name;
} KeyRequest;

static void
password_lookup_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  KeyRequest *request = user_data;
  g_autoptr(GTask) task = request->task;
  KeyLookup *lookup = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (password != NULL && !lookup->returned)
    g_hash_table_insert (lookup->keys, g_strdup (request->name), g_strdup (password));
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No key for %s from the keyring: %s", request->name, error->message);
  if (password != NULL)
    secret_password_free (password);
  g_free (request->name);
  g_free (request);

  lookup->pending--;
  if (lookup->pending == 0)
    key_lookup_return (task);
}

void
nb_provider_registry_lookup_keys_async (GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  KeyLookup *lookup = g_new0 (KeyLookup, 1);

  g_task_set_source_tag (task, nb_provider_registry_lookup_keys_async);
  g_task_set_task_data (task, lookup, key_lookup_free);
  lookup->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* The caller's cancellable is not passed down: the lookup ends within
   * the timeout anyway, and the caller checks it when the keys arrive. */
  lookup->cancellable = g_cancellable_new ();

  /* A keyring that cannot be reached must not hold anything up. */
  lookup->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, KEYRING_TIMEOUT_MS, key_lookup_timeout_cb,
                                           g_object_ref (task), g_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      KeyRequest *request = g_new0 (KeyRequest, 1);

      request->task = g_object_ref (task);
      request->name = g_strdup (specs[i].name);
      lookup->pending++;
      secret_password_lookup (nb_provider_registry_get_secret_schema (), lookup->cancellable,
                              password_lookup_cb, request,
                              "provider", specs[i].name,
                              NULL);
    }
}

/**
 * nb_provider_registry_lookup_keys_finish:
 *
 * Returns: (transfer full): provider name → key; empty when the keyring
 *   could not be read
 */
GHashTable *
nb_provider_registry_lookup_keys_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (g_task_get_task_data (task) != NULL)
    ok = secret_password_store_finish (result, &error);
  else
    ok = secret_password_clear_finish (result, &error) || error == NULL;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, ok);
}

void
nb_provider_registry_store_key_async (const char          *provider,
                                      const char          *key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const NbProviderSpec *spec = nb_provider_registry_find (provider);

  g_task_set_source_tag (task, nb_provider_registry_store_key_async);
  if (spec == NULL)
    {
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                               _("Unknown provider “%s”"), provider ? provider : "");
      return;
    }

  if (key != NULL && *key != '\0')
    {
      g_autofree char *label = g_strdup_printf (_("Nanobot API key for %s"), spec->display_name);

      g_task_set_task_data (task, GINT_TO_POINTER (1), NULL);
      secret_password_store (nb_provider_registry_get_secret_schema (), SECRET_COLLECTION_DEFAULT,
                             label, key, cancellable, store_key_cb, g_object_ref (task),
                             "provider", spec->name, NULL);
    }
  else
    secret_password_clear (nb_provider_registry_get_secret_schema (), cancellable,
                           store_key_cb, g_object_ref (task),
                           "provider", spec->name, NULL);
}

gboolean
nb_provider_registry_store_key_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  NbConfig   *config;
  char       *model;
  NbProvider *provider;
} ResolveData;

static void
resolve_data_free (gpointer data)
{
  ResolveData *resolve = data;

  g_clear_object (&resolve->config);
  g_clear_object (&resolve->provider);
  g_free (resolve->model);
  g_free (resolve);
}

static const char *
resolve_model (ResolveData *resolve)
{
  if (resolve->model != NULL)
    return resolve->model;
  return nb_config_get_string (resolve->config, "agents.defaults.model");
}

/* A model named for another provider ("anthropic/claude-opus-4-5", the
 * default when nothing is configured) that Ollama cannot have. */
static gboolean
model_is_foreign (const char *model)
{
  const char *slash = model != NULL ? strchr (model, '/') : NULL;
  g_autofree char *prefix = NULL;
  const NbProviderSpec *spec;

  if (slash == NULL)
    return FALSE;
  prefix = g_strndup (model, slash - model);
  spec = nb_provider_registry_find (prefix);
  return spec != NULL && spec->wire != NB_PROVIDER_WIRE_OLLAMA;
}

/* The fallback Ollama got a model it cannot serve: use one it has. */
static void
resolve_models_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ResolveData *resolve = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = nb_ollama_provider_list_models_finish (NB_OLLAMA_PROVIDER (object), result, &error);

  g_assert (NB_IS_OLLAMA_PROVIDER (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (g_task_return_error_if_cancelled (task))
    return;

  if (models != NULL && models[0] != NULL)
    {
      g_autofree char *tagged = g_strconcat (resolve_model (resolve), ":latest", NULL);

      /* A user namespace can look like a provider's name; if the server
       * has the model, it is not foreign after all. */
      if (!g_strv_contains ((const char * const *) models, resolve_model (resolve)) &&
          !g_strv_contains ((const char * const *) models, tagged))
        nb_ollama_provider_set_model_override (NB_OLLAMA_PROVIDER (resolve->provider),
                                               resolve_model (resolve), models[0]);
    }
  else if (models != NULL)
    {
      const char *path = nb_config_get_path (resolve->config);
      g_autofree char *default_path = NULL;

      if (path == NULL)
        path = default_path = nb_config_get_default_path ();
      g_task_return_new_error (task, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                               _("Ollama at %s has no models. Pull one (e.g. “ollama pull llama3.2”), "
                                 "or set agents.defaults.model and a provider in %s."),
                               nb_http_provider_get_api_base (NB_HTTP_PROVIDER (resolve->provider)), path);
      return;
    }
  /* Ollama not answering: the turn reports it, with the help for that. */
  g_task_return_pointer (task, g_steal_pointer (&resolve->provider), g_object_unref);
}

static void
resolve_keys_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ResolveData *resolve = g_task_get_task_data (task);
  g_autoptr(GHashTable) keys = nb_provider_registry_lookup_keys_finish (result, NULL);
  GError *error = NULL;
  NbProvider *provider;

  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  if (g_task_return_error_if_cancelled (task))
    return;
  provider = nb_provider_registry_resolve_with_keys (resolve->config, resolve->model, keys, &error);
  if (provider == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (NB_IS_OLLAMA_PROVIDER (provider) && model_is_foreign (resolve_model (resolve)))
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      resolve->provider = provider;
      nb_ollama_provider_list_models_async (NB_OLLAMA_PROVIDER (provider), cancellable,
                                            resolve_models_cb, g_steal_pointer (&task));
      return;
    }
  g_task_return_pointer (task, provider, g_object_unref);
}

void
nb_provider_registry_resolve_async (NbConfig            *config,
                                    const char          *model,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ResolveData *resolve = g_new0 (ResolveData, 1);

  g_return_if_fail (NB_IS_CONFIG (config));

  g_task_set_source_tag (task, nb_provider_registry_resolve_async);
  resolve->config = g_object_ref (config);
  resolve->model = g_strdup (model);
  g_task_set_task_data (task, resolve, resolve_data_free);

  nb_provider_registry_lookup_keys_async (cancellable, resolve_keys_cb, g_steal_pointer (&task));
}

/**
 * nb_provider_registry_resolve_finish:
 *
 * Returns: (transfer full): the provider, or %NULL with @error set
 */
NbProvider *
nb_provider_registry_resolve_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
