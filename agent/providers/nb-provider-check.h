/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * "Test connection" of Preferences and the first-run assistant: one real,
 * minimal request to a provider as the user is setting it up (its list of
 * models: no tokens spent), with the result in words.
 */

typedef enum {
  NB_PROVIDER_CHECK_WORKS,
  NB_PROVIDER_CHECK_KEY_REFUSED,   /* 401/403, or a hosted provider without a key */
  NB_PROVIDER_CHECK_UNREACHABLE,   /* nothing answered, or not in time */
  NB_PROVIDER_CHECK_NOT_LLM,       /* an answer, but not an LLM server's */
  NB_PROVIDER_CHECK_FAILED,        /* anything else: see the message */
} NbProviderCheck;

/* @api_base and @key may be NULL or "" for the provider's defaults (the
 * key then comes from the environment only: the keyring is not asked). */
void             nb_provider_check_async  (const char           *provider,
                                           const char           *api_base,
                                           const char           *key,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
/* @models: (out) (optional): the models offered, when it works;
 * @message: (out) (optional): one translated sentence for the user. */
NbProviderCheck  nb_provider_check_finish (GAsyncResult         *result,
                                           GStrv                *models,
                                           char                **message);

G_END_DECLS
