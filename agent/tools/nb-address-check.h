/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean      nb_address_check_is_private   (GInetAddress *address);
GInetAddress *nb_address_check_parse_host   (const char   *host);

G_END_DECLS
