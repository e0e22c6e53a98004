/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A real Secret Service for tests, never the user's: a private session
 * bus (GTestDBus) and gnome-keyring-daemon with its own HOME,
 * XDG_DATA_HOME and XDG_RUNTIME_DIR under a temporary folder, its login
 * keyring made and unlocked with a test password. Call
 * nb_test_keyring_start() in main() before anything uses libsecret or the
 * session bus, and nb_test_keyring_stop() after g_test_run().
 */

typedef struct _NbTestKeyring NbTestKeyring;

NbTestKeyring *nb_test_keyring_start (void);
void           nb_test_keyring_stop  (NbTestKeyring *keyring);

G_END_DECLS
