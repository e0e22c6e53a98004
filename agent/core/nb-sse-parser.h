/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * NbSseEventFunc:
 * @event: (nullable): the event name, %NULL when the event had none
 * @data: the data lines joined by "\n", nul-terminated
 * @length: the length of @data
 * @user_data: what was passed with the line
 * @error: where the function reports why it failed
 *
 * Returns: %FALSE to stop reading, with @error set
 */
typedef gboolean (*NbSseEventFunc) (const char  *event,
                                    const char  *data,
                                    gsize        length,
                                    gpointer     user_data,
                                    GError     **error);

/* The fields of the server-sent event being read; embed it and use the
 * functions below. Splitting the body into lines is the caller's. */
typedef struct
{
  GString  *event;
  GString  *data;
  gboolean  has_data;
  gsize     max_data;
} NbSseParser;

void     nb_sse_parser_init     (NbSseParser     *self,
                                 gsize            max_data);
void     nb_sse_parser_clear    (NbSseParser     *self);
gboolean nb_sse_parser_add_line (NbSseParser     *self,
                                 const char      *line,
                                 gsize            length,
                                 NbSseEventFunc   func,
                                 gpointer         user_data,
                                 GError         **error);
gboolean nb_sse_parser_dispatch (NbSseParser     *self,
                                 NbSseEventFunc   func,
                                 gpointer         user_data,
                                 GError         **error);

G_END_DECLS
