/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-http-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-http-provider-private.h"
#include "nb-utf8.h"

/*
 * The framing of a reply's body: the bytes split into lines of at most
 * NB_HTTP_PROVIDER_MAX_LINE, which become SSE events or NDJSON objects for
 * the subclass's parse_event(); a JSON body from a server that ignored
 * "stream" for parse_body(); HTML instead of a stream; the reply's size
 * limit; and the message of an error body.
 */

JsonNode *
nb_http_provider_parse_json (NbHttpProvider    *self,
                             NbProviderStream  *stream,
                             const char        *data,
                             gsize              length,
                             GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *fixed = NULL;
  gsize fixed_size = 0;
  JsonNode *root;

  /* A character split across two deltas arrives as a lone high surrogate
   * at the end of one string and a lone low one at the start of the next:
   * keep them as marks for the stream to join (nb-utf8.h). */
  fixed = nb_utf8_fix_json_surrogates (data, length, TRUE, &fixed_size);
  if (fixed != NULL)
    {
      data = fixed;
      length = fixed_size;
    }
  if (!nb_json_parser_load_reply (stream->parser, data, length, &local_error) ||
      (root = json_parser_get_root (stream->parser)) == NULL)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                   _("%s sent malformed JSON in its reply: %s"), nb_http_provider_get_display_name (self),
                   local_error ? local_error->message : _("empty data"));
      return NULL;
    }
  return json_node_ref (root);
}

JsonNode *
nb_http_provider_parse_object (NbHttpProvider    *self,
                               NbProviderStream  *stream,
                               const char        *data,
                               gsize              length,
                               GError           **error)
{
  g_autoptr(JsonNode) root = nb_http_provider_parse_json (self, stream, data, length, error);
  const char *name = nb_provider_get_name (NB_PROVIDER (self));

  if (root == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (root))
    return g_steal_pointer (&root);
  if (NB_HTTP_PROVIDER_GET_CLASS (self)->wire_format == NB_WIRE_FORMAT_SSE)
    g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                 _("%s sent a stream event that is not a JSON object"), name);
  else
    g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
                 _("%s sent a stream line that is not a JSON object"), name);
  return NULL;
}

static gboolean
line_too_long (NbHttpProvider  *self,
               GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s sent a line longer than %d MiB; the reply was abandoned"),
               nb_http_provider_get_display_name (self), NB_HTTP_PROVIDER_MAX_LINE / (1024 * 1024));
  return FALSE;
}

static gboolean
reply_too_large (NbHttpProvider  *self,
                 GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s sent a reply longer than %d MiB; the reply was abandoned"),
               nb_http_provider_get_display_name (self), NB_HTTP_PROVIDER_MAX_REPLY / (1024 * 1024));
  return FALSE;
}

typedef struct
{
  NbHttpProvider   *self;
  NbProviderStream *stream;
} SseTarget;

static gboolean
sse_event_cb (const char  *event,
              const char  *data,
              gsize        length,
              gpointer     user_data,
              GError     **error)
{
  SseTarget *target = user_data;

  g_assert (target != NULL);
  g_assert (NB_IS_HTTP_PROVIDER (target->self));
  g_assert (target->stream != NULL);

  return NB_HTTP_PROVIDER_GET_CLASS (target->self)->parse_event (target->self, target->stream,
                                                                 event, data, length, error);
}

static gboolean
dispatch_sse_event (NbHttpProvider    *self,
                    NbProviderStream  *stream,
                    GError           **error)
{
  SseTarget target = { self, stream };

  return nb_sse_parser_dispatch (&stream->sse, sse_event_cb, &target, error);
}

static gboolean
handle_line (NbHttpProvider    *self,
             NbProviderStream  *stream,
             const char        *line,
             gsize              length,
             GError           **error)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);

  if (length > 0 && line[length - 1] == '\r')
    length--;

  if (klass->wire_format == NB_WIRE_FORMAT_NDJSON)
    {
      while (length > 0 && g_ascii_isspace (*line))
        line++, length--;
      if (length == 0)
        return TRUE;
      return klass->parse_event (self, stream, NULL, line, length, error);
    }

  /* Server-sent events: fields until a blank line ends the event. */
  {
    SseTarget target = { self, stream };
    g_autoptr(GError) local_error = NULL;

    if (nb_sse_parser_add_line (&stream->sse, line, length, sse_event_cb, &target, &local_error))
      return TRUE;
    if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
      return line_too_long (self, error);
    if (local_error != NULL)
      g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
}

static gboolean
looks_like_html (const char *data,
                 gsize       length)
{
  while (length > 0 && g_ascii_isspace (*data))
    data++, length--;
  return length > 0 && *data == '<';
}

