/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-session-export.h"
#include "nb-test-util.h"

/*
 * nb_session_export_markdown(): the document a user saves with
 * "Export…", checked as text: title, speakers, replies as they are,
 * reasoning and tool calls folded into <details>, fences that the
 * content's backticks cannot close, non-ASCII text intact.
 */

static void
add (NbSession  *session,
     const char *json)
{
  g_autoptr(JsonObject) object = nb_test_parse_object (json);
  g_autoptr(NbMessage) message = nb_message_new_from_json (object);

  nb_session_append (session, message);
}

/* The text between the first line that is @fence and the next line that
 * is @fence. */
static char *
fenced_block (const char *document,
              const char *opening,
              const char *closing)
{
  const char *start = strstr (document, opening);
  const char *end;

  g_assert_nonnull (start);
  start += strlen (opening);
  end = strstr (start, closing);
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

static guint
count (const char *document,
       const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (document, needle); p != NULL; p = strstr (p + strlen (needle), needle))
    n++;
  return n;
}

static NbSession *
make_session (void)
{
  NbSession *session = nb_session_new ("desktop:export");

  add (session, "{\"role\":\"user\",\"content\":\"Zähle die Dateien 📁 im Ordner\",\"timestamp\":\"2026-01-02T10:00:00\"}");
  add (session, "{\"role\":\"assistant\",\"content\":\"Ich sehe nach.\",\"reasoning_content\":\"The user wants a count.\","
                "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"exec\","
                "\"arguments\":\"{\\\"command\\\":\\\"ls | wc -l\\\"}\"}},"
                "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"read_file\","
                "\"arguments\":\"{\\\"path\\\":\\\"notes.md\\\",\\\"limit\\\":3}\"}}]}");
  add (session, "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"name\":\"exec\",\"content\":\"42\\nExit code: 0\"}");
  add (session, "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"name\":\"read_file\","
                "\"content\":\"# Notes\\n```js\\nlet a = 1;\\n```\\nand a ````` run\"}");
  add (session, "{\"role\":\"assistant\",\"content\":\"Es sind **42** Dateien.\\n\\n```sh\\nls | wc -l\\n```\"}");
  add (session, "{\"role\":\"user\",\"content\":\"Danke <3 & tschüss\"}");
  return session;
}

static void
test_document (void)
{
  g_autoptr(NbSession) session = make_session ();
  g_autofree char *document = nb_session_export_markdown (session);
  g_autofree char *exec_block = NULL;
  g_autofree char *args_block = NULL;
  g_autofree char *result_block = NULL;

  g_assert_true (g_utf8_validate (document, -1, NULL));
  /* The first user message is the title. */
  g_assert_true (g_str_has_prefix (document, "# Zähle die Dateien 📁 im Ordner\n\n## User\n\nZähle die Dateien 📁 im Ordner\n\n"));
  g_assert_true (g_str_has_suffix (document, "## User\n\nDanke <3 & tschüss\n"));

  /* One heading for the whole answer of the turn. */
  g_assert_cmpuint (count (document, "## Assistant\n\n"), ==, 1);
  g_assert_cmpuint (count (document, "## User\n\n"), ==, 2);

  /* Reasoning folded away. */
  g_assert_nonnull (strstr (document, "<details><summary>Reasoning</summary>\n\nThe user wants a count.\n\n</details>\n\n"));

  /* The command of exec as a shell block, and its result. */
  exec_block = fenced_block (document, "<details><summary>exec</summary>\n\n", "</details>");
  g_assert_cmpstr (exec_block, ==, "```sh\nls | wc -l\n```\n\nResult:\n\n```\n42\nExit code: 0\n```\n\n");

  /* Other arguments as pretty JSON. */
  args_block = fenced_block (document, "<details><summary>read_file</summary>\n\n", "Result:");
  g_assert_nonnull (strstr (args_block, "```json\n{\n"));
  g_assert_nonnull (strstr (args_block, "\"path\" : \"notes.md\""));
  g_assert_nonnull (strstr (args_block, "\"limit\" : 3"));

  /* A result with runs of 3 and 5 backticks gets a fence of 6. */
  result_block = fenced_block (document, "Result:\n\n``````\n", "\n``````\n");
  g_assert_cmpstr (result_block, ==, "# Notes\n```js\nlet a = 1;\n```\nand a ````` run");

  /* The reply's own Markdown as it is, after the tool calls. */
  g_assert_nonnull (strstr (document, "</details>\n\nEs sind **42** Dateien.\n\n```sh\nls | wc -l\n```\n\n## User"));
  /* The tool results are shown with their calls only. */
  g_assert_null (strstr (document, "<summary>Tool result</summary>"));
}

static void
test_title_and_odd_messages (void)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:odd");
  g_autofree char *empty = NULL;
  g_autofree char *document = NULL;

  empty = nb_session_export_markdown (session);
  g_assert_cmpstr (empty, ==, "# Conversation\n");

  json_object_set_string_member (nb_session_get_metadata (session), "title", "Plans <for> `2026`");
  /* A result whose call was cleared, bad arguments, a streaming reply. */
  add (session, "{\"role\":\"tool\",\"tool_call_id\":\"gone\",\"name\":\"web_fetch\",\"content\":\"page\"}");
  add (session, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                "\"function\":{\"name\":\"edit_file\",\"arguments\":\"{not json\"}}]}");
  add (session, "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}],\"sender\":\"subagent\"}");
  nb_session_begin_streaming (session);
  nb_message_append_text (nb_session_get_streaming (session), "still typing");

  document = nb_session_export_markdown (session);
  g_assert_true (g_str_has_prefix (document, "# Plans <for> `2026`\n\n"));
  g_assert_nonnull (strstr (document, "<details><summary>web_fetch</summary>\n\nResult:\n\n```\npage\n```\n\n</details>"));
  g_assert_nonnull (strstr (document, "<details><summary>edit_file</summary>\n\n```\n{not json\n```\n\n</details>"));
  g_assert_nonnull (strstr (document, "## Sub-agent\n\nlook\n"));
  g_assert_null (strstr (document, "base64"));
  g_assert_null (strstr (document, "still typing"));
  nb_session_end_streaming (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session-export/document", test_document);
  g_test_add_func ("/session-export/title-and-odd-messages", test_title_and_odd_messages);

  return g_test_run ();
}
