/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nb-session.h"

G_BEGIN_DECLS

/**
 * NbSessionInfo:
 * @key: the session key ("desktop:…")
 * @updated_at: (nullable): when the session last changed, isoformat
 * @title: (nullable): the metadata's title, else the first line of the
 *   first user message (at most 80 characters)
 * @path: the JSONL file
 *
 * What the sidebar shows of a stored session without loading it.
 */
typedef struct {
  char *key;
  char *updated_at;
  char *title;
  char *path;
} NbSessionInfo;

void nb_session_info_free (NbSessionInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbSessionInfo, nb_session_info_free)

#define NB_TYPE_SESSION_STORE (nb_session_store_get_type ())
G_DECLARE_FINAL_TYPE (NbSessionStore, nb_session_store, NB, SESSION_STORE, GObject)

/* $XDG_DATA_HOME/nanobot/sessions/<key>.jsonl, append-only. */
NbSessionStore *nb_session_store_new       (const char      *sessions_dir);
const char     *nb_session_store_get_dir   (NbSessionStore  *self);
/* The session for @key, loaded from its file or new; the same object for
 * the same key while it lives. */
NbSession      *nb_session_store_open      (NbSessionStore  *self,
                                            const char      *key,
                                            GError         **error);
void            nb_session_store_open_async  (NbSessionStore      *self,
                                              const char          *key,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
NbSession      *nb_session_store_open_finish (NbSessionStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Appends the session's unsaved messages (and changed metadata) to its file. */
gboolean        nb_session_store_append    (NbSessionStore  *self,
                                            NbSession       *session,
                                            GError         **error);
/* The end of a turn: appends a metadata record with the current updated_at
 * and message_count when messages were appended since the last one, then
 * makes the file durable. The fdatasync runs in a worker thread; this
 * returns at once. */
gboolean        nb_session_store_sync      (NbSessionStore  *self,
                                            NbSession       *session,
                                            GError         **error);
void            nb_session_store_sync_async  (NbSessionStore      *self,
                                              NbSession           *session,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        nb_session_store_sync_finish (NbSessionStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Rewrites the file from the session (temp file, fsync, rename). */
gboolean        nb_session_store_compact   (NbSessionStore  *self,
                                            NbSession       *session,
                                            GError         **error);
/* Stored sessions, most recently updated first, read as NbConversationList
 * reads them (see nb-conversation-list.h, which also follows changes).
 * Returns: (transfer container) (element-type NbSessionInfo) */
GPtrArray      *nb_session_store_list      (NbSessionStore  *self,
                                            GError         **error);
void            nb_session_store_list_async  (NbSessionStore      *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray      *nb_session_store_list_finish (NbSessionStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The file that holds @key. */
char           *nb_session_store_get_path  (NbSessionStore  *self,
                                            const char      *key);
/* "telegram:12/3" → "telegram_12_3", as the Python nanobot names files;
 * a name longer than the file system allows becomes a prefix, "-" and 16
 * hex digits of the key's SHA-256. */
char           *nb_session_store_key_to_file_stem (const char *key);

/* Forks (nb-session-store-fork.c): a new file `<channel>:<id>` with a copy
 * of the first @n_keep saved messages of @source and @metadata as its
 * metadata; @source's file is not touched. */
void            nb_session_store_fork_async  (NbSessionStore      *self,
                                              NbSession           *source,
                                              guint                n_keep,
                                              JsonObject          *metadata,
                                              const char          *channel,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* Returns: (transfer full): the new session's key */
char           *nb_session_store_fork_finish (NbSessionStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* One turn at a time per session across processes
 * (nb-session-store-reload.c): `<stem>.lock` beside the session file, for
 * flock(); and the messages another process appended to @session's file
 * since this one read or wrote it, appended to @session as saved (only
 * when @session has nothing unsaved). Returns how many were added. */
char           *nb_session_store_get_lock_path (NbSessionStore  *self,
                                                const char      *key);
guint           nb_session_store_reload_new    (NbSessionStore  *self,
                                                NbSession       *session,
                                                GError         **error);

G_END_DECLS
