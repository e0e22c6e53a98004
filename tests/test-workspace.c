/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nb-workspace.h"
#include "nb-workspace-private.h"
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

/* A prompt file or SKILL.md that is a FIFO blocked the turn for ever;
 * one of gigabytes was loaded whole. Both are errors, a file is read. */
static void
test_read_file_bounded (void)
{
  g_autofree char *root = nb_test_make_tmpdir ();
  g_autofree char *fifo = g_build_filename (root, "SOUL.md", NULL);
  g_autofree char *huge = g_build_filename (root, "USER.md", NULL);
  g_autofree char *fine = g_build_filename (root, "AGENTS.md", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (nb_workspace_read_file (fifo, &contents, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  fd = g_open (huge, O_WRONLY | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 2 * 1024 * 1024 * 1024), ==, 0);
  close (fd);
  g_assert_false (nb_workspace_read_file (huge, &contents, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "larger than 4 MiB"));
  g_clear_error (&error);

  g_assert_false (nb_workspace_read_file (fine, &contents, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);
  nb_test_write_file (fine, "# Agents");
  g_assert_true (nb_workspace_read_file (fine, &contents, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "# Agents");
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
  g_test_add_func ("/workspace/read-file-bounded", test_read_file_bounded);

  return g_test_run ();
}
