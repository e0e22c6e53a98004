/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-http-provider.h"
#include "nb-json-util.h"
#include "nb-provider-stream.h"
#include "nb-sse-parser.h"

G_BEGIN_DECLS

/* Feeds raw bytes of the body as they arrive; FALSE with @error set on a
 * protocol error (line too long, HTML instead of a stream, bad JSON…). */
gboolean          nb_http_provider_feed             (NbHttpProvider   *self,
                                                     NbProviderStream *stream,
                                                     const char       *data,
                                                     gsize             length,
                                                     GError          **error);
/* The body ended: flushes what is pending and checks that the reply was
 * complete. */
gboolean          nb_http_provider_end              (NbHttpProvider   *self,
                                                     NbProviderStream *stream,
                                                     GError          **error);

/* Helpers for subclasses. */
JsonNode         *nb_http_provider_parse_json       (NbHttpProvider   *self,
                                                     NbProviderStream *stream,
                                                     const char       *data,
                                                     gsize             length,
                                                     GError          **error);
/* nb_http_provider_parse_json() of one SSE event or NDJSON line, which
 * must be an object: the root holds one, or NULL with @error set. */
JsonNode         *nb_http_provider_parse_object     (NbHttpProvider   *self,
                                                     NbProviderStream *stream,
                                                     const char       *data,
                                                     gsize             length,
                                                     GError          **error);
void              nb_http_provider_add_extra_headers (NbHttpProvider    *self,
                                                      SoupMessageHeaders *headers);
/* "text" of a content value that may be a string or an array of parts. */
char             *nb_http_provider_content_text     (JsonNode         *content);

/*
 * For the files of NbHttpProvider only: nb-http-provider.c (the object),
 * nb-http-provider-call.c (one chat call over the network: retries,
 * timeouts, error mapping) and nb-http-provider-framing.c (the body split
 * into lines, SSE events or NDJSON objects, and its limits).
 */

typedef struct
{
  char       *api_base;
  char       *api_key;
  char       *key_hint;
  char       *model_prefix;
  GHashTable *extra_headers;
  guint       connect_timeout;
  guint       idle_timeout;
  guint       no_progress_timeout;
  guint       max_retries;
  guint       base_delay_ms;
} NbHttpProviderPrivate;

NbHttpProviderPrivate *nb_http_provider_get_private        (NbHttpProvider      *self);
/* The provider's name for messages, "provider" without one. */
const char            *nb_http_provider_get_display_name   (NbHttpProvider      *self);
/* The message of an error reply's body, or NULL. */
char                  *nb_http_provider_error_body_message (NbHttpProvider      *self,
                                                            GByteArray          *body);
void                   nb_http_provider_chat_async         (NbProvider          *provider,
                                                            const NbChatRequest *request,
                                                            NbChatDeltaFunc      delta_func,
                                                            gpointer             delta_data,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
NbChatResponse        *nb_http_provider_chat_finish        (NbProvider          *provider,
                                                            GAsyncResult        *result,
                                                            GError             **error);

/* Models (nb-provider-models.c) and the error of an HTTP status, as the
 * chat call words it (nb-http-provider-call.c). */
void                   nb_http_provider_list_models_async  (NbProvider          *provider,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
GStrv                  nb_http_provider_list_models_finish (NbProvider          *provider,
                                                            GAsyncResult        *result,
                                                            GError             **error);
void                   nb_http_provider_add_bearer_header  (NbHttpProvider      *self,
                                                            SoupMessageHeaders  *headers);
GError                *nb_http_provider_status_error       (NbHttpProvider      *self,
                                                            guint                status,
                                                            const char          *reason,
                                                            GByteArray          *body);

G_END_DECLS
