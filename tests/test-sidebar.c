/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nb-assistant.h"
#include "nb-conversation-row.h"
#include "nb-fake-llm.h"
#include "nb-sidebar.h"
#include "nb-test-util.h"

/*
 * NbSidebar in a shown window (Xvfb) over an NbAssistant with real session
 * files and a private $XDG_DATA_HOME (so the trash is a temporary folder):
 * the order (pinned first, forks under their original), rename and pin
 * persisted, delete with Undo and with the toast dismissed, search results
 * as you type, and the spinner of a running turn.
 *
 * With NB_SCREENSHOT=file.png, /sidebar/screenshot shows the sidebar and
 * saves the screen (NB_SCREENSHOT_DARK=1, NB_SCREENSHOT_WIDTH=360).
 */

static char *root_dir;

typedef struct {
  char        *dir;
  char        *sessions;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  GtkWindow   *window;
  GtkWidget   *overlay;
  NbSidebar   *sidebar;
  GPtrArray   *deleted;
  GPtrArray   *activated;
} Fixture;

static void
write_session (Fixture    *f,
               const char *key,
               const char *updated_at,
               const char *metadata,
               const char *first_message)
{
  g_autofree char *stem = nb_session_store_key_to_file_stem (key);
  g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (f->sessions, name, NULL);
  g_autofree char *text =
    g_strdup_printf ("{\"_type\":\"metadata\",\"key\":\"%s\",\"created_at\":\"2026-01-01T09:00:00\","
                     "\"updated_at\":\"%s\",\"metadata\":%s,\"last_consolidated\":0,\"message_count\":2}\n"
                     "{\"role\":\"user\",\"content\":\"%s\",\"timestamp\":\"%s\"}\n"
                     "{\"role\":\"assistant\",\"content\":\"An answer about %s.\",\"timestamp\":\"%s\"}\n",
                     key, updated_at, metadata, first_message, updated_at, key, updated_at);

  nb_test_write_file (path, text);
}

static char *
session_path (Fixture    *f,
              const char *key)
{
  g_autofree char *stem = nb_session_store_key_to_file_stem (key);
  g_autofree char *name = g_strconcat (stem, ".jsonl", NULL);

  return g_build_filename (f->sessions, name, NULL);
}

static void
deleted_cb (NbSidebar  *sidebar,
            const char *key,
            Fixture    *f)
{
  g_ptr_array_add (f->deleted, g_strdup (key));
}

static void
activated_cb (NbSidebar  *sidebar,
              const char *key,
              Fixture    *f)
{
  g_ptr_array_add (f->activated, g_strdup (key));
  /* As the window does: the key shown becomes the selected one. */
  nb_sidebar_select_key (sidebar, key);
}

static GtkListView *
list_view (Fixture *f)
{
  GtkWidget *stack = gtk_widget_get_last_child (gtk_widget_get_first_child (GTK_WIDGET (f->sidebar)));
  GtkWidget *page = gtk_stack_get_child_by_name (GTK_STACK (stack), "list");

  return GTK_LIST_VIEW (gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (page)));
}

static GtkListView *
results_view (Fixture *f)
{
  GtkWidget *stack = gtk_widget_get_last_child (gtk_widget_get_first_child (GTK_WIDGET (f->sidebar)));
  GtkWidget *page = gtk_stack_get_child_by_name (GTK_STACK (stack), "results");

  return GTK_LIST_VIEW (gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (page)));
}

static const char *
visible_page (Fixture *f)
{
  GtkWidget *stack = gtk_widget_get_last_child (gtk_widget_get_first_child (GTK_WIDGET (f->sidebar)));

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static GtkEditable *
search_entry (Fixture *f)
{
  return GTK_EDITABLE (gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (f->sidebar))));
}

/* The keys as listed, forks marked with "> ". */
static char *
shown_order (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (list_view (f)));
  GString *order = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (model, i);

      if (order->len > 0)
        g_string_append (order, ", ");
      g_string_append (order, nb_conversation_get_key (item));
    }
  return g_string_free (order, FALSE);
}

