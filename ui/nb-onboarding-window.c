/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-onboarding-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-edit.h"
#include "nb-config-import.h"
#include "nb-onboarding-window.h"
#include "nb-provider-check.h"
#include "nb-provider-keyring.h"
#include "nb-provider-registry.h"

struct _NbOnboardingWindow
{
  AdwApplicationWindow  parent_instance;

  NbConfig             *config;
  char                 *ollama_base;
  char                 *python_config;
  GCancellable         *cancellable;
  char                 *provider;      /* the one picked */
  guint                 pending;       /* writes before ::finished */
  gboolean              failed;

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkButton            *back_button;
  GtkStack             *stack;
  AdwActionRow         *ollama_row;
  AdwActionRow         *openai_row;
  AdwActionRow         *anthropic_row;
  AdwActionRow         *openrouter_row;
  AdwActionRow         *custom_row;
  AdwPreferencesGroup  *import_group;
  AdwActionRow         *import_row;
  AdwPreferencesGroup  *key_group;
  AdwEntryRow          *base_row;
  AdwPasswordEntryRow  *key_row;
  AdwActionRow         *test_row;
  GtkSpinner           *test_spinner;
  GtkButton            *test_button;
  GtkButton            *continue_button;
  AdwEntryRow          *model_row;
  GtkListBox           *models_list;
  GtkButton            *start_button;
};

G_DEFINE_FINAL_TYPE (NbOnboardingWindow, nb_onboarding_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  FINISHED,
  IMPORT_PYTHON_SESSIONS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
toast (NbOnboardingWindow *self,
       const char         *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
show_page (NbOnboardingWindow *self,
           const char         *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), !g_str_equal (name, "provider"));
}

static void
back_clicked_cb (NbOnboardingWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  show_page (self, g_strcmp0 (page, "model") == 0 ? "key" : "provider");
}

static void
provider_activated_cb (NbOnboardingWindow *self,
                       AdwActionRow       *row)
{
  const NbProviderSpec *spec;
  gboolean is_ollama = row == self->ollama_row;
  gboolean is_custom = row == self->custom_row;

  g_free (self->provider);
  self->provider = g_strdup (is_ollama ? "ollama" : is_custom ? "custom"
                             : row == self->anthropic_row ? "anthropic"
                             : row == self->openrouter_row ? "openrouter" : "openai");
  spec = nb_provider_registry_find (self->provider);
  g_assert (spec != NULL);

  adw_window_title_set_subtitle (self->window_title, is_custom ? _("OpenAI-Compatible Server") : spec->display_name);
  adw_preferences_group_set_title (self->key_group, is_ollama ? _("Ollama on This Computer")
                                   : is_custom ? _("OpenAI-Compatible Server") : spec->display_name);
  adw_preferences_group_set_description (self->key_group,
                                         is_ollama ? _("No key is needed.")
                                         : is_custom ? _("The address ends before /chat/completions, e.g. http://localhost:8000/v1. A key only if the server asks for one.")
                                         : _("The key is kept in your keyring, never in a file."));
  gtk_widget_set_visible (GTK_WIDGET (self->base_row), is_ollama || is_custom);
  gtk_widget_set_visible (GTK_WIDGET (self->key_row), !is_ollama);
  gtk_editable_set_text (GTK_EDITABLE (self->base_row), is_ollama ? self->ollama_base : "");
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  adw_action_row_set_subtitle (self->test_row, _("Not tested yet"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->continue_button), FALSE);
  show_page (self, "key");
}

static void
fill_models (NbOnboardingWindow *self,
             GStrv               models)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->models_list))) != NULL)
    gtk_list_box_remove (self->models_list, child);
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), models[i]);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (self->models_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->models_list), models != NULL && models[0] != NULL);
  if (models != NULL && models[0] != NULL &&
      *gtk_editable_get_text (GTK_EDITABLE (self->model_row)) == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->model_row), models[0]);
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  g_auto(GStrv) models = NULL;
  g_autofree char *message = NULL;
  NbProviderCheck check = nb_provider_check_finish (result, &models, &message);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  adw_action_row_set_subtitle (self->test_row, message);
  gtk_widget_set_sensitive (GTK_WIDGET (self->continue_button), check == NB_PROVIDER_CHECK_WORKS);
  if (check == NB_PROVIDER_CHECK_WORKS)
    fill_models (self, models);
}

