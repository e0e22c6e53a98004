/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "nb-fake-llm.h"
#include "nb-memory-backoff.h"
#include "nb-provider-registry.h"
#include "nb-session.h"
#include "nb-test-util.h"

/*
 * Keeping up with today's Python nanobot, through `nanobot -m` against the
 * fake OpenAI-compatible server: the slash commands /status, /model,
 * /history and /skill; a metadata record per turn that the Python loader
 * reads; tool results that name their tool; /new when memory cannot take
 * the conversation; a failing consolidation that backs off.
 */

typedef struct {
  NbFakeLlm *fake;
  char      *dir;
  char      *config_path;
  char      *session_path;
  char      *memory_path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->fake = nb_fake_llm_new ();
  f->dir = nb_test_make_tmpdir ();
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  f->session_path = g_build_filename (f->dir, "data", "nanobot", "sessions", "cli_direct.jsonl", NULL);
  f->memory_path = g_build_filename (f->dir, "workspace", "memory", "MEMORY.md", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  nb_fake_llm_free (f->fake);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
  g_free (f->session_path);
  g_free (f->memory_path);
}

/* @memory_window: 0 for the default */
static void
write_config (Fixture *f,
              guint    memory_window)
{
  g_autofree char *workspace = g_build_filename (f->dir, "workspace", NULL);
  g_autofree char *window = memory_window > 0 ? g_strdup_printf (",\"memoryWindow\":%u", memory_window) : g_strdup ("");
  g_autofree char *text =
    g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"%s}},"
                     "\"providers\":{\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}}}",
                     workspace, window, nb_fake_llm_get_url (f->fake));

  nb_test_write_file (f->config_path, text);
}

typedef struct {
  char *out;
  char *err;
  int   status;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* `nanobot --config … -m @message`, to the end. */
static void
run (Fixture    *f,
     Run        *run,
     const char *message)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data = g_build_filename (f->dir, "data", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const NbProviderSpec *specs;
  guint n;

  run_clear (run);
  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_subprocess_launcher_unsetenv (launcher, specs[i].env_key);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", f->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");

  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                         "--config", f->config_path, "-m", message, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_assert_null (strstr (run->err, "Sanitizer"));
}

static void
queue_text_with_usage (Fixture    *f,
                       const char *text,
                       guint       prompt_tokens,
                       guint       cached_tokens)
{
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}\n\n"
                     "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":3,"
                     "\"prompt_tokens_details\":{\"cached_tokens\":%u}}}\n\n"
                     "data: [DONE]\n\n", text, prompt_tokens, cached_tokens);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
