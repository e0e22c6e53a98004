/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-session.h"

G_BEGIN_DECLS

#define NB_TYPE_SESSION_STORE (nb_session_store_get_type ())
G_DECLARE_FINAL_TYPE (NbSessionStore, nb_session_store, NB, SESSION_STORE, GObject)

/* $XDG_DATA_HOME/nanobot/sessions/<key>.jsonl, append-only. */
NbSessionStore *nb_session_store_new      (const char      *sessions_dir);
const char     *nb_session_store_get_dir  (NbSessionStore  *self);
/* The session for @key, loaded from its file or new; the same object for
 * the same key while it lives. */
NbSession      *nb_session_store_open     (NbSessionStore  *self,
                                           const char      *key,
                                           GError         **error);
/* Appends the session's unsaved messages (and changed metadata) to its file. */
gboolean        nb_session_store_append   (NbSessionStore  *self,
                                           NbSession       *session,
                                           GError         **error);
/* Makes what was appended durable (end of a turn). */
gboolean        nb_session_store_sync     (NbSessionStore  *self,
                                           NbSession       *session,
                                           GError         **error);

G_END_DECLS
