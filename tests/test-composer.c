/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#include "nb-attachment-chip.h"
#include "nb-composer-private.h"
#include "nb-test-util.h"

/*
 * NbComposer in a window of this process: Enter sends, Shift+Enter is a
 * newline, an empty message is never sent, Stop and Escape while running,
 * attachment chips from the API, a drop and a paste (files, an image saved
 * as PNG, plain text), slash-command completion and the text's growth.
 * Keys go through the composer's own key controller, as the text view
 * would deliver them. With NB_SCREENSHOT=file.png (NB_SCREENSHOT_DARK=1,
 * NB_SCREENSHOT_WIDTH=360) /composer/screenshot saves the screen.
 */

typedef struct {
  NbComposer *composer;
  GtkWindow  *window;
  char       *dir;
  guint       n_send;
  guint       n_stop;
  char       *sent_text;
  guint       sent_attachments;
} Fixture;

static void
send_cb (NbComposer *composer,
         Fixture    *f)
{
  f->n_send++;
  g_free (f->sent_text);
  f->sent_text = nb_composer_dup_text (composer);
  f->sent_attachments = nb_composer_get_attachments (composer)->len;
}

static void
stop_cb (NbComposer *composer,
         Fixture    *f)
{
  f->n_stop++;
}

static gboolean
count_frame (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_frames (GtkWidget *widget,
             guint      n)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, count_frame, &frames, NULL);
  guint timer = g_timeout_add (100, wake_up, NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (frames < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  gtk_widget_remove_tick_callback (widget, id);
  g_source_remove (timer);
  g_assert_cmpuint (frames, >=, n);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->composer = nb_composer_new ();
  g_signal_connect (f->composer, "send", G_CALLBACK (send_cb), f);
  g_signal_connect (f->composer, "stop", G_CALLBACK (stop_cb), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 360, 300);
  gtk_widget_set_valign (GTK_WIDGET (f->composer), GTK_ALIGN_END);
  gtk_window_set_child (f->window, GTK_WIDGET (f->composer));
  gtk_window_present (f->window);
  wait_frames (GTK_WIDGET (f->composer), 1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_add_weak_pointer (G_OBJECT (f->composer), (gpointer *) &f->composer);
  g_object_ref (f->window);
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->window);
  g_assert_null (f->composer);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sent_text);
}

/* The key as the text view delivers it to the composer's controller. */
static gboolean
press (Fixture         *f,
       guint            keyval,
       GdkModifierType  state)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->composer->text_view));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (g_strcmp0 (gtk_event_controller_get_name (controller), "nb-composer-keys") == 0)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }
  g_assert_not_reached ();
}

static char *
text_of (Fixture *f)
{
  return nb_composer_dup_text (f->composer);
}

static GFile *
make_file (Fixture    *f,
           const char *name,
           const char *contents)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);

  nb_test_write_file (path, contents);
  return g_file_new_for_path (path);
}

static guint
count_chips (Fixture *f)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->composer->chips)); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      g_assert_true (NB_IS_ATTACHMENT_CHIP (c));
      n++;
    }
  g_assert_cmpuint (n, ==, nb_composer_get_attachments (f->composer)->len);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->composer->chips_scroller)) == (n > 0));
  return n;
}

static void
wait_for_attachments (Fixture *f,
                      guint    n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint timer = g_timeout_add (50, wake_up, NULL);

  while (nb_composer_get_attachments (f->composer)->len < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
  g_assert_cmpuint (nb_composer_get_attachments (f->composer)->len, ==, n);
}

/* Enter and Shift+Enter */

static void
test_enter_sends (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *after = NULL;

  g_assert_true (nb_composer_grab_focus (f->composer));
  nb_composer_set_text (f->composer, "Hello\nthere");
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->composer->placeholder)));

  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->n_send, ==, 1);
  g_assert_cmpstr (f->sent_text, ==, "Hello\nthere");

  /* The window clears it once the turn started. */
  nb_composer_clear (f->composer);
  after = text_of (f);
  g_assert_cmpstr (after, ==, "");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->composer->placeholder)));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));

  /* The keypad's Enter too; the Send button the same. */
  nb_composer_set_text (f->composer, "again");
  g_assert_true (press (f, GDK_KEY_KP_Enter, 0));
  g_assert_cmpuint (f->n_send, ==, 2);
  g_signal_emit_by_name (f->composer->send_button, "clicked");
  g_assert_cmpuint (f->n_send, ==, 3);
}

