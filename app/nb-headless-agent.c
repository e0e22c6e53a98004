/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "nb-agent.h"
#include "nb-headless-agent.h"
#include "nb-json-util.h"
#include "nb-mcp-manager.h"
#include "nb-memory-store.h"
#include "nb-session-store.h"
#include "nb-slash-commands.h"

#define ARGUMENT_PREVIEW_CHARS 40

typedef struct {
  GMainLoop    *loop;
  GCancellable *cancellable;
  NbAgent      *agent;
  gboolean      turn_done;
  gboolean      interrupted;
  gboolean      at_line_start;
  int           status;
  gboolean      save_failed;
  GError       *error;
} Headless;

static char *
shorten (const char *text)
{
  g_autofree char *flat = g_strdelimit (g_strdup (text), "\n\r\t", ' ');

  if (g_utf8_strlen (flat, -1) <= ARGUMENT_PREVIEW_CHARS)
    return g_steal_pointer (&flat);
  {
    g_autofree char *start = g_utf8_substring (flat, 0, ARGUMENT_PREVIEW_CHARS - 1);

    return g_strconcat (start, "…", NULL);
  }
}

char *
nb_headless_describe_call (const char *name,
                           const char *arguments_json)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) members = NULL;
  g_autofree char *preview = NULL;
  JsonNode *first;

  if (arguments_json != NULL && *arguments_json != '\0')
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (nb_json_parser_load (parser, arguments_json, -1, NULL) && json_parser_get_root (parser) != NULL)
        root = json_node_ref (json_parser_get_root (parser));
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup_printf ("%s()", name);

  members = json_object_get_members (json_node_get_object (root));
  if (members == NULL)
    return g_strdup_printf ("%s()", name);

  first = json_object_get_member (json_node_get_object (root), members->data);
  if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
    {
      g_autofree char *text = shorten (json_node_get_string (first));

      preview = g_strdup_printf ("\"%s\"", text);
    }
  else
    {
      g_autofree char *text = json_to_string (first, FALSE);

      preview = shorten (text);
    }
  return g_strdup_printf ("%s(%s)", name, preview);
}

static void
end_line (Headless *self)
{
  if (!self->at_line_start)
    {
      g_print ("\n");
      fflush (stdout);
      self->at_line_start = TRUE;
    }
}

static void
text_delta_cb (NbAgent    *agent,
               NbSession  *session,
               const char *text,
               Headless   *self)
{
  fputs (text, stdout);
  fflush (stdout);
  self->at_line_start = g_str_has_suffix (text, "\n");
}

static void
tool_call_started_cb (NbAgent    *agent,
                      NbSession  *session,
                      const char *call_id,
                      const char *name,
                      const char *arguments,
                      Headless   *self)
{
  g_autofree char *call = nb_headless_describe_call (name, arguments);

  end_line (self);
  g_printerr ("↳ %s\n", call);
}

static void
message_cb (NbAgent            *agent,
            NbSession          *session,
            const char         *channel,
            const char         *chat_id,
            const char         *content,
            const char * const *media,
            Headless           *self)
{
  end_line (self);
  g_printerr ("%s\n", content);
  for (guint i = 0; media != NULL && media[i] != NULL; i++)
    g_printerr ("  %s\n", media[i]);
}

static void
turn_finished_cb (NbAgent      *agent,
                  NbSession    *session,
                  const char   *reply,
                  const GError *error,
                  Headless     *self)
{
  end_line (self);
}

static void
busy_cb (NbAgent    *agent,
         GParamSpec *pspec,
         Headless   *self)
{
  if (self->turn_done && !nb_agent_is_busy (agent))
    g_main_loop_quit (self->loop);
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Headless *self = user_data;
  g_autoptr(GError) error = NULL;
  /* The reply has already been streamed to stdout. */
  g_autofree char *reply G_GNUC_UNUSED = nb_agent_run_finish (NB_AGENT (source), result, &error);

  self->turn_done = TRUE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->status = 130;
      g_main_loop_quit (self->loop);
      return;
    }
  if (error != NULL)
    {
      self->error = g_steal_pointer (&error);
      self->status = 1;
      g_main_loop_quit (self->loop);
      return;
    }

  /* Sub-agents started during the turn report back before we exit. */
  if (!nb_agent_is_busy (self->agent))
    g_main_loop_quit (self->loop);
}

static void
report_save_failure (Headless   *self,
                     NbSession  *session,
                     const char *message)
{
  if (self->save_failed)
    return;
  self->save_failed = TRUE;
  end_line (self);
  g_printerr ("nanobot: %s\n", message);
  g_printerr ("nanobot: ");
  g_printerr (_("the conversation could not be saved to session %s"), nb_session_get_key (session));
  g_printerr ("\n");
}

