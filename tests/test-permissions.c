/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "nb-agent.h"
#include "nb-approval-queue.h"
#include "nb-config.h"
#include "nb-config-edit.h"
#include "nb-mcp-tool.h"
#include "nb-permissions.h"
#include "nb-scripted-provider.h"
#include "nb-session-store.h"
#include "nb-spawn-tool.h"
#include "nb-test-tool.h"
#include "nb-test-util.h"
#include "nb-tool-policy.h"
#include "nb-tool-registry.h"

/*
 * Tool permissions: the matching of rules, their order and the defaults
 * (nb-tool-policy.c), and the agent waiting for approvals (NbPermissions,
 * NbApprovalQueue) without a window.
 */

/* Matching */

static void
test_match_name (void)
{
  g_assert_true (nb_tool_policy_match_name ("exec", "exec"));
  g_assert_false (nb_tool_policy_match_name ("exec", "exec2"));
  g_assert_true (nb_tool_policy_match_name ("mcp_github_*", "mcp_github_create_issue"));
  g_assert_false (nb_tool_policy_match_name ("mcp_github_*", "mcp_gitlab_x"));
  g_assert_true (nb_tool_policy_match_name ("*", "anything"));
  g_assert_true (nb_tool_policy_match_name ("*_file", "write_file"));
}

static void
test_match_command (void)
{
  g_assert_true (nb_tool_policy_match_command ("git status*", "git status"));
  g_assert_true (nb_tool_policy_match_command ("git status*", "git status --short"));
  g_assert_true (nb_tool_policy_match_command ("git status*", "  git status -s  "));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git stash"));
  /* A star never spans a shell separator. */
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status; rm -rf ~"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status && rm -rf ~"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status | sh"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status $(rm x)"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status `rm x`"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status > /etc/passwd"));
  g_assert_false (nb_tool_policy_match_command ("git status*", "git status\nrm x"));
  /* Written out in the pattern, they are the user's choice. */
  g_assert_true (nb_tool_policy_match_command ("make && make install", "make && make install"));
  g_assert_true (nb_tool_policy_match_command ("ls * | wc -l", "ls /tmp | wc -l"));
}

static void
test_match_path (void)
{
  const char *ws = "/home/u/ws";

  g_assert_true (nb_tool_policy_match_path ("notes/**", "notes/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("notes/**", "notes/2024/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("notes/**", "/home/u/ws/notes/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("notes/**", "./notes/../notes/a.md", ws));
  g_assert_false (nb_tool_policy_match_path ("notes/**", "notes/../secret.md", ws));
  g_assert_false (nb_tool_policy_match_path ("notes/**", "other/notes/a.md", ws));
  g_assert_false (nb_tool_policy_match_path ("notes/**", "/elsewhere/notes/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("notes/*", "notes/a.md", ws));
  g_assert_false (nb_tool_policy_match_path ("notes/*", "notes/2024/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("*.md", "a.md", ws));
  g_assert_false (nb_tool_policy_match_path ("*.md", "x/a.md", ws));
  g_assert_true (nb_tool_policy_match_path ("/tmp/*", "/tmp/x", ws));
  g_assert_false (nb_tool_policy_match_path ("/tmp/*", "/tmp/x/y", ws));
  g_assert_true (nb_tool_policy_match_path ("/tmp/**", "/tmp/x/y", ws));
  /* A relative pattern never reaches outside the workspace. */
  g_assert_false (nb_tool_policy_match_path ("**", "/etc/passwd", ws));
  g_assert_false (nb_tool_policy_match_path ("**", "../ws2/x", ws));
  g_assert_true (nb_tool_policy_match_path ("**", "deep/er/x", ws));
}

static JsonObject *
parse (const char *text)
{
  return nb_test_parse_object (text);
}

static NbPermission
decide (JsonObject         *permissions,
        NbPermission        absent,
        const char         *tool,
        gboolean            read_only,
        const char         *command,
        const char         *path,
        int                *rule)
{
  const char *paths[] = { path, NULL };
  NbToolCallFacts facts = { tool, read_only, command, path != NULL ? paths : NULL, "/ws" };

  return nb_tool_policy_decide (permissions, absent, &facts, NULL, rule);
}

static void
test_decide (void)
{
  g_autoptr(JsonObject) permissions = parse ("{\"default\":\"ask\",\"rules\":["
                                             "{\"tool\":\"exec\",\"command\":\"git status*\",\"decision\":\"allow\"},"
                                             "{\"tool\":\"write_file\",\"path\":\"notes/**\",\"decision\":\"allow\"},"
                                             "{\"tool\":\"mcp_github_*\",\"decision\":\"ask\"},"
                                             "{\"tool\":\"delete_file\",\"decision\":\"deny\"},"
                                             "{\"tool\":\"exec\",\"decision\":\"deny\"},"
                                             "{\"tool\":\"exec\",\"command\":\"ls*\",\"decision\":\"allow\"},"
                                             "{\"tool\":\"web_fetch\",\"decision\":\"ask\"}]}");
  g_autoptr(JsonObject) allow_default = parse ("{\"default\":\"allow\"}");
  g_autoptr(JsonObject) empty = parse ("{}");
  int rule = -2;

  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "exec", FALSE, "git status -s", NULL, &rule), ==,
                   NB_PERMISSION_ALLOW);
  g_assert_cmpint (rule, ==, 0);
  /* The first matching rule decides: the deny of every exec comes first. */
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "exec", FALSE, "ls -l", NULL, &rule), ==,
                   NB_PERMISSION_DENY);
  g_assert_cmpint (rule, ==, 4);
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "write_file", FALSE, NULL, "notes/a.md", &rule), ==,
                   NB_PERMISSION_ALLOW);
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "write_file", FALSE, NULL, "src/a.c", &rule), ==,
                   NB_PERMISSION_ASK);
  g_assert_cmpint (rule, ==, -1);
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "mcp_github_merge", FALSE, NULL, NULL, &rule), ==,
                   NB_PERMISSION_ASK);
  g_assert_cmpint (rule, ==, 2);
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "delete_file", FALSE, NULL, "notes/a.md", &rule), ==,
                   NB_PERMISSION_DENY);
  /* Read-only tools run unless a rule says otherwise. */
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ASK, "read_file", TRUE, NULL, "x", &rule), ==,
                   NB_PERMISSION_ALLOW);
  g_assert_cmpint (decide (permissions, NB_PERMISSION_ALLOW, "web_fetch", TRUE, NULL, NULL, &rule), ==,
                   NB_PERMISSION_ASK);
  /* default */
  g_assert_cmpint (decide (allow_default, NB_PERMISSION_ASK, "spawn", FALSE, NULL, NULL, NULL), ==,
                   NB_PERMISSION_ALLOW);
  g_assert_cmpint (decide (empty, NB_PERMISSION_ALLOW, "spawn", FALSE, NULL, NULL, NULL), ==,
                   NB_PERMISSION_ASK);
  /* tools.permissions absent: the front end's default (the window asks,
   * nanobot -m allows). */
  g_assert_cmpint (decide (NULL, NB_PERMISSION_ASK, "exec", FALSE, "ls", NULL, NULL), ==, NB_PERMISSION_ASK);
  g_assert_cmpint (decide (NULL, NB_PERMISSION_ALLOW, "exec", FALSE, "ls", NULL, NULL), ==, NB_PERMISSION_ALLOW);
  g_assert_cmpint (decide (NULL, NB_PERMISSION_ASK, "read_file", TRUE, NULL, "a", NULL), ==, NB_PERMISSION_ALLOW);
}

