/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "nb-provider.h"

G_BEGIN_DECLS

/*
 * NbHttpProvider is the shared half of every network provider: it sends the
 * request through the process-wide SoupSession, retries transient failures
 * with backoff, enforces the connect and idle timeouts, splits the reply into
 * bounded lines (SSE events or NDJSON objects) and hands each one to the
 * subclass. Subclasses only know their wire format.
 */

typedef struct _NbProviderStream NbProviderStream;

typedef enum {
  NB_WIRE_FORMAT_SSE,
  NB_WIRE_FORMAT_NDJSON,
} NbWireFormat;

/* The longest line (or SSE event) a reply may hold. */
#define NB_HTTP_PROVIDER_MAX_LINE (8 * 1024 * 1024)

/* The most text, reasoning and tool arguments one reply may add up to:
 * a local model stuck in a loop streams for ever without going idle. */
#define NB_HTTP_PROVIDER_MAX_REPLY (32 * 1024 * 1024)

#define NB_TYPE_HTTP_PROVIDER (nb_http_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (NbHttpProvider, nb_http_provider, NB, HTTP_PROVIDER, NbProvider)

struct _NbHttpProviderClass
{
  NbProviderClass parent_class;

  /* The request path below the base URL, e.g. "/chat/completions". */
  const char    *path;
  NbWireFormat   wire_format;

  /* Builds the JSON body; adds the authentication headers to @headers.
   * @model has the provider's own prefix already removed. */
  JsonNode     *(*build_request) (NbHttpProvider       *self,
                                  const NbChatRequest  *request,
                                  const char           *model,
                                  SoupMessageHeaders   *headers,
                                  GError              **error);
  /* One SSE event (@event may be NULL) or one NDJSON line. */
  gboolean      (*parse_event)   (NbHttpProvider       *self,
                                  NbProviderStream     *stream,
                                  const char           *event,
                                  const char           *data,
                                  gsize                 length,
                                  GError              **error);
  /* A whole JSON reply from a server that ignored "stream": true. */
  gboolean      (*parse_body)    (NbHttpProvider       *self,
                                  NbProviderStream     *stream,
                                  JsonNode             *root,
                                  GError              **error);
  /* Extracts the human-readable message of an error body, or NULL. */
  char         *(*error_message) (NbHttpProvider       *self,
                                  JsonNode             *root);

  /* Listing models (nb-provider-models.c): GET {apiBase}{models_path},
   * names from root.{models_member}[].{models_id}. Without models_path
   * the provider cannot list. add_auth_headers defaults to a bearer token
   * when there is a key. */
  const char    *models_path;
  const char    *models_member;
  const char    *models_id;
  void          (*add_auth_headers) (NbHttpProvider     *self,
                                     SoupMessageHeaders *headers);
};

const char *nb_http_provider_get_api_base    (NbHttpProvider *self);
const char *nb_http_provider_get_api_key     (NbHttpProvider *self);
void        nb_http_provider_set_extra_header (NbHttpProvider *self,
                                               const char     *name,
                                               const char     *value);
/* How many times a transient failure is retried and the first backoff
 * delay (doubled each time, with jitter). Defaults: 3 and 1000 ms. */
void        nb_http_provider_set_retry_policy (NbHttpProvider *self,
                                               guint           max_retries,
                                               guint           base_delay_ms);

/* How long a reply may stream without progress (no text, reasoning or
 * tool-call bytes: only keep-alive comments or empty chunks, which reset
 * the idle timeout) before the call ends with NB_PROVIDER_ERROR_TIMEOUT.
 * The "no-progress-timeout" property (seconds) defaults to this. */
#define NB_HTTP_PROVIDER_NO_PROGRESS_TIMEOUT_S 600

G_END_DECLS
