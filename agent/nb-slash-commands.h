/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-memory-store.h"
#include "nb-provider.h"
#include "nb-session-store.h"
#include "nb-session.h"

G_BEGIN_DECLS

/*
 * The chat commands handled before the LLM sees the input. Anything else
 * starting with "/" is ordinary text for the model, as in the Python
 * nanobot.
 */
typedef enum {
  NB_SLASH_COMMAND_NONE,
  NB_SLASH_COMMAND_NEW,     /* archive into memory, then start afresh */
  NB_SLASH_COMMAND_HELP,    /* list the commands */
  NB_SLASH_COMMAND_STOP,    /* cancel the running turn */
} NbSlashCommand;

NbSlashCommand  nb_slash_command_parse      (const char          *input);
/* The reply to /help. */
char           *nb_slash_command_help_text  (void);

/* /new: consolidates the unconsolidated messages into memory, then clears
 * the session and compacts its file. On failure the session is kept and
 * the error message says so, ready to show. */
void            nb_slash_command_new_async  (NbMemoryStore       *memory,
                                             NbSessionStore      *store,
                                             NbSession           *session,
                                             NbProvider          *provider,
                                             const char          *model,
                                             guint                memory_window,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* Returns: (transfer full): the reply to show, or %NULL with @error set */
char           *nb_slash_command_new_finish (GAsyncResult        *result,
                                             GError             **error);

/* One command as a front end offers it. */
typedef struct {
  const char     *name;         /* "/new" */
  const char     *description;  /* untranslated: pass it to gettext */
  NbSlashCommand  command;
} NbSlashCommandInfo;

const NbSlashCommandInfo *nb_slash_command_get_all (guint *n_commands);

G_END_DECLS
