/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "nb-assistant-message.h"
#include "nb-chat-view.h"
#include "nb-error-row.h"
#include "nb-markdown-view.h"
#include "nb-message-row.h"
#include "nb-notice-message.h"
#include "nb-tool-card.h"
#include "nb-user-message.h"

/* NbChatView in a shown window: recycled rows show the right message,
 * tool cards, following the stream, the error row and the signals of the
 * rows' buttons. With NB_SCREENSHOT=file.png, /chat-view/screenshot shows a
 * sample conversation and saves the screen (NB_SCREENSHOT_DARK=1,
 * NB_SCREENSHOT_WIDTH=360). */

/* Helpers */

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
  guint timer = g_timeout_add (50, wake_up, NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (frames < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  gtk_widget_remove_tick_callback (widget, id);
  g_source_remove (timer);
  g_assert_cmpuint (frames, >=, n);
}

static NbMessage *
message_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return nb_message_new_from_json (json_node_get_object (json_parser_get_root (parser)));
}

static NbMessage *
text_message (const char *role,
              const char *text)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "role", role);
  json_object_set_string_member (object, "content", text);
  json_object_set_string_member (object, "timestamp", "2026-02-20T14:03:05.000000");
  return nb_message_new_from_json (object);
}

static void
add (NbSession *session,
     NbMessage *message)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (messages, message);
  nb_session_add_saved (session, messages);
}

typedef struct {
  GtkWindow *window;
  NbChatView *view;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  int width = GPOINTER_TO_INT (data) != 0 ? GPOINTER_TO_INT (data) : 720;

  f->window = GTK_WINDOW (gtk_window_new ());
  f->view = nb_chat_view_new ();
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_set_default_size (f->window, width, 600);
  gtk_window_present (f->window);
  wait_frames (GTK_WIDGET (f->window), 2);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_ref (f->window);
  gtk_window_destroy (f->window);
  g_assert_finalize_object (f->window);
}

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect (c, type, out);
}

static GtkWidget *
find (GtkWidget *widget,
      GType      type)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  collect (widget, type, all);
  return all->len > 0 ? g_ptr_array_index (all, 0) : NULL;
}

/* The scroller of the session shown. */
static GtkWidget *
visible_scroller (NbChatView *view)
{
  GtkWidget *stack = find (GTK_WIDGET (view), GTK_TYPE_STACK);

  return gtk_stack_get_visible_child (GTK_STACK (stack));
}

static GtkAdjustment *
vadjustment (NbChatView *view)
{
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (visible_scroller (view)));
}

/* The row showing @item in the session shown, if one is bound. */
static GtkWidget *
row_for (NbChatView *view,
         gpointer    item)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect (visible_scroller (view), NB_TYPE_MESSAGE_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    if (nb_message_row_get_item (g_ptr_array_index (rows, i)) == item)
      return g_ptr_array_index (rows, i);
  return NULL;
}

static GtkWidget *
row_at (NbChatView *view,
        guint       position)
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (nb_chat_view_get_session (view)), position);

  return row_for (view, item);
}

static GtkWidget *
find_visible (GtkWidget *widget,
              GType      type)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  collect (widget, type, all);
  for (guint i = 0; i < all->len; i++)
    if (gtk_widget_is_visible (g_ptr_array_index (all, i)))
      return g_ptr_array_index (all, i);
  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *tooltip)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GtkWidget *found = NULL;

  /* The first visible one, else the first. */
  collect (widget, GTK_TYPE_BUTTON, all);
  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (all, i);

      if (g_strcmp0 (gtk_widget_get_tooltip_text (button), tooltip) == 0 ||
          g_strcmp0 (gtk_button_get_label (GTK_BUTTON (button)), tooltip) == 0)
        {
          if (gtk_widget_is_visible (button))
            return button;
          if (found == NULL)
            found = button;
        }
    }
  return found;
}

/* Whether @widget shows that button (rows make the fork switcher only
 * when they first show it). */
static gboolean
shows_button (GtkWidget  *widget,
              const char *tooltip)
{
  GtkWidget *button = find_button (widget, tooltip);

  return button != NULL && gtk_widget_is_visible (button);
}

static gboolean
at_bottom (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_value (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment) - 1;
}

/* Binding */

static NbSession *
numbered_session (guint n)
{
  NbSession *session = nb_session_new ("desktop:numbered");
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = i % 2 == 0 ? g_strdup_printf ("Question %u", i)
                                         : g_strdup_printf ("Answer **%u**\n\n- point %u", i, i);

      g_ptr_array_add (messages, text_message (i % 2 == 0 ? "user" : "assistant", text));
    }
  nb_session_add_saved (session, messages);
  return session;
}

