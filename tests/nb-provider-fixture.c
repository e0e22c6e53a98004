/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-http-provider-private.h"
#include "nb-provider-fixture.h"
#include "nb-test-util.h"

void
nb_provider_fixture_set_up (NbProviderFixture *fixture,
                            gconstpointer      data)
{
  fixture->spec = data;
  fixture->fake = nb_fake_llm_new ();
  fixture->provider = fixture->spec->new_provider (nb_fake_llm_get_url (fixture->fake));
  nb_http_provider_set_retry_policy (NB_HTTP_PROVIDER (fixture->provider), 3, 5);
  fixture->text = g_string_new (NULL);
  fixture->reasoning = g_string_new (NULL);
  fixture->tools = g_string_new (NULL);
  fixture->n_deltas = 0;
}

void
nb_provider_fixture_tear_down (NbProviderFixture *fixture,
                               gconstpointer      data)
{
  g_assert_finalize_object (fixture->provider);
  nb_fake_llm_free (fixture->fake);
  g_string_free (fixture->text, TRUE);
  g_string_free (fixture->reasoning, TRUE);
  g_string_free (fixture->tools, TRUE);
}

void
nb_provider_fixture_delta_cb (NbChatDeltaKind  kind,
                              guint            index,
                              const char      *text,
                              const char      *tool_name,
                              gpointer         user_data)
{
  NbProviderFixture *fixture = user_data;

  fixture->n_deltas++;
  switch (kind)
    {
    case NB_CHAT_DELTA_TEXT:
      g_string_append (fixture->text, text);
      break;
    case NB_CHAT_DELTA_REASONING:
      g_string_append (fixture->reasoning, text);
      break;
    case NB_CHAT_DELTA_TOOL_CALL:
      if (tool_name != NULL)
        g_string_append_printf (fixture->tools, "%u:%s(", index, tool_name);
      g_string_append (fixture->tools, text);
      break;
    default:
      g_assert_not_reached ();
    }
}

NbChatResponse *
nb_provider_fixture_run (NbProviderFixture  *fixture,
                         GCancellable       *cancellable,
                         GError            **error)
{
  g_autoptr(NbChatRequest) request = fixture->spec->new_request ();
  GAsyncResult *result = NULL;
  NbChatResponse *response;

  nb_provider_chat_async (fixture->provider, request, nb_provider_fixture_delta_cb, fixture, cancellable,
                          nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  response = nb_provider_chat_finish (fixture->provider, result, error);
  g_object_unref (result);
  return response;
}
