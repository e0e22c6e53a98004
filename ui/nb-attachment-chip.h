/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NB_TYPE_ATTACHMENT_CHIP (nb_attachment_chip_get_type ())
G_DECLARE_FINAL_TYPE (NbAttachmentChip, nb_attachment_chip, NB, ATTACHMENT_CHIP, GtkWidget)

GtkWidget *nb_attachment_chip_new      (GFile            *file);
GFile     *nb_attachment_chip_get_file (NbAttachmentChip *self);

G_END_DECLS
