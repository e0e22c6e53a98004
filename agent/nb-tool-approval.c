/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <string.h>

#include "nb-tool-approval.h"

/*
 * One question to the user about one tool call, and its answer. It is
 * made by NbPermissions when a call needs approval, handed to the front
 * end's NbToolApprover, and emits ::finished once: when the user answers
 * or when the turn is stopped.
 */

struct _NbToolApproval
{
  GObject           parent_instance;

  char             *session_key;
  char             *call_id;
  char             *tool_name;
  JsonObject       *arguments;
  char             *agent_label;
  char             *command;
  char             *working_dir;
  gboolean          sandboxed;
  GStrv             paths;
  char             *workspace;
  JsonObject       *suggested_rule;
  char             *mcp_server;
  char             *mcp_tool;

  NbApprovalAnswer  answer;
  char             *reason;
  JsonObject       *rule;
  GError           *rule_error;
};

G_DEFINE_FINAL_TYPE (NbToolApproval, nb_tool_approval, G_TYPE_OBJECT)

enum {
  FINISHED,
  RULE_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nb_tool_approval_finalize (GObject *object)
{
  NbToolApproval *self = NB_TOOL_APPROVAL (object);

  g_free (self->session_key);
  g_free (self->call_id);
  g_free (self->tool_name);
  g_clear_pointer (&self->arguments, json_object_unref);
  g_free (self->agent_label);
  g_free (self->command);
  g_free (self->working_dir);
  g_strfreev (self->paths);
  g_free (self->workspace);
  g_clear_pointer (&self->suggested_rule, json_object_unref);
  g_free (self->reason);
  g_clear_pointer (&self->rule, json_object_unref);
  g_free (self->mcp_server);
  g_free (self->mcp_tool);
  g_clear_error (&self->rule_error);

  G_OBJECT_CLASS (nb_tool_approval_parent_class)->finalize (object);
}

static void
nb_tool_approval_class_init (NbToolApprovalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_tool_approval_finalize;

  /**
   * NbToolApproval::finished:
   *
   * The approval was answered or cancelled; emitted once.
   */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * NbToolApproval::rule-saved:
   * @error: (nullable): why the rule of "Always" was not saved in
   *   config.json, or %NULL when it was
   *
   * After an %NB_APPROVAL_ALLOW_ALWAYS answer, once the rule's save
   * ended. The call itself ran either way.
   */
  signals[RULE_SAVED] =
    g_signal_new ("rule-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
nb_tool_approval_init (NbToolApproval *self)
{
}

NbToolApproval *
nb_tool_approval_new (const NbToolApprovalInfo *info)
{
  NbToolApproval *self = g_object_new (NB_TYPE_TOOL_APPROVAL, NULL);

  self->session_key = g_strdup (info->session_key);
  self->call_id = g_strdup (info->call_id);
  self->tool_name = g_strdup (info->tool_name);
  self->arguments = info->arguments != NULL ? json_object_ref (info->arguments) : json_object_new ();
  self->agent_label = g_strdup (info->agent_label);
  self->command = g_strdup (info->command);
  self->working_dir = g_strdup (info->working_dir);
  self->sandboxed = info->sandboxed;
  self->paths = g_strdupv ((char **) info->paths);
  self->workspace = g_strdup (info->workspace);
  if (info->suggested_rule != NULL)
    self->suggested_rule = json_object_ref (info->suggested_rule);
  self->mcp_server = g_strdup (info->mcp_server);
  self->mcp_tool = g_strdup (info->mcp_tool);
  return self;
}

const char *
nb_tool_approval_get_session_key (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->session_key;
}

const char *
nb_tool_approval_get_call_id (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->call_id;
}

const char *
nb_tool_approval_get_tool_name (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->tool_name;
}

JsonObject *
nb_tool_approval_get_arguments (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->arguments;
}

const char *
nb_tool_approval_get_agent_label (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->agent_label;
}

const char *
nb_tool_approval_get_command (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->command;
}

const char *
nb_tool_approval_get_working_dir (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->working_dir;
}

gboolean
nb_tool_approval_get_sandboxed (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), FALSE);
  return self->sandboxed;
}

const char * const *
nb_tool_approval_get_paths (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return (const char * const *) self->paths;
}

const char *
nb_tool_approval_get_workspace (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->workspace;
}

/* The narrowest rule allowing this call (see nb_tool_policy_suggest_rule()). */
JsonObject *
nb_tool_approval_get_suggested_rule (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->suggested_rule;
}

/**
 * nb_tool_approval_dup_mcp_server:
 *
 * The name of the MCP server whose tool asks, as its NbMcpTool knows it
 * (the tool's name "mcp_<server>_<tool>" cannot say where a server name
 * with "_" ends).
 *
 * Returns: (transfer full) (nullable): the server's name, or %NULL when
 *   the tool is not an MCP server's
 */
char *
nb_tool_approval_dup_mcp_server (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return g_strdup (self->mcp_server);
}

/* The MCP tool's own name on its server, or NULL. */
const char *
nb_tool_approval_get_mcp_tool (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->mcp_tool;
}

/**
 * nb_tool_approval_rule_saved:
 * @error: (nullable): why the rule was not saved
 *
 * Emits ::rule-saved; for NbPermissions.
 */
void
nb_tool_approval_rule_saved (NbToolApproval *self,
                             const GError   *error)
{
  g_return_if_fail (NB_IS_TOOL_APPROVAL (self));

  g_clear_error (&self->rule_error);
  if (error != NULL)
    self->rule_error = g_error_copy (error);
  g_signal_emit (self, signals[RULE_SAVED], 0, self->rule_error);
}

/* Why the rule of "Always" was not saved, or NULL (saved, or not yet). */
const GError *
nb_tool_approval_get_rule_error (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->rule_error;
}

gboolean
nb_tool_approval_is_pending (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), FALSE);
  return self->answer == NB_APPROVAL_PENDING;
}