static void
check_suggestion (const char *tool,
                  const char *command,
                  const char *path,
                  const char *expected_json)
{
  const char *paths[] = { path, NULL };
  NbToolCallFacts facts = { tool, FALSE, command, path != NULL ? paths : NULL, "/ws" };
  g_autoptr(JsonObject) rule = nb_tool_policy_suggest_rule (&facts);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), rule);
  g_autofree char *text = json_to_string (node, FALSE);

  g_assert_cmpstr (text, ==, expected_json);
  /* The suggestion allows the call it was made for. */
  g_assert_true (nb_tool_policy_rule_matches (rule, &facts));
}

static void
test_suggest (void)
{
  check_suggestion ("exec", "git status --short", NULL,
                    "{\"tool\":\"exec\",\"command\":\"git status*\",\"decision\":\"allow\"}");
  check_suggestion ("exec", "ls", NULL, "{\"tool\":\"exec\",\"command\":\"ls*\",\"decision\":\"allow\"}");
  check_suggestion ("exec", "python3 script.py --x", NULL,
                    "{\"tool\":\"exec\",\"command\":\"python3*\",\"decision\":\"allow\"}");
  check_suggestion ("exec", "./run.sh", NULL, "{\"tool\":\"exec\",\"command\":\"./run.sh\",\"decision\":\"allow\"}");
  check_suggestion ("write_file", NULL, "notes/2024/a.md",
                    "{\"tool\":\"write_file\",\"path\":\"notes/2024/**\",\"decision\":\"allow\"}");
  check_suggestion ("write_file", NULL, "top.md", "{\"tool\":\"write_file\",\"path\":\"top.md\",\"decision\":\"allow\"}");
  check_suggestion ("write_file", NULL, "/tmp/x/y.txt",
                    "{\"tool\":\"write_file\",\"path\":\"/tmp/x/**\",\"decision\":\"allow\"}");
  check_suggestion ("mcp_github_merge", NULL, NULL, "{\"tool\":\"mcp_github_merge\",\"decision\":\"allow\"}");
}

