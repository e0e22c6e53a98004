/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsecret/secret.h>

#include "nb-config.h"
#include "nb-provider.h"

G_BEGIN_DECLS

/*
 * The named providers (custom, openrouter, anthropic, openai, deepseek, …,
 * ollama) and how a model finds its provider, as the Python nanobot does:
 * agents.defaults.provider forces one; "auto" tries the model's prefix
 * ("deepseek/…"), then keywords ("claude" → anthropic), then a configured
 * local server, then the first provider with a key, and finally the local
 * Ollama. A provider's key comes from providers.<name>.apiKey, else the
 * keyring, else its environment variable.
 */

typedef enum {
  NB_PROVIDER_WIRE_OPENAI,
  NB_PROVIDER_WIRE_ANTHROPIC,
  NB_PROVIDER_WIRE_OLLAMA,
} NbProviderWire;

typedef struct {
  const char         *name;
  const char         *display_name;
  const char * const *keywords;
  const char         *env_key;          /* NULL when there is none */
  const char         *default_api_base; /* NULL: apiBase must be configured */
  NbProviderWire      wire;
  gboolean            is_gateway;       /* routes any model; keeps prefixes */
  gboolean            is_local;         /* needs no key */
  const char         *detect_base;      /* a local server recognised by its URL */
  gboolean            no_stream_options; /* refuses stream_options (422) */
} NbProviderSpec;

/* The keyring items the GUI stores keys in: attribute "provider" = name. */
#define NB_PROVIDER_SECRET_SCHEMA_NAME "io.github.nanobot.Nanobot.ApiKey"
const SecretSchema   *nb_provider_registry_get_secret_schema (void);

/* In matching order. */
const NbProviderSpec *nb_provider_registry_get_specs  (guint       *n_specs);
const NbProviderSpec *nb_provider_registry_find       (const char  *name);

/* The spec a model resolves to with @keys (name → key from the keyring,
 * may be NULL); never NULL without @error set. */
const NbProviderSpec *nb_provider_registry_match      (NbConfig    *config,
                                                       const char  *model,
                                                       GHashTable  *keyring_keys,
                                                       GError     **error);
/* The key a provider would use, and where it came from ("config",
 * "keyring", "environment"), or NULL. */
char                 *nb_provider_registry_dup_key    (NbConfig             *config,
                                                       const NbProviderSpec *spec,
                                                       GHashTable           *keyring_keys,
                                                       const char          **source);

/* Builds the provider for @model with keys from config and environment
 * only (no keyring): for the headless mode and tests. */
NbProvider           *nb_provider_registry_resolve    (NbConfig    *config,
                                                       const char  *model,
                                                       GError     **error);
NbProvider           *nb_provider_registry_resolve_with_keys (NbConfig    *config,
                                                              const char  *model,
                                                              GHashTable  *keyring_keys,
                                                              GError     **error);

/* Reads every provider's key from the keyring. Never fails and never
 * waits more than about a second: an unreachable or locked keyring yields
 * an empty table. The result maps provider name → key. */
void                  nb_provider_registry_lookup_keys_async  (GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
GHashTable           *nb_provider_registry_lookup_keys_finish (GAsyncResult        *result,
                                                               GError             **error);

/* Stores (or with @key NULL or "", removes) a provider's key in the
 * keyring, for the preferences window. */
void                  nb_provider_registry_store_key_async  (const char          *provider,
                                                             const char          *key,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean              nb_provider_registry_store_key_finish (GAsyncResult        *result,
                                                             GError             **error);

/* The keyring lookup, then nb_provider_registry_resolve_with_keys(). */
void                  nb_provider_registry_resolve_async  (NbConfig            *config,
                                                           const char          *model,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
NbProvider           *nb_provider_registry_resolve_finish (GAsyncResult        *result,
                                                           GError             **error);

G_END_DECLS
