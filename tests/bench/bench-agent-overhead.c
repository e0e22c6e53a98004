/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-agent.h"
#include "../nb-scripted-provider.h"
#include "../nb-test-tool.h"
#include "../nb-test-util.h"
#include "nb-bench-table.h"

/*
 * The agent's own cost per LLM iteration with 20 registered tools: building
 * the request (messages, cached definitions), validating and dispatching a
 * tool call, appending the assistant message and the tool result to the
 * session, emitting the signals. The in-process provider answers at once;
 * the time spent in its own code (it serializes every request to JSON to
 * record it) is measured and subtracted.
 *
 * NB_BENCH_TURNS=N runs N turns instead of 50, e.g. a few under
 * `valgrind --tool=callgrind`, whose instruction counts, unlike the wall
 * clock of a busy machine, repeat from run to run.
 *
 * For the table (B5): the tool definitions sent with every LLM call, from
 * the registry's cache (Nanobot) and recomputed from the 20 tools on every
 * call (the redux design: ToolRegistry.get_definitions() serialises every
 * schema each time): time per call, min / median of 5 rounds.
 * `bench-agent-overhead --b5` runs only that part, for build-aux/bench
 * to count its instructions with callgrind (b5_cached and b5_rebuilt).
 */

#define B5_CALLS 2000

#define DEFAULT_TURNS 50
#define ITERATIONS_PER_TURN 20

static const char *schema =
  "{\"type\":\"object\",\"properties\":{"
  "\"path\":{\"type\":\"string\",\"minLength\":1},"
  "\"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
  "\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
  "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
  "\"required\":[\"path\"]}";

static guint n_turns = DEFAULT_TURNS;

/* Runs n_turns turns and returns the agent's µs per iteration. */
static double
run (gboolean  with_side_effects,
     double   *provider_ms,
     double   *wall_ms)
{
  g_autoptr(NbScriptedProvider) provider = nb_scripted_provider_new ();
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbToolRegistry) tools = nb_tool_registry_new ();
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autoptr(NbContextBuilder) context = nb_context_builder_new (dir);
  g_autoptr(NbAgent) agent = NULL;
  gint64 begin, wall_us;
  guint iterations = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("tool_%02u", i);
      g_autoptr(NbTestTool) tool = nb_test_tool_new (name, schema, with_side_effects && i % 4 == 0, 0);

      nb_tool_registry_add (tools, NB_TOOL (tool));
    }
  nb_config_set_string (config, "agents.defaults.model", "bench-model");
  agent = nb_agent_new (NB_PROVIDER (provider), config, tools, context);
  provider->delay_ms = 0;

  begin = g_get_monotonic_time ();
  for (guint turn = 0; turn < n_turns; turn++)
    {
      g_autofree char *key = g_strdup_printf ("bench:%u", turn);
      g_autoptr(NbSession) session = nb_session_new (key);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *reply = NULL;

      for (guint i = 0; i + 1 < ITERATIONS_PER_TURN; i++)
        {
          g_autofree char *id = g_strdup_printf ("call_%u", i);
          g_autofree char *name = g_strdup_printf ("tool_%02u", i % 20);

          nb_scripted_provider_add_calls (provider, NULL, id, name,
                                          "{\"path\":\"notes/todo.md\",\"count\":3,\"mode\":\"a\",\"tags\":[\"x\",\"y\"]}",
                                          NULL);
        }
      nb_scripted_provider_add_reply (provider, "Done with all of it.");

      nb_agent_run_async (agent, session, "Do twenty things", NULL, nb_test_store_result_cb, &result);
      nb_test_wait_result (&result, 60000);
      reply = nb_agent_run_finish (agent, result, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (reply, ==, "Done with all of it.");
      g_assert_cmpuint (nb_session_get_n_messages (session), ==, 2 + 2 * (ITERATIONS_PER_TURN - 1));
      iterations += ITERATIONS_PER_TURN;
    }
  wall_us = g_get_monotonic_time () - begin;

  nb_test_rm_rf (dir);
  *provider_ms = provider->busy_us / 1000.0;
  *wall_ms = wall_us / 1000.0;
  return (double) (wall_us - provider->busy_us) / iterations;
}

