/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_PROVIDERS_PAGE (nb_providers_page_get_type ())
G_DECLARE_FINAL_TYPE (NbProvidersPage, nb_providers_page, NB, PROVIDERS_PAGE, AdwPreferencesPage)

NbProvidersPage *nb_providers_page_new (NbAssistant *assistant);

G_END_DECLS