static gboolean
html_error (NbHttpProvider  *self,
            GError         **error)
{
  g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL,
               _("%s answered with a web page instead of a chat stream; check its apiBase (%s)"),
               nb_http_provider_get_display_name (self), nb_http_provider_get_api_base (self));
  return FALSE;
}

/* Decides from the content type and the first bytes what the body is. */
static gboolean
detect_body (NbHttpProvider    *self,
             NbProviderStream  *stream,
             const char        *data,
             gsize              length,
             GError           **error)
{
  const char *type = stream->content_type ? stream->content_type : "";
  gsize i = 0;

  while (i < length && g_ascii_isspace (data[i]))
    i++;
  if (i == length)
    return TRUE;  /* Still only whitespace: decide with the next bytes. */

  if (g_str_has_prefix (type, "text/html") || looks_like_html (data, length))
    return html_error (self, error);

  if (g_str_has_prefix (type, "application/json") && data[i] == '{' &&
      NB_HTTP_PROVIDER_GET_CLASS (self)->parse_body != NULL &&
      NB_HTTP_PROVIDER_GET_CLASS (self)->wire_format == NB_WIRE_FORMAT_SSE)
    {
      stream->body_kind = NB_BODY_JSON;
      stream->whole = g_byte_array_new ();
    }
  else
    stream->body_kind = NB_BODY_STREAM;
  return TRUE;
}

gboolean
nb_http_provider_feed (NbHttpProvider    *self,
                       NbProviderStream  *stream,
                       const char        *data,
                       gsize              length,
                       GError           **error)
{
  const char *end = data + length;

  if (stream->body_kind == NB_BODY_UNKNOWN)
    {
      if (!detect_body (self, stream, data, length, error))
        return FALSE;
      if (stream->body_kind == NB_BODY_UNKNOWN)
        return TRUE;
    }

  if (stream->body_kind == NB_BODY_JSON)
    {
      if (stream->whole->len + length > stream->max_line)
        return line_too_long (self, error);
      g_byte_array_append (stream->whole, (const guint8 *) data, length);
      return TRUE;
    }

  while (data < end)
    {
      const char *newline = memchr (data, '\n', end - data);

      if (newline == NULL)
        {
          if (stream->line->len + (gsize) (end - data) > stream->max_line)
            return line_too_long (self, error);
          g_byte_array_append (stream->line, (const guint8 *) data, end - data);
          break;
        }

      if (stream->kept > NB_HTTP_PROVIDER_MAX_REPLY)
        return reply_too_large (self, error);
      if (stream->line->len == 0)
        {
          /* The common case: a whole line inside this read, no copy. */
          if (!handle_line (self, stream, data, newline - data, error))
            return FALSE;
        }
      else
        {
          if (stream->line->len + (gsize) (newline - data) > stream->max_line)
            return line_too_long (self, error);
          g_byte_array_append (stream->line, (const guint8 *) data, newline - data);
          if (!handle_line (self, stream, (const char *) stream->line->data, stream->line->len, error))
            return FALSE;
          g_byte_array_set_size (stream->line, 0);
        }
      data = newline + 1;
    }
  return TRUE;
}

gboolean
nb_http_provider_end (NbHttpProvider    *self,
                      NbProviderStream  *stream,
                      GError           **error)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);

  if (stream->body_kind == NB_BODY_JSON)
    {
      g_autoptr(JsonNode) root = nb_http_provider_parse_json (self, stream, (const char *) stream->whole->data,
                                                              stream->whole->len, error);

      if (root == NULL)
        return FALSE;
      return klass->parse_body (self, stream, root, error);
    }

  /* An unfinished last line means the body was cut: it is not parsed. */
  if (!stream->done && stream->line->len == 0 &&
      klass->wire_format == NB_WIRE_FORMAT_SSE && !dispatch_sse_event (self, stream, error))
    return FALSE;

  if (!stream->done)
    {
      g_set_error (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_FAILED,
                   _("%s: the connection closed before the reply was complete"),
                   nb_http_provider_get_display_name (self));
      return FALSE;
    }
  return TRUE;
}

char *
nb_http_provider_error_body_message (NbHttpProvider *self,
                                     GByteArray     *body)
{
  NbHttpProviderClass *klass = NB_HTTP_PROVIDER_GET_CLASS (self);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *text = NULL;

  if (body == NULL || body->len == 0)
    return NULL;

  if (nb_json_parser_load (parser, (const char *) body->data, body->len, NULL) &&
      json_parser_get_root (parser) != NULL && klass->error_message != NULL)
    {
      char *message = klass->error_message (self, json_parser_get_root (parser));

      if (message != NULL)
        return message;
    }

  if (looks_like_html ((const char *) body->data, body->len))
    return NULL;
  text = g_utf8_make_valid ((const char *) body->data, MIN (body->len, 300));
  return g_strstrip (g_steal_pointer (&text));
}
