/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider-check"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-provider-check.h"
#include "nb-provider-registry.h"

typedef struct {
  NbProviderCheck  check;
  char            *message;
  GStrv            models;
} CheckResult;

static void
check_result_free (gpointer data)
{
  CheckResult *check = data;

  g_free (check->message);
  g_strfreev (check->models);
  g_free (check);
}

static void
finish (GTask           *task,
        NbProviderCheck  check,
        char            *message,
        GStrv            models)
{
  CheckResult *result = g_new0 (CheckResult, 1);

  result->check = check;
  result->message = message;
  result->models = models;
  g_task_return_pointer (task, result, check_result_free);
}

static void
models_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GStrv models = nb_provider_list_models_finish (NB_PROVIDER (object), result, &error);

  if (models != NULL)
    {
      guint n = g_strv_length (models);

      finish (task, NB_PROVIDER_CHECK_WORKS,
              g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "It works: %u model available.",
                                            "It works: %u models available.", n), n),
              models);
      return;
    }
  /* A server that answers but cannot list its models still answered. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    finish (task, NB_PROVIDER_CHECK_WORKS, g_strdup (_("It answers, but cannot list its models.")), NULL);
  else if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH))
    finish (task, NB_PROVIDER_CHECK_KEY_REFUSED, g_strdup (_("The key was refused.")), NULL);
  else if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT) ||
           g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_TIMEOUT) ||
           error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    finish (task, NB_PROVIDER_CHECK_UNREACHABLE, g_strdup (_("Nothing answered at this address.")), NULL);
  else if (g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_PROTOCOL) ||
           g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_BAD_REQUEST))
    finish (task, NB_PROVIDER_CHECK_NOT_LLM,
            g_strdup (_("Something answered, but it is not an LLM server (check the address).")), NULL);
  else
    finish (task, NB_PROVIDER_CHECK_FAILED, g_strdup (error->message), NULL);
}

/**
 * nb_provider_check_async:
 * @api_base: (nullable): the server address; %NULL for the default
 * @key: (nullable): the key being entered
 */
void
nb_provider_check_async (const char          *provider,
                         const char          *api_base,
                         const char          *key,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autoptr(NbProvider) resolved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_path = NULL;
  g_autofree char *key_path = NULL;

  g_return_if_fail (provider != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_provider_check_async);

  /* A configuration of this provider alone, in memory: never saved. */
  nb_config_set_string (config, "agents.defaults.provider", provider);
  base_path = g_strdup_printf ("providers.%s.apiBase", provider);
  key_path = g_strdup_printf ("providers.%s.apiKey", provider);
  if (api_base != NULL && *api_base != '\0')
    nb_config_set_string (config, base_path, api_base);
  if (key != NULL && *key != '\0')
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (key));

      nb_config_set_string (config, key_path, trimmed);
    }

  resolved = nb_provider_registry_resolve (config, NULL, &error);
  if (resolved == NULL)
    {
      /* Mostly "needs an API key" or "needs a server address". */
      if (key == NULL || *key == '\0')
        finish (task, NB_PROVIDER_CHECK_KEY_REFUSED, g_strdup (_("Enter a key first.")), NULL);
      else
        finish (task, NB_PROVIDER_CHECK_FAILED, g_strdup (error->message), NULL);
      return;
    }
  nb_provider_list_models_async (resolved, cancellable, models_cb, g_steal_pointer (&task));
}

NbProviderCheck
nb_provider_check_finish (GAsyncResult  *result,
                          GStrv         *models,
                          char         **message)
{
  g_autoptr(GError) error = NULL;
  CheckResult *check;
  NbProviderCheck value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NB_PROVIDER_CHECK_FAILED);

  check = g_task_propagate_pointer (G_TASK (result), &error);
  if (check == NULL)
    {
      /* Cancelled. */
      if (message != NULL)
        *message = g_strdup (error->message);
      return NB_PROVIDER_CHECK_FAILED;
    }
  value = check->check;
  if (models != NULL)
    *models = g_steal_pointer (&check->models);
  if (message != NULL)
    *message = g_steal_pointer (&check->message);
  check_result_free (check);
  return value;
}