static void
test_patch_paths (void)
{
  g_autoptr(JsonObject) arguments = parse ("{\"patch\":\"*** Begin Patch\\n*** Update File: src/a.c\\n@@\\n-x\\n+y\\n"
                                           "*** Add File: notes/b.md\\n+hi\\n*** End Patch\\n\"}");
  g_auto(GStrv) paths = nb_tool_policy_call_paths ("apply_patch", arguments);

  g_assert_nonnull (paths);
  g_assert_cmpuint (g_strv_length (paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, "src/a.c");
  g_assert_cmpstr (paths[1], ==, "notes/b.md");
}

static void
test_config_validation (void)
{
  g_autofree char *dir = nb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbConfig) good = NULL;
  g_autoptr(NbConfig) bad = NULL;

  nb_test_write_file (path, "{\"tools\":{\"permissions\":{\"default\":\"deny\",\"rules\":[{\"tool\":\"exec\",\"decision\":\"allow\"}]}}}");
  good = nb_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nb_config_get_string (good, "tools.permissions.default"), ==, "deny");

  nb_test_write_file (path, "{\"tools\":{\"permissions\":{\"default\":\"sometimes\"}}}");
  bad = nb_config_load (path, &error);
  g_assert_null (bad);
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "tools.permissions.default"));
  g_clear_error (&error);

  nb_test_write_file (path, "{\"tools\":{\"permissions\":{\"rules\":[{\"tool\":\"exec\"}]}}}");
  bad = nb_config_load (path, &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "tools.permissions.rules[0]"));
  g_assert_nonnull (strstr (error->message, "decision"));
  g_clear_error (&error);

  nb_test_rm_rf (dir);
}

/* The agent waiting for approvals */

typedef struct {
  char               *dir;
  char               *config_path;
  NbConfig           *config;
  NbScriptedProvider *provider;
  NbToolRegistry     *tools;
  NbAgent            *agent;
  NbPermissions      *permissions;
  NbApprovalQueue    *queue;
  NbSession          *session;
  GCancellable       *cancellable;
  GPtrArray          *log;
  NbTestTool         *exec;
  NbTestTool         *look;
  NbTestTool         *write;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *permissions = data;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *workspace = NULL;

  f->dir = nb_test_make_tmpdir ();
  workspace = g_build_filename (f->dir, "ws", NULL);
  f->config_path = g_build_filename (f->dir, "config.json", NULL);
  text = g_strdup_printf ("{\"agents\":{\"defaults\":{\"model\":\"m\",\"workspace\":\"%s\"}},"
                          "\"custom\":{\"kept\":[1,2]},\"tools\":{\"exec\":{\"timeout\":30}%s%s}}",
                          workspace, permissions != NULL ? ",\"permissions\":" : "",
                          permissions != NULL ? permissions : "");
  nb_test_write_file (f->config_path, text);
  f->config = nb_config_load (f->config_path, &error);
  g_assert_no_error (error);

  f->provider = nb_scripted_provider_new ();
  f->tools = nb_tool_registry_new ();
  f->log = g_ptr_array_new_with_free_func (g_free);
  f->exec = nb_test_tool_new ("exec", "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}}}", TRUE, 1);
  f->look = nb_test_tool_new ("look", NULL, FALSE, 1);
  f->write = nb_test_tool_new ("write_file", "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}", TRUE, 1);
  f->exec->log = f->look->log = f->write->log = f->log;
  nb_tool_registry_add (f->tools, NB_TOOL (f->exec));
  nb_tool_registry_add (f->tools, NB_TOOL (f->look));
  nb_tool_registry_add (f->tools, NB_TOOL (f->write));

  f->agent = nb_agent_new (NB_PROVIDER (f->provider), f->config, f->tools, NULL);
  f->permissions = nb_permissions_new (f->config);
  f->queue = nb_approval_queue_new ();
  nb_permissions_set_approver (f->permissions, NB_TOOL_APPROVER (f->queue), NB_PERMISSION_ASK);
  nb_agent_set_permissions (f->agent, f->permissions);
  f->session = nb_session_new ("desktop:perm");
  f->cancellable = g_cancellable_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->agent);
  g_clear_object (&f->session);
  g_assert_finalize_object (f->provider);
  g_clear_object (&f->tools);
  g_clear_object (&f->exec);
  g_clear_object (&f->look);
  g_clear_object (&f->write);
  g_clear_object (&f->permissions);
  g_assert_finalize_object (f->queue);
  g_clear_object (&f->config);
  g_clear_object (&f->cancellable);
  g_ptr_array_unref (f->log);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
}

static void
wait_for_approvals (Fixture *f,
                    guint    n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_list_model_get_n_items (G_LIST_MODEL (f->queue)) != n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

static NbToolApproval *
approval (Fixture *f,
          guint    i)
{
  NbToolApproval *item = g_list_model_get_item (G_LIST_MODEL (f->queue), i);

  g_object_unref (item);  /* the queue holds it */
  return item;
}

static gboolean
log_has (Fixture    *f,
         const char *entry)
{
  for (guint i = 0; i < f->log->len; i++)
    if (g_str_equal (g_ptr_array_index (f->log, i), entry))
      return TRUE;
  return FALSE;
}

static JsonObject *
tool_result (Fixture    *f,
             const char *call_id)
{
  for (guint i = 0; i < nb_session_get_n_messages (f->session); i++)
    {
      JsonObject *json = nb_message_get_json (nb_session_get_message (f->session, i));

      if (g_strcmp0 (json_object_get_string_member_with_default (json, "role", ""), "tool") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (json, "tool_call_id", ""), call_id) == 0)
        return json;
    }
  return NULL;
}

