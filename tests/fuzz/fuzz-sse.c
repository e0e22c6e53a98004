/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An OpenAI-style SSE body, as the provider reads it off the wire: the
 * framing (lines, events, limits, HTML instead of a stream), the JSON of
 * each event, text, reasoning and tool-call deltas joined into a
 * response. The first byte picks the provider (OpenAI or Anthropic) and
 * where the body is split into two network reads.
 */
#include "config.h"

#include "nb-anthropic-provider.h"
#include "nb-http-provider-private.h"
#include "nb-openai-provider.h"
#include "nb-fuzz.h"

static void
delta_cb (NbChatDeltaKind  kind,
          guint            index,
          const char      *text,
          const char      *tool_name,
          gpointer         user_data)
{
  g_assert (text != NULL);
  g_assert (g_utf8_validate (text, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static NbProvider *providers[2];
  g_autoptr(NbProviderStream) stream = NULL;
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  NbHttpProvider *provider;
  size_t split;

  nb_fuzz_init ();
  if (providers[0] == NULL)
    {
      providers[0] = nb_openai_provider_new ("openai", "http://127.0.0.1:9", "sk-fuzz");
      providers[1] = nb_anthropic_provider_new ("anthropic", "http://127.0.0.1:9", "sk-fuzz");
    }
  if (size < 1)
    return 0;
  provider = NB_HTTP_PROVIDER (providers[data[0] & 1]);
  split = size > 1 ? (data[0] >> 1) % size : 0;
  data++;
  size--;
  split = MIN (split, size);

  stream = nb_provider_stream_new (delta_cb, NULL, "text/event-stream");
  if (nb_http_provider_feed (provider, stream, (const char *) data, split, &error) &&
      nb_http_provider_feed (provider, stream, (const char *) data + split, size - split, &error) &&
      nb_http_provider_end (provider, stream, &error))
    {
      response = nb_provider_stream_take_response (stream);
      g_assert (response != NULL);
    }
  return 0;
}