/* Every bound row shows the text of the message at its position. */
static guint
check_rows (NbChatView *view)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  guint checked = 0;

  collect (visible_scroller (view), NB_TYPE_MESSAGE_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (rows, i);
      NbMessage *message = NB_MESSAGE (nb_message_row_get_item (NB_MESSAGE_ROW (row)));
      GtkWidget *shown;

      if (message == NULL || !gtk_widget_get_mapped (row))
        continue;
      if (g_strcmp0 (nb_message_get_role (message), "user") == 0)
        {
          shown = find_visible (row, NB_TYPE_USER_MESSAGE);
          g_assert_nonnull (shown);
          g_assert_cmpstr (nb_user_message_get_text (NB_USER_MESSAGE (shown)), ==, nb_message_get_content (message));
        }
      else
        {
          shown = find_visible (row, NB_TYPE_MARKDOWN_VIEW);
          g_assert_nonnull (shown);
          g_assert_cmpstr (nb_markdown_view_get_markdown (NB_MARKDOWN_VIEW (shown)), ==, nb_message_get_content (message));
          /* The blocks shown are the message's cached parse. */
          g_assert_true (nb_markdown_view_get_document (NB_MARKDOWN_VIEW (shown)) ==
                         g_object_get_qdata (G_OBJECT (message), g_quark_from_string ("nb-chat-markdown-text")));
          g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (nb_markdown_view_get_document (NB_MARKDOWN_VIEW (shown)))), ==, 2);
        }
      checked++;
    }
  return checked;
}

static void
test_binding (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(NbSession) session = numbered_session (2000);
  GtkAdjustment *adjustment;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  NbMessage *last = nb_session_get_message (session, 1999);
  NbMessage *first = nb_session_get_message (session, 0);
  gpointer cached;

  nb_chat_view_set_session (f->view, session);
  g_assert_true (nb_chat_view_get_session (f->view) == session);
  wait_frames (GTK_WIDGET (f->view), 5);
  adjustment = vadjustment (f->view);

  /* Opens at the bottom: the last message is bound. */
  g_assert_true (nb_chat_view_get_following (f->view));
  g_assert_true (at_bottom (adjustment));
  g_assert_nonnull (row_for (f->view, last));
  g_assert_cmpuint (check_rows (f->view), >, 3);
  cached = g_object_get_qdata (G_OBJECT (last), g_quark_from_string ("nb-chat-markdown-text"));
  g_assert_nonnull (cached);

  /* Only the end of the session has rows at first. */
  g_assert_null (row_for (f->view, first));
  collect (visible_scroller (f->view), NB_TYPE_MESSAGE_ROW, rows);
  g_assert_cmpuint (rows->len, <, 100);
  g_ptr_array_set_size (rows, 0);

  /* The top: older messages load page by page as the reader reaches the
   * top, until the first; other messages in the same, recycled, rows. */
  for (guint i = 0; i < 400 && row_for (f->view, first) == NULL; i++)
    {
      gtk_adjustment_set_value (adjustment, 0);
      wait_frames (GTK_WIDGET (f->view), 2);
    }
  wait_frames (GTK_WIDGET (f->view), 3);
  g_assert_false (nb_chat_view_get_following (f->view));
  g_assert_nonnull (row_for (f->view, first));
  g_assert_null (row_for (f->view, last));
  g_assert_cmpuint (check_rows (f->view), >, 3);

  /* The middle, then back at the bottom: the last message's parse is the
   * one cached on it. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) / 2);
  wait_frames (GTK_WIDGET (f->view), 5);
  g_assert_cmpuint (check_rows (f->view), >, 3);
  nb_chat_view_scroll_to_bottom (f->view);
  wait_frames (GTK_WIDGET (f->view), 5);
  g_assert_nonnull (row_for (f->view, last));
  g_assert_true (g_object_get_qdata (G_OBJECT (last), g_quark_from_string ("nb-chat-markdown-text")) == cached);
  g_assert_cmpuint (check_rows (f->view), >, 3);

  /* Recycled: GTK 4.8's list view keeps about 200 rows, whatever the
   * length of the list. */
  collect (visible_scroller (f->view), NB_TYPE_MESSAGE_ROW, rows);
  g_assert_cmpuint (rows->len, <=, 256);
}

/* Tool cards */

static const char tool_call_message[] =
  "{\"role\":\"assistant\",\"content\":null,\"timestamp\":\"2026-02-20T14:03:05.000000\",\"tool_calls\":["
  "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"exec\",\"arguments\":"
  "\"{\\\"command\\\":\\\"ls -la /tmp && grep -rn 'needle' src/ | head -n 40 | sort -u > /tmp/out.txt\\\"}\"}},"
  "{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"edit_file\",\"arguments\":"
  "\"{\\\"path\\\":\\\"src/main.c\\\",\\\"old_text\\\":\\\"int a = 1;\\\\nint b = 2;\\\",\\\"new_text\\\":\\\"int a = 1;\\\\nint b = 3;\\\"}\"}},"
  "{\"id\":\"c3\",\"type\":\"function\",\"function\":{\"name\":\"write_file\",\"arguments\":"
  "\"{\\\"path\\\":\\\"notes.md\\\",\\\"content\\\":\\\"# Notes\\\\nline two\\\"}\"}},"
  "{\"id\":\"c4\",\"type\":\"function\",\"function\":{\"name\":\"web_search\",\"arguments\":"
  "\"{\\\"query\\\":\\\"gtk list view\\\",\\\"count\\\":5}\"}}"
  "]}";