/* A side-effecting call waits for its answer, read-only calls before it
 * run meanwhile, and calls after it wait too (the turn's order). */
static void
test_ask_allow_once (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  NbToolApproval *item;
  JsonObject *stored;
  JsonObject *audit;

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "look", "{}",
                                  "c2", "exec", "{\"command\":\"make test\"}",
                                  "c3", "look", "{}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Done.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  item = approval (f, 0);
  g_assert_cmpstr (nb_tool_approval_get_call_id (item), ==, "c2");
  g_assert_cmpstr (nb_tool_approval_get_command (item), ==, "make test");
  g_assert_cmpstr (nb_tool_approval_get_session_key (item), ==, "desktop:perm");
  g_assert_nonnull (nb_tool_approval_get_working_dir (item));
  g_assert_true (g_str_has_suffix (nb_tool_approval_get_working_dir (item), "/ws"));
  g_assert_cmpuint (nb_approval_queue_count_session (f->queue, "desktop:perm"), ==, 1);

  /* Let the first look finish: the third call still waits. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (5000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (log_has (f, "end:look"));
  g_assert_cmpuint (f->look->n_calls, ==, 1);
  g_assert_cmpuint (f->exec->n_calls, ==, 0);

  nb_tool_approval_answer (item, NB_APPROVAL_ALLOW_ONCE, NULL, NULL);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Done.");
  g_assert_cmpuint (f->exec->n_calls, ==, 1);
  g_assert_cmpuint (f->look->n_calls, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->queue)), ==, 0);

  /* The decision is kept with the result, and not sent to the model. */
  stored = tool_result (f, "c2");
  g_assert_nonnull (stored);
  audit = json_object_get_object_member (stored, "permission");
  g_assert_nonnull (audit);
  g_assert_cmpstr (json_object_get_string_member (audit, "decision"), ==, "allow");
  g_assert_cmpstr (json_object_get_string_member (audit, "by"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (audit, "answer"), ==, "once");
  g_assert_true (json_object_has_member (audit, "at"));
  g_assert_false (json_object_has_member (tool_result (f, "c1"), "permission"));
  g_assert_null (strstr (g_ptr_array_index (f->provider->requests, 1), "permission"));
}

static void
test_deny_reason (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *sessions = g_build_filename (f->dir, "sessions", NULL);
  g_autoptr(NbSessionStore) store = nb_session_store_new (sessions);
  JsonObject *stored;

  /* The session file, with the decision, stays readable by the Python
   * nanobot's loader. */
  nb_agent_set_session_store (f->agent, store);

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "exec", "{\"command\":\"rm -rf build\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "OK, I will not.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  nb_tool_approval_answer (approval (f, 0), NB_APPROVAL_DENY, "keep the build folder", NULL);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, NULL);
  g_assert_cmpstr (reply, ==, "OK, I will not.");
  g_assert_cmpuint (f->exec->n_calls, ==, 0);

  stored = tool_result (f, "c1");
  g_assert_cmpstr (json_object_get_string_member (stored, "content"), ==,
                   "Denied by the user. Reason: keep the build folder");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (stored, "permission"), "decision"),
                   ==, "deny");
  /* The model sees the reason in the next request. */
  g_assert_nonnull (strstr (g_ptr_array_index (f->provider->requests, 1), "keep the build folder"));

  {
    g_autofree char *path = nb_session_store_get_path (store, "desktop:perm");
    g_autofree char *text = nb_test_read_file (path);
    g_autoptr(JsonObject) loaded = NULL;

    g_assert_nonnull (strstr (text, "\"permission\":{\"decision\":\"deny\",\"by\":\"user\""));
    loaded = nb_test_python_load_session (path);
    g_assert_nonnull (loaded);
    g_assert_cmpint (json_object_get_int_member (loaded, "n_messages"), ==, 4);
  }
}

/* Stop while a call waits: the approval goes away, the call is cancelled. */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbToolApproval) item = NULL;
  g_autofree char *reply = NULL;

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "exec", "{\"command\":\"sleep 1\"}", NULL);

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  item = g_object_ref (approval (f, 0));
  g_cancellable_cancel (f->cancellable);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_for_approvals (f, 0);
  g_assert_cmpint (nb_tool_approval_get_answer (item), ==, NB_APPROVAL_CANCELLED);
  g_assert_cmpuint (f->exec->n_calls, ==, 0);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (tool_result (f, "c1"), "content"), "Error:"));
}

static void
rule_saved_cb (NbToolApproval *approval,
               const GError   *error,
               gboolean       *flag)
{
  *flag = TRUE;
}

