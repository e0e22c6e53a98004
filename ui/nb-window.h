/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_WINDOW (nb_window_get_type ())
G_DECLARE_FINAL_TYPE (NbWindow, nb_window, NB, WINDOW, AdwApplicationWindow)

NbWindow   *nb_window_new               (GtkApplication *application,
                                         NbAssistant    *assistant);
void        nb_window_open_conversation (NbWindow       *self,
                                         const char     *key);
void        nb_window_new_conversation  (NbWindow       *self);
const char *nb_window_get_key           (NbWindow       *self);
NbSession  *nb_window_get_session       (NbWindow       *self);
void        nb_window_prepare_close     (NbWindow       *self);
void        nb_window_show_banner       (NbWindow       *self,
                                         const char     *message);
void        nb_window_show_toast        (NbWindow       *self,
                                         const char     *message);
void        nb_window_search            (NbWindow       *self,
                                         const char     *text);

G_END_DECLS
