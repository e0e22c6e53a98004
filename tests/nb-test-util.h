/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A fresh folder under $TMPDIR; remove it with nb_test_rm_rf(). */
char    *nb_test_make_tmpdir  (void);
void     nb_test_rm_rf        (const char *path);
void     nb_test_write_file   (const char *path,
                               const char *contents);
char    *nb_test_read_file    (const char *path);

/* Iterates the thread-default main context until *flag is TRUE; fails the
 * test if that takes longer than @timeout_ms. */
void     nb_test_wait_for     (const gboolean *flag,
                               guint           timeout_ms);

/* Stores the GAsyncResult of an _async call for a later _finish. */
void     nb_test_store_result_cb (GObject      *source,
                                  GAsyncResult *result,
                                  gpointer      user_data);
/* Waits for the result stored by nb_test_store_result_cb(). */
void          nb_test_finalize_object_soon (gpointer object);
GAsyncResult *nb_test_wait_result (GAsyncResult **slot,
                                   guint          timeout_ms);

/* Parses @text, which must be a JSON object; fails the test otherwise. */
JsonObject *nb_test_python_load_session (const char *path);
JsonObject *nb_test_parse_object (const char *text);

G_END_DECLS
