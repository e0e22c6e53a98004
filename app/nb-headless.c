/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config.h"
#include "nb-headless.h"

int
nb_headless_run (const char *config_path,
                 const char *message,
                 const char *session_key)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *default_path = NULL;

  if (config_path == NULL)
    config_path = default_path = nb_config_get_default_path ();

  config = nb_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("nanobot: %s\n", error->message);
      return 2;
    }

  g_printerr ("nanobot: %s\n", _("no provider configured"));
  return 2;
}