static NbToolCard *
card_for (GtkWidget  *row,
          const char *call_id)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  collect (row, NB_TYPE_TOOL_CARD, cards);
  for (guint i = 0; i < cards->len; i++)
    if (g_strcmp0 (nb_tool_card_get_call_id (g_ptr_array_index (cards, i)), call_id) == 0)
      return g_ptr_array_index (cards, i);
  g_assert_not_reached ();
}

static gboolean
has_label (GtkWidget  *widget,
           const char *needle)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect (widget, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_is_visible (g_ptr_array_index (labels, i)) &&
        strstr (gtk_label_get_text (g_ptr_array_index (labels, i)), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_tool_cards (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:tools");
  GtkWidget *row, *spinner;
  NbToolCard *exec, *edit, *write, *search;
  g_autoptr(GString) long_result = g_string_new ("Error: 100 lines follow\n");
  GtkWidget *more;

  add (session, text_message ("user", "Do things"));
  add (session, message_from_json (tool_call_message));
  add (session, message_from_json ("{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"name\":\"exec\","
                                   "\"content\":\"total 0\\nExit code: 0\",\"timestamp\":\"2026-02-20T14:03:06.500000\"}"));
  for (guint i = 0; i < 100; i++)
    g_string_append_printf (long_result, "line %u\n", i);
  {
    g_autoptr(JsonObject) object = json_object_new ();

    json_object_set_string_member (object, "role", "tool");
    json_object_set_string_member (object, "tool_call_id", "c2");
    json_object_set_string_member (object, "name", "edit_file");
    json_object_set_string_member (object, "content", long_result->str);
    json_object_set_string_member (object, "timestamp", "2026-02-20T14:03:05.250000");
    add (session, nb_message_new_from_json (object));
  }

  nb_chat_view_set_session (f->view, session);
  nb_chat_view_set_running (f->view, TRUE);
  wait_frames (GTK_WIDGET (f->view), 5);
  row = row_at (f->view, 1);
  g_assert_nonnull (row);
  exec = card_for (row, "c1");
  edit = card_for (row, "c2");
  write = card_for (row, "c3");
  search = card_for (row, "c4");

  /* exec: the whole command, as a command; done in 1.5 s. */
  g_assert_true (has_label (GTK_WIDGET (exec), "$ ls -la /tmp && grep -rn 'needle' src/ | head -n 40 | sort -u > /tmp/out.txt"));
  g_assert_true (has_label (GTK_WIDGET (exec), "1.5 s"));
  g_assert_false (nb_tool_card_get_failed (exec));
  g_assert_false (gtk_widget_is_visible (find (GTK_WIDGET (exec), GTK_TYPE_SPINNER)));

  /* edit_file: the path and a coloured diff; its result is an error. */
  g_assert_true (has_label (GTK_WIDGET (edit), "src/main.c"));
  g_assert_true (has_label (GTK_WIDGET (edit), "- int b = 2;"));
  g_assert_true (has_label (GTK_WIDGET (edit), "+ int b = 3;"));
  g_assert_true (has_label (GTK_WIDGET (edit), "- int a = 1;"));
  g_assert_true (has_label (GTK_WIDGET (edit), "250 ms"));
  g_assert_true (nb_tool_card_get_failed (edit));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (edit), "error"));
  g_assert_true (gtk_expander_get_expanded (GTK_EXPANDER (find (GTK_WIDGET (edit), GTK_TYPE_EXPANDER))));
  /* A long result is cut until Show All. */
  g_assert_true (has_label (GTK_WIDGET (edit), "line 5"));
  g_assert_false (has_label (GTK_WIDGET (edit), "line 99"));
  more = find_button (GTK_WIDGET (edit), "Show All");
  g_assert_true (gtk_widget_is_visible (more));
  g_signal_emit_by_name (more, "clicked");
  g_assert_true (has_label (GTK_WIDGET (edit), "line 99"));

  /* write_file: running, no result yet: a spinner. */
  g_assert_true (has_label (GTK_WIDGET (write), "notes.md"));
  g_assert_true (has_label (GTK_WIDGET (write), "# Notes\nline two"));
  spinner = find (GTK_WIDGET (write), GTK_TYPE_SPINNER);
  g_assert_true (gtk_widget_is_visible (spinner));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));

  /* Any other tool: pretty JSON. */
  g_assert_true (has_label (GTK_WIDGET (search), "\"query\" : \"gtk list view\""));
  g_assert_true (has_label (GTK_WIDGET (search), "\"count\" : 5"));

  /* The result arrives: the spinner goes, the result is there. */
  nb_session_append (session, message_from_json ("{\"role\":\"tool\",\"tool_call_id\":\"c3\",\"name\":\"write_file\","
                                                 "\"content\":\"Wrote 16 bytes to notes.md\",\"timestamp\":\"2026-02-20T14:03:07.000000\"}"));
  wait_frames (GTK_WIDGET (f->view), 2);
  g_assert_false (gtk_widget_is_visible (spinner));
  /* Collapsed until the reader opens it. */
  g_assert_true (gtk_widget_is_visible (find (GTK_WIDGET (write), GTK_TYPE_EXPANDER)));
  g_assert_false (has_label (GTK_WIDGET (write), "Wrote 16 bytes to notes.md"));
  gtk_expander_set_expanded (GTK_EXPANDER (find (GTK_WIDGET (write), GTK_TYPE_EXPANDER)), TRUE);
  g_assert_true (has_label (GTK_WIDGET (write), "Wrote 16 bytes to notes.md"));
  g_assert_false (nb_tool_card_get_failed (write));

  /* The turn ended without a result for c4: no spinner. */
  g_assert_true (gtk_widget_is_visible (find (GTK_WIDGET (search), GTK_TYPE_SPINNER)));
  nb_chat_view_set_running (f->view, FALSE);
  g_assert_false (gtk_widget_is_visible (find (GTK_WIDGET (search), GTK_TYPE_SPINNER)));

  /* Tool results have no row of their own. */
  row = row_at (f->view, 2);
  g_assert_nonnull (row);
  g_assert_cmpint (gtk_widget_get_height (row), <=, 1);
}

