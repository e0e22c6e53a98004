/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-sse"

#include "config.h"

#include <string.h>

#include "nb-sse-parser.h"

/* Event names we act on are short; a longer one is kept cut. */
#define MAX_EVENT_NAME 256

/**
 * nb_sse_parser_init:
 * @self: the parser to set up
 * @max_data: the most data bytes one event may hold
 */
void
nb_sse_parser_init (NbSseParser *self,
                    gsize        max_data)
{
  g_return_if_fail (self != NULL);

  self->event = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->has_data = FALSE;
  self->max_data = max_data;
}

/**
 * nb_sse_parser_clear:
 * @self: an initialised parser
 *
 * Frees what the parser holds; an unfinished event is dropped.
 */
void
nb_sse_parser_clear (NbSseParser *self)
{
  g_return_if_fail (self != NULL);

  if (self->event != NULL)
    g_string_free (g_steal_pointer (&self->event), TRUE);
  if (self->data != NULL)
    g_string_free (g_steal_pointer (&self->data), TRUE);
  self->has_data = FALSE;
}

/**
 * nb_sse_parser_dispatch:
 * @self: an initialised parser
 * @func: called with the event if it has data
 * @user_data: passed to @func
 * @error: return location for @func's error
 *
 * Ends the current event, as a blank line does: @func sees it if it had
 * any data line; the fields start afresh either way.
 *
 * Returns: what @func returned, %TRUE when it was not called
 */
gboolean
nb_sse_parser_dispatch (NbSseParser     *self,
                        NbSseEventFunc   func,
                        gpointer         user_data,
                        GError         **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (self->has_data)
    ok = func (self->event->len > 0 ? self->event->str : NULL,
               self->data->str, self->data->len, user_data, error);
  g_string_truncate (self->event, 0);
  g_string_truncate (self->data, 0);
  self->has_data = FALSE;
  return ok;
}

/**
 * nb_sse_parser_add_line:
 * @self: an initialised parser
 * @line: one line of the stream, without its line end
 * @length: the length of @line
 * @func: called when the line is blank and ends an event with data
 * @user_data: passed to @func
 * @error: return location for an error
 *
 * Takes the `data` and `event` fields; comments, `id`, `retry` and unknown
 * fields are passed over, as the SSE specification says.
 *
 * Returns: %FALSE with @error set when @func failed, or with
 *   %G_IO_ERROR_MESSAGE_TOO_LARGE when an event's data outgrew `max_data`
 */
gboolean
nb_sse_parser_add_line (NbSseParser     *self,
                        const char      *line,
                        gsize            length,
                        NbSseEventFunc   func,
                        gpointer         user_data,
                        GError         **error)
{
  const char *colon;
  const char *value;
  gsize name_length;
  gsize value_length;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL || length == 0, FALSE);

  if (length == 0)
    return nb_sse_parser_dispatch (self, func, user_data, error);
  if (line[0] == ':')
    return TRUE;

  colon = memchr (line, ':', length);
  name_length = colon != NULL ? (gsize) (colon - line) : length;
  value = colon != NULL ? colon + 1 : line + length;
  value_length = length - (gsize) (value - line);
  if (value_length > 0 && value[0] == ' ')
    {
      value++;
      value_length--;
    }

  if (name_length == 4 && memcmp (line, "data", 4) == 0)
    {
      if (self->has_data)
        g_string_append_c (self->data, '\n');
      if (self->data->len + value_length > self->max_data)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "An event is larger than %" G_GSIZE_FORMAT " bytes", self->max_data);
          return FALSE;
        }
      g_string_append_len (self->data, value, value_length);
      self->has_data = TRUE;
    }
  else if (name_length == 5 && memcmp (line, "event", 5) == 0)
    {
      g_string_truncate (self->event, 0);
      g_string_append_len (self->event, value, MIN (value_length, MAX_EVENT_NAME));
    }
  return TRUE;
}
