/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-notice-message"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-markdown-view.h"
#include "nb-notice-message.h"

/* Text that reached the chat outside a reply: what the model sent with the
 * `message` tool, and a sub-agent's report. A titled box with the text as
 * markdown and Copy. */

struct _NbNoticeMessage
{
  GtkWidget parent_instance;

  GtkWidget *header;
  GtkWidget *icon;
  GtkWidget *title_label;
  GtkWidget *subtitle_label;
  GtkWidget *copy_button;
  GtkWidget *markdown;
};

G_DEFINE_FINAL_TYPE (NbNoticeMessage, nb_notice_message, GTK_TYPE_WIDGET)

static void
copy_clicked_cb (NbNoticeMessage *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), nb_notice_message_get_markdown (self));
}

static void
nb_notice_message_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_NOTICE_MESSAGE);
  G_OBJECT_CLASS (nb_notice_message_parent_class)->dispose (object);
}

static void
nb_notice_message_class_init (NbNoticeMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_notice_message_dispose;

  g_type_ensure (NB_TYPE_MARKDOWN_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-notice-message.ui");
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, header);
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, icon);
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, title_label);
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, copy_button);
  gtk_widget_class_bind_template_child (widget_class, NbNoticeMessage, markdown);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "nb-notice-message");
}

static void
nb_notice_message_init (NbNoticeMessage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
nb_notice_message_new (void)
{
  return g_object_new (NB_TYPE_NOTICE_MESSAGE, NULL);
}

/**
 * nb_notice_message_set:
 * @subtitle: (nullable): a line under the title
 * @document: the text, parsed (cached by the caller)
 */
void
nb_notice_message_set (NbNoticeMessage    *self,
                       const char         *icon_name,
                       const char         *title,
                       const char         *subtitle,
                       NbMarkdownDocument *document)
{
  g_return_if_fail (NB_IS_NOTICE_MESSAGE (self));
  g_return_if_fail (NB_IS_MARKDOWN_DOCUMENT (document));

  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), icon_name);
  gtk_label_set_text (GTK_LABEL (self->title_label), title);
  gtk_label_set_text (GTK_LABEL (self->subtitle_label), subtitle != NULL ? subtitle : "");
  gtk_widget_set_visible (self->subtitle_label, subtitle != NULL && *subtitle != '\0');
  nb_markdown_view_set_document (NB_MARKDOWN_VIEW (self->markdown), document);
}

const char *
nb_notice_message_get_title (NbNoticeMessage *self)
{
  g_return_val_if_fail (NB_IS_NOTICE_MESSAGE (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->title_label));
}

const char *
nb_notice_message_get_markdown (NbNoticeMessage *self)
{
  g_return_val_if_fail (NB_IS_NOTICE_MESSAGE (self), NULL);
  return nb_markdown_view_get_markdown (NB_MARKDOWN_VIEW (self->markdown));
}
