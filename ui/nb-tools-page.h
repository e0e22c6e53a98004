/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_TOOLS_PAGE (nb_tools_page_get_type ())
G_DECLARE_FINAL_TYPE (NbToolsPage, nb_tools_page, NB, TOOLS_PAGE, AdwPreferencesPage)

NbToolsPage *nb_tools_page_new (NbAssistant *assistant);

G_END_DECLS