static void
test_always_saves_rule (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(JsonObject) rule = nb_test_parse_object ("{\"tool\":\"exec\",\"command\":\"git status*\",\"decision\":\"allow\"}");
  g_autoptr(NbToolApproval) item = NULL;
  gboolean saved_flag = FALSE;
  JsonArray *rules;
  struct stat st;

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "exec", "{\"command\":\"git status\"}", NULL);
  nb_scripted_provider_add_calls (f->provider, NULL, "c2", "exec", "{\"command\":\"git status --short\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Clean.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  /* The suggestion is the command's prefix. */
  g_assert_cmpstr (json_object_get_string_member (nb_tool_approval_get_suggested_rule (approval (f, 0)), "command"),
                   ==, "git status*");
  item = g_object_ref (approval (f, 0));
  g_signal_connect (item, "rule-saved", G_CALLBACK (rule_saved_cb), &saved_flag);
  nb_tool_approval_answer (item, NB_APPROVAL_ALLOW_ALWAYS, NULL, rule);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, NULL);
  g_assert_cmpstr (reply, ==, "Clean.");
  nb_test_wait_for (&saved_flag, 10000);
  g_assert_null (nb_tool_approval_get_rule_error (item));
  /* The second call ran without a question. */
  g_assert_cmpuint (f->exec->n_calls, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool_result (f, "c2"), "permission"),
                                                  "by"), ==, "rule");

  g_assert_cmpint (stat (f->config_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  text = nb_test_read_file (f->config_path);
  saved = nb_test_parse_object (text);
  /* Unknown keys and other settings are kept, in their order. */
  g_assert_true (json_object_has_member (saved, "custom"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_object_get_object_member (saved, "tools"),
                                                                                "exec"), "timeout"), ==, 30);
  g_assert_nonnull (strstr (text, "\"custom\""));
  g_assert_true (strstr (text, "\"agents\"") < strstr (text, "\"custom\""));
  rules = json_object_get_array_member (json_object_get_object_member (json_object_get_object_member (saved, "tools"),
                                                                       "permissions"), "rules");
  g_assert_cmpuint (json_array_get_length (rules), ==, 2);
  /* Before the rule that asked. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rules, 0), "command"), ==, "git status*");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rules, 1), "decision"), ==, "ask");
}

/* An edit of config.json that holds the writer until the test lets go:
 * every write after it waits, as behind a slow disk. */
typedef struct {
  GMutex   lock;
  GCond    cond;
  gboolean entered;
  gboolean released;
} Gate;

static void
gate_edit (JsonObject *root,
           gpointer    user_data)
{
  Gate *gate = user_data;

  g_mutex_lock (&gate->lock);
  gate->entered = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->released)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
}

static void
gate_release (Gate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->released = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

static JsonArray *
saved_rules (Fixture *f)
{
  g_autofree char *text = nb_test_read_file (f->config_path);
  g_autoptr(JsonObject) saved = nb_test_parse_object (text);
  JsonObject *tools = json_object_get_object_member (saved, "tools");
  JsonObject *permissions = json_object_get_object_member (tools, "permissions");

  return json_array_ref (json_object_get_array_member (permissions, "rules"));
}

/* "Always" never waits for the disk: while the rule is still being
 * written (the writer is held here), the turn goes on, and the next
 * identical call of the same turn is not asked about again. */
static void
test_always_while_saving (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) gate_result = NULL;
  g_autoptr(JsonObject) rule = nb_test_parse_object ("{\"tool\":\"exec\",\"command\":\"make*\",\"decision\":\"allow\"}");
  g_autoptr(NbToolApproval) item = NULL;
  g_autoptr(JsonArray) rules = NULL;
  g_autofree char *reply = NULL;
  NbConfigEdit *edit = nb_config_edit_new ();
  gboolean saved_flag = FALSE;
  Gate gate = { 0 };

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  nb_config_edit_add_func (edit, gate_edit, &gate, NULL);
  nb_config_write_async (f->config, edit, NULL, nb_test_store_result_cb, &gate_result);
  g_mutex_lock (&gate.lock);
  while (!gate.entered)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "exec", "{\"command\":\"make\"}", NULL);
  nb_scripted_provider_add_calls (f->provider, NULL, "c2", "exec", "{\"command\":\"make\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Built twice.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  item = g_object_ref (approval (f, 0));
  g_signal_connect (item, "rule-saved", G_CALLBACK (rule_saved_cb), &saved_flag);
  nb_tool_approval_answer (item, NB_APPROVAL_ALLOW_ALWAYS, NULL, rule);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, NULL);
  g_assert_cmpstr (reply, ==, "Built twice.");
  g_assert_cmpuint (f->exec->n_calls, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool_result (f, "c2"), "permission"),
                                                  "by"), ==, "rule");

  /* The turn ended with the rule not on disk yet. */
  g_assert_false (saved_flag);
  g_assert_true (nb_permissions_has_pending_saves (f->permissions));
  rules = saved_rules (f);
  g_assert_cmpuint (json_array_get_length (rules), ==, 1);
  g_clear_pointer (&rules, json_array_unref);

  gate_release (&gate);
  nb_test_wait_result (&gate_result, 10000);
  g_assert_true (nb_config_write_finish (f->config, gate_result, NULL));
  nb_test_wait_for (&saved_flag, 10000);
  g_assert_null (nb_tool_approval_get_rule_error (item));
  g_assert_false (nb_permissions_has_pending_saves (f->permissions));
  rules = saved_rules (f);
  g_assert_cmpuint (json_array_get_length (rules), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rules, 0), "command"), ==, "make*");
  /* The configuration has it now. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      nb_config_get_object (f->config, "tools.permissions"), "rules")), ==, 2);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

/* A config.json that does not parse is never overwritten: the call the
 * user allowed runs, the approval says why the rule was not saved, and
 * the rule does not stay in effect as if it were. */
