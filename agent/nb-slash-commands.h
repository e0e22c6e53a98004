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
  NB_SLASH_COMMAND_STATUS,  /* model, provider, context, last turn's tokens, MCP */
  NB_SLASH_COMMAND_MODEL,   /* show or set this conversation's model */
  NB_SLASH_COMMAND_HISTORY, /* the last n stored messages */
  NB_SLASH_COMMAND_SKILL,   /* the enabled skills */
} NbSlashCommand;

NbSlashCommand  nb_slash_command_parse      (const char          *input);
/* As nb_slash_command_parse(); @args gets what follows the command word,
 * stripped ("" when nothing), for the commands that take arguments
 * (/model, /history); the others must stand alone. */
NbSlashCommand  nb_slash_command_parse_args (const char          *input,
                                             char               **args);
/* The reply to /help. */
char           *nb_slash_command_help_text  (void);

#define NB_SLASH_COMMAND_ERROR (nb_slash_command_error_quark ())

typedef enum {
  /* /new started a new session but could not save the old one to memory;
   * the old file was kept beside it (`<file>.archived-<time>`). */
  NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED,
} NbSlashCommandError;

GQuark          nb_slash_command_error_quark (void);

/* /new: consolidates the unconsolidated messages into memory, then clears
 * the session and compacts its file. When memory could not take them, the
 * session's file is kept aside as `<file>.archived-<UTC time>` (a hard
 * link, never deleted), the session is cleared all the same, and the
 * error is %NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED with a message that
 * says both, ready to show. Only when nothing could be kept aside (no
 * store, no file) is the session kept, with the consolidation's error. */
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
  const char     *arg_hint;     /* "[n]", or %NULL */
} NbSlashCommandInfo;

const NbSlashCommandInfo *nb_slash_command_get_all (guint *n_commands);

G_END_DECLS
