/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-tool-registry.h"
#include "nb-web-fetch-tool.h"
#include "nb-test-tool.h"
#include "nb-test-util.h"

#define HINT NB_TOOL_REGISTRY_ERROR_HINT

static const char *rich_schema =
  "{\"type\":\"object\",\"properties\":{"
  "  \"path\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
  "  \"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
  "  \"ratio\":{\"type\":\"number\",\"minimum\":0.5},"
  "  \"mode\":{\"type\":\"string\",\"enum\":[\"fast\",\"slow\"]},"
  "  \"flag\":{\"type\":\"boolean\"},"
  "  \"note\":{\"type\":[\"string\",\"null\"]},"
  "  \"tags\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
  "  \"meta\":{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
  "     \"id\":{\"type\":\"integer\"},"
  "     \"flags\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}},"
  "     \"rows\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"k\"],"
  "               \"additionalProperties\":false,\"properties\":{\"k\":{\"type\":\"string\"}}}}}}"
  "},\"required\":[\"path\"]}";

static JsonObject *
parse_object (const char *json)
{
  return nb_tool_parse_schema (json);
}

static char *
validate (NbTool     *tool,
          const char *arguments)
{
  g_autoptr(JsonObject) object = parse_object (arguments);

  return nb_tool_validate_arguments (tool, object);
}

