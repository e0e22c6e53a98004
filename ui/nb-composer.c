/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-composer"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "nb-attachment-chip.h"
#include "nb-composer-private.h"
#include "nb-slash-commands.h"

/*
 * NbComposer is where the user writes a message: a text view that grows
 * up to MAX_LINES lines and then scrolls, an Attach button, the
 * attachments as chips, slash-command completion, and a Send button that
 * is a Stop button while a reply is running.
 *
 * Enter sends (NbComposer::send; the window reads the text and the
 * attachments and calls nb_composer_clear() once the turn started),
 * Shift+Enter inserts a newline, and an input method gets Enter first so
 * that a preedit is committed instead of sent. While running, Enter sends
 * nothing, and Escape and the Stop button emit NbComposer::stop.
 *
 * This file has the text and the keys; nb-composer-attachments.c the
 * attachments (Attach button, paste, drop, chips).
 */

#define MAX_LINES 8

G_DEFINE_FINAL_TYPE (NbComposer, nb_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum {
  SEND,
  STOP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

char *
nb_composer_dup_text (NbComposer *self)
{
  GtkTextIter start, end;

  g_return_val_if_fail (NB_IS_COMPOSER (self), NULL);

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  return gtk_text_buffer_get_text (self->buffer, &start, &end, FALSE);
}

static gboolean
has_text (NbComposer *self)
{
  g_autofree char *text = nb_composer_dup_text (self);

  return *g_strstrip (text) != '\0';
}

/* Something to send: words, or files alone. */
static gboolean
can_send (NbComposer *self)
{
  return self->attachments->len > 0 || has_text (self);
}

void
nb_composer_update_send_button (NbComposer *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), self->running || can_send (self));
}

static void
try_send (NbComposer *self)
{
  if (self->running || !can_send (self))
    return;
  g_signal_emit (self, signals[SEND], 0);
}

static void
send_clicked_cb (NbComposer *self)
{
  if (self->running)
    g_signal_emit (self, signals[STOP], 0);
  else
    try_send (self);
}

/* Slash-command completion */

static const char *
row_command (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "nb-command");
}

static gboolean
completion_shown (NbComposer *self)
{
  return gtk_revealer_get_reveal_child (self->completion_revealer);
}

static void
hide_completion (NbComposer *self)
{
  gtk_revealer_set_reveal_child (self->completion_revealer, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->completion_revealer), FALSE);
}

/* The commands that start with the text, while the text is a single word
 * starting with "/". */
static void
update_completion (NbComposer *self)
{
  g_autofree char *text = nb_composer_dup_text (self);
  g_autofree char *word = g_utf8_strdown (text, -1);
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->completion_list);
  GtkListBoxRow *first = NULL;
  gboolean show = !self->completion_dismissed && word[0] == '/' && strpbrk (word, " \t\n") == NULL;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->completion_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      gboolean visible = show && g_str_has_prefix (row_command (GTK_LIST_BOX_ROW (row)), word);

      gtk_widget_set_visible (row, visible);
      if (visible && first == NULL)
        first = GTK_LIST_BOX_ROW (row);
    }

  if (first == NULL)
    {
      hide_completion (self);
      return;
    }
  if (selected == NULL || !gtk_widget_get_visible (GTK_WIDGET (selected)))
    gtk_list_box_select_row (self->completion_list, first);
  gtk_widget_set_visible (GTK_WIDGET (self->completion_revealer), TRUE);
  gtk_revealer_set_reveal_child (self->completion_revealer, TRUE);
}

static void
move_completion (NbComposer *self,
                 int         direction)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->completion_list);
  g_autoptr(GPtrArray) visible = g_ptr_array_new ();
  guint index = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->completion_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_visible (row))
      g_ptr_array_add (visible, row);
  if (visible->len == 0)
    return;

  if (selected != NULL && g_ptr_array_find (visible, selected, &index))
    index = (index + visible->len + direction) % visible->len;
  else
    index = 0;
  gtk_list_box_select_row (self->completion_list, g_ptr_array_index (visible, index));
}

