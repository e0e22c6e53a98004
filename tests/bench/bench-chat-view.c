/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb-chat-view.h"
#include "nb-markdown-document.h"

/* NbChatView in a shown window (needs a display; build-aux/test
 * --benchmark runs Xvfb):
 *  - a 5 000-message conversation (user questions, replies with tool
 *    calls and results, code blocks and tables): time from set_session()
 *    to the first frame drawn, and the RSS it adds to an empty view;
 *  - switching between two such conversations, each already shown once;
 *  - a ~20 000-token markdown reply streamed into the session in 5-token
 *    (20-byte) deltas every 2 ms: main-loop time per delta and how long
 *    after the stream's end the whole text is shown. */

#define N_MESSAGES    5000
#define DELTA_BYTES   20
#define DELTA_USEC    2000
#define N_SWITCHES    20

static NbMessage *
message_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, json, -1, NULL))
    g_error ("bad JSON: %s", json);
  return nb_message_new_from_json (json_node_get_object (json_parser_get_root (parser)));
}

static NbSession *
make_conversation (const char *key)
{
  NbSession *session = nb_session_new (key);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; messages->len < N_MESSAGES; i++)
    {
      g_autofree char *user = g_strdup_printf ("{\"role\":\"user\",\"content\":\"Question %u: why does the build of module %u fail?\","
                                               "\"timestamp\":\"2026-02-20T14:03:05.000000\"}", i, i);
      g_autofree char *call = g_strdup_printf ("{\"role\":\"assistant\",\"content\":\"Let me check.\",\"timestamp\":\"2026-02-20T14:03:06.000000\","
                                               "\"tool_calls\":[{\"id\":\"x%u\",\"type\":\"function\",\"function\":{\"name\":\"exec\","
                                               "\"arguments\":\"{\\\"command\\\":\\\"meson compile -C _build module%u\\\"}\"}},"
                                               "{\"id\":\"e%u\",\"type\":\"function\",\"function\":{\"name\":\"edit_file\","
                                               "\"arguments\":\"{\\\"path\\\":\\\"src/m%u.c\\\",\\\"old_text\\\":\\\"int a;\\\\nint b;\\\",\\\"new_text\\\":\\\"int a;\\\\nlong b;\\\"}\"}}]}",
                                               i, i, i, i);
      g_autofree char *result1 = g_strdup_printf ("{\"role\":\"tool\",\"tool_call_id\":\"x%u\",\"name\":\"exec\",\"content\":\"[1/2] Compiling\\n"
                                                  "error: b undeclared\\nExit code: 1\",\"timestamp\":\"2026-02-20T14:03:07.500000\"}", i);
      g_autofree char *result2 = g_strdup_printf ("{\"role\":\"tool\",\"tool_call_id\":\"e%u\",\"name\":\"edit_file\",\"content\":"
                                                  "\"Successfully edited src/m%u.c\",\"timestamp\":\"2026-02-20T14:03:07.600000\"}", i, i);
      g_autofree char *reply = g_strdup_printf ("{\"role\":\"assistant\",\"content\":\"## Fixed module %u\\n\\nThe variable was declared with the "
                                                "wrong type. Here is the change:\\n\\n```c\\nint a;\\nlong b = compute (a, %u);\\nreturn b;\\n```\\n\\n"
                                                "| File | Change |\\n|---|---|\\n| src/m%u.c | `int` → `long` |\\n| meson.build | none |\\n\\n"
                                                "- rebuilt **module %u**\\n- tests pass\\n\",\"timestamp\":\"2026-02-20T14:03:09.000000\"}",
                                                i, i, i, i);

      g_ptr_array_add (messages, message_from_json (user));
      g_ptr_array_add (messages, message_from_json (call));
      g_ptr_array_add (messages, message_from_json (result1));
      g_ptr_array_add (messages, message_from_json (result2));
      g_ptr_array_add (messages, message_from_json (reply));
    }
  nb_session_add_saved (session, messages);
  return session;
}

