/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void nb_scroll_passthrough_vertical (GtkScrolledWindow *scroller);

G_END_DECLS