static void
pick_command (NbComposer    *self,
              GtkListBoxRow *row)
{
  GtkTextIter end;

  if (row == NULL)
    return;

  /* The command is the whole message; completion stays away until the
   * text changes again. */
  nb_composer_set_text (self, row_command (row));
  self->completion_dismissed = TRUE;
  hide_completion (self);
  gtk_text_buffer_get_end_iter (self->buffer, &end);
  gtk_text_buffer_place_cursor (self->buffer, &end);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
completion_row_activated_cb (NbComposer    *self,
                             GtkListBoxRow *row)
{
  pick_command (self, row);
}

static void
add_command_rows (NbComposer *self)
{
  const NbSlashCommandInfo *commands;
  guint n;

  commands = nb_slash_command_get_all (&n);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *name = gtk_label_new (commands[i].name);
      GtkWidget *description = gtk_label_new (_(commands[i].description));

      gtk_widget_add_css_class (name, "heading");
      gtk_label_set_xalign (GTK_LABEL (description), 0);
      gtk_label_set_ellipsize (GTK_LABEL (description), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (description, TRUE);
      gtk_widget_add_css_class (description, "dim-label");
      gtk_box_append (GTK_BOX (box), name);
      gtk_box_append (GTK_BOX (box), description);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_widget_set_tooltip_text (row, _(commands[i].description));
      g_object_set_data_full (G_OBJECT (row), "nb-command", g_strdup (commands[i].name), g_free);
      gtk_list_box_append (self->completion_list, row);
    }
}

/* Text */

static void
buffer_changed_cb (NbComposer *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), gtk_text_buffer_get_char_count (self->buffer) == 0);
  nb_composer_update_send_button (self);
  self->completion_dismissed = FALSE;
  update_completion (self);
}

static void
insert_newline (NbComposer *self)
{
  gtk_text_buffer_begin_user_action (self->buffer);
  gtk_text_buffer_delete_selection (self->buffer, TRUE, TRUE);
  gtk_text_buffer_insert_interactive_at_cursor (self->buffer, "\n", 1, TRUE);
  gtk_text_buffer_end_user_action (self->buffer);
  gtk_text_view_scroll_mark_onscreen (self->text_view, gtk_text_buffer_get_insert (self->buffer));
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                NbComposer            *self)
{
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();
  GdkEvent *event;

  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      if (!completion_shown (self) || mods != 0)
        return FALSE;
      move_completion (self, keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up ? -1 : 1);
      return TRUE;

    case GDK_KEY_Tab:
    case GDK_KEY_KP_Tab:
      if (!completion_shown (self) || mods != 0)
        return FALSE;
      pick_command (self, gtk_list_box_get_selected_row (self->completion_list));
      return TRUE;

    case GDK_KEY_Escape:
      if (completion_shown (self))
        {
          self->completion_dismissed = TRUE;
          hide_completion (self);
          return TRUE;
        }
      if (self->running)
        {
          g_signal_emit (self, signals[STOP], 0);
          return TRUE;
        }
      return FALSE;

    case GDK_KEY_Return:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_KP_Enter:
      /* An input method composing text commits it with Enter. */
      event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
      if (event != NULL && gtk_text_view_im_context_filter_keypress (self->text_view, event))
        return TRUE;

      if (mods == GDK_SHIFT_MASK)
        {
          insert_newline (self);
          return TRUE;
        }
      if (mods != 0)
        return FALSE;

      if (completion_shown (self))
        {
          GtkListBoxRow *row = gtk_list_box_get_selected_row (self->completion_list);
          g_autofree char *text = nb_composer_dup_text (self);

          if (row != NULL && g_strcmp0 (row_command (row), g_strstrip (text)) != 0)
            {
              pick_command (self, row);
              return TRUE;
            }
        }
      try_send (self);
      return TRUE;

    default:
      return FALSE;
    }
}

/* At most MAX_LINES lines of the current font, then the text scrolls. */
static void
update_max_height (NbComposer *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self->text_view));
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int line = PANGO_PIXELS (pango_font_metrics_get_height (metrics));

  pango_font_metrics_unref (metrics);

  if (line <= 0)
    line = 20;
  gtk_scrolled_window_set_max_content_height (self->text_scroller,
                                              line * MAX_LINES +
                                              gtk_text_view_get_top_margin (self->text_view) +
                                              gtk_text_view_get_bottom_margin (self->text_view));
}

/* Object */

static void
nb_composer_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  NbComposer *self = NB_COMPOSER (object);

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
nb_composer_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  NbComposer *self = NB_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      nb_composer_set_running (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_composer_dispose (GObject *object)
{
  NbComposer *self = NB_COMPOSER (object);

  nb_composer_attachments_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_COMPOSER);

  G_OBJECT_CLASS (nb_composer_parent_class)->dispose (object);
}

