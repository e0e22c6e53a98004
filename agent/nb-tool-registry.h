/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "nb-provider.h"
#include "nb-tool.h"

G_BEGIN_DECLS

/* Appended to every tool result that starts with "Error". */
#define NB_TOOL_REGISTRY_ERROR_HINT "\n\n[Analyze the error above and try a different approach.]"

#define NB_TYPE_TOOL_REGISTRY (nb_tool_registry_get_type ())
G_DECLARE_FINAL_TYPE (NbToolRegistry, nb_tool_registry, NB, TOOL_REGISTRY, GObject)

NbToolRegistry *nb_tool_registry_new             (void);
void            nb_tool_registry_add             (NbToolRegistry      *self,
                                                  NbTool              *tool);
gboolean        nb_tool_registry_remove          (NbToolRegistry      *self,
                                                  const char          *name);
NbTool         *nb_tool_registry_lookup          (NbToolRegistry      *self,
                                                  const char          *name);
guint           nb_tool_registry_get_n_tools     (NbToolRegistry      *self);
GPtrArray      *nb_tool_registry_list_tools      (NbToolRegistry      *self);
char           *nb_tool_registry_dup_names       (NbToolRegistry      *self);
JsonArray      *nb_tool_registry_get_definitions (NbToolRegistry      *self);

char           *nb_tool_registry_check_call      (NbToolRegistry      *self,
                                                  const NbToolCall    *call,
                                                  NbTool             **tool);

void            nb_tool_registry_execute_async   (NbToolRegistry      *self,
                                                  const NbToolCall    *call,
                                                  const NbToolContext *context,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char           *nb_tool_registry_execute_finish  (NbToolRegistry      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
