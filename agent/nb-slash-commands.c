/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-slash-commands"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-memory-backoff.h"
#include "nb-slash-commands.h"

/* In the order /help lists them, as the Python nanobot does. */
static const NbSlashCommandInfo commands[] = {
  { "/new", N_("save this conversation to memory and start a new one"), NB_SLASH_COMMAND_NEW, NULL },
  { "/stop", N_("stop the current answer"), NB_SLASH_COMMAND_STOP, NULL },
  { "/status", N_("show the model, the context used, the last turn’s tokens and the MCP servers"),
    NB_SLASH_COMMAND_STATUS, NULL },
  { "/model", N_("show or switch the model of this conversation"), NB_SLASH_COMMAND_MODEL, N_("[name]") },
  { "/history", N_("show the last messages of this conversation (default 10, at most 50)"),
    NB_SLASH_COMMAND_HISTORY, N_("[n]") },
  { "/skill", N_("list the enabled skills"), NB_SLASH_COMMAND_SKILL, NULL },
  { "/help", N_("show these commands"), NB_SLASH_COMMAND_HELP, NULL },
};

/**
 * nb_slash_command_parse_args:
 * @input: what the user typed
 * @args: (out) (optional) (transfer full): what follows the command word,
 *   stripped; "" for none; %NULL when @input is no command
 *
 * Commands are matched case-insensitively. /model and /history take
 * arguments; every other command must stand alone ("/new topic" is text
 * for the model, as in the Python nanobot).
 *
 * Returns: the command @input is, or %NB_SLASH_COMMAND_NONE
 */
NbSlashCommand
nb_slash_command_parse_args (const char  *input,
                             char       **args)
{
  g_autofree char *text = NULL;
  g_autofree char *word = NULL;
  const char *rest;
  gsize length;
  NbSlashCommand command = NB_SLASH_COMMAND_NONE;
  gboolean takes_args = FALSE;

  if (args != NULL)
    *args = NULL;
  if (input == NULL)
    return NB_SLASH_COMMAND_NONE;

  text = g_strstrip (g_strdup (input));
  if (text[0] != '/')
    return NB_SLASH_COMMAND_NONE;
  length = strcspn (text, " \t\r\n");
  word = g_ascii_strdown (text, length);
  rest = text + length;
  while (g_ascii_isspace (*rest))
    rest++;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (word, commands[i].name))
      {
        command = commands[i].command;
        takes_args = commands[i].arg_hint != NULL;
      }
  if (command == NB_SLASH_COMMAND_NONE || (*rest != '\0' && !takes_args))
    return NB_SLASH_COMMAND_NONE;
  if (args != NULL)
    *args = g_strdup (rest);
  return command;
}

/**
 * nb_slash_command_parse:
 * @input: what the user typed
 *
 * Returns: the command @input is, or %NB_SLASH_COMMAND_NONE
 */
NbSlashCommand
nb_slash_command_parse (const char *input)
{
  return nb_slash_command_parse_args (input, NULL);
}

/**
 * nb_slash_command_help_text:
 *
 * Returns: (transfer full): the reply to /help
 */
char *
nb_slash_command_help_text (void)
{
  GString *help = g_string_new (_("Commands:"));
  const NbSlashCommandInfo *commands;
  guint n;

  commands = nb_slash_command_get_all (&n);
  for (guint i = 0; i < n; i++)
    {
      if (commands[i].arg_hint != NULL)
        g_string_append_printf (help, "\n%s %s — %s", commands[i].name, _(commands[i].arg_hint),
                                _(commands[i].description));
      else
        g_string_append_printf (help, "\n%s — %s", commands[i].name, _(commands[i].description));
    }
  return g_string_free (help, FALSE);
}

typedef struct
{
  NbSessionStore *store;
  NbSession      *session;
} NewCommand;

static void
new_command_free (gpointer data)
{
  NewCommand *command = data;

  g_clear_object (&command->store);
  g_clear_object (&command->session);
  g_free (command);
}

