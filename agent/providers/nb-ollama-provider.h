/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-http-provider.h"

G_BEGIN_DECLS

/* Ollama's native API: POST {apiBase}/api/chat, NDJSON, tools. */
#define NB_TYPE_OLLAMA_PROVIDER (nb_ollama_provider_get_type ())
G_DECLARE_FINAL_TYPE (NbOllamaProvider, nb_ollama_provider, NB, OLLAMA_PROVIDER, NbHttpProvider)

NbProvider *nb_ollama_provider_new (const char *name,
                                    const char *api_base,
                                    const char *api_key);

void        nb_ollama_provider_set_model_override (NbOllamaProvider    *self,
                                                   const char          *model,
                                                   const char          *replacement);
const char *nb_ollama_provider_get_model_override (NbOllamaProvider    *self);

void        nb_ollama_provider_list_models_async  (NbOllamaProvider    *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GStrv       nb_ollama_provider_list_models_finish (NbOllamaProvider    *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
