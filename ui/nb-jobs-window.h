/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-cron-service.h"

G_BEGIN_DECLS

#define NB_TYPE_JOBS_WINDOW (nb_jobs_window_get_type ())
G_DECLARE_FINAL_TYPE (NbJobsWindow, nb_jobs_window, NB, JOBS_WINDOW, AdwWindow)

/* The Scheduled Jobs window: the jobs of @service (loaded if they are
 * not yet), each with its next run in local time and last result, to
 * enable, disable, run now or delete (with Undo). */
NbJobsWindow *nb_jobs_window_new (GtkWindow     *parent,
                                  NbCronService *service);

G_END_DECLS
