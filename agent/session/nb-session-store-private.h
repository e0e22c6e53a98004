/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What the parts of NbSessionStore share: nb-session-store.c (the type,
 * file names, bookkeeping, syncing), nb-session-store-write.c (serialising,
 * appending, compaction), nb-session-store-load.c (parsing, repair, open)
 * and nb-session-store-list.c (listing), and nb-conversation-reader.c.
 */

#include "nb-session-store.h"

G_BEGIN_DECLS

#define TOOL_RESULT_FILE_MAX_CHARS 500
#define COMPACT_METADATA_LINES     64
/* File names are at most 255 bytes on the usual file systems. */
#define FILE_NAME_MAX              255
#define FILE_SUFFIX                ".jsonl"
#define STEM_HASH_CHARS            16
/* The file's lines were written by someone else. */
#define NB_SESSION_FILE_COUNT_UNKNOWN G_MAXUINT

typedef struct
{
  NbSession *session;
  char      *path;
  int        fd;
  /* Messages of the session that are on disk (or were dropped on purpose). */
  guint      written;
  /* In-memory positions of messages left out of the file, ascending. */
  GArray    *dropped;
  /* The last metadata record written, without updated_at. */
  char      *metadata_signature;
  guint      metadata_lines;
  /* The file ends without a newline: the next line starts with one. */
  gboolean   needs_newline;
  /* Malformed lines the loader skipped. */
  guint      damaged_lines;
  /* The file's size when it was read. */
  gsize      loaded_size;
  /* Message lines in the file (the metadata record's message_count),
   * or NB_SESSION_FILE_COUNT_UNKNOWN. */
  guint      file_messages;
  /* Message lines appended since the last metadata record. */
  guint      unrecorded;
} NbSessionFile;

struct _NbSessionStore
{
  GObject       parent_instance;

  char         *dir;
  GHashTable   *files;      /* key → NbSessionFile */
  GCancellable *cancellable;
};

/* nb-session-store.c */
NbSessionFile *nb_session_file_new          (NbSessionStore  *self,
                                             NbSession       *session);
void           nb_session_file_free         (gpointer         data);
NbSessionFile *nb_session_store_lookup_file (NbSessionStore  *self,
                                             NbSession       *session);

/* nb-session-store-write.c */
char          *nb_session_file_metadata_signature  (NbSessionFile   *sf);
/* @verbatim: the lines as loaded, without cutting long tool results or
 * replacing inline images (the repair of a damaged file). */
gboolean       nb_session_store_rewrite            (NbSessionStore  *self,
                                                    NbSessionFile   *sf,
                                                    gboolean         verbatim,
                                                    GError         **error);
/* An assistant message without text or tool calls: left out of the file. */
gboolean       nb_session_store_is_empty_assistant (NbMessage       *message);
/* End of a turn: appends a metadata record with the current updated_at and
 * message_count if messages were appended since the last one, so that
 * readers of the last record (the conversation list) are current. */
gboolean       nb_session_store_record_progress    (NbSessionStore  *self,
                                                    NbSessionFile   *sf,
                                                    GError         **error);

static inline gboolean
nb_session_store_is_blank (const char *line,
                           gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

/* The line a message is stored as (long tool results cut, inline images
 * replaced), or %NULL for an empty assistant message, which is left out.
 * Forks (nb-session-store-fork.c) copy messages with it. */
char          *nb_session_store_message_line       (NbMessage       *message);

/* nb-session-store-load.c: the messages of a file's text, as the loader
 * reads them, and its last metadata record's last_consolidated (-1 when
 * there is none). */
GPtrArray     *nb_session_store_parse_messages     (const char      *path,
                                                    const char      *contents,
                                                    gsize            length,
                                                    gint64          *last_consolidated);

G_END_DECLS
