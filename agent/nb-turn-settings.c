/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <string.h>

#include "nb-agent-private.h"
#include "nb-json-util.h"

/* Where a turn talks (channel and chat id, from the session key) and its
 * settings, taken once when it starts (so a configuration change
 * during a turn applies to the next one); a conversation's own `model`
 * in its metadata overrides the configured one. */

/**
 * nb_turn_settings_new:
 * @max_iterations: the LLM calls a turn may make, or 0 for the
 *   configured maxToolIterations
 *
 * Returns: (transfer full): the settings for a turn on @session
 */
NbTurnSettings *
nb_turn_settings_new (NbConfig  *config,
                      NbSession *session,
                      guint      max_iterations)
{
  NbTurnSettings *settings = g_new0 (NbTurnSettings, 1);
  const char *model = NULL;

  if (session != NULL)
    model = nb_json_get_string (nb_session_get_metadata (session), "model");
  if (model == NULL || *model == '\0')
    model = nb_config_get_string (config, "agents.defaults.model");

  settings->model = g_strdup (model);
  settings->reasoning_effort = g_strdup (nb_config_get_string (config, "agents.defaults.reasoningEffort"));
  settings->max_tokens = (int) CLAMP (nb_config_get_int (config, "agents.defaults.maxTokens"), 1, G_MAXINT);
  settings->temperature = nb_config_get_double (config, "agents.defaults.temperature");
  if (max_iterations > 0)
    settings->max_iterations = max_iterations;
  else
    settings->max_iterations = (guint) CLAMP (nb_config_get_int (config, "agents.defaults.maxToolIterations"), 1, G_MAXINT);
  settings->memory_window = (guint) CLAMP (nb_config_get_int (config, "agents.defaults.memoryWindow"), 0, G_MAXINT);
  settings->memory_model = g_strdup (nb_config_get_memory_model (config));
  return settings;
}

void
nb_turn_settings_free (NbTurnSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->model);
  g_free (settings->reasoning_effort);
  g_free (settings->memory_model);
  g_free (settings);
}

/* The channel and chat id of a session key ("desktop:ab12" → "desktop",
 * "ab12"); a key without a colon is the cli channel's. */
void
nb_turn_split_session_key (const char  *key,
                           char       **channel,
                           char       **chat_id)
{
  const char *colon = strchr (key, ':');

  if (colon != NULL)
    {
      *channel = g_strndup (key, colon - key);
      *chat_id = g_strdup (colon + 1);
    }
  else
    {
      *channel = g_strdup ("cli");
      *chat_id = g_strdup (key);
    }
}
