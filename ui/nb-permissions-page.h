/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-permissions.h"

G_BEGIN_DECLS

#define NB_TYPE_PERMISSIONS_PAGE (nb_permissions_page_get_type ())
G_DECLARE_FINAL_TYPE (NbPermissionsPage, nb_permissions_page, NB, PERMISSIONS_PAGE, AdwPreferencesPage)

GtkWidget *nb_permissions_page_new (NbPermissions *permissions);

G_END_DECLS
