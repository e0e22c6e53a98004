/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A SKILL.md: the YAML-ish frontmatter (name, description, the metadata
 * JSON with requirements and "always"), the body.
 */
#include "config.h"

#include "nb-skills.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(NbSkill) skill = NULL;
  g_autoptr(GError) error = NULL;

  nb_fuzz_init ();
  skill = nb_skill_parse ("fuzz-skill", text, &error);
  g_assert ((skill == NULL) == (error != NULL));
  return 0;
}
