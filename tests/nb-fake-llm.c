/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-fake-llm"

#include "config.h"

#include <string.h>

#include "nb-fake-llm.h"

typedef struct {
  GBytes *data;
  guint   delay_ms;
} Chunk;

struct _NbFakeResponse
{
  guint               status;
  char               *content_type;
  GPtrArray          *headers;   /* name, value, name, value, … */
  GArray             *chunks;    /* Chunk */
  GBytes             *body;      /* when sent at once */
  gboolean            cut;
};

/* A response being written to one request. */
typedef struct {
  NbFakeLlm         *fake;
  NbFakeResponse    *response;
  SoupServerMessage *message;
  guint              next;       /* the next chunk to append */
  guint              written;    /* chunks the server wrote */
  guint              timer_id;
  gboolean           cutting;
} Writer;

struct _NbFakeLlm
{
  SoupServer *server;
  char       *url;
  guint16     port;
  GQueue      queue;      /* NbFakeResponse */
  GPtrArray  *requests;   /* NbFakeRequest */
  GPtrArray  *writers;    /* Writer still running */
  guint       n_connections;
  guint       n_unscripted;
  char       *models_body; /* answers GET …/models without the queue */
  gint64      first_started_us;
};

static void
chunk_clear (gpointer data)
{
  Chunk *chunk = data;

  g_bytes_unref (chunk->data);
}

static void
response_free (NbFakeResponse *response)
{
  g_free (response->content_type);
  g_ptr_array_unref (response->headers);
  g_array_unref (response->chunks);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

static void
request_free (gpointer data)
{
  NbFakeRequest *request = data;

  g_free (request->method);
  g_free (request->path);
  soup_message_headers_unref (request->headers);
  g_free (request->body);
  g_clear_pointer (&request->json, json_node_unref);
  g_free (request);
}

static void
writer_free (gpointer data)
{
  Writer *writer = data;

  g_clear_handle_id (&writer->timer_id, g_source_remove);
  if (writer->message != NULL)
    g_signal_handlers_disconnect_by_data (writer->message, writer);
  g_clear_object (&writer->message);
  response_free (writer->response);
  g_free (writer);
}

static void
writer_done (Writer *writer)
{
  g_ptr_array_remove (writer->fake->writers, writer);
}

static void writer_step (Writer *writer);

static gboolean
cut_cb (gpointer user_data)
{
  Writer *writer = user_data;
  g_autoptr(GIOStream) stream = NULL;

  writer->timer_id = 0;
  writer->cutting = TRUE;
  stream = soup_server_message_steal_connection (writer->message);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  writer_done (writer);
  return G_SOURCE_REMOVE;
}

static void
wrote_chunk_cb (SoupServerMessage *message,
                gpointer           user_data)
{
  Writer *writer = user_data;

  writer->written++;
  if (writer->response->cut && writer->written == writer->response->chunks->len && writer->timer_id == 0)
    writer->timer_id = g_idle_add (cut_cb, writer);
}

static void
finished_cb (SoupServerMessage *message,
             gpointer           user_data)
{
  Writer *writer = user_data;

  if (!writer->cutting)
    writer_done (writer);
}

static gboolean
chunk_timeout_cb (gpointer user_data)
{
  Writer *writer = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (writer->message);
  Chunk *chunk = &g_array_index (writer->response->chunks, Chunk, writer->next);

  writer->timer_id = 0;
  soup_message_body_append_bytes (body, chunk->data);
  writer->next++;
  if (writer->next == writer->response->chunks->len && !writer->response->cut)
    soup_message_body_complete (body);
  soup_server_message_unpause (writer->message);
  writer_step (writer);
  return G_SOURCE_REMOVE;
}

static void
writer_step (Writer *writer)
{
  if (writer->next >= writer->response->chunks->len)
    return;
  writer->timer_id = g_timeout_add (g_array_index (writer->response->chunks, Chunk, writer->next).delay_ms,
                                    chunk_timeout_cb, writer);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *message,
                    gpointer           user_data)
{
  NbFakeLlm *self = user_data;
  GSocket *socket = soup_server_message_get_socket (message);

  if (self->first_started_us == 0)
    self->first_started_us = g_get_monotonic_time ();
  /* A mark on the socket object tells a new connection from a reused one,
   * even when the allocator hands out the same address again. */
  if (socket != NULL && g_object_get_data (G_OBJECT (socket), "nb-fake-llm-seen") == NULL)
    {
      g_object_set_data (G_OBJECT (socket), "nb-fake-llm-seen", GINT_TO_POINTER (1));
      self->n_connections++;
    }
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  NbFakeLlm *self = user_data;
  NbFakeRequest *request = g_new0 (NbFakeRequest, 1);
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) flat = soup_message_body_flatten (request_body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (message);
  NbFakeResponse *response;
  gsize length = 0;
  const char *data = g_bytes_get_data (flat, &length);

  request->method = g_strdup (soup_server_message_get_method (message));
  request->path = g_strdup (path);
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;

    soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (message));
    while (soup_message_headers_iter_next (&iter, &name, &value))
      soup_message_headers_append (request->headers, name, value);
  }
  request->body = g_strndup (data ? data : "", length);
  request->body_length = length;
  if (length > 0 && json_parser_load_from_data (parser, request->body, length, NULL))
    request->json = json_node_copy (json_parser_get_root (parser));
  g_ptr_array_add (self->requests, request);

  if (self->models_body != NULL && g_str_has_suffix (path, "/models"))
    {
      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                        self->models_body, strlen (self->models_body));
      return;
    }

  response = g_queue_pop_head (&self->queue);
  if (response == NULL)
    {
      static const char unscripted[] = "{\"error\":{\"message\":\"fake server: no response queued\"}}";

      self->n_unscripted++;
      soup_server_message_set_status (message, 500, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC,
                                        unscripted, strlen (unscripted));
      return;
    }

  soup_server_message_set_status (message, response->status, NULL);
  for (guint i = 0; i + 1 < response->headers->len; i += 2)
    soup_message_headers_append (response_headers,
                                 g_ptr_array_index (response->headers, i),
                                 g_ptr_array_index (response->headers, i + 1));

  if (response->chunks->len == 0 && !response->cut)
    {
      gsize body_length = 0;
      const char *body = response->body ? g_bytes_get_data (response->body, &body_length) : "";

      soup_server_message_set_response (message, response->content_type, SOUP_MEMORY_COPY,
                                        body, body_length);
      response_free (response);
      return;
    }

  {
    Writer *writer = g_new0 (Writer, 1);

    writer->fake = self;
    writer->response = response;
    writer->message = g_object_ref (message);
    g_ptr_array_add (self->writers, writer);

    if (response->content_type != NULL)
      soup_message_headers_set_content_type (response_headers, response->content_type, NULL);
    soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
    g_signal_connect (message, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), writer);
    g_signal_connect (message, "finished", G_CALLBACK (finished_cb), writer);
    soup_server_message_pause (message);
    if (response->chunks->len == 0)
      writer->timer_id = g_idle_add (cut_cb, writer);   /* no response at all */
    else
      writer_step (writer);
  }
}

