/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "nb-config.h"
#include "nb-context-builder.h"
#include "nb-headless.h"
#include "nb-http.h"
#include "nb-http-provider.h"
#include "nb-provider-registry.h"

typedef struct {
  GMainLoop      *loop;
  GCancellable   *cancellable;
  NbConfig       *config;
  const char     *config_path;
  const char     *message;
  NbProvider     *provider;
  NbChatRequest  *request;
  gboolean        printed_newline;  /* the text so far ends with "\n" */
  gboolean        interrupted;
  int             status;
} Headless;

static gboolean
sigint_cb (gpointer user_data)
{
  Headless *headless = user_data;

  headless->interrupted = TRUE;
  g_cancellable_cancel (headless->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
delta_cb (NbChatDeltaKind  kind,
          guint            index,
          const char      *text,
          const char      *tool_name,
          gpointer         user_data)
{
  Headless *headless = user_data;

  if (kind != NB_CHAT_DELTA_TEXT || *text == '\0')
    return;
  fputs (text, stdout);
  fflush (stdout);
  headless->printed_newline = g_str_has_suffix (text, "\n");
}

static void
print_ollama_help (Headless *headless,
                   GError   *error)
{
  g_printerr ("nanobot: %s\n", error->message);
  g_printerr (_("No LLM provider answered. Nanobot tried Ollama at %s, the provider it uses when no other one is configured.\n"
                "Either start Ollama (https://ollama.com) and pull a model, or configure a provider in %s, e.g.\n"
                "  {\"providers\": {\"openai\": {\"apiKey\": \"sk-…\"}},\n"
                "   \"agents\": {\"defaults\": {\"model\": \"gpt-4.1\"}}}\n"
                "or set an API key in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENROUTER_API_KEY, …).\n"),
              nb_http_provider_get_api_base (NB_HTTP_PROVIDER (headless->provider)),
              headless->config_path);
}

static void
chat_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Headless *headless = user_data;
  g_autoptr(NbChatResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = nb_provider_chat_finish (NB_PROVIDER (object), result, &error);
  if (response != NULL)
    {
      if (!headless->printed_newline)
        fputs ("\n", stdout);
      fflush (stdout);
      headless->status = 0;
    }
  else if (headless->interrupted || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (!headless->printed_newline)
        fputs ("\n", stdout);
      fflush (stdout);
      headless->status = 130;
    }
  else
    {
      fflush (stdout);
      if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT) &&
          g_strcmp0 (nb_provider_get_name (headless->provider), "ollama") == 0)
        print_ollama_help (headless, error);
      else
        g_printerr ("nanobot: %s\n", error->message);
      headless->status = 1;
    }
  g_main_loop_quit (headless->loop);
}

static void
resolve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Headless *headless = user_data;
  g_autoptr(NbContextBuilder) context = NULL;
  g_autoptr(JsonObject) system = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *workspace = NULL;
  const char *model;
  const char *effort;

  headless->provider = nb_provider_registry_resolve_finish (result, &error);
  if (headless->provider == NULL)
    {
      if (headless->interrupted)
        headless->status = 130;
      else
        {
          g_printerr ("nanobot: %s\n", error->message);
          headless->status = 1;
        }
      g_main_loop_quit (headless->loop);
      return;
    }

  workspace = nb_config_dup_workspace (headless->config);
  context = nb_context_builder_new (workspace);
  model = nb_config_get_string (headless->config, "agents.defaults.model");
  effort = nb_config_get_string (headless->config, "agents.defaults.reasoningEffort");

  headless->request = nb_chat_request_new (model);
  headless->request->max_tokens = (int) nb_config_get_int (headless->config, "agents.defaults.maxTokens");
  headless->request->temperature = nb_config_get_double (headless->config, "agents.defaults.temperature");
  headless->request->reasoning_effort = g_strdup (effort);

  json_object_set_string_member (system, "role", "system");
  json_object_set_string_member (system, "content", nb_context_builder_get_system_prompt (context));
  nb_chat_request_add_message (headless->request, system);
  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", headless->message);
  nb_chat_request_add_message (headless->request, user);

  headless->printed_newline = TRUE;
  nb_provider_chat_async (headless->provider, headless->request, delta_cb, headless,
                          headless->cancellable, chat_cb, headless);
}

int
nb_headless_run (const char *config_path,
                 const char *message,
                 const char *session_key)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *default_path = NULL;
  Headless headless = { 0 };
  guint sigint_id;

  if (config_path == NULL)
    config_path = default_path = nb_config_get_default_path ();

  config = nb_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("nanobot: %s\n", error->message);
      return 2;
    }

  headless.loop = g_main_loop_new (NULL, FALSE);
  headless.cancellable = g_cancellable_new ();
  headless.config = config;
  headless.config_path = config_path;
  headless.message = message;
  headless.status = 1;

  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, &headless);
  nb_provider_registry_resolve_async (config, NULL, headless.cancellable, resolve_cb, &headless);
  g_main_loop_run (headless.loop);
  g_source_remove (sigint_id);

  g_clear_pointer (&headless.request, nb_chat_request_free);
  g_clear_object (&headless.provider);
  g_clear_object (&headless.cancellable);
  g_clear_pointer (&headless.loop, g_main_loop_unref);
  nb_http_shutdown ();

  return headless.status;
}
