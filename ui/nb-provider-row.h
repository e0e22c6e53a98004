/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_PROVIDER_ROW (nb_provider_row_get_type ())
G_DECLARE_FINAL_TYPE (NbProviderRow, nb_provider_row, NB, PROVIDER_ROW, AdwExpanderRow)

/* One configured provider: server address, extra headers, the key (in
 * the keyring, or in config.json with an offer to move it), Test
 * Connection. Emits ::models when a test listed the provider's models. */
NbProviderRow *nb_provider_row_new      (NbAssistant   *assistant,
                                         const char    *name);
const char    *nb_provider_row_get_name (NbProviderRow *self);
/* Re-reads the values from the configuration. */
void           nb_provider_row_update   (NbProviderRow *self);

G_END_DECLS
