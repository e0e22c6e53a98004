/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-providers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-preferences-private.h"
#include "nb-provider-registry.h"
#include "nb-provider-row.h"
#include "nb-providers-page.h"

/*
 * The Providers page: one NbProviderRow per member of "providers" in
 * config.json (added from the + menu, in the file's order), the default
 * provider and model (with a picker filled from the provider's list of
 * models), the memory model, reasoning effort and the turn's limits.
 */
struct _NbProvidersPage
{
  AdwPreferencesPage    parent_instance;

  NbAssistant          *assistant;
  GCancellable         *cancellable;
  GHashTable           *rows;      /* name → NbProviderRow */
  GHashTable           *shown;     /* name → JsonNode the row shows */
  char                 *expand;    /* a provider just added */
  gboolean              loading;
  gboolean              models_loaded;

  AdwPreferencesGroup  *providers_group;
  GtkMenuButton        *add_button;
  AdwComboRow          *provider_row;
  AdwEntryRow          *model_row;
  GtkPopover           *models_popover;
  GtkListBox           *models_list;
  AdwEntryRow          *memory_model_row;
  AdwComboRow          *reasoning_row;
  GtkSpinButton        *max_tokens_spin;
  GtkSpinButton        *temperature_spin;
  GtkSpinButton        *iterations_spin;
  GtkSpinButton        *window_spin;
};

G_DEFINE_FINAL_TYPE (NbProvidersPage, nb_providers_page, ADW_TYPE_PREFERENCES_PAGE)

static const char * const efforts[] = { NULL, "low", "medium", "high" };

static NbConfig *
get_config (NbProvidersPage *self)
{
  return nb_assistant_get_config (self->assistant);
}

static void
fill_models (NbProvidersPage    *self,
             const char * const *models)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->models_list))) != NULL)
    gtk_list_box_remove (self->models_list, child);
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      GtkWidget *label = gtk_label_new (models[i]);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_margin_top (label, 6);
      gtk_widget_set_margin_bottom (label, 6);
      gtk_widget_set_margin_start (label, 6);
      gtk_widget_set_margin_end (label, 6);
      gtk_list_box_append (self->models_list, label);
    }
  self->models_loaded = models != NULL;
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NbProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = nb_assistant_list_models_finish (NB_ASSISTANT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (models == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("No list of models: %s"), error->message);
      const char *none[] = { NULL };

      fill_models (self, none);
      self->models_loaded = FALSE;
      nb_preferences_toast (GTK_WIDGET (self), text);
      return;
    }
  fill_models (self, (const char * const *) models);
}

static void
models_popover_show_cb (NbProvidersPage *self)
{
  if (!self->models_loaded)
    nb_assistant_list_models_async (self->assistant, self->cancellable, models_listed_cb, g_object_ref (self));
}

static void
model_activated_cb (NbProvidersPage *self,
                    GtkListBoxRow   *row)
{
  const char *model = gtk_label_get_text (GTK_LABEL (gtk_list_box_row_get_child (row)));

  gtk_popover_popdown (self->models_popover);
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), model);
  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.model", model);
}

static void
model_apply_cb (NbProvidersPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->model_row));

  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.model",
                              *text != '\0' ? text : NULL);
}

static void
memory_model_apply_cb (NbProvidersPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->memory_model_row));

  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.memoryModel",
                              *text != '\0' ? text : NULL);
}

static void
row_models_cb (NbProvidersPage *self,
               GStrv            models)
{
  fill_models (self, (const char * const *) models);
}

static void
update_add_menu (NbProvidersPage *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  const NbProviderSpec *specs;
  guint n_specs;

  specs = nb_provider_registry_get_specs (&n_specs);
  for (guint i = 0; i < n_specs; i++)
    {
      g_autofree char *action = NULL;

      if (g_hash_table_contains (self->rows, specs[i].name))
        continue;
      action = g_strdup_printf ("providers.add::%s", specs[i].name);
      g_menu_append (menu, specs[i].display_name, action);
    }
  gtk_menu_button_set_menu_model (self->add_button, G_MENU_MODEL (menu));
}

