/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-mcp-tool.h"
#include "nb-message.h"
#include "nb-permissions-private.h"
#include "nb-sandbox.h"

/*
 * NbPermissions decides whether a tool call may run (README, "Tool
 * permissions"): the rules of tools.permissions (nb-tool-policy.c), the
 * grants "Allow in this conversation" made while the program runs, and
 * for "ask" the front end's NbToolApprover, whose answer may come at any
 * time later: the check is async and only the call waits, never the main
 * loop. The turn (nb-agent-permissions.c) runs the call when the check
 * allows it and keeps the decision with the tool result (the audit).
 */

G_DEFINE_FINAL_TYPE (NbPermissions, nb_permissions, G_TYPE_OBJECT)

enum {
  GRANTS_CHANGED,
  SESSION_GRANTS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nb_permissions_dispose (GObject *object)
{
  NbPermissions *self = NB_PERMISSIONS (object);

  g_clear_object (&self->config);
  g_clear_object (&self->approver);
  g_clear_pointer (&self->grants, json_array_unref);
  /* Each pending save belongs to its write's task, which holds us. */
  g_queue_clear (&self->pending);

  G_OBJECT_CLASS (nb_permissions_parent_class)->dispose (object);
}

static void
nb_permissions_class_init (NbPermissionsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nb_permissions_dispose;

  /**
   * NbPermissions::grants-changed:
   *
   * A conversation grant was added or revoked.
   */
  signals[GRANTS_CHANGED] =
    g_signal_new ("grants-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * NbPermissions::session-grants-changed:
   * @session_key: the conversation
   *
   * The user granted or revoked "Allow in this conversation" for
   * @session_key (not emitted by nb_permissions_restore_grants()): the
   * assistant keeps the conversation's grants in its session's metadata.
   */
  signals[SESSION_GRANTS_CHANGED] =
    g_signal_new ("session-grants-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
nb_permissions_init (NbPermissions *self)
{
  self->grants = json_array_new ();
  self->absent_default = NB_PERMISSION_ALLOW;
}

/**
 * nb_permissions_new:
 * @config: where tools.permissions is read (at every call, so that a
 *   saved rule applies to the next one) and saved
 *
 * Without an approver, calls that need approval are denied; when
 * tools.permissions is absent every call is allowed (as `nanobot -m`).
 */
NbPermissions *
nb_permissions_new (NbConfig *config)
{
  NbPermissions *self;

  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);

  self = g_object_new (NB_TYPE_PERMISSIONS, NULL);
  self->config = g_object_ref (config);
  return self;
}

NbConfig *
nb_permissions_get_config (NbPermissions *self)
{
  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NULL);
  return self->config;
}

/**
 * nb_permissions_set_approver:
 * @approver: (nullable): who is asked
 * @absent_default: the decision for side-effecting calls when
 *   tools.permissions is absent: the window asks, `nanobot -m` allows
 */
void
nb_permissions_set_approver (NbPermissions  *self,
                             NbToolApprover *approver,
                             NbPermission    absent_default)
{
  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (approver == NULL || NB_IS_TOOL_APPROVER (approver));

  g_set_object (&self->approver, approver);
  self->absent_default = absent_default;
}

NbToolApprover *
nb_permissions_get_approver (NbPermissions *self)
{
  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NULL);
  return self->approver;
}

NbPermission
nb_permissions_get_absent_default (NbPermissions *self)
{
  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NB_PERMISSION_ALLOW);
  return self->absent_default;
}

/* Conversation grants */

/* The members of a rule a grant keeps; NULL when @rule is not one (a
 * grant read from a session file could be anything). */
static JsonObject *
grant_from_rule (const char *session_key,
                 JsonObject *rule)
{
  static const char * const keys[] = { "tool", "command", "path" };
  g_autoptr(JsonObject) grant = json_object_new ();

  /* No tool would match every tool. */
  if (nb_json_get_string (rule, "tool") == NULL || *nb_json_get_string (rule, "tool") == '\0')
    return NULL;
  if (session_key != NULL)
    json_object_set_string_member (grant, "session", session_key);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JsonNode *node = json_object_get_member (rule, keys[i]);

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      if (nb_json_get_string (rule, keys[i]) == NULL)
        return NULL;
      json_object_set_string_member (grant, keys[i], nb_json_get_string (rule, keys[i]));
    }
  return g_steal_pointer (&grant);
}

