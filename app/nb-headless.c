/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "nb-assistant.h"
#include "nb-headless.h"
#include "nb-http.h"
#include "nb-http-provider.h"
#include "nb-json-util.h"
#include "nb-tool-policy.h"
#include "nb-tty-approver.h"

/*
 * `nanobot -m TEXT`: one request to the NbAssistant, printed. The reply
 * streams to stdout; tool activity, message-tool text and the assistant's
 * warnings go to stderr. Everything happens in callbacks of one main loop
 * with one Ctrl+C handler: the first interrupt cancels the turn (or, after
 * it, the sub-agents), and closing the assistant syncs the session and
 * stops the MCP servers before the process exits.
 */

#define ARGUMENT_PREVIEW_CHARS 40

typedef struct {
  GMainLoop    *loop;
  GCancellable *cancellable;
  NbAssistant  *assistant;
  NbSession    *session;
  const char   *config_path;
  const char   *message;
  gboolean      turn_done;
  gboolean      closing;
  gboolean      interrupted;
  gboolean      at_line_start;
  gboolean      save_failed;
  int           status;
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

/**
 * nb_headless_describe_call:
 *
 * Returns: (transfer full): `web_search("rust async runtimes")`: the tool's
 *   name and its first argument, shortened
 */
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

/* Printing what the agent reports */

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
report_save_failure (Headless   *self,
                     const char *message)
{
  if (self->save_failed)
    return;
  self->save_failed = TRUE;
  end_line (self);
  g_printerr ("nanobot: %s\n", message);
  g_printerr ("nanobot: ");
  g_printerr (_("the conversation could not be saved to session %s"), nb_session_get_key (self->session));
  g_printerr ("\n");
}

static void
save_failed_cb (NbAgent    *agent,
                NbSession  *session,
                const char *message,
                Headless   *self)
{
  report_save_failure (self, message);
}

static void
warning_cb (NbAssistant *assistant,
            const char  *message,
            Headless    *self)
{
  end_line (self);
  g_printerr ("nanobot: %s\n", message);
}

static void
print_ollama_help (Headless     *self,
                   const GError *error)
{
  NbProvider *provider = nb_assistant_get_provider (self->assistant);

  g_printerr ("nanobot: %s\n", error->message);
  g_printerr (_("No LLM provider answered. Nanobot tried Ollama at %s, the provider it uses when no other one is configured.\n"
                "Either start Ollama (https://ollama.com) and pull a model, or configure a provider in %s, e.g.\n"
                "  {\"providers\": {\"openai\": {\"apiKey\": \"sk-…\"}},\n"
                "   \"agents\": {\"defaults\": {\"model\": \"gpt-4.1\"}}}\n"
                "or set an API key in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENROUTER_API_KEY, …).\n"),
              nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)),
              self->config_path);
}

/* The sequence: open the session, run, wait for sub-agents, close */

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Headless *self = user_data;
  g_autoptr(GError) error = NULL;

  /* The messages are written; a failure here means they are not durable. */
  if (!nb_assistant_close_finish (NB_ASSISTANT (source), result, &error))
    report_save_failure (self, error->message);
  g_main_loop_quit (self->loop);
}

static void
close_assistant (Headless *self)
{
  if (self->closing)
    return;
  self->closing = TRUE;
  nb_assistant_close_async (self->assistant, NULL, closed_cb, self);
}

static void
busy_cb (NbAgent    *agent,
         GParamSpec *pspec,
         Headless   *self)
{
  /* Sub-agents started during the turn report back before we exit. */
  if (self->turn_done && !nb_agent_is_busy (agent))
    close_assistant (self);
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Headless *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean is_command = FALSE;
  g_autofree char *reply = nb_assistant_run_finish (NB_ASSISTANT (source), result, &is_command, &error);
  NbProvider *provider = nb_assistant_get_provider (self->assistant);

  self->turn_done = TRUE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->status = 130;
  else if (error != NULL)
    {
      end_line (self);
      if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT) &&
          provider != NULL && g_strcmp0 (nb_provider_get_name (provider), "ollama") == 0)
        print_ollama_help (self, error);
      else
        g_printerr ("nanobot: %s\n", error->message);
      /* A provider the configuration names wrongly is bad configuration. */
      self->status = error->domain == NB_CONFIG_ERROR ? 2 : 1;
    }
  else
    {
      /* A model's reply was streamed already; a command's is printed. */
      if (is_command && reply != NULL)
        g_print ("%s\n", reply);
      self->status = 0;
    }

  if (self->status != 0 || !nb_agent_is_busy (nb_assistant_get_agent (self->assistant)))
    close_assistant (self);
}

