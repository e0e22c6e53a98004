/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.json as Nanobot loads it: parsing, the type checks with their
 * positions, typed lookups of the keys every turn reads; then saved and
 * loaded again, which must succeed whenever the first load did.
 */
#include "config.h"

#include "nb-config.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *dir = nb_fuzz_init ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(NbConfig) again = NULL;
  g_autoptr(GError) error = NULL;

  nb_fuzz_write (path, data, size);
  config = nb_config_load (path, &error);
  if (config != NULL)
    {
      nb_config_get_string (config, "agents.defaults.model");
      nb_config_get_string (config, "agents.defaults.workspace");
      nb_config_get_int (config, "agents.defaults.maxTokens");
      nb_config_get_double (config, "agents.defaults.temperature");
      nb_config_get_boolean (config, "tools.restrictToWorkspace");
      nb_config_get_string (config, "providers.openai.apiKey");
      nb_config_set_string (config, "agents.defaults.model", "fuzz-model");
      if (nb_config_save (config, NULL, &error))
        {
          again = nb_config_load (path, &error);
          g_assert (again != NULL);
          g_assert (g_str_equal (nb_config_get_string (again, "agents.defaults.model"), "fuzz-model"));
        }
    }
  nb_fuzz_clean ();
  return 0;
}