/**
 * nb_permissions_grant:
 * @rule: what is allowed (tool, command, path as in a rule)
 *
 * Allows calls matching @rule in the conversation @session_key ("Allow in
 * this conversation"); the assistant keeps it in the session's metadata,
 * so it lasts as long as the conversation.
 */
void
nb_permissions_grant (NbPermissions *self,
                      const char    *session_key,
                      JsonObject    *rule)
{
  JsonObject *grant;

  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (session_key != NULL && rule != NULL);

  grant = grant_from_rule (session_key, rule);
  if (grant == NULL)
    return;
  json_array_add_object_element (self->grants, grant);
  g_signal_emit (self, signals[GRANTS_CHANGED], 0);
  g_signal_emit (self, signals[SESSION_GRANTS_CHANGED], 0, session_key);
}

/**
 * nb_permissions_get_grants:
 *
 * Returns: (transfer none): the grants, objects with `session`, `tool`
 *   and `command` or `path`, oldest first; do not change it
 */
JsonArray *
nb_permissions_get_grants (NbPermissions *self)
{
  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NULL);
  return self->grants;
}

void
nb_permissions_revoke_grant (NbPermissions *self,
                             guint          index)
{
  g_autofree char *session_key = NULL;

  g_return_if_fail (NB_IS_PERMISSIONS (self));

  if (index >= json_array_get_length (self->grants))
    return;
  session_key = g_strdup (nb_json_get_string (json_array_get_object_element (self->grants, index), "session"));
  json_array_remove_element (self->grants, index);
  g_signal_emit (self, signals[GRANTS_CHANGED], 0);
  if (session_key != NULL)
    g_signal_emit (self, signals[SESSION_GRANTS_CHANGED], 0, session_key);
}

/**
 * nb_permissions_dup_session_grants:
 *
 * Returns: (transfer full): the grants of @session_key as rules without
 *   a decision (`tool`, `command` or `path`), oldest first
 */
JsonArray *
nb_permissions_dup_session_grants (NbPermissions *self,
                                   const char    *session_key)
{
  JsonArray *grants;

  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NULL);
  g_return_val_if_fail (session_key != NULL, NULL);

  grants = json_array_new ();
  for (guint i = 0; i < json_array_get_length (self->grants); i++)
    {
      JsonObject *grant = json_array_get_object_element (self->grants, i);

      if (g_strcmp0 (nb_json_get_string (grant, "session"), session_key) == 0)
        json_array_add_object_element (grants, grant_from_rule (NULL, grant));
    }
  return grants;
}

/**
 * nb_permissions_restore_grants:
 * @grants: (nullable): rules as nb_permissions_dup_session_grants()
 *   gives them (read from the session's metadata); entries that are not
 *   are skipped
 *
 * Makes @grants the grants of @session_key, as when the conversation was
 * left. Emits ::grants-changed when they change, not
 * ::session-grants-changed.
 */
void
nb_permissions_restore_grants (NbPermissions *self,
                               const char    *session_key,
                               JsonArray     *grants)
{
  g_autoptr(JsonArray) before = NULL;
  g_autoptr(JsonArray) after = NULL;
  g_autoptr(JsonNode) before_node = NULL;
  g_autoptr(JsonNode) after_node = NULL;

  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (session_key != NULL);

  before = nb_permissions_dup_session_grants (self, session_key);
  for (guint i = json_array_get_length (self->grants); i > 0; i--)
    if (g_strcmp0 (nb_json_get_string (json_array_get_object_element (self->grants, i - 1), "session"),
                   session_key) == 0)
      json_array_remove_element (self->grants, i - 1);
  for (guint i = 0; grants != NULL && i < json_array_get_length (grants); i++)
    {
      JsonNode *node = json_array_get_element (grants, i);
      JsonObject *grant = JSON_NODE_HOLDS_OBJECT (node)
                          ? grant_from_rule (session_key, json_node_get_object (node)) : NULL;

      if (grant != NULL)
        json_array_add_object_element (self->grants, grant);
    }

  after = nb_permissions_dup_session_grants (self, session_key);
  before_node = json_node_init_array (json_node_alloc (), before);
  after_node = json_node_init_array (json_node_alloc (), after);
  if (!json_node_equal (before_node, after_node))
    g_signal_emit (self, signals[GRANTS_CHANGED], 0);
}

