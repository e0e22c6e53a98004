/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-http-provider.h"

G_BEGIN_DECLS

/* Anthropic Messages: POST {apiBase}/v1/messages, SSE with named events,
 * prompt caching on the system prompt, the last tool and the newest turn. */
#define NB_TYPE_ANTHROPIC_PROVIDER (nb_anthropic_provider_get_type ())
G_DECLARE_FINAL_TYPE (NbAnthropicProvider, nb_anthropic_provider, NB, ANTHROPIC_PROVIDER, NbHttpProvider)

NbProvider *nb_anthropic_provider_new (const char *name,
                                       const char *api_base,
                                       const char *api_key);

G_END_DECLS