static void
update_rows (NbProvidersPage *self)
{
  JsonObject *providers = nb_config_get_object (get_config (self), "providers");
  g_autoptr(GList) names = providers != NULL ? json_object_get_members (providers) : NULL;
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (providers, l->data);
      JsonNode *shown;
      NbProviderRow *row;

      if (!JSON_NODE_HOLDS_OBJECT (node) || nb_provider_registry_find (l->data) == NULL)
        continue;
      g_hash_table_add (wanted, l->data);
      row = g_hash_table_lookup (self->rows, l->data);
      shown = g_hash_table_lookup (self->shown, l->data);
      if (row == NULL)
        {
          row = nb_provider_row_new (self->assistant, l->data);
          g_signal_connect_object (row, "models", G_CALLBACK (row_models_cb), self, G_CONNECT_SWAPPED);
          adw_preferences_group_add (self->providers_group, GTK_WIDGET (row));
          g_hash_table_insert (self->rows, g_strdup (l->data), row);
        }
      else if (shown == NULL || !json_node_equal (shown, node))
        nb_provider_row_update (row);
      g_hash_table_insert (self->shown, g_strdup (l->data), nb_config_edit_deep_copy (node));
      if (g_strcmp0 (self->expand, l->data) == 0)
        {
          adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
          g_clear_pointer (&self->expand, g_free);
        }
    }

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (wanted, key))
      {
        adw_preferences_group_remove (self->providers_group, value);
        g_hash_table_remove (self->shown, key);
        g_hash_table_iter_remove (&iter);
      }
  update_add_menu (self);
}

static void
load (NbProvidersPage *self)
{
  NbConfig *config = get_config (self);
  const char *provider = nb_config_get_string (config, "agents.defaults.provider");
  const char *model = nb_config_get_string (config, "agents.defaults.model");
  const char *memory_model = nb_config_get_string (config, "agents.defaults.memoryModel");
  const char *effort = nb_config_get_string (config, "agents.defaults.reasoningEffort");
  const NbProviderSpec *specs;
  guint n_specs;
  guint selected = 0;

  self->loading = TRUE;

  specs = nb_provider_registry_get_specs (&n_specs);
  for (guint i = 0; i < n_specs; i++)
    if (g_strcmp0 (provider, specs[i].name) == 0)
      selected = i + 1;
  adw_combo_row_set_selected (self->provider_row, selected);

  gtk_editable_set_text (GTK_EDITABLE (self->model_row), model != NULL ? model : "");
  gtk_editable_set_text (GTK_EDITABLE (self->memory_model_row), memory_model != NULL ? memory_model : "");
  selected = 0;
  for (guint i = 1; i < G_N_ELEMENTS (efforts); i++)
    if (g_strcmp0 (effort, efforts[i]) == 0)
      selected = i;
  adw_combo_row_set_selected (self->reasoning_row, selected);

  gtk_spin_button_set_value (self->max_tokens_spin, nb_config_get_int (config, "agents.defaults.maxTokens"));
  gtk_spin_button_set_value (self->temperature_spin, nb_config_get_double (config, "agents.defaults.temperature"));
  gtk_spin_button_set_value (self->iterations_spin, nb_config_get_int (config, "agents.defaults.maxToolIterations"));
  gtk_spin_button_set_value (self->window_spin, nb_config_get_int (config, "agents.defaults.memoryWindow"));

  update_rows (self);
  self->loading = FALSE;
}

static void
config_changed_cb (NbProvidersPage *self)
{
  /* Another provider or key may list other models. */
  self->models_loaded = FALSE;
  load (self);
}

static void
provider_selected_cb (NbProvidersPage *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);
  const NbProviderSpec *specs;
  guint n_specs;

  if (self->loading || selected == GTK_INVALID_LIST_POSITION)
    return;
  specs = nb_provider_registry_get_specs (&n_specs);
  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.provider",
                              selected == 0 || selected > n_specs ? "auto" : specs[selected - 1].name);
}

