/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-error-row"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-error-row.h"

/* The failure of the last turn, after the last message, with Retry. It is
 * not a message of the session. */

struct _NbErrorRow
{
  GtkWidget parent_instance;

  GtkWidget *icon;
  GtkWidget *label;
  GtkWidget *retry_button;
};

G_DEFINE_FINAL_TYPE (NbErrorRow, nb_error_row, GTK_TYPE_WIDGET)

enum {
  RETRY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
retry_clicked_cb (NbErrorRow *self)
{
  g_signal_emit (self, signals[RETRY], 0);
}

static void
nb_error_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_ERROR_ROW);
  G_OBJECT_CLASS (nb_error_row_parent_class)->dispose (object);
}

static void
nb_error_row_class_init (NbErrorRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_error_row_dispose;

  signals[RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-error-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NbErrorRow, icon);
  gtk_widget_class_bind_template_child (widget_class, NbErrorRow, label);
  gtk_widget_class_bind_template_child (widget_class, NbErrorRow, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "nb-error-row");
}

static void
nb_error_row_init (NbErrorRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
nb_error_row_new (void)
{
  return g_object_new (NB_TYPE_ERROR_ROW, NULL);
}

void
nb_error_row_set_message (NbErrorRow *self,
                          const char *message)
{
  g_return_if_fail (NB_IS_ERROR_ROW (self));
  gtk_label_set_text (GTK_LABEL (self->label), message != NULL ? message : "");
}

const char *
nb_error_row_get_message (NbErrorRow *self)
{
  g_return_val_if_fail (NB_IS_ERROR_ROW (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->label));
}
