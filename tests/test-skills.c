/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "nb-skills.h"
#include "nb-test-util.h"

typedef struct {
  char *workspace;
  char *bin;
  char *old_path;
} Fixture;

static void
write_skill (Fixture    *f,
             const char *name,
             const char *text)
{
  g_autofree char *path = g_build_filename (f->workspace, "skills", name, "SKILL.md", NULL);

  nb_test_write_file (path, text);
}

static void
add_program (Fixture    *f,
             const char *name)
{
  g_autofree char *path = g_build_filename (f->bin, name, NULL);

  nb_test_write_file (path, "#!/bin/sh\n");
  g_chmod (path, 0755);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->workspace = nb_test_make_tmpdir ();
  f->bin = nb_test_make_tmpdir ();
  /* Requirements are checked against this PATH only. */
  f->old_path = g_strdup (g_getenv ("PATH"));
  g_setenv ("PATH", f->bin, TRUE);
  g_unsetenv ("NB_TEST_TOKEN");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_setenv ("PATH", f->old_path, TRUE);
  nb_test_rm_rf (f->workspace);
  nb_test_rm_rf (f->bin);
  g_free (f->workspace);
  g_free (f->bin);
  g_free (f->old_path);
}

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSkill) skill = NULL;
  g_autoptr(NbSkill) plain = NULL;

  skill = nb_skill_parse ("deploy",
                          "---\n"
                          "name: deploy\n"
                          "description: \"Ship it: build, test, upload\"\n"
                          "# a comment\n"
                          "metadata: {\"nanobot\": {\"requires\": {\"bins\": [\"rsync\", \"make\"], \"env\": [\"HOST\"]}, \"always\": true}}\n"
                          "---\n"
                          "\n"
                          "# Deploy\n\nRun make.\n\n",
                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (skill->name, ==, "deploy");
  g_assert_cmpstr (skill->description, ==, "Ship it: build, test, upload");
  g_assert_cmpstr (skill->body, ==, "# Deploy\n\nRun make.");
  g_assert_true (skill->always);
  g_assert_cmpuint (g_strv_length (skill->bins), ==, 2);
  g_assert_cmpstr (skill->bins[1], ==, "make");
  g_assert_cmpstr (skill->env[0], ==, "HOST");

  /* No frontmatter: the whole file is the body, the name describes it. */
  plain = nb_skill_parse ("notes", "Just text.\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain->description, ==, "notes");
  g_assert_cmpstr (plain->body, ==, "Just text.");
  g_assert_false (plain->always);
}

static void
test_parse_malformed (void)
{
  static const char * const bad[] = {
    "---\nname: x\ndescription: never closed\n",
    "---\nname: x\nmetadata: {\"nanobot\": {\"requires\": \n---\nbody\n",
    "---\nname: x\nthis line has no colon\n---\nbody\n",
    "---\nmetadata: [1, 2]\n---\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NbSkill) skill = nb_skill_parse ("x", bad[i], &error);

      g_assert_null (skill);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

/* Frontmatter the Python nanobot's line parser accepts: ClawHub/OpenClaw
 * metadata as JSON over several lines with trailing commas, YAML lists and
 * maps (Agent Skills). */
static void
test_parse_yaml_shapes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSkill) clawhub = NULL;
  g_autoptr(NbSkill) lists = NULL;
  g_autoptr(NbSkill) map = NULL;

  clawhub = nb_skill_parse ("gh",
                            "---\n"
                            "name: gh\n"
                            "description: GitHub, the CLI way.\n"
                            "metadata:\n"
                            "  {\n"
                            "    \"openclaw\":\n"
                            "      {\n"
                            "        \"emoji\": \"🐙\",\n"
                            "        \"note\": \"a comma, then } inside a string\",\n"
                            "        \"requires\": { \"bins\": [\"gh\", \"git\",], \"env\": [\"GH_TOKEN\"] },\n"
                            "        \"always\": true,\n"
                            "      },\n"
                            "  }\n"
                            "---\n"
                            "Use gh.\n",
                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clawhub->description, ==, "GitHub, the CLI way.");
  g_assert_cmpuint (g_strv_length (clawhub->bins), ==, 2);
  g_assert_cmpstr (clawhub->bins[1], ==, "git");
  g_assert_cmpstr (clawhub->env[0], ==, "GH_TOKEN");
  g_assert_true (clawhub->always);
  g_assert_cmpstr (clawhub->body, ==, "Use gh.");

  lists = nb_skill_parse ("lists",
                          "---\nname: lists\ndescription: With lists.\nallowed-tools:\n  - Bash\n  - Read\n"
                          "tags:\n- one\n- two\nlicense: MIT\n---\nBody.\n",
                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lists->description, ==, "With lists.");
  g_assert_cmpstr (lists->body, ==, "Body.");

  /* A nested key does not replace the skill's own description. */
  map = nb_skill_parse ("map",
                        "---\nname: map\ndescription: Top level.\nmetadata:\n  author: someone\n"
                        "  description: nested\n---\nBody.\n",
                        &error);
  g_assert_no_error (error);
  g_assert_cmpstr (map->description, ==, "Top level.");
  g_assert_cmpuint (g_strv_length (map->bins), ==, 0);
  g_assert_false (map->always);
}

static void
test_builtin (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(NbSkills) skills = nb_skills_new (f->workspace);
  static const char * const names[] = { "github", "memory", "skill-creator", "summarize", "tmux", "weather" };
  GPtrArray *list = nb_skills_get_skills (skills);
  g_autofree char *always = NULL;
  NbSkill *memory;
  NbSkill *weather;

  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      NbSkill *skill = g_ptr_array_index (list, i);

      g_assert_cmpstr (skill->name, ==, names[i]);
      g_assert_true (skill->builtin);
      g_assert_cmpstr (skill->description, !=, skill->name);
      /* The model can read a built-in skill from disk. */
      g_assert_true (g_file_test (skill->location, G_FILE_TEST_IS_REGULAR));
    }

  memory = nb_skills_lookup (skills, "memory");
  g_assert_true (memory->always);
  g_assert_true (memory->available);
  always = nb_skills_build_always (skills);
  g_assert_true (g_str_has_prefix (always, "### Skill: memory\n\n# Memory"));
  g_assert_null (strstr (always, "---\nname:"));

  /* curl is not on our PATH. */
  weather = nb_skills_lookup (skills, "weather");
  g_assert_false (weather->available);
  g_assert_cmpstr (weather->missing, ==, "CLI: curl");
  add_program (f, "curl");
  nb_skills_reload (skills);
  weather = nb_skills_lookup (skills, "weather");
  g_assert_true (weather->available);
  g_assert_null (weather->missing);
}

