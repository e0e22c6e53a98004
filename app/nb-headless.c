/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "nb-config.h"
#include "nb-builtin-tools.h"
#include "nb-headless-agent.h"
#include "nb-headless.h"
#include "nb-http.h"
#include "nb-http-provider.h"
#include "nb-ollama-provider.h"
#include "nb-provider-registry.h"

typedef struct {
  GMainLoop      *loop;
  GCancellable   *cancellable;
  NbConfig       *config;
  const char     *config_path;
  const char     *message;
  NbProvider     *provider;
  GError         *error;
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
resolve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Headless *headless = user_data;

  headless->provider = nb_provider_registry_resolve_finish (result, &headless->error);
  g_main_loop_quit (headless->loop);
}

/* One agent turn with the built-in tools; tool activity and message-tool
 * output go to stderr, the reply streams to stdout. */
static int
run_turn (Headless   *headless,
          const char *session_key)
{
  g_autoptr(NbToolRegistry) tools = nb_tool_registry_new ();
  g_autoptr(GPtrArray) builtin = nb_builtin_tools_new (headless->config);
  g_autoptr(GError) error = NULL;
  int status;

  for (guint i = 0; i < builtin->len; i++)
    nb_tool_registry_add (tools, g_ptr_array_index (builtin, i));

  status = nb_headless_run_agent (headless->config, headless->provider, tools, headless->message,
                                  session_key, headless->cancellable, &error);
  if (status == 130)
    g_printerr ("nanobot: %s\n", _("interrupted"));
  else if (error != NULL)
    {
      if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT) &&
          g_strcmp0 (nb_provider_get_name (headless->provider), "ollama") == 0)
        print_ollama_help (headless, error);
      else
        g_printerr ("nanobot: %s\n", error->message);
    }
  return status;
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

  /* Resolving may wait for the keyring; the turn installs its own handler. */
  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, &headless);
  nb_provider_registry_resolve_async (config, NULL, headless.cancellable, resolve_cb, &headless);
  g_main_loop_run (headless.loop);
  g_source_remove (sigint_id);

  if (headless.provider != NULL && NB_IS_OLLAMA_PROVIDER (headless.provider) &&
      nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (headless.provider)) != NULL)
    g_printerr (_("nanobot: no model configured for Ollama; using “%s” (set agents.defaults.model in %s to choose one)\n"),
                nb_ollama_provider_get_model_override (NB_OLLAMA_PROVIDER (headless.provider)),
                config_path);

  if (headless.provider != NULL && !headless.interrupted)
    headless.status = run_turn (&headless, session_key);
  else if (headless.interrupted)
    headless.status = 130;
  else
    {
      g_printerr ("nanobot: %s\n", headless.error->message);
      /* A provider the configuration names wrongly is bad config. */
      headless.status = headless.error->domain == NB_CONFIG_ERROR ? 2 : 1;
    }

  g_clear_error (&headless.error);
  g_clear_object (&headless.provider);
  g_clear_object (&headless.cancellable);
  g_clear_pointer (&headless.loop, g_main_loop_unref);
  nb_http_shutdown ();

  return headless.status;
}