/* The streamed reply: as in bench-markdown-stream. */

static const char *words[] = {
  "the", "model", "streams", "tokens", "into", "a", "reply", "that", "grows", "while",
  "GTK", "draws", "each", "frame", "markdown", "blocks", "are", "parsed", "once", "and",
  "kept", "only", "open", "tail", "changes", "**bold**", "*emphasis*", "`inline_code()`",
  "[a link](https://example.org/docs)", "widgets", "labels", "wrap", "layout", "cost",
};

static void
append_prose (GString *out,
              GRand   *rand,
              guint    n_words)
{
  for (guint i = 0; i < n_words; i++)
    {
      g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      g_string_append_c (out, i + 1 == n_words ? '.' : ' ');
      if (i % 17 == 16)
        g_string_append (out, ". ");
    }
  g_string_append (out, "\n\n");
}

static char *
make_reply (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  GString *out = g_string_new ("# A long answer\n\n");
  guint section = 0;

  while (out->len < 80000)
    {
      g_string_append_printf (out, "## Section %u\n\n", ++section);
      append_prose (out, rand, 90);
      append_prose (out, rand, 60);
      g_string_append (out, "- first point with *some* words\n  - nested detail\n- second point\n1. step one\n2. step two\n\n");
      append_prose (out, rand, 120);
      if (section == 3)
        g_string_append (out, "| Name | Kind | Size |\n|:-----|:----:|-----:|\n| alpha | label | 12 |\n| beta | grid | 3400 |\n\n");
      if (section == 2 || section == 6 || section == 10)
        {
          g_string_append (out, "```c\n");
          for (guint i = 0; i < 50 + section * 4; i++)
            g_string_append_printf (out, "%*sresult_%u = compute (input[%u], &state); /* step %u */\n", 2 * (i % 4), "", i, i, i);
          g_string_append (out, "```\n\n");
        }
    }
  return g_string_free (out, FALSE);
}

/* Helpers */

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  p)
{
  guint index;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_int64);
  index = MIN (values->len - 1, (guint) (p * values->len));
  return g_array_index (values, gint64, index) / 1000.0;
}

static double
rss_mb (void)
{
  g_autofree char *statm = NULL;
  long pages = 0, resident = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    sscanf (statm, "%ld %ld", &pages, &resident);
  return resident * (double) sysconf (_SC_PAGESIZE) / (1024 * 1024);
}

/* When the phases of the first frame after set_session() ended: update
 * (ticks), layout (measuring and binding rows), paint. */
typedef struct
{
  gint64 set;
  gint64 updated;
  gint64 laid_out;
  gint64 painted;
} FrameTimes;

static FrameTimes last_frame;

static void
after_update_cb (GdkFrameClock *clock,
                 FrameTimes    *times)
{
  if (times->updated == 0)
    times->updated = g_get_monotonic_time ();
}

static void
after_layout_cb (GdkFrameClock *clock,
                 FrameTimes    *times)
{
  if (times->laid_out == 0)
    times->laid_out = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                FrameTimes    *times)
{
  if (times->painted == 0)
    times->painted = g_get_monotonic_time ();
}

/* Calls set_session and returns the time until the next frame is drawn. */
static double
time_to_frame (GtkWidget  *window,
               NbChatView *view,
               NbSession  *session)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  FrameTimes times = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_signal_connect_after (clock, "update", G_CALLBACK (after_update_cb), &times);
  g_signal_connect_after (clock, "layout", G_CALLBACK (after_layout_cb), &times);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &times);
  nb_chat_view_set_session (view, session);
  times.set = g_get_monotonic_time () - start;
  while (times.painted == 0)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (clock, &times);
  times.updated -= start;
  times.laid_out -= start;
  times.painted -= start;
  last_frame = times;
  return times.painted / 1000.0;
}

static void
settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* Streaming */