/* Following */

static void
stream (NbSession *session,
        GtkWidget *widget,
        guint      n)
{
  NbMessage *streaming = nb_session_get_streaming (session);

  for (guint i = 0; i < n; i++)
    {
      nb_message_append_text (streaming, "More streamed words, and then a new paragraph.\n\n");
      nb_message_flush_notify (streaming);
      wait_frames (widget, 1);
    }
}

static void
test_following (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(NbSession) session = numbered_session (200);
  GtkAdjustment *adjustment;
  GtkWidget *jump;
  double value;
  guint notified = 0;

  nb_chat_view_set_session (f->view, session);
  wait_frames (GTK_WIDGET (f->view), 5);
  adjustment = vadjustment (f->view);
  jump = find_button (GTK_WIDGET (f->view), "Jump to Latest");
  g_assert_true (nb_chat_view_get_following (f->view));
  g_assert_false (gtk_widget_get_visible (jump));

  /* A reply streams in: the view follows its end. */
  nb_session_append (session, text_message ("user", "Tell me more"));
  nb_session_begin_streaming (session);
  for (guint i = 0; i < 30; i++)
    {
      stream (session, GTK_WIDGET (f->view), 1);
      wait_frames (GTK_WIDGET (f->view), 1);
      g_assert_true (nb_chat_view_get_following (f->view));
      g_assert_true (at_bottom (adjustment));
    }

  /* The reader scrolls up: no more following, and new text leaves the
   * view where it is. */
  g_signal_connect_swapped (f->view, "notify::following", G_CALLBACK (g_atomic_int_inc), &notified);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) - 400);
  g_assert_false (nb_chat_view_get_following (f->view));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (gtk_widget_get_visible (jump));
  wait_frames (GTK_WIDGET (f->view), 2);
  value = gtk_adjustment_get_value (adjustment);
  stream (session, GTK_WIDGET (f->view), 10);
  wait_frames (GTK_WIDGET (f->view), 2);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (adjustment), value, 1);
  g_assert_false (at_bottom (adjustment));
  g_assert_false (nb_chat_view_get_following (f->view));

  /* Jump to Latest follows again. */
  g_signal_emit_by_name (jump, "clicked");
  g_assert_true (nb_chat_view_get_following (f->view));
  wait_frames (GTK_WIDGET (f->view), 3);
  g_assert_true (at_bottom (adjustment));
  g_assert_false (gtk_widget_get_visible (jump));
  stream (session, GTK_WIDGET (f->view), 5);
  wait_frames (GTK_WIDGET (f->view), 2);
  g_assert_true (at_bottom (adjustment));

  /* The stored reply replaces the streamed one and keeps its parse. */
  {
    NbMessage *streaming = nb_session_get_streaming (session);
    gpointer document = g_object_get_qdata (G_OBJECT (streaming), g_quark_from_string ("nb-chat-markdown-text"));
    g_autofree char *text = nb_message_dup_text (streaming);
    NbMessage *stored = text_message ("assistant", text);

    g_assert_nonnull (document);
    nb_session_append (session, stored);
    g_assert_true (g_object_get_qdata (G_OBJECT (stored), g_quark_from_string ("nb-chat-markdown-text")) == document);
    wait_frames (GTK_WIDGET (f->view), 3);
    g_assert_true (at_bottom (adjustment));
  }
}

/* The error row, Retry, Regenerate, Edit, the fork switcher */

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
regenerate_cb (NbChatView *view,
               guint       index,
               guint      *out)
{
  *out = index;
}

static void
edit_cb (NbChatView *view,
         guint       index,
         const char *text,
         char      **out)
{
  *out = g_strdup_printf ("%u:%s", index, text);
}

