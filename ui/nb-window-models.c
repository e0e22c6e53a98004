/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-window-private.h"

/* The model menu and the welcome check, both fed by the provider's model
 * list (nb_assistant_list_models_async, cached by the assistant). */

/* Models menu: the provider's list (cached by the assistant), the
 * conversation's model checked; picking one stores it in the
 * conversation's metadata, as /model does. */

static void
fill_model_list (NbWindow           *self,
                 const char * const *models)
{
  g_autofree char *current = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->model_list))) != NULL)
    gtk_list_box_remove (self->model_list, child);

  if (self->session != NULL)
    current = nb_assistant_dup_session_model (self->assistant, self->session);

  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *label = gtk_label_new (models[i]);
      GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_set_opacity (check, g_strcmp0 (models[i], current) == 0 ? 1.0 : 0.0);
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), check);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data_full (G_OBJECT (row), "model", g_strdup (models[i]), g_free);
      gtk_list_box_append (self->model_list, row);
    }
}

static void
models_for_menu_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(NbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = nb_assistant_list_models_finish (NB_ASSISTANT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (models == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The provider’s models could not be listed: %s"), error->message);

      gtk_label_set_label (self->model_status, text);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->model_status), models[0] == NULL);
  gtk_label_set_label (self->model_status, _("The provider lists no models."));
  fill_model_list (self, (const char * const *) models);
}

void
nb_window_model_popover_show_cb (NbWindow *self)
{
  g_cancellable_cancel (self->models_cancellable);
  g_clear_object (&self->models_cancellable);
  self->models_cancellable = g_cancellable_new ();

  gtk_widget_set_visible (GTK_WIDGET (self->model_status), TRUE);
  gtk_label_set_label (self->model_status, _("Loading models…"));
  nb_assistant_list_models_async (self->assistant, self->models_cancellable,
                                  models_for_menu_cb, g_object_ref (self));
}

void
nb_window_model_row_activated_cb (NbWindow      *self,
                        GtkListBoxRow *row)
{
  const char *model = g_object_get_data (G_OBJECT (row), "model");
  g_autoptr(GError) error = NULL;

  gtk_popover_popdown (gtk_menu_button_get_popover (self->model_button));
  /* Back to typing. */
  nb_composer_grab_focus (self->composer);
  if (self->session == NULL || model == NULL)
    return;
  if (!nb_assistant_set_session_model (self->assistant, self->session, model, &error))
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  nb_window_update_model_label (self);
}

/* Welcome: with no provider that answers, the window says how to get
 * one instead of failing at the first message. The models endpoint is
 * the cheapest request that proves the provider is there. */

static void
provider_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(NbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = nb_assistant_list_models_finish (NB_ASSISTANT (source), result, &error);
  gboolean unusable;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* A provider without a models endpoint may still chat. */
  unusable = models == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) &&
             (error->domain == NB_CONFIG_ERROR ||
              g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_CONNECT) ||
              g_error_matches (error, NB_PROVIDER_ERROR, NB_PROVIDER_ERROR_AUTH) ||
              error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR);

  gtk_label_set_label (self->welcome_detail, unusable ? error->message : "");
  if (unusable && (self->session == NULL || nb_session_get_n_messages (self->session) == 0))
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "chat");
}

void
nb_window_check_provider (NbWindow *self)
{
  nb_assistant_list_models_async (self->assistant, self->cancellable,
                                  provider_checked_cb, g_object_ref (self));
}

void
nb_window_config_changed_cb (NbWindow *self)
{
  nb_window_update_model_label (self);
  nb_window_check_provider (self);
}
