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
/* Whether to ask for the usage chunk (stream_options.include_usage, on by
 * default). Some servers (Mistral) refuse the field and send usage anyway. */
void        nb_openai_provider_set_include_usage (NbOpenaiProvider *self,
                                                  gboolean          include_usage);
/* api.openai.com itself: max_completion_tokens instead of the deprecated
 * max_tokens, and no temperature for reasoning models (o1…, gpt-5…),
 * which refuse anything but the default. */
void        nb_openai_provider_set_official_api  (NbOpenaiProvider *self,
                                                  gboolean          official_api);

G_END_DECLS
