/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-http-provider.h"
#include "nb-sse-parser.h"

G_BEGIN_DECLS

/* One tool call being assembled from fragments. */
typedef struct {
  gint     wire_index;   /* the index (or content block) the wire used */
  char    *id;
  char    *name;
  GString *arguments;
  gunichar arguments_high; /* a high surrogate waiting for its low half */
} NbToolCallBuilder;

typedef enum {
  NB_BODY_UNKNOWN,
  NB_BODY_STREAM,
  NB_BODY_JSON,
} NbBodyKind;

/*
 * The state of one reply as it streams in. Subclasses of NbHttpProvider
 * report what they parsed through the nb_provider_stream_*() functions,
 * which also call the caller's delta function. The framing fields are
 * NbHttpProvider's (nb-http-provider-framing.c).
 */
struct _NbProviderStream
{
  NbChatDeltaFunc  delta_func;
  gpointer         delta_data;

  GString         *content;
  GString         *reasoning;
  GPtrArray       *calls;          /* NbToolCallBuilder */
  char            *finish_reason;
  NbUsage          usage;
  gboolean         delivered;      /* a delta reached the caller: no retry */
  gsize            kept;           /* bytes of text, reasoning and arguments */
  gboolean         done;           /* the wire format's end marker was seen */
  gunichar         text_high;      /* high surrogates waiting for their low */
  gunichar         reasoning_high; /* half in the next delta (nb-utf8.h) */

  /* Framing. */
  char            *content_type;
  NbBodyKind       body_kind;
  GByteArray      *line;           /* the unfinished line */
  gsize            max_line;
  NbSseParser      sse;
  GByteArray      *whole;          /* a non-streamed JSON body */

  GArray          *blocks;         /* Anthropic: content block kinds by index */
  JsonParser      *parser;         /* reused for every event */
};

NbProviderStream *nb_provider_stream_new            (NbChatDeltaFunc   delta_func,
                                                     gpointer          delta_data,
                                                     const char       *content_type);
void              nb_provider_stream_free           (NbProviderStream *stream);
void              nb_provider_stream_add_text       (NbProviderStream *stream,
                                                     const char       *text);
void              nb_provider_stream_add_reasoning  (NbProviderStream *stream,
                                                     const char       *text);
/* Starts a call; returns its position in stream->calls. */
guint             nb_provider_stream_begin_call     (NbProviderStream *stream,
                                                     gint              wire_index,
                                                     const char       *id,
                                                     const char       *name);
/* The most recent call with this wire index, or -1. */
gint              nb_provider_stream_find_call      (NbProviderStream *stream,
                                                     gint              wire_index);
void              nb_provider_stream_add_arguments  (NbProviderStream *stream,
                                                     guint             position,
                                                     const char       *fragment);
void              nb_provider_stream_set_finish     (NbProviderStream *stream,
                                                     const char       *finish_reason);
NbChatResponse   *nb_provider_stream_take_response  (NbProviderStream *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbProviderStream, nb_provider_stream_free)

G_END_DECLS
