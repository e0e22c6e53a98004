/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-fake-llm.h"
#include "nb-provider.h"

G_BEGIN_DECLS

/* What the provider tests share: a fake server, a provider talking to it,
 * and the deltas the provider streamed so far. */
typedef struct {
  NbFakeLlm  *fake;
  NbProvider *provider;
  GString    *text;       /* text deltas */
  GString    *reasoning;  /* reasoning deltas */
  GString    *tools;      /* "index:name(" at a call's start, fragments after */
  guint       n_deltas;
} NbProviderFixture;

/* Makes the provider under test for a server at @api_base. */
typedef NbProvider *(*NbProviderFixtureNew) (const char *api_base);

/* Starts the fake server, makes the provider with @new_provider and gives
 * it a short retry policy (3 tries, 5 ms apart). */
void            nb_provider_fixture_set_up    (NbProviderFixture     *fixture,
                                               NbProviderFixtureNew   new_provider);
/* Checks the provider is finalized and frees everything; fits g_test_add(). */
void            nb_provider_fixture_tear_down (NbProviderFixture     *fixture,
                                               gconstpointer          data);

/* An NbChatDeltaFunc that records into the fixture given as @user_data. */
void            nb_provider_fixture_delta_cb  (NbChatDeltaKind        kind,
                                               guint                  index,
                                               const char            *text,
                                               const char            *tool_name,
                                               gpointer               user_data);

/* Sends @request with nb_provider_fixture_delta_cb() recording the deltas
 * and waits for the answer. */
NbChatResponse *nb_provider_fixture_chat      (NbProviderFixture     *fixture,
                                               NbChatRequest         *request,
                                               GCancellable          *cancellable,
                                               GError               **error);

G_END_DECLS
