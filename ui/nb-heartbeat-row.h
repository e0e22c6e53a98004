/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nb-assistant.h"

G_BEGIN_DECLS

#define NB_TYPE_HEARTBEAT_ROW (nb_heartbeat_row_get_type ())
G_DECLARE_FINAL_TYPE (NbHeartbeatRow, nb_heartbeat_row, NB, HEARTBEAT_ROW, AdwExpanderRow)

/*
 * The heartbeat's settings: its switch (gateway.heartbeat.enabled), the
 * interval in minutes (gateway.heartbeat.intervalS, in seconds in the
 * file) and Edit HEARTBEAT.md, which makes the file from the workspace
 * template when it is missing and opens it. Each change is written at
 * once; the running heartbeat follows NbConfig::changed.
 */

NbHeartbeatRow      *nb_heartbeat_row_new       (NbAssistant *assistant);
/* A group holding the row, for the Desktop page of Preferences. */
AdwPreferencesGroup *nb_heartbeat_row_new_group (NbAssistant *assistant);

G_END_DECLS
