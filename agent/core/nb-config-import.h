/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-config-edit.h"

G_BEGIN_DECLS

/* ~/.nanobot/config.json, the Python nanobot's configuration. */
char         *nb_config_import_get_python_path (void);

/* Reads the Python nanobot's config.json at @path (only reads: nothing is
 * ever written under ~/.nanobot) and returns the changes that bring its
 * settings into ours: the model settings of agents.defaults (not the
 * workspace, which lives in ~/.nanobot), the providers that have a key or
 * an address (without their keys), tools.web, tools.exec,
 * tools.restrictToWorkspace and tools.mcpServers. The providers' keys go
 * to @keys (name → key) for the keyring. */
NbConfigEdit *nb_config_import_python          (const char   *path,
                                                GHashTable  **keys,
                                                GError      **error);

G_END_DECLS
