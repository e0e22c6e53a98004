/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "nb-chat-view.h"
#include "nb-composer.h"
#include "nb-fake-llm.h"
#include "nb-test-util.h"
#include "nb-window.h"

/*
 * The window end to end, as a user drives it: real key presses from
 * xdotool on the X server, the real assistant (agent, tools, session
 * store) and the real libsoup stack against a fake OpenAI-compatible
 * server on loopback. What is checked is what the user sees (widgets and
 * their text), what reached the server and what is in the session file.
 */

static AdwApplication *app;

typedef struct {
  char        *home;
  NbFakeLlm   *fake;
  NbAssistant *assistant;
  NbWindow    *window;
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

/* A real click in the middle of @widget. */
static void
click_widget (Fixture   *f,
              GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  graphene_point_t point;
  double dx, dy;
  g_autofree char *move = NULL;

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

static char *
sse (const char *json)
{
  return g_strdup_printf ("data: %s\n\n", json);
}

/* An OpenAI stream of @text, one chunk per word, @delay_ms apart. */
static void
queue_slow_text (Fixture    *f,
                 const char *text,
                 guint       delay_ms)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_auto(GStrv) words = g_strsplit (text, " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *piece = g_strdup_printf ("%s%s", words[i], words[i + 1] != NULL ? " " : "");
      g_autofree char *json = NULL;
      g_autofree char *event = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "choices");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, 0);
      json_builder_set_member_name (builder, "delta");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, piece);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json = json_generator_to_data (generator, NULL);
      event = sse (json);
      nb_fake_response_add_chunk (response, event, -1, i == 0 ? 0 : delay_ms);
    }
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                              "\"usage\":{\"prompt_tokens\":1200,\"completion_tokens\":40}}\n\n"
                              "data: [DONE]\n\n", -1, delay_ms);
}

static void
queue_tool_call (Fixture    *f,
                 const char *command)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_autofree char *arguments = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *event = NULL;

  arguments = g_strdup_printf ("{\"command\":\"%s\"}", command);
  escaped = g_strescape (arguments, NULL);
  event = g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":"
                           "[{\"index\":0,\"id\":\"call_e2e\",\"type\":\"function\",\"function\":"
                           "{\"name\":\"exec\",\"arguments\":\"%s\"}}]}}]}\n\n", escaped);
  nb_fake_response_add_chunk (response, event, -1, 0);
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                              "data: [DONE]\n\n", -1, 10);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *config_path = NULL;
  g_autofree char *config_text = NULL;
  g_autofree char *sessions = NULL;
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GError) error = NULL;

  f->home = nb_test_make_tmpdir ();
  f->fake = nb_fake_llm_new ();
  config_path = g_build_filename (f->home, "config.json", NULL);
  config_text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"e2e-model\",\"provider\":\"custom\","
                                 "\"workspace\":\"%s/workspace\"}},"
                                 "\"providers\":{\"custom\":{\"apiKey\":\"sk-e2e\",\"apiBase\":\"%s\"}},"
                                 /* Approval cards are test-e2e-permissions.c's. */
                                 "\"tools\":{\"permissions\":{\"default\":\"allow\"}}}",
                                 f->home, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (config_path, config_text);
  config = nb_config_load (config_path, &error);
  g_assert_no_error (error);

  sessions = g_build_filename (f->home, "sessions", NULL);
  f->assistant = nb_assistant_new_for_sessions (config, sessions);

  /* The window checks the provider with its models list at start. */
  nb_fake_llm_queue_body (f->fake, 200, "application/json",
                          "{\"data\":[{\"id\":\"e2e-model\"},{\"id\":\"e2e-model-large\"}]}");

  g_settings_set_string (settings, "last-conversation", "");
  f->window = g_object_ref (nb_window_new (GTK_APPLICATION (app), f->assistant));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (nb_window_get_session (f->window) != NULL && gtk_widget_get_mapped (GTK_WIDGET (f->window)));
  WAIT_UNTIL (nb_fake_llm_get_n_requests (f->fake) == 1);

  /* Ready to type: the composer has the keyboard focus. */
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

    g_assert_nonnull (focus);
    g_assert_true (gtk_widget_is_ancestor (focus, GTK_WIDGET (composer_of (f))));
  }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  GObject *weak = G_OBJECT (f->window);

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_object_unref (f->window);
  WAIT_UNTIL (weak == NULL);
  g_clear_object (&f->assistant);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->home);
  g_free (f->home);
}

