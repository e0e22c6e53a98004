/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What the pages of NbPreferencesWindow share (nb-preferences-util.c):
 * each change is written at once through the config writer, which keeps
 * the rest of the user's config.json; NbConfig::changed then makes the
 * assistant take the new settings for the next turn.
 */

#include <adwaita.h>

#include "nb-assistant.h"
#include "nb-config-edit.h"

G_BEGIN_DECLS

/* Writes @edit (taken) to @assistant's config.json; a failure is shown as
 * a toast in @widget's window. */
void        nb_preferences_save         (GtkWidget    *widget,
                                         NbAssistant  *assistant,
                                         NbConfigEdit *edit);
/* Shortcuts for one value. */
void        nb_preferences_save_string  (GtkWidget    *widget,
                                         NbAssistant  *assistant,
                                         const char   *path,
                                         const char   *value);
void        nb_preferences_save_int     (GtkWidget    *widget,
                                         NbAssistant  *assistant,
                                         const char   *path,
                                         gint64        value);
void        nb_preferences_save_boolean (GtkWidget    *widget,
                                         NbAssistant  *assistant,
                                         const char   *path,
                                         gboolean      value);
void        nb_preferences_toast        (GtkWidget    *widget,
                                         const char   *text);
/* Opens @path in the user's editor (or whatever opens its type). */
void        nb_preferences_open_file    (GtkWidget    *widget,
                                         const char   *path);
/* "Name: value; Name: value" ⇄ a JSON object of strings. */
char       *nb_preferences_format_map   (JsonObject   *object,
                                         const char   *separator);
JsonNode   *nb_preferences_parse_map    (const char   *text,
                                         const char   *separator,
                                         GError      **error);

G_END_DECLS
