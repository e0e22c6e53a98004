/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-composer"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "nb-attachment-chip.h"
#include "nb-composer-private.h"

/*
 * The composer's attachments: files come from the Attach button (a
 * GtkFileChooserNative, so the portal's chooser in a sandbox), from a
 * paste (a file list, or an image, which is saved as a PNG under
 * $XDG_CACHE_HOME/nanobot/attachments first) and from a drop. Each is
 * shown as an NbAttachmentChip. The composer only collects files; the
 * assistant reads and checks them when the message is sent.
 */

/* Pasted images older than this are deleted when the next one is saved. */
#define PASTE_MAX_AGE_S (7 * 24 * 3600)

char *
nb_composer_dup_paste_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "nanobot", "attachments", NULL);
}

static NbAttachmentChip *
find_chip (NbComposer *self,
           GFile      *file)
{
  for (GtkWidget *chip = gtk_widget_get_first_child (GTK_WIDGET (self->chips));
       chip != NULL;
       chip = gtk_widget_get_next_sibling (chip))
    if (g_file_equal (nb_attachment_chip_get_file (NB_ATTACHMENT_CHIP (chip)), file))
      return NB_ATTACHMENT_CHIP (chip);
  return NULL;
}

static void
update_chips (NbComposer *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->chips_scroller), self->attachments->len > 0);
  nb_composer_update_send_button (self);
}

static gboolean
is_pasted_file (GFile *file)
{
  g_autofree char *dir_path = nb_composer_dup_paste_dir ();
  g_autoptr(GFile) dir = g_file_new_for_path (dir_path);

  return g_file_has_parent (file, dir);
}

static void
chip_remove_cb (NbAttachmentChip *chip,
                NbComposer       *self)
{
  GFile *file = nb_attachment_chip_get_file (chip);

  /* A pasted image the user took back is nobody's. */
  if (is_pasted_file (file))
    g_file_delete_async (file, G_PRIORITY_LOW, NULL, NULL, NULL);
  nb_composer_remove_attachment (self, file);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

/**
 * nb_composer_add_attachment:
 * @file: a file to send with the message
 *
 * Adds @file and its chip; a file that is already there is not added
 * twice.
 */
void
nb_composer_add_attachment (NbComposer *self,
                            GFile      *file)
{
  GtkWidget *chip;

  g_return_if_fail (NB_IS_COMPOSER (self));
  g_return_if_fail (G_IS_FILE (file));

  for (guint i = 0; i < self->attachments->len; i++)
    if (g_file_equal (g_ptr_array_index (self->attachments, i), file))
      return;

  g_ptr_array_add (self->attachments, g_object_ref (file));
  chip = nb_attachment_chip_new (file);
  g_signal_connect_object (chip, "remove", G_CALLBACK (chip_remove_cb), self, 0);
  gtk_box_append (self->chips, chip);
  update_chips (self);
}

/**
 * nb_composer_remove_attachment:
 * @file: an attached file
 */
void
nb_composer_remove_attachment (NbComposer *self,
                               GFile      *file)
{
  NbAttachmentChip *chip;

  g_return_if_fail (NB_IS_COMPOSER (self));
  g_return_if_fail (G_IS_FILE (file));

  if ((chip = find_chip (self, file)) != NULL)
    gtk_box_remove (self->chips, GTK_WIDGET (chip));
  for (guint i = 0; i < self->attachments->len; i++)
    if (g_file_equal (g_ptr_array_index (self->attachments, i), file))
      {
        g_ptr_array_remove_index (self->attachments, i);
        break;
      }
  update_chips (self);
}

void
nb_composer_remove_all_attachments (NbComposer *self)
{
  GtkWidget *chip;

  while ((chip = gtk_widget_get_first_child (GTK_WIDGET (self->chips))) != NULL)
    gtk_box_remove (self->chips, chip);
  g_ptr_array_set_size (self->attachments, 0);
  update_chips (self);
}

/**
 * nb_composer_get_attachments:
 *
 * Returns: (transfer none) (element-type GFile): the attached files, in
 *   the order they were added; the array changes with the composer, so
 *   keep a copy to use after nb_composer_clear()
 */
GPtrArray *
nb_composer_get_attachments (NbComposer *self)
{
  g_return_val_if_fail (NB_IS_COMPOSER (self), NULL);
  return self->attachments;
}

static void
add_file_list (NbComposer  *self,
               GdkFileList *list)
{
  g_autoptr(GSList) files = gdk_file_list_get_files (list);

  for (GSList *l = files; l != NULL; l = l->next)
    nb_composer_add_attachment (self, l->data);
}

/* The Attach button */

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     NbComposer      *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          nb_composer_add_attachment (self, file);
        }
    }
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

