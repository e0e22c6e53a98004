/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * find_files, grep, apply_patch, search_sessions and read_session end to
 * end: `nanobot -m` against a scripted OpenAI-style server whose reply
 * calls each tool; the results the model gets back are checked in the
 * next request, and the files on disk.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "nb-fake-llm.h"
#include "nb-provider-registry.h"
#include "nb-test-util.h"

typedef struct {
  NbFakeLlm *fake;
  char      *dir;
  char      *config_path;
  char      *workspace;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *text = NULL;

  fixture->fake = nb_fake_llm_new ();
  fixture->dir = nb_test_make_tmpdir ();
  fixture->config_path = g_build_filename (fixture->dir, "config.json", NULL);
  fixture->workspace = g_build_filename (fixture->dir, "workspace", NULL);
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"gpt-4o\",\"workspace\":\"%s\"}},"
                          "\"tools\":{\"restrictToWorkspace\":true},"
                          "\"providers\":{\"openai\":{\"apiKey\":\"sk\",\"apiBase\":\"%s\"}}}",
                          fixture->workspace, nb_fake_llm_get_url (fixture->fake));
  nb_test_write_file (fixture->config_path, text);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  nb_fake_llm_free (fixture->fake);
  nb_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->config_path);
  g_free (fixture->workspace);
}

typedef struct {
  char     *out;
  char     *err;
  gboolean  done;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

/* Runs `nanobot --config … -m MESSAGE` to the end; returns its exit status. */
static int
run_nanobot (Fixture    *fixture,
             Run        *run,
             const char *message)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data = g_build_filename (fixture->dir, "data", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const NbProviderSpec *specs;
  guint n;

  specs = nb_provider_registry_get_specs (&n);
  for (guint i = 0; i < n; i++)
    if (specs[i].env_key != NULL)
      g_subprocess_launcher_unsetenv (launcher, specs[i].env_key);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/nanobot-test-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", fixture->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NANOBOT_BIN"),
                                         "--config", fixture->config_path, "-m", message, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, run);
  nb_test_wait_for (&run->done, 60000);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* One streamed reply that calls (id, name, arguments)… NULL-terminated. */
static char *
tool_call_stream (const char *first_id,
                  ...)
{
  GString *body = g_string_new (NULL);
  const char *id = first_id;
  va_list args;
  guint index = 0;

  va_start (args, first_id);
  for (; id != NULL; id = va_arg (args, const char *))
    {
      const char *name = va_arg (args, const char *);
      const char *arguments = va_arg (args, const char *);
      g_autoptr(JsonNode) text = json_node_init_string (json_node_alloc (), arguments);
      g_autofree char *quoted = json_to_string (text, FALSE);

      g_string_append_printf (body, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%u,"
                              "\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]}}]}\n\n",
                              index++, id, name, quoted);
    }
  va_end (args);
  g_string_append (body, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                         "data: [DONE]\n\n");
  return g_string_free (body, FALSE);
}

/* The content of the tool message answering @call_id in request @index. */
static const char *
tool_result (Fixture    *fixture,
             guint       index,
             const char *call_id)
{
  JsonArray *messages = json_object_get_array_member (nb_fake_llm_get_request_object (fixture->fake, index),
                                                      "messages");

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (g_strcmp0 (json_object_get_string_member (message, "role"), "tool") == 0 &&
          g_strcmp0 (json_object_get_string_member (message, "tool_call_id"), call_id) == 0)
        return json_object_get_string_member (message, "content");
    }
  g_error ("no result for %s", call_id);
}