static void
find_rows (GtkWidget *widget,
           GPtrArray *rows)
{
  if (NB_IS_CONVERSATION_ROW (widget))
    g_ptr_array_add (rows, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    find_rows (c, rows);
}

static NbConversationRow *
row_for (Fixture    *f,
         const char *key)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  find_rows (GTK_WIDGET (list_view (f)), rows);
  for (guint i = 0; i < rows->len; i++)
    {
      NbConversation *item = nb_conversation_row_get_conversation (g_ptr_array_index (rows, i));

      if (item != NULL && g_strcmp0 (nb_conversation_get_key (item), key) == 0 &&
          gtk_widget_get_mapped (g_ptr_array_index (rows, i)))
        return g_ptr_array_index (rows, i);
    }
  return NULL;
}

static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
      strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (has_label (c, text))
      return TRUE;
  return FALSE;
}

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
iterate (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

#define WAIT_FOR(condition)                                                 \
  G_STMT_START {                                                            \
    gint64 _deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;       \
    while (!(condition) && g_get_monotonic_time () < _deadline)             \
      g_main_context_iteration (NULL, FALSE);                               \
    g_assert_true (condition);                                              \
  } G_STMT_END

static void
show_sidebar (Fixture *f,
              int      width)
{
  f->window = GTK_WINDOW (adw_window_new ());
  f->overlay = adw_toast_overlay_new ();
  f->sidebar = nb_sidebar_new ();
  g_signal_connect (f->sidebar, "conversation-deleted", G_CALLBACK (deleted_cb), f);
  g_signal_connect (f->sidebar, "conversation-activated", G_CALLBACK (activated_cb), f);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (f->overlay), GTK_WIDGET (f->sidebar));
  adw_window_set_content (ADW_WINDOW (f->window), f->overlay);
  gtk_window_set_default_size (f->window, width, 560);
  nb_sidebar_set_assistant (f->sidebar, f->assistant);
  gtk_window_present (f->window);
}

static void
new_assistant (Fixture *f)
{
  f->assistant = nb_assistant_new_for_sessions (f->config, f->sessions);
}

static void
close_window (Fixture *f)
{
  g_object_ref (f->window);
  gtk_window_destroy (f->window);
  iterate (20);
  g_assert_finalize_object (f->window);
  f->window = NULL;
  f->sidebar = NULL;
}

static void
close_assistant (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  gpointer watch = f->assistant;

  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, NULL));
  g_clear_object (&result);
  g_object_add_weak_pointer (watch, &watch);
  g_clear_object (&f->assistant);
  WAIT_FOR (watch == NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *workspace = NULL;

  f->dir = g_build_filename (root_dir, "case-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (f->dir));
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  g_mkdir_with_parents (f->sessions, 0700);
  workspace = g_build_filename (f->dir, "workspace", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->fake = nb_fake_llm_new ();
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"m\",\"workspace\":\"%s\"}},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}}}",
                          workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->deleted = g_ptr_array_new_with_free_func (g_free);
  f->activated = g_ptr_array_new_with_free_func (g_free);

  write_session (f, "desktop:a", "2026-01-01T10:00:00", "{\"pinned\":true}", "Alpha pinned");
  write_session (f, "desktop:b", "2026-01-01T12:00:00", "{}", "Bravo original");
  write_session (f, "desktop:c", "2026-01-01T11:00:00", "{}", "Charlie question");
  write_session (f, "desktop:b2", "2026-01-01T13:00:00",
                 "{\"forked_from\":\"desktop:b\",\"fork_index\":1}", "Bravo fork");
  write_session (f, "cli:direct", "2026-01-01T09:00:00", "{}", "Delta from the terminal findme");
  new_assistant (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window != NULL)
    close_window (f);
  close_assistant (f);
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sessions);
  g_free (f->config_path);
  g_ptr_array_unref (f->deleted);
  g_ptr_array_unref (f->activated);
}

#define ORDER "desktop:a, desktop:b, desktop:b2, desktop:c, cli:direct"

static gboolean
order_is (Fixture    *f,
          const char *order)
{
  g_autofree char *shown = shown_order (f);

  return g_str_equal (shown, order);
}

static void
test_order (Fixture       *f,
            gconstpointer  data)
{
  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));
  WAIT_FOR (row_for (f, "desktop:b2") != NULL);

  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row_for (f, "desktop:b2")), "fork"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row_for (f, "desktop:b")), "fork"));
  g_assert_true (has_label (GTK_WIDGET (row_for (f, "desktop:c")), "Charlie question"));
  g_assert_true (has_label (GTK_WIDGET (row_for (f, "cli:direct")), "Terminal"));
  g_assert_false (has_label (GTK_WIDGET (row_for (f, "desktop:c")), "Terminal"));

  /* Selecting a row activates its conversation; select_key does not. */
  nb_sidebar_select_key (f->sidebar, "desktop:c");
  g_assert_cmpstr (nb_sidebar_get_selected_key (f->sidebar), ==, "desktop:c");
  g_assert_cmpuint (f->activated->len, ==, 0);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (gtk_list_view_get_model (list_view (f))), 1);
  g_assert_cmpuint (f->activated->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->activated, 0), ==, "desktop:b");
  g_assert_cmpstr (nb_sidebar_get_selected_key (f->sidebar), ==, "desktop:b");

  /* Another process appends to c: it moves up, the selection stays on b. */
  write_session (f, "desktop:c", "2026-01-01T14:00:00", "{}", "Charlie question");
  WAIT_FOR (order_is (f, "desktop:a, desktop:c, desktop:b, desktop:b2, cli:direct"));
  g_assert_cmpstr (nb_sidebar_get_selected_key (f->sidebar), ==, "desktop:b");
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (gtk_list_view_get_model (list_view (f)))), ==, 2);
}