static void
fork_cb (NbChatView *view,
         int         delta,
         int        *out)
{
  *out = delta;
}

static NbSession *
short_session (void)
{
  NbSession *session = nb_session_new ("desktop:short");

  add (session, text_message ("user", "hello"));
  add (session, text_message ("assistant", "Hi! How can I help?"));
  add (session, text_message ("user", "say it again"));
  add (session, text_message ("assistant", "Hi again."));
  return session;
}

static void
test_error_row (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(NbSession) session = short_session ();
  guint retries = 0;
  GtkWidget *error;

  g_signal_connect (f->view, "retry", G_CALLBACK (count_cb), &retries);
  nb_chat_view_set_session (f->view, session);
  nb_chat_view_set_error (f->view, "The connection was lost");
  wait_frames (GTK_WIDGET (f->view), 4);
  error = find_visible (visible_scroller (f->view), NB_TYPE_ERROR_ROW);
  g_assert_nonnull (error);
  g_assert_cmpstr (nb_error_row_get_message (NB_ERROR_ROW (error)), ==, "The connection was lost");
  g_assert_true (at_bottom (vadjustment (f->view)));
  g_signal_emit_by_name (find_button (error, "_Retry"), "clicked");
  g_assert_cmpuint (retries, ==, 1);
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 4);

  nb_chat_view_set_error (f->view, NULL);
  wait_frames (GTK_WIDGET (f->view), 2);
  g_assert_null (find_visible (visible_scroller (f->view), NB_TYPE_ERROR_ROW));
}

static void
test_edit_regenerate (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(NbSession) session = short_session ();
  guint regenerated = G_MAXUINT;
  g_autofree char *edited = NULL;
  GtkWidget *user;
  GtkTextView *editor;

  g_signal_connect (f->view, "regenerate", G_CALLBACK (regenerate_cb), &regenerated);
  g_signal_connect (f->view, "edit", G_CALLBACK (edit_cb), &edited);
  nb_chat_view_set_session (f->view, session);
  wait_frames (GTK_WIDGET (f->view), 4);

  /* Regenerate on the last reply only, and not while a turn runs. */
  g_assert_false (gtk_widget_is_visible (find_button (row_at (f->view, 1), "Regenerate")));
  g_assert_true (gtk_widget_is_visible (find_button (row_at (f->view, 3), "Regenerate")));
  g_assert_true (gtk_widget_is_visible (find_button (row_at (f->view, 3), "Copy as Markdown")));
  nb_chat_view_set_running (f->view, TRUE);
  g_assert_false (gtk_widget_is_visible (find_button (row_at (f->view, 3), "Regenerate")));
  nb_chat_view_set_running (f->view, FALSE);
  g_signal_emit_by_name (find_button (row_at (f->view, 3), "Regenerate"), "clicked");
  g_assert_cmpuint (regenerated, ==, 3);

  /* Edit in place: the editor has the text; Send emits the new one. */
  user = find (row_at (f->view, 2), NB_TYPE_USER_MESSAGE);
  g_signal_emit_by_name (find_button (user, "Edit"), "clicked");
  g_assert_true (nb_user_message_get_editing (NB_USER_MESSAGE (user)));
  editor = GTK_TEXT_VIEW (find (user, GTK_TYPE_TEXT_VIEW));
  {
    GtkTextIter start, end;
    g_autofree char *text = NULL;

    gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (editor), &start, &end);
    text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (editor), &start, &end, FALSE);
    g_assert_cmpstr (text, ==, "say it again");
  }
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (editor), "say it differently", -1);
  g_signal_emit_by_name (find_button (user, "_Send"), "clicked");
  g_assert_cmpstr (edited, ==, "2:say it differently");
  g_assert_false (nb_user_message_get_editing (NB_USER_MESSAGE (user)));

  /* Cancel emits nothing. */
  g_clear_pointer (&edited, g_free);
  g_signal_emit_by_name (find_button (user, "Edit"), "clicked");
  g_signal_emit_by_name (find_button (user, "_Cancel"), "clicked");
  g_assert_null (edited);
  g_assert_cmpstr (nb_user_message_get_text (NB_USER_MESSAGE (user)), ==, "say it again");
}

static void
test_fork_switcher (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(NbSession) session = short_session ();
  int delta = 0;
  GtkWidget *row, *previous, *next;

  g_signal_connect (f->view, "fork-switch", G_CALLBACK (fork_cb), &delta);
  nb_chat_view_set_session (f->view, session);
  nb_chat_view_set_fork_info (f->view, 2, 1, 3);
  wait_frames (GTK_WIDGET (f->view), 3);
  row = row_at (f->view, 2);
  previous = find_button (row, "Previous Version");
  next = find_button (row, "Next Version");
  g_assert_true (gtk_widget_is_visible (next));
  g_assert_true (has_label (row, "1/3"));
  g_assert_false (gtk_widget_get_sensitive (previous));
  g_signal_emit_by_name (next, "clicked");
  g_assert_cmpint (delta, ==, 1);
  g_assert_false (shows_button (row_at (f->view, 0), "Next Version"));

  nb_chat_view_set_fork_info (f->view, 2, 3, 3);
  g_assert_true (gtk_widget_get_sensitive (previous));
  g_assert_false (gtk_widget_get_sensitive (next));
  g_signal_emit_by_name (previous, "clicked");
  g_assert_cmpint (delta, ==, -1);

  nb_chat_view_set_fork_info (f->view, 2, 1, 1);
  g_assert_false (gtk_widget_is_visible (next));
}

