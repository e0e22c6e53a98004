/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-job-row"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-job-row.h"

struct _NbJobRow
{
  AdwActionRow  parent_instance;

  NbCronJob    *job;
  GtkWidget    *spinner;
  GtkWidget    *run_button;
  GtkWidget    *delete_button;
  GtkWidget    *enabled_switch;
};

G_DEFINE_FINAL_TYPE (NbJobRow, nb_job_row, ADW_TYPE_ACTION_ROW)

enum {
  TOGGLED,
  RUN_NOW,
  DELETE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
run_clicked_cb (NbJobRow *self)
{
  g_signal_emit (self, signals[RUN_NOW], 0);
}

static void
delete_clicked_cb (NbJobRow *self)
{
  g_signal_emit (self, signals[DELETE], 0);
}

static gboolean
emit_toggled (gpointer data)
{
  NbJobRow *self = data;

  if (self->job != NULL && self->enabled_switch != NULL)
    {
      gboolean active = gtk_switch_get_active (GTK_SWITCH (self->enabled_switch));

      if (active != nb_cron_job_get_enabled (self->job))
        g_signal_emit (self, signals[TOGGLED], 0, active);
    }
  return G_SOURCE_REMOVE;
}

/* Later, not now: the change makes the list replace this row, switch and
 * all, which must not happen inside the switch's own notify. */
static void
enabled_changed_cb (NbJobRow *self)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, emit_toggled, g_object_ref (self), g_object_unref);
}

static void
nb_job_row_dispose (GObject *object)
{
  NbJobRow *self = NB_JOB_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_JOB_ROW);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (nb_job_row_parent_class)->dispose (object);
}

static void
nb_job_row_class_init (NbJobRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_job_row_dispose;

  signals[TOGGLED] = g_signal_new ("toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[RUN_NOW] = g_signal_new ("run-now", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[DELETE] = g_signal_new ("delete", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-job-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbJobRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, NbJobRow, run_button);
  gtk_widget_class_bind_template_child (widget_class, NbJobRow, delete_button);
  gtk_widget_class_bind_template_child (widget_class, NbJobRow, enabled_switch);
  gtk_widget_class_bind_template_callback (widget_class, run_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, enabled_changed_cb);
}

static void
nb_job_row_init (NbJobRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

char *
nb_job_row_format_time (gint64 ms,
                        gint64 now_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) now_utc = g_date_time_new_from_unix_utc (now_ms / 1000);
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *clock = NULL;
  int days;

  if (utc == NULL || now_utc == NULL)
    return g_strdup ("?");
  time = g_date_time_to_local (utc);
  now = g_date_time_to_local (now_utc);
  clock = g_date_time_format (time, "%H:%M");
  days = g_date_time_get_day_of_year (time) - g_date_time_get_day_of_year (now);
  if (g_date_time_get_year (time) != g_date_time_get_year (now))
    days = 1000;
  if (days == 0)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("Today %s"), clock);
  if (days == 1)
    return g_strdup_printf (_("Tomorrow %s"), clock);
  if (days == -1)
    return g_strdup_printf (_("Yesterday %s"), clock);
  /* Translators: a date and time in strftime() format */
  return g_date_time_format (time, _("%a %e %b %Y, %H:%M"));
}

static char *
describe (NbCronJob *job,
          gboolean   running)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *schedule = nb_cron_job_describe_schedule (job);
  gint64 now = g_get_real_time () / 1000;
  const char *status = nb_cron_job_get_last_status (job);

  g_string_append (text, schedule);
  if (running)
    g_string_append_printf (text, " · %s", _("Running now"));
  else if (!nb_cron_job_get_enabled (job))
    g_string_append_printf (text, " · %s", _("Disabled"));
  else if (nb_cron_job_get_next_run_ms (job) >= 0)
    {
      g_autofree char *next = nb_job_row_format_time (nb_cron_job_get_next_run_ms (job), now);

      /* Translators: the schedule, then when the job runs next */
      g_string_printf (text, _("%s · Next: %s"), schedule, next);
    }
  if (nb_cron_job_get_last_run_ms (job) >= 0)
    {
      g_autofree char *last = nb_job_row_format_time (nb_cron_job_get_last_run_ms (job), now);
      const char *detail = g_strcmp0 (status, "error") == 0 ? nb_cron_job_get_last_error (job)
                                                            : nb_cron_job_get_last_result (job);

      g_string_append_c (text, '\n');
      if (g_strcmp0 (status, "error") == 0)
        g_string_append_printf (text, _("Last run %s failed"), last);
      else
        g_string_append_printf (text, _("Last run %s"), last);
      if (detail != NULL && *detail != '\0')
        g_string_append_printf (text, ": %s", detail);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

NbJobRow *
nb_job_row_new (NbCronJob *job,
                gboolean   running)
{
  NbJobRow *self = g_object_new (NB_TYPE_JOB_ROW, NULL);
  g_autofree char *subtitle = describe (job, running);
  g_autofree char *title = g_markup_escape_text (nb_cron_job_get_name (job), -1);
  g_autofree char *escaped = g_markup_escape_text (subtitle, -1);

  self->job = g_object_ref (job);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), escaped);
  gtk_switch_set_active (GTK_SWITCH (self->enabled_switch), nb_cron_job_get_enabled (job));
  gtk_widget_set_visible (self->spinner, running);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), running);
  gtk_widget_set_sensitive (self->run_button, !running);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), nb_cron_job_get_message (job));
  return self;
}

NbCronJob *
nb_job_row_get_job (NbJobRow *self)
{
  g_return_val_if_fail (NB_IS_JOB_ROW (self), NULL);
  return self->job;
}