static GtkWidget *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

static void
test_rename_and_pin (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = session_path (f, "desktop:c");
  g_autofree char *text = NULL;
  GtkWidget *dialog;

  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));

  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.rename", "s", "desktop:c");
  WAIT_FOR (find_dialog () != NULL);
  dialog = find_dialog ();
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog))), "Trip notes");
  /* What the Rename button does (it also closes the dialog). */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  gtk_window_destroy (GTK_WINDOW (dialog));
  WAIT_FOR (row_for (f, "desktop:c") != NULL && has_label (GTK_WIDGET (row_for (f, "desktop:c")), "Trip notes"));
  /* The session is read first (it was not open), then the record goes out. */
  WAIT_FOR ((g_free (text), text = nb_test_read_file (path), strstr (text, "\"title\":\"Trip notes\"") != NULL));

  /* Pinned: up among the pinned, newest first. */
  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.toggle-pin", "s", "desktop:c");
  WAIT_FOR (order_is (f, "desktop:c, desktop:a, desktop:b, desktop:b2, cli:direct"));
  WAIT_FOR (row_for (f, "desktop:c") != NULL);
  g_assert_true (gtk_widget_get_visible (find_type (GTK_WIDGET (row_for (f, "desktop:c")), GTK_TYPE_IMAGE)));
  g_clear_pointer (&text, g_free);
  text = nb_test_read_file (path);
  g_assert_nonnull (strstr (text, "\"pinned\":true"));

  /* A new window over a new assistant reads both from the file. */
  close_window (f);
  close_assistant (f);
  new_assistant (f);
  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, "desktop:c, desktop:a, desktop:b, desktop:b2, cli:direct"));
  WAIT_FOR (row_for (f, "desktop:c") != NULL && has_label (GTK_WIDGET (row_for (f, "desktop:c")), "Trip notes"));

  /* Unpinned again. */
  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.toggle-pin", "s", "desktop:c");
  WAIT_FOR (order_is (f, ORDER));
}

