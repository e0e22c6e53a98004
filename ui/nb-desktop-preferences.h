/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NB_TYPE_DESKTOP_PREFERENCES (nb_desktop_preferences_get_type ())
G_DECLARE_FINAL_TYPE (NbDesktopPreferences, nb_desktop_preferences, NB, DESKTOP_PREFERENCES, AdwPreferencesGroup)

/*
 * The "Desktop" preferences: run in the background, start at login,
 * notifications (GSettings, bound) and the quick prompt's keyboard
 * shortcut. Outside Flatpak on GNOME the shortcut can be added to GNOME's
 * custom shortcuts (nb-gnome-shortcut.h; @gnome_schemas, nullable, is
 * where those schemas are looked up); elsewhere the row says how to add
 * one by hand.
 */

NbDesktopPreferences *nb_desktop_preferences_new          (GSettingsSchemaSource *gnome_schemas);
/* A "Desktop" page holding the group, for a preferences window. */
AdwPreferencesPage   *nb_desktop_preferences_new_page     (GSettingsSchemaSource *gnome_schemas);
/* What a key press in "Change…" does: a new accelerator, saved, and put
 * in GNOME's entry if there is one. FALSE if @accelerator is not valid. */
gboolean              nb_desktop_preferences_set_shortcut (NbDesktopPreferences  *self,
                                                           const char            *accelerator);

G_END_DECLS
