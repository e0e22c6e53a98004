/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "nb-approval-card.h"
#include "nb-approval-queue.h"
#include "nb-chat-view.h"
#include "nb-composer.h"
#include "nb-permissions-page.h"
#include "nb-fake-llm.h"
#include "nb-test-util.h"
#include "nb-window.h"

/*
 * Tool permissions in the window, end to end as in test-e2e.c: real
 * clicks and keys from xdotool, the real assistant, a fake provider. With
 * no tools.permissions the window asks before every side-effecting call:
 * the approval card shows what would happen and its answers reach the
 * tool, the model and config.json. NB_SCREENSHOT=shot.png (with
 * NB_SCREENSHOT_DARK=1, NB_SCREENSHOT_WIDTH=360) saves the screen with an
 * exec card waiting.
 */

static AdwApplication *app;

typedef struct {
  char        *home;
  char        *config_path;
  char        *workspace;
  NbFakeLlm   *fake;
  NbAssistant *assistant;
  NbWindow    *window;
  guint        n_asked;
} Fixture;

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @check is TRUE (or fails after 20 s). */
#define WAIT_UNTIL(check)                                                    \
  G_STMT_START {                                                             \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;         \
    guint timer_ = g_timeout_add (20, wake_up, NULL);                        \
    while (!(check) && g_get_monotonic_time () < deadline_)                  \
      g_main_context_iteration (NULL, TRUE);                                 \
    g_source_remove (timer_);                                                \
    if (!(check))                                                            \
      g_error ("timed out waiting for: %s", #check);                         \
  } G_STMT_END

static void
xdotool (const char *args)
{
  g_autofree char *command = g_strdup_printf ("%s %s", g_getenv ("XDOTOOL"), args);
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_command_line_sync (command, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Gives the window the keyboard focus and waits until GTK knows it has
 * it: keys sent before that are lost. Without a window manager, asking
 * too early (the window not viewable yet) is ignored, so ask again. */
static void
focus_window (Fixture *f)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  g_autofree char *args = g_strdup_printf ("windowfocus %lu",
                                           (gulong) gdk_x11_surface_get_xid (surface));

  for (guint attempt = 0; attempt < 20; attempt++)
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
      guint timer = g_timeout_add (20, wake_up, NULL);

      xdotool (args);
      while (!gtk_window_is_active (GTK_WINDOW (f->window)) && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer);
      if (gtk_window_is_active (GTK_WINDOW (f->window)))
        return;
    }
  g_error ("the window never got the keyboard focus");
}

static NbComposer *composer_of (Fixture *f);
static gboolean config_has (Fixture *f, const char *text);

static gboolean
composer_has_text (Fixture    *f,
                   const char *text)
{
  g_autofree char *typed = nb_composer_dup_text (composer_of (f));

  return g_strcmp0 (typed, text) == 0;
}

/* Types @text into the composer and presses Enter, as a user. Under
 * Xvfb with no window manager a key now and then does not arrive; what
 * was typed must be in the composer before Enter, so a short text is
 * typed again then (and the test says so in its log). */
static void
type_and_send (Fixture    *f,
               const char *text)
{
  g_autofree char *quoted = g_shell_quote (text);
  g_autofree char *args = g_strdup_printf ("type --delay 10 %s", quoted);

  for (guint attempt = 0; ; attempt++)
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
      guint timer = g_timeout_add (20, wake_up, NULL);

      focus_window (f);
      /* An answered card took the keyboard focus with it. */
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.focus-composer", NULL);
      xdotool (args);
      while (!composer_has_text (f, text) && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer);
      if (composer_has_text (f, text))
        break;
      {
        g_autofree char *typed = nb_composer_dup_text (composer_of (f));

        g_assert_cmpuint (attempt, <, 3);
        g_test_message ("keys were lost (the composer has “%s”); typing again", typed);
      }
      nb_composer_set_text (composer_of (f), "");
    }
  xdotool ("key Return");
}

static gboolean
widget_origin (Fixture          *f,
               GtkWidget        *widget,
               graphene_point_t *point)
{
  return gtk_widget_compute_point (widget, GTK_WIDGET (f->window), &GRAPHENE_POINT_INIT (0, 0), point);
}

