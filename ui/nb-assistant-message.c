/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant-message"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-message.h"
#include "nb-json-util.h"
#include "nb-markdown-view.h"
#include "nb-notice-message.h"
#include "nb-tool-card.h"
#include "nb-approval-card.h"
#include "nb-chat-view.h"

/* One assistant message: its reasoning (collapsed), its text as markdown
 * (the parsed document is cached on the message), one NbToolCard per tool
 * call — a `message` tool call shows its text as a notice instead — and
 * Copy and Regenerate. While the message streams, its text and reasoning
 * follow the message's notify. Cards and notices are kept and reused when
 * the widget is bound to another message. */

struct _NbAssistantMessage
{
  GtkWidget parent_instance;

  GtkWidget *reasoning_expander;
  GtkWidget *reasoning_label;
  GtkWidget *markdown;
  GtkWidget *tools_box;
  GtkWidget *actions;
  GtkWidget *copy_button;
  GtkWidget *regenerate_button;

  NbChatPage *page;         /* unowned: the page owns the list this row is in */
  NbMessage *message;
  gboolean can_regenerate;
  NbApprovalQueue *approvals; /* unowned: the view's, while bound */
};

G_DEFINE_FINAL_TYPE (NbAssistantMessage, nb_assistant_message, GTK_TYPE_WIDGET)

enum {
  REGENERATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
copy_clicked_cb (NbAssistantMessage *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          nb_markdown_view_get_markdown (NB_MARKDOWN_VIEW (self->markdown)));
}

static void
regenerate_clicked_cb (NbAssistantMessage *self)
{
  g_signal_emit (self, signals[REGENERATE], 0);
}

static void
update_actions (NbAssistantMessage *self)
{
  gboolean has_text = self->message != NULL && !nb_message_is_streaming (self->message) &&
                      *nb_markdown_view_get_markdown (NB_MARKDOWN_VIEW (self->markdown)) != '\0';

  gtk_widget_set_visible (self->actions, has_text);
  gtk_widget_set_visible (self->regenerate_button, has_text && self->can_regenerate);
}

static void
update_text (NbAssistantMessage *self)
{
  g_autofree char *text = nb_message_dup_text (self->message);

  nb_markdown_view_set_text (NB_MARKDOWN_VIEW (self->markdown), text);
  gtk_widget_set_visible (self->markdown, text != NULL && *text != '\0');
}

static void
update_reasoning (NbAssistantMessage *self)
{
  const char *reasoning = nb_message_get_reasoning (self->message);

  gtk_label_set_text (GTK_LABEL (self->reasoning_label), reasoning != NULL ? reasoning : "");
  gtk_widget_set_visible (self->reasoning_expander, reasoning != NULL && *reasoning != '\0');
}

static void
on_text_notify (NbMessage          *message,
                GParamSpec         *pspec,
                NbAssistantMessage *self)
{
  update_text (self);
}

static void
on_reasoning_notify (NbMessage          *message,
                     GParamSpec         *pspec,
                     NbAssistantMessage *self)
{
  update_reasoning (self);
}

static void
on_streaming_notify (NbMessage          *message,
                     GParamSpec         *pspec,
                     NbAssistantMessage *self)
{
  nb_markdown_view_set_streaming (NB_MARKDOWN_VIEW (self->markdown), nb_message_is_streaming (message));
  update_actions (self);
}

/* Tool calls */

static GtkWidget *
nth_tool (NbAssistantMessage *self,
          guint               index,
          GType               type)
{
  GtkWidget *child = gtk_widget_get_first_child (self->tools_box);
  GtkWidget *prev = NULL;
  GtkWidget *widget;

  for (; child != NULL && index > 0; index--)
    {
      prev = child;
      child = gtk_widget_get_next_sibling (child);
    }
  if (child != NULL && G_TYPE_CHECK_INSTANCE_TYPE (child, type))
    return child;

  if (type == NB_TYPE_TOOL_CARD)
    widget = nb_tool_card_new ();
  else if (type == NB_TYPE_APPROVAL_CARD)
    widget = nb_approval_card_new ();
  else
    widget = nb_notice_message_new ();
  gtk_box_insert_child_after (GTK_BOX (self->tools_box), widget, prev);
  if (child != NULL)
    gtk_box_remove (GTK_BOX (self->tools_box), child);
  return widget;
}

static void
bind_tools (NbAssistantMessage *self)
{
  JsonArray *calls = nb_message_get_tool_calls (self->message);
  guint n = calls != NULL ? json_array_get_length (calls) : 0;
  gboolean running = nb_chat_page_get_running (self->page);
  guint shown = 0;
  GtkWidget *child;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (calls, i);
      JsonObject *call = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *function = nb_json_get_object (call, "function");

      if (call == NULL)
        continue;
      if (g_strcmp0 (nb_json_get_string (function, "name"), "message") == 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          const char *arguments = nb_json_get_string (function, "arguments");
          const char *content = NULL;
          g_autofree char *slot = g_strdup_printf ("call-%u", i);
          GtkWidget *notice = nth_tool (self, shown++, NB_TYPE_NOTICE_MESSAGE);
          NbMarkdownDocument *document;

          if (arguments != NULL && json_parser_load_from_data (parser, arguments, -1, NULL) &&
              nb_json_parser_holds_object (parser))
            content = nb_json_get_string (json_node_get_object (json_parser_get_root (parser)), "content");
          document = nb_chat_cached_document (self->message, slot, content, FALSE);
          nb_notice_message_set (NB_NOTICE_MESSAGE (notice), "mail-unread-symbolic", _("Message"), NULL, document);
        }
      else if (self->approvals != NULL &&
               nb_approval_queue_lookup (self->approvals, nb_json_get_string (call, "id")) != NULL)
        {
          /* Waiting for the user: the question instead of the card. */
          GtkWidget *card = nth_tool (self, shown++, NB_TYPE_APPROVAL_CARD);

          nb_approval_card_set_approval (NB_APPROVAL_CARD (card),
                                         nb_approval_queue_lookup (self->approvals, nb_json_get_string (call, "id")),
                                         self->approvals);
        }
      else
        {
          GtkWidget *card = nth_tool (self, shown++, NB_TYPE_TOOL_CARD);

          nb_tool_card_set_call (NB_TOOL_CARD (card), self->message, call);
          nb_tool_card_set_result (NB_TOOL_CARD (card),
                                   nb_chat_page_lookup_result (self->page, nb_json_get_string (call, "id")));
          nb_tool_card_set_running (NB_TOOL_CARD (card), running);
        }
    }
  /* Spare widgets stay for the next message, hidden. */
  child = gtk_widget_get_first_child (self->tools_box);
  for (guint i = 0; child != NULL; i++, child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_visible (child, i < shown);
  gtk_widget_set_visible (self->tools_box, shown > 0);
}

