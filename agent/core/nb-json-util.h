/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Lenient lookups in JSON that comes from outside (provider replies, MCP
 * servers, tool arguments, files): a missing member, a member of another
 * type or a NULL object reads as missing, never as a critical warning
 * (json-glib's own getters warn, even the *_with_default ones). */

const char *nb_json_get_string    (JsonObject *object,
                                   const char *member);
const char *nb_json_get_string_or (JsonObject *object,
                                   const char *member,
                                   const char *fallback);
JsonObject *nb_json_get_object    (JsonObject *object,
                                   const char *member);
JsonArray  *nb_json_get_array     (JsonObject *object,
                                   const char *member);
gboolean    nb_json_get_boolean   (JsonObject *object,
                                   const char *member);
gint64      nb_json_get_int       (JsonObject *object,
                                   const char *member);
GStrv       nb_json_dup_strv      (JsonObject *object,
                                   const char *member);

/* Arrays and objects nested deeper than this are refused by
 * nb_json_parser_load(): json-glib parses by recursion, and 100 000
 * nested brackets overflow the stack. */
#define NB_JSON_MAX_DEPTH 1000

gboolean    nb_json_parser_load   (JsonParser  *parser,
                                   const char  *data,
                                   gssize       length,
                                   GError     **error);
gboolean     nb_json_parser_holds_object (JsonParser  *parser);
gboolean     nb_json_parser_holds_array  (JsonParser  *parser);

char       *nb_json_to_data       (JsonNode    *node,
                                   gboolean     pretty,
                                   gsize       *length);

/* A JSON number as an integer: truncated, saturated at the limits of
 * gint64 (a cast out of range is undefined), NaN as 0. */
gint64      nb_json_double_to_int64 (double      value);

G_END_DECLS
