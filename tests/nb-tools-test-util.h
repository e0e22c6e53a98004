/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by the built-in tool tests (header only). */

#include <string.h>

#include "nb-tool.h"
#include "nb-test-util.h"

/* Parses @json (an object) into tool arguments. */
static inline JsonObject *
nb_tools_test_args (const char *json)
{
  return nb_test_parse_object (json);
}

/* Runs @tool on @json and returns the result text, or NULL with @error. */
static inline char *
nb_tools_test_run_full (NbTool        *tool,
                        const char    *json,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(JsonObject) args = nb_tools_test_args (json);
  g_autoptr(GAsyncResult) result = NULL;
  NbToolContext context = { "cli:direct", "cli", "direct", NULL };

  nb_tool_execute_async (tool, args, &context, cancellable, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 60000);
  return nb_tool_execute_finish (tool, result, error);
}

/* Runs @tool on @json; the run must not fail with a GError. */
static inline char *
nb_tools_test_run (NbTool     *tool,
                   const char *json)
{
  g_autoptr(GError) error = NULL;
  char *text = nb_tools_test_run_full (tool, json, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* JSON-quotes @text for building arguments. */
static inline char *
nb_tools_test_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A SoupServer listening on 127.0.0.1 (a free port); *base_url gets
 * "http://127.0.0.1:PORT" without a trailing slash. */
static inline SoupServer *
nb_tools_test_server_new (char **base_url)
{
  g_autoptr(GError) error = NULL;
  SoupServer *server = soup_server_new (NULL, NULL);
  GSList *uris;
  char *text;
  gsize len;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_assert_nonnull (uris);
  text = g_uri_to_string (uris->data);
  len = strlen (text);
  if (len > 0 && text[len - 1] == '/')
    text[len - 1] = '\0';
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  *base_url = text;
  return server;
}

G_END_DECLS