queue_text (Fixture    *f,
            const char *text)
{
  g_autofree char *body = nb_fake_llm_openai_text_stream (text);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

static void
queue_tool_call (Fixture    *f,
                 const char *id,
                 const char *name,
                 const char *arguments)
{
  g_autoptr(JsonNode) text = json_node_init_string (json_node_alloc (), arguments);
  g_autofree char *quoted = json_to_string (text, FALSE);
  g_autofree char *body =
    g_strdup_printf ("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"%s\","
                     "\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]}}]}\n\n"
                     "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                     "data: [DONE]\n\n", id, name, quoted);

  nb_fake_llm_queue_body (f->fake, 200, "text/event-stream", body);
}

/* The last message of request @index's "messages". */
static JsonObject *
request_message (Fixture *f,
                 guint    index,
                 gint     from_end)
{
  JsonArray *messages = json_object_get_array_member (nb_fake_llm_get_request_object (f->fake, index), "messages");

  return json_array_get_object_element (messages, json_array_get_length (messages) - 1 - from_end);
}

/* Slash commands */

static void
test_commands (Fixture       *f,
               gconstpointer  data)
{
  Run r = { 0 };
  const char *texts[] = { "/new", "/stop", "/status", "/model [name]", "/history [n]", "/skill", "/help" };
  const char *at = NULL;

  write_config (f, 0);

  /* /help names every command, in the Python nanobot's order. */
  run (f, &r, "/help");
  g_assert_cmpint (r.status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const char *found = strstr (r.out, texts[i]);

      g_assert_nonnull (found);
      g_assert_true (found > at);
      at = found;
    }

  /* /status before any turn: what the next turn would use. */
  run (f, &r, "/status");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Model: gpt-4o\n"));
  g_assert_nonnull (strstr (r.out, "Provider: openai ("));
  g_assert_nonnull (strstr (r.out, nb_fake_llm_get_url (f->fake)));
  g_assert_nonnull (strstr (r.out, "Context: no turn yet (window 128000 tokens)"));
  g_assert_nonnull (strstr (r.out, "Session: cli:direct, 0 messages"));
  g_assert_nonnull (strstr (r.out, "MCP servers: none configured"));
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 0);

  /* After a turn: its tokens, the cache hits, the context used. */
  queue_text_with_usage (f, "Hello.", 1000, 800);
  run (f, &r, "Hi there");
  g_assert_cmpint (r.status, ==, 0);
  run (f, &r, "/status");
  g_assert_nonnull (strstr (r.out, "Context: 1003 of 128000 tokens (0 %)"));
  g_assert_nonnull (strstr (r.out, "Last turn: 1000 tokens in, 3 out; cache: 800 read, 0 written"));
  g_assert_nonnull (strstr (r.out, "Session: cli:direct, 2 messages"));

  /* /model switches this conversation: stored, and the next turn asks
   * for it. */
  run (f, &r, "/model");
  g_assert_nonnull (strstr (r.out, "Model: gpt-4o (configured)"));
  run (f, &r, "/model gpt-4.1-mini");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Switched this conversation to gpt-4.1-mini (was gpt-4o)."));
  run (f, &r, "/model");
  g_assert_nonnull (strstr (r.out, "Model of this conversation: gpt-4.1-mini (configured: gpt-4o)"));
  queue_text (f, "Small model here.");
  run (f, &r, "Which model?");
  g_assert_cmpstr (json_object_get_string_member (nb_fake_llm_get_request_object (f->fake, 1), "model"),
                   ==, "gpt-4.1-mini");
  run (f, &r, "/status");
  g_assert_nonnull (strstr (r.out, "Model: gpt-4.1-mini (this conversation’s"));
  run (f, &r, "/model default");
  g_assert_nonnull (strstr (r.out, "configured model again: gpt-4o"));
  run (f, &r, "/model two words");
  g_assert_nonnull (strstr (r.out, "Usage: /model [name]"));

  /* /history: the last n stored messages, oldest first. */
  run (f, &r, "/history 2");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "The last 2 messages:\nYou: Which model?\nNanobot: Small model here.\n");
  run (f, &r, "/history");
  g_assert_true (g_str_has_prefix (r.out, "The last 4 messages:\nYou: Hi there\nNanobot: Hello.\n"));
  run (f, &r, "/history many");
  g_assert_nonnull (strstr (r.out, "Usage: /history [n]"));

  /* /skill: the built-in skills, with what they need when missing. */
  run (f, &r, "/skill");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, " skills:\n- "));
  g_assert_nonnull (strstr (r.out, "- memory — "));

  /* Commands never reached the model; an unknown /word does, as text. */
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 2);
  queue_text (f, "No such command, but here is an answer.");
  run (f, &r, "/weather Paris");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (request_message (f, 2, 0), "content"), ==, "/weather Paris");
  run_clear (&r);
}

/* Tool results name their tool in an OpenAI-compatible request, as the
 * Python nanobot sends them. */
