/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-chat-view-private.h"

/* The conversation of the main window: one NbChatPage (a list view over
 * the session) per recently shown session in a stack, so that switching
 * back to one of them only swaps the visible page, and a "Jump to Latest"
 * button over it while the reader is not at the bottom. */

#define MAX_PAGES 4

struct _NbChatView
{
  GtkWidget parent_instance;

  GtkWidget *overlay;
  GtkWidget *stack;
  GtkWidget *jump_button;

  GPtrArray *pages;          /* NbChatPage, most recently shown first */
  NbChatPage *page;          /* the one shown, or NULL */
};

G_DEFINE_FINAL_TYPE (NbChatView, nb_chat_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_FOLLOWING,
  N_PROPS
};

enum {
  RETRY,
  REGENERATE,
  EDIT,
  FORK_SWITCH,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_following (NbChatView *self)
{
  gboolean following = nb_chat_view_get_following (self);

  gtk_widget_set_visible (self->jump_button, !following);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOWING]);
}

static void
on_page_following (NbChatPage *page,
                   GParamSpec *pspec,
                   NbChatView *self)
{
  if (page == self->page)
    update_following (self);
}

static void
remove_page (NbChatView *self,
             NbChatPage *page)
{
  g_signal_handlers_disconnect_by_func (page, on_page_following, self);
  gtk_stack_remove (GTK_STACK (self->stack), nb_chat_page_get_widget (page));
  g_ptr_array_remove (self->pages, page);
}

static void
nb_chat_view_dispose (GObject *object)
{
  NbChatView *self = NB_CHAT_VIEW (object);

  self->page = NULL;
  while (self->pages->len > 0)
    remove_page (self, g_ptr_array_index (self->pages, 0));
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_CHAT_VIEW);

  G_OBJECT_CLASS (nb_chat_view_parent_class)->dispose (object);
}

static void
nb_chat_view_finalize (GObject *object)
{
  NbChatView *self = NB_CHAT_VIEW (object);

  g_ptr_array_unref (self->pages);

  G_OBJECT_CLASS (nb_chat_view_parent_class)->finalize (object);
}

