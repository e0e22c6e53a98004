/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-heartbeat-row"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "nb-heartbeat.h"
#include "nb-heartbeat-row.h"
#include "nb-preferences-private.h"

struct _NbHeartbeatRow
{
  AdwExpanderRow  parent_instance;

  NbAssistant    *assistant;
  GCancellable   *cancellable;
  gboolean        loading;

  GtkSpinButton  *interval_spin;
  GtkButton      *edit_button;
};

G_DEFINE_FINAL_TYPE (NbHeartbeatRow, nb_heartbeat_row, ADW_TYPE_EXPANDER_ROW)

/* What a missing HEARTBEAT.md starts as: the workspace's template (its
 * only task is in a comment, so nothing is sent to the model yet). */
#define TEMPLATE_RESOURCE "/io/github/nanobot/Nanobot/agent/workspace/HEARTBEAT.md"
static const char fallback_template[] =
  "# Heartbeat\n\n"
  "<!-- List standing checks under Tasks; an empty list does nothing. -->\n\n"
  "## Tasks\n\n"
  "<!-- - [ ] Every morning, summarise unread notes in notes/inbox.md -->\n";

static void
load (NbHeartbeatRow *self)
{
  NbConfig *config = nb_assistant_get_config (self->assistant);
  gint64 interval = nb_config_get_int (config, "gateway.heartbeat.intervalS");

  if (interval <= 0)
    interval = NB_HEARTBEAT_DEFAULT_INTERVAL_S;
  self->loading = TRUE;
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (self),
                                         nb_config_get_boolean (config, "gateway.heartbeat.enabled"));
  /* Seconds in the file, minutes here: a value that is not whole
   * minutes shows rounded and is only written when changed. */
  gtk_spin_button_set_value (self->interval_spin, (double) ((interval + 30) / 60));
  self->loading = FALSE;
}

static void
enabled_cb (NbHeartbeatRow *self)
{
  if (self->loading)
    return;
  nb_preferences_save_boolean (GTK_WIDGET (self), self->assistant, "gateway.heartbeat.enabled",
                               adw_expander_row_get_enable_expansion (ADW_EXPANDER_ROW (self)));
}

static void
interval_cb (NbHeartbeatRow *self)
{
  if (self->loading)
    return;
  nb_preferences_save_int (GTK_WIDGET (self), self->assistant, "gateway.heartbeat.intervalS",
                           (gint64) gtk_spin_button_get_value_as_int (self->interval_spin) * 60);
}

/* Edit HEARTBEAT.md: made in a worker thread if missing, then opened. */

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GBytes) template = g_resources_lookup_data (TEMPLATE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  const char *text = fallback_template;
  gsize length = sizeof fallback_template - 1;
  int fd;

  if (template != NULL)
    text = g_bytes_get_data (template, &length);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", dir, g_strerror (saved_errno));
      return;
    }
  /* O_EXCL: a file that is there (or appears meanwhile) is left alone. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                 "%s: %s", path, g_strerror (saved_errno));
      return;
    }
  while (length > 0)
    {
      gssize n = write (fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = errno;

          close (fd);
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                   "%s: %s", path, g_strerror (saved_errno));
          return;
        }
      text += n;
      length -= (gsize) n;
    }
  close (fd);
  g_task_return_boolean (task, TRUE);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  NbHeartbeatRow *self = NB_HEARTBEAT_ROW (object);
  g_autoptr(GError) error = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->edit_button), TRUE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not create HEARTBEAT.md: %s"), error->message);

      nb_preferences_toast (GTK_WIDGET (self), text);
      return;
    }
  nb_preferences_open_file (GTK_WIDGET (self), g_task_get_task_data (G_TASK (result)));
}

static void
edit_clicked_cb (NbHeartbeatRow *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, created_cb, NULL);
  g_autofree char *workspace = nb_assistant_dup_workspace (self->assistant);

  gtk_widget_set_sensitive (GTK_WIDGET (self->edit_button), FALSE);
  g_task_set_task_data (task, g_build_filename (workspace, "HEARTBEAT.md", NULL), g_free);
  g_task_run_in_thread (task, create_thread);
}

static void
nb_heartbeat_row_dispose (GObject *object)
{
  NbHeartbeatRow *self = NB_HEARTBEAT_ROW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_HEARTBEAT_ROW);
  g_clear_object (&self->assistant);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_heartbeat_row_parent_class)->dispose (object);
}

static void
nb_heartbeat_row_class_init (NbHeartbeatRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_heartbeat_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-heartbeat-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbHeartbeatRow, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, NbHeartbeatRow, edit_button);
  gtk_widget_class_bind_template_callback (widget_class, edit_clicked_cb);
}

static void
nb_heartbeat_row_init (NbHeartbeatRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

NbHeartbeatRow *
nb_heartbeat_row_new (NbAssistant *assistant)
{
  NbHeartbeatRow *self;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_HEARTBEAT_ROW, NULL);
  self->assistant = g_object_ref (assistant);
  load (self);
  g_signal_connect_object (nb_assistant_get_config (assistant), "changed", G_CALLBACK (load), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self, "notify::enable-expansion", G_CALLBACK (enabled_cb), self);
  g_signal_connect_swapped (self->interval_spin, "value-changed", G_CALLBACK (interval_cb), self);
  return self;
}

AdwPreferencesGroup *
nb_heartbeat_row_new_group (NbAssistant *assistant)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (group, _("Background Tasks"));
  adw_preferences_group_add (group, GTK_WIDGET (nb_heartbeat_row_new (assistant)));
  return group;
}