static void
test_shift_enter (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *text = NULL;
  GtkTextIter start;

  nb_composer_set_text (f->composer, "ab");
  gtk_text_buffer_get_iter_at_offset (f->composer->buffer, &start, 1);
  gtk_text_buffer_place_cursor (f->composer->buffer, &start);

  g_assert_true (press (f, GDK_KEY_Return, GDK_SHIFT_MASK));
  text = text_of (f);
  g_assert_cmpstr (text, ==, "a\nb");
  g_assert_cmpuint (f->n_send, ==, 0);
}

static void
test_empty_not_sent (Fixture       *f,
                     gconstpointer  data)
{
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));
  g_assert_true (press (f, GDK_KEY_Return, 0));

  nb_composer_set_text (f->composer, "  \n\t ");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));
  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_signal_emit_by_name (f->composer->send_button, "clicked");
  g_assert_cmpuint (f->n_send, ==, 0);
}

/* Running: Stop */

static void
test_stop (Fixture       *f,
           gconstpointer  data)
{
  GtkWidget *button = GTK_WIDGET (f->composer->send_button);

  nb_composer_set_text (f->composer, "next question");
  nb_composer_set_running (f->composer, TRUE);
  g_assert_true (nb_composer_get_running (f->composer));
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "media-playback-stop-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Stop");
  g_assert_true (gtk_widget_get_sensitive (button));

  /* Enter sends nothing while a reply runs; the text stays. */
  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->n_send, ==, 0);

  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (f->n_stop, ==, 1);
  g_assert_true (press (f, GDK_KEY_Escape, 0));
  g_assert_cmpuint (f->n_stop, ==, 2);

  /* Not running: Escape is not ours, the button sends. */
  nb_composer_set_running (f->composer, FALSE);
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "go-up-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Send");
  g_assert_false (press (f, GDK_KEY_Escape, 0));
  g_assert_cmpuint (f->n_stop, ==, 2);
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (f->n_send, ==, 1);
  g_assert_cmpstr (f->sent_text, ==, "next question");
}

/* Attachments */

static NbAttachmentChip *
chip_at (Fixture *f,
         guint    index)
{
  GtkWidget *chip = gtk_widget_get_first_child (GTK_WIDGET (f->composer->chips));

  for (; chip != NULL && index > 0; index--)
    chip = gtk_widget_get_next_sibling (chip);
  g_assert_nonnull (chip);
  return NB_ATTACHMENT_CHIP (chip);
}

static GtkWidget *
find_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_button (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_label (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_attachments (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) notes = make_file (f, "notes.txt", "notes");
  g_autoptr(GFile) plan = make_file (f, "a-rather-long-file-name-for-the-plan.md", "plan");
  g_autoptr(GFile) again = g_file_new_for_path (g_file_peek_path (notes));
  GtkWidget *remove;

  g_assert_cmpuint (count_chips (f), ==, 0);
  nb_composer_add_attachment (f->composer, notes);
  nb_composer_add_attachment (f->composer, plan);
  nb_composer_add_attachment (f->composer, again);  /* the same file */
  g_assert_cmpuint (count_chips (f), ==, 2);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_label (GTK_WIDGET (chip_at (f, 0))))), ==, "notes.txt");
  g_assert_true (g_file_equal (g_ptr_array_index (nb_composer_get_attachments (f->composer), 1), plan));

  /* Files alone can be sent. */
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));
  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->n_send, ==, 1);
  g_assert_cmpuint (f->sent_attachments, ==, 2);

  /* The chip's button removes it; its label names the file. */
  remove = find_button (GTK_WIDGET (chip_at (f, 0)));
  g_assert_nonnull (remove);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (remove), ==, "Remove Attachment");
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (count_chips (f), ==, 1);
  g_assert_true (g_file_equal (g_ptr_array_index (nb_composer_get_attachments (f->composer), 0), plan));
  g_assert_true (g_file_query_exists (notes, NULL));  /* the user's file is not touched */

  nb_composer_clear (f->composer);
  g_assert_cmpuint (count_chips (f), ==, 0);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (f->composer->send_button)));
}