/* The list holds the end of the session */

/* The session index of the first message bound, G_MAXUINT if none. */
static guint
first_bound (NbChatView *view)
{
  NbSession *session = nb_chat_view_get_session (view);

  for (guint i = 0; i < nb_session_get_n_messages (session); i++)
    if (row_for (view, nb_session_get_message (session, i)) != NULL)
      return i;
  return G_MAXUINT;
}

/* The first row whose top is in the view, and that top's y in it. */
static GtkWidget *
first_visible_row (NbChatView *view,
                   double     *y)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkWidget *scroller = visible_scroller (view);
  GtkWidget *best = NULL;
  double best_y = G_MAXDOUBLE;

  collect (scroller, NB_TYPE_MESSAGE_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (rows, i);
      graphene_point_t point;

      if (!gtk_widget_get_mapped (row) || gtk_widget_get_height (row) == 0 ||
          !gtk_widget_compute_point (row, scroller, &GRAPHENE_POINT_INIT (0, 0), &point))
        continue;
      if (point.y >= 0 && point.y < best_y)
        {
          best = row;
          best_y = point.y;
        }
    }
  *y = best_y;
  return best;
}

static double
row_y (NbChatView *view,
       GtkWidget  *row)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (row, visible_scroller (view), &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.y;
}

static void
test_tail (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(NbSession) session = numbered_session (600);
  GtkAdjustment *adjustment;
  NbMessage *last = nb_session_get_message (session, 599);
  GtkWidget *row;
  g_autoptr(NbMessage) anchor = NULL;
  guint start, loaded;
  double y, page_size, value;

  nb_chat_view_set_session (f->view, session);
  wait_frames (GTK_WIDGET (f->view), 6);
  adjustment = vadjustment (f->view);
  page_size = gtk_adjustment_get_page_size (adjustment);

  /* It starts at the end: the last message bound, the first not, and
   * only a few screens' worth of rows. */
  g_assert_nonnull (row_for (f->view, last));
  start = first_bound (f->view);
  g_assert_cmpuint (start, >, 0);
  g_assert_cmpuint (start, >=, 600 - 60);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >=, 2 * page_size);

  /* Appending grows it, and the view follows. */
  add (session, text_message ("user", "One more question"));
  wait_frames (GTK_WIDGET (f->view), 4);
  g_assert_nonnull (row_for (f->view, nb_session_get_message (session, 600)));
  g_assert_true (at_bottom (adjustment));
  g_assert_cmpuint (first_bound (f->view), ==, start);

  /* The reader scrolls up to just short of where older messages load:
   * nothing loads. */
  value = page_size + 40;
  gtk_adjustment_set_value (adjustment, value);
  wait_frames (GTK_WIDGET (f->view), 4);
  g_assert_false (nb_chat_view_get_following (f->view));
  g_assert_cmpuint (first_bound (f->view), ==, start);
  row = first_visible_row (f->view, &y);
  g_assert_nonnull (row);
  anchor = g_object_ref (NB_MESSAGE (nb_message_row_get_item (NB_MESSAGE_ROW (row))));

  /* 60 pixels more: older messages load above, and what the reader sees
   * moves by those 60 pixels only, not by the height added above it. */
  gtk_adjustment_set_value (adjustment, value - 60);
  wait_frames (GTK_WIDGET (f->view), 6);
  loaded = first_bound (f->view);
  g_assert_cmpuint (loaded, <, start);
  row = row_for (f->view, anchor);
  g_assert_nonnull (row);
  g_assert_cmpfloat_with_epsilon (row_y (f->view, row), y + 60, 1.5);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >, value);
  g_assert_false (nb_chat_view_get_following (f->view));

  /* Back to the bottom: the rows loaded stay. */
  nb_chat_view_scroll_to_bottom (f->view);
  wait_frames (GTK_WIDGET (f->view), 4);
  g_assert_true (at_bottom (adjustment));
  g_assert_nonnull (row_for (f->view, nb_session_get_message (session, 600)));
}

