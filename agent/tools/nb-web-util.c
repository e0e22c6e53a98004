/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-web-util"

#include "config.h"

#include <string.h>

#include "nb-http.h"
#include "nb-web-util.h"

#define READ_CHUNK 16384

typedef struct
{
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *body;
  gsize         max_bytes;
  gboolean      truncated;
  gboolean      timed_out;
  guint         timeout_seconds;
  guint         timeout_id;
  GCancellable *cancellable;         /* ours */
  GCancellable *caller_cancellable;
  gulong        caller_handler;
} ReadData;

static void
read_data_free (ReadData *data)
{
  g_assert (data->timeout_id == 0 && data->caller_handler == 0);
  if (data->stream != NULL)
    g_input_stream_close_async (data->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&data->stream);
  g_clear_object (&data->message);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->caller_cancellable);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_free (data);
}

static void
read_done (GTask  *task,
           GError *error)
{
  ReadData *data = g_task_get_task_data (task);

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (data->caller_handler != 0)
    {
      g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
      data->caller_handler = 0;
    }

  if (error == NULL)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&data->body)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (data->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timed out after %u seconds",
                           data->timeout_seconds);
    }
  else if (g_cancellable_is_cancelled (data->caller_cancellable))
    {
      g_clear_error (&error);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
    }
  g_task_return_error (task, error);
}

static void
read_chunk_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;
  gsize len;
  const guint8 *chunk;

  g_assert (G_IS_INPUT_STREAM (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      read_done (task, error);
      return;
    }

  chunk = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      read_done (task, NULL);
      return;
    }

  g_byte_array_append (data->body, chunk, len);
  if (data->body->len > data->max_bytes)
    {
      /* Enough: the rest of the body is never read. */
      g_byte_array_set_size (data->body, data->max_bytes);
      data->truncated = TRUE;
      read_done (task, NULL);
      return;
    }

  g_input_stream_read_bytes_async (data->stream, MIN (READ_CHUNK, data->max_bytes - data->body->len + 1),
                                   G_PRIORITY_DEFAULT, data->cancellable,
                                   read_chunk_cb, g_steal_pointer (&task));
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  g_assert (SOUP_IS_SESSION (source));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (G_IS_TASK (task));

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      read_done (task, error);
      return;
    }

  g_input_stream_read_bytes_async (data->stream, MIN (READ_CHUNK, data->max_bytes + 1),
                                   G_PRIORITY_DEFAULT, data->cancellable,
                                   read_chunk_cb, g_steal_pointer (&task));
}

static gboolean
timeout_cb (gpointer user_data)
{
  ReadData *data = user_data;

  g_assert (data != NULL);

  data->timeout_id = 0;
  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  g_assert (G_IS_CANCELLABLE (caller));
  g_assert (G_IS_CANCELLABLE (user_data));

  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/**
 * nb_web_read_async:
 * @message: the request; its status and headers are set when this finishes
 * @max_bytes: at most this much of the body is read
 * @timeout_seconds: the whole exchange (connect, headers, body) must fit in this
 * @cancellable: (nullable): cancels the request
 *
 * Sends @message on the shared session and reads its body, whatever the
 * status. A body over @max_bytes is cut there (see @truncated in finish).
 * Failures: G_IO_ERROR_TIMED_OUT, G_IO_ERROR_CANCELLED, or the network error.
 */
void
nb_web_read_async (SoupMessage         *message,
                   gsize                max_bytes,
                   guint                timeout_seconds,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadData *data;

  g_return_if_fail (SOUP_IS_MESSAGE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_web_read_async);
  data = g_new0 (ReadData, 1);
  data->message = g_object_ref (message);
  data->body = g_byte_array_new ();
  data->max_bytes = max_bytes;
  data->timeout_seconds = timeout_seconds;
  data->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);

  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                    g_object_ref (data->cancellable), g_object_unref);
    }
  data->timeout_id = g_timeout_add_seconds (timeout_seconds, timeout_cb, data);

  soup_session_send_async (nb_http_get_session (), message, G_PRIORITY_DEFAULT, data->cancellable,
                           send_cb, g_steal_pointer (&task));
}

