/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider-stream"

#include "config.h"

#include <string.h>

#include "nb-provider-stream.h"
#include "nb-utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/*
 * NbProviderStream collects one reply as it streams in: text, reasoning,
 * tool calls assembled from argument fragments, the finish reason and the
 * token usage. Every fragment also goes to the caller's delta function.
 */

static void
tool_call_builder_free (gpointer data)
{
  NbToolCallBuilder *builder = data;

  g_free (builder->id);
  g_free (builder->name);
  g_string_free (builder->arguments, TRUE);
  g_free (builder);
}

NbProviderStream *
nb_provider_stream_new (NbChatDeltaFunc  delta_func,
                        gpointer         delta_data,
                        const char      *content_type)
{
  NbProviderStream *stream = g_new0 (NbProviderStream, 1);

  stream->delta_func = delta_func;
  stream->delta_data = delta_data;
  stream->content = g_string_new (NULL);
  stream->reasoning = g_string_new (NULL);
  stream->calls = g_ptr_array_new_with_free_func (tool_call_builder_free);
  stream->content_type = g_strdup (content_type);
  stream->line = g_byte_array_new ();
  stream->max_line = NB_HTTP_PROVIDER_MAX_LINE;
  nb_sse_parser_init (&stream->sse, stream->max_line);
  stream->blocks = g_array_new (FALSE, TRUE, sizeof (int));
  stream->parser = json_parser_new ();
  return stream;
}

void
nb_provider_stream_free (NbProviderStream *stream)
{
  if (stream == NULL)
    return;
  g_string_free (stream->content, TRUE);
  g_string_free (stream->reasoning, TRUE);
  g_ptr_array_unref (stream->calls);
  g_free (stream->finish_reason);
  g_free (stream->content_type);
  g_byte_array_unref (stream->line);
  nb_sse_parser_clear (&stream->sse);
  g_clear_pointer (&stream->whole, g_byte_array_unref);
  g_array_unref (stream->blocks);
  g_object_unref (stream->parser);
  g_free (stream);
}

void
nb_provider_stream_add_text (NbProviderStream *stream,
                             const char       *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL || *text == '\0')
    return;
  stream->kept += strlen (text);
  stream->delivered = TRUE;
  valid = nb_utf8_join_surrogates (text, &stream->text_high);
  if (*valid == '\0')
    return;
  g_string_append (stream->content, valid);
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TEXT, 0, valid, NULL, stream->delta_data);
}

void
nb_provider_stream_add_reasoning (NbProviderStream *stream,
                                  const char       *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL || *text == '\0')
    return;
  stream->kept += strlen (text);
  stream->delivered = TRUE;
  valid = nb_utf8_join_surrogates (text, &stream->reasoning_high);
  if (*valid == '\0')
    return;
  g_string_append (stream->reasoning, valid);
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_REASONING, 0, valid, NULL, stream->delta_data);
}

guint
nb_provider_stream_begin_call (NbProviderStream *stream,
                               gint              wire_index,
                               const char       *id,
                               const char       *name)
{
  NbToolCallBuilder *builder = g_new0 (NbToolCallBuilder, 1);
  guint position = stream->calls->len;

  builder->wire_index = wire_index;
  builder->id = id != NULL ? nb_utf8_join_surrogates (id, NULL) : NULL;
  builder->name = name != NULL ? nb_utf8_join_surrogates (name, NULL) : NULL;
  builder->arguments = g_string_new (NULL);
  g_ptr_array_add (stream->calls, builder);

  stream->delivered = TRUE;
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TOOL_CALL, position, "", builder->name, stream->delta_data);
  return position;
}

gint
nb_provider_stream_find_call (NbProviderStream *stream,
                              gint              wire_index)
{
  for (guint i = stream->calls->len; i > 0; i--)
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, i - 1);

      if (builder->wire_index == wire_index)
        return i - 1;
    }
  return -1;
}

void
nb_provider_stream_add_arguments (NbProviderStream *stream,
                                  guint             position,
                                  const char       *fragment)
{
  NbToolCallBuilder *builder;
  g_autofree char *valid = NULL;

  g_return_if_fail (position < stream->calls->len);

  if (fragment == NULL || *fragment == '\0')
    return;
  builder = g_ptr_array_index (stream->calls, position);
  stream->kept += strlen (fragment);
  valid = nb_utf8_join_surrogates (fragment, &builder->arguments_high);
  if (*valid == '\0')
    return;
  g_string_append (builder->arguments, valid);
  if (stream->delta_func != NULL)
    stream->delta_func (NB_CHAT_DELTA_TOOL_CALL, position, valid, NULL, stream->delta_data);
}

void
nb_provider_stream_set_finish (NbProviderStream *stream,
                               const char       *finish_reason)
{
  g_free (stream->finish_reason);
  stream->finish_reason = finish_reason != NULL ? nb_utf8_join_surrogates (finish_reason, NULL) : NULL;
}

/**
 * nb_provider_stream_take_response:
 *
 * Turns what streamed in into the reply; arguments are parsed only here,
 * once, and a call whose arguments do not parse keeps the reason in
 * parse_error so that the agent can answer the tool with an error.
 *
 * Returns: (transfer full): the reply
 */
NbChatResponse *
nb_provider_stream_take_response (NbProviderStream *stream)
{
  NbChatResponse *response = nb_chat_response_new ();

  /* A high surrogate whose low half never came. */
  if (stream->text_high != 0)
    {
      stream->text_high = 0;
      g_string_append (stream->content, REPLACEMENT);
      if (stream->delta_func != NULL)
        stream->delta_func (NB_CHAT_DELTA_TEXT, 0, REPLACEMENT, NULL, stream->delta_data);
    }
  if (stream->reasoning_high != 0)
    {
      stream->reasoning_high = 0;
      g_string_append (stream->reasoning, REPLACEMENT);
      if (stream->delta_func != NULL)
        stream->delta_func (NB_CHAT_DELTA_REASONING, 0, REPLACEMENT, NULL, stream->delta_data);
    }

  if (stream->content->len > 0)
    response->content = g_strdup (stream->content->str);
  if (stream->reasoning->len > 0)
    response->reasoning = g_strdup (stream->reasoning->str);

  for (guint i = 0; i < stream->calls->len; i++)
    {
      NbToolCallBuilder *builder = g_ptr_array_index (stream->calls, i);
      g_autofree char *id = NULL;

      if (builder->arguments_high != 0)
        g_string_append_unichar (builder->arguments, 0xFFFD);
      builder->arguments_high = 0;
      if (builder->id == NULL || *builder->id == '\0')
        id = g_strdup_printf ("call_%u", i);
      g_ptr_array_add (response->tool_calls,
                       nb_tool_call_new (id ? id : builder->id,
                                         builder->name ? builder->name : "",
                                         builder->arguments->str));
    }

  if (stream->finish_reason != NULL)
    response->finish_reason = g_strdup (stream->finish_reason);
  else
    response->finish_reason = g_strdup (stream->calls->len > 0 ? "tool_calls" : "stop");
  response->usage = stream->usage;
  return response;
}
