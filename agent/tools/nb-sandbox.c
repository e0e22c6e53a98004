/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "nb-sandbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/landlock.h>
#endif

#include "nb-sandbox.h"

static int probed_abi = -1;
static int probed_errno;

/**
 * nb_sandbox_landlock_abi:
 *
 * Asks the kernel once which Landlock ABI it offers.
 *
 * Returns: the ABI version, or 0 when Landlock is missing (an old kernel,
 *   Landlock not enabled at boot, or a seccomp filter that refuses the call)
 */
int
nb_sandbox_landlock_abi (void)
{
  if (probed_abi >= 0)
    return probed_abi;

#if defined(__linux__) && defined(SYS_landlock_create_ruleset)
  {
    long abi = syscall (SYS_landlock_create_ruleset, NULL, 0,
                        LANDLOCK_CREATE_RULESET_VERSION);

    probed_errno = abi < 0 ? errno : 0;
    probed_abi = abi < 0 ? 0 : (int) abi;
  }
#else
  probed_errno = ENOSYS;
  probed_abi = 0;
#endif

  return probed_abi;
}

/**
 * nb_sandbox_available:
 *
 * Returns: whether exec can run commands under a Landlock ruleset; needs
 *   ABI 2 or later, the first that controls linking and renaming across
 *   the workspace's boundary (LANDLOCK_ACCESS_FS_REFER)
 */
gboolean
nb_sandbox_available (void)
{
  return nb_sandbox_landlock_abi () >= 2;
}

/**
 * nb_sandbox_status_text:
 *
 * Returns: one translated sentence for people: whether the kernel enforces
 *   the workspace restriction for commands, and if not, why
 */
const char *
nb_sandbox_status_text (void)
{
  static char *text;
  int abi = nb_sandbox_landlock_abi ();

  if (text != NULL)
    return text;

  if (abi >= 2)
    text = g_strdup_printf (_("Enforced by the kernel (Landlock ABI %d): commands can write only inside the workspace and a private temporary folder."), abi);
  else if (abi == 1)
    text = g_strdup (_("Not enforced by the kernel: this kernel’s Landlock (ABI 1) cannot stop hard links out of the workspace. Commands are only checked as text, which a command can get around."));
  else if (probed_errno == ENOSYS || probed_errno == EOPNOTSUPP)
    text = g_strdup (_("Not enforced by the kernel: Landlock is missing or turned off here. Commands are only checked as text, which a command can get around."));
  else
    text = g_strdup_printf (_("Not enforced by the kernel: Landlock was refused (%s). Commands are only checked as text, which a command can get around."),
                            g_strerror (probed_errno));

  return text;
}

/**
 * nb_sandbox_warn_once:
 *
 * Says on stderr, once per process, that the restriction is not enforced by
 * the kernel. Does nothing when it is.
 */
void
nb_sandbox_warn_once (void)
{
  static gsize warned;

  if (nb_sandbox_available ())
    return;

  if (g_once_init_enter (&warned))
    {
      g_printerr ("nanobot: %s\n", nb_sandbox_status_text ());
      g_once_init_leave (&warned, 1);
    }
}

/* Ruleset */

/* The kernel's own structures, spelled out so that the newer fields
 * (scoped, ABI 6) build against Debian 12's older headers too. */
struct nb_landlock_ruleset_attr
{
  guint64 handled_access_fs;
  guint64 handled_access_net;
  guint64 scoped;
};

struct nb_landlock_path_beneath_attr
{
  guint64 allowed_access;
  gint32  parent_fd;
} __attribute__ ((packed));

#define LL_EXECUTE     (1ULL << 0)
#define LL_WRITE_FILE  (1ULL << 1)
#define LL_READ_FILE   (1ULL << 2)
#define LL_READ_DIR    (1ULL << 3)
#define LL_REFER       (1ULL << 13)
#define LL_TRUNCATE    (1ULL << 14)
#define LL_IOCTL_DEV   (1ULL << 15)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL               (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1

struct _NbSandboxRules
{
  int   fd;
  char *tmp_dir;
};

/* Every file system right this ABI knows: all of them are handled, so
 * anything not granted below is denied. */
static guint64
handled_fs_for_abi (int abi)
{
  guint64 access = (1ULL << 13) - 1;     /* ABI 1: execute … make_sym */

  if (abi >= 2)
    access |= LL_REFER;
  if (abi >= 3)
    access |= LL_TRUNCATE;
  if (abi >= 5)
    access |= LL_IOCTL_DEV;
  return access;
}

