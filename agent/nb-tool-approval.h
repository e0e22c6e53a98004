/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * NbApprovalAnswer:
 * @NB_APPROVAL_PENDING: not answered yet
 * @NB_APPROVAL_ALLOW_ONCE: run this call
 * @NB_APPROVAL_ALLOW_CONVERSATION: run it, and calls like it (the
 *   suggested rule) in this conversation until the program ends
 * @NB_APPROVAL_ALLOW_ALWAYS: run it and save a rule to config.json
 * @NB_APPROVAL_DENY: do not run it; the user's reason goes to the model
 * @NB_APPROVAL_UNATTENDED: nobody can be asked (no terminal); the reason
 *   says why
 * @NB_APPROVAL_CANCELLED: the turn was stopped while the call waited
 */
typedef enum {
  NB_APPROVAL_PENDING,
  NB_APPROVAL_ALLOW_ONCE,
  NB_APPROVAL_ALLOW_CONVERSATION,
  NB_APPROVAL_ALLOW_ALWAYS,
  NB_APPROVAL_DENY,
  NB_APPROVAL_UNATTENDED,
  NB_APPROVAL_CANCELLED,
} NbApprovalAnswer;

#define NB_TYPE_TOOL_APPROVAL (nb_tool_approval_get_type ())
G_DECLARE_FINAL_TYPE (NbToolApproval, nb_tool_approval, NB, TOOL_APPROVAL, GObject)

/**
 * NbToolApprovalInfo:
 *
 * What the user is asked about, filled by NbPermissions.
 */
typedef struct {
  const char         *session_key;   /* the conversation that shows it */
  const char         *call_id;
  const char         *tool_name;
  JsonObject         *arguments;
  const char         *agent_label;   /* a sub-agent's label, else NULL */
  const char         *command;       /* exec */
  const char         *working_dir;   /* exec: absolute */
  gboolean            sandboxed;     /* exec: kernel-enforced workspace */
  const char * const *paths;
  const char         *workspace;
  JsonObject         *suggested_rule;
  const char         *mcp_server;    /* an MCP tool: its server's name, */
  const char         *mcp_tool;      /* and the tool's name there */
} NbToolApprovalInfo;

NbToolApproval     *nb_tool_approval_new                (const NbToolApprovalInfo *info);

const char         *nb_tool_approval_get_session_key    (NbToolApproval *self);
const char         *nb_tool_approval_get_call_id        (NbToolApproval *self);
const char         *nb_tool_approval_get_tool_name      (NbToolApproval *self);
JsonObject         *nb_tool_approval_get_arguments      (NbToolApproval *self);
const char         *nb_tool_approval_get_agent_label    (NbToolApproval *self);
const char         *nb_tool_approval_get_command        (NbToolApproval *self);
const char         *nb_tool_approval_get_working_dir    (NbToolApproval *self);
gboolean            nb_tool_approval_get_sandboxed      (NbToolApproval *self);
const char * const *nb_tool_approval_get_paths          (NbToolApproval *self);
const char         *nb_tool_approval_get_workspace      (NbToolApproval *self);
JsonObject         *nb_tool_approval_get_suggested_rule (NbToolApproval *self);
char               *nb_tool_approval_dup_mcp_server     (NbToolApproval *self);
const char         *nb_tool_approval_get_mcp_tool       (NbToolApproval *self);

gboolean            nb_tool_approval_is_pending         (NbToolApproval *self);
NbApprovalAnswer    nb_tool_approval_get_answer         (NbToolApproval *self);
const char         *nb_tool_approval_get_reason         (NbToolApproval *self);
JsonObject         *nb_tool_approval_get_rule           (NbToolApproval *self);

void                nb_tool_approval_answer             (NbToolApproval   *self,
                                                         NbApprovalAnswer  answer,
                                                         const char       *reason,
                                                         JsonObject       *rule);

/* "Always": NbPermissions says when the rule is saved, or why not
 * (::rule-saved). */
void                nb_tool_approval_rule_saved         (NbToolApproval   *self,
                                                         const GError     *error);
const GError       *nb_tool_approval_get_rule_error     (NbToolApproval   *self);

#define NB_TYPE_TOOL_APPROVER (nb_tool_approver_get_type ())
G_DECLARE_INTERFACE (NbToolApprover, nb_tool_approver, NB, TOOL_APPROVER, GObject)

/**
 * NbToolApproverInterface:
 * @request: shows @approval to the user. Must not block: the approver
 *   keeps a reference and calls nb_tool_approval_answer() later (on the
 *   main loop). When the turn is stopped first, the approval emits
 *   #NbToolApproval::finished with %NB_APPROVAL_CANCELLED and the
 *   approver drops it.
 *
 * What a front end implements to be asked about tool calls: the window
 * shows cards, `nanobot -m` asks on the terminal or denies.
 */
struct _NbToolApproverInterface
{
  GTypeInterface parent_iface;

  void (*request) (NbToolApprover *self,
                   NbToolApproval *approval);
};

void nb_tool_approver_request (NbToolApprover *self,
                               NbToolApproval *approval);

G_END_DECLS
