/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-message.h"

G_BEGIN_DECLS

#define NB_TYPE_SESSION (nb_session_get_type ())
G_DECLARE_FINAL_TYPE (NbSession, nb_session, NB, SESSION, GObject)

/*
 * A conversation: a GListModel of NbMessage for the UI, plus the metadata
 * of its JSONL file. Persistence is NbSessionStore's job; the session only
 * remembers how many of its messages are already on disk.
 */

NbSession  *nb_session_new                   (const char *key);
const char *nb_session_get_key               (NbSession  *self);
void        nb_session_append                (NbSession  *self,
                                              NbMessage  *message);
guint       nb_session_get_n_messages        (NbSession  *self);
NbMessage  *nb_session_get_message           (NbSession  *self,
                                              guint       position);
NbMessage  *nb_session_begin_streaming       (NbSession  *self);
NbMessage  *nb_session_get_streaming         (NbSession  *self);
void        nb_session_end_streaming         (NbSession  *self);
/* Removes every message (after /new); metadata stays. */
void        nb_session_clear                 (NbSession  *self);

guint       nb_session_get_last_consolidated (NbSession  *self);
void        nb_session_set_last_consolidated (NbSession  *self,
                                              guint       last_consolidated);
JsonObject *nb_session_get_metadata          (NbSession  *self);
const char *nb_session_get_created_at        (NbSession  *self);
void        nb_session_set_created_at        (NbSession  *self,
                                              const char *created_at);
const char *nb_session_get_updated_at        (NbSession  *self);
void        nb_session_set_updated_at        (NbSession  *self,
                                              const char *updated_at);

/* How many leading messages the store has already written. */
guint       nb_session_get_saved_count       (NbSession  *self);
void        nb_session_set_saved_count       (NbSession  *self,
                                              guint       saved_count);

/* Appends messages read from the session's file: they count as saved and
 * leave updated_at alone. One items-changed for all of them. */
void        nb_session_add_saved             (NbSession  *self,
                                              GPtrArray  *messages);

GPtrArray  *nb_session_get_history           (NbSession  *self,
                                              guint       max_messages);

G_END_DECLS