static void
test_tool_result_name (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *notes = g_build_filename (f->dir, "workspace", "notes.txt", NULL);
  Run r = { 0 };
  JsonObject *result;

  write_config (f, 0);
  nb_test_write_file (notes, "Buy milk.");
  queue_tool_call (f, "call_1", "read_file", "{\"path\":\"notes.txt\"}");
  queue_text (f, "Milk.");
  run (f, &r, "What do my notes say?");
  g_assert_cmpint (r.status, ==, 0);

  result = request_message (f, 1, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "role"), ==, "tool");
  g_assert_cmpstr (json_object_get_string_member (result, "tool_call_id"), ==, "call_1");
  g_assert_cmpstr (json_object_get_string_member (result, "name"), ==, "read_file");
  g_assert_nonnull (strstr (json_object_get_string_member (result, "content"), "Buy milk."));
  run_clear (&r);
}

/* Every turn ends with a metadata record whose updated_at advances, which
 * the Python loader takes (the last record wins). */

static JsonObject *
python_load (const char *path)
{
  JsonObject *loaded = nb_test_python_load_session (path);

  g_assert_nonnull (loaded);
  return loaded;
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

/* The bytes of @file's last line. */
static gsize
last_line_length (const char *file)
{
  gsize length = strlen (file);
  const char *start;

  g_assert_true (length > 0 && file[length - 1] == '\n');
  start = g_strrstr_len (file, length - 1, "\n");
  return length - (start != NULL ? (gsize) (start - file) + 1 : 0);
}

static void
test_metadata_per_turn (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *file = NULL;
  Run r = { 0 };
  gsize before, after, record;

  write_config (f, 0);
  queue_text (f, "One.");
  run (f, &r, "first");
  g_assert_cmpint (r.status, ==, 0);
  first = python_load (f->session_path);
  g_assert_cmpint (json_object_get_int_member (first, "n_messages"), ==, 2);
  before = file_size (f->session_path);

  queue_text (f, "Two.");
  run (f, &r, "second");
  g_assert_cmpint (r.status, ==, 0);
  second = python_load (f->session_path);
  g_assert_cmpint (json_object_get_int_member (second, "n_messages"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (first, "updated_at"), <,
                   json_object_get_string_member (second, "updated_at"));

  /* The file ends with that record, one line per turn. */
  file = nb_test_read_file (f->session_path);
  g_assert_nonnull (strstr (file + strlen (file) - last_line_length (file), "\"_type\":\"metadata\""));
  g_assert_nonnull (strstr (file + strlen (file) - last_line_length (file), "\"message_count\":4"));
  after = file_size (f->session_path);
  record = last_line_length (file);
  g_test_message ("a turn of two short messages: %" G_GSIZE_FORMAT " bytes, of which the metadata record %"
                  G_GSIZE_FORMAT ": %s", after - before, record, file + strlen (file) - record);
  g_assert_cmpuint (record, <, 400);
  run_clear (&r);
}

/* /new when the consolidation fails: the old conversation is kept whole
 * aside, the new one starts, and the command says memory was not updated
 * (exit status 1). */
static void
test_new_memory_fails (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *sessions = g_path_get_dirname (f->session_path);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *archived = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  Run r = { 0 };

  write_config (f, 0);
  queue_text (f, "Noted.");
  run (f, &r, "Remember that I like tea");
  g_assert_cmpint (r.status, ==, 0);
  before = nb_test_read_file (f->session_path);
  if (g_file_test (f->memory_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *memory = nb_test_read_file (f->memory_path);

      g_assert_null (strstr (memory, "tea"));
    }

  /* The memory model refuses. */
  nb_fake_llm_queue_body (f->fake, 400, "application/json", "{\"error\":{\"message\":\"context too long\"}}");
  run (f, &r, "/new");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "New session started, but memory was not updated"));
  g_assert_nonnull (strstr (r.err, "context too long"));
  g_assert_nonnull (strstr (r.err, ".archived-"));

  /* Aside, byte for byte; the session itself is empty now. */
  dir = g_dir_open (sessions, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "cli_direct.jsonl.archived-"))
      archived = g_build_filename (sessions, name, NULL);
  g_assert_nonnull (archived);
  g_assert_nonnull (strstr (r.err, archived));
  after = nb_test_read_file (archived);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);
  after = nb_test_read_file (f->session_path);
  g_assert_null (strstr (after, "tea"));

  if (g_file_test (f->memory_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *memory = nb_test_read_file (f->memory_path);

      g_assert_null (strstr (memory, "tea"));
    }

  run (f, &r, "/history");
  g_assert_cmpstr (r.out, ==, "No conversation history yet.\n");
  run_clear (&r);
}

