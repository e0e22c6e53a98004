/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-attachment-chip"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>

#include "nb-attachment-chip.h"

/* One attachment in the composer: a thumbnail for images (loaded
 * asynchronously, scaled while decoding) or a file icon, the file's name,
 * and a button that emits NbAttachmentChip::remove. */

#define THUMBNAIL_SIZE 48

struct _NbAttachmentChip
{
  GtkWidget parent_instance;

  GtkImage *icon;
  GtkLabel *name_label;
  GtkButton *remove_button;

  GFile *file;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (NbAttachmentChip, nb_attachment_chip, GTK_TYPE_WIDGET)

enum {
  REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
remove_clicked_cb (NbAttachmentChip *self)
{
  g_signal_emit (self, signals[REMOVE], 0);
}

static void
thumbnail_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NbAttachmentChip) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_stream_finish (result, &error);
  g_autoptr(GdkTexture) texture = NULL;

  /* Not decodable here (WebP without its loader, a broken file): the
   * icon stays; the assistant reports real problems when sending. */
  if (pixbuf == NULL)
    return;
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gtk_image_set_from_paintable (self->icon, GDK_PAINTABLE (texture));
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NbAttachmentChip) self = user_data;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (source), result, NULL);

  if (stream == NULL)
    return;
  gdk_pixbuf_new_from_stream_at_scale_async (G_INPUT_STREAM (stream), THUMBNAIL_SIZE, THUMBNAIL_SIZE, TRUE,
                                             self->cancellable, thumbnail_cb, g_object_ref (self));
}

static void
nb_attachment_chip_dispose (GObject *object)
{
  NbAttachmentChip *self = NB_ATTACHMENT_CHIP (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_ATTACHMENT_CHIP);

  G_OBJECT_CLASS (nb_attachment_chip_parent_class)->dispose (object);
}

static void
nb_attachment_chip_finalize (GObject *object)
{
  NbAttachmentChip *self = NB_ATTACHMENT_CHIP (object);

  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_attachment_chip_parent_class)->finalize (object);
}

static void
nb_attachment_chip_class_init (NbAttachmentChipClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_attachment_chip_dispose;
  object_class->finalize = nb_attachment_chip_finalize;

  /**
   * NbAttachmentChip::remove:
   *
   * The user asked to remove this attachment.
   */
  signals[REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-attachment-chip.ui");
  gtk_widget_class_bind_template_child (widget_class, NbAttachmentChip, icon);
  gtk_widget_class_bind_template_child (widget_class, NbAttachmentChip, name_label);
  gtk_widget_class_bind_template_child (widget_class, NbAttachmentChip, remove_button);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);

  gtk_widget_class_set_css_name (widget_class, "nb-attachment-chip");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
nb_attachment_chip_init (NbAttachmentChip *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

static gboolean
looks_like_image (const char *name)
{
  g_autofree char *content_type = g_content_type_guess (name, NULL, 0, NULL);
  g_autofree char *mime = g_content_type_get_mime_type (content_type);

  return mime != NULL && g_str_has_prefix (mime, "image/");
}

/**
 * nb_attachment_chip_new:
 * @file: the attached file
 *
 * Returns: (transfer floating): a chip showing @file
 */
GtkWidget *
nb_attachment_chip_new (GFile *file)
{
  NbAttachmentChip *self;
  g_autofree char *name = NULL;
  g_autofree char *location = NULL;
  g_autofree char *remove_label = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (NB_TYPE_ATTACHMENT_CHIP, NULL);
  self->file = g_object_ref (file);

  name = g_file_get_basename (file);
  location = g_file_get_parse_name (file);
  gtk_label_set_text (self->name_label, name);
  /* Short names whole, long ones cut in the middle; the chips scroll. */
  gtk_label_set_width_chars (self->name_label, (int) MIN (g_utf8_strlen (name, -1), 14));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), location);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  /* Translators: the accessible name of the button that removes the attachment “%s” */
  remove_label = g_strdup_printf (_("Remove “%s”"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  remove_label, -1);

  if (looks_like_image (name))
    {
      gtk_image_set_from_icon_name (self->icon, "image-x-generic-symbolic");
      g_file_read_async (file, G_PRIORITY_LOW, self->cancellable, opened_cb, g_object_ref (self));
    }

  return GTK_WIDGET (self);
}

/**
 * nb_attachment_chip_get_file:
 *
 * Returns: (transfer none): the file the chip shows
 */
GFile *
nb_attachment_chip_get_file (NbAttachmentChip *self)
{
  g_return_val_if_fail (NB_IS_ATTACHMENT_CHIP (self), NULL);
  return self->file;
}