NbApprovalAnswer
nb_tool_approval_get_answer (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NB_APPROVAL_PENDING);
  return self->answer;
}

const char *
nb_tool_approval_get_reason (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->reason;
}

/* The rule to save with %NB_APPROVAL_ALLOW_ALWAYS (as the user edited it). */
JsonObject *
nb_tool_approval_get_rule (NbToolApproval *self)
{
  g_return_val_if_fail (NB_IS_TOOL_APPROVAL (self), NULL);
  return self->rule != NULL ? self->rule : self->suggested_rule;
}

/**
 * nb_tool_approval_answer:
 * @answer: not %NB_APPROVAL_PENDING
 * @reason: (nullable): the user's reason for a denial, or why nobody
 *   could be asked
 * @rule: (nullable): with %NB_APPROVAL_ALLOW_ALWAYS or
 *   %NB_APPROVAL_ALLOW_CONVERSATION, the rule (else the suggested one)
 *
 * Answers the approval; a second answer is ignored.
 */
void
nb_tool_approval_answer (NbToolApproval   *self,
                         NbApprovalAnswer  answer,
                         const char       *reason,
                         JsonObject       *rule)
{
  g_return_if_fail (NB_IS_TOOL_APPROVAL (self));
  g_return_if_fail (answer != NB_APPROVAL_PENDING);

  if (self->answer != NB_APPROVAL_PENDING)
    return;
  self->answer = answer;
  self->reason = reason != NULL && *reason != '\0' ? g_strdup (reason) : NULL;
  if (rule != NULL)
    self->rule = json_object_ref (rule);

  g_object_ref (self);
  g_signal_emit (self, signals[FINISHED], 0);
  g_object_unref (self);
}

/* The approver interface */

G_DEFINE_INTERFACE (NbToolApprover, nb_tool_approver, G_TYPE_OBJECT)

static void
nb_tool_approver_default_init (NbToolApproverInterface *iface)
{
}

void
nb_tool_approver_request (NbToolApprover *self,
                          NbToolApproval *approval)
{
  g_return_if_fail (NB_IS_TOOL_APPROVER (self));
  g_return_if_fail (NB_IS_TOOL_APPROVAL (approval));

  NB_TOOL_APPROVER_GET_IFACE (self)->request (self, approval);
}
