/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include "nb-agent-private.h"

/*
 * Sub-agents: the spawn tool starts a child NbAgent with the tools marked
 * "for-subagents" and its own short system prompt; when it is done, its
 * result comes back to the calling session as a user message with
 * "sender": "subagent" in the Python nanobot's announce format, which the
 * agent answers in a turn of its own.
 */

#define SUBAGENT_EMPTY_RESULT "Task completed but no final response was generated."

typedef struct {
  char       *id;
  char       *label;
  char       *task;
  NbAgent    *child;
  NbSession  *origin;
} Subagent;

void
nb_agent_subagent_free (gpointer data)
{
  Subagent *subagent = data;

  g_free (subagent->id);
  g_free (subagent->label);
  g_free (subagent->task);
  g_clear_object (&subagent->child);
  g_clear_object (&subagent->origin);
  g_free (subagent);
}

typedef struct {
  GWeakRef  agent;
  char     *id;
} SubagentClosure;

static char *
subagent_prompt (NbAgent *self)
{
  g_autofree char *workspace = nb_config_dup_workspace (self->config);

  return g_strdup_printf ("# Sub-agent\n\n"
                          "The main agent started you to carry out one task in the background. "
                          "Work on that task only, using the tools you have; you cannot talk to the "
                          "user or start other sub-agents. When you are done, answer with a short, "
                          "complete account of what you found or did: it goes back to the main agent.\n\n"
                          "Workspace: %s\n", workspace != NULL ? workspace : "");
}

static NbToolRegistry *
subagent_tools (NbAgent *self)
{
  g_autoptr(GPtrArray) tools = nb_tool_registry_list_tools (self->tools);
  NbToolRegistry *registry = nb_tool_registry_new ();

  for (guint i = 0; i < tools->len; i++)
    {
      NbTool *tool = g_ptr_array_index (tools, i);

      if (!nb_tool_is_for_subagents (tool))
        continue;
      nb_tool_registry_add (registry, tool);
    }
  return registry;
}

static void
announce_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autofree char *reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Failures reached the user through NbAgent::turn-finished. */
  reply = nb_agent_run_finish (NB_AGENT (source), result, &error);
}

static void
subagent_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SubagentClosure *closure = user_data;
  g_autoptr(NbAgent) self = g_weak_ref_get (&closure->agent);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = nb_agent_run_finish (NB_AGENT (source), result, &error);
  g_autofree char *announcement = NULL;
  Subagent *subagent;

  if (self == NULL || (subagent = g_hash_table_lookup (self->subagents, closure->id)) == NULL)
    goto out;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *status = error != NULL ? "failed" : "completed successfully";
      g_autofree char *text = error != NULL ? g_strdup_printf ("Error: %s", error->message) : NULL;

      if (text == NULL)
        text = g_strdup (reply != NULL && *reply != '\0' ? reply : SUBAGENT_EMPTY_RESULT);

      announcement = g_strdup_printf ("[Subagent '%s' %s]\n\nTask: %s\n\nResult:\n%s\n\n"
                                      "Summarize this naturally for the user. Keep it brief (1-2 sentences). "
                                      "Do not mention technical details like \"subagent\" or task IDs.",
                                      subagent->label, status, subagent->task, text);

      /* The sub-agent's tools may have changed the workspace. */
      if (self->context != NULL)
        nb_context_builder_invalidate (self->context);

      nb_agent_run_turn (self, subagent->origin, announcement, "subagent", self->cancellable,
                         announce_cb, NULL);
    }

  g_hash_table_remove (self->subagents, closure->id);
  nb_agent_notify_busy (self);

out:
  g_weak_ref_clear (&closure->agent);
  g_free (closure->id);
  g_free (closure);
}

/**
 * nb_agent_spawn:
 * @self: the agent running the turn
 * @context: the calling tool's context (its session receives the result)
 * @task: what the sub-agent should do
 * @label: (nullable): a short name for the task
 * @error: return location for an error
 *
 * Starts a sub-agent on @task in the background.
 *
 * Returns: (transfer full) (nullable): the spawn tool's result text, or
 *   %NULL with @error set
 */
char *
nb_agent_spawn (NbAgent             *self,
                const NbToolContext *context,
                const char          *task,
                const char          *label,
                GError             **error)
{
  g_autoptr(NbToolRegistry) tools = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  Subagent *subagent;
  SubagentClosure *closure;
  NbAgentTurn *turn = NULL;

  g_return_val_if_fail (NB_IS_AGENT (self), NULL);
  g_return_val_if_fail (task != NULL, NULL);

  if (context != NULL)
    turn = nb_agent_lookup_turn (self, context->session_key);
  if (turn == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "a sub-agent can only be started during a turn");
      return NULL;
    }

  subagent = g_new0 (Subagent, 1);
  subagent->id = g_strndup (uuid, 8);
  subagent->task = g_strdup (task);
  if (label != NULL && *label != '\0')
    subagent->label = g_strdup (label);
  else if (g_utf8_strlen (task, -1) > 30)
    {
      g_autofree char *start = g_utf8_substring (task, 0, 30);

      subagent->label = g_strconcat (start, "...", NULL);
    }
  else
    subagent->label = g_strdup (task);
  subagent->origin = g_object_ref (nb_agent_turn_get_session (turn));

  tools = subagent_tools (self);
  prompt = subagent_prompt (self);
  subagent->child = nb_agent_new (self->provider, self->config, tools, NULL);
  nb_agent_set_system_prompt (subagent->child, prompt);
  nb_agent_set_max_iterations (subagent->child, NB_AGENT_SUBAGENT_MAX_ITERATIONS);
  /* Its calls are asked about in the conversation that started it. */
  nb_agent_inherit_permissions (subagent->child, self, subagent->label,
                                nb_session_get_key (subagent->origin));
  g_hash_table_insert (self->subagents, subagent->id, subagent);

  closure = g_new0 (SubagentClosure, 1);
  g_weak_ref_init (&closure->agent, self);
  closure->id = g_strdup (subagent->id);

  {
    g_autofree char *key = g_strdup_printf ("subagent:%s", subagent->id);

    session = nb_session_new (key);
  }
  nb_agent_run_async (subagent->child, session, task, self->cancellable, subagent_done_cb, closure);
  nb_agent_notify_busy (self);

  return g_strdup_printf ("Subagent [%s] started (id: %s). I'll notify you when it completes.",
                          subagent->label, subagent->id);
}
