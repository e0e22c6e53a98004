/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What a list of conversations shows of a session file, read without
 * reading the file whole: its first line, the first user message (at most
 * 64 KiB in) and the last metadata record (in the last 64 KiB). Plain
 * functions, safe in a worker thread. Internal to agent/session.
 */

#include <gio/gio.h>

#include "nb-session.h"

G_BEGIN_DECLS

#define NB_CONVERSATION_TITLE_MAX_CHARS 80

typedef struct
{
  char      *path;
  char      *key;
  char      *title;           /* nullable */
  char      *updated_at;      /* isoformat, as stored */
  GDateTime *created_at;      /* nullable */
  GDateTime *updated;         /* never NULL: else the file's mtime */
  guint      message_count;
  gboolean   message_count_estimated;
  gboolean   pinned;
  char      *forked_from;     /* nullable */
  int        fork_index;      /* -1 when not a fork */
} NbConversationData;

void                nb_conversation_data_free    (NbConversationData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbConversationData, nb_conversation_data_free)

/* %NULL when there is nothing to list: no such file (@error is set), or
 * an empty one (a file just created; @error is not set). */
NbConversationData *nb_conversation_data_read    (const char          *path,
                                                  GError             **error);
/* Every session file of @dir, newest first; an empty array when @dir does
 * not exist.
 * Returns: (transfer container) (element-type NbConversationData) */
GPtrArray          *nb_conversation_data_read_dir (const char         *dir,
                                                   GError            **error);
/* "*.jsonl", not hidden (compaction's temp files start with "."). */
gboolean            nb_conversation_is_session_file (const char       *name);
/* The same from a session in memory, which may be newer than its file. */
NbConversationData *nb_conversation_data_new_from_session (NbSession  *session,
                                                           const char *path);
/* Newest first; then by key, then by path. */
int                 nb_conversation_data_compare (const NbConversationData *a,
                                                  const NbConversationData *b);
/* The first line of @text, cut at NB_CONVERSATION_TITLE_MAX_CHARS with
 * "…"; %NULL when blank. */
char               *nb_conversation_make_title   (const char          *text);

G_END_DECLS
