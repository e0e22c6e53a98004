/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-assistant-private.h"
#include "nb-json-util.h"

/*
 * What the chat window's model menu and usage line need: the provider's
 * models (asked once, kept while the provider stays the same, at most
 * NB_ASSISTANT_MODELS_TTL_S), the model of a conversation (metadata
 * `model`, which wins over agents.defaults.model for its turns), and the
 * last turn's usage (metadata `usage`, written by the agent) with the
 * context window it is a share of.
 */

typedef struct _NbAssistantModels NbAssistantModels;

typedef struct
{
  NbAssistant *self;
  NbProvider  *provider;
  GPtrArray   *waiters;    /* GTask */
} Fetch;

struct _NbAssistantModels
{
  NbProvider *provider;    /* whose list this is */
  GStrv       models;
  gint64      fetched_at;  /* monotonic µs */
  Fetch      *fetch;       /* the request in flight for provider */
};

void
nb_assistant_models_free (NbAssistantModels *models)
{
  g_clear_object (&models->provider);
  g_clear_pointer (&models->models, g_strfreev);
  /* A fetch in flight holds the assistant and finishes on its own. */
  g_free (models);
}

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_object_unref (fetch->provider);
  g_ptr_array_unref (fetch->waiters);
  g_free (fetch);
}

static void
fetch_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  NbAssistant *self = fetch->self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = nb_provider_list_models_finish (NB_PROVIDER (object), result, &error);

  if (self->models != NULL && self->models->fetch == fetch)
    {
      self->models->fetch = NULL;
      if (models != NULL)
        {
          g_strfreev (self->models->models);
          self->models->models = g_strdupv (models);
          self->models->fetched_at = g_get_monotonic_time ();
        }
    }

  for (guint i = 0; i < fetch->waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (fetch->waiters, i);

      if (models != NULL)
        g_task_return_pointer (task, g_strdupv (models), (GDestroyNotify) g_strfreev);
      else
        g_task_return_error (task, g_error_copy (error));
    }
  fetch_free (fetch);
}

/* See nb-assistant-private.h. */
void
nb_assistant_models_provider_ready (GTask *task)
{
  NbAssistant *self = g_task_get_source_object (task);
  NbAssistantModels *cache;

  g_assert (NB_IS_ASSISTANT (self));
  g_assert (self->provider != NULL);

  if (self->models == NULL)
    self->models = g_new0 (NbAssistantModels, 1);
  cache = self->models;

  /* Another provider (the configuration changed, or it was reloaded):
   * its list is another list. */
  if (cache->provider != self->provider)
    {
      g_set_object (&cache->provider, self->provider);
      g_clear_pointer (&cache->models, g_strfreev);
      cache->fetch = NULL;
    }

  if (cache->models != NULL &&
      g_get_monotonic_time () - cache->fetched_at < NB_ASSISTANT_MODELS_TTL_S * G_USEC_PER_SEC)
    {
      g_task_return_pointer (task, g_strdupv (cache->models), (GDestroyNotify) g_strfreev);
      return;
    }

  if (cache->fetch == NULL)
    {
      Fetch *fetch = g_new0 (Fetch, 1);

      fetch->self = g_object_ref (self);
      fetch->provider = g_object_ref (self->provider);
      fetch->waiters = g_ptr_array_new_with_free_func (g_object_unref);
      cache->fetch = fetch;
      nb_provider_list_models_async (fetch->provider, self->cancellable, fetch_done_cb, fetch);
    }
  g_ptr_array_add (cache->fetch->waiters, g_object_ref (task));
}

/**
 * nb_assistant_list_models_async:
 *
 * Asks the provider of the current configuration which models it offers
 * (resolving it first if needed). The answer is kept for
 * %NB_ASSISTANT_MODELS_TTL_S, and for as long as the provider stays the
 * same: a configuration change or nb_assistant_reload_provider() makes
 * the next call ask again. Calls while a request is out share it.
 */
void
nb_assistant_list_models_async (NbAssistant         *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NB_IS_ASSISTANT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_assistant_list_models_async);
  nb_assistant_with_provider (task);
}

/**
 * nb_assistant_list_models_finish:
 *
 * Returns: (transfer full): the model names in the provider's order, or
 *   %NULL with @error set (%G_IO_ERROR_NOT_SUPPORTED for a provider that
 *   cannot list them, an %NB_PROVIDER_ERROR when the request failed)
 */