static gboolean
granted (NbPermissions         *self,
         const char            *session_key,
         const NbToolCallFacts *facts)
{
  for (guint i = 0; session_key != NULL && i < json_array_get_length (self->grants); i++)
    {
      JsonObject *grant = json_array_get_object_element (self->grants, i);

      if (g_strcmp0 (nb_json_get_string (grant, "session"), session_key) == 0 &&
          nb_tool_policy_rule_matches (grant, facts))
        return TRUE;
    }
  return FALSE;
}

/* Checking a call */

typedef struct {
  NbToolCall     *call;
  char           *session_key;
  char           *agent_label;
  char           *workspace;
  char           *working_dir;
  GStrv           paths;
  gboolean        read_only;
  char           *mcp_server;
  char           *mcp_tool;
  NbToolApproval *approval;
  gulong          finished_id;
  GSource        *cancel_source;
  char           *denied_text;
  JsonObject     *audit;
} Check;

static void
check_free (Check *check)
{
  if (check->approval != NULL && check->finished_id != 0)
    g_signal_handler_disconnect (check->approval, check->finished_id);
  if (check->cancel_source != NULL)
    {
      g_source_destroy (check->cancel_source);
      g_source_unref (check->cancel_source);
    }
  g_clear_pointer (&check->call, nb_tool_call_free);
  g_free (check->session_key);
  g_free (check->agent_label);
  g_free (check->workspace);
  g_free (check->working_dir);
  g_strfreev (check->paths);
  g_free (check->mcp_server);
  g_free (check->mcp_tool);
  g_clear_object (&check->approval);
  g_free (check->denied_text);
  g_clear_pointer (&check->audit, json_object_unref);
  g_free (check);
}

static void
check_facts (Check           *check,
             NbToolCallFacts *facts)
{
  facts->tool = check->call->name;
  facts->read_only = check->read_only;
  facts->command = g_strcmp0 (check->call->name, "exec") == 0
                   ? nb_json_get_string (check->call->arguments, "command") : NULL;
  facts->paths = (const char * const *) check->paths;
  facts->workspace = check->workspace;
}

static JsonObject *
audit_new (Check      *check,
           const char *decision,
           const char *by)
{
  JsonObject *audit = json_object_new ();
  g_autofree char *at = nb_message_make_timestamp ();

  json_object_set_string_member (audit, "decision", decision);
  json_object_set_string_member (audit, "by", by);
  json_object_set_string_member (audit, "at", at);
  if (check->agent_label != NULL)
    json_object_set_string_member (audit, "agent", check->agent_label);
  return audit;
}

