/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-session.h"

G_BEGIN_DECLS

/*
 * After a background consolidation failed, the next ones are not tried
 * at once: the failure is kept in the session's metadata as
 * `"consolidation_failure": {"at": N, "error": "…"}` (N: the messages the
 * session had), and consolidation waits until NB_MEMORY_BACKOFF_TURNS
 * user messages came after N, or the session grew by another
 * memory_window messages since N. A success (or /new) removes the record.
 * The record is in the metadata so that `nanobot -m`, one process per
 * turn, backs off too, and says why only once.
 */
#define NB_MEMORY_BACKOFF_TURNS 5

/* Whether a consolidation that is due should wait. */
gboolean nb_memory_backoff_active          (NbSession  *session,
                                            guint       memory_window);
/* Records a failure at the session's current length. Returns %TRUE when
 * it is the first since the last success: the one to tell the user. */
gboolean nb_memory_backoff_record_failure  (NbSession  *session,
                                            const char *message);
/* Returns %TRUE when there was a record to remove. */
gboolean nb_memory_backoff_clear           (NbSession  *session);

G_END_DECLS