static void
test_clicked_cb (NbOnboardingWindow *self)
{
  gtk_spinner_start (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->continue_button), FALSE);
  adw_action_row_set_subtitle (self->test_row, _("Testing…"));
  nb_provider_check_async (self->provider,
                           gtk_widget_get_visible (GTK_WIDGET (self->base_row))
                           ? gtk_editable_get_text (GTK_EDITABLE (self->base_row)) : NULL,
                           gtk_editable_get_text (GTK_EDITABLE (self->key_row)),
                           self->cancellable, check_cb, g_object_ref (self));
}

static void
continue_clicked_cb (NbOnboardingWindow *self)
{
  show_page (self, "model");
}

static void
model_activated_cb (NbOnboardingWindow *self,
                    GtkListBoxRow      *row)
{
  gtk_editable_set_text (GTK_EDITABLE (self->model_row),
                         adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
}

static void
step_done (NbOnboardingWindow *self,
           const GError       *error)
{
  if (error != NULL && !self->failed)
    {
      g_autofree char *text = g_strdup_printf (_("Could not save: %s"), error->message);

      self->failed = TRUE;
      toast (self, text);
    }
  if (--self->pending > 0)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), TRUE);
  if (!self->failed)
    g_signal_emit (self, signals[FINISHED], 0);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  nb_provider_keyring_set_key_finish (result, &error);
  step_done (self, error);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));

  if (!nb_config_write_finish (NB_CONFIG (object), result, &error))
    {
      step_done (self, error);
      return;
    }
  /* The key after the file: storing it also keeps it out of the file. */
  if (self->provider != NULL && gtk_widget_get_visible (GTK_WIDGET (self->key_row)) && *key != '\0')
    {
      self->pending++;
      nb_provider_keyring_set_key_async (self->config, self->provider, key, NULL,
                                         key_stored_cb, g_object_ref (self));
    }
  step_done (self, NULL);
}

static void
start_clicked_cb (NbOnboardingWindow *self)
{
  NbConfigEdit *edit = nb_config_edit_new ();
  const char *model = gtk_editable_get_text (GTK_EDITABLE (self->model_row));
  const char *base = gtk_editable_get_text (GTK_EDITABLE (self->base_row));
  g_autoptr(JsonNode) provider = json_node_init_object (json_node_alloc (), NULL);

  json_node_take_object (provider, json_object_new ());
  if (gtk_widget_get_visible (GTK_WIDGET (self->base_row)) && *base != '\0')
    json_object_set_string_member (json_node_get_object (provider), "apiBase", base);
  nb_config_edit_set_member (edit, "providers", self->provider, provider);
  nb_config_edit_set_string (edit, "agents.defaults.provider", self->provider);
  if (*model != '\0')
    nb_config_edit_set_string (edit, "agents.defaults.model", model);

  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), FALSE);
  self->failed = FALSE;
  self->pending = 1;
  nb_config_write_async (self->config, edit, NULL, written_cb, g_object_ref (self));
}

static void
imported_key_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  nb_provider_keyring_set_key_finish (result, &error);
  step_done (self, error);
}

static void
import_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  g_autoptr(GHashTable) keys = g_object_steal_data (G_OBJECT (self), "nb-import-keys");
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer name, key;

  if (!nb_config_write_finish (NB_CONFIG (object), result, &error))
    {
      step_done (self, error);
      return;
    }
  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &name, &key))
    {
      if (nb_provider_registry_find (name) == NULL)
        continue;
      self->pending++;
      nb_provider_keyring_set_key_async (self->config, name, key, NULL, imported_key_cb, g_object_ref (self));
    }
  {
    g_autofree char *dir = g_path_get_dirname (self->python_config);

    /* The hook for the sessions' import. */
    g_signal_emit (self, signals[IMPORT_PYTHON_SESSIONS], 0, dir);
  }
  step_done (self, NULL);
}

