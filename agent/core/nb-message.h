/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NB_TYPE_MESSAGE (nb_message_get_type ())
G_DECLARE_FINAL_TYPE (NbMessage, nb_message, NB, MESSAGE, GObject)

/*
 * One message of a conversation, held as the JSON object of its session
 * line (the Python nanobot's format): role, content, timestamp, and
 * tool_calls / tool_call_id / name / reasoning_content when present.
 */

NbMessage  *nb_message_new                (const char *role,
                                           const char *content);
NbMessage  *nb_message_new_from_json      (JsonObject *object);
JsonObject *nb_message_get_json           (NbMessage  *self);
const char *nb_message_get_role           (NbMessage  *self);
/* The text content; %NULL when content is null or not a string. */
const char *nb_message_get_content        (NbMessage  *self);
JsonArray  *nb_message_get_tool_calls     (NbMessage  *self);
const char *nb_message_get_tool_call_id   (NbMessage  *self);
const char *nb_message_get_name           (NbMessage  *self);
const char *nb_message_get_timestamp      (NbMessage  *self);

const char *nb_message_get_sender         (NbMessage  *self);
const char *nb_message_get_reasoning      (NbMessage  *self);
char       *nb_message_dup_text           (NbMessage  *self);

/* The reply being streamed: an assistant message whose text grows. */
NbMessage  *nb_message_new_streaming      (void);
gboolean    nb_message_is_streaming       (NbMessage  *self);
void        nb_message_append_text        (NbMessage  *self,
                                           const char *text);
void        nb_message_append_reasoning   (NbMessage  *self,
                                           const char *text);
void        nb_message_flush_notify       (NbMessage  *self);

/* Local time in the Python nanobot's isoformat(): 2026-02-20T14:03:05.123456 */
char       *nb_message_make_timestamp     (void);

G_END_DECLS