static void
test_always_save_fails (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) rule = nb_test_parse_object ("{\"tool\":\"exec\",\"command\":\"make*\",\"decision\":\"allow\"}");
  g_autoptr(NbToolApproval) item = NULL;
  g_autoptr(JsonObject) policy = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *after = NULL;
  const char *broken = "{\"tools\": {\"permissions\": [oops\n";
  gboolean saved_flag = FALSE;
  const GError *error;

  nb_test_write_file (f->config_path, broken);

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "exec", "{\"command\":\"make\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Built.");
  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  item = g_object_ref (approval (f, 0));
  g_signal_connect (item, "rule-saved", G_CALLBACK (rule_saved_cb), &saved_flag);
  nb_tool_approval_answer (item, NB_APPROVAL_ALLOW_ALWAYS, NULL, rule);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, NULL);
  g_assert_cmpstr (reply, ==, "Built.");
  g_assert_cmpuint (f->exec->n_calls, ==, 1);

  nb_test_wait_for (&saved_flag, 10000);
  error = nb_tool_approval_get_rule_error (item);
  g_assert_nonnull (error);
  /* Where the file is wrong. */
  g_assert_nonnull (strstr (error->message, "config.json:"));
  after = nb_test_read_file (f->config_path);
  g_assert_cmpstr (after, ==, broken);
  g_assert_false (nb_permissions_has_pending_saves (f->permissions));
  policy = nb_permissions_dup_policy (f->permissions);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (policy, "rules")), ==, 1);
}

/* Preferences' save is in effect at once, and a failed one changes
 * nothing. */
static void
test_save_async (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) permissions = nb_test_parse_object ("{\"default\":\"deny\",\"rules\":[]}");
  g_autoptr(JsonObject) policy = NULL;
  g_autofree char *text = NULL;

  nb_permissions_save_async (f->permissions, permissions, NULL, nb_test_store_result_cb, &result);
  policy = nb_permissions_dup_policy (f->permissions);
  g_assert_cmpstr (json_object_get_string_member (policy, "default"), ==, "deny");
  nb_test_wait_result (&result, 10000);
  g_assert_true (nb_permissions_save_finish (f->permissions, result, &error));
  g_assert_no_error (error);
  text = nb_test_read_file (f->config_path);
  g_assert_nonnull (strstr (text, "\"default\" : \"deny\""));
  g_assert_nonnull (strstr (text, "\"kept\""));

  g_clear_object (&result);
  g_clear_pointer (&policy, json_object_unref);
  nb_test_write_file (f->config_path, "not json");
  nb_permissions_save_async (f->permissions, NULL, NULL, nb_test_store_result_cb, &result);
  g_assert_null (nb_permissions_dup_policy (f->permissions));
  nb_test_wait_result (&result, 10000);
  g_assert_false (nb_permissions_save_finish (f->permissions, result, &error));
  g_assert_error (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_PARSE);
  g_clear_pointer (&text, g_free);
  text = nb_test_read_file (f->config_path);
  g_assert_cmpstr (text, ==, "not json");
  policy = nb_permissions_dup_policy (f->permissions);
  g_assert_cmpstr (json_object_get_string_member (policy, "default"), ==, "deny");
}

/* An MCP server whose name has "_" (or characters tool names cannot
 * have): the question names the server and its tool as the tool object
 * knows them, not as "mcp_my_server_do_thing" would split. */
static void
test_mcp_server_name (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) server_config = nb_test_parse_object ("{\"command\":\"true\"}");
  g_autoptr(NbMcpServer) server = nb_mcp_server_new ("my_server", server_config);
  g_autoptr(NbMcpServer) dotted = nb_mcp_server_new ("team.tools", server_config);
  g_autoptr(JsonObject) definition = nb_test_parse_object ("{\"name\":\"do_thing\"}");
  g_autoptr(NbTool) tool = nb_mcp_tool_new (server, definition);
  g_autoptr(NbTool) dotted_tool = nb_mcp_tool_new (dotted, definition);
  g_autofree char *name = NULL;
  NbToolApproval *item;

  g_assert_cmpstr (nb_tool_get_name (tool), ==, "mcp_my_server_do_thing");
  g_assert_cmpstr (nb_tool_get_name (dotted_tool), ==, "mcp_team_tools_do_thing");
  nb_tool_registry_add (f->tools, tool);
  nb_tool_registry_add (f->tools, dotted_tool);
  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "mcp_my_server_do_thing", "{}",
                                  "c2", "mcp_team_tools_do_thing", "{}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Not done.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  item = approval (f, 0);
  name = nb_tool_approval_dup_mcp_server (item);
  g_assert_cmpstr (name, ==, "my_server");
  g_assert_cmpstr (nb_tool_approval_get_mcp_tool (item), ==, "do_thing");
  /* The narrowest rule: this tool. */
  g_assert_cmpstr (json_object_get_string_member (nb_tool_approval_get_suggested_rule (item), "tool"), ==,
                   "mcp_my_server_do_thing");
  nb_tool_approval_answer (item, NB_APPROVAL_DENY, NULL, NULL);

  wait_for_approvals (f, 1);
  item = approval (f, 0);
  g_clear_pointer (&name, g_free);
  name = nb_tool_approval_dup_mcp_server (item);
  g_assert_cmpstr (name, ==, "team.tools");
  g_assert_cmpstr (nb_tool_approval_get_mcp_tool (item), ==, "do_thing");
  nb_tool_approval_answer (item, NB_APPROVAL_DENY, NULL, NULL);

  nb_test_wait_result (&result, 10000);
  g_free (nb_agent_run_finish (f->agent, result, NULL));
  g_assert_cmpuint (f->exec->n_calls, ==, 0);
}

