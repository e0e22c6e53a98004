/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-provider-row"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-preferences-private.h"
#include "nb-provider-check.h"
#include "nb-provider-keyring.h"
#include "nb-provider-registry.h"
#include "nb-provider-row.h"

struct _NbProviderRow
{
  AdwExpanderRow  parent_instance;

  NbAssistant    *assistant;
  char           *name;
  GCancellable   *cancellable;

  AdwEntryRow    *base_row;
  AdwEntryRow    *key_row;
  AdwActionRow   *key_state_row;
  GtkButton      *move_button;
  AdwEntryRow    *headers_row;
  AdwActionRow   *test_row;
  GtkSpinner     *test_spinner;
  GtkButton      *test_button;
};

G_DEFINE_FINAL_TYPE (NbProviderRow, nb_provider_row, ADW_TYPE_EXPANDER_ROW)

enum {
  MODELS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
member_path (NbProviderRow *self,
             const char    *member)
{
  return g_strdup_printf ("providers.%s.%s", self->name, member);
}

static NbConfig *
get_config (NbProviderRow *self)
{
  return nb_assistant_get_config (self->assistant);
}

static void
show_key_state (NbProviderRow *self,
                const char    *text,
                gboolean       in_file)
{
  adw_action_row_set_subtitle (self->key_state_row, text);
  gtk_widget_set_visible (GTK_WIDGET (self->move_button), in_file);
}

static void
keyring_lookup_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbProviderRow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = nb_provider_keyring_lookup_finish (result, &error);
  const NbProviderSpec *spec = nb_provider_registry_find (self->name);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (key != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->key_row), key);
      show_key_state (self, _("Stored in the keyring"), FALSE);
    }
  else if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The keyring cannot be reached: %s"), error->message);

      show_key_state (self, text, FALSE);
    }
  else if (spec != NULL && spec->env_key != NULL && g_getenv (spec->env_key) != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("From the environment variable %s"), spec->env_key);

      show_key_state (self, text, FALSE);
    }
  else if (spec != NULL && spec->is_local)
    show_key_state (self, _("No key (this server needs none)"), FALSE);
  else
    show_key_state (self, _("No key yet"), FALSE);
}

void
nb_provider_row_update (NbProviderRow *self)
{
  g_autofree char *key_path = member_path (self, "apiKey");
  g_autofree char *base_path = member_path (self, "apiBase");
  g_autofree char *headers_path = member_path (self, "extraHeaders");
  g_autofree char *headers = NULL;
  const NbProviderSpec *spec;
  const char *key;
  const char *base;

  g_return_if_fail (NB_IS_PROVIDER_ROW (self));

  spec = nb_provider_registry_find (self->name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), spec != NULL ? spec->display_name : self->name);

  base = nb_config_get_string (get_config (self), base_path);
  gtk_editable_set_text (GTK_EDITABLE (self->base_row), base != NULL ? base : "");
  if (spec != NULL && spec->default_api_base != NULL)
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), base != NULL && *base != '\0' ? base : spec->default_api_base);
  else
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), base != NULL ? base : _("Needs a server address"));

  headers = nb_preferences_format_map (nb_config_get_object (get_config (self), headers_path), ": ");
  gtk_editable_set_text (GTK_EDITABLE (self->headers_row), headers);

  key = nb_config_get_string (get_config (self), key_path);
  if (key != NULL && *key != '\0')
    {
      gtk_editable_set_text (GTK_EDITABLE (self->key_row), key);
      show_key_state (self, _("Saved as plain text in config.json"), TRUE);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  nb_provider_keyring_lookup_async (self->name, self->cancellable, keyring_lookup_cb, g_object_ref (self));
}

static void
base_apply_cb (NbProviderRow *self)
{
  g_autofree char *path = member_path (self, "apiBase");
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->base_row));

  if (*text != '\0' && !nb_config_is_http_url (text))
    {
      nb_preferences_toast (GTK_WIDGET (self), _("The server address must start with http:// or https://"));
      return;
    }
  if (*text == '\0')
    {
      NbConfigEdit *edit = nb_config_edit_new ();

      nb_config_edit_remove (edit, path);
      nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
    }
  else
    nb_preferences_save_string (GTK_WIDGET (self), self->assistant, path, text);
}