static gboolean
offered (Fixture    *fixture,
         const char *name)
{
  JsonArray *tools = json_object_get_array_member (nb_fake_llm_get_request_object (fixture->fake, 0), "tools");

  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *function = json_object_get_object_member (json_array_get_object_element (tools, i), "function");

      if (g_strcmp0 (json_object_get_string_member (function, "name"), name) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
put (Fixture    *fixture,
     const char *name,
     const char *text)
{
  g_autofree char *path = g_build_filename (fixture->workspace, name, NULL);

  nb_test_write_file (path, text);
}

static void
test_tools_end_to_end (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *calls = NULL;
  g_autofree char *reply = nb_fake_llm_openai_text_stream ("Done.");
  g_autofree char *old_session = g_build_filename (fixture->dir, "data", "nanobot", "sessions",
                                                   "desktop_lisbon.jsonl", NULL);
  g_autofree char *patched = NULL;
  g_autofree char *patched_path = g_build_filename (fixture->workspace, "src", "main.c", NULL);
  g_autofree char *added_path = g_build_filename (fixture->workspace, "NOTES.md", NULL);
  g_autofree char *added = NULL;
  Run run = { 0 };
  const char *text;

  put (fixture, "src/main.c", "int main (void)\n{\n  return 1;\n}\n");
  put (fixture, "src/util.h", "#define ANSWER 42\n");
  put (fixture, "node_modules/x/main.c", "return 1;\n");
  nb_test_write_file (old_session,
                      "{\"_type\":\"metadata\",\"key\":\"desktop:lisbon\",\"created_at\":\"2025-01-01T10:00:00\","
                      "\"updated_at\":\"2025-03-01T10:00:00\",\"metadata\":{\"title\":\"Trip to Lisbon\"}}\n"
                      "{\"role\":\"user\",\"content\":\"Which tram goes to the castle?\"}\n"
                      "{\"role\":\"assistant\",\"content\":\"Tram 28 goes to the castle.\"}\n");

  calls = tool_call_stream ("call_find", "find_files", "{\"type\": \"c\"}",
                            "call_grep", "grep", "{\"pattern\": \"return \\\\d\", \"output_mode\": \"content\"}",
                            "call_out", "grep", "{\"pattern\": \"x\", \"path\": \"..\"}",
                            "call_patch", "apply_patch", "{\"edits\": ["
                            "{\"path\": \"src/main.c\", \"action\": \"replace\", \"old_text\": \"return 1;\", \"new_text\": \"return 0;\"},"
                            "{\"path\": \"NOTES.md\", \"action\": \"add\", \"new_text\": \"# Notes\"}]}",
                            "call_search", "search_sessions", "{\"query\": \"castle\"}",
                            "call_read", "read_session", "{\"session_key\": \"desktop:lisbon\"}",
                            NULL);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", calls);
  nb_fake_llm_queue_body (fixture->fake, 200, "text/event-stream", reply);

  g_assert_cmpint (run_nanobot (fixture, &run, "Fix main and tell me about Lisbon"), ==, 0);
  g_assert_cmpstr (run.out, ==, "Done.\n");
  g_assert_cmpuint (nb_fake_llm_get_n_requests (fixture->fake), ==, 2);

  g_assert_true (offered (fixture, "find_files"));
  g_assert_true (offered (fixture, "grep"));
  g_assert_true (offered (fixture, "apply_patch"));
  g_assert_true (offered (fixture, "search_sessions"));
  g_assert_true (offered (fixture, "read_session"));

  /* find_files: the workspace's C files, node_modules skipped. */
  g_assert_cmpstr (tool_result (fixture, 1, "call_find"), ==, "src/main.c");
  /* grep ran before apply_patch (the read-only calls before it). */
  g_assert_cmpstr (tool_result (fixture, 1, "call_grep"), ==, "src/main.c:3\n> 3|   return 1;");
  /* Nothing outside the workspace. */
  text = tool_result (fixture, 1, "call_out");
  g_assert_true (g_str_has_prefix (text, "Error: Path .. is outside allowed directory"));
  g_assert_cmpstr (tool_result (fixture, 1, "call_patch"), ==,
                   "Patch applied:\n- update src/main.c (+1/-1)\n- add NOTES.md (+1/-0)");
  patched = nb_test_read_file (patched_path);
  g_assert_cmpstr (patched, ==, "int main (void)\n{\n  return 0;\n}\n");
  added = nb_test_read_file (added_path);
  g_assert_cmpstr (added, ==, "# Notes\n");

  text = tool_result (fixture, 1, "call_search");
  g_assert_nonnull (strstr (text, "\"session_key\":\"desktop:lisbon\""));
  g_assert_nonnull (strstr (text, "Tram 28 goes to the castle."));
  text = tool_result (fixture, 1, "call_read");
  g_assert_nonnull (strstr (text, "Which tram goes to the castle?"));
  g_assert_nonnull (strstr (text, "\"title\":\"Trip to Lisbon\""));
  run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/search-tools-e2e/all-tools", Fixture, NULL, fixture_set_up, test_tools_end_to_end, fixture_tear_down);

  return g_test_run ();
}