void
nb_composer_attach_clicked_cb (NbComposer *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GtkFileFilter) supported = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  static const char * const types[] = { "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain" };

  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);

  gtk_file_filter_set_name (supported, _("Images and Text Files"));
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    gtk_file_filter_add_mime_type (supported, types[i]);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), supported);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Paste */

/* In a worker thread: the texture as a new PNG file, and pasted images
 * older than PASTE_MAX_AGE_S removed. */
static void
save_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GdkTexture *texture = task_data;
  g_autofree char *dir = nb_composer_dup_paste_dir ();
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autoptr(GDir) listing = NULL;
  GError *error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", dir, g_strerror (saved_errno));
      return;
    }

  listing = g_dir_open (dir, 0, NULL);
  for (const char *name; listing != NULL && (name = g_dir_read_name (listing)) != NULL;)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf buf;

      if (g_stat (path, &buf) == 0 && S_ISREG (buf.st_mode) &&
          g_date_time_to_unix (now) - buf.st_mtime > PASTE_MAX_AGE_S)
        g_unlink (path);
    }

  png = gdk_texture_save_to_png_bytes (texture);
  for (guint n = 1; n < 1000; n++)
    {
      /* Translators: the name of a pasted image's file; %s is the date and time */
      g_autofree char *base = n == 1 ? g_strdup_printf ("%s %s.png", _("Pasted image"), stamp)
                                     : g_strdup_printf ("%s %s (%u).png", _("Pasted image"), stamp, n);
      g_autofree char *path = g_build_filename (dir, base, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFileOutputStream) out = g_file_create (file, G_FILE_CREATE_PRIVATE, cancellable, &error);

      if (out == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_clear_error (&error);
          continue;
        }
      if (out == NULL ||
          !g_output_stream_write_all (G_OUTPUT_STREAM (out), g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                                      NULL, cancellable, &error) ||
          !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_task_return_pointer (task, g_steal_pointer (&file), g_object_unref);
      return;
    }
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s: too many pasted images", dir);
}

static void
texture_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  NbComposer *self = NB_COMPOSER (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = g_task_propagate_pointer (G_TASK (result), &error);

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not save the pasted image: %s", error->message);
      return;
    }
  nb_composer_add_attachment (self, file);
}

static void
texture_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NbComposer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  g_autoptr(GTask) task = NULL;

  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not paste the image: %s", error->message);
      return;
    }

  task = g_task_new (self, self->cancellable, texture_saved_cb, NULL);
  g_task_set_source_tag (task, texture_read_cb);
  g_task_set_task_data (task, g_steal_pointer (&texture), g_object_unref);
  g_task_run_in_thread (task, save_texture_thread);
}

static void
file_list_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbComposer) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);

  if (value == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not paste the files: %s", error->message);
      return;
    }
  add_file_list (self, g_value_get_boxed (value));
}

/* Files on the clipboard become attachments, and so does an image that
 * comes without text (a screenshot, "Copy Image"); anything else is the
 * text view's ordinary paste. */
static void
paste_clipboard_cb (GtkTextView *text_view,
                    NbComposer  *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (text_view));
  g_autoptr(GdkContentFormats) formats =
    gdk_content_formats_union_deserialize_gtypes (gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard)));

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, self->cancellable,
                                    file_list_read_cb, g_object_ref (self));
  else if (!gdk_content_formats_contain_gtype (formats, G_TYPE_STRING) &&
           gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable, texture_read_cb, g_object_ref (self));
  else
    return;

  g_signal_stop_emission_by_name (text_view, "paste-clipboard");
}

/* Drop */

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         NbComposer    *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  add_file_list (self, g_value_get_boxed (value));
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
  return TRUE;
}

void
nb_composer_attachments_init (NbComposer *self)
{
  GtkDropTarget *target;

  self->cancellable = g_cancellable_new ();

  g_signal_connect_object (self->text_view, "paste-clipboard", G_CALLBACK (paste_clipboard_cb), self, 0);

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  gtk_event_controller_set_name (GTK_EVENT_CONTROLLER (target), "nb-composer-drop");
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

void
nb_composer_attachments_dispose (NbComposer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
}
