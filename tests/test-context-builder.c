/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-context-builder.h"
#include "nb-workspace-private.h"
#include "nb-test-util.h"

typedef struct {
  char *workspace;
  NbContextBuilder *builder;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->workspace = nb_test_make_tmpdir ();
  f->builder = nb_context_builder_new (f->workspace);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->builder);
  nb_test_rm_rf (f->workspace);
  g_free (f->workspace);
}

static char *
path_in (Fixture    *f,
         const char *relative)
{
  return g_build_filename (f->workspace, relative, NULL);
}

/* Changes a file the way another program would: through a shell. */
static void
shell (Fixture    *f,
       const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_set_cwd (launcher, f->workspace);
  process = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", command, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

static gsize
position_of (const char *prompt,
             const char *needle)
{
  const char *at = strstr (prompt, needle);

  if (at == NULL)
    g_error ("“%s” is not in the prompt", needle);
  return at - prompt;
}

static void
test_sections (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *identity = path_in (f, "IDENTITY.md");
  g_autofree char *memory = path_in (f, "memory/MEMORY.md");
  g_autofree char *heartbeat = path_in (f, "HEARTBEAT.md");
  const char *prompt;

  nb_test_write_file (identity, "I am called Robo.\n");
  nb_test_write_file (memory, "- The user's cat is called Mina.\n");
  nb_test_write_file (heartbeat, "HEARTBEAT-ONLY TEXT\n");

  prompt = nb_context_builder_get_system_prompt (f->builder);

  g_assert_true (g_str_has_prefix (prompt, "# nanobot\n"));
  g_assert_nonnull (strstr (prompt, f->workspace));
  g_assert_cmpuint (position_of (prompt, "## Platform"), <, position_of (prompt, "## AGENTS.md\n\n"));
  g_assert_cmpuint (position_of (prompt, "## AGENTS.md\n\n"), <, position_of (prompt, "\n## SOUL.md\n\n"));
  g_assert_cmpuint (position_of (prompt, "## SOUL.md\n\n"), <, position_of (prompt, "\n## USER.md\n\n"));
  g_assert_cmpuint (position_of (prompt, "## USER.md\n\n"), <, position_of (prompt, "\n## TOOLS.md\n\n"));
  g_assert_cmpuint (position_of (prompt, "## TOOLS.md\n\n"), <, position_of (prompt, "\n## IDENTITY.md\n\nI am called Robo."));
  g_assert_cmpuint (position_of (prompt, "I am called Robo."), <, position_of (prompt, "\n# Memory\n\n"));
  g_assert_cmpuint (position_of (prompt, "# Memory\n\n"), <, position_of (prompt, "cat is called Mina"));
  g_assert_cmpuint (position_of (prompt, "cat is called Mina"), <, position_of (prompt, "\n# Active Skills\n\n### Skill: memory"));
  g_assert_cmpuint (position_of (prompt, "# Active Skills"), <, position_of (prompt, "\n# Skills\n\n"));
  g_assert_cmpuint (position_of (prompt, "# Skills\n\n"), <, position_of (prompt, "<skills>\n  <skill available="));
  g_assert_true (g_str_has_suffix (prompt, "</skills>"));
  g_assert_null (strstr (prompt, "HEARTBEAT-ONLY TEXT"));
  g_assert_null (strstr (prompt, "Current Time"));
}

static void
test_cached (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *first = g_strdup (nb_context_builder_get_system_prompt (f->builder));
  guint reads = nb_workspace_get_read_count ();

  /* Served from memory: no file is read, the bytes are the same. */
  for (guint i = 0; i < 100; i++)
    g_assert_cmpstr (nb_context_builder_get_system_prompt (f->builder), ==, first);
  g_assert_cmpuint (nb_workspace_get_read_count (), ==, reads);

  /* Writing an unrelated workspace file does not rebuild it. */
  shell (f, "echo hello > notes.txt; mkdir -p project && echo x > project/main.c");
  g_assert_cmpstr (nb_context_builder_get_system_prompt (f->builder), ==, first);
  g_assert_cmpuint (nb_workspace_get_read_count (), ==, reads);

  /* invalidate() rebuilds; with nothing changed the bytes are the same. */
  nb_context_builder_invalidate (f->builder);
  g_assert_cmpstr (nb_context_builder_get_system_prompt (f->builder), ==, first);
  g_assert_cmpuint (nb_workspace_get_read_count (), >, reads);
}

static void
test_external_edits (Fixture       *f,
                     gconstpointer  data)
{
  const char *prompt = nb_context_builder_get_system_prompt (f->builder);

  g_assert_null (strstr (prompt, "Always answer in haiku."));

  /* An in-place append by another program is in the very next prompt,
   * with no main loop iteration in between. */
  shell (f, "echo 'Always answer in haiku.' >> SOUL.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "Always answer in haiku."));

  /* A file replaced by rename. */
  shell (f, "printf 'Replaced user file.\\n' > USER.tmp && mv USER.tmp USER.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "## USER.md\n\nReplaced user file."));

  /* A new bootstrap file. */
  shell (f, "echo 'Name: Robo' > IDENTITY.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "## IDENTITY.md\n\nName: Robo"));

  /* Deleted. */
  shell (f, "rm TOOLS.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_null (strstr (prompt, "## TOOLS.md"));

  /* Memory. */
  shell (f, "echo '- Prefers metric units.' >> memory/MEMORY.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "Prefers metric units."));

  /* A new skill, in a folder that did not exist. */
  shell (f, "mkdir -p skills/backup && printf -- '---\\nname: backup\\ndescription: Back up the photos\\n---\\nUse restic.\\n' > skills/backup/SKILL.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "<description>Back up the photos</description>"));

  /* An edit inside that skill's folder. */
  shell (f, "sed -i 's/Back up the photos/Back up photos and music/' skills/backup/SKILL.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "<description>Back up photos and music</description>"));

  /* The whole memory folder replaced. */
  shell (f, "rm -r memory && mkdir memory && echo '- Fresh memory.' > memory/MEMORY.md");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_assert_nonnull (strstr (prompt, "Fresh memory."));
  g_assert_null (strstr (prompt, "Prefers metric units."));
}

static void
changed_cb (NbContextBuilder *builder,
            gpointer          user_data)
{
  gboolean *changed = user_data;

  *changed = TRUE;
}

static void
test_monitor_signal (Fixture       *f,
                     gconstpointer  data)
{
  gboolean changed = FALSE;

  nb_context_builder_get_system_prompt (f->builder);
  g_signal_connect (f->builder, "changed", G_CALLBACK (changed_cb), &changed);

  shell (f, "echo 'Be brief.' >> AGENTS.md");
  nb_test_wait_for (&changed, 5000);
  g_assert_nonnull (strstr (nb_context_builder_get_system_prompt (f->builder), "Be brief."));

  changed = FALSE;
  shell (f, "echo 'x' >> skills/../memory/MEMORY.md");
  nb_test_wait_for (&changed, 5000);
}

static void
test_runtime_message (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) message = nb_context_builder_build_runtime_message (f->builder, "desktop", "42");
  const char *content = json_object_get_string_member (message, "content");

  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  g_assert_true (g_str_has_prefix (content, "[Runtime Context"));
  g_assert_nonnull (strstr (content, "Current Time: "));
  g_assert_nonnull (strstr (content, "Channel: desktop"));
  g_assert_nonnull (strstr (content, "Chat ID: 42"));
}

static void
test_creates_workspace (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *workspace = g_build_filename (root, "ws", NULL);
  g_autofree char *agents = g_build_filename (workspace, "AGENTS.md", NULL);
  g_autoptr(NbContextBuilder) builder = nb_context_builder_new (workspace);
  NbSkills *skills;

  g_assert_true (g_file_test (agents, G_FILE_TEST_IS_REGULAR));
  skills = nb_context_builder_get_skills (builder);
  g_assert_nonnull (nb_skills_lookup (skills, "memory"));
  g_clear_object (&builder);
  nb_test_rm_rf (root);
}

/* issue item 7: a NUL in AGENTS.md silently cut the file; it is left out
 * and said, like other unreadable prompt files. */
static void
test_nul_in_prompt_file (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *agents = path_in (f, "AGENTS.md");
  g_autoptr(GError) error = NULL;
  const char *prompt;

  g_assert_true (g_file_set_contents (agents, "BEFORE-NUL\0AFTER-NUL\n", 21, &error));
  g_assert_no_error (error);
  g_test_expect_message ("nb-context", G_LOG_LEVEL_MESSAGE, "*AGENTS.md*NUL*");
  prompt = nb_context_builder_get_system_prompt (f->builder);
  g_test_assert_expected_messages ();
  g_assert_null (strstr (prompt, "BEFORE-NUL"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/context-builder/creates-workspace", test_creates_workspace);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/context-builder/sections", test_sections);
  ADD ("/context-builder/cached", test_cached);
  ADD ("/context-builder/external-edits", test_external_edits);
  ADD ("/context-builder/monitor-signal", test_monitor_signal);
  ADD ("/context-builder/runtime-message", test_runtime_message);
  ADD ("/context-builder/nul-in-prompt-file", test_nul_in_prompt_file);
#undef ADD

  return g_test_run ();
}
