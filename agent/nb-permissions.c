/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-file-edit.h"
#include "nb-json-util.h"
#include "nb-message.h"
#include "nb-permissions.h"
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

struct _NbPermissions
{
  GObject         parent_instance;

  NbConfig       *config;
  NbToolApprover *approver;
  NbPermission    absent_default;
  JsonArray      *grants;  /* {"session": key, rule members…} */
};

G_DEFINE_FINAL_TYPE (NbPermissions, nb_permissions, G_TYPE_OBJECT)

enum {
  GRANTS_CHANGED,
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

/**
 * nb_permissions_grant:
 * @rule: what is allowed (tool, command, path as in a rule)
 *
 * Allows calls matching @rule in the conversation @session_key until the
 * program ends ("Allow in this conversation").
 */
void
nb_permissions_grant (NbPermissions *self,
                      const char    *session_key,
                      JsonObject    *rule)
{
  JsonObject *grant = json_object_new ();
  g_autoptr(GList) members = NULL;

  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (session_key != NULL && rule != NULL);

  json_object_set_string_member (grant, "session", session_key);
  members = json_object_get_members (rule);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "decision"))
      json_object_set_member (grant, l->data, json_node_copy (json_object_get_member (rule, l->data)));
  json_array_add_object_element (self->grants, grant);
  g_signal_emit (self, signals[GRANTS_CHANGED], 0);
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
  g_return_if_fail (NB_IS_PERMISSIONS (self));

  if (index >= json_array_get_length (self->grants))
    return;
  json_array_remove_element (self->grants, index);
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

/* Saving rules */

typedef struct {
  JsonObject            *rule;
  const NbToolCallFacts *facts;
  JsonObject            *permissions;
} Edit;

static gboolean
add_rule_edit (JsonObject  *root,
               gpointer     user_data,
               GError     **error)
{
  Edit *edit = user_data;
  JsonObject *tools = nb_config_file_ensure_object (root, "tools", NULL);
  JsonObject *permissions = nb_config_file_ensure_object (tools, "permissions", NULL);
  JsonNode *rules_node = json_object_get_member (permissions, "rules");
  JsonArray *rules;
  g_autoptr(JsonArray) reordered = json_array_new ();
  guint at;

  if (rules_node == NULL || !JSON_NODE_HOLDS_ARRAY (rules_node))
    json_object_set_array_member (permissions, "rules", json_array_new ());
  rules = json_object_get_array_member (permissions, "rules");

  /* Before the first rule that matches the call now (it said "ask"), so
   * that the new rule decides the call and calls like it. */
  at = json_array_get_length (rules);
  for (guint i = 0; edit->facts != NULL && i < json_array_get_length (rules); i++)
    {
      JsonNode *node = json_array_get_element (rules, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && nb_tool_policy_rule_matches (json_node_get_object (node), edit->facts))
        {
          at = i;
          break;
        }
    }

  for (guint i = 0; i <= json_array_get_length (rules); i++)
    {
      if (i == at)
        json_array_add_object_element (reordered, json_object_ref (edit->rule));
      if (i < json_array_get_length (rules))
        json_array_add_element (reordered, json_node_copy (json_array_get_element (rules, i)));
    }
  json_object_set_array_member (permissions, "rules", g_steal_pointer (&reordered));
  return TRUE;
}

static gboolean
reload (NbPermissions  *self,
        GError        **error)
{
  return nb_config_reload (self->config, error);
}

/**
 * nb_permissions_add_rule:
 * @rule: a rule (tool, command or path, decision)
 * @facts: (nullable): the call that made the user save it: the rule goes
 *   before the first rule that matches it, else at the end
 *
 * Saves @rule in config.json (see nb_config_file_edit()) and reloads the
 * configuration, so the next call sees it.
 */
gboolean
nb_permissions_add_rule (NbPermissions          *self,
                         JsonObject             *rule,
                         const NbToolCallFacts  *facts,
                         GError                **error)
{
  Edit edit = { rule, facts, NULL };
  g_autofree char *problem = NULL;
  const char *path;

  g_return_val_if_fail (NB_IS_PERMISSIONS (self), FALSE);
  g_return_val_if_fail (rule != NULL, FALSE);

  problem = nb_tool_policy_check_rule (rule);
  if (problem != NULL)
    {
      g_set_error_literal (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID, problem);
      return FALSE;
    }
  path = nb_config_get_path (self->config);
  if (path == NULL)
    {
      g_set_error_literal (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, _("The configuration has no file"));
      return FALSE;
    }
  return nb_config_file_edit (path, add_rule_edit, &edit, error) && reload (self, error);
}

static gboolean
replace_edit (JsonObject  *root,
              gpointer     user_data,
              GError     **error)
{
  Edit *edit = user_data;
  JsonObject *tools = nb_config_file_ensure_object (root, "tools", NULL);

  if (edit->permissions == NULL)
    json_object_remove_member (tools, "permissions");
  else
    json_object_set_object_member (tools, "permissions", json_object_ref (edit->permissions));
  return TRUE;
}

/**
 * nb_permissions_save:
 * @permissions: (nullable): the whole tools.permissions object, or %NULL
 *   to remove it
 *
 * What Preferences → Permissions saves: written to config.json like
 * nb_permissions_add_rule(), then reloaded.
 */
gboolean
nb_permissions_save (NbPermissions  *self,
                     JsonObject     *permissions,
                     GError        **error)
{
  Edit edit = { NULL, NULL, permissions };
  const char *path;

  g_return_val_if_fail (NB_IS_PERMISSIONS (self), FALSE);

  path = nb_config_get_path (self->config);
  if (path == NULL)
    {
      g_set_error_literal (error, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, _("The configuration has no file"));
      return FALSE;
    }
  return nb_config_file_edit (path, replace_edit, &edit, error) && reload (self, error);
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
          g_autoptr(GError) error = NULL;

          json_object_set_object_member (check->audit, "rule", json_object_ref (rule));
          /* The call runs anyway: the user allowed it. */
          if (!nb_permissions_add_rule (self, rule, &facts, &error))
            {
              g_message ("Could not save the permission rule: %s", error->message);
              json_object_set_string_member (check->audit, "error", error->message);
            }
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
  JsonObject *permissions;
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
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  working_dir = nb_json_get_string (check->call->arguments, "working_dir");
  if (working_dir != NULL && *working_dir != '\0' && check->workspace != NULL && !g_path_is_absolute (working_dir))
    check->working_dir = g_build_filename (check->workspace, working_dir, NULL);
  else if (working_dir != NULL && *working_dir != '\0')
    check->working_dir = g_strdup (working_dir);
  else
    check->working_dir = g_strdup (check->workspace);

  check_facts (check, &facts);
  permissions = nb_config_get_object (self->config, "tools.permissions");
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