static void
check_return (GTask *task)
{
  Check *check = g_task_get_task_data (task);

  g_task_return_boolean (task, check->denied_text == NULL);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  Check *check = user_data;

  nb_tool_approval_answer (check->approval, NB_APPROVAL_CANCELLED, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
rule_saved_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(NbToolApproval) approval = user_data;
  g_autoptr(GError) error = NULL;

  if (!nb_permissions_add_rule_finish (NB_PERMISSIONS (source), result, &error))
    g_debug ("Could not save the permission rule: %s", error->message);
  nb_tool_approval_rule_saved (approval, error);
}

static void
approval_finished_cb (NbToolApproval *approval,
                      gpointer        user_data)
{
  GTask *task = user_data;
  NbPermissions *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  NbApprovalAnswer answer = nb_tool_approval_get_answer (approval);
  const char *reason = nb_tool_approval_get_reason (approval);
  JsonObject *rule = nb_tool_approval_get_rule (approval);
  static const char * const answers[] = { NULL, "once", "conversation", "always" };
  NbToolCallFacts facts;

  g_signal_handler_disconnect (approval, check->finished_id);
  check->finished_id = 0;
  if (check->cancel_source != NULL)
    {
      g_source_destroy (check->cancel_source);
      g_clear_pointer (&check->cancel_source, g_source_unref);
    }

  check_facts (check, &facts);

  switch (answer)
    {
    case NB_APPROVAL_CANCELLED:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The approval was cancelled");
      break;

    case NB_APPROVAL_UNATTENDED:
      check->audit = audit_new (check, "deny", "unattended");
      check->denied_text = g_strdup_printf ("Denied: %s",
                                            reason != NULL ? reason : "this call needs approval and nobody can be asked.");
      if (reason != NULL)
        json_object_set_string_member (check->audit, "reason", reason);
      check_return (task);
      break;

    case NB_APPROVAL_DENY:
      check->audit = audit_new (check, "deny", "user");
      if (reason != NULL)
        {
          check->denied_text = g_strdup_printf ("Denied by the user. Reason: %s", reason);
          json_object_set_string_member (check->audit, "reason", reason);
        }
      else
        check->denied_text = g_strdup ("Denied by the user.");
      check_return (task);
      break;

    case NB_APPROVAL_ALLOW_CONVERSATION:
    case NB_APPROVAL_ALLOW_ALWAYS:
    case NB_APPROVAL_ALLOW_ONCE:
      check->audit = audit_new (check, "allow", "user");
      json_object_set_string_member (check->audit, "answer", answers[answer]);
      if (answer == NB_APPROVAL_ALLOW_CONVERSATION && rule != NULL)
        nb_permissions_grant (self, check->session_key, rule);
      if (answer == NB_APPROVAL_ALLOW_ALWAYS && rule != NULL)
        {
          json_object_set_object_member (check->audit, "rule", json_object_ref (rule));
          /* The call runs anyway: the user allowed it. The rule decides
           * from now on, while it is written; the approval tells the
           * front end when it is saved, or why not. */
          nb_permissions_add_rule_async (self, rule, &facts, NULL, rule_saved_cb, g_object_ref (approval));
        }
      check_return (task);
      break;

    case NB_APPROVAL_PENDING:
    default:
      g_assert_not_reached ();
    }

  g_object_unref (task);
}

static void
check_ask (GTask *task)
{
  NbPermissions *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(JsonObject) suggested = NULL;
  NbToolApprovalInfo info = { 0 };
  NbToolCallFacts facts;

  check_facts (check, &facts);
  suggested = nb_tool_policy_suggest_rule (&facts);

  info.session_key = check->session_key;
  info.call_id = check->call->id;
  info.tool_name = check->call->name;
  info.arguments = check->call->arguments;
  info.agent_label = check->agent_label;
  info.command = facts.command;
  info.working_dir = check->working_dir;
  info.sandboxed = facts.command != NULL && nb_sandbox_available () &&
                   nb_config_get_boolean (self->config, "tools.restrictToWorkspace");
  info.paths = facts.paths;
  info.workspace = check->workspace;
  info.suggested_rule = suggested;
  info.mcp_server = check->mcp_server;
  info.mcp_tool = check->mcp_tool;
  check->approval = nb_tool_approval_new (&info);

  if (self->approver == NULL)
    {
      check->audit = audit_new (check, "deny", "unattended");
      check->denied_text = g_strdup ("Denied: this call needs the user's approval and nobody can be asked.");
      check_return (task);
      g_object_unref (task);
      return;
    }

  /* The task's reference goes to the approval's answer. */
  check->finished_id = g_signal_connect (check->approval, "finished", G_CALLBACK (approval_finished_cb), task);
  if (g_task_get_cancellable (task) != NULL)
    {
      check->cancel_source = g_cancellable_source_new (g_task_get_cancellable (task));
      g_source_set_callback (check->cancel_source, G_SOURCE_FUNC (cancelled_cb), check, NULL);
      g_source_attach (check->cancel_source, g_task_get_context (task));
    }
  nb_tool_approver_request (self->approver, check->approval);
}

/**
 * nb_permissions_check_async:
 * @tool: the tool the call runs (checked by the registry already)
 * @call: the call; copied
 * @session_key: (nullable): the conversation (for a sub-agent, the one
 *   that started it)
 * @agent_label: (nullable): the sub-agent's label
 * @cancellable: (nullable): stops the wait for the user's answer
 *
 * Decides whether @call may run, asking the approver when needed. There
 * is no timeout: the call waits until the user answers or @cancellable is
 * cancelled.
 */
void
nb_permissions_check_async (NbPermissions       *self,
                            NbTool              *tool,
                            const NbToolCall    *call,
                            const char          *session_key,
                            const char          *agent_label,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;
  NbToolCallFacts facts;
  NbPermissionSource source = NB_PERMISSION_SOURCE_DEFAULT;
  g_autoptr(JsonObject) permissions = NULL;
  NbPermission decision;
  const char *working_dir;
  int rule_index = -1;

  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (NB_IS_TOOL (tool));
  g_return_if_fail (call != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_permissions_check_async);

  check = g_new0 (Check, 1);
  check->call = nb_tool_call_new (call->id, call->name, call->arguments_json);
  check->session_key = g_strdup (session_key);
  check->agent_label = g_strdup (agent_label);
  check->workspace = nb_config_dup_workspace (self->config);
  check->read_only = !nb_tool_has_side_effects (tool);
  check->paths = nb_tool_policy_call_paths (call->name, check->call->arguments);
  /* The server's name as the tool knows it: "mcp_my_server_x" does not
   * say where the name ends. */
  if (NB_IS_MCP_TOOL (tool))
    {
      check->mcp_server = g_strdup (nb_mcp_server_get_name (nb_mcp_tool_get_server (NB_MCP_TOOL (tool))));
      check->mcp_tool = g_strdup (nb_mcp_tool_get_remote_name (NB_MCP_TOOL (tool)));
    }
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  working_dir = nb_json_get_string (check->call->arguments, "working_dir");
  if (working_dir != NULL && *working_dir != '\0' && check->workspace != NULL && !g_path_is_absolute (working_dir))
    check->working_dir = g_build_filename (check->workspace, working_dir, NULL);
  else if (working_dir != NULL && *working_dir != '\0')
    check->working_dir = g_strdup (working_dir);
  else
    check->working_dir = g_strdup (check->workspace);

  check_facts (check, &facts);
  permissions = nb_permissions_ref_policy (self);
  decision = nb_tool_policy_decide (permissions, self->absent_default, &facts, &source, &rule_index);

  if (decision == NB_PERMISSION_ASK && granted (self, session_key, &facts))
    {
      check->audit = audit_new (check, "allow", "conversation");
      check_return (task);
      return;
    }

  if (decision != NB_PERMISSION_ASK)
    {
      const char *by = source == NB_PERMISSION_SOURCE_RULE ? "rule" : "default";

      /* Nothing was decided for a read-only call without a rule, nor for
       * any call when tools.permissions is absent and allows: no record. */
      if (source == NB_PERMISSION_SOURCE_RULE || permissions != NULL || decision == NB_PERMISSION_DENY)
        {
          check->audit = audit_new (check, decision == NB_PERMISSION_ALLOW ? "allow" : "deny", by);
          if (rule_index >= 0)
            {
              JsonArray *rules = nb_json_get_array (permissions, "rules");

              json_object_set_object_member (check->audit, "rule",
                                             json_object_ref (json_array_get_object_element (rules, rule_index)));
            }
          if (source == NB_PERMISSION_SOURCE_READ_ONLY)
            g_clear_pointer (&check->audit, json_object_unref);
        }
      if (decision == NB_PERMISSION_DENY)
        check->denied_text = g_strdup (source == NB_PERMISSION_SOURCE_RULE
                                       ? "Denied by a permission rule of the user."
                                       : "Denied: the user's settings do not allow this tool.");
      check_return (task);
      return;
    }

  check_ask (g_steal_pointer (&task));
}

/**
 * nb_permissions_check_finish:
 * @denied_text: (out) (optional) (transfer full): when the call may not
 *   run, the result the model gets ("Denied by the user…")
 * @audit: (out) (optional) (transfer full) (nullable): the decision to
 *   keep with the tool result, or %NULL when nothing was decided (a
 *   read-only call, or no tools.permissions and the default allows)
 *
 * Returns: whether the call may run; %FALSE with @error set only when
 *   cancelled
 */
gboolean
nb_permissions_check_finish (NbPermissions  *self,
                             GAsyncResult   *result,
                             char          **denied_text,
                             JsonObject    **audit,
                             GError        **error)
{
  Check *check;
  gboolean allowed;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  check = g_task_get_task_data (G_TASK (result));
  allowed = g_task_propagate_boolean (G_TASK (result), error);
  if (denied_text != NULL)
    *denied_text = g_steal_pointer (&check->denied_text);
  if (audit != NULL)
    *audit = g_steal_pointer (&check->audit);
  return allowed;
}