typedef struct
{
  NbMessage *streaming;
  const char *text;
  gsize length;
  gsize sent;
  gint64 start;
  gint64 frame_start;
  GArray *append_usec;
  GArray *frame_usec;
  GArray *delta_usec;        /* per delta: its append + its share of the next frame */
  guint frame_first_delta;   /* the first delta not yet drawn */
  gint64 busy_usec;
  gboolean sending;
} Stream;

static gboolean
send_due (gpointer user_data)
{
  Stream *s = user_data;
  gint64 now = g_get_monotonic_time ();

  while (s->sent < s->length && s->start + (gint64) (s->sent / DELTA_BYTES) * DELTA_USEC <= now)
    {
      gsize n = MIN (DELTA_BYTES, s->length - s->sent);
      g_autofree char *delta = g_strndup (s->text + s->sent, n);
      gint64 t0 = g_get_monotonic_time (), dt;

      nb_message_append_text (s->streaming, delta);
      dt = g_get_monotonic_time () - t0;
      g_array_append_val (s->append_usec, dt);
      s->busy_usec += dt;
      s->sent += n;
    }
  if (s->sent < s->length)
    return G_SOURCE_CONTINUE;
  nb_message_flush_notify (s->streaming);
  s->sending = FALSE;
  return G_SOURCE_REMOVE;
}

static void
stream_before_paint (GdkFrameClock *clock,
                     Stream        *s)
{
  s->frame_start = g_get_monotonic_time ();
}

static void
stream_after_paint (GdkFrameClock *clock,
                    Stream        *s)
{
  gint64 work = g_get_monotonic_time () - s->frame_start;

  if (s->frame_start == 0 || s->start == 0)
    return;
  g_array_append_val (s->frame_usec, work);
  s->busy_usec += work;
  /* The frame drew the deltas sent since the last one: each gets its
   * append plus an equal share of the frame's work. */
  if (s->append_usec->len > s->frame_first_delta)
    {
      guint n = s->append_usec->len - s->frame_first_delta;

      for (guint i = s->frame_first_delta; i < s->append_usec->len; i++)
        {
          gint64 t = g_array_index (s->append_usec, gint64, i) + work / n;

          g_array_append_val (s->delta_usec, t);
        }
      s->frame_first_delta = s->append_usec->len;
    }
}

