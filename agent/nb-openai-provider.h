/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-http-provider.h"

G_BEGIN_DECLS

/* Any OpenAI-compatible server: POST {apiBase}/chat/completions, SSE. */
#define NB_TYPE_OPENAI_PROVIDER (nb_openai_provider_get_type ())
G_DECLARE_FINAL_TYPE (NbOpenaiProvider, nb_openai_provider, NB, OPENAI_PROVIDER, NbHttpProvider)

NbProvider *nb_openai_provider_new (const char *name,
                                    const char *api_base,
                                    const char *api_key);

G_END_DECLS
