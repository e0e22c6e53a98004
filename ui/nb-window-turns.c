/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-slash-commands.h"
#include "nb-window-private.h"

/*
 * Turns, as the window starts and shows them: at most one per
 * conversation key, started from the composer, Retry, Regenerate or
 * Edit. A turn outlives a switch to another conversation; the window
 * shows the state of the one it has open (nb_window_sync_turn_state()).
 */

struct _NbWindowTurn {
  NbWindow     *window;      /* (unowned): the window's dispose cancels every turn */
  char         *key;
  NbSession    *session;
  GCancellable *cancellable;
  char         *input;       /* what the user sent: for Retry, and back into the composer */
  GPtrArray    *files;       /* its attachments (of GFile) */
  char         *error;       /* the last failure, shown with Retry */
  gboolean      running;
  gboolean      started;     /* the user's message reached the session */
};

void
nb_window_turn_free (NbWindowTurn *turn)
{
  g_clear_object (&turn->session);
  g_clear_object (&turn->cancellable);
  g_clear_pointer (&turn->files, g_ptr_array_unref);
  g_free (turn->key);
  g_free (turn->input);
  g_free (turn->error);
  g_free (turn);
}

static NbWindowTurn *
lookup_turn (NbWindow   *self,
             const char *key)
{
  return key != NULL && self->turns != NULL ? g_hash_table_lookup (self->turns, key) : NULL;
}

gboolean
nb_window_is_running (NbWindow   *self,
                      const char *key)
{
  NbWindowTurn *turn = lookup_turn (self, key);

  return turn != NULL && turn->running;
}

/* The open conversation's turn into the chat view and the composer. */
void
nb_window_sync_turn_state (NbWindow *self)
{
  NbWindowTurn *turn = lookup_turn (self, self->key);
  gboolean running = turn != NULL && turn->running;
  const char *error = turn != NULL && !running ? turn->error : NULL;

  /* A conversation that ends with the user's message and that this
   * window ran nothing in (the answer failed before Nanobot was last
   * closed) offers Retry too: nothing the user wrote is left without a way
   * on. After a Stop here, the user knows why. */
  if (turn == NULL && self->session != NULL &&
      !nb_agent_is_running (nb_assistant_get_agent (self->assistant), self->key))
    {
      guint n = nb_session_get_n_messages (self->session);

      if (n > 0 && g_strcmp0 (nb_message_get_role (nb_session_get_message (self->session, n - 1)), "user") == 0)
        error = _("This message has no answer.");
    }

  nb_composer_set_running (self->composer, running);
  nb_chat_view_set_running (self->chat_view, running);
  nb_chat_view_set_error (self->chat_view, error);
}

/* A reply that is not streamed (a slash command's): short ones as a
 * toast, longer ones (/help) in a dialog. */
static void
show_reply (NbWindow   *self,
            const char *reply)
{
  if (reply == NULL || *reply == '\0')
    return;

  if (strchr (reply, '\n') == NULL && g_utf8_strlen (reply, -1) <= 80)
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (reply));
      return;
    }

  {
    GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Nanobot"), NULL);

    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), reply);
    adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
    gtk_window_present (GTK_WINDOW (dialog));
  }
}

/* What the user sent comes back into the composer when the turn did not
 * take it (an unreadable attachment, a session that could not be
 * written), unless they already typed something else. */
static void
give_back_input (NbWindow     *self,
                 NbWindowTurn *turn)
{
  g_autofree char *typed = NULL;

  if (g_strcmp0 (self->key, turn->key) != 0 || turn->input == NULL)
    return;
  typed = nb_composer_dup_text (self->composer);
  if (typed != NULL && *typed != '\0')
    return;
  nb_composer_set_text (self->composer, turn->input);
  for (guint i = 0; turn->files != NULL && i < turn->files->len; i++)
    nb_composer_add_attachment (self->composer, g_ptr_array_index (turn->files, i));
}

/* What a running turn's callback needs to find its turn again. */
typedef struct {
  NbWindow     *window;
  char         *key;
  GCancellable *cancellable;
} RunRef;

static RunRef *
run_ref_new (NbWindowTurn *turn)
{
  RunRef *ref = g_new0 (RunRef, 1);

  ref->window = g_object_ref (turn->window);
  ref->key = g_strdup (turn->key);
  ref->cancellable = g_object_ref (turn->cancellable);
  return ref;
}