static void
on_result_added (NbChatPage         *page,
                 const char         *call_id,
                 NbAssistantMessage *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (self->tools_box); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (NB_IS_TOOL_CARD (child) && gtk_widget_get_visible (child) &&
        g_strcmp0 (nb_tool_card_get_call_id (NB_TOOL_CARD (child)), call_id) == 0)
      nb_tool_card_set_result (NB_TOOL_CARD (child), nb_chat_page_lookup_result (page, call_id));
}

static void
on_approvals_changed (GListModel         *approvals,
                      guint               position,
                      guint               removed,
                      guint               added,
                      NbAssistantMessage *self)
{
  bind_tools (self);
}

static void
on_state_changed (NbChatPage         *page,
                  NbAssistantMessage *self)
{
  gboolean running = nb_chat_page_get_running (page);

  for (GtkWidget *child = gtk_widget_get_first_child (self->tools_box); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (NB_IS_TOOL_CARD (child))
      nb_tool_card_set_running (NB_TOOL_CARD (child), running);
}

/* The object */

static void
nb_assistant_message_dispose (GObject *object)
{
  NbAssistantMessage *self = NB_ASSISTANT_MESSAGE (object);

  nb_assistant_message_unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_ASSISTANT_MESSAGE);

  G_OBJECT_CLASS (nb_assistant_message_parent_class)->dispose (object);
}

static void
nb_assistant_message_class_init (NbAssistantMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_assistant_message_dispose;

  /* Regenerate was clicked. */
  signals[REGENERATE] =
    g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (NB_TYPE_MARKDOWN_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-assistant-message.ui");
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, reasoning_expander);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, reasoning_label);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, markdown);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, tools_box);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, actions);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, copy_button);
  gtk_widget_class_bind_template_child (widget_class, NbAssistantMessage, regenerate_button);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, regenerate_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "nb-assistant-message");
}

static void
nb_assistant_message_init (NbAssistantMessage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
nb_assistant_message_new (void)
{
  return g_object_new (NB_TYPE_ASSISTANT_MESSAGE, NULL);
}

/* Shows @message of @page's session. */
void
nb_assistant_message_bind (NbAssistantMessage *self,
                           NbChatPage         *page,
                           NbMessage          *message)
{
  g_autofree char *text = NULL;
  gboolean streaming;
  NbMarkdownDocument *document;

  g_return_if_fail (NB_IS_ASSISTANT_MESSAGE (self));
  g_return_if_fail (NB_IS_CHAT_PAGE (page));
  g_return_if_fail (NB_IS_MESSAGE (message));

  nb_assistant_message_unbind (self);
  self->page = page;
  self->message = g_object_ref (message);
  streaming = nb_message_is_streaming (message);

  text = nb_message_dup_text (message);
  document = nb_chat_cached_document (message, "text", text, streaming);
  nb_markdown_view_set_document (NB_MARKDOWN_VIEW (self->markdown), document);
  gtk_widget_set_visible (self->markdown, text != NULL && *text != '\0');
  gtk_expander_set_expanded (GTK_EXPANDER (self->reasoning_expander), FALSE);
  update_reasoning (self);
  bind_tools (self);
  update_actions (self);

  if (streaming)
    {
      g_signal_connect (message, "notify::text", G_CALLBACK (on_text_notify), self);
      g_signal_connect (message, "notify::reasoning", G_CALLBACK (on_reasoning_notify), self);
      g_signal_connect (message, "notify::streaming", G_CALLBACK (on_streaming_notify), self);
    }
  if (nb_message_get_tool_calls (message) != NULL)
    {
      g_signal_connect (page, "result-added", G_CALLBACK (on_result_added), self);
      g_signal_connect (page, "state-changed", G_CALLBACK (on_state_changed), self);
      self->approvals = nb_chat_view_get_approval_queue (nb_chat_page_get_view (page));
      if (self->approvals != NULL)
        g_signal_connect (self->approvals, "items-changed", G_CALLBACK (on_approvals_changed), self);
    }
}

void
nb_assistant_message_unbind (NbAssistantMessage *self)
{
  g_return_if_fail (NB_IS_ASSISTANT_MESSAGE (self));

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_data (self->message, self);
  if (self->page != NULL)
    g_signal_handlers_disconnect_by_data (self->page, self);
  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  self->approvals = NULL;
  g_clear_object (&self->message);
  self->page = NULL;
}

/* Offers Regenerate (on the last reply). */
void
nb_assistant_message_set_can_regenerate (NbAssistantMessage *self,
                                         gboolean            can_regenerate)
{
  g_return_if_fail (NB_IS_ASSISTANT_MESSAGE (self));

  self->can_regenerate = !!can_regenerate;
  update_actions (self);
}