static void
test_workspace_overrides (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(NbSkills) skills = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *expected_location = g_build_filename (f->workspace, "skills", "weather", "SKILL.md", NULL);
  NbSkill *weather;

  write_skill (f, "weather",
               "---\nname: weather\ndescription: Our own <weather> & more\n---\nUse the station on the roof.\n");
  write_skill (f, "deploy",
               "---\nname: deploy\ndescription: Deploy the site\n"
               "metadata: {\"nanobot\": {\"requires\": {\"bins\": [\"rsync\"], \"env\": [\"NB_TEST_TOKEN\"]}}}\n---\nSteps.\n");
  skills = nb_skills_new (f->workspace);

  weather = nb_skills_lookup (skills, "weather");
  g_assert_false (weather->builtin);
  g_assert_true (weather->available);
  g_assert_cmpstr (weather->location, ==, expected_location);
  g_assert_cmpuint (nb_skills_get_skills (skills)->len, ==, 7);
  g_assert_cmpuint (nb_skills_get_workspace_dirs (skills)->len, ==, 2);

  summary = nb_skills_build_summary (skills);
  g_assert_true (g_str_has_prefix (summary, "<skills>\n"));
  g_assert_true (g_str_has_suffix (summary, "</skills>"));
  g_assert_nonnull (strstr (summary,
                            "  <skill available=\"false\">\n"
                            "    <name>deploy</name>\n"
                            "    <description>Deploy the site</description>\n"));
  g_assert_nonnull (strstr (summary, "    <requires>CLI: rsync, ENV: NB_TEST_TOKEN</requires>\n"));
  g_assert_nonnull (strstr (summary, "<description>Our own &lt;weather&gt; &amp; more</description>"));
  g_clear_pointer (&summary, g_free);

  add_program (f, "rsync");
  g_setenv ("NB_TEST_TOKEN", "x", TRUE);
  nb_skills_reload (skills);
  summary = nb_skills_build_summary (skills);
  g_assert_nonnull (strstr (summary, "  <skill available=\"true\">\n    <name>deploy</name>\n"));
  g_assert_null (strstr (summary, "NB_TEST_TOKEN"));
  g_unsetenv ("NB_TEST_TOKEN");
}

static void
test_malformed_skipped (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(NbSkills) skills = NULL;
  g_autofree char *broken = g_build_filename (f->workspace, "skills", "broken", "SKILL.md", NULL);
  g_autofree char *pattern = g_strdup_printf ("Skipped the skill %s: *closing*", broken);
  g_autofree char *empty_dir = g_build_filename (f->workspace, "skills", "empty", NULL);

  write_skill (f, "broken", "---\nname: broken\ndescription: no end\n");
  write_skill (f, "good", "---\nname: good\ndescription: fine\n---\nok\n");
  g_mkdir_with_parents (empty_dir, 0700);

  g_test_expect_message ("nb-skills", G_LOG_LEVEL_MESSAGE, pattern);
  skills = nb_skills_new (f->workspace);
  g_test_assert_expected_messages ();

  g_assert_null (nb_skills_lookup (skills, "broken"));
  g_assert_nonnull (nb_skills_lookup (skills, "good"));
  g_assert_null (nb_skills_lookup (skills, "empty"));
  /* Folders are still reported, so that a fix to them is noticed. */
  g_assert_cmpuint (nb_skills_get_workspace_dirs (skills)->len, ==, 3);
}

static void
test_always_needs_requirements (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(NbSkills) skills = NULL;
  g_autofree char *always = NULL;

  write_skill (f, "ops", "---\ndescription: ops\nmetadata: {\"nanobot\": {\"always\": true, \"requires\": {\"bins\": [\"kubectl\"]}}}\n---\nOPS BODY\n");
  write_skill (f, "style", "---\ndescription: house style\nalways: true\n---\nSTYLE BODY\n");
  skills = nb_skills_new (f->workspace);
  always = nb_skills_build_always (skills);
  g_assert_null (strstr (always, "OPS BODY"));
  g_assert_nonnull (strstr (always, "### Skill: style\n\nSTYLE BODY"));
  g_assert_nonnull (strstr (always, "### Skill: memory"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/skills/parse", test_parse);
  g_test_add_func ("/skills/parse-malformed", test_parse_malformed);
  g_test_add_func ("/skills/parse-yaml-shapes", test_parse_yaml_shapes);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/skills/builtin", test_builtin);
  ADD ("/skills/workspace-overrides", test_workspace_overrides);
  ADD ("/skills/malformed-skipped", test_malformed_skipped);
  ADD ("/skills/always-needs-requirements", test_always_needs_requirements);
#undef ADD

  return g_test_run ();
}
