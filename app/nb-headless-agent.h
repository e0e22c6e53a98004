/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-config.h"
#include "nb-provider.h"
#include "nb-tool-registry.h"

G_BEGIN_DECLS

/* The agent side of `nanobot -m TEXT [-s KEY]`: one full turn with tools on
 * the session @session_key, the reply streamed to stdout, tool activity and
 * message-tool output on stderr. Waits for sub-agents started during the
 * turn and streams their summaries too. Returns the exit status: 0, 1 (the
 * turn failed: @error says why, the caller prints it) or 130 (interrupted,
 * also set when @cancellable was cancelled). */
int   nb_headless_run_agent        (NbConfig       *config,
                                    NbProvider     *provider,
                                    NbToolRegistry *tools,
                                    const char     *message,
                                    const char     *session_key,
                                    GCancellable   *cancellable,
                                    GError        **error);

/* `web_search("rust async runtimes")`: the tool's name and its first
 * argument, shortened; what the headless mode prints for a tool call. */
char *nb_headless_describe_call    (const char     *name,
                                    const char     *arguments_json);

G_END_DECLS