GStrv
nb_assistant_list_models_finish (NbAssistant   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * nb_assistant_set_session_model:
 * @model: (nullable): the model for @session's turns; %NULL or "" for
 *   agents.defaults.model
 *
 * Stores @model as the metadata `model` of @session, which the next turn
 * uses (a running one keeps its model). A session with a file gets a
 * metadata line at once; a new one writes it with its first message.
 * This is the one place that sets it: a `/model` command would call it.
 *
 * Returns: %FALSE with @error set when the file could not be written
 *   (the session keeps the model for this run)
 */
gboolean
nb_assistant_set_session_model (NbAssistant  *self,
                                NbSession    *session,
                                const char   *model,
                                GError      **error)
{
  JsonObject *metadata;
  g_autofree char *path = NULL;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  metadata = nb_session_get_metadata (session);
  if (model != NULL && *model != '\0')
    {
      if (g_strcmp0 (nb_json_get_string (metadata, "model"), model) == 0)
        return TRUE;
      json_object_set_string_member (metadata, "model", model);
    }
  else
    {
      if (!json_object_has_member (metadata, "model"))
        return TRUE;
      json_object_remove_member (metadata, "model");
    }

  /* Nothing on disk yet: the first append writes the metadata too, and an
   * empty file would list a conversation nobody started. */
  path = nb_session_store_get_path (self->store, nb_session_get_key (session));
  if (nb_session_get_n_messages (session) == 0 && !g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  return nb_session_store_append (self->store, session, error);
}

/**
 * nb_assistant_dup_session_model:
 *
 * Returns: (transfer full) (nullable): the model @session's next turn
 *   uses: its metadata `model`, else agents.defaults.model
 */
char *
nb_assistant_dup_session_model (NbAssistant *self,
                                NbSession   *session)
{
  const char *model;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), NULL);
  g_return_val_if_fail (NB_IS_SESSION (session), NULL);

  model = nb_json_get_string (nb_session_get_metadata (session), "model");
  if (model == NULL || *model == '\0')
    model = nb_config_get_string (self->config, "agents.defaults.model");
  return g_strdup (model);
}

/**
 * nb_assistant_get_context_window:
 * @model: (nullable): a model name; %NULL for the configured default
 *
 * Returns: the context window of @model in tokens, as far as known (a
 *   table of model families; Ollama's default num_ctx for Ollama)
 */
gint64
nb_assistant_get_context_window (NbAssistant *self,
                                 const char  *model)
{
  g_return_val_if_fail (NB_IS_ASSISTANT (self), NB_PROVIDER_DEFAULT_CONTEXT_WINDOW);

  if (model == NULL)
    model = nb_config_get_string (self->config, "agents.defaults.model");
  return nb_provider_get_context_window (self->provider, model);
}

/**
 * nb_assistant_get_last_usage:
 * @usage: (out) (optional): the token counts of the last turn's LLM calls
 *   (prompt, reply, cache reads and writes)
 * @context_tokens: (out) (optional): what the last call filled of the
 *   context window
 * @context_window: (out) (optional): the context window of the model the
 *   turn used
 *
 * The usage of @session's last turn, as the agent stored it in the
 * metadata `usage` (it survives a restart), for a line such as
 * "1 234 tokens, 1 000 from the cache, 12 % of the context".
 *
 * Returns: %FALSE when no turn of @session reported usage
 */
gboolean
nb_assistant_get_last_usage (NbAssistant *self,
                             NbSession   *session,
                             NbUsage     *usage,
                             gint64      *context_tokens,
                             gint64      *context_window)
{
  JsonObject *stored;
  const char *model;

  g_return_val_if_fail (NB_IS_ASSISTANT (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  stored = nb_json_get_object (nb_session_get_metadata (session), "usage");
  if (stored == NULL)
    return FALSE;
  if (usage != NULL)
    {
      usage->input_tokens = MAX (nb_json_get_int (stored, "prompt_tokens"), 0);
      usage->output_tokens = MAX (nb_json_get_int (stored, "completion_tokens"), 0);
      usage->cache_read_tokens = MAX (nb_json_get_int (stored, "cache_read_tokens"), 0);
      usage->cache_write_tokens = MAX (nb_json_get_int (stored, "cache_write_tokens"), 0);
    }
  if (context_tokens != NULL)
    *context_tokens = MAX (nb_json_get_int (stored, "context_tokens"), 0);
  if (context_window != NULL)
    {
      model = nb_json_get_string (stored, "model");
      *context_window = nb_assistant_get_context_window (self, model);
    }
  return TRUE;
}
