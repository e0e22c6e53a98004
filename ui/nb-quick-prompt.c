/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-quick-prompt"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-chat-view.h"
#include "nb-approval-queue.h"
#include "nb-quick-prompt.h"

struct _NbQuickPrompt
{
  AdwWindow     parent_instance;

  NbAssistant  *assistant;
  NbSession    *session;
  char         *key;
  GCancellable *cancellable;    /* the open and the turn; cancelled in dispose */
  char         *pending;        /* asked before the session was open */
  gboolean      running;

  GtkText      *entry;
  GtkSpinner   *spinner;
  GtkRevealer  *revealer;
  NbChatView   *chat_view;
  GtkLabel     *notice_label;
};

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NbQuickPrompt, nb_quick_prompt, ADW_TYPE_WINDOW)

/* A new key for a quick prompt conversation: quick:<12 hex digits>. */
static char *
new_key (void)
{
  return g_strdup_printf ("quick:%08x%04x", g_random_int (), g_random_int () & 0xffff);
}

static void
set_running (NbQuickPrompt *self,
             gboolean       running)
{
  if (self->running == running)
    return;
  self->running = running;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), running);
  gtk_spinner_set_spinning (self->spinner, running);
  nb_chat_view_set_running (self->chat_view, running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "quick.continue", self->session != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
show_notice (NbQuickPrompt *self,
             const char    *text)
{
  gtk_label_set_text (self->notice_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), text != NULL && *text != '\0');
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(NbQuickPrompt) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  gboolean is_command = FALSE;

  reply = nb_assistant_run_finish (NB_ASSISTANT (source), result, &is_command, &error);
  if (self->cancellable == NULL)
    return; /* disposed */
  set_running (self, FALSE);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    nb_chat_view_set_error (self->chat_view, error->message);
  else if (is_command)
    show_notice (self, reply);
}

/* A turn on @text, or (NULL) the answer to the last user message again. */
static void
start_turn (NbQuickPrompt *self,
            const char    *text)
{
  nb_chat_view_set_error (self->chat_view, NULL);
  show_notice (self, NULL);
  set_running (self, TRUE);
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
  if (text == NULL)
    nb_assistant_retry_async (self->assistant, self->session, self->cancellable,
                              run_cb, g_object_ref (self));
  else
    nb_assistant_run_async (self->assistant, self->session, text, self->cancellable,
                            run_cb, g_object_ref (self));
  nb_chat_view_scroll_to_bottom (self->chat_view);
}

/* Regenerate and Edit work as in the window: a fork at the user's
 * message, where the turn runs; the quick prompt follows the fork. */
static void
forked_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NbQuickPrompt) self = user_data;
  g_autoptr(NbSession) fork = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_steal_pointer (&self->pending);

  fork = nb_assistant_fork_finish (NB_ASSISTANT (source), result, &error);
  if (self->cancellable == NULL)
    return;
  self->running = TRUE; /* set_running() below sees a change */
  set_running (self, FALSE);
  if (fork == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        nb_chat_view_set_error (self->chat_view, error->message);
      return;
    }
  g_set_object (&self->session, fork);
  g_free (self->key);
  self->key = g_strdup (nb_session_get_key (fork));
  nb_chat_view_set_session (self->chat_view, fork);
  start_turn (self, text);
}

static void
fork_and_run (NbQuickPrompt *self,
              guint          user_index,
              const char    *text)
{
  if (self->session == NULL || self->running || text == NULL || *text == '\0')
    return;
  g_free (self->pending);
  self->pending = g_strdup (text);
  set_running (self, TRUE);
  nb_assistant_fork_async (self->assistant, self->session, user_index, self->cancellable,
                           forked_cb, g_object_ref (self));
}

static void
chat_retry_cb (NbQuickPrompt *self)
{
  if (self->session != NULL && !self->running)
    start_turn (self, NULL);
}

static void
chat_regenerate_cb (NbQuickPrompt *self,
                    guint          index)
{
  g_autofree char *text = NULL;
  guint user_index = index;

  if (self->session == NULL)
    return;
  while (user_index > 0)
    {
      NbMessage *message = nb_session_get_message (self->session, --user_index);

      if (g_strcmp0 (nb_message_get_role (message), "user") == 0)
        {
          text = nb_message_dup_text (message);
          break;
        }
    }
  fork_and_run (self, user_index, text);
}

static void
chat_edit_cb (NbQuickPrompt *self,
              guint          index,
              const char    *text)
{
  fork_and_run (self, index, text);
}

static void
session_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbQuickPrompt) self = user_data;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_steal_pointer (&self->pending);

  session = nb_assistant_open_session_finish (NB_ASSISTANT (source), result, &error);
  if (self->cancellable == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (session == NULL)
    {
      set_running (self, FALSE);
      gtk_revealer_set_reveal_child (self->revealer, TRUE);
      nb_chat_view_set_error (self->chat_view, error->message);
      return;
    }
  self->session = g_steal_pointer (&session);
  nb_chat_view_set_session (self->chat_view, self->session);
  self->running = FALSE;
  start_turn (self, text);
}

