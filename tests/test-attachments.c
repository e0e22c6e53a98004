/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "nb-assistant.h"
#include "nb-fake-llm.h"
#include "nb-test-util.h"

/*
 * Turns with attachments through NbAssistant, against the fake server in
 * each wire format: an image reaches the request as the provider's image
 * (OpenAI image_url data URL, Anthropic base64 image block, Ollama
 * "images"), the session file keeps "[image]" instead of the data, a text
 * file is inlined with its name, and files that cannot be attached (too
 * large, a FIFO, binary) fail with an error naming them before any request
 * is made.
 */

/* A 1×1 PNG. */
#define PIXEL_PNG_BASE64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

typedef enum {
  WIRE_OPENAI,
  WIRE_ANTHROPIC,
  WIRE_OLLAMA,
} Wire;

typedef struct {
  Wire         wire;
  char        *dir;
  char        *workspace;
  char        *config_path;
  NbFakeLlm   *fake;
  NbConfig    *config;
  NbAssistant *assistant;
  NbSession   *session;
} Fixture;

static void
write_config (Fixture *f)
{
  const char *url = nb_fake_llm_get_url (f->fake);
  g_autofree char *provider = NULL;
  g_autofree char *text = NULL;
  const char *model = NULL;
  const char *name = NULL;

  switch (f->wire)
    {
    case WIRE_OPENAI:
      name = "openai";
      model = "gpt-test";
      provider = g_strdup_printf ("{\"apiKey\":\"sk-test\",\"apiBase\":\"%s\"}", url);
      break;
    case WIRE_ANTHROPIC:
      name = "anthropic";
      model = "claude-test";
      provider = g_strdup_printf ("{\"apiKey\":\"sk-ant-test\",\"apiBase\":\"%s\"}", url);
      break;
    case WIRE_OLLAMA:
    default:
      name = "ollama";
      model = "llava-test";
      provider = g_strdup_printf ("{\"apiBase\":\"%s\"}", url);
      break;
    }
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"%s\",\"provider\":\"%s\","
                          "\"workspace\":\"%s\"}},\"providers\":{\"%s\":%s}}",
                          model, name, f->workspace, name, provider);
  nb_test_write_file (f->config_path, text);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->wire = GPOINTER_TO_INT (data);
  f->dir = nb_test_make_tmpdir ();
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->fake = nb_fake_llm_new ();
  write_config (f);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);
  f->assistant = nb_assistant_new_for_sessions (f->config, sessions);

  nb_assistant_open_session_async (f->assistant, "desktop:test", NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  f->session = nb_assistant_open_session_finish (f->assistant, result, &error);
  g_assert_no_error (error);
}

static void
gone_cb (gpointer  data,
         GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
  /* The last reference may go in a worker thread (a GTask's), while
   * the main thread sleeps in poll(): wake it to see the flag. */
  g_main_context_wakeup (NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean gone = FALSE;

  nb_assistant_cancel_background (f->assistant);
  nb_assistant_close_async (f->assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 40000);
  g_assert_true (nb_assistant_close_finish (f->assistant, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);  /* it holds the assistant */

  g_clear_object (&f->session);
  g_object_weak_ref (G_OBJECT (f->assistant), gone_cb, &gone);
  g_object_unref (f->assistant);
  nb_test_wait_for (&gone, 30000);
  g_object_unref (f->config);
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->workspace);
  g_free (f->config_path);
}

static void
queue_reply (Fixture    *f,
             const char *text)
{
  g_autofree char *body = NULL;

  switch (f->wire)
    {
    case WIRE_OPENAI:
      body = nb_fake_llm_openai_text_stream (text);
      nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
      break;
    case WIRE_ANTHROPIC:
      body = nb_fake_llm_anthropic_text_stream (text);
      nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
      break;
    case WIRE_OLLAMA:
    default:
      body = nb_fake_llm_ollama_text_stream (text);
      nb_fake_llm_queue_body (f->fake, 200, "application/x-ndjson", body);
      break;
    }
}

static GFile *
make_file (Fixture    *f,
           const char *name,
           const char *contents,
           gsize       length)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static GFile *
make_png (Fixture *f)
{
  gsize length;
  g_autofree guchar *png = g_base64_decode (PIXEL_PNG_BASE64, &length);

  return make_file (f, "pixel.png", (const char *) png, length);
}

static char *
run (Fixture     *f,
     const char  *input,
     GPtrArray   *files,
     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gboolean is_command = TRUE;
  char *reply;

  nb_assistant_run_with_attachments_async (f->assistant, f->session, input, files, NULL,
                                           nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 30000);
  reply = nb_assistant_run_finish (f->assistant, result, &is_command, error);
  /* A command with attachments is refused as a command. */
  g_assert_true (is_command == g_str_has_prefix (input, "/"));
  return reply;
}

/* The last message of request 0 (the user's). */
static JsonObject *
last_message (Fixture *f)
{
  JsonObject *request = nb_fake_llm_get_request_object (f->fake, 0);
  JsonArray *messages = json_object_get_array_member (request, "messages");

  g_assert_nonnull (messages);
  g_assert_cmpuint (json_array_get_length (messages), >, 0);
  return json_array_get_object_element (messages, json_array_get_length (messages) - 1);
}

static GPtrArray *
files_new (GFile *first,
           ...)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_object_unref);
  va_list args;

  va_start (args, first);
  for (GFile *file = first; file != NULL; file = va_arg (args, GFile *))
    g_ptr_array_add (files, file);
  va_end (args);
  return files;
}