static void
save_failed_cb (NbAgent    *agent,
                NbSession  *session,
                const char *message,
                Headless   *self)
{
  report_save_failure (self, session, message);
}

static gboolean
sigint_cb (gpointer user_data)
{
  Headless *self = user_data;

  self->interrupted = TRUE;
  g_cancellable_cancel (self->cancellable);
  /* After the turn only sub-agents can be running: stop them too. */
  if (self->turn_done)
    {
      nb_agent_cancel_background (self->agent);
      g_main_loop_quit (self->loop);
    }
  return G_SOURCE_CONTINUE;
}

static void
slash_new_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Headless *self = user_data;
  g_autofree char *reply = nb_slash_command_new_finish (result, &self->error);

  if (reply != NULL)
    {
      g_print ("%s\n", reply);
      self->status = 0;
    }
  else
    self->status = g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 130 : 1;
  self->turn_done = TRUE;
  g_main_loop_quit (self->loop);
}

#define NB_HEADLESS_MCP_WAIT_S 10
/* How long a consolidation may keep the process after the reply. */
#define NB_HEADLESS_CONSOLIDATION_WAIT_S 30

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
mcp_servers_settled (GListModel *servers)
{
  for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (servers, i);
      NbMcpServerState state = nb_mcp_server_get_state (server);

      if (state == NB_MCP_SERVER_STATE_IDLE || state == NB_MCP_SERVER_STATE_CONNECTING)
        return FALSE;
    }
  return TRUE;
}

/* Connects the configured MCP servers and adds their tools, so that the
 * one turn of the headless mode can use them. A server that fails is
 * reported on stderr and left out. */
static NbMcpManager *
start_mcp (NbConfig       *config,
           NbToolRegistry *registry,
           Headless       *self)
{
  g_autoptr(NbMcpManager) manager = nb_mcp_manager_new (config);
  GListModel *servers = nb_mcp_manager_get_servers (manager);
  gboolean timed_out = FALSE;
  guint timeout_id;

  if (g_list_model_get_n_items (servers) == 0)
    return NULL;

  nb_mcp_manager_start (manager);
  /* Wait a little for the tool lists, but a slow server must not hold up
   * the turn for long: it can still join while the turn runs. */
  timeout_id = g_timeout_add_seconds (NB_HEADLESS_MCP_WAIT_S, timed_out_cb, &timed_out);
  while (!mcp_servers_settled (servers) && !timed_out && !g_cancellable_is_cancelled (self->cancellable))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);

  for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (servers, i);

      NbMcpServerState state = nb_mcp_server_get_state (server);

      if (state == NB_MCP_SERVER_STATE_CONNECTING || state == NB_MCP_SERVER_STATE_IDLE)
        {
          /* Not failed (yet): say what that means for this turn. */
          g_printerr ("nanobot: ");
          /* Translators: the number of seconds is 10 */
          g_printerr (_("MCP server “%s” has not answered within %u seconds; "
                        "starting without its tools, which join if it connects"),
                      nb_mcp_server_get_name (server), NB_HEADLESS_MCP_WAIT_S);
          g_printerr ("\n");
        }
      else if (state != NB_MCP_SERVER_STATE_CONNECTED)
        {
          g_autofree char *status = nb_mcp_server_dup_status_line (server);

          g_printerr ("nanobot: %s\n", status);
        }
    }

  /* Keeps the registry in step: a server that connects late, or changes
   * its tool list, still reaches the next LLM call of the turn. */
  nb_mcp_manager_attach_registry (manager, registry);
  return g_steal_pointer (&manager);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
