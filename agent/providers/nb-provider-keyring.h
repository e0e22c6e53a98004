/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-config.h"

G_BEGIN_DECLS

/*
 * Keys in the keyring, as Preferences and the first-run assistant keep
 * them: libsecret items of the schema "io.github.nanobot.Nanobot.ApiKey"
 * (attribute provider = the provider's name; inside Flatpak libsecret
 * goes through the Secret portal). The agent reads them with
 * nb_provider_registry_lookup_keys_async() when it resolves a provider
 * whose config.json has no key; a key in config.json wins, so storing a
 * key here also takes the file's key out.
 */

/* Stores @key (NULL or "" removes it) in the keyring; then, when
 * providers.<provider>.apiKey of config.json holds a key, removes it from
 * the file (only after the keyring took the new one). */
void      nb_provider_keyring_set_key_async   (NbConfig            *config,
                                               const char          *provider,
                                               const char          *key,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  nb_provider_keyring_set_key_finish  (GAsyncResult        *result,
                                               GError             **error);

/* Moves providers.<provider>.apiKey from config.json into the keyring. */
void      nb_provider_keyring_move_key_async  (NbConfig            *config,
                                               const char          *provider,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  nb_provider_keyring_move_key_finish (GAsyncResult        *result,
                                               GError             **error);

/* One provider's key from the keyring (NULL without error: none). */
void      nb_provider_keyring_lookup_async    (const char          *provider,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char     *nb_provider_keyring_lookup_finish   (GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
