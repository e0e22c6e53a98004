/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `nanobot --import-python [DIR]`: copies the Python nanobot's sessions
 * into ours, prints what happened and returns the exit status: 0 done
 * (also when some keys were skipped because we have them), 1 some file
 * could not be read or written, 2 DIR is not a folder. No GTK. */
int nb_import_cli_run (const char *python_dir);

G_END_DECLS
