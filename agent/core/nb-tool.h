/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * NbToolContext:
 * @session_key: (nullable): the session the call belongs to ("desktop:…", "cli:direct")
 * @channel: (nullable): the channel part of the key
 * @chat_id: (nullable): the chat id part of the key
 * @host: (nullable): what runs the turn (for message, spawn)
 *
 * Per-call facts that some tools need. Borrowed for the duration of the call;
 * a tool that keeps any of it copies it.
 */
typedef struct _NbToolHost NbToolHost;

typedef struct {
  const char *session_key;
  const char *channel;
  const char *chat_id;
  NbToolHost *host;
} NbToolContext;

#define NB_TYPE_TOOL (nb_tool_get_type ())
G_DECLARE_DERIVABLE_TYPE (NbTool, nb_tool, NB, TOOL, GObject)

/**
 * NbToolClass:
 * @execute_async: runs the tool with arguments already validated against
 *   the tool's schema. The result is the text the model sees. Expected
 *   failures (file not found, …) are results starting with "Error"; a
 *   #GError is for unexpected ones and becomes "Error executing NAME: …".
 * @execute_finish: returns the result text. The default returns the
 *   pointer of a #GTask whose source object is the tool, which is what
 *   every tool makes; override it only for another kind of result.
 */
struct _NbToolClass
{
  GObjectClass parent_class;

  void   (*execute_async)  (NbTool              *self,
                            JsonObject          *arguments,
                            const NbToolContext *context,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data);
  char  *(*execute_finish) (NbTool              *self,
                            GAsyncResult        *result,
                            GError             **error);
};

const char *nb_tool_get_name         (NbTool *self);
const char *nb_tool_get_description  (NbTool *self);
/* The JSON schema of the arguments (an object schema). */
JsonObject *nb_tool_get_parameters   (NbTool *self);
/* Whether the tool changes anything outside itself (files, processes, …). */
gboolean    nb_tool_has_side_effects (NbTool *self);
/* Whether sub-agents get the tool (the "for-subagents" property). */
gboolean    nb_tool_is_for_subagents (NbTool *self);

/* Builds the parameters schema from JSON text; aborts on invalid text
 * (tool schemas are part of the program). */
JsonObject *nb_tool_parse_schema     (const char *json);

/* Checks arguments against the parameters schema: the problems joined by
 * "; ", or NULL when they are valid. */
char       *nb_tool_validate_arguments (NbTool     *self,
                                        JsonObject *arguments);

void        nb_tool_execute_async    (NbTool              *self,
                                      JsonObject          *arguments,
                                      const NbToolContext *context,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char       *nb_tool_execute_finish   (NbTool              *self,
                                      GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
