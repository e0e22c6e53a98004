/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Importing the Python nanobot's conversations (`nanobot --import-python
 * [DIR]`, and the window's first-run onboarding). The Python files are
 * only read, never written; each is copied byte for byte into our
 * sessions folder under the name our store gives its key.
 */

typedef enum {
  NB_PYTHON_IMPORT_IMPORTED,   /* copied (or, with DRY_RUN, would be) */
  NB_PYTHON_IMPORT_EXISTS,     /* we have a conversation with this key: skipped */
  NB_PYTHON_IMPORT_DUPLICATE,  /* another Python file of this key was newer: skipped */
  NB_PYTHON_IMPORT_FAILED,     /* unreadable, or could not be written: @message */
} NbPythonImportStatus;

typedef enum {
  NB_PYTHON_IMPORT_FLAGS_NONE    = 0,
  NB_PYTHON_IMPORT_FLAGS_DRY_RUN = 1 << 0,  /* find and decide, copy nothing */
} NbPythonImportFlags;

/**
 * NbPythonImportItem:
 * @key: the session key ("cli:direct")
 * @source: the Python file
 * @destination: (nullable): our file (also for EXISTS); %NULL when FAILED
 *   before a key was known
 * @status: what happened
 * @message: (nullable): why, for FAILED
 */
typedef struct {
  char                 *key;
  char                 *source;
  char                 *destination;
  NbPythonImportStatus  status;
  char                 *message;
} NbPythonImportItem;

/**
 * NbPythonImportResult:
 * @items: (element-type NbPythonImportItem): every session file found, in
 *   the order decided (newest first)
 * @n_imported, @n_skipped (EXISTS and DUPLICATE), @n_failed: counts
 */
typedef struct {
  GPtrArray *items;
  guint      n_imported;
  guint      n_skipped;
  guint      n_failed;
} NbPythonImportResult;

void nb_python_import_result_free (NbPythonImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbPythonImportResult, nb_python_import_result_free)

/* The Python nanobot's folder: ~/.nanobot */
char                 *nb_python_import_default_dir (void);

/* Blocking (for a worker thread). @python_dir: %NULL for the default.
 * Fails (%G_IO_ERROR_NOT_FOUND) only when @python_dir is not a folder;
 * per-file problems are items with status FAILED. */
NbPythonImportResult *nb_python_import_run         (const char           *python_dir,
                                                    const char           *sessions_dir,
                                                    NbPythonImportFlags   flags,
                                                    GCancellable         *cancellable,
                                                    GError              **error);

/* The same in a GTask thread. */
void                  nb_python_import_async       (const char           *python_dir,
                                                    const char           *sessions_dir,
                                                    NbPythonImportFlags   flags,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
NbPythonImportResult *nb_python_import_finish      (GAsyncResult         *result,
                                                    GError              **error);

/* The key of a new-layout file name's stem (base64url without padding),
 * or %NULL when it is not one, as the Python nanobot decides. */
char                 *nb_python_import_decode_stem (const char           *stem);

G_END_DECLS
