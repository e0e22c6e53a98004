/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-config-error-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-edit.h"
#include "nb-config-error-window.h"

struct _NbConfigErrorWindow
{
  AdwApplicationWindow  parent_instance;

  char                 *path;

  AdwStatusPage        *status_page;
  GtkLabel             *message_label;
};

G_DEFINE_FINAL_TYPE (NbConfigErrorWindow, nb_config_error_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  RESOLVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
launched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(NbConfigErrorWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("No program opened the file: %s"), error->message);

      adw_status_page_set_description (self->status_page, text);
    }
}

static void
open_clicked_cb (NbConfigErrorWindow *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->path);
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr(GdkAppLaunchContext) context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));

  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launched_cb, g_object_ref (self));
}

static void
retry_clicked_cb (NbConfigErrorWindow *self)
{
  g_autoptr(NbConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = nb_config_load (self->path, &error);
  if (config == NULL || !nb_config_check_workspace (config, &error))
    {
      gtk_label_set_text (self->message_label, error->message);
      return;
    }
  g_signal_emit (self, signals[RESOLVED], 0);
}

static void
reset_clicked_cb (NbConfigErrorWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = NULL;

  if (!nb_config_reset_file (self->path, &backup, &error))
    {
      gtk_label_set_text (self->message_label, error->message);
      return;
    }
  g_message ("%s was moved to %s", self->path, backup);
  g_signal_emit (self, signals[RESOLVED], 0);
}

static void
nb_config_error_window_finalize (GObject *object)
{
  NbConfigErrorWindow *self = NB_CONFIG_ERROR_WINDOW (object);

  g_free (self->path);

  G_OBJECT_CLASS (nb_config_error_window_parent_class)->finalize (object);
}

static void
nb_config_error_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_CONFIG_ERROR_WINDOW);

  G_OBJECT_CLASS (nb_config_error_window_parent_class)->dispose (object);
}

static void
nb_config_error_window_class_init (NbConfigErrorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_config_error_window_dispose;
  object_class->finalize = nb_config_error_window_finalize;

  /**
   * NbConfigErrorWindow::resolved:
   *
   * The file loads now, or was moved aside: go on as at start-up.
   */
  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-config-error-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NbConfigErrorWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, NbConfigErrorWindow, message_label);
  gtk_widget_class_bind_template_callback (widget_class, open_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_clicked_cb);
}

static void
nb_config_error_window_init (NbConfigErrorWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

NbConfigErrorWindow *
nb_config_error_window_new (GtkApplication *application,
                            const char     *path,
                            const char     *message)
{
  NbConfigErrorWindow *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);

  self = g_object_new (NB_TYPE_CONFIG_ERROR_WINDOW, "application", application, NULL);
  self->path = g_strdup (path);
  gtk_label_set_text (self->message_label, message);
  return self;
}