static void
run_ref_free (RunRef *ref)
{
  g_clear_object (&ref->window);
  g_clear_object (&ref->cancellable);
  g_free (ref->key);
  g_free (ref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunRef, run_ref_free)

static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RunRef) ref = user_data;
  NbWindow *self = ref->window;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbWindowTurn *turn;
  gboolean is_command = FALSE;

  reply = nb_assistant_run_finish (NB_ASSISTANT (source), result, &is_command, &error);

  turn = lookup_turn (self, ref->key);
  if (turn == NULL || turn->cancellable != ref->cancellable)
    return;

  turn->running = FALSE;
  g_clear_object (&turn->cancellable);

  if (g_error_matches (error, NB_SLASH_COMMAND_ERROR, NB_SLASH_COMMAND_ERROR_MEMORY_NOT_UPDATED))
    {
      /* /new did start afresh (the old conversation was archived); only
       * the memory was not updated: say so, but nothing is given back. */
      if (g_strcmp0 (turn->key, self->key) == 0)
        show_reply (self, error->message);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (!turn->started)
        {
          /* Nothing reached the conversation: nothing to retry there. */
          give_back_input (self, turn);
          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
        }
      else
        {
          g_free (turn->error);
          turn->error = g_strdup (error->message);
        }
    }
  else if (is_command && g_strcmp0 (turn->key, self->key) == 0)
    show_reply (self, reply);

  nb_window_update_usage (self);
  if (g_strcmp0 (turn->key, self->key) == 0)
    nb_window_sync_turn_state (self);
}

/* The agent appended the user's message: the turn has it. */
static void
message_appended_cb (NbWindow  *self,
                     NbSession *session,
                     NbMessage *message)
{
  NbWindowTurn *turn = lookup_turn (self, nb_session_get_key (session));

  if (turn != NULL && turn->running && g_strcmp0 (nb_message_get_role (message), "user") == 0)
    turn->started = TRUE;
}

static void
save_failed_cb (NbWindow   *self,
                NbSession  *session,
                const char *message)
{
  NbWindowTurn *turn = lookup_turn (self, nb_session_get_key (session));
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("The conversation could not be saved: %s. "
                            "Nothing is lost while Nanobot stays open; free some space or check the folder’s permissions."),
                          message);
  nb_window_show_banner (self, text);
  if (turn != NULL)
    give_back_input (self, turn);
}

/* Starts a turn on @session. @input NULL retries: the model answers the
 * conversation as it stands, which ends with the user's message. */
static void
start_turn (NbWindow   *self,
            NbSession  *session,
            const char *input,
            GPtrArray  *files)
{
  const char *key = nb_session_get_key (session);
  NbWindowTurn *turn = lookup_turn (self, key);

  if (turn == NULL)
    {
      turn = g_new0 (NbWindowTurn, 1);
      turn->window = self;
      turn->key = g_strdup (key);
      turn->session = g_object_ref (session);
      g_hash_table_insert (self->turns, turn->key, turn);
    }
  g_return_if_fail (!turn->running);

  if (input != NULL)
    {
      g_free (turn->input);
      turn->input = g_strdup (input);
      g_clear_pointer (&turn->files, g_ptr_array_unref);
      if (files != NULL && files->len > 0)
        {
          turn->files = g_ptr_array_new_with_free_func (g_object_unref);
          for (guint i = 0; i < files->len; i++)
            g_ptr_array_add (turn->files, g_object_ref (g_ptr_array_index (files, i)));
        }
    }
  g_clear_pointer (&turn->error, g_free);
  turn->running = TRUE;
  turn->started = input == NULL;
  turn->cancellable = g_cancellable_new ();

  if (input == NULL)
    nb_assistant_retry_async (self->assistant, session, turn->cancellable,
                              run_done_cb, run_ref_new (turn));
  else if (turn->files != NULL)
    nb_assistant_run_with_attachments_async (self->assistant, session, input, turn->files,
                                             turn->cancellable, run_done_cb, run_ref_new (turn));
  else
    nb_assistant_run_async (self->assistant, session, input, turn->cancellable,
                            run_done_cb, run_ref_new (turn));

  if (g_strcmp0 (key, self->key) == 0)
    {
      nb_window_sync_turn_state (self);
      nb_chat_view_scroll_to_bottom (self->chat_view);
    }
}

