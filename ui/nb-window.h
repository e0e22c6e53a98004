/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NB_TYPE_WINDOW (nb_window_get_type ())
G_DECLARE_FINAL_TYPE (NbWindow, nb_window, NB, WINDOW, AdwApplicationWindow)

NbWindow *nb_window_new (GtkApplication *application);

G_END_DECLS
