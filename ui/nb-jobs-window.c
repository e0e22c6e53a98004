/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-jobs-window"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-job-row.h"
#include "nb-jobs-window.h"

/*
 * The Scheduled Jobs window. The list box is bound to the NbCronService
 * itself (a GListModel of NbCronJob): the service announces every change
 * of a job as an items-changed of its position, so a row is made again
 * with the new state; there are a handful of jobs, not thousands.
 * Deleting removes the job at once (jobs.json is written) and offers
 * Undo, which puts the same job back.
 */

struct _NbJobsWindow
{
  AdwWindow      parent_instance;

  NbCronService *service;
  GtkWidget     *toast_overlay;
  GtkWidget     *error_revealer;
  GtkWidget     *error_label;
  GtkWidget     *stack;
  GtkWidget     *list;
};

G_DEFINE_FINAL_TYPE (NbJobsWindow, nb_jobs_window, ADW_TYPE_WINDOW)

static void
update_state (NbJobsWindow *self)
{
  const char *error = nb_cron_service_get_error_message (self->service);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->service));

  gtk_label_set_text (GTK_LABEL (self->error_label), error != NULL ? error : "");
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), error != NULL);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), n > 0 ? "list" : "empty");
}

static void
row_toggled_cb (NbJobRow     *row,
                gboolean      enabled,
                NbJobsWindow *self)
{
  nb_cron_service_set_enabled (self->service, nb_cron_job_get_id (nb_job_row_get_job (row)), enabled);
}

static void
row_run_now_cb (NbJobRow     *row,
                NbJobsWindow *self)
{
  nb_cron_service_run_now (self->service, nb_cron_job_get_id (nb_job_row_get_job (row)));
}

static void
undo_clicked_cb (AdwToast     *toast,
                 NbJobsWindow *self)
{
  NbCronJob *job = g_object_get_data (G_OBJECT (toast), "nb-job");

  if (job != NULL)
    nb_cron_service_restore_job (self->service, job);
}

static void
row_delete_cb (NbJobRow     *row,
               NbJobsWindow *self)
{
  g_autoptr(NbCronJob) job = nb_cron_service_remove_job (self->service,
                                                         nb_cron_job_get_id (nb_job_row_get_job (row)));
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (job == NULL)
    return;
  /* Translators: %s is the name of a scheduled job */
  title = g_strdup_printf (_("“%s” deleted"), nb_cron_job_get_name (job));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "nb-job", g_object_ref (job), g_object_unref);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_clicked_cb), self, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toast_overlay), toast);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  NbJobsWindow *self = user_data;
  NbCronJob *job = item;
  NbJobRow *row = nb_job_row_new (job, nb_cron_service_is_running (self->service, nb_cron_job_get_id (job)));

  g_signal_connect_object (row, "toggled", G_CALLBACK (row_toggled_cb), self, 0);
  g_signal_connect_object (row, "run-now", G_CALLBACK (row_run_now_cb), self, 0);
  g_signal_connect_object (row, "delete", G_CALLBACK (row_delete_cb), self, 0);
  return GTK_WIDGET (row);
}

static void
nb_jobs_window_dispose (GObject *object)
{
  NbJobsWindow *self = NB_JOBS_WINDOW (object);

  if (self->service != NULL)
    g_signal_handlers_disconnect_by_data (self->service, self);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_JOBS_WINDOW);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (nb_jobs_window_parent_class)->dispose (object);
}

static void
nb_jobs_window_class_init (NbJobsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_jobs_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-jobs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NbJobsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NbJobsWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, NbJobsWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, NbJobsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, NbJobsWindow, list);
}

static void
nb_jobs_window_init (NbJobsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NbJobsWindow) self = user_data;

  nb_cron_service_load_finish (NB_CRON_SERVICE (source), result, NULL);
  if (self->service != NULL)
    update_state (self);
}

NbJobsWindow *
nb_jobs_window_new (GtkWindow     *parent,
                    NbCronService *service)
{
  NbJobsWindow *self;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (service), NULL);

  self = g_object_new (NB_TYPE_JOBS_WINDOW, "transient-for", parent, NULL);
  self->service = g_object_ref (service);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->list), G_LIST_MODEL (service), create_row, self, NULL);
  g_signal_connect_swapped (service, "items-changed", G_CALLBACK (update_state), self);
  g_signal_connect_swapped (service, "notify::error-message", G_CALLBACK (update_state), self);
  update_state (self);
  nb_cron_service_load_async (service, NULL, loaded_cb, g_object_ref (self));
  return self;
}
