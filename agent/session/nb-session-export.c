/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "nb-conversation-reader.h"
#include "nb-json-util.h"
#include "nb-session-export.h"

/*
 * A conversation as one Markdown document, for "Export…": the title as
 * a heading, each message under its speaker, replies as the Markdown they
 * are. Reasoning and tool calls fold away in <details> blocks (GitHub,
 * GitLab and most viewers render them collapsed); a tool call shows its
 * arguments (the command itself for a command) and its result in code
 * fences longer than any run of backticks inside, so no content can close
 * them early.
 */

/* The longest run of backticks in @text. */
static guint
longest_backtick_run (const char *text)
{
  guint longest = 0;
  guint run = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      run = *p == '`' ? run + 1 : 0;
      longest = MAX (longest, run);
    }
  return longest;
}

static void
append_fenced (GString    *out,
               const char *language,
               const char *text)
{
  guint length = MAX (3, longest_backtick_run (text) + 1);

  for (guint i = 0; i < length; i++)
    g_string_append_c (out, '`');
  g_string_append (out, language != NULL ? language : "");
  g_string_append_c (out, '\n');
  g_string_append (out, text);
  if (*text == '\0' || text[strlen (text) - 1] != '\n')
    g_string_append_c (out, '\n');
  for (guint i = 0; i < length; i++)
    g_string_append_c (out, '`');
  g_string_append (out, "\n\n");
}

static void
open_details (GString    *out,
              const char *summary)
{
  g_autofree char *escaped = g_markup_escape_text (summary, -1);

  /* The blank line after the summary lets Markdown inside be Markdown. */
  g_string_append_printf (out, "<details><summary>%s</summary>\n\n", escaped);
}

static void
close_details (GString *out)
{
  g_string_append (out, "</details>\n\n");
}

static void
append_text_block (GString    *out,
                   const char *text)
{
  g_autofree char *copy = g_strdup (text);

  g_strchomp (copy);
  g_string_append (out, copy);
  g_string_append (out, "\n\n");
}

/* Pretty JSON of the arguments, or the command of a command tool. */
static void
append_arguments (GString    *out,
                  const char *arguments)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  const char *command;

  if (arguments == NULL || *arguments == '\0')
    return;
  if (!nb_json_parser_load (parser, arguments, -1, NULL))
    {
      append_fenced (out, NULL, arguments);
      return;
    }
  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);

      if (json_object_get_size (object) == 0)
        return;
      command = nb_json_get_string (object, "command");
      if (command != NULL && json_object_get_size (object) == 1)
        {
          append_fenced (out, "sh", command);
          return;
        }
    }
  {
    g_autofree char *pretty = nb_json_to_data (root, TRUE, NULL);

    append_fenced (out, "json", pretty);
  }
}

static void
append_tool_result (GString   *out,
                    NbMessage *result)
{
  g_autofree char *text = nb_message_dup_text (result);

  g_string_append_printf (out, "%s\n\n", _("Result:"));
  append_fenced (out, NULL, text != NULL ? text : "");
}

static void
append_tool_call (GString    *out,
                  JsonObject *call,
                  NbMessage  *result)
{
  JsonObject *function = nb_json_get_object (call, "function");
  const char *name = nb_json_get_string (function, "name");

  open_details (out, name != NULL ? name : _("Tool call"));
  append_arguments (out, nb_json_get_string (function, "arguments"));
  if (result != NULL)
    append_tool_result (out, result);
  close_details (out);
}

static const char *
speaker (NbMessage *message)
{
  const char *role = nb_message_get_role (message);

  if (g_strcmp0 (role, "user") == 0)
    {
      if (g_strcmp0 (nb_message_get_sender (message), "subagent") == 0)
        return _("Sub-agent");
      return _("User");
    }
  if (g_strcmp0 (role, "assistant") == 0)
    return _("Assistant");
  if (g_strcmp0 (role, "system") == 0)
    return _("System");
  return NULL;
}

static char *
export_title (NbSession *session)
{
  const char *title = nb_json_get_string (nb_session_get_metadata (session), "title");
  guint n = nb_session_get_n_messages (session);

  if (title != NULL && *title != '\0')
    return nb_conversation_make_title (title);
  for (guint i = 0; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);
      g_autofree char *text = NULL;

      if (g_strcmp0 (nb_message_get_role (message), "user") != 0)
        continue;
      text = nb_message_dup_text (message);
      if (text != NULL && *text != '\0')
        return nb_conversation_make_title (text);
    }
  return g_strdup (_("Conversation"));
}

/**
 * nb_session_export_markdown:
 * @session: a conversation
 *
 * The saved messages of @session (a reply still streaming is left out) as
 * a Markdown document: a title, each message under its speaker, reasoning
 * and tool calls (arguments and result) in collapsed <details> blocks.
 *
 * Returns: (transfer full): the document, UTF-8
 */
char *
nb_session_export_markdown (NbSession *session)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GHashTable) results = NULL;   /* tool_call_id → NbMessage */
  g_autoptr(GHashTable) shown = NULL;     /* NbMessage shown with its call */
  g_autofree char *title = NULL;
  const char *last_speaker = NULL;
  guint n;

  g_return_val_if_fail (NB_IS_SESSION (session), NULL);

  n = nb_session_get_n_messages (session);
  results = g_hash_table_new (g_str_hash, g_str_equal);
  shown = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);
      const char *id = nb_message_get_tool_call_id (message);

      if (g_strcmp0 (nb_message_get_role (message), "tool") == 0 && id != NULL &&
          !g_hash_table_contains (results, id))
        g_hash_table_insert (results, (gpointer) id, message);
    }

  title = export_title (session);
  g_string_append_printf (out, "# %s\n\n", title);

  for (guint i = 0; i < n; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);
      const char *who = speaker (message);
      g_autofree char *text = nb_message_dup_text (message);
      const char *reasoning = nb_message_get_reasoning (message);
      JsonArray *calls = nb_message_get_tool_calls (message);

      if (g_strcmp0 (nb_message_get_role (message), "tool") == 0)
        {
          const char *name = nb_message_get_name (message);

          if (g_hash_table_contains (shown, message))
            continue;
          /* A result whose call is not in the session (cut by /new). */
          open_details (out, name != NULL ? name : _("Tool result"));
          append_tool_result (out, message);
          close_details (out);
          continue;
        }
      if (who == NULL)
        continue;

      /* Consecutive assistant messages of one turn (tool calls, then the
       * reply) read as one answer. */
      if (g_strcmp0 (who, last_speaker) != 0 || g_strcmp0 (nb_message_get_role (message), "assistant") != 0)
        g_string_append_printf (out, "## %s\n\n", who);
      last_speaker = who;

      if (reasoning != NULL && *reasoning != '\0')
        {
          open_details (out, _("Reasoning"));
          append_text_block (out, reasoning);
          close_details (out);
        }
      if (text != NULL && *text != '\0')
        append_text_block (out, text);

      for (guint c = 0; calls != NULL && c < json_array_get_length (calls); c++)
        {
          JsonNode *node = json_array_get_element (calls, c);
          JsonObject *call = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          const char *id = nb_json_get_string (call, "id");
          NbMessage *result = id != NULL ? g_hash_table_lookup (results, id) : NULL;

          if (call == NULL)
            continue;
          if (result != NULL)
            g_hash_table_add (shown, result);
          append_tool_call (out, call, result);
        }
    }

  /* One newline at the end. */
  while (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  g_string_append_c (out, '\n');
  return g_string_free (g_steal_pointer (&out), FALSE);
}