G_DEFINE_QUARK (nb-slash-command-error-quark, nb_slash_command_error)

/* Keeps the session's file under another name beside it,
 * `<stem>.jsonl.archived-<UTC time>`, which no listing takes for a
 * conversation (as `.damaged-<time>`). Returns the new path, or %NULL. */
static char *
archive_file (NbSessionStore *store,
              NbSession      *session)
{
  g_autofree char *path = nb_session_store_get_path (store, nb_session_get_key (session));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  for (guint i = 1; i < 100; i++)
    {
      g_autofree char *aside = i == 1 ? g_strdup_printf ("%s.archived-%s", path, stamp)
                                      : g_strdup_printf ("%s.archived-%s-%u", path, stamp, i);

      /* A hard link: the conversation's name never disappears; the
       * compaction that follows replaces it with the fresh file. */
      if (link (path, aside) == 0)
        return g_steal_pointer (&aside);
      if (errno == EEXIST)
        continue;
      if (errno != ENOENT && g_rename (path, aside) == 0)
        return g_steal_pointer (&aside);
      g_message ("Could not keep %s aside: %s", path, g_strerror (errno));
      return NULL;
    }
  return NULL;
}

static void
archived_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NewCommand *command = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *aside = NULL;

  if (!nb_memory_store_consolidate_finish (NB_MEMORY_STORE (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      /* The user asked for a fresh start: they get it, and the old
       * conversation is kept whole beside it instead of in memory. */
      if (command->store != NULL)
        aside = archive_file (command->store, command->session);
      if (aside == NULL)
        {
          g_task_return_new_error (task, error->domain, error->code,
                                   _("Could not save this conversation to memory, so it was kept. "
                                     "Try /new again later. (%s)"),
                                   error->message);
          return;
        }
    }

  nb_memory_backoff_clear (command->session);
  nb_session_clear (command->session);
  if (command->store != NULL)
    {
      g_autoptr(GError) compact_error = NULL;

      /* Memory (or the archive) has the messages; only the file is
       * behind. The next append sees the cleared session and rewrites it. */
      if (!nb_session_store_compact (command->store, command->session, &compact_error))
        g_message ("Could not rewrite the session file: %s", compact_error->message);
    }

  if (aside != NULL)
    {
      g_autofree char *shown = g_filename_display_name (aside);

      g_task_return_new_error (task, NB_SLASH_COMMAND_ERROR, NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED,
                               _("New session started, but memory was not updated (%s). "
                                 "The previous conversation was kept in %s."),
                               error->message, shown);
      return;
    }
  g_task_return_pointer (task, g_strdup (_("New session started.")), g_free);
}

void
nb_slash_command_new_async (NbMemoryStore       *memory,
                            NbSessionStore      *store,
                            NbSession           *session,
                            NbProvider          *provider,
                            const char          *model,
                            guint                memory_window,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  NewCommand *command;

  g_return_if_fail (NB_IS_MEMORY_STORE (memory));
  g_return_if_fail (store == NULL || NB_IS_SESSION_STORE (store));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (NB_IS_PROVIDER (provider));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_slash_command_new_async);
  command = g_new0 (NewCommand, 1);
  command->store = store != NULL ? g_object_ref (store) : NULL;
  command->session = g_object_ref (session);
  g_task_set_task_data (task, command, new_command_free);

  nb_memory_store_consolidate_async (memory, session, provider, model, memory_window, TRUE,
                                     cancellable, archived_cb, g_steal_pointer (&task));
}

char *
nb_slash_command_new_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}


/**
 * nb_slash_command_get_all:
 * @n_commands: (out): the number of commands
 *
 * The commands in the order /help lists them, for completion in a front
 * end. Descriptions are marked for translation but untranslated: pass them to gettext.
 *
 * Returns: (transfer none) (array length=n_commands): the commands
 */
const NbSlashCommandInfo *
nb_slash_command_get_all (guint *n_commands)
{
  g_return_val_if_fail (n_commands != NULL, NULL);

  *n_commands = G_N_ELEMENTS (commands);
  return commands;
}