static void
reasoning_selected_cb (NbProvidersPage *self)
{
  guint selected = adw_combo_row_get_selected (self->reasoning_row);

  if (self->loading || selected >= G_N_ELEMENTS (efforts))
    return;
  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.reasoningEffort",
                              efforts[selected]);
}

static void
spin_changed_cb (GtkSpinButton   *spin,
                 NbProvidersPage *self)
{
  if (self->loading)
    return;
  if (spin == self->temperature_spin)
    {
      NbConfigEdit *edit = nb_config_edit_new ();

      nb_config_edit_set_double (edit, "agents.defaults.temperature", gtk_spin_button_get_value (spin));
      nb_preferences_save (GTK_WIDGET (self), self->assistant, edit);
      return;
    }
  nb_preferences_save_int (GTK_WIDGET (self), self->assistant,
                           spin == self->max_tokens_spin ? "agents.defaults.maxTokens"
                           : spin == self->iterations_spin ? "agents.defaults.maxToolIterations"
                           : "agents.defaults.memoryWindow",
                           gtk_spin_button_get_value_as_int (spin));
}

static void
add_provider_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  NbProvidersPage *self = NB_PROVIDERS_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  g_autoptr(JsonNode) empty = json_node_init_object (json_node_alloc (), NULL);
  NbConfigEdit *edit;

  if (nb_provider_registry_find (name) == NULL)
    return;
  json_node_take_object (empty, json_object_new ());
  g_free (self->expand);
  self->expand = g_strdup (name);
  edit = nb_config_edit_new ();
  nb_config_edit_set_member (edit, "providers", name, empty);
  nb_preferences_save (widget, self->assistant, edit);
}

static void
nb_providers_page_dispose (GObject *object)
{
  NbProvidersPage *self = NB_PROVIDERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->assistant != NULL)
    g_signal_handlers_disconnect_by_data (nb_assistant_get_config (self->assistant), self);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_PROVIDERS_PAGE);
  g_clear_object (&self->assistant);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->shown, g_hash_table_unref);
  g_clear_pointer (&self->expand, g_free);

  G_OBJECT_CLASS (nb_providers_page_parent_class)->dispose (object);
}

static void
nb_providers_page_class_init (NbProvidersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_providers_page_dispose;

  gtk_widget_class_install_action (widget_class, "providers.add", "s", add_provider_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-providers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, providers_group);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, add_button);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, model_row);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, models_popover);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, models_list);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, memory_model_row);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, reasoning_row);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, iterations_spin);
  gtk_widget_class_bind_template_child (widget_class, NbProvidersPage, window_spin);
  gtk_widget_class_bind_template_callback (widget_class, model_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, memory_model_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_activated_cb);
}

static void
nb_providers_page_init (NbProvidersPage *self)
{
  g_autoptr(GtkStringList) providers = gtk_string_list_new (NULL);
  const NbProviderSpec *specs;
  guint n_specs;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);

  gtk_string_list_append (providers, _("Automatic"));
  specs = nb_provider_registry_get_specs (&n_specs);
  for (guint i = 0; i < n_specs; i++)
    gtk_string_list_append (providers, specs[i].display_name);
  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (providers));
}

NbProvidersPage *
nb_providers_page_new (NbAssistant *assistant)
{
  NbProvidersPage *self;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_PROVIDERS_PAGE, NULL);
  self->assistant = g_object_ref (assistant);
  load (self);
  g_signal_connect_object (nb_assistant_get_config (assistant), "changed",
                           G_CALLBACK (config_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->provider_row, "notify::selected", G_CALLBACK (provider_selected_cb), self);
  g_signal_connect_swapped (self->reasoning_row, "notify::selected", G_CALLBACK (reasoning_selected_cb), self);
  g_signal_connect (self->max_tokens_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->temperature_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->iterations_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->window_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  return self;
}