/* What the redux registry does on every call. */
static JsonArray *
rebuild_definitions (NbToolRegistry *registry)
{
  g_autoptr(GPtrArray) tools = nb_tool_registry_list_tools (registry);
  JsonArray *definitions = json_array_new ();

  for (guint i = 0; i < tools->len; i++)
    {
      NbTool *tool = tools->pdata[i];
      JsonObject *definition = json_object_new ();
      JsonObject *function = json_object_new ();
      g_autoptr(JsonNode) parameters = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (parameters, nb_tool_get_parameters (tool));
      json_object_set_string_member (function, "name", nb_tool_get_name (tool));
      json_object_set_string_member (function, "description", nb_tool_get_description (tool));
      json_object_set_member (function, "parameters", json_node_copy (parameters));
      json_object_set_string_member (definition, "type", "function");
      json_object_set_object_member (definition, "function", function);
      json_array_add_object_element (definitions, definition);
    }
  return definitions;
}

static __attribute__ ((noinline)) guint
b5_cached (NbToolRegistry *registry)
{
  guint n = 0;

  for (guint i = 0; i < B5_CALLS; i++)
    n += json_array_get_length (nb_tool_registry_get_definitions (registry));
  return n;
}

static __attribute__ ((noinline)) guint
b5_rebuilt (NbToolRegistry *registry)
{
  guint n = 0;

  for (guint i = 0; i < B5_CALLS; i++)
    {
      g_autoptr(JsonArray) definitions = rebuild_definitions (registry);

      n += json_array_get_length (definitions);
    }
  return n;
}

static void
table_b5 (gboolean quick)
{
  g_autoptr(NbToolRegistry) tools = nb_tool_registry_new ();
  double cached[5], rebuilt[5], c_min, c_med, r_min, r_med;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *ratio = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("tool_%02u", i);
      g_autoptr(NbTestTool) tool = nb_test_tool_new (name, schema, FALSE, 0);

      nb_tool_registry_add (tools, NB_TOOL (tool));
    }
  if (quick)
    {
      g_assert_cmpuint (b5_cached (tools), ==, b5_rebuilt (tools));
      return;
    }
  for (guint round = 0; round < 5; round++)
    {
      gint64 start = g_get_monotonic_time ();

      b5_cached (tools);
      cached[round] = (double) (g_get_monotonic_time () - start) / B5_CALLS;
      start = g_get_monotonic_time ();
      b5_rebuilt (tools);
      rebuilt[round] = (double) (g_get_monotonic_time () - start) / B5_CALLS;
    }
  nb_bench_min_median (cached, 5, &c_min, &c_med);
  nb_bench_min_median (rebuilt, 5, &r_min, &r_med);
  g_print ("  tool definitions per call, 20 tools: cached %.3f us, recomputed (the redux way) %.2f us (medians)\n",
           c_med, r_med);
  a = g_strdup_printf ("%.3f / %.3f µs", c_min, c_med);
  b = g_strdup_printf ("%.1f / %.1f µs", r_min, r_med);
  ratio = nb_bench_ratio (c_med, r_med);
  nb_bench_table_row ("B5", "tool definitions for one LLM call (20 tools): time, min / median of 5 rounds", a, b, ratio);
}

int
main (int   argc,
      char *argv[])
{
  const char *turns = g_getenv ("NB_BENCH_TURNS");
  double read_only, writing, provider_ms, wall_ms;

  if (argc > 1 && g_str_equal (argv[1], "--b5"))
    {
      table_b5 (TRUE);
      return 0;
    }
  if (turns != NULL && g_ascii_strtoull (turns, NULL, 10) > 0)
    n_turns = g_ascii_strtoull (turns, NULL, 10);
  g_print ("bench-agent-overhead: %u iterations (%u turns of %u), 20 registered tools\n",
           n_turns * ITERATIONS_PER_TURN, n_turns, ITERATIONS_PER_TURN);

  read_only = run (FALSE, &provider_ms, &wall_ms);
  g_print ("  read-only tools: wall %.1f ms, fake provider's own code %.1f ms\n", wall_ms, provider_ms);
  g_print ("    agent overhead: %.1f us per iteration (target <= 1000 us)\n", read_only);

  /* A tool with side effects makes the next turn rebuild the system
   * prompt from the workspace files. */
  writing = run (TRUE, &provider_ms, &wall_ms);
  g_print ("  some tools with side effects: wall %.1f ms, fake provider's own code %.1f ms\n", wall_ms, provider_ms);
  g_print ("    agent overhead: %.1f us per iteration, system prompt rebuilt every turn\n", writing);

  table_b5 (FALSE);

  return MAX (read_only, writing) <= 1000.0 ? 0 : 1;
}