/* Rows far into a long session speak of session indices. */
static void
test_tail_indices (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(NbSession) session = numbered_session (1000);
  guint regenerated = G_MAXUINT;
  g_autofree char *edited = NULL;
  GtkWidget *user, *row;
  int delta = 0;

  g_signal_connect (f->view, "regenerate", G_CALLBACK (regenerate_cb), &regenerated);
  g_signal_connect (f->view, "edit", G_CALLBACK (edit_cb), &edited);
  g_signal_connect (f->view, "fork-switch", G_CALLBACK (fork_cb), &delta);
  nb_chat_view_set_session (f->view, session);
  nb_chat_view_set_fork_info (f->view, 996, 2, 3);
  wait_frames (GTK_WIDGET (f->view), 5);
  g_assert_cmpuint (first_bound (f->view), >, 0);

  /* Regenerate is offered on the last reply, 999, and says so. */
  g_assert_true (gtk_widget_is_visible (find_button (row_at (f->view, 999), "Regenerate")));
  g_assert_false (gtk_widget_is_visible (find_button (row_at (f->view, 997), "Regenerate")));
  g_signal_emit_by_name (find_button (row_at (f->view, 999), "Regenerate"), "clicked");
  g_assert_cmpuint (regenerated, ==, 999);

  /* Edit on message 998. */
  user = find (row_at (f->view, 998), NB_TYPE_USER_MESSAGE);
  g_signal_emit_by_name (find_button (user, "Edit"), "clicked");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find (user, GTK_TYPE_TEXT_VIEW))), "again", -1);
  g_signal_emit_by_name (find_button (user, "_Send"), "clicked");
  g_assert_cmpstr (edited, ==, "998:again");

  /* The fork switcher on 996 only. */
  row = row_at (f->view, 996);
  g_assert_true (has_label (row, "2/3"));
  g_assert_true (gtk_widget_is_visible (find_button (row, "Next Version")));
  g_assert_false (shows_button (row_at (f->view, 994), "Next Version"));
  g_assert_false (shows_button (row_at (f->view, 998), "Next Version"));
  g_signal_emit_by_name (find_button (row, "Next Version"), "clicked");
  g_assert_cmpint (delta, ==, 1);

  /* Still after older messages are loaded above them. */
  for (guint i = 0; i < 3; i++)
    {
      gtk_adjustment_set_value (vadjustment (f->view), 0);
      wait_frames (GTK_WIDGET (f->view), 3);
    }
  nb_chat_view_scroll_to_bottom (f->view);
  wait_frames (GTK_WIDGET (f->view), 4);
  g_assert_cmpuint (first_bound (f->view), <, 1000 - 60);
  g_assert_true (has_label (row_at (f->view, 996), "2/3"));
  g_signal_emit_by_name (find_button (row_at (f->view, 999), "Regenerate"), "clicked");
  g_assert_cmpuint (regenerated, ==, 999);
}

/* Out-of-band text: the message tool and sub-agent reports */

static void
test_notices (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:notices");
  g_autoptr(JsonObject) report = json_object_new ();
  g_autoptr(GPtrArray) notices = g_ptr_array_new ();
  NbNoticeMessage *notice;

  add (session, text_message ("user", "Research this"));
  add (session, message_from_json ("{\"role\":\"assistant\",\"content\":\"On it.\",\"timestamp\":\"2026-02-20T14:03:05.000000\","
                                   "\"tool_calls\":[{\"id\":\"m1\",\"type\":\"function\",\"function\":{\"name\":\"message\","
                                   "\"arguments\":\"{\\\"content\\\":\\\"Halfway **done**\\\"}\"}}]}"));
  add (session, message_from_json ("{\"role\":\"tool\",\"tool_call_id\":\"m1\",\"name\":\"message\","
                                   "\"content\":\"Message sent to desktop:1\",\"timestamp\":\"2026-02-20T14:03:05.100000\"}"));
  json_object_set_string_member (report, "role", "user");
  json_object_set_string_member (report, "sender", "subagent");
  json_object_set_string_member (report, "timestamp", "2026-02-20T14:04:05.000000");
  json_object_set_string_member (report, "content",
                                 "[Subagent 'docs' completed successfully]\n\nTask: Read the docs\n\nResult:\nThe docs say **yes**.\n\n"
                                 "Summarize this naturally for the user. Keep it brief (1-2 sentences). "
                                 "Do not mention technical details like \"subagent\" or task IDs.");
  add (session, nb_message_new_from_json (report));

  nb_chat_view_set_session (f->view, session);
  wait_frames (GTK_WIDGET (f->view), 4);

  collect (row_at (f->view, 1), NB_TYPE_NOTICE_MESSAGE, notices);
  g_assert_cmpuint (notices->len, ==, 1);
  notice = g_ptr_array_index (notices, 0);
  g_assert_cmpstr (nb_notice_message_get_title (notice), ==, "Message");
  g_assert_cmpstr (nb_notice_message_get_markdown (notice), ==, "Halfway **done**");
  g_assert_null (find (row_at (f->view, 1), NB_TYPE_TOOL_CARD));

  notice = NB_NOTICE_MESSAGE (find_visible (row_at (f->view, 3), NB_TYPE_NOTICE_MESSAGE));
  g_assert_nonnull (notice);
  g_assert_null (find_visible (row_at (f->view, 3), NB_TYPE_USER_MESSAGE));
  g_assert_cmpstr (nb_notice_message_get_title (notice), ==, "Sub-agent “docs” finished");
  g_assert_cmpstr (nb_notice_message_get_markdown (notice), ==, "The docs say **yes**.");
  g_assert_true (has_label (GTK_WIDGET (notice), "Read the docs"));
}

