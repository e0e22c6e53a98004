/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-config.h"
#include "nb-provider.h"
#include "nb-session.h"

G_BEGIN_DECLS

#define NB_MEMORY_ERROR (nb_memory_error_quark ())

typedef enum {
  NB_MEMORY_ERROR_NO_TOOL_CALL,   /* the model answered without save_memory */
  NB_MEMORY_ERROR_BAD_ARGUMENTS,  /* save_memory's arguments were unusable */
} NbMemoryError;

GQuark nb_memory_error_quark (void);

#define NB_TYPE_MEMORY_STORE (nb_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (NbMemoryStore, nb_memory_store, NB, MEMORY_STORE, GObject)

/*
 * The workspace's memory/MEMORY.md (long-term facts, in the system prompt)
 * and memory/HISTORY.md (a grep-able log), and the consolidation that
 * folds old messages of a session into both with one LLM call.
 */

NbMemoryStore *nb_memory_store_new                (const char          *workspace);
const char    *nb_memory_store_get_memory_path    (NbMemoryStore       *self);

/* len(messages) - last_consolidated >= memory_window */
gboolean       nb_memory_store_needs_consolidation (NbSession          *session,
                                                    guint               memory_window);
gboolean       nb_memory_store_is_consolidating   (NbMemoryStore       *self,
                                                   NbSession           *session);
/* Starts a consolidation in the background when one is due and none runs
 * for the session; ::consolidated reports the end. */
gboolean       nb_memory_store_maybe_consolidate  (NbMemoryStore       *self,
                                                   NbSession           *session,
                                                   NbProvider          *provider,
                                                   const char          *model,
                                                   guint                memory_window,
                                                   GCancellable        *cancellable);
/* Consolidates the unconsolidated messages but the newest memory_window/2,
 * or all of them when @archive_all (/new). Waits for a consolidation of
 * the same session that is running. On failure nothing changes. */
void           nb_memory_store_consolidate_async  (NbMemoryStore       *self,
                                                   NbSession           *session,
                                                   NbProvider          *provider,
                                                   const char          *model,
                                                   guint                memory_window,
                                                   gboolean             archive_all,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean       nb_memory_store_consolidate_finish (NbMemoryStore       *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