static GtkWidget *
find_toast_button (GtkWidget *widget,
                   gboolean   with_label)
{
  /* The toast's close button has an icon, Undo a label. */
  if (GTK_IS_BUTTON (widget) && gtk_widget_get_ancestor (widget, NB_TYPE_SIDEBAR) == NULL &&
      (gtk_button_get_label (GTK_BUTTON (widget)) != NULL) == with_label)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_toast_button (c, with_label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_delete_undo (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = session_path (f, "desktop:b");
  g_autofree char *before = nb_test_read_file (path);
  g_autofree char *after = NULL;
  GtkWidget *undo;

  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));
  nb_sidebar_select_key (f->sidebar, "desktop:b");

  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.delete", "s", "desktop:b");
  /* Gone at once; its fork has no original to go under. */
  g_assert_true (order_is (f, "desktop:a, desktop:b2, desktop:c, cli:direct"));
  g_assert_cmpuint (f->deleted->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->deleted, 0), ==, "desktop:b");
  g_assert_null (nb_sidebar_get_selected_key (f->sidebar));
  WAIT_FOR (has_label (f->overlay, "Conversation deleted"));

  /* The toast's Undo button, as the user clicks it. */
  WAIT_FOR (find_toast_button (f->overlay, TRUE) != NULL);
  undo = find_toast_button (f->overlay, TRUE);
  g_assert_true (gtk_widget_is_sensitive (undo));
  gtk_widget_activate (undo);
  WAIT_FOR (order_is (f, ORDER));
  WAIT_FOR (row_for (f, "desktop:b2") != NULL && gtk_widget_has_css_class (GTK_WIDGET (row_for (f, "desktop:b2")), "fork"));

  /* Nothing is trashed later either. */
  nb_sidebar_flush_pending_deletes (f->sidebar);
  iterate (300);
  after = nb_test_read_file (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (order_is (f, ORDER));
}

static void
test_delete_dismissed (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = session_path (f, "desktop:c");
  g_autofree char *trashed = NULL;
  g_autofree char *data_home = g_build_filename (root_dir, "data", NULL);
  GtkWidget *close;

  trashed = g_build_filename (data_home, "Trash", "files", "desktop_c.jsonl", NULL);
  g_remove (trashed);
  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));

  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.delete", "s", "desktop:c");
  g_assert_true (order_is (f, "desktop:a, desktop:b, desktop:b2, cli:direct"));
  WAIT_FOR (find_toast_button (f->overlay, FALSE) != NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Closing the toast without Undo trashes the file. */
  close = find_toast_button (f->overlay, FALSE);
  gtk_widget_activate (close);
  WAIT_FOR (!g_file_test (path, G_FILE_TEST_EXISTS));
  WAIT_FOR (g_file_test (trashed, G_FILE_TEST_EXISTS));
  /* And the row stays away while the list catches up. */
  iterate (400);
  g_assert_true (order_is (f, "desktop:a, desktop:b, desktop:b2, cli:direct"));

  /* A pending delete is flushed when the window goes. */
  g_free (path);
  path = session_path (f, "cli:direct");
  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.delete", "s", "cli:direct");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  nb_sidebar_flush_pending_deletes (f->sidebar);
  WAIT_FOR (!g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (order_is (f, "desktop:a, desktop:b, desktop:b2"));
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  GListModel *results;

  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));
  g_assert_cmpstr (visible_page (f), ==, "list");

  /* A title match and a content match (with its snippet). */
  gtk_editable_set_text (search_entry (f), "brav");
  WAIT_FOR (g_strcmp0 (visible_page (f), "results") == 0);
  results = G_LIST_MODEL (gtk_list_view_get_model (results_view (f)));
  WAIT_FOR (g_list_model_get_n_items (results) == 2);
  WAIT_FOR (has_label (GTK_WIDGET (results_view (f)), "Bravo fork"));

  gtk_editable_set_text (search_entry (f), "about cli");
  WAIT_FOR (g_list_model_get_n_items (results) == 1 &&
            has_label (GTK_WIDGET (results_view (f)), "An answer about cli:direct."));
  g_assert_true (has_label (GTK_WIDGET (results_view (f)), "Delta from the terminal"));

  /* Picking a result opens its conversation. */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (gtk_list_view_get_model (results_view (f))), 0);
  g_assert_cmpuint (f->activated->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->activated, 0), ==, "cli:direct");
  g_assert_cmpstr (nb_sidebar_get_selected_key (f->sidebar), ==, "cli:direct");

  gtk_editable_set_text (search_entry (f), "nothing like this");
  WAIT_FOR (g_strcmp0 (visible_page (f), "no-results") == 0);

  /* Escape: the list again. */
  g_signal_emit_by_name (search_entry (f), "stop-search");
  g_assert_cmpstr (gtk_editable_get_text (search_entry (f)), ==, "");
  g_assert_cmpstr (visible_page (f), ==, "list");

  /* GNOME Shell's "search in the app" fills the entry the same way. */
  nb_sidebar_search (f->sidebar, "brav");
  g_assert_cmpstr (gtk_editable_get_text (search_entry (f)), ==, "brav");
  WAIT_FOR (g_strcmp0 (visible_page (f), "results") == 0);
  WAIT_FOR (g_list_model_get_n_items (results) == 2);
  g_signal_emit_by_name (search_entry (f), "stop-search");
}

