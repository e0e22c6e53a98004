/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What find_files and grep share (internal to agent/tools): walking a
 * folder in a stable order without following symbolic links, the folders
 * both skip, glob and type filters, display paths and pagination notes.
 * Plain functions, safe in worker threads.
 */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One file or folder met by nb_search_walk(). */
typedef struct
{
  const char *path;     /* absolute */
  const char *rel;      /* relative to the walk's root, '/'-separated; "" for the root */
  const char *name;     /* the last component */
  gboolean    is_dir;
} NbSearchEntry;

/* Return FALSE to stop the walk. */
typedef gboolean (*NbSearchVisitFunc) (const NbSearchEntry *entry,
                                       gpointer             user_data);

/* The folders both tools skip (.git, node_modules, __pycache__, …). */
gboolean  nb_search_is_ignored_dir   (const char          *name);

/* Walks @root, a folder, top-down: a folder, then its files sorted by
 * name, then each of its sub-folders (sorted) the same way, as Python's
 * os.walk() with sorted names. Symbolic links are skipped, never
 * followed, so the walk stays under @root; so are ignored folders and
 * anything that is neither a regular file nor a folder. Folders are
 * visited only when @with_dirs (the root too, with rel ""). Stops when
 * @cancellable is cancelled. */
void      nb_search_walk             (const char          *root,
                                      gboolean             with_dirs,
                                      GCancellable        *cancellable,
                                      NbSearchVisitFunc    visit,
                                      gpointer             user_data);

/* A glob as the Python tools match it: without '/' (and not starting
 * with "**") against the name; else against @rel, from the right, where
 * "**" is any number of folders. */
gboolean  nb_search_glob_match       (const char          *rel,
                                      const char          *name,
                                      const char          *pattern);

/* The file type shorthand: "py", "ts", "md", … or any extension. */
gboolean  nb_search_type_match       (const char          *name,
                                      const char          *type);

/* @path relative to @workspace when inside it, else relative to @root. */
char     *nb_search_display_path     (const char          *workspace,
                                      const char          *root,
                                      const char          *path);

/* "(pagination: limit=N, offset=M)" and friends, or NULL. @limit 0 is
 * "no limit". */
char     *nb_search_pagination_note  (guint                limit,
                                      guint                offset,
                                      gboolean             truncated);

/* The first bytes look like a binary file (a NUL, or over 20% control
 * characters in the first 4 KiB). */
gboolean  nb_search_looks_binary     (const char          *data,
                                      gsize                length);
/* Only the control-character test, on the first @sample bytes. */
gboolean  nb_search_looks_binary_sample (const char       *data,
                                         gsize             sample);
/* Valid UTF-8 without NUL bytes (fast for ASCII). */
gboolean  nb_search_is_text          (const char          *data,
                                      gsize                length);

/* Resolves the path a search starts from (in the worker thread: it looks
 * at the disk), with nb_path_guard_resolve(): the target, the folder the
 * results are relative to (the target, or a file's folder), the canonical
 * workspace (nullable) and whether the target is a folder. Returns the
 * error text for the model, or NULL. */
char     *nb_search_resolve          (const char          *workspace,
                                      gboolean             restrict_to_workspace,
                                      const char          *path,
                                      char               **target,
                                      char               **root,
                                      char               **canonical_workspace,
                                      gboolean            *is_dir);

/* An optional integer argument: @fallback when missing or null. */
gint64    nb_search_get_int          (JsonObject          *arguments,
                                      const char          *member,
                                      gint64               fallback);

G_END_DECLS