static GPtrArray *
read_session_lines (Fixture *f)
{
  NbSession *session = nb_window_get_session (f->window);
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant),
                                                     nb_session_get_key (session));
  g_autofree char *text = nb_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      /* Metadata records are not messages. */
      if (json_object_has_member (json_node_get_object (json_parser_get_root (parser)), "_type"))
        continue;
      g_ptr_array_add (objects, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
    }
  return objects;
}

/* Type, Enter: the tool card shows the command, the reply streams in, the
 * session file holds the whole turn. */
static void
test_turn_with_tool (Fixture       *f,
                     gconstpointer  data)
{
  NbSession *session = nb_window_get_session (f->window);
  NbComposer *composer = composer_of (f);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();
  JsonObject *request;

  queue_tool_call (f, "echo hello-e2e");
  queue_slow_text (f, "The command printed hello-e2e and nothing else, so the shell works fine today.", 150);

  type_and_send (f, "Run echo for me");
  /* The composer turns into Stop and is empty again. */
  WAIT_UNTIL (nb_composer_get_running (composer));
  {
    g_autofree char *left = nb_composer_dup_text (composer);
    g_assert_cmpstr (left, ==, "");
  }

  /* The tool card, with the command as the model sent it. */
  WAIT_UNTIL ((g_ptr_array_set_size (cards, 0), collect (chat_of (f), "NbToolCard", cards), cards->len == 1));
  WAIT_UNTIL (shows_text (g_ptr_array_index (cards, 0), "echo hello-e2e"));

  /* The reply streams: part of it is on screen before the stream ends. */
  WAIT_UNTIL (shows_text (chat_of (f), "The command printed"));
  g_assert_true (nb_composer_get_running (composer));
  g_assert_false (shows_text (chat_of (f), "works fine today."));
  WAIT_UNTIL (!nb_composer_get_running (composer));
  WAIT_UNTIL (shows_text (chat_of (f), "works fine today."));

  /* What the server got: the user's words, then the tool's real output. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  request = nb_fake_llm_get_request_object (f->fake, 2);
  {
    JsonArray *messages = json_object_get_array_member (request, "messages");
    JsonObject *last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);

    g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "tool");
    g_assert_nonnull (strstr (json_object_get_string_member (last, "content"), "hello-e2e"));
  }

  /* The session file: user, assistant with the call, tool result, reply. */
  WAIT_UNTIL (nb_session_get_n_messages (session) == 4);
  lines = read_session_lines (f);
  g_assert_cmpuint (lines->len, ==, 4);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "content"), ==, "Run echo for me");
  g_assert_true (json_object_has_member (g_ptr_array_index (lines, 1), "tool_calls"));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 2), "role"), ==, "tool");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 3), "content"), ==,
                   "The command printed hello-e2e and nothing else, so the shell works fine today.");
}

/* Escape mid-stream stops the turn; the conversation keeps the user's
 * message and none of the cut reply. */
static void
test_stop_mid_stream (Fixture       *f,
                      gconstpointer  data)
{
  NbSession *session = nb_window_get_session (f->window);
  NbComposer *composer = composer_of (f);
  g_autoptr(GPtrArray) lines = NULL;

  queue_slow_text (f, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                      "fifteen sixteen seventeen eighteen nineteen twenty", 150);
  type_and_send (f, "Count slowly");

  WAIT_UNTIL (shows_text (chat_of (f), "two"));
  g_assert_true (nb_composer_get_running (composer));
  focus_window (f);
  xdotool ("key Escape");
  WAIT_UNTIL (!nb_composer_get_running (composer));
  g_assert_false (shows_text (chat_of (f), "twenty"));
  /* Stopped on purpose: no error, no Retry. */
  g_assert_false (shows_text (chat_of (f), "This message has no answer."));

  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 1);
  lines = read_session_lines (f);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "role"), ==, "user");

  /* The window is ready for the next message. */
  queue_slow_text (f, "Again at your service.", 10);
  type_and_send (f, "Hello again");
  WAIT_UNTIL (shows_text (chat_of (f), "Again at your service."));
  WAIT_UNTIL (!nb_composer_get_running (composer));
}