static gboolean
add_path_rule (int          ruleset_fd,
               const char  *path,
               guint64      access,
               gboolean     required,
               GError     **error)
{
#if defined(__linux__) && defined(SYS_landlock_add_rule)
  struct nb_landlock_path_beneath_attr rule = { 0, };
  struct stat st;
  int fd = open (path, O_PATH | O_CLOEXEC);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      if (!required && (saved_errno == ENOENT || saved_errno == ENOTDIR || saved_errno == EACCES))
        return TRUE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot open %s for the sandbox: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  /* A rule on a file may carry only the rights that apply to files. */
  if (fstat (fd, &st) == 0 && !S_ISDIR (st.st_mode))
    access &= LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV;

  rule.allowed_access = access;
  rule.parent_fd = fd;
  if (syscall (SYS_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &rule, 0) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot add %s to the sandbox: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Landlock is not available");
  return FALSE;
#endif
}

/* Read and execute only: the system the commands run on. */
static const char * const system_paths[] = {
  "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
};

/* Devices a shell and ordinary tools open. */
static const char * const device_paths[] = {
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
};

/* The private temporary folders. A command may leave any number of files
 * in its folder, so they are removed in a thread of their own, never on
 * the main loop. Their names carry the process id: a folder left behind
 * (the process was killed, or quit while a removal ran) is removed by the
 * next process that makes one, once its owner is gone. */

#define TMP_PREFIX "nanobot-exec-"

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  if (type == FTW_DP)
    rmdir (path);
  else
    unlink (path);
  return 0;
}

static gpointer
remove_tree_thread (gpointer data)
{
  g_autofree char *dir = data;

  nftw (dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return NULL;
}

static void
remove_tree_soon (char *dir)
{
  /* An empty folder, the usual case, goes at once. */
  if (rmdir (dir) == 0 || errno == ENOENT)
    {
      g_free (dir);
      return;
    }
  g_thread_unref (g_thread_new ("nb-sandbox-rm", remove_tree_thread, dir));
}

static gpointer
sweep_thread (gpointer data)
{
  g_autofree char *tmp = data;
  g_autoptr(GDir) dir = g_dir_open (tmp, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat st;
      char *end = NULL;
      gint64 pid;

      if (!g_str_has_prefix (name, TMP_PREFIX))
        continue;
      pid = g_ascii_strtoll (name + strlen (TMP_PREFIX), &end, 10);
      if (end == NULL || *end != '-' || pid <= 0 || pid > G_MAXINT || pid == getpid ())
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      path = g_build_filename (tmp, name, NULL);
      if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode) || st.st_uid != getuid ())
        continue;
      nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
  return NULL;
}

static char *
make_tmp_dir (GError **error)
{
  g_autofree char *template = g_strdup_printf (TMP_PREFIX "%d-XXXXXX", (int) getpid ());

  g_thread_unref (g_thread_new ("nb-sandbox-sweep", sweep_thread, g_strdup (g_get_tmp_dir ())));
  return g_dir_make_tmp (template, error);
}

/**
 * nb_sandbox_rules_new:
 * @workspace: the workspace folder (it must exist)
 * @error: set when the ruleset cannot be built
 *
 * Builds, in the parent, the Landlock ruleset that exec's commands run
 * under when tools.restrictToWorkspace is on: everything beneath
 * @workspace and beneath a private temporary folder (made here, removed by
 * nb_sandbox_rules_free(); making one also removes those left behind by
 * processes that are gone); read and execute on the system folders; read on
 * /proc (other processes' memory and environment stay out of reach: Landlock
 * also confines ptrace to the sandbox); the usual devices; read on the
 * user's git settings (~/.gitconfig, ~/.config/git), without which git
 * refuses to run. Linking or
 * renaming across the boundary needs REFER on both sides, which nothing
 * outside has, so no hard link can bring an outside file in. Where the
 * kernel can (ABI 6), signals and abstract UNIX sockets are confined to the
 * sandbox too. The network is not restricted.
 *
 * Returns: (transfer full) (nullable): the rules, or %NULL with @error set
 */