static void
headers_apply_cb (NbProviderRow *self)
{
  g_autofree char *path = member_path (self, "extraHeaders");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) headers = nb_preferences_parse_map (gtk_editable_get_text (GTK_EDITABLE (self->headers_row)),
                                                          ": ", &error);
  NbConfigEdit *edit;

  if (headers == NULL)
    {
      nb_preferences_toast (GTK_WIDGET (self), error->message);
      return;
    }
  edit = nb_config_edit_new ();
  nb_config_edit_set_node (edit, path, headers);
  nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(NbProviderRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!nb_provider_keyring_set_key_finish (result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The keyring did not take the key: %s"), error->message);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        nb_preferences_toast (GTK_WIDGET (self), text);
      return;
    }
  /* The next turn resolves the provider again, with this key. */
  nb_assistant_reload_provider (self->assistant);
  nb_provider_row_update (self);
}

static void
key_apply_cb (NbProviderRow *self)
{
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));

  show_key_state (self, _("Saving…"), FALSE);
  nb_provider_keyring_set_key_async (get_config (self), self->name, key, self->cancellable,
                                     key_stored_cb, g_object_ref (self));
}

static void
move_clicked_cb (NbProviderRow *self)
{
  show_key_state (self, _("Moving…"), FALSE);
  nb_provider_keyring_move_key_async (get_config (self), self->name, self->cancellable,
                                      key_stored_cb, g_object_ref (self));
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NbProviderRow) self = user_data;
  g_auto(GStrv) models = NULL;
  g_autofree char *message = NULL;
  NbProviderCheck check = nb_provider_check_finish (result, &models, &message);

  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  adw_action_row_set_subtitle (self->test_row, message);
  if (check == NB_PROVIDER_CHECK_WORKS && models != NULL)
    g_signal_emit (self, signals[MODELS], 0, models);
}

static void
test_clicked_cb (NbProviderRow *self)
{
  gtk_spinner_start (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  adw_action_row_set_subtitle (self->test_row, _("Testing…"));
  nb_provider_check_async (self->name,
                           gtk_editable_get_text (GTK_EDITABLE (self->base_row)),
                           gtk_editable_get_text (GTK_EDITABLE (self->key_row)),
                           self->cancellable, check_cb, g_object_ref (self));
}

static void
removed_key_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbAssistant) assistant = user_data;

  nb_provider_registry_store_key_finish (result, NULL);
  nb_assistant_reload_provider (assistant);
}

static void
remove_clicked_cb (NbProviderRow *self)
{
  NbConfigEdit *edit = nb_config_edit_new ();

  nb_provider_registry_store_key_async (self->name, NULL, NULL, removed_key_cb, g_object_ref (self->assistant));
  nb_config_edit_remove_member (edit, "providers", self->name);
  nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
}

static void
nb_provider_row_dispose (GObject *object)
{
  NbProviderRow *self = NB_PROVIDER_ROW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_PROVIDER_ROW);
  g_clear_object (&self->assistant);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_provider_row_parent_class)->dispose (object);
}

static void
nb_provider_row_finalize (GObject *object)
{
  NbProviderRow *self = NB_PROVIDER_ROW (object);

  g_free (self->name);

  G_OBJECT_CLASS (nb_provider_row_parent_class)->finalize (object);
}

static void
nb_provider_row_class_init (NbProviderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_provider_row_dispose;
  object_class->finalize = nb_provider_row_finalize;

  /**
   * NbProviderRow::models:
   * @models: the model names the provider listed
   */
  signals[MODELS] =
    g_signal_new ("models", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-provider-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, base_row);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, key_row);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, key_state_row);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, move_button);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, headers_row);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, test_row);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, NbProviderRow, test_button);
  gtk_widget_class_bind_template_callback (widget_class, base_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, move_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, headers_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
}

static void
nb_provider_row_init (NbProviderRow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbProviderRow *
nb_provider_row_new (NbAssistant *assistant,
                     const char  *name)
{
  NbProviderRow *self;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (NB_TYPE_PROVIDER_ROW, NULL);
  self->assistant = g_object_ref (assistant);
  self->name = g_strdup (name);
  gtk_widget_set_name (GTK_WIDGET (self), name);
  nb_provider_row_update (self);
  return self;
}

const char *
nb_provider_row_get_name (NbProviderRow *self)
{
  g_return_val_if_fail (NB_IS_PROVIDER_ROW (self), NULL);
  return self->name;
}
