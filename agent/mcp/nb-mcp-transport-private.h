/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nb-mcp-transport.h"

G_BEGIN_DECLS

/* For the transports (NbMcpTransport subclasses) only. */

/* %TRUE when the answer to a request arrives before send_finish() reports
 * success (streamable HTTP), so a request still unanswered then never will. */
void        nb_mcp_transport_set_replies_in_send  (NbMcpTransport      *self,
                                                   gboolean             replies_in_send);
void        nb_mcp_transport_emit_message         (NbMcpTransport      *self,
                                                   JsonNode            *message);
void        nb_mcp_transport_emit_closed          (NbMcpTransport      *self,
                                                   const GError        *error);
JsonNode   *nb_mcp_transport_parse                (const char          *data,
                                                   gsize                length,
                                                   GError             **error);
char       *nb_mcp_transport_serialize            (JsonNode            *message,
                                                   gsize               *length);

G_END_DECLS