/**
 * nb_quick_prompt_ask:
 *
 * Asks @text in the quick prompt's conversation (opened first if this is
 * its first question), as Enter in the entry does. Returns %FALSE when
 * there is nothing to ask or a turn still runs.
 */
gboolean
nb_quick_prompt_ask (NbQuickPrompt *self,
                     const char    *text)
{
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (NB_IS_QUICK_PROMPT (self), FALSE);

  stripped = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*stripped == '\0' || self->running)
    return FALSE;

  if (self->session == NULL)
    {
      if (self->key == NULL)
        self->key = new_key ();
      g_free (self->pending);
      self->pending = g_steal_pointer (&stripped);
      set_running (self, TRUE);
      nb_assistant_open_session_async (self->assistant, self->key, self->cancellable,
                                       session_opened_cb, g_object_ref (self));
      return TRUE;
    }
  start_turn (self, stripped);
  return TRUE;
}

static void
entry_activate_cb (NbQuickPrompt *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));

  if (nb_quick_prompt_ask (self, text))
    gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
}

/* A fresh conversation: the next question starts a new one. */
static void
reset (NbQuickPrompt *self)
{
  g_clear_object (&self->session);
  g_clear_pointer (&self->key, g_free);
  nb_chat_view_set_session (self->chat_view, NULL);
  nb_chat_view_set_error (self->chat_view, NULL);
  show_notice (self, NULL);
  gtk_revealer_set_reveal_child (self->revealer, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "quick.continue", FALSE);
}

static void
continue_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  NbQuickPrompt *self = NB_QUICK_PROMPT (widget);
  g_autofree char *key = g_strdup (self->key);

  if (key == NULL)
    return;
  /* The window first, so that the application never has none shown. */
  gtk_widget_activate_action (widget, "app.open-conversation", "s", key);
  gtk_widget_set_visible (widget, FALSE);
  /* The conversation goes on in the window. */
  if (!self->running)
    reset (self);
}

/**
 * nb_quick_prompt_present:
 *
 * Shows the quick prompt with the keyboard in its entry. After a turn
 * that ended, it starts over with a new conversation.
 */
void
nb_quick_prompt_present (NbQuickPrompt *self)
{
  g_return_if_fail (NB_IS_QUICK_PROMPT (self));

  if (!gtk_widget_get_visible (GTK_WIDGET (self)) && !self->running && self->pending == NULL)
    reset (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

const char *
nb_quick_prompt_get_key (NbQuickPrompt *self)
{
  g_return_val_if_fail (NB_IS_QUICK_PROMPT (self), NULL);

  return self->key;
}

gboolean
nb_quick_prompt_get_running (NbQuickPrompt *self)
{
  g_return_val_if_fail (NB_IS_QUICK_PROMPT (self), FALSE);

  return self->running;
}

static void
nb_quick_prompt_dispose (GObject *object)
{
  NbQuickPrompt *self = NB_QUICK_PROMPT (object);

  /* The turn goes on in the assistant; we stop listening. */
  if (self->cancellable != NULL)
    {
      GCancellable *cancellable = g_steal_pointer (&self->cancellable);

      if (self->pending != NULL)
        g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_QUICK_PROMPT);
  g_clear_object (&self->session);
  g_clear_object (&self->assistant);

  G_OBJECT_CLASS (nb_quick_prompt_parent_class)->dispose (object);
}

static void
nb_quick_prompt_finalize (GObject *object)
{
  NbQuickPrompt *self = NB_QUICK_PROMPT (object);

  g_free (self->key);
  g_free (self->pending);

  G_OBJECT_CLASS (nb_quick_prompt_parent_class)->finalize (object);
}

static void
nb_quick_prompt_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NbQuickPrompt *self = NB_QUICK_PROMPT (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_quick_prompt_class_init (NbQuickPromptClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_quick_prompt_dispose;
  object_class->finalize = nb_quick_prompt_finalize;
  object_class->get_property = nb_quick_prompt_get_property;

  /**
   * NbQuickPrompt:running:
   *
   * Whether a question is being answered.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (NB_TYPE_CHAT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-quick-prompt.ui");
  gtk_widget_class_bind_template_child (widget_class, NbQuickPrompt, entry);
  gtk_widget_class_bind_template_child (widget_class, NbQuickPrompt, spinner);
  gtk_widget_class_bind_template_child (widget_class, NbQuickPrompt, revealer);
  gtk_widget_class_bind_template_child (widget_class, NbQuickPrompt, chat_view);
  gtk_widget_class_bind_template_child (widget_class, NbQuickPrompt, notice_label);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_regenerate_cb);
  gtk_widget_class_bind_template_callback (widget_class, chat_edit_cb);

  gtk_widget_class_install_action (widget_class, "quick.continue", NULL, continue_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
nb_quick_prompt_init (NbQuickPrompt *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "quick.continue", FALSE);
}

NbQuickPrompt *
nb_quick_prompt_new (GtkApplication *application,
                     NbAssistant    *assistant)
{
  NbQuickPrompt *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_QUICK_PROMPT, "application", application, NULL);
  self->assistant = g_object_ref (assistant);
  /* A tool call that needs approval is asked here too, as in the window. */
  nb_chat_view_set_approval_queue (self->chat_view, nb_assistant_get_approval_queue (assistant));
  return self;
}