/* A failing background consolidation says why once, then waits: no new
 * attempt for NB_MEMORY_BACKOFF_TURNS turns or until the session grew by
 * another memoryWindow of messages. */
static void
test_consolidation_backoff (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *file = NULL;
  Run r = { 0 };

  write_config (f, 4);
  queue_text (f, "One.");
  run (f, &r, "first");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 1);

  /* Four messages: due. The memory model answers without save_memory. */
  queue_text (f, "Two.");
  queue_text (f, "I would rather not.");
  run (f, &r, "second");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 3);
  g_assert_nonnull (strstr (r.err, "memory consolidation failed"));
  g_assert_nonnull (strstr (r.err, "tried again after at most 5 more turns"));
  file = nb_test_read_file (f->session_path);
  g_assert_nonnull (strstr (file, "\"consolidation_failure\":{\"at\":4"));

  /* Six messages: still due, but backing off: no call, no notice. */
  queue_text (f, "Three.");
  run (f, &r, "third");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 4);
  g_assert_null (strstr (r.err, "memory consolidation"));

  /* Eight: the session grew by a memoryWindow since the failure: tried
   * again, fails again, silently. */
  queue_text (f, "Four.");
  queue_text (f, "Still no.");
  run (f, &r, "fourth");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (nb_fake_llm_get_n_requests (f->fake), ==, 6);
  g_assert_null (strstr (r.err, "memory consolidation"));
  g_assert_cmpuint (nb_fake_llm_get_n_unscripted (f->fake), ==, 0);
  run_clear (&r);
}

/* The turn rule on its own: five user messages after the failure end the
 * wait even when the window is far from grown. */
static void
test_backoff_turns (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(NbMessage) message = nb_message_new (i % 2 ? "assistant" : "user", "x");

      nb_session_append (session, message);
    }
  g_assert_false (nb_memory_backoff_active (session, 100));
  g_assert_true (nb_memory_backoff_record_failure (session, "down"));
  g_assert_false (nb_memory_backoff_record_failure (session, "down again"));
  for (guint turn = 0; turn < NB_MEMORY_BACKOFF_TURNS; turn++)
    {
      g_autoptr(NbMessage) question = nb_message_new ("user", "q");
      g_autoptr(NbMessage) answer = nb_message_new ("assistant", "a");

      g_assert_true (nb_memory_backoff_active (session, 100));
      nb_session_append (session, question);
      nb_session_append (session, answer);
    }
  g_assert_false (nb_memory_backoff_active (session, 100));

  /* The window rule: ten messages after the failure with a window of 10. */
  g_assert_false (nb_memory_backoff_record_failure (session, "down"));
  g_assert_true (nb_memory_backoff_active (session, 11));
  g_assert_true (nb_memory_backoff_clear (session));
  g_assert_false (nb_memory_backoff_active (session, 11));
  g_assert_false (nb_memory_backoff_clear (session));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session-parity/backoff-turns", test_backoff_turns);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/session-parity/commands", test_commands);
  ADD ("/session-parity/tool-result-name", test_tool_result_name);
  ADD ("/session-parity/metadata-per-turn", test_metadata_per_turn);
  ADD ("/session-parity/new-memory-fails", test_new_memory_fails);
  ADD ("/session-parity/consolidation-backoff", test_consolidation_backoff);
#undef ADD

  return g_test_run ();
}