static void
composer_send_cb (NbWindow *self)
{
  g_autofree char *text = nb_composer_dup_text (self->composer);
  GPtrArray *files = nb_composer_get_attachments (self->composer);

  if (self->session == NULL || nb_window_is_running (self, self->key))
    return;
  if ((text == NULL || *text == '\0') && files->len == 0)
    return;

  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  start_turn (self, self->session, text != NULL ? text : "", files);
  nb_composer_clear (self->composer);
}

void
nb_window_stop (NbWindow *self)
{
  NbWindowTurn *turn = lookup_turn (self, self->key);

  if (turn != NULL && turn->running)
    g_cancellable_cancel (turn->cancellable);
}

static void
chat_retry_cb (NbWindow *self)
{
  if (self->session == NULL || nb_window_is_running (self, self->key))
    return;
  /* The Retry button goes away with the error: the focus goes to the
   * composer first (GTK 4.8 warns when a focused widget is hidden under
   * its own click). */
  nb_composer_grab_focus (self->composer);
  start_turn (self, self->session, NULL, NULL);
}

/* Regenerate and Edit: a fork holding the messages before the user's
 * message, then the turn there. */
typedef struct {
  NbWindow *window;
  char     *input;
} ForkData;

static void
fork_data_free (ForkData *data)
{
  g_clear_object (&data->window);
  g_free (data->input);
  g_free (data);
}

static void
forked_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ForkData *data = user_data;
  NbWindow *self = data->window;
  g_autoptr(NbSession) fork = NULL;
  g_autoptr(GError) error = NULL;

  fork = nb_assistant_fork_finish (NB_ASSISTANT (source), result, &error);
  if (fork == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      fork_data_free (data);
      return;
    }

  nb_window_show_session (self, fork);
  start_turn (self, fork, data->input, NULL);
  fork_data_free (data);
}

static void
fork_and_run (NbWindow   *self,
              guint       user_index,
              const char *input)
{
  ForkData *data;

  if (self->session == NULL || nb_window_is_running (self, self->key))
    return;

  /* The button or the inline editor that asked for it goes away. */
  nb_composer_grab_focus (self->composer);
  data = g_new0 (ForkData, 1);
  data->window = g_object_ref (self);
  data->input = g_strdup (input);
  nb_assistant_fork_async (self->assistant, self->session, user_index, self->cancellable,
                           forked_cb, data);
}

static void
chat_regenerate_cb (NbWindow *self,
                    guint     index)
{
  g_autofree char *input = NULL;
  guint user_index = index;

  if (self->session == NULL)
    return;
  /* The user's message this reply answers. */
  while (user_index > 0)
    {
      NbMessage *message = nb_session_get_message (self->session, --user_index);

      if (g_strcmp0 (nb_message_get_role (message), "user") == 0)
        {
          input = nb_message_dup_text (message);
          break;
        }
    }
  if (input == NULL)
    return;
  fork_and_run (self, user_index, input);
}

static void
chat_edit_cb (NbWindow   *self,
              guint       index,
              const char *text)
{
  if (text == NULL || *text == '\0')
    return;
  fork_and_run (self, index, text);
}

void
nb_window_connect_turns (NbWindow *self)
{
  NbAgent *agent = nb_assistant_get_agent (self->assistant);

  self->turns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) nb_window_turn_free);

  g_signal_connect_object (agent, "save-failed", G_CALLBACK (save_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (agent, "message-appended", G_CALLBACK (message_appended_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "send", G_CALLBACK (composer_send_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "stop", G_CALLBACK (nb_window_stop), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_view, "retry", G_CALLBACK (chat_retry_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_view, "regenerate", G_CALLBACK (chat_regenerate_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_view, "edit", G_CALLBACK (chat_edit_cb), self, G_CONNECT_SWAPPED);
}

/* Closing the window stops its turns; the assistant's close syncs them. */
void
nb_window_cancel_turns (NbWindow *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->turns == NULL)
    return;
  g_hash_table_iter_init (&iter, self->turns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      NbWindowTurn *turn = value;

      if (turn->cancellable != NULL)
        g_cancellable_cancel (turn->cancellable);
    }
}
