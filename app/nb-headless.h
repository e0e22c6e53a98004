/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs one request for `nanobot -m TEXT [-s KEY]` without touching GTK and
 * returns the exit status: 0 done, 1 the turn failed, 2 bad configuration,
 * 130 interrupted. @config_path may be %NULL for the default file. */
int   nb_headless_run           (const char *config_path,
                                 const char *message,
                                 const char *session_key);

char *nb_headless_describe_call (const char *name,
                                 const char *arguments_json);

G_END_DECLS
