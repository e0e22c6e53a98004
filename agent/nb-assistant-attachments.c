/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-assistant-private.h"

/*
 * Turns with attachments. The files are read in a worker thread before the
 * turn starts, each bounded: only regular files, images (PNG, JPEG, GIF,
 * WebP, recognised by their first bytes) up to
 * NB_ASSISTANT_MAX_IMAGE_SIZE and UTF-8 text up to
 * NB_ASSISTANT_MAX_TEXT_SIZE. Images become OpenAI `image_url` parts with
 * a data: URL, before the text, as the Python nanobot sends them (every
 * provider translates these parts to its own format); text files are
 * inlined after the user's text in a fence named by the file. Anything
 * else, or a file that cannot be read, fails the whole request with an
 * error that names the file, and no turn starts, so nothing is lost.
 */

#define READ_CHUNK (64 * 1024)

typedef struct {
  char      *text;
  GPtrArray *files;  /* GFile */
} ReadData;

static void
read_data_free (ReadData *data)
{
  g_free (data->text);
  g_ptr_array_unref (data->files);
  g_free (data);
}

static const char *
sniff_image (const guint8 *data,
             gsize         len)
{
  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (len >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    return "image/jpeg";
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "image/gif";
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";
  return NULL;
}

static char *
file_display_name (GFile     *file,
                   GFileInfo *info)
{
  if (info != NULL && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME))
    return g_strdup (g_file_info_get_display_name (info));
  return g_file_get_basename (file);
}

static GError *
too_large_error (const char *name,
                 gboolean    as_text)
{
  g_autofree char *limit = g_format_size_full (as_text ? NB_ASSISTANT_MAX_TEXT_SIZE : NB_ASSISTANT_MAX_IMAGE_SIZE,
                                               G_FORMAT_SIZE_IEC_UNITS);

  if (as_text)
    /* Translators: “notes.txt” is too large to attach: text files can have at most 512.0 KiB */
    return g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        _("“%s” is too large to attach: text files can have at most %s"), name, limit);
  return g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                      _("“%s” is too large to attach: images can have at most %s"), name, limit);
}

/* The longest run of backticks in @text, so the fence around it can be
 * longer. */
static guint
longest_backtick_run (const char *text)
{
  guint longest = 0, run = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      run = *p == '`' ? run + 1 : 0;
      longest = MAX (longest, run);
    }
  return longest;
}

static void
append_text_file (GString    *out,
                  const char *name,
                  const char *text)
{
  guint fence = MAX (3, longest_backtick_run (text) + 1);

  if (out->len > 0)
    g_string_append (out, "\n\n");
  g_string_append_printf (out, "%s:\n", name);
  for (guint i = 0; i < fence; i++)
    g_string_append_c (out, '`');
  g_string_append_c (out, '\n');
  g_string_append (out, text);
  if (*text != '\0' && text[strlen (text) - 1] != '\n')
    g_string_append_c (out, '\n');
  for (guint i = 0; i < fence; i++)
    g_string_append_c (out, '`');
}

/* Reads @file and adds it to @images (a part) or @text. */
static gboolean
read_attachment (GFile         *file,
                 JsonArray     *images,
                 GString       *text,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;
  const char *image_type = NULL;
  gboolean sniffed = FALSE;
  gsize limit = NB_ASSISTANT_MAX_IMAGE_SIZE;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  name = file_display_name (file, info);
  if (info == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not attach “%s”: %s"), name, local_error->message);
      return FALSE;
    }

  /* A FIFO or a device would block the read or never end. */
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("“%s” is not a regular file and cannot be attached"), name);
      return FALSE;
    }
  if ((guint64) g_file_info_get_size (info) > NB_ASSISTANT_MAX_IMAGE_SIZE)
    {
      *error = too_large_error (name, FALSE);
      return FALSE;
    }

  stream = g_file_read (file, cancellable, &local_error);
  if (stream == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not read “%s”: %s"), name, local_error->message);
      return FALSE;
    }

  /* Read at most one byte over the limit of the kind the first bytes
   * tell; the file may have grown since it was measured. */
  for (;;)
    {
      gsize old_len = data->len;
      gssize n;

      g_byte_array_set_size (data, old_len + READ_CHUNK);
      n = g_input_stream_read (G_INPUT_STREAM (stream), data->data + old_len, READ_CHUNK,
                               cancellable, &local_error);
      if (n < 0)
        {
          g_set_error (error, local_error->domain, local_error->code,
                       _("Could not read “%s”: %s"), name, local_error->message);
          return FALSE;
        }
      g_byte_array_set_size (data, old_len + n);

      if (!sniffed && (data->len >= 16 || n == 0))
        {
          sniffed = TRUE;
          image_type = sniff_image (data->data, data->len);
          if (image_type == NULL)
            limit = NB_ASSISTANT_MAX_TEXT_SIZE;
          if ((guint64) g_file_info_get_size (info) > limit)
            {
              *error = too_large_error (name, image_type == NULL);
              return FALSE;
            }
        }
      if (data->len > limit)
        {
          *error = too_large_error (name, image_type == NULL);
          return FALSE;
        }
      if (n == 0)
        break;
    }

  if (image_type != NULL)
    {
      g_autofree char *base64 = g_base64_encode (data->data, data->len);
      g_autofree char *url = g_strconcat ("data:", image_type, ";base64,", base64, NULL);
      JsonObject *part = json_object_new ();
      JsonObject *image_url = json_object_new ();

      json_object_set_string_member (image_url, "url", url);
      json_object_set_string_member (part, "type", "image_url");
      json_object_set_object_member (part, "image_url", image_url);
      json_array_add_object_element (images, part);
      return TRUE;
    }

  /* Text: no NUL bytes, and UTF-8 or text by its name (then repaired). */
  if (memchr (data->data, '\0', data->len) == NULL)
    {
      g_autofree char *content_type = g_content_type_guess (name, data->data, data->len, NULL);
      g_autofree char *contents = NULL;

      if (g_utf8_validate ((const char *) data->data, data->len, NULL))
        contents = g_strndup ((const char *) data->data, data->len);
      else if (g_content_type_is_a (content_type, "text/plain"))
        contents = g_utf8_make_valid ((const char *) data->data, data->len);

      if (contents != NULL)
        {
          append_text_file (text, name, contents);
          return TRUE;
        }
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("“%s” cannot be attached: only images (PNG, JPEG, GIF, WebP) and text files can"), name);
  return FALSE;
}