/* Waits until @widget stays in one place for a few frames: a card that
 * was just added to the list moves while the list view lays it out. */
static void
wait_still (Fixture   *f,
            GtkWidget *widget)
{
  graphene_point_t last = { -1, -1 };
  guint still = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (still < 5 && g_get_monotonic_time () < deadline)
    {
      graphene_point_t now;
      gint64 until = g_get_monotonic_time () + 20000;
      guint timer = g_timeout_add (5, wake_up, NULL);

      while (g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer);
      g_assert_true (widget_origin (f, widget, &now));
      still = graphene_point_equal (&now, &last) ? still + 1 : 0;
      last = now;
    }
  g_assert_cmpuint (still, ==, 5);
}

/* A real click in the middle of @widget. */
static void
click_widget (Fixture   *f,
              GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  graphene_point_t point;
  double dx, dy;
  g_autofree char *move = NULL;

  wait_still (f, widget);
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (f->window),
                                           &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.0,
                                                                 gtk_widget_get_height (widget) / 2.0),
                                           &point));
  gtk_native_get_surface_transform (GTK_NATIVE (f->window), &dx, &dy);
  move = g_strdup_printf ("mousemove --sync --window %lu %d %d click 1",
                          (gulong) gdk_x11_surface_get_xid (surface),
                          (int) (point.x + dx), (int) (point.y + dy));
  xdotool (move);
}

/* Every widget of type @type_name under @widget. */
static void
collect (GtkWidget  *widget,
         const char *type_name,
         GPtrArray  *found)
{
  if (g_strcmp0 (G_OBJECT_TYPE_NAME (widget), type_name) == 0)
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type_name, found);
}

/* Whether a label on screen under @widget shows @text (a stack's other
 * pages, and so other conversations' pages, are not mapped). */
static gboolean
shows_text (GtkWidget  *widget,
            const char *text)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return TRUE;
  if (GTK_IS_TEXT_VIEW (widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
      GtkTextIter start, end;
      g_autofree char *content = NULL;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      content = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (strstr (content, text) != NULL)
        return TRUE;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, text))
      return TRUE;
  return FALSE;
}

static GtkWidget *
find_one (GtkWidget  *root,
          const char *type_name)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (root, type_name, found);
  g_assert_cmpuint (found->len, ==, 1);
  return g_ptr_array_index (found, 0);
}

static NbComposer *
composer_of (Fixture *f)
{
  return NB_COMPOSER (find_one (GTK_WIDGET (f->window), "NbComposer"));
}

static GtkWidget *
chat_of (Fixture *f)
{
  return find_one (GTK_WIDGET (f->window), "NbChatView");
}




static void
queue_call (Fixture    *f,
            const char *id,
            const char *name,
            const char *arguments)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_autofree char *escaped = g_strescape (arguments, NULL);
  g_autofree char *event = NULL;

  event = g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":"
                           "[{\"index\":0,\"id\":\"%s\",\"type\":\"function\",\"function\":"
                           "{\"name\":\"%s\",\"arguments\":\"%s\"}}]}}]}\n\n", id, name, escaped);
  nb_fake_response_add_chunk (response, event, -1, 0);
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                              "data: [DONE]\n\n", -1, 10);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
asked_cb (GListModel *model,
          guint       position,
          guint       removed,
          guint       added,
          Fixture    *f)
{
  f->n_asked += added;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *config_text = NULL;
  g_autofree char *sessions = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GError) error = NULL;
  int width = g_getenv ("NB_SCREENSHOT_WIDTH") != NULL ? atoi (g_getenv ("NB_SCREENSHOT_WIDTH")) : 900;

  f->home = nb_test_make_tmpdir ();
  f->fake = nb_fake_llm_new ();
  f->workspace = g_build_filename (f->home, "workspace", NULL);
  f->config_path = g_build_filename (f->home, "config.json", NULL);
  /* No tools.permissions: the window asks. */
  config_text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"e2e-model\",\"provider\":\"custom\","
                                 "\"workspace\":\"%s\"}},"
                                 "\"providers\":{\"custom\":{\"apiKey\":\"sk-e2e\",\"apiBase\":\"%s\"}},"
                                 "\"tools\":{\"restrictToWorkspace\":true}}",
                                 f->workspace, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (f->config_path, config_text);
  config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);

  sessions = g_build_filename (f->home, "sessions", NULL);
  f->assistant = nb_assistant_new_for_sessions (config, sessions);

  nb_fake_llm_set_models_body (f->fake, "{\"data\":[{\"id\":\"e2e-model\"}]}");

  g_settings_set_string (settings, "last-conversation", "");
  f->window = g_object_ref (nb_window_new (GTK_APPLICATION (app), f->assistant));
  g_signal_connect (nb_assistant_get_approval_queue (f->assistant), "items-changed", G_CALLBACK (asked_cb), f);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, 720);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (nb_window_get_session (f->window) != NULL && gtk_widget_get_mapped (GTK_WIDGET (f->window)));
  WAIT_UNTIL (nb_fake_llm_get_n_requests (f->fake) >= 1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  GObject *weak = G_OBJECT (f->window);

  g_signal_handlers_disconnect_by_data (nb_assistant_get_approval_queue (f->assistant), f);
  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_object_unref (f->window);
  WAIT_UNTIL (weak == NULL);
  g_clear_object (&f->assistant);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->home);
  g_free (f->home);
  g_free (f->workspace);
  g_free (f->config_path);
}

