/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-slash-commands"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-slash-commands.h"

/**
 * nb_slash_command_parse:
 * @input: what the user typed
 *
 * Returns: the command @input is, or %NB_SLASH_COMMAND_NONE
 */
NbSlashCommand
nb_slash_command_parse (const char *input)
{
  g_autofree char *word = NULL;

  if (input == NULL)
    return NB_SLASH_COMMAND_NONE;

  word = g_ascii_strdown (input, -1);
  g_strstrip (word);
  if (g_str_equal (word, "/new"))
    return NB_SLASH_COMMAND_NEW;
  if (g_str_equal (word, "/help"))
    return NB_SLASH_COMMAND_HELP;
  if (g_str_equal (word, "/stop"))
    return NB_SLASH_COMMAND_STOP;
  return NB_SLASH_COMMAND_NONE;
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
    g_string_append_printf (help, "\n%s — %s", commands[i].name, _(commands[i].description));
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

static void
archived_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NewCommand *command = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!nb_memory_store_consolidate_finish (NB_MEMORY_STORE (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, error->domain, error->code,
                                 _("Could not save this conversation to memory, so it was kept. "
                                   "Try /new again later. (%s)"),
                                 error->message);
      return;
    }

  nb_session_clear (command->session);
  if (command->store != NULL && !nb_session_store_compact (command->store, command->session, &error))
    {
      /* Memory has the messages; only the file is behind. The next
       * append sees the cleared session and rewrites it. */
      g_message ("Could not rewrite the session file: %s", error->message);
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

static const NbSlashCommandInfo commands[] = {
  { "/new", N_("save this conversation to memory and start a new one"), NB_SLASH_COMMAND_NEW },
  { "/stop", N_("stop the current answer"), NB_SLASH_COMMAND_STOP },
  { "/help", N_("show these commands"), NB_SLASH_COMMAND_HELP },
};

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