static void
test_definitions_cached (void)
{
  g_autoptr(NbToolRegistry) registry = nb_tool_registry_new ();
  g_autoptr(NbTestTool) b = nb_test_tool_new ("b_tool", NULL, FALSE, 0);
  g_autoptr(NbTestTool) a = nb_test_tool_new ("a_tool", rich_schema, FALSE, 0);
  g_autoptr(NbTestTool) mcp = nb_test_tool_new ("mcp_srv_x", NULL, FALSE, 0);
  g_autoptr(NbTestTool) z = nb_test_tool_new ("z_tool", NULL, TRUE, 0);
  JsonArray *first, *second, *third;
  JsonObject *function;
  g_autofree char *names = NULL;

  nb_tool_registry_add (registry, NB_TOOL (mcp));
  nb_tool_registry_add (registry, NB_TOOL (b));
  nb_tool_registry_add (registry, NB_TOOL (a));

  first = nb_tool_registry_get_definitions (registry);
  second = nb_tool_registry_get_definitions (registry);
  g_assert_true (first == second);
  g_assert_cmpuint (json_array_get_length (first), ==, 3);

  /* Built-in tools sorted by name, then MCP tools. */
  function = json_object_get_object_member (json_array_get_object_element (first, 0), "function");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (first, 0), "type"), ==, "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "a_tool");
  g_assert_cmpstr (json_object_get_string_member (function, "description"), ==, "A tool of the tests");
  g_assert_true (json_object_get_object_member (function, "parameters") == nb_tool_get_parameters (NB_TOOL (a)));
  function = json_object_get_object_member (json_array_get_object_element (first, 1), "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "b_tool");
  function = json_object_get_object_member (json_array_get_object_element (first, 2), "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "mcp_srv_x");

  names = nb_tool_registry_dup_names (registry);
  g_assert_cmpstr (names, ==, "a_tool, b_tool, mcp_srv_x");

  /* Adding invalidates; the new array holds the new tool. */
  json_array_ref (first);
  nb_tool_registry_add (registry, NB_TOOL (z));
  third = nb_tool_registry_get_definitions (registry);
  g_assert_cmpuint (json_array_get_length (third), ==, 4);
  g_assert_true (third == nb_tool_registry_get_definitions (registry));
  json_array_unref (first);

  /* Removing invalidates too; removing an unknown name does not. */
  g_assert_true (nb_tool_registry_remove (registry, "b_tool"));
  second = nb_tool_registry_get_definitions (registry);
  g_assert_cmpuint (json_array_get_length (second), ==, 3);
  g_assert_false (nb_tool_registry_remove (registry, "nope"));
  g_assert_true (second == nb_tool_registry_get_definitions (registry));
  g_assert_null (nb_tool_registry_lookup (registry, "b_tool"));
  g_assert_true (nb_tool_registry_lookup (registry, "z_tool") == NB_TOOL (z));
  g_assert_cmpuint (nb_tool_registry_get_n_tools (registry), ==, 3);
}

static void
test_schema_rules (void)
{
  g_autoptr(NbTestTool) tool = nb_test_tool_new ("rich", rich_schema, FALSE, 0);
  struct {
    const char *arguments;
    const char *expected;
  } cases[] = {
    { "{\"path\":\"abc\"}", NULL },
    { "{\"path\":\"abc\",\"count\":3,\"ratio\":0.5,\"mode\":\"fast\",\"flag\":true,\"note\":null,"
      "\"tags\":[\"x\"],\"meta\":{\"id\":1,\"flags\":[true],\"rows\":[{\"k\":\"v\"}]}}", NULL },
    { "{\"ratio\":2}", "missing required path" },
    { "{\"path\":7}", "path should be string" },
    { "{\"path\":\"a\"}", "path must be at least 2 chars" },
    { "{\"path\":\"abcdef\"}", "path must be at most 5 chars" },
    { "{\"path\":\"éèà\"}", NULL },
    { "{\"path\":\"ab\",\"count\":2.5}", "count should be integer" },
    { "{\"path\":\"ab\",\"count\":\"3\"}", "count should be integer" },
    { "{\"path\":\"ab\",\"count\":0}", "count must be >= 1" },
    { "{\"path\":\"ab\",\"count\":11}", "count must be <= 10" },
    { "{\"path\":\"ab\",\"ratio\":1}", NULL },
    { "{\"path\":\"ab\",\"ratio\":0.25}", "ratio must be >= 0.5" },
    { "{\"path\":\"ab\",\"ratio\":true}", "ratio should be number" },
    { "{\"path\":\"ab\",\"mode\":\"medium\"}", "mode must be one of [\"fast\",\"slow\"]" },
    { "{\"path\":\"ab\",\"flag\":\"yes\"}", "flag should be boolean" },
    { "{\"path\":\"ab\",\"note\":3}", "note should be string" },
    { "{\"path\":\"ab\",\"tags\":[]}", "tags must have at least 1 items" },
    { "{\"path\":\"ab\",\"tags\":[\"a\",\"b\",\"c\"]}", "tags must be at most 2 items" },
    { "{\"path\":\"ab\",\"tags\":\"a\"}", "tags should be array" },
    { "{\"path\":\"ab\",\"tags\":[\"a\",5]}", "tags[1] should be string" },
    { "{\"path\":\"ab\",\"meta\":[]}", "meta should be object" },
    { "{\"path\":\"ab\",\"meta\":{}}", "missing required meta.id" },
    { "{\"path\":\"ab\",\"meta\":{\"id\":\"x\"}}", "meta.id should be integer" },
    { "{\"path\":\"ab\",\"meta\":{\"id\":1,\"flags\":[false,\"no\"]}}", "meta.flags[1] should be boolean" },
    { "{\"path\":\"ab\",\"meta\":{\"id\":1,\"flags\":[0]}}", "meta.flags[0] should be boolean" },
    { "{\"path\":\"ab\",\"meta\":{\"id\":1,\"rows\":[{\"k\":\"v\"},{}]}}", "missing required meta.rows[1].k" },
    { "{\"path\":\"ab\",\"meta\":{\"id\":1,\"rows\":[{\"k\":\"v\",\"z\":1}]}}", "unexpected parameter meta.rows[0].z" },
    { "{\"path\":\"ab\",\"other\":1}", NULL },
    { "{\"count\":0,\"tags\":[]}", "missing required path; count must be >= 1; tags must have at least 1 items" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *result = validate (NB_TOOL (tool), cases[i].arguments);

      g_test_message ("case %u: %s", i, cases[i].arguments);
      g_assert_cmpstr (result, ==, cases[i].expected);
    }
}

static char *
run_call (NbToolRegistry *registry,
          NbToolCall     *call,
          GCancellable   *cancellable,
          GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_tool_registry_execute_async (registry, call, NULL, cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 5000);
  return nb_tool_registry_execute_finish (registry, result, error);
}

static void
test_execute (void)
{
  g_autoptr(NbToolRegistry) registry = nb_tool_registry_new ();
  g_autoptr(NbTestTool) echo = nb_test_tool_new ("echo", rich_schema, FALSE, 1);
  g_autoptr(NbTestTool) fail = nb_test_tool_new ("fail", NULL, TRUE, 1);
  g_autoptr(NbTestTool) error_text = nb_test_tool_new ("error_text", NULL, FALSE, 1);
  g_autoptr(GError) error = NULL;
  struct {
    const char *name;
    const char *arguments;
    const char *expected;
  } cases[] = {
    { "echo", "{\"path\":\"ab\"}", "echo: {\"path\":\"ab\"}" },
    { "echo", "{\"path\":\"ab\",\"meta\":{\"id\":1,\"flags\":[1]}}",
      "Error: Invalid parameters for tool 'echo': meta.flags[0] should be boolean" HINT },
    { "echo", "{\"path\":", NULL },
    { "echo", "[1]", "Error: Invalid parameters for tool 'echo': the arguments are not valid JSON "
                     "(the arguments are not a JSON object)" HINT },
    { "nope", "{}", "Error: Tool 'nope' not found. Available: echo, error_text, fail" HINT },
    { "fail", "{}", "Error executing fail: it broke" HINT },
    { "error_text", "{}", "Error: it broke" HINT },
    { "fail", "", "Error executing fail: it broke" HINT },
  };

  fail->mode = NB_TEST_TOOL_FAIL;
  error_text->mode = NB_TEST_TOOL_ERROR_TEXT;
  nb_tool_registry_add (registry, NB_TOOL (echo));
  nb_tool_registry_add (registry, NB_TOOL (fail));
  nb_tool_registry_add (registry, NB_TOOL (error_text));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NbToolCall) call = nb_tool_call_new ("call_1", cases[i].name, cases[i].arguments);
      g_autofree char *result = run_call (registry, call, NULL, &error);

      g_test_message ("case %u: %s %s", i, cases[i].name, cases[i].arguments);
      g_assert_no_error (error);
      if (cases[i].expected != NULL)
        g_assert_cmpstr (result, ==, cases[i].expected);
      else
        {
          /* The parser's own message is json-glib's; check the frame. */
          g_assert_true (g_str_has_prefix (result, "Error: Invalid parameters for tool 'echo': "
                                                   "the arguments are not valid JSON ("));
          g_assert_true (g_str_has_suffix (result, ")" HINT));
        }
    }

  /* A bad call never reaches the tool. */
  g_assert_cmpuint (echo->n_calls, ==, 1);
}