static GtkWidget *
find_card (Fixture *f)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (chat_of (f), "NbApprovalCard", found);
  for (guint i = 0; i < found->len; i++)
    if (gtk_widget_get_mapped (g_ptr_array_index (found, i)))
      return g_ptr_array_index (found, i);
  return NULL;
}

/* The button (or toggle button) labelled @label under @root. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_entry (GtkWidget *root,
            guint      index)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (root, "GtkEntry", found);
  g_assert_cmpuint (found->len, >, index);
  return g_ptr_array_index (found, index);
}

static gboolean
sidebar_marks_waiting (Fixture *f)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new ();

  collect (find_one (GTK_WIDGET (f->window), "NbSidebar"), "GtkImage", images);
  for (guint i = 0; i < images->len; i++)
    {
      GtkWidget *image = g_ptr_array_index (images, i);

      if (gtk_widget_get_mapped (image) &&
          g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (image)), "dialog-question-symbolic") == 0)
        return TRUE;
    }
  return FALSE;
}

/* Whether the @index-th chat request (the models lists left out) has @text. */
static gboolean
request_has (Fixture    *f,
             guint       index,
             const char *text)
{
  for (guint i = 0, chat = 0; i < nb_fake_llm_get_n_requests (f->fake); i++)
    {
      const NbFakeRequest *request = nb_fake_llm_get_request (f->fake, i);

      if (g_str_has_suffix (request->path, "/models"))
        continue;
      if (chat++ == index)
        return strstr (request->body, text) != NULL;
    }
  return FALSE;
}

static GtkWidget *
tool_card_showing (Fixture    *f,
                   const char *text)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  collect (chat_of (f), "NbToolCard", cards);
  for (guint i = 0; i < cards->len; i++)
    if (shows_text (g_ptr_array_index (cards, i), text))
      return g_ptr_array_index (cards, i);
  return NULL;
}

/* The card shows the command, its folder and the sandbox; Allow Once runs
 * it; the decision is on the tool card and in the session file. */
static void
test_exec_allow_once (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *marker = g_build_filename (f->workspace, "allowed-once", NULL);
  g_autofree char *folder = g_strdup_printf ("In %s", f->workspace);
  g_autofree char *session_text = NULL;
  GtkWidget *card;

  queue_call (f, "call_a", "exec", "{\"command\":\"touch allowed-once\"}");
  queue_text (f, "Done, the file is there.");
  type_and_send (f, "Make the file");

  WAIT_UNTIL ((card = find_card (f)) != NULL);
  WAIT_UNTIL (shows_text (card, "touch allowed-once"));
  g_assert_true (shows_text (card, "Run this command?"));
  g_assert_true (shows_text (card, folder));
  g_assert_true (shows_text (card, "andboxed"));
  WAIT_UNTIL (sidebar_marks_waiting (f));
  /* Nothing ran while the card waits. */
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_false (request_has (f, 1, "allowed-once"));

  click_widget (f, find_button (card, "Allow Once"));
  WAIT_UNTIL (find_card (f) == NULL);
  WAIT_UNTIL (request_has (f, 1, "Exit code: 0"));
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
  WAIT_UNTIL (shows_text (chat_of (f), "Done, the file is there."));
  WAIT_UNTIL (tool_card_showing (f, "Allowed once by you") != NULL);
  g_assert_false (sidebar_marks_waiting (f));
  g_assert_cmpuint (f->n_asked, ==, 1);

  {
    NbSession *session = nb_window_get_session (f->window);
    g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant),
                                                       nb_session_get_key (session));

    session_text = nb_test_read_file (path);
  }
  g_assert_nonnull (strstr (session_text, "\"permission\":{\"decision\":\"allow\",\"by\":\"user\""));
}