static void
test_image (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) files = files_new (make_png (f), NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *path = NULL;
  g_autofree char *stored = NULL;
  JsonObject *user;
  JsonArray *parts;

  queue_reply (f, "A single pixel.");
  reply = run (f, "What is this?", files, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "A single pixel.");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);

  user = last_message (f);
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "user");
  switch (f->wire)
    {
    case WIRE_OPENAI:
      /* [image_url, text], the image first. */
      parts = json_object_get_array_member (user, "content");
      g_assert_cmpuint (json_array_get_length (parts), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 0), "type"), ==, "image_url");
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (parts, 0), "image_url"), "url"),
                       ==, "data:image/png;base64," PIXEL_PNG_BASE64);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 1), "type"), ==, "text");
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 1), "text"), ==, "What is this?");
      break;

    case WIRE_ANTHROPIC:
      {
        JsonObject *image, *source, *text;

        guint n;

        /* The runtime-context message merges into the same user turn,
         * before the image and the text. */
        parts = json_object_get_array_member (user, "content");
        n = json_array_get_length (parts);
        g_assert_cmpuint (n, >=, 2);
        image = json_array_get_object_element (parts, n - 2);
        source = json_object_get_object_member (image, "source");
        g_assert_cmpstr (json_object_get_string_member (image, "type"), ==, "image");
        g_assert_cmpstr (json_object_get_string_member (source, "type"), ==, "base64");
        g_assert_cmpstr (json_object_get_string_member (source, "media_type"), ==, "image/png");
        g_assert_cmpstr (json_object_get_string_member (source, "data"), ==, PIXEL_PNG_BASE64);
        text = json_array_get_object_element (parts, n - 1);
        g_assert_cmpstr (json_object_get_string_member (text, "type"), ==, "text");
        g_assert_cmpstr (json_object_get_string_member (text, "text"), ==, "What is this?");
      }
      break;

    case WIRE_OLLAMA:
    default:
      parts = json_object_get_array_member (user, "images");
      g_assert_nonnull (parts);
      g_assert_cmpuint (json_array_get_length (parts), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (parts, 0), ==, PIXEL_PNG_BASE64);
      g_assert_cmpstr (json_object_get_string_member (user, "content"), ==, "What is this?");
      break;
    }

  /* The file keeps a placeholder, not the data; the message's text is
   * the user's. */
  path = nb_session_store_get_path (nb_assistant_get_session_store (f->assistant), "desktop:test");
  stored = nb_test_read_file (path);
  g_assert_nonnull (strstr (stored, "[image]"));
  g_assert_null (strstr (stored, PIXEL_PNG_BASE64));
  g_assert_nonnull (strstr (stored, "What is this?"));
  {
    g_autoptr(NbMessage) message = g_list_model_get_item (G_LIST_MODEL (f->session), 0);
    g_autofree char *text = nb_message_dup_text (message);

    g_assert_cmpstr (text, ==, "What is this?");
  }
}