/* Ctrl+N starts a new conversation; a click in the sidebar goes back to
 * the first, which shows its own messages; the first is still there. */
static void
test_switch_conversations (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *first = g_strdup (nb_window_get_key (f->window));
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkWidget *first_row = NULL;

  queue_slow_text (f, "Answer in the first conversation.", 10);
  type_and_send (f, "First question");
  WAIT_UNTIL (shows_text (chat_of (f), "Answer in the first conversation."));
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));

  focus_window (f);
  xdotool ("key ctrl+n");
  WAIT_UNTIL (g_strcmp0 (nb_window_get_key (f->window), first) != 0 && nb_window_get_session (f->window) != NULL);
  g_assert_false (shows_text (chat_of (f), "Answer in the first conversation."));

  queue_slow_text (f, "Answer in the second one.", 10);
  type_and_send (f, "Second question");
  WAIT_UNTIL (shows_text (chat_of (f), "Answer in the second one."));
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));

  /* Both are listed, newest first; click the first conversation's row. */
  WAIT_UNTIL ((g_ptr_array_set_size (rows, 0),
               collect (find_one (GTK_WIDGET (f->window), "NbSidebar"), "NbConversationRow", rows),
               rows->len == 2));
  for (guint i = 0; i < rows->len; i++)
    if (shows_text (g_ptr_array_index (rows, i), "First question"))
      first_row = g_ptr_array_index (rows, i);
  g_assert_nonnull (first_row);
  click_widget (f, first_row);

  WAIT_UNTIL (g_strcmp0 (nb_window_get_key (f->window), first) == 0 && nb_window_get_session (f->window) != NULL);
  WAIT_UNTIL (shows_text (chat_of (f), "Answer in the first conversation."));
  g_assert_false (shows_text (chat_of (f), "Answer in the second one."));
}

/* A conversation whose answer failed in an earlier run ends with the
 * user's message: it offers Retry, and Retry answers that message once. */
static void
test_retry_unanswered (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant),
                                                     "desktop:0123456789ab");
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();
  g_autoptr(GPtrArray) lines = NULL;
  GtkWidget *retry = NULL;

  g_mkdir_with_parents (nb_session_store_get_dir (nb_assistant_get_session_store (f->assistant)), 0700);
  nb_test_write_file (path,
                      "{\"_type\":\"metadata\",\"key\":\"desktop:0123456789ab\",\"created_at\":\"2026-12-01T10:00:00\","
                      "\"updated_at\":\"2026-12-01T10:00:00\",\"metadata\":{},\"last_consolidated\":0}\n"
                      "{\"role\":\"user\",\"content\":\"Still there?\",\"timestamp\":\"2026-12-01T10:00:00\"}\n");
  nb_window_open_conversation (f->window, "desktop:0123456789ab");
  WAIT_UNTIL (nb_window_get_session (f->window) != NULL &&
              g_strcmp0 (nb_session_get_key (nb_window_get_session (f->window)), "desktop:0123456789ab") == 0);
  WAIT_UNTIL (shows_text (chat_of (f), "This message has no answer."));

  queue_slow_text (f, "Yes, I am here.", 10);
  WAIT_UNTIL ((g_ptr_array_set_size (buttons, 0), collect (chat_of (f), "GtkButton", buttons), TRUE));
  for (guint i = 0; i < buttons->len; i++)
    if (shows_text (g_ptr_array_index (buttons, i), "Retry"))
      retry = g_ptr_array_index (buttons, i);
  g_assert_nonnull (retry);
  WAIT_UNTIL (gtk_widget_get_width (retry) > 0);
  click_widget (f, retry);

  WAIT_UNTIL (shows_text (chat_of (f), "Yes, I am here."));
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));
  g_assert_false (shows_text (chat_of (f), "This message has no answer."));
  lines = read_session_lines (f);
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "content"), ==, "Still there?");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 1), "content"), ==, "Yes, I am here.");
}

