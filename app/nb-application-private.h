/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-application.h"
#include "nb-assistant.h"
#include "nb-global-shortcut.h"
#include "nb-quick-prompt.h"
#include "nb-search-provider.h"
#include "nb-tray.h"

G_BEGIN_DECLS

struct _NbApplication
{
  AdwApplication    parent_instance;

  char             *config_path;
  gboolean          options_parsed;

  /* The one assistant of every window, made with the first window. */
  NbAssistant      *assistant;
  gboolean          closing;

  /* Living in the desktop (nb-application-desktop.c). */
  GSettings        *settings;
  NbTray           *tray;
  NbGlobalShortcut *global_shortcut;
  NbSearchProvider *search_provider;
  NbQuickPrompt    *quick_prompt;
  GCancellable     *cancellable;
  gboolean          start_with_quick_prompt;
  gboolean          held_for_tray;
  gboolean          background_requested;
  guint             prepare_id;
};

/* How long a D-Bus-activated Nanobot waits for the next call. */
#define NB_APPLICATION_SERVICE_TIMEOUT_MS 20000

/* How long after start-up the hidden quick prompt is built. */
#define NB_APPLICATION_PREPARE_DELAY_MS 1000

NbAssistant *nb_application_get_assistant             (NbApplication   *self);
void         nb_application_close                     (NbApplication   *self);
GtkWindow   *nb_application_present_window            (NbApplication   *self);

void         nb_application_desktop_startup           (NbApplication   *self);
void         nb_application_desktop_shutdown          (NbApplication   *self);
gboolean     nb_application_desktop_dbus_register     (NbApplication   *self,
                                                       GDBusConnection *connection,
                                                       GError         **error);
void         nb_application_desktop_dbus_unregister   (NbApplication   *self,
                                                       GDBusConnection *connection);
void         nb_application_desktop_assistant_created (NbApplication   *self,
                                                       NbAssistant     *assistant);
void         nb_application_desktop_window_created    (NbApplication   *self,
                                                       GtkWindow       *window);
gboolean     nb_application_desktop_can_background    (NbApplication   *self);
void         nb_application_desktop_go_background     (NbApplication   *self);
void         nb_application_desktop_add_actions       (NbApplication   *self);

G_END_DECLS