static void
import_clicked_cb (NbOnboardingWindow *self)
{
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GError) error = NULL;
  NbConfigEdit *edit = nb_config_import_python (self->python_config, &keys, &error);

  if (edit == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_object_set_data_full (G_OBJECT (self), "nb-import-keys", g_steal_pointer (&keys),
                          (GDestroyNotify) g_hash_table_unref);
  g_clear_pointer (&self->provider, g_free);
  self->failed = FALSE;
  self->pending = 1;
  nb_config_write_async (self->config, edit, NULL, import_written_cb, g_object_ref (self));
}

static void
ollama_probe_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NbOnboardingWindow) self = user_data;
  NbProviderCheck check = nb_provider_check_finish (result, NULL, NULL);

  if (check == NB_PROVIDER_CHECK_WORKS)
    gtk_widget_set_visible (GTK_WIDGET (self->ollama_row), TRUE);
}

static void
nb_onboarding_window_dispose (GObject *object)
{
  NbOnboardingWindow *self = NB_ONBOARDING_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_ONBOARDING_WINDOW);
  g_clear_object (&self->config);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_onboarding_window_parent_class)->dispose (object);
}

static void
nb_onboarding_window_finalize (GObject *object)
{
  NbOnboardingWindow *self = NB_ONBOARDING_WINDOW (object);

  g_free (self->ollama_base);
  g_free (self->python_config);
  g_free (self->provider);

  G_OBJECT_CLASS (nb_onboarding_window_parent_class)->finalize (object);
}

static void
nb_onboarding_window_class_init (NbOnboardingWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_onboarding_window_dispose;
  object_class->finalize = nb_onboarding_window_finalize;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[IMPORT_PYTHON_SESSIONS] = g_signal_new ("import-python-sessions", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-onboarding-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, ollama_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, openai_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, anthropic_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, openrouter_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, custom_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, import_group);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, import_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, key_group);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, base_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, key_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, test_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, continue_button);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, models_list);
  gtk_widget_class_bind_template_child (widget_class, NbOnboardingWindow, start_button);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, provider_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, continue_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, start_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, import_clicked_cb);
}

static void
nb_onboarding_window_init (NbOnboardingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->models_list), FALSE);
}

/**
 * nb_onboarding_window_new:
 * @config: the configuration whose file is written (it need not exist)
 * @ollama_base: (nullable): where to look for a local Ollama
 * @python_config: (nullable): the Python nanobot's config.json
 */
NbOnboardingWindow *
nb_onboarding_window_new (GtkApplication *application,
                          NbConfig       *config,
                          const char     *ollama_base,
                          const char     *python_config)
{
  NbOnboardingWindow *self;

  g_return_val_if_fail (NB_IS_CONFIG (config), NULL);

  self = g_object_new (NB_TYPE_ONBOARDING_WINDOW, "application", application, NULL);
  self->config = g_object_ref (config);
  self->ollama_base = g_strdup (ollama_base != NULL ? ollama_base : "http://localhost:11434");
  self->python_config = python_config != NULL ? g_strdup (python_config) : nb_config_import_get_python_path ();

  if (g_file_test (self->python_config, G_FILE_TEST_IS_REGULAR))
    {
      adw_action_row_set_subtitle (self->import_row, self->python_config);
      gtk_widget_set_visible (GTK_WIDGET (self->import_group), TRUE);
    }
  /* Offered first when it answers; nothing waits for it. */
  nb_provider_check_async ("ollama", self->ollama_base, NULL, self->cancellable,
                           ollama_probe_cb, g_object_ref (self));
  return self;
}
