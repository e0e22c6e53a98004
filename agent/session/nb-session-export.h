/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-session.h"

G_BEGIN_DECLS

/* The conversation as a Markdown document (see nb-session-export.c). */
char *nb_session_export_markdown (NbSession *session);

G_END_DECLS
