/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_MEMORY_PAGE (nb_memory_page_get_type ())
G_DECLARE_FINAL_TYPE (NbMemoryPage, nb_memory_page, NB, MEMORY_PAGE, AdwPreferencesPage)

NbMemoryPage *nb_memory_page_new (NbAssistant *assistant);

G_END_DECLS
