/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-fake-llm.h"
#include "nb-provider.h"

G_BEGIN_DECLS

/* What a provider test file sets: how to make its provider for a server
 * at @api_base, and the request its tests send. */
typedef struct {
  NbProvider    *(*new_provider) (const char *api_base);
  NbChatRequest *(*new_request)  (void);
} NbProviderFixtureSpec;

/* What the provider tests share: a fake server, a provider talking to it,
 * and the deltas the provider streamed so far. */
typedef struct {
  const NbProviderFixtureSpec *spec;
  NbFakeLlm  *fake;
  NbProvider *provider;
  GString    *text;       /* text deltas */
  GString    *reasoning;  /* reasoning deltas */
  GString    *tools;      /* "index:name(" at a call's start, fragments after */
  guint       n_deltas;
} NbProviderFixture;

/* Starts the fake server, makes the provider as the NbProviderFixtureSpec
 * given as @data says and gives it a short retry policy (3 tries, 5 ms
 * apart); fits g_test_add(). */
void            nb_provider_fixture_set_up    (NbProviderFixture     *fixture,
                                               gconstpointer          data);
/* Checks the provider is finalized and frees everything; fits g_test_add(). */
void            nb_provider_fixture_tear_down (NbProviderFixture     *fixture,
                                               gconstpointer          data);

/* An NbChatDeltaFunc that records into the fixture given as @user_data. */
void            nb_provider_fixture_delta_cb  (NbChatDeltaKind        kind,
                                               guint                  index,
                                               const char            *text,
                                               const char            *tool_name,
                                               gpointer               user_data);

/* Sends the spec's request with nb_provider_fixture_delta_cb() recording
 * the deltas and waits for the answer. */
NbChatResponse *nb_provider_fixture_run       (NbProviderFixture     *fixture,
                                               GCancellable          *cancellable,
                                               GError               **error);

G_END_DECLS