/* Switching sessions keeps a page per recent session. */
static void
test_switch (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(NbSession) a = numbered_session (300);
  g_autoptr(NbSession) b = short_session ();
  GtkWidget *page_a;
  GtkWidget *stack;

  nb_chat_view_set_session (f->view, a);
  wait_frames (GTK_WIDGET (f->view), 3);
  page_a = visible_scroller (f->view);
  gtk_adjustment_set_value (vadjustment (f->view), 100);
  g_assert_false (nb_chat_view_get_following (f->view));

  nb_chat_view_set_session (f->view, b);
  wait_frames (GTK_WIDGET (f->view), 3);
  g_assert_true (nb_chat_view_get_following (f->view));
  g_assert_true (visible_scroller (f->view) != page_a);

  nb_chat_view_set_session (f->view, a);
  wait_frames (GTK_WIDGET (f->view), 3);
  g_assert_true (visible_scroller (f->view) == page_a);
  g_assert_false (nb_chat_view_get_following (f->view));

  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(NbSession) other = short_session ();

      nb_chat_view_set_session (f->view, other);
    }
  stack = find (GTK_WIDGET (f->view), GTK_TYPE_STACK);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_stack_get_pages (GTK_STACK (stack)))), <=, 5);
  nb_chat_view_set_session (f->view, NULL);
  g_assert_null (nb_chat_view_get_session (f->view));
}

/* A look at it */

static void
test_screenshot (void)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  const char *width = g_getenv ("NB_SCREENSHOT_WIDTH");
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  g_autoptr(NbSession) session = nb_session_new ("desktop:shot");
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f;
  int status;

  if (path == NULL)
    {
      g_test_skip ("NB_SCREENSHOT not set");
      return;
    }
  gtk_css_provider_load_from_resource (css, "/io/github/nanobot/Nanobot/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  if (g_strcmp0 (g_getenv ("NB_SCREENSHOT_DARK"), "1") == 0)
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);

  add (session, text_message ("user", "Fix the off-by-one in src/main.c and run the tests."));
  add (session, message_from_json ("{\"role\":\"assistant\",\"content\":\"Let me look at the file first.\","
                                   "\"reasoning_content\":\"The user wants a fix.\",\"timestamp\":\"2026-02-20T14:03:05.000000\",\"tool_calls\":["
                                   "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"edit_file\",\"arguments\":"
                                   "\"{\\\"path\\\":\\\"src/main.c\\\",\\\"old_text\\\":\\\"for (i = 0; i <= n; i++)\\\",\\\"new_text\\\":\\\"for (i = 0; i < n; i++)\\\"}\"}},"
                                   "{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"exec\",\"arguments\":"
                                   "\"{\\\"command\\\":\\\"meson test -C _build --suite unit\\\"}\"}}]}"));
  add (session, message_from_json ("{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"name\":\"edit_file\",\"content\":\"Successfully edited src/main.c\","
                                   "\"timestamp\":\"2026-02-20T14:03:05.120000\"}"));
  add (session, message_from_json ("{\"role\":\"tool\",\"tool_call_id\":\"c2\",\"name\":\"exec\",\"content\":\"Error: 1 test failed\\nExit code: 1\","
                                   "\"timestamp\":\"2026-02-20T14:03:09.400000\"}"));
  add (session, text_message ("assistant", "The loop is fixed. One test still fails:\n\n"
                                           "| Test | Result |\n|---|---|\n| parse | ok |\n| bounds | **failed** |\n\n"
                                           "```c\nfor (i = 0; i < n; i++)\n  total += values[i];\n```\n"));

  fixture_setup (&f, GINT_TO_POINTER (width != NULL ? atoi (width) : 720));
  gtk_window_set_default_size (f.window, width != NULL ? atoi (width) : 720, 880);
  nb_chat_view_set_session (f.view, session);
  nb_chat_view_set_fork_info (f.view, 0, 2, 2);
  nb_chat_view_set_error (f.view, "The provider did not answer in time.");
  wait_frames (GTK_WIDGET (f.view), 30);

  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  fixture_teardown (&f, NULL);
}

int
main (int   argc,
      char *argv[])
{
  /* Cairo: see tests/test-markdown-view.c. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/chat-view/binding", test_binding);
  ADD ("/chat-view/tool-cards", test_tool_cards);
  ADD ("/chat-view/following", test_following);
  ADD ("/chat-view/error-row", test_error_row);
  ADD ("/chat-view/edit-regenerate", test_edit_regenerate);
  ADD ("/chat-view/fork-switcher", test_fork_switcher);
  ADD ("/chat-view/notices", test_notices);
  ADD ("/chat-view/switch", test_switch);
  ADD ("/chat-view/tail", test_tail);
  ADD ("/chat-view/tail-indices", test_tail_indices);
#undef ADD
  g_test_add_func ("/chat-view/screenshot", test_screenshot);

  return g_test_run ();
}
