/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

/*
 * The search tools of the Python nanobot: find_files (paths by fragment,
 * glob or type) and grep (file contents by regex or plain text). Both are
 * read-only, run in worker threads and take the workspace (relative paths
 * resolve against it) and whether nothing outside it may be searched.
 * Symbolic links met while walking a folder are skipped, never followed.
 */

#define NB_TYPE_FIND_FILES_TOOL (nb_find_files_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbFindFilesTool, nb_find_files_tool, NB, FIND_FILES_TOOL, NbTool)

#define NB_TYPE_GREP_TOOL (nb_grep_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbGrepTool, nb_grep_tool, NB, GREP_TOOL, NbTool)

/* find_files returns at most this many paths by default. */
#define NB_FIND_FILES_DEFAULT_LIMIT 200
/* grep returns at most this many results by default. */
#define NB_GREP_DEFAULT_LIMIT       250
/* grep's result is cut at this many characters (content mode). */
#define NB_GREP_MAX_RESULT_CHARS    128000
/* Files larger than this are skipped when grep searches a folder… */
#define NB_GREP_MAX_FILE_BYTES      2000000
/* …and when it is given the file itself. */
#define NB_GREP_MAX_EXPLICIT_FILE_BYTES 100000000

NbTool *nb_find_files_tool_new (const char *workspace,
                                gboolean    restrict_to_workspace);
NbTool *nb_grep_tool_new       (const char *workspace,
                                gboolean    restrict_to_workspace);

/* How many files grep has opened in this process (for tests and the
 * benchmark: each file searched is read once). */
guint   nb_grep_tool_get_files_read (void);

G_END_DECLS