/**
 * nb_assistant_build_user_content:
 * @text: what the user typed
 * @files: (element-type GFile): the attachments
 * @cancellable: (nullable): stops the reading
 *
 * Reads @files and makes the content of the user message: a string when
 * there are no images, else an array of `image_url` parts followed by a
 * `text` part. Blocks on the files: call it in a worker thread.
 *
 * Returns: (transfer full): the content, or %NULL with @error set (its
 *   message names the file and is ready to show)
 */
JsonNode *
nb_assistant_build_user_content (const char    *text,
                                 GPtrArray     *files,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(JsonArray) images = json_array_new ();
  g_autoptr(GString) all_text = g_string_new (text);
  JsonNode *content;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (files != NULL, NULL);

  for (guint i = 0; i < files->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!read_attachment (g_ptr_array_index (files, i), images, all_text, cancellable, error))
        return NULL;
    }

  if (json_array_get_length (images) == 0)
    {
      content = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (content, all_text->str);
      return content;
    }

  if (all_text->len > 0)
    {
      JsonObject *part = json_object_new ();

      json_object_set_string_member (part, "type", "text");
      json_object_set_string_member (part, "text", all_text->str);
      json_array_add_object_element (images, part);
    }
  content = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (content, images);
  return content;
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadData *data = task_data;
  GError *error = NULL;
  JsonNode *content = nb_assistant_build_user_content (data->text, data->files, cancellable, &error);

  if (content == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, content, (GDestroyNotify) json_node_unref);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) run_task = user_data;
  g_autoptr(JsonNode) content = NULL;
  GError *error = NULL;

  content = g_task_propagate_pointer (G_TASK (result), &error);
  if (content == NULL)
    {
      g_task_return_error (run_task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (run_task))
    return;

  nb_assistant_run_task_set_content (run_task, content);
  nb_assistant_run_task_start (g_steal_pointer (&run_task));
}

/**
 * nb_assistant_run_with_attachments_async:
 * @session: the conversation
 * @input: what the user typed
 * @files: (element-type GFile) (nullable): the attachments; the caller
 *   may change the array afterwards
 * @cancellable: (nullable): stops reading the files and the turn
 *
 * nb_assistant_run_async() with files: images (PNG, JPEG, GIF, WebP) go
 * to the model as images before the text, text files are inlined after
 * it. The files are read in a worker thread first; if one cannot be
 * attached (not a regular file, too large, neither an image nor text,
 * unreadable) the result is an error naming it and no turn starts.
 * Slash commands take no attachments. Finish with
 * nb_assistant_run_finish().
 */
void
nb_assistant_run_with_attachments_async (NbAssistant         *self,
                                         NbSession           *session,
                                         const char          *input,
                                         GPtrArray           *files,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) run_task = NULL;
  g_autoptr(GTask) read_task = NULL;
  ReadData *data;

  g_return_if_fail (NB_IS_ASSISTANT (self));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (input != NULL);

  run_task = nb_assistant_run_task_new (self, session, input, cancellable, callback, user_data);
  if (files == NULL || files->len == 0)
    {
      nb_assistant_run_task_start (g_steal_pointer (&run_task));
      return;
    }

  if (nb_assistant_run_task_is_command (run_task))
    {
      g_task_return_new_error (run_task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Commands take no attachments: remove them, or send the command alone"));
      return;
    }

  data = g_new0 (ReadData, 1);
  data->text = g_strdup (input);
  data->files = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (data->files, g_object_ref (g_ptr_array_index (files, i)));

  read_task = g_task_new (self, cancellable, read_cb, g_steal_pointer (&run_task));
  g_task_set_source_tag (read_task, nb_assistant_run_with_attachments_async);
  g_task_set_task_data (read_task, data, (GDestroyNotify) read_data_free);
  g_task_run_in_thread (read_task, read_thread);
}