/* The row's parse of the streamed text is cached on the message. */
static gboolean
fully_shown (Stream *s)
{
  NbMarkdownDocument *document = g_object_get_qdata (G_OBJECT (s->streaming), g_quark_from_string ("nb-chat-markdown-text"));

  return document != NULL && strlen (nb_markdown_document_get_text (document)) == s->length;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NbSession) a = NULL;
  g_autoptr(NbSession) b = NULL;
  g_autoptr(NbSession) c = NULL;
  g_autofree char *reply = make_reply ();
  g_autoptr(GArray) switches = g_array_new (FALSE, FALSE, sizeof (gint64));
  GtkWidget *window;
  NbChatView *view;
  GdkFrameClock *clock;
  Stream s = { 0 };
  double rss_empty, rss_open, rss_loaded, first_a, first_b, duration_ms, lag_ms;
  gint64 shown = 0;
  FrameTimes first_phases;

  gtk_init ();
  adw_init ();

  window = gtk_window_new ();
  view = nb_chat_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 900);
  gtk_window_present (GTK_WINDOW (window));
  settle (500);
  rss_empty = rss_mb ();

  a = make_conversation ("desktop:a");
  b = make_conversation ("desktop:b");
  rss_loaded = rss_mb ();

  first_a = time_to_frame (window, view, a);
  first_phases = last_frame;
  settle (300);
  rss_open = rss_mb ();
  first_b = time_to_frame (window, view, b);
  settle (300);
  for (guint i = 0; i < N_SWITCHES; i++)
    {
      gint64 t = (gint64) (time_to_frame (window, view, i % 2 == 0 ? a : b) * 1000);

      g_array_append_val (switches, t);
      settle (50);
    }

  g_print ("conversation: %u messages (user, 2 tool calls + results, reply with code and a table)\n", N_MESSAGES);
  g_print ("renderer: %s\n", g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default");
  g_print ("set_session → first frame drawn: %.1f ms (first), %.1f ms (second conversation)\n", first_a, first_b);
  g_print ("  first: set_session %.1f ms, then until the end of: update %.1f ms, layout (binding rows) %.1f ms, paint %.1f ms\n",
           first_phases.set / 1000.0, first_phases.updated / 1000.0,
           first_phases.laid_out / 1000.0, first_phases.painted / 1000.0);
  g_print ("switching between the two: median %.1f ms  max %.1f ms  (%u switches)\n",
           percentile_ms (switches, 0.5), percentile_ms (switches, 1.0), N_SWITCHES);
  g_print ("RSS: empty view %.1f MB; two conversations loaded %.1f MB; one shown %.1f MB: +%.1f MB for showing it\n",
           rss_empty, rss_loaded, rss_open, rss_open - rss_loaded);

  /* Streaming into a shown conversation. */
  c = nb_session_new ("desktop:c");
  for (guint i = 0; i < 4; i++)
    nb_session_append (c, nb_message_new ("user", "Write a long answer"));
  time_to_frame (window, view, c);
  settle (200);
  s.text = reply;
  s.length = strlen (reply);
  s.append_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  s.frame_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  s.delta_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  s.streaming = nb_session_begin_streaming (c);
  clock = gtk_widget_get_frame_clock (window);
  g_signal_connect (clock, "before-paint", G_CALLBACK (stream_before_paint), &s);
  g_signal_connect_after (clock, "after-paint", G_CALLBACK (stream_after_paint), &s);
  settle (100);
  s.sending = TRUE;
  s.start = g_get_monotonic_time ();
  g_timeout_add (1, send_due, &s);
  while (s.sending || !fully_shown (&s))
    g_main_context_iteration (NULL, TRUE);
  shown = g_get_monotonic_time ();
  g_signal_handlers_disconnect_by_data (clock, &s);

  duration_ms = s.append_usec->len * DELTA_USEC / 1000.0;
  lag_ms = (shown - (s.start + (gint64) s.append_usec->len * DELTA_USEC)) / 1000.0;
  g_print ("stream: %" G_GSIZE_FORMAT " bytes (~%" G_GSIZE_FORMAT " tokens), %u deltas of %d bytes every %d ms\n",
           s.length, s.length / 4, s.append_usec->len, DELTA_BYTES, DELTA_USEC / 1000);
  g_print ("append per delta:               median %.3f ms  p99 %.3f ms\n",
           percentile_ms (s.append_usec, 0.5), percentile_ms (s.append_usec, 0.99));
  g_print ("frame (tick+layout+paint):      median %.2f ms  p99 %.2f ms  (%u frames)\n",
           percentile_ms (s.frame_usec, 0.5), percentile_ms (s.frame_usec, 0.99), s.frame_usec->len);
  g_print ("main loop per delta (append + its share of the frame that drew it): median %.3f ms  p99 %.3f ms  (%u deltas drawn)\n",
           percentile_ms (s.delta_usec, 0.5), percentile_ms (s.delta_usec, 0.99), s.delta_usec->len);
  g_print ("main loop per delta (all work / deltas): %.3f ms\n", s.busy_usec / 1000.0 / MAX (s.append_usec->len, 1));
  g_print ("stream %.0f ms; fully shown %.1f ms after its scheduled end (%.1f%% of the stream)\n",
           duration_ms, lag_ms, 100.0 * lag_ms / duration_ms);

  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (s.append_usec);
  g_array_unref (s.frame_usec);
  g_array_unref (s.delta_usec);
  return EXIT_SUCCESS;
}
