/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * NbFakeLlm: a scriptable HTTP server on 127.0.0.1 (a real SoupServer on a
 * free port) for tests that talk to LLM providers, MCP servers or any other
 * HTTP peer. It runs on the thread-default main context, so the test must
 * iterate it (nb_test_wait_for(), nb_test_wait_result(), …) while the
 * client works.
 *
 *   g_autoptr(NbFakeLlm) fake = nb_fake_llm_new ();
 *   NbFakeResponse *r = nb_fake_llm_queue (fake, 200, "text/event-stream");
 *   nb_fake_response_add_chunk (r, "data: {…}\n\n", -1, 0);
 *   nb_fake_response_add_chunk (r, "data: [DONE]\n\n", -1, 5);   // 5 ms later
 *   … point the client at nb_fake_llm_get_url (fake) …
 *   const NbFakeRequest *req = nb_fake_llm_get_request (fake, 0);
 *   g_assert_cmpstr (req->path, ==, "/chat/completions");
 *
 * Responses are served in the order they were queued, one per request,
 * whatever the path. When the queue is empty the server answers 500 with a
 * JSON error saying so (and nb_fake_llm_get_n_unscripted() counts it).
 *
 * A response with no chunks is sent with Content-Length; one with chunks is
 * sent with chunked encoding, each chunk written after its delay, so a
 * stream can be split at any byte. nb_fake_response_cut() drops the TCP
 * connection after the last chunk instead of ending the body.
 */

typedef struct _NbFakeLlm NbFakeLlm;
typedef struct _NbFakeResponse NbFakeResponse;

/* One request as the server received it. */
typedef struct {
  char               *method;
  char               *path;      /* without the query */
  SoupMessageHeaders *headers;
  char               *body;      /* NUL-terminated request body */
  gsize               body_length;
  JsonNode           *json;      /* the body parsed as JSON, or NULL */
} NbFakeRequest;

NbFakeLlm            *nb_fake_llm_new                (void);
void                  nb_fake_llm_free               (NbFakeLlm      *self);
/* "http://127.0.0.1:PORT" (no trailing slash). */
const char           *nb_fake_llm_get_url            (NbFakeLlm      *self);
guint16               nb_fake_llm_get_port           (NbFakeLlm      *self);

/* Queues a response; the returned object belongs to the server and can be
 * filled in until a request takes it. */
NbFakeResponse       *nb_fake_llm_queue              (NbFakeLlm      *self,
                                                      guint           status,
                                                      const char     *content_type);
/* Shortcut: a whole body sent at once. */
void                  nb_fake_llm_queue_body         (NbFakeLlm      *self,
                                                      guint           status,
                                                      const char     *content_type,
                                                      const char     *body);
void                  nb_fake_response_add_header    (NbFakeResponse *response,
                                                      const char     *name,
                                                      const char     *value);
/* Appends a body chunk written @delay_ms after the previous one (or after
 * the headers); @length -1 means NUL-terminated. */
void                  nb_fake_response_add_chunk     (NbFakeResponse *response,
                                                      const char     *data,
                                                      gssize          length,
                                                      guint           delay_ms);
/* Adds @data cut into pieces of @piece bytes, @delay_ms apart. */
void                  nb_fake_response_add_pieces    (NbFakeResponse *response,
                                                      const char     *data,
                                                      gsize           piece,
                                                      guint           delay_ms);
/* Closes the connection after the last chunk without ending the body;
 * with no chunks, closes it before sending any response. */
void                  nb_fake_response_cut           (NbFakeResponse *response);

/* The request log, oldest first. */
guint                 nb_fake_llm_get_n_requests     (NbFakeLlm      *self);
const NbFakeRequest  *nb_fake_llm_get_request        (NbFakeLlm      *self,
                                                      guint           index);
/* The JSON object of request @index's body (fails the test if not JSON). */
JsonObject           *nb_fake_llm_get_request_object (NbFakeLlm      *self,
                                                      guint           index);
/* TCP connections accepted so far (distinct client sockets seen). */
guint                 nb_fake_llm_get_n_connections  (NbFakeLlm      *self);
/* Requests that found the queue empty. */
guint                 nb_fake_llm_get_n_unscripted   (NbFakeLlm      *self);
/* Responses still queued. */
guint                 nb_fake_llm_get_n_queued       (NbFakeLlm      *self);

/* Ready-made bodies in each wire format, for the common case of a plain
 * text reply. The text is split into a few deltas. */
char                 *nb_fake_llm_openai_text_stream    (const char *text);
char                 *nb_fake_llm_anthropic_text_stream (const char *text);
char                 *nb_fake_llm_ollama_text_stream    (const char *text);

void                  nb_fake_llm_set_models_body    (NbFakeLlm      *self,
                                                      const char     *body);
/* g_get_monotonic_time() when the first request's first bytes were read,
 * 0 before any. */
gint64                nb_fake_llm_get_first_request_time (NbFakeLlm *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbFakeLlm, nb_fake_llm_free)

G_END_DECLS