/* The first mapped button under @root whose tooltip is @tooltip. */
static GtkWidget *
button_with_tooltip (GtkWidget  *root,
                     const char *tooltip)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (root, "GtkButton", buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);

      if (gtk_widget_get_mapped (button) && gtk_widget_get_width (button) > 0 &&
          g_strcmp0 (gtk_widget_get_tooltip_text (button), tooltip) == 0)
        return button;
    }
  return NULL;
}

/* Regenerate keeps the original conversation byte for byte and answers
 * again in a fork, which the window shows with the ‹ 2/2 › switcher; the
 * switcher goes back to the original. */
static void
test_regenerate_fork (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *original = NULL;
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GtkWidget *regenerate;
  GtkWidget *previous;

  queue_slow_text (f, "The first answer.", 10);
  type_and_send (f, "Tell me something");
  WAIT_UNTIL (shows_text (chat_of (f), "The first answer."));
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));
  original = g_strdup (nb_window_get_key (f->window));
  path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), original);
  before = nb_test_read_file (path);

  queue_slow_text (f, "A second answer.", 10);
  WAIT_UNTIL ((regenerate = button_with_tooltip (chat_of (f), "Regenerate")) != NULL);
  click_widget (f, regenerate);

  WAIT_UNTIL (g_strcmp0 (nb_window_get_key (f->window), original) != 0 && nb_window_get_session (f->window) != NULL);
  WAIT_UNTIL (shows_text (chat_of (f), "A second answer."));
  WAIT_UNTIL (!nb_composer_get_running (composer_of (f)));
  g_assert_false (shows_text (chat_of (f), "The first answer."));
  WAIT_UNTIL (shows_text (chat_of (f), "2/2"));

  /* The request answered the same question, once. */
  {
    JsonArray *messages = json_object_get_array_member (nb_fake_llm_get_request_object (f->fake, 2), "messages");
    JsonObject *last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);

    g_assert_cmpstr (json_object_get_string_member (last, "content"), ==, "Tell me something");
  }

  /* The original file was not touched. */
  after = nb_test_read_file (path);
  g_assert_cmpstr (after, ==, before);

  WAIT_UNTIL ((previous = button_with_tooltip (chat_of (f), "Previous Version")) != NULL);
  click_widget (f, previous);
  WAIT_UNTIL (g_strcmp0 (nb_window_get_key (f->window), original) == 0);
  WAIT_UNTIL (shows_text (chat_of (f), "The first answer."));
  WAIT_UNTIL (shows_text (chat_of (f), "1/2"));
}

/* The model menu lists the provider's models (from the list fetched at
 * start, no second request); the one picked is the conversation's, shown
 * in the header and sent with the next turn. */
static void
test_model_menu (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *button = button_with_tooltip (GTK_WIDGET (f->window), "Model of This Conversation");
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkWidget *popover;
  GtkWidget *large = NULL;
  g_autofree char *model = NULL;

  if (button == NULL)
    {
      g_autoptr(GPtrArray) menus = g_ptr_array_new ();

      collect (GTK_WIDGET (f->window), "GtkMenuButton", menus);
      for (guint i = 0; i < menus->len; i++)
        if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (menus, i)), "Model of This Conversation") == 0)
          button = g_ptr_array_index (menus, i);
    }
  g_assert_nonnull (button);
  /* Shown once the leaflet knows it is not folded. */
  WAIT_UNTIL (shows_text (button, "e2e-model") && gtk_widget_get_width (button) > 0);
  click_widget (f, button);

  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  WAIT_UNTIL (gtk_widget_get_mapped (popover));
  WAIT_UNTIL ((g_ptr_array_set_size (rows, 0), collect (popover, "GtkListBoxRow", rows), rows->len == 2));
  for (guint i = 0; i < rows->len; i++)
    if (shows_text (g_ptr_array_index (rows, i), "e2e-model-large"))
      large = g_ptr_array_index (rows, i);
  g_assert_nonnull (large);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);
  gtk_widget_activate (large);

  WAIT_UNTIL (!gtk_widget_get_mapped (popover));
  g_assert_true (shows_text (button, "e2e-model-large"));
  model = nb_assistant_dup_session_model (f->assistant, nb_window_get_session (f->window));
  g_assert_cmpstr (model, ==, "e2e-model-large");

  queue_slow_text (f, "Answered by the large one.", 10);
  type_and_send (f, "Which model?");
  WAIT_UNTIL (shows_text (chat_of (f), "Answered by the large one."));
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 1), "model"), ==,
                   "e2e-model-large");
}