/* Deny with a reason: the command does not run, the model reads why. */
static void
test_exec_deny (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *marker = g_build_filename (f->workspace, "denied", NULL);
  GtkWidget *card;
  GtkWidget *entry;

  queue_call (f, "call_d", "exec", "{\"command\":\"touch denied\"}");
  queue_text (f, "Understood, I left it alone.");
  type_and_send (f, "Make the other file");

  WAIT_UNTIL ((card = find_card (f)) != NULL);
  click_widget (f, find_button (card, "Deny…"));
  entry = find_entry (card, 1);
  WAIT_UNTIL (gtk_widget_get_mapped (entry) && gtk_widget_has_focus (gtk_widget_get_first_child (entry)));
  for (guint attempt = 0; g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), "not in my folder") != 0; attempt++)
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
      guint timer;

      g_assert_cmpuint (attempt, <, 3);
      gtk_editable_set_text (GTK_EDITABLE (entry), "");
      focus_window (f);
      gtk_widget_grab_focus (entry);
      xdotool ("type --delay 10 'not in my folder'");
      timer = g_timeout_add (20, wake_up, NULL);
      while (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), "not in my folder") != 0 &&
             g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer);
    }
  xdotool ("key Return");

  WAIT_UNTIL (request_has (f, 1, "Denied by the user. Reason: not in my folder"));
  WAIT_UNTIL (shows_text (chat_of (f), "Understood, I left it alone."));
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  WAIT_UNTIL (tool_card_showing (f, "Denied by you at") != NULL);
}

/* Always allow: the rule goes to config.json (other settings kept) and
 * the same call later runs without a card. */
static void
test_always_allow (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *config = NULL;
  GtkWidget *card;
  GtkWidget *entry;

  queue_call (f, "call_1", "exec", "{\"command\":\"echo same-e2e --twice\"}");
  queue_text (f, "First time.");
  type_and_send (f, "Echo something");

  WAIT_UNTIL ((card = find_card (f)) != NULL);
  click_widget (f, find_button (card, "Always Allow…"));
  entry = find_entry (card, 0);
  WAIT_UNTIL (gtk_widget_get_mapped (entry));
  /* The narrowest rule: the command's first words. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "echo same-e2e*");
  click_widget (f, find_button (card, "Save Rule"));
  WAIT_UNTIL (shows_text (chat_of (f), "First time."));
  g_assert_true (request_has (f, 1, "same-e2e --twice"));

  /* Written in the background, in effect at once. */
  WAIT_UNTIL (config_has (f, "\"command\" : \"echo same-e2e*\""));
  config = nb_test_read_file (f->config_path);
  g_assert_nonnull (strstr (config, "\"restrictToWorkspace\" : true"));
  g_assert_nonnull (strstr (config, "\"apiKey\" : \"sk-e2e\""));

  queue_call (f, "call_2", "exec", "{\"command\":\"echo same-e2e --again\"}");
  queue_text (f, "Second time.");
  type_and_send (f, "Echo it again");
  WAIT_UNTIL (shows_text (chat_of (f), "Second time."));
  g_assert_true (request_has (f, 3, "same-e2e --again"));
  g_assert_cmpuint (f->n_asked, ==, 1);
  WAIT_UNTIL (tool_card_showing (f, "Allowed by the rule exec") != NULL);
}