static void
session_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Headless *self = user_data;
  g_autoptr(GError) error = NULL;

  self->session = nb_assistant_open_session_finish (NB_ASSISTANT (source), result, &error);
  if (self->session == NULL)
    {
      g_printerr ("nanobot: %s\n", error->message);
      self->status = 1;
      g_main_loop_quit (self->loop);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      self->status = 130;
      g_main_loop_quit (self->loop);
      return;
    }
  nb_assistant_run_async (self->assistant, self->session, self->message, self->cancellable, run_cb, self);
}

static gboolean
sigint_cb (gpointer user_data)
{
  Headless *self = user_data;

  self->interrupted = TRUE;
  g_cancellable_cancel (self->cancellable);
  /* After the turn only sub-agents or a consolidation can be running. */
  if (self->turn_done)
    {
      nb_assistant_cancel_background (self->assistant);
      close_assistant (self);
    }
  return G_SOURCE_CONTINUE;
}

int
nb_headless_run (const char *config_path,
                 const char *message,
                 const char *session_key)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *default_path = NULL;
  Headless self = { 0 };
  NbAgent *agent;
  guint sigint_id;

  if (config_path == NULL)
    config_path = default_path = nb_config_get_default_path ();

  if (!g_utf8_validate (message, -1, NULL))
    {
      g_printerr ("nanobot: %s\n", _("the message given with -m is not valid UTF-8 text"));
      return 2;
    }

  config = nb_config_load (config_path, &error);
  if (config == NULL || !nb_config_check_workspace (config, &error))
    {
      g_printerr ("nanobot: %s\n", error->message);
      return 2;
    }

  self.loop = g_main_loop_new (NULL, FALSE);
  self.cancellable = g_cancellable_new ();
  self.assistant = nb_assistant_new (config);
  self.config_path = config_path;
  self.message = message;
  self.at_line_start = TRUE;
  self.status = 1;

  /* Tool permissions: ask on the terminal, or deny without one; with no
   * tools.permissions every call runs, as in the Python nanobot. */
  {
    g_autoptr(NbTtyApprover) approver = nb_tty_approver_new (STDIN_FILENO, STDERR_FILENO);

    nb_assistant_set_approver (self.assistant, NB_TOOL_APPROVER (approver), NB_PERMISSION_ALLOW);
  }

  agent = nb_assistant_get_agent (self.assistant);
  g_signal_connect (agent, "text-delta", G_CALLBACK (text_delta_cb), &self);
  g_signal_connect (agent, "tool-call-started", G_CALLBACK (tool_call_started_cb), &self);
  g_signal_connect (agent, "message", G_CALLBACK (message_cb), &self);
  g_signal_connect (agent, "turn-finished", G_CALLBACK (turn_finished_cb), &self);
  g_signal_connect (agent, "save-failed", G_CALLBACK (save_failed_cb), &self);
  g_signal_connect (agent, "notify::busy", G_CALLBACK (busy_cb), &self);
  g_signal_connect (self.assistant, "warning", G_CALLBACK (warning_cb), &self);
  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, &self);

  nb_assistant_open_session_async (self.assistant, session_key, NULL, session_cb, &self);
  g_main_loop_run (self.loop);

  g_source_remove (sigint_id);
  g_signal_handlers_disconnect_by_data (agent, &self);
  g_signal_handlers_disconnect_by_data (self.assistant, &self);

  if (self.interrupted || self.status == 130)
    {
      g_printerr ("nanobot: %s\n", _("interrupted"));
      self.status = 130;
    }
  /* The reply was shown, but what is not saved is lost: that is a failure. */
  else if (self.save_failed && self.status == 0)
    self.status = 1;

  g_clear_object (&self.session);
  g_clear_object (&self.assistant);
  g_clear_object (&self.cancellable);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  nb_http_shutdown ();

  return self.status;
}