NbSandboxRules *
nb_sandbox_rules_new (const char  *workspace,
                      GError     **error)
{
#if defined(__linux__) && defined(SYS_landlock_create_ruleset)
  g_autoptr(NbSandboxRules) rules = NULL;
  struct nb_landlock_ruleset_attr attr = { 0, };
  int abi = nb_sandbox_landlock_abi ();
  guint64 all, system_access, device_access;
  g_autofree char *resolv = NULL;

  g_return_val_if_fail (workspace != NULL, NULL);

  if (abi < 2)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, nb_sandbox_status_text ());
      return NULL;
    }

  all = handled_fs_for_abi (abi);
  attr.handled_access_fs = all;
  if (abi >= 6)
    attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;

  rules = g_new0 (NbSandboxRules, 1);
  rules->fd = (int) syscall (SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (rules->fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create the sandbox: %s", g_strerror (saved_errno));
      return NULL;
    }
  fcntl (rules->fd, F_SETFD, FD_CLOEXEC);

  rules->tmp_dir = make_tmp_dir (error);
  if (rules->tmp_dir == NULL)
    return NULL;

  system_access = LL_READ_FILE | LL_READ_DIR | LL_EXECUTE;
  device_access = LL_READ_FILE | LL_WRITE_FILE | (all & (LL_TRUNCATE | LL_IOCTL_DEV));

  if (!add_path_rule (rules->fd, workspace, all, TRUE, error) ||
      !add_path_rule (rules->fd, rules->tmp_dir, all, TRUE, error) ||
      !add_path_rule (rules->fd, "/proc", LL_READ_FILE | LL_READ_DIR, FALSE, error))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (system_paths); i++)
    if (!add_path_rule (rules->fd, system_paths[i], system_access, FALSE, error))
      return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (device_paths); i++)
    if (!add_path_rule (rules->fd, device_paths[i], device_access, FALSE, error))
      return NULL;

  /* Git refuses to run when it cannot read the user's settings. */
  {
    g_autofree char *gitconfig = g_build_filename (g_get_home_dir (), ".gitconfig", NULL);
    g_autofree char *git_dir = g_build_filename (g_get_user_config_dir (), "git", NULL);

    if (!add_path_rule (rules->fd, gitconfig, LL_READ_FILE, FALSE, error) ||
        !add_path_rule (rules->fd, git_dir, LL_READ_FILE | LL_READ_DIR, FALSE, error))
      return NULL;
  }

  /* The resolver's configuration is often a link into /run. */
  resolv = realpath ("/etc/resolv.conf", NULL);
  if (resolv != NULL && !add_path_rule (rules->fd, resolv, LL_READ_FILE, FALSE, error))
    return NULL;

  return g_steal_pointer (&rules);
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, nb_sandbox_status_text ());
  return NULL;
#endif
}

/**
 * nb_sandbox_rules_free:
 * @rules: (transfer full): the rules
 *
 * Closes the ruleset and removes the private temporary folder with what
 * the commands left in it (in a thread of its own when it is not empty).
 */
void
nb_sandbox_rules_free (NbSandboxRules *rules)
{
  if (rules == NULL)
    return;
  if (rules->fd >= 0)
    close (rules->fd);
  if (rules->tmp_dir != NULL)
    remove_tree_soon (g_steal_pointer (&rules->tmp_dir));
  g_free (rules);
}

/**
 * nb_sandbox_rules_get_tmp_dir:
 * @rules: the rules
 *
 * Returns: the private temporary folder, for TMPDIR
 */
const char *
nb_sandbox_rules_get_tmp_dir (NbSandboxRules *rules)
{
  return rules->tmp_dir;
}

/**
 * nb_sandbox_rules_get_fd:
 * @rules: the rules
 *
 * Returns: the ruleset's file descriptor, for nb_sandbox_enter()
 */
int
nb_sandbox_rules_get_fd (NbSandboxRules *rules)
{
  return rules->fd;
}

/**
 * nb_sandbox_enter:
 * @ruleset_fd: from nb_sandbox_rules_get_fd()
 *
 * Restricts the calling process and everything it starts. Only
 * async-signal-safe calls: meant for the child between fork and exec.
 *
 * Returns: 0, or an errno value
 */
int
nb_sandbox_enter (int ruleset_fd)
{
#if defined(__linux__) && defined(SYS_landlock_restrict_self)
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno;
  if (syscall (SYS_landlock_restrict_self, ruleset_fd, 0) != 0)
    return errno;
  return 0;
#else
  return ENOSYS;
#endif
}
