/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tools-page"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-preferences-private.h"
#include "nb-sandbox.h"
#include "nb-tools-page.h"

/* The built-in tools' settings: workspace and its restriction (with what
 * the kernel enforces, in words), the command time limit, web search and
 * web fetch. */
struct _NbToolsPage
{
  AdwPreferencesPage  parent_instance;

  NbAssistant        *assistant;
  gboolean            loading;
  GtkFileChooserNative *chooser;

  AdwActionRow       *workspace_row;
  AdwActionRow       *restrict_row;
  GtkSwitch          *restrict_switch;
  GtkSpinButton      *exec_timeout_spin;
  AdwComboRow        *search_provider_row;
  AdwPasswordEntryRow *search_key_row;
  AdwEntryRow        *search_base_row;
  GtkSpinButton      *max_results_spin;
  GtkSwitch          *private_switch;
};

G_DEFINE_FINAL_TYPE (NbToolsPage, nb_tools_page, ADW_TYPE_PREFERENCES_PAGE)

static const char * const search_providers[] = { "brave", "searxng", "tavily", "duckduckgo" };

static void
load (NbToolsPage *self)
{
  NbConfig *config = nb_assistant_get_config (self->assistant);
  g_autofree char *workspace = nb_config_dup_workspace (config);
  const char *provider = nb_config_get_string (config, "tools.web.search.provider");
  const char *key = nb_config_get_string (config, "tools.web.search.apiKey");
  const char *base = nb_config_get_string (config, "tools.web.search.baseUrl");
  guint selected = 0;

  self->loading = TRUE;
  adw_action_row_set_subtitle (self->workspace_row, workspace);
  gtk_switch_set_active (self->restrict_switch, nb_config_get_boolean (config, "tools.restrictToWorkspace"));
  adw_action_row_set_subtitle (self->restrict_row, nb_sandbox_status_text ());
  gtk_spin_button_set_value (self->exec_timeout_spin, nb_config_get_int (config, "tools.exec.timeout"));
  for (guint i = 0; i < G_N_ELEMENTS (search_providers); i++)
    if (g_strcmp0 (provider, search_providers[i]) == 0)
      selected = i;
  adw_combo_row_set_selected (self->search_provider_row, selected);
  gtk_editable_set_text (GTK_EDITABLE (self->search_key_row), key != NULL ? key : "");
  gtk_editable_set_text (GTK_EDITABLE (self->search_base_row), base != NULL ? base : "");
  gtk_spin_button_set_value (self->max_results_spin, nb_config_get_int (config, "tools.web.search.maxResults"));
  gtk_switch_set_active (self->private_switch, nb_config_get_boolean (config, "tools.web.fetch.allowPrivateHosts"));
  self->loading = FALSE;
}

static void
chooser_response_cb (NbToolsPage *self,
                     int          response)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (self->chooser));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "agents.defaults.workspace", path);
    }
  g_clear_object (&self->chooser);
}

static void
choose_workspace_cb (NbToolsPage *self)
{
  g_autofree char *workspace = nb_config_dup_workspace (nb_assistant_get_config (self->assistant));
  g_autoptr(GFile) current = g_file_new_for_path (workspace);

  g_clear_object (&self->chooser);
  /* GtkFileDialog needs GTK 4.10; the native chooser goes through the
   * portal inside a sandbox. */
  self->chooser = gtk_file_chooser_native_new (_("Workspace Folder"),
                                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_file (GTK_FILE_CHOOSER (self->chooser), current, NULL);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
search_key_apply_cb (NbToolsPage *self)
{
  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "tools.web.search.apiKey",
                              gtk_editable_get_text (GTK_EDITABLE (self->search_key_row)));
}

static void
search_base_apply_cb (NbToolsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_base_row));

  if (*text != '\0' && !nb_config_is_http_url (text))
    {
      nb_preferences_toast (GTK_WIDGET (self), _("The server address must start with http:// or https://"));
      return;
    }
  nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "tools.web.search.baseUrl", text);
}

static void
changed_cb (GObject     *object,
            GParamSpec  *pspec,
            NbToolsPage *self)
{
  if (self->loading)
    return;
  if (object == G_OBJECT (self->restrict_switch))
    nb_preferences_save_boolean (GTK_WIDGET (self), self->assistant, "tools.restrictToWorkspace",
                                 gtk_switch_get_active (self->restrict_switch));
  else if (object == G_OBJECT (self->private_switch))
    nb_preferences_save_boolean (GTK_WIDGET (self), self->assistant, "tools.web.fetch.allowPrivateHosts",
                                 gtk_switch_get_active (self->private_switch));
  else if (object == G_OBJECT (self->search_provider_row))
    {
      guint selected = adw_combo_row_get_selected (self->search_provider_row);

      if (selected < G_N_ELEMENTS (search_providers))
        nb_preferences_save_string (GTK_WIDGET (self), self->assistant, "tools.web.search.provider",
                                    search_providers[selected]);
    }
}

static void
spin_changed_cb (GtkSpinButton *spin,
                 NbToolsPage   *self)
{
  if (self->loading)
    return;
  nb_preferences_save_int (GTK_WIDGET (self), self->assistant,
                           spin == self->exec_timeout_spin ? "tools.exec.timeout" : "tools.web.search.maxResults",
                           gtk_spin_button_get_value_as_int (spin));
}

static void
nb_tools_page_dispose (GObject *object)
{
  NbToolsPage *self = NB_TOOLS_PAGE (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_TOOLS_PAGE);
  g_clear_object (&self->assistant);

  G_OBJECT_CLASS (nb_tools_page_parent_class)->dispose (object);
}

static void
nb_tools_page_class_init (NbToolsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_tools_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-tools-page.ui");
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, workspace_row);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, restrict_row);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, restrict_switch);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, exec_timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, search_provider_row);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, search_key_row);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, search_base_row);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, max_results_spin);
  gtk_widget_class_bind_template_child (widget_class, NbToolsPage, private_switch);
  gtk_widget_class_bind_template_callback (widget_class, choose_workspace_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_base_apply_cb);
}

static void
nb_tools_page_init (NbToolsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbToolsPage *
nb_tools_page_new (NbAssistant *assistant)
{
  NbToolsPage *self;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_TOOLS_PAGE, NULL);
  self->assistant = g_object_ref (assistant);
  load (self);
  g_signal_connect_object (nb_assistant_get_config (assistant), "changed", G_CALLBACK (load), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self->restrict_switch, "notify::active", G_CALLBACK (changed_cb), self);
  g_signal_connect (self->private_switch, "notify::active", G_CALLBACK (changed_cb), self);
  g_signal_connect (self->search_provider_row, "notify::selected", G_CALLBACK (changed_cb), self);
  g_signal_connect (self->exec_timeout_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->max_results_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  return self;
}