/**
 * nb_fake_llm_new:
 *
 * Starts listening on 127.0.0.1 on a free port.
 *
 * Returns: (transfer full): the server
 */
NbFakeLlm *
nb_fake_llm_new (void)
{
  NbFakeLlm *self = g_new0 (NbFakeLlm, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  self->server = soup_server_new ("server-header", "nb-fake-llm", NULL);
  g_queue_init (&self->queue);
  self->requests = g_ptr_array_new_with_free_func (request_free);
  self->writers = g_ptr_array_new_with_free_func (writer_free);

  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  soup_server_listen (self->server, address, 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  self->url = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return self;
}

void
nb_fake_llm_free (NbFakeLlm *self)
{
  if (self == NULL)
    return;
  g_ptr_array_set_size (self->writers, 0);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->writers);
  g_queue_clear_full (&self->queue, (GDestroyNotify) response_free);
  g_ptr_array_unref (self->requests);
  g_free (self->url);
  g_free (self->models_body);
  g_free (self);
}

const char *
nb_fake_llm_get_url (NbFakeLlm *self)
{
  return self->url;
}

guint16
nb_fake_llm_get_port (NbFakeLlm *self)
{
  return self->port;
}

NbFakeResponse *
nb_fake_llm_queue (NbFakeLlm  *self,
                   guint       status,
                   const char *content_type)
{
  NbFakeResponse *response = g_new0 (NbFakeResponse, 1);

  response->status = status;
  response->content_type = g_strdup (content_type);
  response->headers = g_ptr_array_new_with_free_func (g_free);
  response->chunks = g_array_new (FALSE, TRUE, sizeof (Chunk));
  g_array_set_clear_func (response->chunks, chunk_clear);
  g_queue_push_tail (&self->queue, response);
  return response;
}

void
nb_fake_llm_queue_body (NbFakeLlm  *self,
                        guint       status,
                        const char *content_type,
                        const char *body)
{
  NbFakeResponse *response = nb_fake_llm_queue (self, status, content_type);

  response->body = g_bytes_new (body, strlen (body));
}

void
nb_fake_response_add_header (NbFakeResponse *response,
                             const char     *name,
                             const char     *value)
{
  g_ptr_array_add (response->headers, g_strdup (name));
  g_ptr_array_add (response->headers, g_strdup (value));
}

void
nb_fake_response_add_chunk (NbFakeResponse *response,
                            const char     *data,
                            gssize          length,
                            guint           delay_ms)
{
  Chunk chunk;

  if (length < 0)
    length = strlen (data);
  chunk.data = g_bytes_new (data, length);
  chunk.delay_ms = delay_ms;
  g_array_append_val (response->chunks, chunk);
}

void
nb_fake_response_add_pieces (NbFakeResponse *response,
                             const char     *data,
                             gsize           piece,
                             guint           delay_ms)
{
  gsize length = strlen (data);

  g_assert_cmpuint (piece, >, 0);
  for (gsize offset = 0; offset < length; offset += piece)
    nb_fake_response_add_chunk (response, data + offset, MIN (piece, length - offset), delay_ms);
}

void
nb_fake_response_cut (NbFakeResponse *response)
{
  response->cut = TRUE;
}

guint
nb_fake_llm_get_n_requests (NbFakeLlm *self)
{
  return self->requests->len;
}

const NbFakeRequest *
nb_fake_llm_get_request (NbFakeLlm *self,
                         guint      index)
{
  g_assert_cmpuint (index, <, self->requests->len);
  return g_ptr_array_index (self->requests, index);
}

JsonObject *
nb_fake_llm_get_request_object (NbFakeLlm *self,
                                guint      index)
{
  const NbFakeRequest *request = nb_fake_llm_get_request (self, index);

  g_assert_nonnull (request->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (request->json));
  return json_node_get_object (request->json);
}

guint
nb_fake_llm_get_n_connections (NbFakeLlm *self)
{
  return self->n_connections;
}

guint
nb_fake_llm_get_n_unscripted (NbFakeLlm *self)
{
  return self->n_unscripted;
}

guint
nb_fake_llm_get_n_queued (NbFakeLlm *self)
{
  return self->queue.length;
}

/* Ready-made streams ----------------------------------------------------- */

static char *
json_string (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

/* Splits "Hello big world" into "Hello", " big", " world". */
static GPtrArray *
split_words (const char *text)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
  const char *start = text;

  for (const char *p = text + 1; *start; p++)
    {
      if (*p == ' ' || *p == '\0')
        {
          g_ptr_array_add (pieces, g_strndup (start, p - start));
          start = p;
          if (*p == '\0')
            break;
        }
    }
  return pieces;
}

char *
nb_fake_llm_openai_text_stream (const char *text)
{
  g_autoptr(GPtrArray) pieces = split_words (text);
  GString *out = g_string_new (NULL);

  g_string_append (out, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                        "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n");
  for (guint i = 0; i < pieces->len; i++)
    {
      g_autofree char *quoted = json_string (g_ptr_array_index (pieces, i));

      g_string_append_printf (out, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                                   "\"delta\":{\"content\":%s},\"finish_reason\":null}],\"usage\":null}\n\n", quoted);
    }
  g_string_append (out, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                        "\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n");
  g_string_append (out, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
                        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}\n\n");
  g_string_append (out, "data: [DONE]\n\n");
  return g_string_free (out, FALSE);
}

char *
nb_fake_llm_anthropic_text_stream (const char *text)
{
  g_autoptr(GPtrArray) pieces = split_words (text);
  GString *out = g_string_new (NULL);

  g_string_append (out, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                        "\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,"
                        "\"usage\":{\"input_tokens\":12,\"output_tokens\":1,\"cache_creation_input_tokens\":0,"
                        "\"cache_read_input_tokens\":0}}}\n\n");
  g_string_append (out, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
  g_string_append (out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  for (guint i = 0; i < pieces->len; i++)
    {
      g_autofree char *quoted = json_string (g_ptr_array_index (pieces, i));

      g_string_append_printf (out, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                                   "\"delta\":{\"type\":\"text_delta\",\"text\":%s}}\n\n", quoted);
    }
  g_string_append (out, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
  g_string_append (out, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n");
  g_string_append (out, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  return g_string_free (out, FALSE);
}

char *
nb_fake_llm_ollama_text_stream (const char *text)
{
  g_autoptr(GPtrArray) pieces = split_words (text);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < pieces->len; i++)
    {
      g_autofree char *quoted = json_string (g_ptr_array_index (pieces, i));

      g_string_append_printf (out, "{\"model\":\"llama3.2\",\"created_at\":\"2026-01-01T00:00:00Z\","
                                   "\"message\":{\"role\":\"assistant\",\"content\":%s},\"done\":false}\n", quoted);
    }
  g_string_append (out, "{\"model\":\"llama3.2\",\"created_at\":\"2026-01-01T00:00:00Z\","
                        "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
                        "\"total_duration\":1000,\"prompt_eval_count\":12,\"eval_count\":5}\n");
  return g_string_free (out, FALSE);
}

/* Answers every GET …/models with @body (the window asks again after each
 * configuration change), leaving the queue to the chat requests. */
void
nb_fake_llm_set_models_body (NbFakeLlm  *self,
                             const char *body)
{
  g_free (self->models_body);
  self->models_body = g_strdup (body);
}

/* When the first request began to arrive (its first bytes were read):
 * g_get_monotonic_time(), or 0 before any. */
gint64
nb_fake_llm_get_first_request_time (NbFakeLlm *self)
{
  return self->first_started_us;
}
