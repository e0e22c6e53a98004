/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-composer.h"

G_BEGIN_DECLS

/* NbComposer is nb-composer.c (text, keys, completion, send and stop) and
 * nb-composer-attachments.c (the Attach button, paste, drop and chips). */

struct _NbComposer
{
  GtkWidget             parent_instance;

  GtkRevealer          *completion_revealer;
  GtkListBox           *completion_list;
  GtkScrolledWindow    *chips_scroller;
  GtkBox               *chips;
  GtkWidget            *entry_box;
  GtkButton            *attach_button;
  GtkScrolledWindow    *text_scroller;
  GtkTextView          *text_view;
  GtkLabel             *placeholder;
  GtkButton            *send_button;

  GtkTextBuffer        *buffer;
  GPtrArray            *attachments;  /* GFile, in the order added */
  GtkFileChooserNative *chooser;
  GCancellable         *cancellable;  /* clipboard reads, saving pasted images */
  gboolean              running;
  gboolean              completion_dismissed;  /* until the text changes */
};

void nb_composer_update_send_button      (NbComposer *self);

/* nb-composer-attachments.c */
void nb_composer_attachments_init        (NbComposer *self);
void nb_composer_attachments_dispose     (NbComposer *self);
void nb_composer_remove_all_attachments  (NbComposer *self);
void nb_composer_attach_clicked_cb       (NbComposer *self);

/* Where pasted images are saved, as PNG. */
char *nb_composer_dup_paste_dir          (void);

G_END_DECLS
