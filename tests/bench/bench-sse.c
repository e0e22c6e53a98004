/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-anthropic-provider.h"
#include "nb-fake-llm.h"
#include "nb-http-provider-private.h"
#include "nb-openai-provider.h"

#define STREAM_SIZE (1024 * 1024)
#define READ_SIZE   (32 * 1024)
#define ROUNDS      20

static void
count_cb (NbChatDeltaKind  kind,
          guint            index,
          const char      *text,
          const char      *tool_name,
          gpointer         user_data)
{
  (*(guint *) user_data)++;
}

static void
bench (const char *label,
       NbProvider *provider,
       const char *stream)
{
  gsize length = strlen (stream);
  guint deltas = 0;
  gint64 start = g_get_monotonic_time ();
  double seconds, megabytes;

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(NbProviderStream) state = nb_provider_stream_new (count_cb, &deltas, "text/event-stream");
      g_autoptr(NbChatResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      for (gsize offset = 0; offset < length; offset += READ_SIZE)
        if (!nb_http_provider_feed (NB_HTTP_PROVIDER (provider), state, stream + offset,
                                    MIN (READ_SIZE, length - offset), &error))
          g_error ("%s", error->message);
      if (!nb_http_provider_end (NB_HTTP_PROVIDER (provider), state, &error))
        g_error ("%s", error->message);
      response = nb_provider_stream_take_response (state);
      g_assert_nonnull (response->content);
    }

  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  megabytes = (double) length * ROUNDS / (1024.0 * 1024.0);
  g_print ("%-10s %.2f MB stream x %d: %.1f MB/s, %.0f deltas/s\n",
           label, length / (1024.0 * 1024.0), ROUNDS, megabytes / seconds, deltas / seconds);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NbProvider) openai = nb_openai_provider_new ("openai", "http://127.0.0.1:1", NULL);
  g_autoptr(NbProvider) anthropic = nb_anthropic_provider_new ("anthropic", "http://127.0.0.1:1", NULL);
  g_autofree char *openai_stream = NULL;
  g_autofree char *anthropic_stream = NULL;

  /* The OpenAI stream: repeated content chunks, then the end. */
  {
    g_autofree char *one = nb_fake_llm_openai_text_stream ("The quick brown fox jumps over the lazy dog, "
                                                           "while the parser counts every word that streams past.");
    const char *body_start = strstr (one, "\n\n") + 2;
    const char *body_end = strstr (one, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},");
    GString *out = g_string_new (NULL);

    while (out->len < STREAM_SIZE)
      g_string_append_len (out, body_start, body_end - body_start);
    g_string_append (out, body_end);
    openai_stream = g_string_free (out, FALSE);
  }
  {
    g_autofree char *one = nb_fake_llm_anthropic_text_stream ("The quick brown fox jumps over the lazy dog, "
                                                              "while the parser counts every word that streams past.");
    const char *body_start = strstr (one, "event: content_block_delta");
    const char *body_end = strstr (one, "event: content_block_stop");
    GString *out = g_string_new (NULL);

    g_string_append_len (out, one, body_start - one);
    while (out->len < STREAM_SIZE)
      g_string_append_len (out, body_start, body_end - body_start);
    g_string_append (out, body_end);
    anthropic_stream = g_string_free (out, FALSE);
  }

  bench ("openai", openai, openai_stream);
  bench ("anthropic", anthropic, anthropic_stream);
  return 0;
}