/* A 1×1 PNG. */
static const guchar png_pixel[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
  0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xdf, 0xc0, 0xf0,
  0x1f, 0x00, 0x06, 0x80, 0x02, 0x7f, 0x10, 0x4c, 0x1b, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
  0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

/* An attached image reaches the request as an image part; the session
 * file keeps a placeholder, not the data. */
static void
test_image_attachment (Fixture       *f,
                       gconstpointer  data)
{
  NbComposer *composer = composer_of (f);
  g_autofree char *path = g_build_filename (f->home, "pixel.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  const NbFakeRequest *request;
  g_autofree char *expected = NULL;
  g_autofree char *base64 = g_base64_encode (png_pixel, sizeof png_pixel);

  g_file_set_contents (path, (const char *) png_pixel, sizeof png_pixel, &error);
  g_assert_no_error (error);
  nb_composer_add_attachment (composer, file);
  WAIT_UNTIL (shows_text (GTK_WIDGET (composer), "pixel.png"));

  queue_slow_text (f, "A single pixel.", 10);
  type_and_send (f, "What is in this picture?");
  WAIT_UNTIL (shows_text (chat_of (f), "A single pixel."));
  WAIT_UNTIL (!nb_composer_get_running (composer));
  g_assert_cmpuint (nb_composer_get_attachments (composer)->len, ==, 0);

  request = nb_fake_llm_get_request (f->fake, 1);
  expected = g_strdup_printf ("\"url\":\"data:image/png;base64,%s\"", base64);
  g_assert_nonnull (strstr (request->body, expected));
  g_assert_nonnull (strstr (request->body, "What is in this picture?"));

  lines = read_session_lines (f);
  g_assert_cmpuint (lines->len, ==, 2);
  {
    g_autoptr(JsonGenerator) generator = json_generator_new ();
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), g_ptr_array_index (lines, 0));
    g_autofree char *line = NULL;

    json_generator_set_root (generator, node);
    line = json_generator_to_data (generator, NULL);
    g_assert_null (strstr (line, base64));
    g_assert_nonnull (strstr (line, "[image]"));
  }
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
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = adw_application_new (APPLICATION_ID ".E2e", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add ("/e2e/turn-with-tool", Fixture, NULL, fixture_setup, test_turn_with_tool, fixture_teardown);
  g_test_add ("/e2e/stop-mid-stream", Fixture, NULL, fixture_setup, test_stop_mid_stream, fixture_teardown);
  g_test_add ("/e2e/switch-conversations", Fixture, NULL, fixture_setup, test_switch_conversations, fixture_teardown);
  g_test_add ("/e2e/retry-unanswered", Fixture, NULL, fixture_setup, test_retry_unanswered, fixture_teardown);
  g_test_add ("/e2e/regenerate-fork", Fixture, NULL, fixture_setup, test_regenerate_fork, fixture_teardown);
  g_test_add ("/e2e/model-menu", Fixture, NULL, fixture_setup, test_model_menu, fixture_teardown);
  g_test_add ("/e2e/image-attachment", Fixture, NULL, fixture_setup, test_image_attachment, fixture_teardown);

  status = g_test_run ();
  g_clear_object (&app);
  nb_test_rm_rf (data_dir);
  return status;
}