/* write_file: the card shows what changes in the file. */
static void
test_write_diff (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *notes = g_build_filename (f->workspace, "notes", NULL);
  g_autofree char *path = g_build_filename (notes, "list.txt", NULL);
  g_autofree char *after = NULL;
  GtkWidget *card;

  g_mkdir_with_parents (notes, 0700);
  nb_test_write_file (path, "apples\npears\nplums\n");
  queue_call (f, "call_w", "write_file",
              "{\"path\":\"notes/list.txt\",\"content\":\"apples\\nquinces\\nplums\\n\"}");
  queue_text (f, "Updated the list.");
  type_and_send (f, "Change the list");

  WAIT_UNTIL ((card = find_card (f)) != NULL);
  g_assert_true (shows_text (card, "Write this file?"));
  WAIT_UNTIL (shows_text (card, "- pears"));
  g_assert_true (shows_text (card, "+ quinces"));
  g_assert_true (shows_text (card, "+1 −1 lines"));
  g_assert_true (shows_text (card, "  apples"));
  /* The removed line comes first, and the whole diff is on screen. */
  {
    g_autoptr(GPtrArray) labels = g_ptr_array_new ();
    const char *text = NULL;

    collect (card, "GtkLabel", labels);
    for (guint i = 0; i < labels->len; i++)
      if (strstr (gtk_label_get_text (GTK_LABEL (g_ptr_array_index (labels, i))), "quinces") != NULL)
        {
          GtkWidget *label = g_ptr_array_index (labels, i);
          int natural;

          text = gtk_label_get_text (GTK_LABEL (label));
          gtk_widget_measure (label, GTK_ORIENTATION_VERTICAL, -1, NULL, &natural, NULL, NULL);
          wait_still (f, label);
          g_assert_cmpint (gtk_widget_get_height (gtk_widget_get_parent (gtk_widget_get_parent (label))), >=, natural);
        }
    g_assert_nonnull (text);
    g_assert_true (strstr (text, "- pears") < strstr (text, "+ quinces"));
  }

  if (g_getenv ("NB_SCREENSHOT_DIFF") != NULL)
    {
      g_autofree char *command = g_strdup_printf ("import -window root %s", g_getenv ("NB_SCREENSHOT_DIFF"));

      xdotool ("mousemove 0 0");
      for (guint i = 0; i < 20; i++)
        g_main_context_iteration (NULL, FALSE);
      g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
    }

  click_widget (f, find_button (card, "Allow Once"));
  WAIT_UNTIL (shows_text (chat_of (f), "Updated the list."));
  after = nb_test_read_file (path);
  g_assert_cmpstr (after, ==, "apples\nquinces\nplums\n");
}

/* Stop while a card waits: the card goes, the call is cancelled. */
static void
test_stop_while_waiting (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *card;

  queue_call (f, "call_s", "exec", "{\"command\":\"touch never\"}");
  type_and_send (f, "Wait for me");
  WAIT_UNTIL ((card = find_card (f)) != NULL);
  focus_window (f);
  xdotool ("key Escape");
  WAIT_UNTIL (find_card (f) == NULL);
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));
  WAIT_UNTIL (tool_card_showing (f, "cancelled") != NULL);
  g_assert_false (sidebar_marks_waiting (f));
}

static GtkWidget *
find_labelled (GtkWidget  *root,
               const char *type_name,
               const char *tooltip)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (root, type_name, found);
  for (guint i = 0; i < found->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (found, i)), tooltip) == 0)
      return g_ptr_array_index (found, i);
  return NULL;
}

static gboolean
config_has (Fixture    *f,
            const char *text)
{
  g_autofree char *config = nb_test_read_file (f->config_path);

  return strstr (config, text) != NULL;
}

static const char *
first_rule_tool (Fixture *f)
{
  static char tool[64];
  g_autofree char *text = nb_test_read_file (f->config_path);
  g_autoptr(JsonObject) config = nb_test_parse_object (text);
  JsonObject *tools = json_object_get_object_member (config, "tools");
  JsonObject *permissions = json_object_has_member (tools, "permissions")
                            ? json_object_get_object_member (tools, "permissions") : NULL;
  JsonArray *rules = permissions != NULL && json_object_has_member (permissions, "rules")
                     ? json_object_get_array_member (permissions, "rules") : NULL;

  if (rules == NULL || json_array_get_length (rules) == 0)
    return NULL;
  g_strlcpy (tool, json_object_get_string_member (json_array_get_object_element (rules, 0), "tool"), sizeof tool);
  return tool;
}

