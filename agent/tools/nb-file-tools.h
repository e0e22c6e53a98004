/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-tool.h"

G_BEGIN_DECLS

/*
 * The file tools: read_file, write_file, edit_file, list_dir, delete_file.
 * Each takes the workspace (relative paths resolve against it, "~" is
 * expanded) and whether nothing outside it may be touched.
 */

#define NB_TYPE_READ_FILE_TOOL (nb_read_file_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbReadFileTool, nb_read_file_tool, NB, READ_FILE_TOOL, NbTool)

#define NB_TYPE_WRITE_FILE_TOOL (nb_write_file_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbWriteFileTool, nb_write_file_tool, NB, WRITE_FILE_TOOL, NbTool)

#define NB_TYPE_EDIT_FILE_TOOL (nb_edit_file_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbEditFileTool, nb_edit_file_tool, NB, EDIT_FILE_TOOL, NbTool)

#define NB_TYPE_LIST_DIR_TOOL (nb_list_dir_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbListDirTool, nb_list_dir_tool, NB, LIST_DIR_TOOL, NbTool)

#define NB_TYPE_DELETE_FILE_TOOL (nb_delete_file_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbDeleteFileTool, nb_delete_file_tool, NB, DELETE_FILE_TOOL, NbTool)

/* read_file refuses files larger than this (use exec with head/tail). */
#define NB_READ_FILE_MAX_BYTES (4 * 1024 * 1024)
/* list_dir shows at most this many entries. */
#define NB_LIST_DIR_MAX_ENTRIES 1000

NbTool *nb_read_file_tool_new   (const char *workspace,
                                 gboolean    restrict_to_workspace);
NbTool *nb_write_file_tool_new  (const char *workspace,
                                 gboolean    restrict_to_workspace);
NbTool *nb_edit_file_tool_new   (const char *workspace,
                                 gboolean    restrict_to_workspace);
NbTool *nb_list_dir_tool_new    (const char *workspace,
                                 gboolean    restrict_to_workspace);
NbTool *nb_delete_file_tool_new (const char *workspace,
                                 gboolean    restrict_to_workspace);

G_END_DECLS
