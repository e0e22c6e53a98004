/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-user-message"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-user-message.h"

/* A message the user wrote: plain text (never markdown) in a bubble, with
 * Copy and Edit. Edit swaps the text for an editor in place; Send emits
 * "edit" with the new text and leaves what happens next to the owner. */

struct _NbUserMessage
{
  GtkWidget parent_instance;

  GtkWidget *stack;
  GtkWidget *label;
  GtkWidget *editor;
  GtkWidget *actions;
  GtkWidget *copy_button;
  GtkWidget *edit_button;
  GtkWidget *cancel_button;
  GtkWidget *save_button;

  char *text;
};

G_DEFINE_FINAL_TYPE (NbUserMessage, nb_user_message, GTK_TYPE_WIDGET)

enum {
  EDIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
copy_clicked_cb (NbUserMessage *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->text != NULL ? self->text : "");
}

static void
save_clicked_cb (NbUserMessage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  nb_user_message_cancel_edit (self);
  if (g_strstrip (text)[0] != '\0')
    g_signal_emit (self, signals[EDIT], 0, text);
}

static gboolean
editor_key_pressed_cb (GtkEventControllerKey *controller,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       NbUserMessage         *self)
{
  if (keyval == GDK_KEY_Escape)
    {
      nb_user_message_cancel_edit (self);
      return TRUE;
    }
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_CONTROL_MASK) != 0)
    {
      save_clicked_cb (self);
      return TRUE;
    }
  return FALSE;
}

static void
nb_user_message_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_USER_MESSAGE);
  G_OBJECT_CLASS (nb_user_message_parent_class)->dispose (object);
}

static void
nb_user_message_finalize (GObject *object)
{
  NbUserMessage *self = NB_USER_MESSAGE (object);

  g_free (self->text);
  G_OBJECT_CLASS (nb_user_message_parent_class)->finalize (object);
}

static void
nb_user_message_class_init (NbUserMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_user_message_dispose;
  object_class->finalize = nb_user_message_finalize;

  /* Send in the editor: the new text. */
  signals[EDIT] =
    g_signal_new ("edit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-user-message.ui");
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, stack);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, label);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, editor);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, actions);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, copy_button);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, edit_button);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, NbUserMessage, save_button);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, nb_user_message_start_edit);
  gtk_widget_class_bind_template_callback (widget_class, nb_user_message_cancel_edit);
  gtk_widget_class_set_css_name (widget_class, "nb-user-message");
}

static void
nb_user_message_init (NbUserMessage *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (keys, "key-pressed", G_CALLBACK (editor_key_pressed_cb), self);
  gtk_widget_add_controller (self->editor, keys);
}

GtkWidget *
nb_user_message_new (void)
{
  return g_object_new (NB_TYPE_USER_MESSAGE, NULL);
}

void
nb_user_message_set_text (NbUserMessage *self,
                          const char    *text)
{
  g_return_if_fail (NB_IS_USER_MESSAGE (self));

  nb_user_message_cancel_edit (self);
  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  gtk_label_set_text (GTK_LABEL (self->label), text != NULL ? text : "");
}

const char *
nb_user_message_get_text (NbUserMessage *self)
{
  g_return_val_if_fail (NB_IS_USER_MESSAGE (self), NULL);
  return self->text;
}

/* Shows the editor with the message's text. */
void
nb_user_message_start_edit (NbUserMessage *self)
{
  GtkTextBuffer *buffer;

  g_return_if_fail (NB_IS_USER_MESSAGE (self));

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->editor));
  gtk_text_buffer_set_text (buffer, self->text != NULL ? self->text : "", -1);
  gtk_widget_set_halign (self->stack, GTK_ALIGN_FILL);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "edit");
  gtk_widget_set_visible (self->actions, FALSE);
  gtk_widget_grab_focus (self->editor);
}

void
nb_user_message_cancel_edit (NbUserMessage *self)
{
  g_return_if_fail (NB_IS_USER_MESSAGE (self));

  if (!nb_user_message_get_editing (self))
    return;
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "view");
  gtk_widget_set_halign (self->stack, GTK_ALIGN_END);
  gtk_widget_set_visible (self->actions, TRUE);
}

gboolean
nb_user_message_get_editing (NbUserMessage *self)
{
  g_return_val_if_fail (NB_IS_USER_MESSAGE (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (self->stack)), "edit") == 0;
}