/* Preferences → Permissions: rules from config.json, reordered and deleted
 * there; the default; conversation grants revoked. */
static void
test_preferences_page (Fixture       *f,
                       gconstpointer  data)
{
  NbPermissions *permissions = nb_assistant_get_permissions (f->assistant);
  g_autoptr(JsonObject) initial = nb_test_parse_object ("{\"rules\":["
                                                        "{\"tool\":\"exec\",\"command\":\"git status*\",\"decision\":\"allow\"},"
                                                        "{\"tool\":\"write_file\",\"path\":\"notes/**\",\"decision\":\"allow\"}]}");
  g_autoptr(JsonObject) grant = nb_test_parse_object ("{\"tool\":\"exec\",\"command\":\"make*\"}");
  g_autoptr(GError) error = NULL;
  AdwPreferencesWindow *window;
  GtkWidget *page;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkWidget *revoke;

  g_autoptr(GAsyncResult) saved = NULL;

  nb_permissions_save_async (permissions, initial, NULL, nb_test_store_result_cb, &saved);
  nb_test_wait_result (&saved, 10000);
  g_assert_true (nb_permissions_save_finish (permissions, saved, &error));
  g_assert_no_error (error);
  nb_permissions_grant (permissions, "desktop:abc", grant);

  window = ADW_PREFERENCES_WINDOW (adw_preferences_window_new ());
  page = nb_permissions_page_new (permissions);
  adw_preferences_window_add (window, ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (page));

  collect (page, "AdwExpanderRow", rows);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_true (shows_text (page, "git status*"));
  g_assert_true (shows_text (page, "notes/**"));
  g_assert_true (shows_text (page, "desktop:abc"));

  /* Move the first rule down: the file's order changes. */
  /* (The rows are closed: their buttons are not realized, so "clicked"
   * is emitted, as a click would.) */
  g_signal_emit_by_name (find_labelled (g_ptr_array_index (rows, 0), "GtkButton", "Move Down"), "clicked");
  WAIT_UNTIL (g_strcmp0 (first_rule_tool (f), "write_file") == 0);
  /* Delete what is now the first. */
  g_ptr_array_set_size (rows, 0);
  WAIT_UNTIL ((g_ptr_array_set_size (rows, 0), collect (page, "AdwExpanderRow", rows), rows->len == 2 &&
               shows_text (g_ptr_array_index (rows, 0), "write_file")));
  g_signal_emit_by_name (find_labelled (g_ptr_array_index (rows, 0), "GtkButton", "Delete Rule"), "clicked");
  WAIT_UNTIL (!config_has (f, "write_file"));
  g_assert_true (config_has (f, "git status*"));
  WAIT_UNTIL ((g_ptr_array_set_size (rows, 0), collect (page, "AdwExpanderRow", rows), rows->len == 1));

  /* The default. */
  {
    g_autoptr(GPtrArray) combos = g_ptr_array_new ();

    /* The first is the default's; the others are the rules' decisions. */
    collect (page, "AdwComboRow", combos);
    adw_combo_row_set_selected (ADW_COMBO_ROW (g_ptr_array_index (combos, 0)), 3);
  }
  WAIT_UNTIL (config_has (f, "\"default\" : \"deny\""));
  g_assert_true (config_has (f, "\"apiKey\" : \"sk-e2e\""));

  /* Revoke the grant. */
  revoke = find_button (page, "Revoke");
  g_assert_nonnull (revoke);
  g_signal_emit_by_name (revoke, "clicked");
  g_assert_cmpuint (json_array_get_length (nb_permissions_get_grants (permissions)), ==, 0);
  WAIT_UNTIL (!shows_text (page, "desktop:abc"));

  /* A file that does not parse is not overwritten; the page says why. */
  {
    g_autoptr(GPtrArray) combos = g_ptr_array_new ();
    const char *broken = "{\"tools\": [oops\n";
    g_autofree char *text = NULL;

    nb_test_write_file (f->config_path, broken);
    collect (page, "AdwComboRow", combos);
    adw_combo_row_set_selected (ADW_COMBO_ROW (g_ptr_array_index (combos, 0)), 2);
    WAIT_UNTIL (shows_text (page, "Could not save the permissions"));
    g_assert_true (shows_text (page, "config.json:"));
    text = nb_test_read_file (f->config_path);
    g_assert_cmpstr (text, ==, broken);
    /* The page shows what the configuration still says. */
    WAIT_UNTIL (adw_combo_row_get_selected (ADW_COMBO_ROW (g_ptr_array_index (combos, 0))) == 3);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A sub-agent's call has no tool card in the conversation: its question
 * floats over the conversation that started the sub-agent. */
static void
test_subagent_card (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) arguments = nb_test_parse_object ("{\"command\":\"ls -la\"}");
  g_autoptr(JsonObject) rule = nb_test_parse_object ("{\"tool\":\"exec\",\"command\":\"ls*\",\"decision\":\"allow\"}");
  NbToolApprovalInfo info = {
    .call_id = "call_sub",
    .tool_name = "exec",
    .arguments = arguments,
    .agent_label = "tidy the notes",
    .command = "ls -la",
    .working_dir = f->workspace,
    .workspace = f->workspace,
    .suggested_rule = rule,
  };
  g_autoptr(NbToolApproval) approval = NULL;
  GtkWidget *card;

  /* A conversation with something in it (an empty one shows no list). */
  queue_text (f, "I started a sub-agent.");
  type_and_send (f, "Tidy my notes in the background");
  WAIT_UNTIL (shows_text (chat_of (f), "I started a sub-agent."));
  info.session_key = nb_session_get_key (nb_window_get_session (f->window));
  approval = nb_tool_approval_new (&info);
  nb_tool_approver_request (NB_TOOL_APPROVER (nb_assistant_get_approval_queue (f->assistant)), approval);
  WAIT_UNTIL ((card = find_card (f)) != NULL);
  g_assert_true (shows_text (card, "Asked by the sub-agent “tidy the notes”"));
  g_assert_true (shows_text (card, "ls -la"));
  g_assert_true (shows_text (card, "Not sandboxed"));
  click_widget (f, find_button (card, "Allow Once"));
  WAIT_UNTIL (!nb_tool_approval_is_pending (approval));
  g_assert_cmpint (nb_tool_approval_get_answer (approval), ==, NB_APPROVAL_ALLOW_ONCE);
  WAIT_UNTIL (find_card (f) == NULL);
}

/* Always Allow when config.json cannot be written (it was broken by
 * hand meanwhile): the call runs, the file stays as it is, and the window
 * says the rule was not saved. */
static void
test_always_allow_fails (Fixture       *f,
                         gconstpointer  data)
{
  const char *broken = "{\"agents\": [oops\n";
  g_autofree char *config = NULL;
  GtkWidget *card;

  queue_call (f, "call_1", "exec", "{\"command\":\"echo kept-e2e\"}");
  queue_text (f, "Ran it.");
  type_and_send (f, "Echo something");

  WAIT_UNTIL ((card = find_card (f)) != NULL);
  nb_test_write_file (f->config_path, broken);
  click_widget (f, find_button (card, "Always Allow…"));
  WAIT_UNTIL (gtk_widget_get_mapped (find_entry (card, 0)));
  click_widget (f, find_button (card, "Save Rule"));
  WAIT_UNTIL (shows_text (chat_of (f), "Ran it."));
  WAIT_UNTIL (shows_text (GTK_WIDGET (f->window), "The rule was not saved in config.json"));
  g_assert_true (shows_text (GTK_WIDGET (f->window), "config.json:"));
  config = nb_test_read_file (f->config_path);
  g_assert_cmpstr (config, ==, broken);
}

/* An MCP server named with "_": the card names the server and its tool
 * as the tool object knows them, and Always Allow offers the server's
 * prefix as tool names spell it. */
static void
test_mcp_card (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) arguments = nb_test_parse_object ("{\"id\":7}");
  g_autoptr(JsonObject) rule = nb_test_parse_object ("{\"tool\":\"mcp_my_server_do_thing\",\"decision\":\"allow\"}");
  NbToolApprovalInfo info = {
    .call_id = "call_mcp",
    .tool_name = "mcp_my_server_do_thing",
    .arguments = arguments,
    /* A sub-agent's call: its card floats, with no tool card to replace. */
    .agent_label = "helper",
    .workspace = f->workspace,
    .suggested_rule = rule,
    .mcp_server = "my_server",
    .mcp_tool = "do_thing",
  };
  g_autoptr(NbToolApproval) approval = NULL;
  GtkWidget *card;

  queue_text (f, "Hello.");
  type_and_send (f, "Hello");
  WAIT_UNTIL (shows_text (chat_of (f), "Hello."));
  info.session_key = nb_session_get_key (nb_window_get_session (f->window));
  approval = nb_tool_approval_new (&info);
  nb_tool_approver_request (NB_TOOL_APPROVER (nb_assistant_get_approval_queue (f->assistant)), approval);
  WAIT_UNTIL ((card = find_card (f)) != NULL);
  g_assert_true (shows_text (card, "Use do_thing of the server “my_server”?"));
  click_widget (f, find_button (card, "Always Allow…"));
  WAIT_UNTIL (gtk_widget_get_mapped (find_entry (card, 0)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_entry (card, 0))), ==, "mcp_my_server_do_thing");
  g_assert_true (shows_text (card, "mcp_my_server_* is every tool of “my_server”"));
  click_widget (f, find_button (card, "Allow Once"));
  WAIT_UNTIL (!nb_tool_approval_is_pending (approval));
  WAIT_UNTIL (find_card (f) == NULL);
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  g_autofree char *command = NULL;
  GtkWidget *card;

  if (path == NULL)
    {
      g_test_skip ("NB_SCREENSHOT is not set");
      return;
    }
  queue_call (f, "call_shot", "exec", "{\"command\":\"git status --short && make check\"}");
  type_and_send (f, "Check the build");
  WAIT_UNTIL ((card = find_card (f)) != NULL);
  xdotool ("mousemove 0 0");
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (300000);
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  click_widget (f, find_button (card, "Deny…"));
  WAIT_UNTIL (gtk_widget_get_mapped (find_entry (card, 1)));
  gtk_editable_set_text (GTK_EDITABLE (find_entry (card, 1)), "");
  click_widget (f, find_button (card, "Deny"));
  WAIT_UNTIL (find_card (f) == NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  int status;

  data_dir = nb_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", data_dir, TRUE);
  if (g_getenv ("NB_SCREENSHOT_DARK") != NULL)
    g_setenv ("ADW_DEBUG_COLOR_SCHEME", "prefer-dark", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* What NbApplication loads from its resource base path. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/io/github/nanobot/Nanobot/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  app = adw_application_new (APPLICATION_ID ".E2ePermissions", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add ("/e2e-permissions/exec-allow-once", Fixture, NULL, fixture_setup, test_exec_allow_once,
              fixture_teardown);
  g_test_add ("/e2e-permissions/exec-deny", Fixture, NULL, fixture_setup, test_exec_deny, fixture_teardown);
  g_test_add ("/e2e-permissions/always-allow", Fixture, NULL, fixture_setup, test_always_allow, fixture_teardown);
  g_test_add ("/e2e-permissions/write-diff", Fixture, NULL, fixture_setup, test_write_diff, fixture_teardown);
  g_test_add ("/e2e-permissions/stop-while-waiting", Fixture, NULL, fixture_setup, test_stop_while_waiting,
              fixture_teardown);
  g_test_add ("/e2e-permissions/subagent-card", Fixture, NULL, fixture_setup, test_subagent_card, fixture_teardown);
  g_test_add ("/e2e-permissions/preferences-page", Fixture, NULL, fixture_setup, test_preferences_page,
              fixture_teardown);
  g_test_add ("/e2e-permissions/screenshot", Fixture, NULL, fixture_setup, test_screenshot, fixture_teardown);
  g_test_add ("/e2e-permissions/always-allow-fails", Fixture, NULL, fixture_setup, test_always_allow_fails,
              fixture_teardown);
  g_test_add ("/e2e-permissions/mcp-card", Fixture, NULL, fixture_setup, test_mcp_card, fixture_teardown);

  status = g_test_run ();
  g_clear_object (&app);
  nb_test_rm_rf (data_dir);
  return status;
}