static void
test_running (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbFakeResponse *slow;
  GtkWidget *spinner;

  show_sidebar (f, 360);
  WAIT_FOR (order_is (f, ORDER));

  nb_assistant_open_session_async (f->assistant, "desktop:c", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  WAIT_FOR (row_for (f, "desktop:c") != NULL);
  spinner = find_type (GTK_WIDGET (row_for (f, "desktop:c")), GTK_TYPE_SPINNER);
  g_assert_false (gtk_widget_get_visible (spinner));

  slow = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  nb_fake_response_add_chunk (slow, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n", -1, 0);
  nb_fake_response_add_chunk (slow, "data: [DONE]\n\n", -1, 20000);
  nb_assistant_run_async (f->assistant, session, "a long story", NULL, nb_test_store_result_cb, &result);

  /* Its row spins while the turn runs. */
  WAIT_FOR (row_for (f, "desktop:c") != NULL &&
            gtk_widget_get_visible (find_type (GTK_WIDGET (row_for (f, "desktop:c")), GTK_TYPE_SPINNER)));
  spinner = find_type (GTK_WIDGET (row_for (f, "desktop:c")), GTK_TYPE_SPINNER);
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));

  nb_agent_stop_session (nb_assistant_get_agent (f->assistant), "desktop:c");
  nb_test_wait_result (&result, 20000);
  reply = nb_assistant_run_finish (f->assistant, result, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  WAIT_FOR (row_for (f, "desktop:c") != NULL &&
            !gtk_widget_get_visible (find_type (GTK_WIDGET (row_for (f, "desktop:c")), GTK_TYPE_SPINNER)));
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  const char *width = g_getenv ("NB_SCREENSHOT_WIDTH");
  const char *query = g_getenv ("NB_SCREENSHOT_QUERY");
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
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

  write_session (f, "quick:1", "2026-01-01T08:00:00", "{}",
                 "A rather long question from the quick prompt that does not fit in the sidebar");
  write_session (f, "cron:daily", "2026-01-01T07:00:00", "{}", "Daily summary of the news");
  show_sidebar (f, width != NULL ? atoi (width) : 360);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (list_view (f)))) == 7);
  nb_sidebar_select_key (f->sidebar, "desktop:b");
  if (query != NULL)
    gtk_editable_set_text (search_entry (f), query);
  else
    gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.delete", "s", "desktop:c");
  iterate (1500);

  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  gtk_widget_activate_action (GTK_WIDGET (f->sidebar), "sidebar.undo-delete", "s", "desktop:c");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int status;

  /* g_file_trash() uses $XDG_DATA_HOME/Trash for files on its file
   * system: both live in one private folder. */
  root_dir = nb_test_make_tmpdir ();
  data_home = g_build_filename (root_dir, "data", NULL);
  g_mkdir_with_parents (data_home, 0700);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  /* Drawn with Cairo: see tests/test-markdown-view.c. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/sidebar/order", test_order);
  ADD ("/sidebar/rename-and-pin", test_rename_and_pin);
  ADD ("/sidebar/delete-undo", test_delete_undo);
  ADD ("/sidebar/delete-dismissed", test_delete_dismissed);
  ADD ("/sidebar/search", test_search);
  ADD ("/sidebar/running", test_running);
  ADD ("/sidebar/screenshot", test_screenshot);
#undef ADD

  status = g_test_run ();
  nb_test_rm_rf (root_dir);
  g_free (root_dir);
  return status;
}
