/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * NbSkill:
 * @name: the folder name
 * @description: what the skill is for (the frontmatter's, else the name)
 * @location: where the model can read SKILL.md (a path, or a resource URI
 *   for a built-in skill that is not on disk)
 * @body: SKILL.md without its frontmatter
 * @bins: (array zero-terminated=1): programs it needs on PATH
 * @env: (array zero-terminated=1): environment variables it needs
 * @always: its body goes into every system prompt
 * @builtin: shipped with Nanobot rather than in the workspace
 * @available: every required program and variable is there
 * @missing: (nullable): what is missing, "CLI: gh, ENV: TOKEN"
 */
typedef struct {
  char     *name;
  char     *description;
  char     *location;
  char     *body;
  GStrv     bins;
  GStrv     env;
  gboolean  always;
  gboolean  builtin;
  gboolean  available;
  char     *missing;
} NbSkill;

void nb_skill_free (NbSkill *skill);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbSkill, nb_skill_free)

/* Parses a SKILL.md; %NULL with @error set when it is malformed. */
NbSkill *nb_skill_parse (const char  *name,
                         const char  *text,
                         GError     **error);

#define NB_TYPE_SKILLS (nb_skills_get_type ())
G_DECLARE_FINAL_TYPE (NbSkills, nb_skills, NB, SKILLS, GObject)

NbSkills   *nb_skills_new                (const char *workspace);
/* Reads the workspace's skills/ again and checks requirements. */
void        nb_skills_reload             (NbSkills   *self);
/* Returns: (transfer none) (element-type NbSkill): sorted by name */
GPtrArray  *nb_skills_get_skills         (NbSkills   *self);
NbSkill    *nb_skills_lookup             (NbSkills   *self,
                                          const char *name);
/* The folders below skills/ seen by the last reload, valid or not.
 * Returns: (transfer none) (element-type utf8) */
GPtrArray  *nb_skills_get_workspace_dirs (NbSkills   *self);
/* <skills><skill available="…"><name/>…</skill></skills>, or %NULL */
char       *nb_skills_build_summary      (NbSkills   *self);
/* The bodies of the available always-on skills, or %NULL */
char       *nb_skills_build_always       (NbSkills   *self);

G_END_DECLS
