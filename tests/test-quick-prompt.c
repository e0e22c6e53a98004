/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "nb-conversation-list.h"
#include "nb-fake-llm.h"
#include "nb-quick-prompt.h"
#include "nb-test-util.h"

/* The quick prompt in this process, against NbFakeLlm: Enter asks in a
 * quick:<id> conversation that the sidebar's list shows, the reply
 * streams into the chat view below (markdown rendered), "Continue in
 * Chat" names the conversation to app.open-conversation, Escape hides
 * it, and shown again it starts afresh. With NB_SCREENSHOT_DIR set it
 * also saves quick-prompt-light.png and quick-prompt-dark.png there. */

#define TIMEOUT_MS 20000

static AdwApplication *app;
static char *opened_key;

typedef struct {
  char          *home;
  NbFakeLlm     *fake;
  NbAssistant   *assistant;
  NbQuickPrompt *prompt;
} Fixture;

#define WAIT_UNTIL(cond)                                                     \
  G_STMT_START {                                                             \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_MS * 1000;          \
    while (!(cond))                                                          \
      {                                                                      \
        if (g_get_monotonic_time () > deadline_)                             \
          g_error ("Timed out waiting for %s", #cond);                       \
        g_main_context_iteration (NULL, FALSE);                              \
        g_usleep (1000);                                                     \
      }                                                                      \
  } G_STMT_END

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  g_free (opened_key);
  opened_key = g_variant_dup_string (parameter, NULL);
}

static void
queue_reply (Fixture    *f,
             const char *first,
             const char *second)
{
  NbFakeResponse *response = nb_fake_llm_queue (f->fake, 200, "text/event-stream");
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *escaped_one = g_strescape (first, NULL);
  g_autofree char *escaped_two = g_strescape (second, NULL);

  one = g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", escaped_one);
  two = g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", escaped_two);
  nb_fake_response_add_chunk (response, one, -1, 0);
  /* The second half comes later: the first is on screen meanwhile. */
  nb_fake_response_add_chunk (response, two, -1, 400);
  nb_fake_response_add_chunk (response,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
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
  g_autoptr(GError) error = NULL;

  f->home = nb_test_make_tmpdir ();
  f->fake = nb_fake_llm_new ();
  config_path = g_build_filename (f->home, "config.json", NULL);
  config_text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"quick-model\",\"provider\":\"custom\","
                                 "\"workspace\":\"%s/workspace\"}},"
                                 "\"providers\":{\"custom\":{\"apiKey\":\"sk-quick\",\"apiBase\":\"%s\"}}}",
                                 f->home, nb_fake_llm_get_url (f->fake));
  nb_test_write_file (config_path, config_text);
  config = nb_config_load (config_path, &error);
  g_assert_no_error (error);
  sessions = g_build_filename (f->home, "sessions", NULL);
  f->assistant = nb_assistant_new_for_sessions (config, sessions);
  /* The sidebar's list, loaded as the window would. */
  nb_assistant_get_conversations (f->assistant);

  f->prompt = g_object_ref (nb_quick_prompt_new (GTK_APPLICATION (app), f->assistant));
  g_clear_pointer (&opened_key, g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  GObject *weak = G_OBJECT (f->prompt);

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  gtk_window_destroy (GTK_WINDOW (f->prompt));
  g_object_unref (f->prompt);
  WAIT_UNTIL (weak == NULL);
  g_clear_object (&f->assistant);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->home);
  g_free (f->home);
}

static void
collect_labels (GtkWidget *widget,
                GString   *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget))
    {
      g_string_append (text, gtk_label_get_text (GTK_LABEL (widget)));
      g_string_append_c (text, '\n');
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, text);
}

/* The text the user sees in the window's drawn labels. */
static char *
shown_text (Fixture *f)
{
  GString *text = g_string_new (NULL);

  collect_labels (GTK_WIDGET (f->prompt), text);
  return g_string_free (text, FALSE);
}

static gboolean
shows (Fixture    *f,
       const char *needle)
{
  g_autofree char *text = shown_text (f);

  return strstr (text, needle) != NULL;
}

static GtkText *
entry_of (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->prompt));

  g_assert_true (GTK_IS_TEXT (focus));
  return GTK_TEXT (focus);
}

