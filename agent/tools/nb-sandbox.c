/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-sandbox"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#ifdef __linux__
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