static void
nb_composer_finalize (GObject *object)
{
  NbComposer *self = NB_COMPOSER (object);

  g_clear_pointer (&self->attachments, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_composer_parent_class)->finalize (object);
}

static gboolean
nb_composer_grab_focus_vfunc (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (NB_COMPOSER (widget)->text_view));
}

static void
nb_composer_class_init (NbComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = nb_composer_get_property;
  object_class->set_property = nb_composer_set_property;
  object_class->dispose = nb_composer_dispose;
  object_class->finalize = nb_composer_finalize;
  widget_class->grab_focus = nb_composer_grab_focus_vfunc;

  /**
   * NbComposer:running:
   *
   * Whether a reply is running: the Send button is a Stop button, Escape
   * stops, and Enter sends nothing.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NbComposer::send:
   *
   * The user sent the message: read it with nb_composer_dup_text() and
   * nb_composer_get_attachments(), and call nb_composer_clear() once the
   * turn started. Never emitted with neither text nor attachments, nor
   * while running.
   */
  signals[SEND] = g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * NbComposer::stop:
   *
   * The user asked to stop the running reply (Stop button or Escape).
   */
  signals[STOP] = g_signal_new ("stop", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (NB_TYPE_ATTACHMENT_CHIP);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, NbComposer, completion_revealer);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, completion_list);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, chips_scroller);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, chips);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, entry_box);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, attach_button);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, text_scroller);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, NbComposer, send_button);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, completion_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, nb_composer_attach_clicked_cb);

  gtk_widget_class_set_css_name (widget_class, "nb-composer");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
nb_composer_init (NbComposer *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->attachments = g_ptr_array_new_with_free_func (g_object_unref);
  self->buffer = gtk_text_view_get_buffer (self->text_view);
  g_signal_connect_object (self->buffer, "changed", G_CALLBACK (buffer_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->text_view, "realize", G_CALLBACK (update_max_height), self, G_CONNECT_SWAPPED);

  /* Before the text view's own handling (and its input method). */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_name (keys, "nb-composer-keys");
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  add_command_rows (self);
  hide_completion (self);
  nb_composer_attachments_init (self);
}

NbComposer *
nb_composer_new (void)
{
  return g_object_new (NB_TYPE_COMPOSER, NULL);
}

gboolean
nb_composer_get_running (NbComposer *self)
{
  g_return_val_if_fail (NB_IS_COMPOSER (self), FALSE);
  return self->running;
}

/**
 * nb_composer_set_running:
 * @running: whether a reply is running
 *
 * While running, the Send button is a Stop button and Escape stops.
 */
void
nb_composer_set_running (NbComposer *self,
                         gboolean    running)
{
  GtkWidget *button;
  const char *label;

  g_return_if_fail (NB_IS_COMPOSER (self));

  running = !!running;
  if (self->running == running)
    return;
  self->running = running;

  button = GTK_WIDGET (self->send_button);
  label = running ? _("Stop") : _("Send");
  gtk_button_set_icon_name (self->send_button, running ? "media-playback-stop-symbolic" : "go-up-symbolic");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (running)
    gtk_widget_remove_css_class (button, "suggested-action");
  else
    gtk_widget_add_css_class (button, "suggested-action");
  nb_composer_update_send_button (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/**
 * nb_composer_set_text:
 *
 * Replaces the text (e.g. to put back a message that could not be sent)
 * and puts the cursor at its end.
 */
void
nb_composer_set_text (NbComposer *self,
                      const char *text)
{
  GtkTextIter end;

  g_return_if_fail (NB_IS_COMPOSER (self));

  gtk_text_buffer_set_text (self->buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_get_end_iter (self->buffer, &end);
  gtk_text_buffer_place_cursor (self->buffer, &end);
}

/**
 * nb_composer_clear:
 *
 * Empties the text and removes the attachments: call it once the turn
 * the message started is running.
 */
void
nb_composer_clear (NbComposer *self)
{
  g_return_if_fail (NB_IS_COMPOSER (self));

  nb_composer_set_text (self, "");
  nb_composer_remove_all_attachments (self);
}

/**
 * nb_composer_grab_focus:
 *
 * Puts the keyboard focus in the text.
 */
gboolean
nb_composer_grab_focus (NbComposer *self)
{
  g_return_val_if_fail (NB_IS_COMPOSER (self), FALSE);
  return gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}