static void
test_conversation_grant (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(NbSession) other = nb_session_new ("desktop:other");
  g_autofree char *reply = NULL;
  JsonArray *grants;

  nb_scripted_provider_add_calls (f->provider, NULL, "c1", "write_file", "{\"path\":\"notes/a.md\"}", NULL);
  nb_scripted_provider_add_calls (f->provider, NULL, "c2", "write_file", "{\"path\":\"notes/b.md\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Written.");
  nb_scripted_provider_add_calls (f->provider, NULL, "c3", "write_file", "{\"path\":\"notes/c.md\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Other.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  g_assert_cmpstr (json_object_get_string_member (nb_tool_approval_get_suggested_rule (approval (f, 0)), "path"),
                   ==, "notes/**");
  nb_tool_approval_answer (approval (f, 0), NB_APPROVAL_ALLOW_CONVERSATION, NULL, NULL);
  nb_test_wait_result (&result, 10000);
  reply = nb_agent_run_finish (f->agent, result, NULL);
  g_assert_cmpstr (reply, ==, "Written.");
  g_assert_cmpuint (f->write->n_calls, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool_result (f, "c2"), "permission"),
                                                  "by"), ==, "conversation");
  grants = nb_permissions_get_grants (f->permissions);
  g_assert_cmpuint (json_array_get_length (grants), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (grants, 0), "session"), ==,
                   "desktop:perm");

  /* Another conversation is asked again. */
  g_clear_object (&result);
  nb_agent_run_async (f->agent, other, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 1);
  g_assert_cmpstr (nb_tool_approval_get_session_key (approval (f, 0)), ==, "desktop:other");
  /* Revoked, the first conversation would be asked again too. */
  nb_permissions_revoke_grant (f->permissions, 0);
  g_assert_cmpuint (json_array_get_length (nb_permissions_get_grants (f->permissions)), ==, 0);
  nb_tool_approval_answer (approval (f, 0), NB_APPROVAL_ALLOW_ONCE, NULL, NULL);
  nb_test_wait_result (&result, 10000);
  g_free (nb_agent_run_finish (f->agent, result, NULL));
}

/* Rules without asking: allowed and denied calls, with their audit. */
static void
test_rules_decide (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "exec", "{\"command\":\"git status\"}",
                                  "c2", "exec", "{\"command\":\"git status; rm -rf ~\"}",
                                  "c3", "write_file", "{\"path\":\"notes/x.md\"}", NULL);
  nb_scripted_provider_add_reply (f->provider, "ok");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_free (nb_agent_run_finish (f->agent, result, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->queue)), ==, 0);
  g_assert_cmpuint (f->exec->n_calls, ==, 1);
  g_assert_cmpuint (f->write->n_calls, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (tool_result (f, "c2"), "content"), ==,
                   "Denied: the user's settings do not allow this tool.");
  g_assert_cmpstr (json_object_get_string_member (tool_result (f, "c3"), "content"), ==,
                   "Denied by a permission rule of the user.");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tool_result (f, "c1"), "permission"),
                                                  "by"), ==, "rule");
}

/* Read-only calls a rule asks about wait together, and Allow All answers
 * them at once. */
static void
test_allow_all (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  nb_scripted_provider_add_calls (f->provider, NULL,
                                  "c1", "look", "{}", "c2", "look", "{}", "c3", "look", "{}", NULL);
  nb_scripted_provider_add_reply (f->provider, "Seen.");

  nb_agent_run_async (f->agent, f->session, "go", f->cancellable, nb_test_store_result_cb, &result);
  wait_for_approvals (f, 3);
  g_assert_cmpuint (nb_approval_queue_count_session (f->queue, "desktop:perm"), ==, 3);
  g_assert_cmpuint (nb_approval_queue_answer_session (f->queue, "desktop:perm", NB_APPROVAL_ALLOW_ONCE), ==, 3);
  nb_test_wait_result (&result, 10000);
  g_free (nb_agent_run_finish (f->agent, result, NULL));
  g_assert_cmpuint (f->look->n_calls, ==, 3);
  g_assert_cmpuint (f->look->max_running, ==, 3);
}