/* An image's chip shows the picture, loaded in the background. */
static void
test_thumbnail (Fixture       *f,
                gconstpointer  data)
{
  static const char png_base64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
  g_autofree char *path = g_build_filename (f->dir, "pixel.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree guchar *png = NULL;
  GtkImage *image;
  gint64 deadline;
  gsize length;

  png = g_base64_decode (png_base64, &length);
  g_assert_true (g_file_set_contents (path, (const char *) png, length, NULL));
  nb_composer_add_attachment (f->composer, file);

  image = GTK_IMAGE (gtk_widget_get_first_child (GTK_WIDGET (chip_at (f, 0))));
  g_assert_true (GTK_IS_IMAGE (image));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (gtk_image_get_storage_type (image) != GTK_IMAGE_PAINTABLE && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (gtk_image_get_storage_type (image), ==, GTK_IMAGE_PAINTABLE);
}

static GdkFileList *
file_list_new (GFile *first,
               GFile *second)
{
  g_autoptr(GSList) list = NULL;

  list = g_slist_append (list, first);
  list = g_slist_append (list, second);
  return gdk_file_list_new_from_list (list);
}

static void
test_drop (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GFile) one = make_file (f, "one.txt", "1");
  g_autoptr(GFile) two = make_file (f, "two.txt", "2");
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->composer));
  GtkDropTarget *target = NULL;
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);
  g_assert_true (gdk_content_formats_contain_gtype (gtk_drop_target_get_formats (target), GDK_TYPE_FILE_LIST));
  g_assert_true (gtk_drop_target_get_actions (target) & GDK_ACTION_COPY);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, file_list_new (one, two));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);

  g_assert_true (accepted);
  g_assert_cmpuint (count_chips (f), ==, 2);
}

static void
paste (Fixture *f)
{
  g_signal_emit_by_name (f->composer->text_view, "paste-clipboard");
}

static void
test_paste_files (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) one = make_file (f, "one.txt", "1");
  g_autoptr(GFile) two = make_file (f, "two.txt", "2");
  GdkFileList *list = file_list_new (one, two);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (f->composer));
  g_autofree char *text = NULL;

  gdk_clipboard_set (clipboard, GDK_TYPE_FILE_LIST, list);
  g_boxed_free (GDK_TYPE_FILE_LIST, list);
  paste (f);
  wait_for_attachments (f, 2);
  g_assert_cmpuint (count_chips (f), ==, 2);
  text = text_of (f);
  g_assert_cmpstr (text, ==, "");  /* no paths pasted as text */
}

static void
test_paste_image (Fixture       *f,
                  gconstpointer  data)
{
  static const guint8 pixels[] = { 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255 };
  g_autoptr(GBytes) bytes = g_bytes_new_static (pixels, sizeof pixels);
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (2, 2, GDK_MEMORY_R8G8B8A8, bytes, 8);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (f->composer));
  g_autofree char *paste_dir = nb_composer_dup_paste_dir ();
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  GFile *saved;
  gint64 deadline;

  /* The cache is the test's (XDG_CACHE_HOME, set in main()). */
  g_assert_true (g_str_has_prefix (paste_dir, g_getenv ("XDG_CACHE_HOME")));

  gdk_clipboard_set_texture (clipboard, texture);
  paste (f);
  wait_for_attachments (f, 1);

  saved = g_ptr_array_index (nb_composer_get_attachments (f->composer), 0);
  g_assert_true (g_str_has_prefix (g_file_peek_path (saved), paste_dir));
  g_assert_true (g_str_has_suffix (g_file_peek_path (saved), ".png"));
  g_assert_true (g_file_get_contents (g_file_peek_path (saved), &contents, &length, NULL));
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);

  /* Removing the chip of a pasted image deletes its file. */
  g_object_ref (saved);
  g_signal_emit_by_name (find_button (GTK_WIDGET (chip_at (f, 0))), "clicked");
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_file_query_exists (saved, NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (g_file_query_exists (saved, NULL));
  g_object_unref (saved);

  /* Text is pasted as text. */
  gdk_clipboard_set_text (clipboard, "pasted words");
  paste (f);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (gtk_text_buffer_get_char_count (f->composer->buffer) == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  text = text_of (f);
  g_assert_cmpstr (text, ==, "pasted words");
  g_assert_cmpuint (count_chips (f), ==, 0);
}

/* Slash commands */

static guint
visible_commands (Fixture *f,
                  GString *names)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (f->composer->completion_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_visible (row))
      {
        n++;
        if (names != NULL)
          g_string_append_printf (names, "%s ", (const char *) g_object_get_data (G_OBJECT (row), "nb-command"));
      }
  return n;
}

static const char *
selected_command (Fixture *f)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (f->composer->completion_list);

  g_assert_nonnull (row);
  return g_object_get_data (G_OBJECT (row), "nb-command");
}