static void
nb_chat_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  NbChatView *self = NB_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, nb_chat_view_get_session (self));
      break;
    case PROP_FOLLOWING:
      g_value_set_boolean (value, nb_chat_view_get_following (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_chat_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  NbChatView *self = NB_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      nb_chat_view_set_session (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_chat_view_class_init (NbChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_chat_view_dispose;
  object_class->finalize = nb_chat_view_finalize;
  object_class->get_property = nb_chat_view_get_property;
  object_class->set_property = nb_chat_view_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, NB_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * NbChatView:following:
   *
   * Whether the view is pinned to the bottom: it follows a growing reply
   * and new messages. Scrolling up ends it; nb_chat_view_scroll_to_bottom()
   * and "Jump to Latest" bring it back.
   */
  properties[PROP_FOLLOWING] =
    g_param_spec_boolean ("following", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The error row's Retry was clicked. */
  signals[RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Regenerate on the last reply; the argument is its index in the session. */
  signals[REGENERATE] =
    g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* A user message was edited: its index in the session and the new text. */
  signals[EDIT] =
    g_signal_new ("edit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /* The fork switcher: -1 for the previous version, +1 for the next. */
  signals[FORK_SWITCH] =
    g_signal_new ("fork-switch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, NbChatView, overlay);
  gtk_widget_class_bind_template_child (widget_class, NbChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, NbChatView, jump_button);
  gtk_widget_class_bind_template_callback (widget_class, nb_chat_view_scroll_to_bottom);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "nb-chat-view");
}

static void
nb_chat_view_init (NbChatView *self)
{
  self->pages = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbChatView *
nb_chat_view_new (void)
{
  return g_object_new (NB_TYPE_CHAT_VIEW, NULL);
}

static NbChatPage *
find_page (NbChatView *self,
           NbSession  *session)
{
  for (guint i = 0; i < self->pages->len; i++)
    {
      NbChatPage *page = g_ptr_array_index (self->pages, i);

      if (nb_chat_page_get_session (page) == session)
        return page;
    }
  return NULL;
}

/**
 * nb_chat_view_set_session:
 * @session: (nullable): the conversation to show
 *
 * Shows @session, pinned to its bottom the first time. The last few
 * sessions shown keep their list views, so switching back is only a
 * change of the visible page (and keeps where the reader was).
 */
void
nb_chat_view_set_session (NbChatView *self,
                          NbSession  *session)
{
  NbChatPage *page;

  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  g_return_if_fail (session == NULL || NB_IS_SESSION (session));

  if (nb_chat_view_get_session (self) == session)
    return;

  if (session == NULL)
    {
      self->page = NULL;
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
    }
  else
    {
      guint index;

      page = find_page (self, session);
      if (page != NULL && g_ptr_array_find (self->pages, page, &index))
        g_ptr_array_steal_index (self->pages, index);
      else
        {
          page = nb_chat_page_new (self, session);
          gtk_stack_add_child (GTK_STACK (self->stack), nb_chat_page_get_widget (page));
          g_signal_connect (page, "notify::following", G_CALLBACK (on_page_following), self);
        }
      g_ptr_array_insert (self->pages, 0, page);
      self->page = page;
      gtk_stack_set_visible_child (GTK_STACK (self->stack), nb_chat_page_get_widget (page));
      while (self->pages->len > MAX_PAGES)
        remove_page (self, g_ptr_array_index (self->pages, self->pages->len - 1));
    }
  update_following (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

/* Returns: (transfer none) (nullable): the session shown */
NbSession *
nb_chat_view_get_session (NbChatView *self)
{
  g_return_val_if_fail (NB_IS_CHAT_VIEW (self), NULL);
  return self->page != NULL ? nb_chat_page_get_session (self->page) : NULL;
}

/**
 * nb_chat_view_set_running:
 *
 * Whether a turn runs in the session shown: its tool calls without a
 * result show a spinner, and Regenerate is not offered.
 */
void
nb_chat_view_set_running (NbChatView *self,
                          gboolean    running)
{
  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  if (self->page != NULL)
    nb_chat_page_set_running (self->page, running);
}

/**
 * nb_chat_view_set_error:
 * @message: (nullable): the error, or %NULL to hide the row
 *
 * Shows an error row with a Retry button after the last message. It is
 * not part of the session.
 */
void
nb_chat_view_set_error (NbChatView *self,
                        const char *message)
{
  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  if (self->page != NULL)
    nb_chat_page_set_error (self->page, message);
}

/**
 * nb_chat_view_set_fork_info:
 * @message_index: the message that has versions
 * @current: the version shown, from 1
 * @total: how many there are; 1 or less hides the switcher
 *
 * Shows "‹ current/total ›" on a message; its buttons emit
 * NbChatView::fork-switch.
 */
void
nb_chat_view_set_fork_info (NbChatView *self,
                            guint       message_index,
                            guint       current,
                            guint       total)
{
  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  if (self->page != NULL)
    nb_chat_page_set_fork_info (self->page, message_index, current, total);
}

void
nb_chat_view_scroll_to_bottom (NbChatView *self)
{
  g_return_if_fail (NB_IS_CHAT_VIEW (self));
  if (self->page != NULL)
    nb_chat_page_scroll_to_bottom (self->page);
}

gboolean
nb_chat_view_get_following (NbChatView *self)
{
  g_return_val_if_fail (NB_IS_CHAT_VIEW (self), TRUE);
  return self->page == NULL || nb_chat_page_get_following (self->page);
}

void
nb_chat_view_emit_retry (NbChatView *self)
{
  g_signal_emit (self, signals[RETRY], 0);
}

void
nb_chat_view_emit_regenerate (NbChatView *self,
                              guint       index)
{
  g_signal_emit (self, signals[REGENERATE], 0, index);
}

void
nb_chat_view_emit_edit (NbChatView *self,
                        guint       index,
                        const char *text)
{
  g_signal_emit (self, signals[EDIT], 0, index, text);
}

void
nb_chat_view_emit_fork_switch (NbChatView *self,
                               int         delta)
{
  g_signal_emit (self, signals[FORK_SWITCH], 0, delta);
}

void
nb_chat_copy_text (GtkWidget  *widget,
                   const char *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text != NULL ? text : "");
}

/* Where nb-chat-view-approvals.c puts the questions of sub-agents. */
GtkOverlay *
nb_chat_view_get_overlay (NbChatView *self)
{
  g_return_val_if_fail (NB_IS_CHAT_VIEW (self), NULL);
  return GTK_OVERLAY (self->overlay);
}
