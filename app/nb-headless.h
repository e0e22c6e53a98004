/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs one agent turn for `nanobot -m TEXT` without touching GTK.
 * Returns the process exit status (0, 1, 2 or 130). */
int nb_headless_run (const char *config_path,
                     const char *message,
                     const char *session_key);

G_END_DECLS
