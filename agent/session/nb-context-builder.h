/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "nb-skills.h"

G_BEGIN_DECLS

#define NB_TYPE_CONTEXT_BUILDER (nb_context_builder_get_type ())
G_DECLARE_FINAL_TYPE (NbContextBuilder, nb_context_builder, NB, CONTEXT_BUILDER, GObject)

/* Creates what is missing of the workspace, then watches it. */
NbContextBuilder *nb_context_builder_new                   (const char       *workspace);
/* The system prompt, built once and reused while nothing it reads changed. */
const char       *nb_context_builder_get_system_prompt     (NbContextBuilder *self);
/* Forgets the cached prompt; called after a tool that may write files ran. */
void              nb_context_builder_invalidate            (NbContextBuilder *self);
/* The user message that carries the time, channel and chat id of a turn. */
JsonObject       *nb_context_builder_build_runtime_message (NbContextBuilder *self,
                                                            const char       *channel,
                                                            const char       *chat_id);
/* The skills as of the last build. */
NbSkills         *nb_context_builder_get_skills            (NbContextBuilder *self);

G_END_DECLS