static void
save_screenshot (Fixture    *f,
                 const char *name)
{
  const char *dir = g_getenv ("NB_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    return;
  paintable = gtk_widget_paintable_new (GTK_WIDGET (f->prompt));
  width = gtk_widget_get_width (GTK_WIDGET (f->prompt));
  height = gtk_widget_get_height (GTK_WIDGET (f->prompt));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  renderer = gtk_native_get_renderer (GTK_NATIVE (f->prompt));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s", path);
}

static void
test_ask (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *key = NULL;

  queue_reply (f, "Paris is the **capital** of France.\n\n- population: 2.1 million\n",
               "- river: the `Seine`\n\nAnything else?");
  nb_quick_prompt_present (f->prompt);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->prompt)));
  g_assert_null (nb_quick_prompt_get_key (f->prompt));

  /* Enter in the entry asks. */
  gtk_editable_set_text (GTK_EDITABLE (entry_of (f)), "What is the capital of France?");
  g_signal_emit_by_name (entry_of (f), "activate");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry_of (f))), ==, "");
  g_assert_true (nb_quick_prompt_get_running (f->prompt));

  /* The first half of the reply is on screen while the rest streams;
   * markdown rendered (no asterisks). */
  WAIT_UNTIL (shows (f, "capital of France"));
  g_assert_true (nb_quick_prompt_get_running (f->prompt));
  g_assert_false (shows (f, "**capital**"));
  WAIT_UNTIL (!nb_quick_prompt_get_running (f->prompt));
  WAIT_UNTIL (shows (f, "Anything else?"));
  g_assert_true (shows (f, "What is the capital of France?"));

  key = g_strdup (nb_quick_prompt_get_key (f->prompt));
  g_assert_nonnull (key);
  g_assert_true (g_str_has_prefix (key, "quick:"));
  g_assert_cmpuint (strlen (key), ==, strlen ("quick:") + 12);
  /* The sidebar lists it. */
  WAIT_UNTIL (nb_conversation_list_lookup (NB_CONVERSATION_LIST (nb_assistant_get_conversations (f->assistant)),
                                           key) != NULL);

  if (g_getenv ("NB_SCREENSHOT_DIR") != NULL)
    {
      AdwStyleManager *style = adw_style_manager_get_default ();

      for (guint i = 0; i < 20; i++)
        g_main_context_iteration (NULL, FALSE), g_usleep (10000);
      save_screenshot (f, "quick-prompt-light.png");
      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
      for (guint i = 0; i < 20; i++)
        g_main_context_iteration (NULL, FALSE), g_usleep (10000);
      save_screenshot (f, "quick-prompt-dark.png");
      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
    }

  /* Continue in Chat: the conversation goes to the main window. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->prompt), "quick.continue", NULL));
  g_assert_cmpstr (opened_key, ==, key);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->prompt)));

  /* Shown again: a new conversation. */
  nb_quick_prompt_present (f->prompt);
  g_assert_null (nb_quick_prompt_get_key (f->prompt));
  g_assert_false (shows (f, "Anything else?"));
}

static void
test_escape_hides (Fixture       *f,
                   gconstpointer  data)
{
  nb_quick_prompt_present (f->prompt);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->prompt)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->prompt)));
  /* Nothing to ask: Enter on an empty entry does nothing. */
  g_signal_emit_by_name (entry_of (f), "activate");
  g_assert_false (nb_quick_prompt_get_running (f->prompt));
  g_assert_null (nb_quick_prompt_get_key (f->prompt));

  /* Escape is the window's binding: hide, not destroy (showing it again
   * must be instant). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->prompt), "window.close", NULL));
  WAIT_UNTIL (!gtk_widget_get_visible (GTK_WIDGET (f->prompt)));
  g_assert_nonnull (gtk_window_get_application (GTK_WINDOW (f->prompt)));
}

int
main (int   argc,
      char *argv[])
{
  static const GActionEntry entries[] = {
    { "open-conversation", open_conversation_action, "s" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  int status;

  data_dir = nb_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", data_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* The application's resource path: its icons, as in Nanobot. */
  app = g_object_new (ADW_TYPE_APPLICATION,
                      "application-id", APPLICATION_ID ".QuickPrompt",
                      "flags", G_APPLICATION_NON_UNIQUE,
                      "resource-base-path", "/io/github/nanobot/Nanobot",
                      NULL);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), NULL);

  g_test_add ("/quick-prompt/ask", Fixture, NULL, fixture_setup, test_ask, fixture_teardown);
  g_test_add ("/quick-prompt/escape-hides", Fixture, NULL, fixture_setup, test_escape_hides, fixture_teardown);

  status = g_test_run ();
  g_clear_object (&app);
  g_clear_pointer (&opened_key, g_free);
  nb_test_rm_rf (data_dir);
  return status;
}