/* web_fetch answers in JSON, errors included: {"error": …, "url": …}.
 * Those end with the hint too. */
static void
test_json_error_hint (void)
{
  g_autoptr(NbToolRegistry) registry = nb_tool_registry_new ();
  g_autoptr(NbTool) fetch = nb_web_fetch_tool_new (FALSE);
  g_autoptr(NbToolCall) call = nb_tool_call_new ("call_1", "web_fetch", "{\"url\": \"file:///etc/passwd\"}");
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;

  nb_tool_registry_add (registry, fetch);
  result = run_call (registry, call, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result, ==,
                   "{\"error\":\"URL validation failed: Only http/https allowed, got 'file'\","
                   "\"url\":\"file:///etc/passwd\"}" HINT);
}

static void
test_execute_cancelled (void)
{
  g_autoptr(NbToolRegistry) registry = nb_tool_registry_new ();
  g_autoptr(NbTestTool) wait = nb_test_tool_new ("wait", NULL, FALSE, 0);
  g_autoptr(NbToolCall) call = nb_tool_call_new ("call_1", "wait", "{}");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  wait->mode = NB_TEST_TOOL_WAIT_CANCEL;
  nb_tool_registry_add (registry, NB_TOOL (wait));

  nb_tool_registry_execute_async (registry, call, NULL, cancellable, nb_test_store_result_cb, &result);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_assert_cmpuint (wait->n_running, ==, 1);

  g_cancellable_cancel (cancellable);
  nb_test_wait_result (&result, 5000);
  text = nb_tool_registry_execute_finish (registry, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (text);
  g_assert_cmpuint (wait->n_running, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tool-registry/definitions-cached", test_definitions_cached);
  g_test_add_func ("/tool-registry/schema-rules", test_schema_rules);
  g_test_add_func ("/tool-registry/execute", test_execute);
  g_test_add_func ("/tool-registry/json-error-hint", test_json_error_hint);
  g_test_add_func ("/tool-registry/execute-cancelled", test_execute_cancelled);

  return g_test_run ();
}