static void
test_text_file (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) files = files_new (make_file (f, "notes.txt", "The meeting is on Tuesday.\n", -1),
                                          make_file (f, "code.md", "Use ```c fences```", -1),
                                          NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  JsonObject *user;

  queue_reply (f, "Tuesday.");
  reply = run (f, "When is the meeting?", files, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Tuesday.");

  /* Plain text content: the question, then each file in a fence longer
   * than any backtick run inside it. */
  user = last_message (f);
  g_assert_cmpstr (json_object_get_string_member (user, "content"), ==,
                   "When is the meeting?\n\n"
                   "notes.txt:\n```\nThe meeting is on Tuesday.\n```\n\n"
                   "code.md:\n````\nUse ```c fences```\n````");
}

static void
assert_refused (Fixture    *f,
                GPtrArray  *files,
                const char *input,
                GQuark      domain,
                int         code,
                const char *name,
                const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = run (f, input, files, &error);

  g_assert_null (reply);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  if (name != NULL)
    g_assert_nonnull (strstr (error->message, name));
  g_assert_nonnull (strstr (error->message, words));

  /* No request, nothing in the session. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);
  g_assert_cmpuint (nb_session_get_n_messages (f->session), ==, 0);
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *big_path = g_build_filename (f->dir, "huge.png", NULL);
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autofree char *text = g_malloc (NB_ASSISTANT_MAX_TEXT_SIZE + 2);
  int fd;

  /* A sparse file over the image limit: refused by its size, unread. */
  fd = g_open (big_path, O_WRONLY | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, NB_ASSISTANT_MAX_IMAGE_SIZE + 1), ==, 0);
  close (fd);
  images = files_new (make_png (f), g_file_new_for_path (big_path), NULL);
  assert_refused (f, images, "Look", G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "“huge.png”", "images can have at most");

  /* Text has a lower limit. */
  memset (text, 'a', NB_ASSISTANT_MAX_TEXT_SIZE + 1);
  text[NB_ASSISTANT_MAX_TEXT_SIZE + 1] = '\0';
  texts = files_new (make_file (f, "long.txt", text, -1), NULL);
  assert_refused (f, texts, "Read", G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "“long.txt”", "text files can have at most");
}

static void
test_not_regular (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *fifo = g_build_filename (f->dir, "pipe", NULL);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  /* Opening a FIFO would block the reader forever. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  files = files_new (g_file_new_for_path (fifo), NULL);
  assert_refused (f, files, "Read this", G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "“pipe”", "not a regular file");

  folders = files_new (g_file_new_for_path (f->workspace), NULL);
  g_mkdir_with_parents (f->workspace, 0700);
  assert_refused (f, folders, "Read this", G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "“workspace”", "not a regular file");
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) binary = files_new (make_file (f, "program.bin", "\x7f" "ELF\0\0\1\2", 8), NULL);
  g_autoptr(GPtrArray) missing = files_new (g_file_new_for_path ("/nonexistent/gone.txt"), NULL);
  g_autoptr(GPtrArray) command = files_new (make_png (f), NULL);

  assert_refused (f, binary, "Run it", G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "“program.bin”",
                  "only images (PNG, JPEG, GIF, WebP) and text files");
  assert_refused (f, missing, "Read it", G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone.txt", "Could not attach");
  assert_refused (f, command, "/new", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL, "Commands take no attachments");
}

/* The content builder alone: images first, then the text; only images
 * make an array. */
static void
test_build_content (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GPtrArray) image_only = files_new (make_png (f), NULL);
  g_autoptr(JsonNode) plain = NULL;
  g_autoptr(JsonNode) parts = NULL;
  g_autoptr(GError) error = NULL;

  plain = nb_assistant_build_user_content ("hello", none, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (plain), ==, "hello");

  /* No text: no empty text part (Anthropic refuses those). */
  parts = nb_assistant_build_user_content ("", image_only, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (parts));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (parts)), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, wire, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (wire), fixture_setup, func, fixture_teardown)

  ADD ("/attachments/image/openai", WIRE_OPENAI, test_image);
  ADD ("/attachments/image/anthropic", WIRE_ANTHROPIC, test_image);
  ADD ("/attachments/image/ollama", WIRE_OLLAMA, test_image);
  ADD ("/attachments/text-file", WIRE_OPENAI, test_text_file);
  ADD ("/attachments/too-large", WIRE_OPENAI, test_too_large);
  ADD ("/attachments/not-regular", WIRE_OPENAI, test_not_regular);
  ADD ("/attachments/refused", WIRE_OPENAI, test_refused);
  ADD ("/attachments/build-content", WIRE_OPENAI, test_build_content);

  return g_test_run ();
}
