/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An Ollama NDJSON body, as the provider reads it: lines, the JSON
 * object of each, message content, thinking and tool calls joined into a
 * response. The first byte picks where the body is split into two reads.
 */
#include "config.h"

#include "nb-http-provider-private.h"
#include "nb-ollama-provider.h"
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
  static NbProvider *provider;
  g_autoptr(NbProviderStream) stream = NULL;
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  size_t split;

  nb_fuzz_init ();
  if (provider == NULL)
    provider = nb_ollama_provider_new ("ollama", "http://127.0.0.1:9", NULL);
  if (size < 1)
    return 0;
  split = size > 1 ? data[0] % size : 0;
  data++;
  size--;
  split = MIN (split, size);

  stream = nb_provider_stream_new (delta_cb, NULL, "application/x-ndjson");
  if (nb_http_provider_feed (NB_HTTP_PROVIDER (provider), stream, (const char *) data, split, &error) &&
      nb_http_provider_feed (NB_HTTP_PROVIDER (provider), stream, (const char *) data + split, size - split, &error) &&
      nb_http_provider_end (NB_HTTP_PROVIDER (provider), stream, &error))
    {
      response = nb_provider_stream_take_response (stream);
      g_assert (response != NULL);
    }
  return 0;
}
