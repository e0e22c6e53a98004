/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-workspace.h"
#include "nb-test-util.h"

static const char * const created[] = {
  "AGENTS.md", "SOUL.md", "USER.md", "TOOLS.md", "HEARTBEAT.md",
  "memory/MEMORY.md", "memory/HISTORY.md",
};

static void
test_first_run (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *workspace = g_build_filename (root, "deep", "workspace", NULL);
  g_autofree char *skills = g_build_filename (workspace, "skills", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (nb_workspace_ensure (workspace, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (created); i++)
    {
      g_autofree char *path = g_build_filename (workspace, created[i], NULL);
      g_autofree char *resource = g_strconcat (NB_AGENT_RESOURCE_PATH "/workspace/", created[i], NULL);
      g_autoptr(GBytes) expected = g_resources_lookup_data (resource, 0, &error);
      g_autofree char *contents = nb_test_read_file (path);

      g_assert_no_error (error);
      g_assert_cmpmem (contents, strlen (contents), g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
    }
  g_assert_true (g_file_test (skills, G_FILE_TEST_IS_DIR));
  /* IDENTITY.md is read when present but not created. */
  {
    g_autofree char *identity = g_build_filename (workspace, "IDENTITY.md", NULL);

    g_assert_false (g_file_test (identity, G_FILE_TEST_EXISTS));
  }
  /* The templates are ours and say something. */
  {
    g_autofree char *soul = g_build_filename (workspace, "SOUL.md", NULL);
    g_autofree char *text = nb_test_read_file (soul);

    g_assert_nonnull (strstr (text, "nanobot"));
  }

  nb_test_rm_rf (root);
}

static void
test_never_overwrites (void)
{
  g_autofree char *workspace = nb_test_make_tmpdir ();
  g_autofree char *soul = g_build_filename (workspace, "SOUL.md", NULL);
  g_autofree char *user = g_build_filename (workspace, "USER.md", NULL);
  g_autofree char *memory = g_build_filename (workspace, "memory", "MEMORY.md", NULL);
  g_autofree char *agents = g_build_filename (workspace, "AGENTS.md", NULL);
  g_autoptr(GError) error = NULL;

  nb_test_write_file (soul, "my own soul\n");
  nb_test_write_file (user, "");
  nb_test_write_file (memory, "- likes tea\n");

  g_assert_true (nb_workspace_ensure (workspace, &error));
  g_assert_no_error (error);
  {
    g_autofree char *a = nb_test_read_file (soul);
    g_autofree char *b = nb_test_read_file (user);
    g_autofree char *c = nb_test_read_file (memory);

    g_assert_cmpstr (a, ==, "my own soul\n");
    g_assert_cmpstr (b, ==, "");
    g_assert_cmpstr (c, ==, "- likes tea\n");
  }
  g_assert_true (g_file_test (agents, G_FILE_TEST_IS_REGULAR));

  /* A second run changes nothing either. */
  nb_test_write_file (agents, "edited\n");
  g_assert_true (nb_workspace_ensure (workspace, &error));
  {
    g_autofree char *a = nb_test_read_file (agents);

    g_assert_cmpstr (a, ==, "edited\n");
  }
  nb_test_rm_rf (workspace);
}

static void
test_error (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *blocker = g_build_filename (root, "file", NULL);
  g_autofree char *workspace = g_build_filename (blocker, "workspace", NULL);
  g_autoptr(GError) error = NULL;

  nb_test_write_file (blocker, "");
  g_assert_false (nb_workspace_ensure (workspace, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, workspace));
  nb_test_rm_rf (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/workspace/first-run", test_first_run);
  g_test_add_func ("/workspace/never-overwrites", test_never_overwrites);
  g_test_add_func ("/workspace/error", test_error);

  return g_test_run ();
}
