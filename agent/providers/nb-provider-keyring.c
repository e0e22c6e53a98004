/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider-keyring"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "nb-config-edit.h"
#include "nb-provider-keyring.h"
#include "nb-provider-registry.h"

typedef struct {
  NbConfig *config;
  char     *provider;
} SetKey;

static void
set_key_free (gpointer data)
{
  SetKey *set = data;

  g_clear_object (&set->config);
  g_free (set->provider);
  g_free (set);
}

static void
config_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!nb_config_write_finish (NB_CONFIG (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SetKey *set = g_task_get_task_data (task);
  g_autofree char *path = g_strdup_printf ("providers.%s.apiKey", set->provider);
  const char *in_file;
  GError *error = NULL;

  if (!nb_provider_registry_store_key_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A key in the file would win over the keyring's: out with it. */
  in_file = nb_config_get_string (set->config, path);
  if (in_file != NULL && *in_file != '\0')
    {
      NbConfigEdit *edit = nb_config_edit_new ();

      nb_config_edit_remove (edit, path);
      nb_config_write_async (set->config, edit, NULL, config_written_cb, g_steal_pointer (&task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * nb_provider_keyring_set_key_async:
 * @key: (nullable): the key; %NULL or "" removes it
 */
void
nb_provider_keyring_set_key_async (NbConfig            *config,
                                   const char          *provider,
                                   const char          *key,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *trimmed = NULL;
  SetKey *set;

  g_return_if_fail (NB_IS_CONFIG (config));
  g_return_if_fail (provider != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_provider_keyring_set_key_async);
  set = g_new0 (SetKey, 1);
  set->config = g_object_ref (config);
  set->provider = g_strdup (provider);
  g_task_set_task_data (task, set, set_key_free);

  /* Pasted keys often come with a line break. */
  trimmed = g_strstrip (g_strdup (key != NULL ? key : ""));
  nb_provider_registry_store_key_async (provider, trimmed, cancellable,
                                        key_stored_cb, g_steal_pointer (&task));
}

gboolean
nb_provider_keyring_set_key_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
moved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!nb_provider_keyring_set_key_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
nb_provider_keyring_move_key_async (NbConfig            *config,
                                    const char          *provider,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  const char *key;

  g_return_if_fail (NB_IS_CONFIG (config));
  g_return_if_fail (provider != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_provider_keyring_move_key_async);
  path = g_strdup_printf ("providers.%s.apiKey", provider);
  key = nb_config_get_string (config, path);
  if (key == NULL || *key == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("config.json has no key for %s"), provider);
      return;
    }
  nb_provider_keyring_set_key_async (config, provider, key, cancellable, moved_cb, g_steal_pointer (&task));
}

gboolean
nb_provider_keyring_move_key_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    {
      g_task_return_pointer (task, g_strdup (password), g_free);
      secret_password_free (password);
    }
}

void
nb_provider_keyring_lookup_async (const char          *provider,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (provider != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_provider_keyring_lookup_async);
  secret_password_lookup (nb_provider_registry_get_secret_schema (), cancellable,
                          lookup_cb, g_steal_pointer (&task),
                          "provider", provider, NULL);
}

/**
 * nb_provider_keyring_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the key, %NULL when there is none
 */
char *
nb_provider_keyring_lookup_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