/* A sub-agent's calls go through the same permissions, asked in the
 * conversation that started it and attributed to the sub-agent. */
static void
test_subagent (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(NbTool) spawn = nb_spawn_tool_new ();
  NbToolApproval *item;
  gint64 deadline;

  nb_tool_registry_add (f->tools, spawn);
  nb_scripted_provider_add_calls (f->provider, NULL, "p1", "spawn", "{\"task\":\"tidy the notes\",\"label\":\"tidy\"}", NULL);
  nb_scripted_provider_set_match (f->provider, "please");
  nb_scripted_provider_add_calls (f->provider, NULL, "s1", "exec", "{\"command\":\"ls notes\"}", NULL);
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "Tidied.");
  nb_scripted_provider_set_match (f->provider, "# Sub-agent");
  nb_scripted_provider_add_reply (f->provider, "Started.");
  nb_scripted_provider_set_match (f->provider, "please");
  nb_scripted_provider_add_reply (f->provider, "All tidy.");
  nb_scripted_provider_set_match (f->provider, "[Subagent");

  nb_agent_run_async (f->agent, f->session, "please tidy", f->cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 10000);
  g_free (nb_agent_run_finish (f->agent, result, NULL));
  wait_for_approvals (f, 1);
  item = approval (f, 0);
  g_assert_cmpstr (nb_tool_approval_get_tool_name (item), ==, "exec");
  g_assert_cmpstr (nb_tool_approval_get_agent_label (item), ==, "tidy");
  g_assert_cmpstr (nb_tool_approval_get_session_key (item), ==, "desktop:perm");
  g_assert_cmpuint (f->exec->n_calls, ==, 0);
  nb_tool_approval_answer (item, NB_APPROVAL_ALLOW_ONCE, NULL, NULL);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (nb_agent_is_busy (f->agent))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (f->exec->n_calls, ==, 1);
  /* The sub-agent's result came back to the conversation. */
  (void) nb_scripted_provider_find_request (f->provider, "Tidied.");
  g_assert_cmpstr (json_object_get_string_member (nb_message_get_json (nb_session_get_message (f->session, nb_session_get_n_messages (f->session) - 1)), "content"), ==, "All tidy.");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/permissions/match-name", test_match_name);
  g_test_add_func ("/permissions/match-command", test_match_command);
  g_test_add_func ("/permissions/match-path", test_match_path);
  g_test_add_func ("/permissions/decide", test_decide);
  g_test_add_func ("/permissions/suggest", test_suggest);
  g_test_add_func ("/permissions/patch-paths", test_patch_paths);
  g_test_add_func ("/permissions/config-validation", test_config_validation);
  g_test_add ("/permissions/ask-allow-once", Fixture, NULL, fixture_setup, test_ask_allow_once, fixture_teardown);
  g_test_add ("/permissions/deny-reason", Fixture, NULL, fixture_setup, test_deny_reason, fixture_teardown);
  g_test_add ("/permissions/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/permissions/always-saves-rule", Fixture,
              "{\"default\":\"allow\",\"rules\":[{\"tool\":\"exec\",\"decision\":\"ask\"}]}",
              fixture_setup, test_always_saves_rule, fixture_teardown);
  g_test_add ("/permissions/conversation-grant", Fixture, NULL, fixture_setup, test_conversation_grant,
              fixture_teardown);
  g_test_add ("/permissions/rules-decide", Fixture,
              "{\"default\":\"deny\",\"rules\":[{\"tool\":\"exec\",\"command\":\"git status*\",\"decision\":\"allow\"},"
              "{\"tool\":\"write_file\",\"path\":\"notes/**\",\"decision\":\"deny\"}]}",
              fixture_setup, test_rules_decide, fixture_teardown);

  g_test_add ("/permissions/allow-all", Fixture,
              "{\"rules\":[{\"tool\":\"look\",\"decision\":\"ask\"}]}",
              fixture_setup, test_allow_all, fixture_teardown);
  g_test_add ("/permissions/subagent", Fixture, NULL, fixture_setup, test_subagent, fixture_teardown);
  g_test_add ("/permissions/always-while-saving", Fixture,
              "{\"default\":\"allow\",\"rules\":[{\"tool\":\"exec\",\"decision\":\"ask\"}]}",
              fixture_setup, test_always_while_saving, fixture_teardown);
  g_test_add ("/permissions/always-save-fails", Fixture,
              "{\"default\":\"allow\",\"rules\":[{\"tool\":\"exec\",\"decision\":\"ask\"}]}",
              fixture_setup, test_always_save_fails, fixture_teardown);
  g_test_add ("/permissions/save-async", Fixture, NULL, fixture_setup, test_save_async, fixture_teardown);
  g_test_add ("/permissions/mcp-server-name", Fixture, "{\"default\":\"ask\"}",
              fixture_setup, test_mcp_server_name, fixture_teardown);

  return g_test_run ();
}
