/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NB_TYPE_COMPOSER (nb_composer_get_type ())
G_DECLARE_FINAL_TYPE (NbComposer, nb_composer, NB, COMPOSER, GtkWidget)

NbComposer *nb_composer_new               (void);
gboolean    nb_composer_get_running       (NbComposer *self);
void        nb_composer_set_running       (NbComposer *self,
                                           gboolean    running);
char       *nb_composer_dup_text          (NbComposer *self);
void        nb_composer_set_text          (NbComposer *self,
                                           const char *text);
GPtrArray  *nb_composer_get_attachments   (NbComposer *self);
void        nb_composer_add_attachment    (NbComposer *self,
                                           GFile      *file);
void        nb_composer_remove_attachment (NbComposer *self,
                                           GFile      *file);
void        nb_composer_clear             (NbComposer *self);
gboolean    nb_composer_grab_focus        (NbComposer *self);

G_END_DECLS