static void
test_completion (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *picked = NULL;

  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));

  /* "/" offers every command, with its help. */
  nb_composer_set_text (f->composer, "/");
  g_assert_true (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  g_assert_cmpuint (visible_commands (f, names), ==, 7);
  g_assert_cmpstr (names->str, ==, "/new /stop /status /model /history /skill /help ");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (gtk_widget_get_first_child (GTK_WIDGET (f->composer->completion_list))),
                   ==, "save this conversation to memory and start a new one");
  g_assert_cmpstr (selected_command (f), ==, "/new");

  /* Arrows move the selection (and wrap); Enter picks it. */
  g_assert_true (press (f, GDK_KEY_Down, 0));
  g_assert_cmpstr (selected_command (f), ==, "/stop");
  g_assert_true (press (f, GDK_KEY_Up, 0));
  g_assert_true (press (f, GDK_KEY_Up, 0));
  g_assert_cmpstr (selected_command (f), ==, "/help");
  g_assert_true (press (f, GDK_KEY_Return, 0));
  text = text_of (f);
  g_assert_cmpstr (text, ==, "/help");
  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  g_assert_cmpuint (f->n_send, ==, 0);

  /* Then Enter sends it. */
  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->n_send, ==, 1);
  g_assert_cmpstr (f->sent_text, ==, "/help");

  /* Typing narrows; Tab completes. */
  nb_composer_set_text (f->composer, "/S");
  g_assert_cmpuint (visible_commands (f, NULL), ==, 3);
  nb_composer_set_text (f->composer, "/Sto");
  g_assert_cmpuint (visible_commands (f, NULL), ==, 1);
  g_assert_cmpstr (selected_command (f), ==, "/stop");
  g_assert_true (press (f, GDK_KEY_Tab, 0));
  picked = text_of (f);
  g_assert_cmpstr (picked, ==, "/stop");

  /* A complete command sends at once with Enter. */
  nb_composer_set_text (f->composer, "/new");
  g_assert_true (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  g_assert_true (press (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->n_send, ==, 2);
  g_assert_cmpstr (f->sent_text, ==, "/new");

  /* Not a command: no list. Escape hides it. */
  nb_composer_set_text (f->composer, "/x");
  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  nb_composer_set_text (f->composer, "see /");
  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  nb_composer_set_text (f->composer, "/new please");
  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  nb_composer_set_text (f->composer, "/");
  g_assert_true (press (f, GDK_KEY_Escape, 0));
  g_assert_false (gtk_revealer_get_reveal_child (f->composer->completion_revealer));
  g_assert_false (press (f, GDK_KEY_Tab, 0));

  /* A click on a row picks it. */
  nb_composer_set_text (f->composer, "/");
  g_signal_emit_by_name (f->composer->completion_list, "row-activated",
                         gtk_widget_get_last_child (GTK_WIDGET (f->composer->completion_list)));
  g_free (picked);
  picked = text_of (f);
  g_assert_cmpstr (picked, ==, "/help");
}

/* The text view measures its lines in idle steps: the height once it
 * stayed the same for five frames. */
static int
settled_height (GtkWidget *widget)
{
  int height = -1;

  for (guint stable = 0, n = 0; stable < 5 && n < 200; n++)
    {
      int now;

      /* Let the idle validation run: continuous frames would starve it. */
      for (guint i = 0; i < 1000 && g_main_context_pending (NULL); i++)
        g_main_context_iteration (NULL, FALSE);
      wait_frames (widget, 1);
      now = gtk_widget_get_height (widget);
      stable = now == height ? stable + 1 : 0;
      height = now;
    }
  return height;
}

/* The text grows to eight lines, then scrolls. */
static void
test_grows (Fixture       *f,
            gconstpointer  data)
{
  GtkWidget *scroller = GTK_WIDGET (f->composer->text_scroller);
  GtkAdjustment *adjustment;
  int one, three, many, max;

  max = gtk_scrolled_window_get_max_content_height (f->composer->text_scroller);
  g_assert_cmpint (max, >, 0);

  nb_composer_set_text (f->composer, "one");
  one = settled_height (scroller);
  nb_composer_set_text (f->composer, "one\ntwo\nthree");
  three = settled_height (scroller);
  nb_composer_set_text (f->composer, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20");
  many = settled_height (scroller);
  g_test_message ("heights: 1 line %d, 3 lines %d, 20 lines %d, max %d", one, three, many, max);

  g_assert_cmpint (three, >, one);
  g_assert_cmpint (many, >, three);
  g_assert_cmpint (many, <=, max);
  /* Eight lines shown, the rest scrolls. */
  g_assert_cmpint (many, >=, one + 7 * ((three - one) / 2) - 2);
  adjustment = gtk_scrolled_window_get_vadjustment (f->composer->text_scroller);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >, gtk_adjustment_get_page_size (adjustment) * 2);
}

/* Real key events from the X server, through the text view's input
 * method: typed text arrives, Shift+Enter is a newline, Enter sends. */
static void
xdotool (const char *args)
{
  g_autofree char *command = g_strdup_printf ("xdotool %s", args);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
wait_for_text (Fixture    *f,
               const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint timer = g_timeout_add (20, wake_up, NULL);
  g_autofree char *text = NULL;

  for (;;)
    {
      g_free (text);
      text = text_of (f);
      if (g_str_equal (text, expected) || g_get_monotonic_time () > deadline)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (timer);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_real_keys (Fixture       *f,
                gconstpointer  data)
{
#ifdef GDK_WINDOWING_X11
  g_autofree char *program = g_find_program_in_path ("xdotool");
  g_autofree char *focus = NULL;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  gint64 deadline;

  if (program == NULL || !GDK_IS_X11_SURFACE (surface))
    {
      g_test_skip ("needs xdotool and X11");
      return;
    }

  nb_composer_grab_focus (f->composer);
  focus = g_strdup_printf ("windowfocus --sync %lu", (gulong) gdk_x11_surface_get_xid (surface));
  xdotool (focus);
  xdotool ("type --delay 10 'hi there'");
  wait_for_text (f, "hi there");
  xdotool ("key shift+Return");
  xdotool ("type --delay 10 x");
  wait_for_text (f, "hi there\nx");
  g_assert_cmpuint (f->n_send, ==, 0);

  /* Under Xvfb with no window manager a key press is now and then lost
   * on a loaded machine: press Enter again if nothing was sent. */
  for (guint attempt = 0; attempt < 3 && f->n_send == 0; attempt++)
    {
      xdotool ("key Return");
      deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
      while (f->n_send == 0 && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, FALSE);
    }
  g_assert_cmpuint (f->n_send, ==, 1);
  g_assert_cmpstr (f->sent_text, ==, "hi there\nx");
#else
  g_test_skip ("needs X11");
#endif
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  const char *width = g_getenv ("NB_SCREENSHOT_WIDTH");
  g_autoptr(GFile) notes = make_file (f, "meeting-notes.txt", "notes");
  g_autoptr(GFile) plan = make_file (f, "quarterly-plan-with-a-long-name.md", "plan");
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (path == NULL)
    {
      g_test_skip ("NB_SCREENSHOT not set");
      return;
    }

  if (g_strcmp0 (g_getenv ("NB_SCREENSHOT_DARK"), "1") == 0)
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);

  gtk_window_set_default_size (f->window, width != NULL ? atoi (width) : 720, 400);
  nb_composer_add_attachment (f->composer, notes);
  nb_composer_add_attachment (f->composer, plan);
  if (g_getenv ("NB_SCREENSHOT_RUNNING") != NULL)
    nb_composer_set_running (f->composer, TRUE);
  wait_frames (GTK_WIDGET (f->composer), 2);
  nb_composer_set_text (f->composer, g_getenv ("NB_SCREENSHOT_TEXT") != NULL ? g_getenv ("NB_SCREENSHOT_TEXT") : "/");
  nb_composer_grab_focus (f->composer);
  settled_height (GTK_WIDGET (f->composer->text_scroller));
  wait_frames (GTK_WIDGET (f->composer), 10);
  g_test_message ("text %d, entry %d, composer %d, window %d",
                  gtk_widget_get_height (GTK_WIDGET (f->composer->text_scroller)),
                  gtk_widget_get_height (f->composer->entry_box),
                  gtk_widget_get_height (GTK_WIDGET (f->composer)),
                  gtk_widget_get_height (GTK_WIDGET (f->window)));

  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cache = nb_test_make_tmpdir ();
  g_autoptr(GtkCssProvider) css = NULL;
  int status;

  /* Pasted images go to the test's own cache. */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  /* Cairo: see test-markdown-view.c. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* The app's style sheet, as NbApplication loads it. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/nanobot/Nanobot/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/composer/enter-sends", test_enter_sends);
  ADD ("/composer/shift-enter", test_shift_enter);
  ADD ("/composer/empty-not-sent", test_empty_not_sent);
  ADD ("/composer/stop", test_stop);
  ADD ("/composer/attachments", test_attachments);
  ADD ("/composer/thumbnail", test_thumbnail);
  ADD ("/composer/drop", test_drop);
  ADD ("/composer/paste-files", test_paste_files);
  ADD ("/composer/paste-image", test_paste_image);
  ADD ("/composer/completion", test_completion);
  ADD ("/composer/grows", test_grows);
  ADD ("/composer/real-keys", test_real_keys);
  ADD ("/composer/screenshot", test_screenshot);

  status = g_test_run ();
  nb_test_rm_rf (cache);
  return status;
}