nb_headless_run_agent (NbConfig       *config,
                       NbProvider     *provider,
                       NbToolRegistry *tools,
                       const char     *message,
                       const char     *session_key,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_autoptr(NbToolRegistry) registry = tools != NULL ? g_object_ref (tools) : nb_tool_registry_new ();
  g_autofree char *data_dir = nb_config_get_data_dir ();
  g_autofree char *sessions_dir = g_build_filename (data_dir, "sessions", NULL);
  g_autofree char *workspace = nb_config_dup_workspace (config);
  g_autoptr(NbSessionStore) store = nb_session_store_new (sessions_dir);
  g_autoptr(NbContextBuilder) context = nb_context_builder_new (workspace);
  g_autoptr(NbMemoryStore) memory = nb_memory_store_new (workspace);
  g_autoptr(NbMcpManager) mcp = NULL;
  g_autoptr(NbSession) session = NULL;
  g_autoptr(NbAgent) agent = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) own_cancellable = NULL;
  Headless self = { 0 };
  guint sigint_id;

  g_return_val_if_fail (NB_IS_CONFIG (config), 2);
  g_return_val_if_fail (NB_IS_PROVIDER (provider), 2);

  if (cancellable == NULL)
    cancellable = own_cancellable = g_cancellable_new ();

  session = nb_session_store_open (store, session_key, error);
  if (session == NULL)
    return 1;

  agent = nb_agent_new (provider, config, registry, context);
  nb_agent_set_session_store (agent, store);
  nb_agent_set_memory_store (agent, memory);
  nb_agent_add_agent_tools (agent);

  self.loop = loop;
  self.cancellable = cancellable;
  self.agent = agent;
  self.at_line_start = TRUE;

  g_signal_connect (agent, "text-delta", G_CALLBACK (text_delta_cb), &self);
  g_signal_connect (agent, "tool-call-started", G_CALLBACK (tool_call_started_cb), &self);
  g_signal_connect (agent, "message", G_CALLBACK (message_cb), &self);
  g_signal_connect (agent, "turn-finished", G_CALLBACK (turn_finished_cb), &self);
  g_signal_connect (agent, "save-failed", G_CALLBACK (save_failed_cb), &self);
  g_signal_connect (agent, "notify::busy", G_CALLBACK (busy_cb), &self);
  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, &self);

  if (nb_slash_command_parse (message) == NB_SLASH_COMMAND_NONE)
    mcp = start_mcp (config, registry, &self);

  switch (g_cancellable_is_cancelled (cancellable) ? NB_SLASH_COMMAND_STOP : nb_slash_command_parse (message))
    {
    case NB_SLASH_COMMAND_HELP:
      {
        g_autofree char *help = nb_slash_command_help_text ();

        g_print ("%s\n", help);
        self.status = 0;
      }
      break;
    case NB_SLASH_COMMAND_STOP:
      /* Each `nanobot -m` is its own process: nothing runs to be stopped.
       * Say so, as the agent does, rather than print nothing. */
      if (!g_cancellable_is_cancelled (cancellable))
        g_print ("%s\n", _("Nothing is running."));
      self.status = 0;
      break;
    case NB_SLASH_COMMAND_NEW:
      nb_slash_command_new_async (memory, store, session, provider,
                                  nb_config_get_memory_model (config),
                                  (guint) CLAMP (nb_config_get_int (config, "agents.defaults.memoryWindow"), 0, G_MAXINT),
                                  cancellable, slash_new_cb, &self);
      g_main_loop_run (loop);
      break;
    case NB_SLASH_COMMAND_NONE:
    default:
      nb_agent_run_async (agent, session, message, cancellable, run_cb, &self);
      g_main_loop_run (loop);
      break;
    }

  /* A consolidation the turn started finishes before we exit, but a
   * provider that hangs must not hold the process: after a while it is
   * cancelled, which changes nothing, and it is due again next time. */
  if (!self.interrupted && nb_memory_store_is_consolidating (memory, session))
    {
      gboolean timed_out = FALSE;
      guint timeout_id = g_timeout_add_seconds (NB_HEADLESS_CONSOLIDATION_WAIT_S, timed_out_cb, &timed_out);

      while (!self.interrupted && !timed_out && nb_memory_store_is_consolidating (memory, session))
        g_main_context_iteration (NULL, TRUE);
      if (!timed_out)
        g_source_remove (timeout_id);
      else
        {
          g_printerr ("nanobot: ");
          /* Translators: the number of seconds is 30 */
          g_printerr (_("memory consolidation did not finish within %u seconds; "
                        "cancelled it, it runs again after the next message"),
                      NB_HEADLESS_CONSOLIDATION_WAIT_S);
          g_printerr ("\n");
          nb_agent_cancel_background (agent);
          while (nb_memory_store_is_consolidating (memory, session))
            g_main_context_iteration (NULL, TRUE);
        }
    }

  if (mcp != NULL)
    nb_mcp_manager_shutdown (mcp);

  g_source_remove (sigint_id);
  g_signal_handlers_disconnect_by_data (agent, &self);

  /* The messages are written; wait until they are durable too. */
  {
    g_autoptr(GAsyncResult) synced = NULL;

    g_autoptr(GError) sync_error = NULL;

    nb_session_store_sync_async (store, session, NULL, store_result_cb, &synced);
    while (synced == NULL)
      g_main_context_iteration (NULL, TRUE);
    if (!nb_session_store_sync_finish (store, synced, &sync_error))
      report_save_failure (&self, session, sync_error->message);
  }

  if (self.interrupted || self.status == 130)
    return 130;
  /* The reply was shown, but what is not saved is lost: that is a failure. */
  if (self.save_failed && self.status == 0)
    return 1;
  if (self.error != NULL)
    g_propagate_error (error, self.error);
  return self.status;
}