/**
 * nb_web_read_finish:
 * @truncated: (out) (optional): whether the body was cut at max_bytes
 *
 * Returns: (transfer full): the body
 */
GBytes *
nb_web_read_finish (GAsyncResult  *result,
                    gboolean      *truncated,
                    GError       **error)
{
  ReadData *data = g_task_get_task_data (G_TASK (result));

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (truncated != NULL)
    *truncated = data->truncated;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * nb_web_normalize_ws:
 * @text: plain text
 *
 * Collapses runs of blanks to one space and of blank lines to one.
 *
 * Returns: (transfer full): the text
 */
char *
nb_web_normalize_ws (const char *text)
{
  g_autoptr(GRegex) blanks = g_regex_new ("[ \\t\\r\\f\\v]+", 0, 0, NULL);
  g_autoptr(GRegex) lines = g_regex_new ("\\n[ ]*(?:\\n[ ]*){2,}", 0, 0, NULL);
  g_autofree char *spaced = g_regex_replace_literal (blanks, text, -1, 0, " ", 0, NULL);
  g_autofree char *joined = g_regex_replace_literal (lines, spaced, -1, 0, "\n\n", 0, NULL);

  return g_strstrip (g_steal_pointer (&joined));
}

static void
append_entity (GString    *out,
               const char *name,
               gsize       len)
{
  static const struct { const char *name; const char *text; } entities[] = {
    { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
    { "nbsp", " " }, { "hellip", "…" }, { "mdash", "—" }, { "ndash", "–" },
    { "laquo", "«" }, { "raquo", "»" }, { "copy", "©" },
  };

  if (len > 1 && name[0] == '#')
    {
      gboolean hex = name[1] == 'x' || name[1] == 'X';
      g_autofree char *digits = g_strndup (name + (hex ? 2 : 1), len - (hex ? 2 : 1));
      char *end = NULL;
      guint64 code = g_ascii_strtoull (digits, &end, hex ? 16 : 10);

      if (end != NULL && *end == '\0' && digits[0] != '\0' && code > 0 && code <= 0x10FFFF &&
          g_unichar_validate ((gunichar) code))
        {
          g_string_append_unichar (out, (gunichar) code);
          return;
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    if (strlen (entities[i].name) == len && strncmp (entities[i].name, name, len) == 0)
      {
        g_string_append (out, entities[i].text);
        return;
      }
  g_string_append_c (out, '&');
  g_string_append_len (out, name, len);
  g_string_append_c (out, ';');
}

/**
 * nb_web_strip_tags:
 * @html: a snippet of HTML, as search engines put in titles and snippets
 *
 * Removes tags (and script/style bodies), decodes entities and normalises
 * whitespace.
 *
 * Returns: (transfer full): plain text
 */
char *
nb_web_strip_tags (const char *html)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = html;

  while (*p != '\0')
    {
      if (*p == '<')
        {
          const char *end = strchr (p, '>');

          if (end == NULL)
            break;
          if (g_ascii_strncasecmp (p, "<script", 7) == 0 || g_ascii_strncasecmp (p, "<style", 6) == 0)
            {
              g_autofree char *closing = g_strconcat ("</", p[2] == 'c' || p[2] == 'C' ? "script" : "style", NULL);
              gsize closing_len = strlen (closing);
              const char *close = end;

              while (*close != '\0' && g_ascii_strncasecmp (close, closing, closing_len) != 0)
                close++;
              if (*close == '\0')
                break;
              end = strchr (close, '>');
              if (end == NULL)
                break;
            }
          p = end + 1;
        }
      else if (*p == '&')
        {
          const char *semi = p + 1;

          while (g_ascii_isalnum (*semi) || *semi == '#')
            semi++;
          if (*semi == ';' && semi > p + 1)
            {
              append_entity (out, p + 1, semi - p - 1);
              p = semi + 1;
            }
          else
            g_string_append_c (out, *p++);
        }
      else
        g_string_append_c (out, *p++);
    }

  if (!g_utf8_validate (out->str, out->len, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (out->str, out->len);

      return nb_web_normalize_ws (valid);
    }
  return nb_web_normalize_ws (out->str);
}
