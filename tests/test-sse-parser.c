/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-sse-parser.h"

typedef struct
{
  GPtrArray *events;  /* "event|data" */
  gboolean   fail;
} Seen;

static gboolean
record_cb (const char  *event,
           const char  *data,
           gsize        length,
           gpointer     user_data,
           GError     **error)
{
  Seen *seen = user_data;

  g_assert_cmpuint (strlen (data), ==, length);
  if (seen->fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "refused");
      return FALSE;
    }
  g_ptr_array_add (seen->events, g_strdup_printf ("%s|%s", event ? event : "(none)", data));
  return TRUE;
}

static gboolean
feed (NbSseParser  *parser,
      Seen         *seen,
      const char   *text,
      GError      **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (!nb_sse_parser_add_line (parser, lines[i], strlen (lines[i]), record_cb, seen, error))
      return FALSE;
  return TRUE;
}

static void
test_events (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Seen seen = { events, FALSE };
  NbSseParser parser;

  nb_sse_parser_init (&parser, 1024);
  g_assert_true (feed (&parser, &seen,
                       ": a comment\n"
                       "data: one\n"
                       "\n"
                       "event: delta\n"
                       "id: 7\n"
                       "retry: 100\n"
                       "data:two\n"
                       "data:  three\n"
                       "data\n"
                       "\n"
                       "event: ping\n"
                       "\n"
                       "data: after an event without data\n"
                       "\n"
                       "data: unfinished", &error));
  g_assert_no_error (error);

  /* Data lines are joined by "\n", one leading space is dropped, a field
   * without a colon is an empty value, and an event without data is not
   * dispatched and does not carry its name over. */
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpstr (events->pdata[0], ==, "(none)|one");
  g_assert_cmpstr (events->pdata[1], ==, "delta|two\n three\n");
  g_assert_cmpstr (events->pdata[2], ==, "(none)|after an event without data");

  /* The caller decides whether an unfinished event counts at the end. */
  g_assert_true (nb_sse_parser_dispatch (&parser, record_cb, &seen, &error));
  g_assert_cmpuint (events->len, ==, 4);
  g_assert_cmpstr (events->pdata[3], ==, "(none)|unfinished");
  g_assert_true (nb_sse_parser_dispatch (&parser, record_cb, &seen, &error));
  g_assert_cmpuint (events->len, ==, 4);

  nb_sse_parser_clear (&parser);
}

static void
test_limits (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *long_name = g_strnfill (1000, 'e');
  g_autofree char *line = g_strconcat ("event: ", long_name, NULL);
  Seen seen = { events, FALSE };
  NbSseParser parser;

  nb_sse_parser_init (&parser, 8);

  /* Exactly the limit fits, counting the "\n" between lines. */
  g_assert_true (feed (&parser, &seen, "data: abc\ndata: 1234\n\n", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (events->pdata[0], ==, "(none)|abc\n1234");

  g_assert_false (feed (&parser, &seen, "data: abc\ndata: 12345", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);

  /* A long event name is kept cut, not grown without bound. */
  g_assert_true (nb_sse_parser_dispatch (&parser, record_cb, &seen, &error));
  g_assert_true (nb_sse_parser_add_line (&parser, line, strlen (line), record_cb, &seen, &error));
  g_assert_cmpuint (parser.event->len, ==, 256);

  /* A failing callback stops the reading with its error. */
  seen.fail = TRUE;
  g_assert_false (feed (&parser, &seen, "data: x\n\n", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

  nb_sse_parser_clear (&parser);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse-parser/events", test_events);
  g_test_add_func ("/sse-parser/limits", test_limits);

  return g_test_run ();
}
