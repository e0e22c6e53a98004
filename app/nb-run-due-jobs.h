/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `nanobot --run-due-jobs`: runs the scheduled jobs that are due, once
 * each, prints a line per job and exits: 0 done (also when a running
 * Nanobot runs the jobs itself), 1 a job failed, 2 bad configuration. */
int nb_run_due_jobs (const char *config_path);

G_END_DECLS
