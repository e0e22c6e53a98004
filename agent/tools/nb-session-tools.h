/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

/*
 * search_sessions and read_session: the model finds and reads earlier
 * conversations, every session file of a folder (the current session is
 * left out). Read-only; the files are read in a GTask thread and the
 * results are bounded JSON, as the Python nanobot's tools return them.
 */

#define NB_TYPE_SEARCH_SESSIONS_TOOL (nb_search_sessions_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbSearchSessionsTool, nb_search_sessions_tool, NB, SEARCH_SESSIONS_TOOL, NbTool)

#define NB_TYPE_READ_SESSION_TOOL (nb_read_session_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbReadSessionTool, nb_read_session_tool, NB, READ_SESSION_TOOL, NbTool)

/* At most this many sessions found… */
#define NB_SEARCH_SESSIONS_LIMIT         5
/* …each excerpt at most this many characters… */
#define NB_SEARCH_SESSIONS_EXCERPT_CHARS 360
/* …and at most this many messages read, each cut at this length. */
#define NB_READ_SESSION_LIMIT            8
#define NB_READ_SESSION_MESSAGE_CHARS    4000

NbTool *nb_search_sessions_tool_new (const char *sessions_dir);
NbTool *nb_read_session_tool_new    (const char *sessions_dir);

G_END_DECLS
