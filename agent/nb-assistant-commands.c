/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-assistant"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "nb-assistant-private.h"
#include "nb-http-provider.h"
#include "nb-json-util.h"
#include "nb-memory-backoff.h"
#include "nb-provider-registry.h"
#include "nb-skills.h"
#include "nb-slash-commands.h"

/*
 * The slash commands that only read or set state, answered without the
 * model: /status, /model, /history, /skill (nb-slash-commands.c parses
 * them; /new, /help and /stop are in nb-assistant.c). Their texts follow
 * the Python nanobot's (nanobot/command/builtin.py) in content, worded for
 * people and translated: they are shown, not read by a model.
 */

#define HISTORY_DEFAULT_COUNT     10
#define HISTORY_MAX_COUNT         50
#define HISTORY_MAX_CONTENT_CHARS 200

/* "12 345": thousands apart, so that a figure reads at a glance. */
static char *
format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

/* /status */

static void
append_mcp_servers (NbAssistant *self,
                    GString     *text)
{
  GListModel *servers = nb_mcp_manager_get_servers (self->mcp);
  guint n = g_list_model_get_n_items (servers);

  if (n == 0)
    {
      g_string_append_printf (text, "\n%s", _("MCP servers: none configured"));
      return;
    }
  g_string_append_printf (text, "\n%s", _("MCP servers:"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbMcpServer) server = g_list_model_get_item (servers, i);
      g_autofree char *line = nb_mcp_server_dup_status_line (server);

      g_string_append_printf (text, "\n  %s", line);
      if (!self->mcp_started)
        g_string_append_printf (text, " %s", _("(started with the first turn)"));
    }
}

static char *
build_status (NbAssistant  *self,
              NbSession    *session,
              NbProvider   *provider,
              const GError *provider_error)
{
  GString *text = g_string_new (NULL);
  g_autofree char *model = nb_assistant_dup_session_model (self, session);
  const char *own_model = nb_json_get_string (nb_session_get_metadata (session), "model");
  NbUsage usage = { 0 };
  gint64 context_tokens = 0;
  gint64 context_window;
  g_autofree char *window_text = NULL;
  g_autofree char *n_messages = format_count (nb_session_get_n_messages (session));

  if (own_model != NULL && *own_model != '\0')
    g_string_append_printf (text, _("Model: %s (this conversation’s; /model default for the configured one)"),
                            model != NULL ? model : "");
  else
    g_string_append_printf (text, _("Model: %s"), model != NULL && *model != '\0' ? model : _("not set"));

  if (provider != NULL)
    {
      const char *base = NB_IS_HTTP_PROVIDER (provider) ? nb_http_provider_get_api_base (NB_HTTP_PROVIDER (provider)) : NULL;

      g_string_append_c (text, '\n');
      if (base != NULL)
        g_string_append_printf (text, _("Provider: %s (%s)"), nb_provider_get_name (provider), base);
      else
        g_string_append_printf (text, _("Provider: %s"), nb_provider_get_name (provider));
    }
  else
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Provider: none usable (%s)"),
                              provider_error != NULL ? provider_error->message : "");
    }

  context_window = nb_provider_get_context_window (provider, model);
  window_text = format_count (context_window);
  g_string_append_c (text, '\n');
  if (nb_assistant_get_last_usage (self, session, &usage, &context_tokens, NULL) && context_tokens > 0)
    {
      g_autofree char *used = format_count (context_tokens);
      g_autofree char *in = format_count (usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens);
      g_autofree char *out = format_count (usage.output_tokens);
      g_autofree char *cached = format_count (usage.cache_read_tokens);
      g_autofree char *written = format_count (usage.cache_write_tokens);
      /* Translators: the context used, the window, the share in percent */
      g_string_append_printf (text, _("Context: %s of %s tokens (%d %%)"), used, window_text,
                              (int) MIN (context_tokens * 100 / MAX (context_window, 1), 999));
      g_string_append_c (text, '\n');
      /* The whole prompt, then how much of it the cache served or took. */
      g_string_append_printf (text, _("Last turn: %s tokens in, %s out; cache: %s read, %s written"),
                              in, out, cached, written);
    }
  else
    g_string_append_printf (text, _("Context: no turn yet (window %s tokens)"), window_text);

  g_string_append_c (text, '\n');
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "Session: %s, %s message", "Session: %s, %s messages",
                                             nb_session_get_n_messages (session)),
                          nb_session_get_key (session), n_messages);

  append_mcp_servers (self, text);
  return g_string_free (text, FALSE);
}

typedef struct {
  GTask     *task;
  NbSession *session;
} StatusData;

static void
status_resolved_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StatusData *data = user_data;
  g_autoptr(GTask) task = data->task;
  g_autoptr(NbSession) session = data->session;
  NbAssistant *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbProvider) provider = nb_provider_registry_resolve_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_free (data);
  g_task_return_pointer (task, build_status (self, session, provider, error), g_free);
}

static void
answer_status (NbAssistant *self,
               GTask       *task,
               NbSession   *session)
{
  StatusData *data;

  /* The provider of the next turn; resolved for the answer only when no
   * turn did yet, and not kept: the turn resolves it its own way. */
  if (self->provider != NULL && !self->provider_stale)
    {
      g_task_return_pointer (task, build_status (self, session, self->provider, NULL), g_free);
      return;
    }
  data = g_new0 (StatusData, 1);
  data->task = g_object_ref (task);
  data->session = g_object_ref (session);
  nb_provider_registry_resolve_async (self->config, NULL, g_task_get_cancellable (task),
                                      status_resolved_cb, data);
}

/* /model */

static char *
answer_model (NbAssistant  *self,
              NbSession    *session,
              const char   *args,
              GError      **error)
{
  const char *configured = nb_config_get_string (self->config, "agents.defaults.model");
  g_autofree char *current = nb_assistant_dup_session_model (self, session);
  g_autofree char *path = NULL;

  if (args == NULL || *args == '\0')
    {
      const char *own = nb_json_get_string (nb_session_get_metadata (session), "model");

      if (own != NULL && *own != '\0')
        return g_strdup_printf (_("Model of this conversation: %s (configured: %s)\n"
                                  "Switch with /model NAME; /model default goes back to the configured one."),
                                own, configured != NULL ? configured : _("not set"));
      return g_strdup_printf (_("Model: %s (configured)\n"
                                "Switch this conversation with /model NAME."),
                              configured != NULL && *configured != '\0' ? configured : _("not set"));
    }

  if (strpbrk (args, " \t\r\n") != NULL)
    return g_strdup (_("A model name has no spaces. Usage: /model [name]"));

  /* "default", as the Python nanobot's preset of the configuration. */
  if (g_ascii_strcasecmp (args, "default") == 0)
    {
      if (!nb_assistant_set_session_model (self, session, NULL, error))
        return NULL;
      return g_strdup_printf (_("This conversation uses the configured model again: %s"),
                              configured != NULL && *configured != '\0' ? configured : _("not set"));
    }

  if (!nb_assistant_set_session_model (self, session, args, error))
    return NULL;
  /* A conversation without a file keeps its model in memory until its
   * first message; a command from `nanobot -m` would lose it with the
   * process, so the file is started now. */
  path = nb_session_store_get_path (self->store, nb_session_get_key (session));
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !nb_session_store_append (self->store, session, error))
    return NULL;
  {
    g_autofree char *window = format_count (nb_assistant_get_context_window (self, args));

    return g_strdup_printf (_("Switched this conversation to %s (was %s).\nContext window: %s tokens"),
                            args, current != NULL && *current != '\0' ? current : _("not set"), window);
  }
}

/* /history */

static char *
message_text (NbMessage *message)
{
  const char *role = nb_message_get_role (message);
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;

  if (g_strcmp0 (role, "user") != 0 && g_strcmp0 (role, "assistant") != 0)
    return NULL;
  text = nb_message_dup_text (message);
  if (text == NULL)
    return NULL;
  flat = g_strstrip (g_strdup (text));
  if (*flat == '\0')
    return NULL;
  if (g_utf8_strlen (flat, -1) > HISTORY_MAX_CONTENT_CHARS)
    {
      g_autofree char *start = g_utf8_substring (flat, 0, HISTORY_MAX_CONTENT_CHARS);

      return g_strconcat (start, "…", NULL);
    }
  return g_steal_pointer (&flat);
}

static char *
answer_history (NbSession  *session,
                const char *args)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GString *text;
  guint64 count = HISTORY_DEFAULT_COUNT;
  guint n = nb_session_get_n_messages (session);

  if (args != NULL && *args != '\0')
    {
      gint64 asked;

      if (!g_ascii_string_to_signed (args, 10, G_MININT64, G_MAXINT64, &asked, NULL))
        return g_strdup (_("Usage: /history [n], e.g. /history 5 (default 10, at most 50)"));
      count = CLAMP (asked, 1, HISTORY_MAX_COUNT);
    }

  /* Newest first while collecting, so that a long session is not walked
   * whole. */
  for (guint i = n; i > 0 && lines->len < count; i--)
    {
      NbMessage *message = nb_session_get_message (session, i - 1);
      g_autofree char *content = message_text (message);

      if (content == NULL)
        continue;
      if (g_str_equal (nb_message_get_role (message), "user"))
        g_ptr_array_add (lines, g_strdup_printf (_("You: %s"), content));
      else
        g_ptr_array_add (lines, g_strdup_printf (_("Nanobot: %s"), content));
    }

  if (lines->len == 0)
    return g_strdup (_("No conversation history yet."));

  text = g_string_new (NULL);
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "The last message:", "The last %u messages:", lines->len),
                          lines->len);
  for (guint i = lines->len; i > 0; i--)
    g_string_append_printf (text, "\n%s", (const char *) g_ptr_array_index (lines, i - 1));
  return g_string_free (text, FALSE);
}

/* /skill */

static char *
answer_skill (NbAssistant *self)
{
  NbSkills *skills = nb_context_builder_get_skills (self->context);
  GPtrArray *all = skills != NULL ? nb_skills_get_skills (skills) : NULL;
  GString *text;

  if (all == NULL || all->len == 0)
    return g_strdup (_("No skills available."));

  text = g_string_new (NULL);
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u skill:", "%u skills:", all->len), all->len);
  for (guint i = 0; i < all->len; i++)
    {
      NbSkill *skill = g_ptr_array_index (all, i);

      g_string_append_printf (text, "\n- %s — %s", skill->name, skill->description);
      if (!skill->available)
        {
          g_string_append_c (text, ' ');
          /* Translators: what a skill needs that is not there, "CLI: gh" */
          g_string_append_printf (text, _("(needs %s)"), skill->missing != NULL ? skill->missing : "");
        }
    }
  return g_string_free (text, FALSE);
}

/* See nb-assistant-private.h. */
void
nb_assistant_answer_command (GTask          *task_in,
                             NbSession      *session,
                             NbSlashCommand  command,
                             const char     *input)
{
  g_autoptr(GTask) task = task_in;
  NbAssistant *self = g_task_get_source_object (task);
  g_autofree char *args = NULL;
  g_autoptr(GError) error = NULL;
  char *reply = NULL;

  nb_slash_command_parse_args (input, &args);
  switch (command)
    {
    case NB_SLASH_COMMAND_STATUS:
      answer_status (self, task, session);
      return;
    case NB_SLASH_COMMAND_MODEL:
      reply = answer_model (self, session, args, &error);
      break;
    case NB_SLASH_COMMAND_HISTORY:
      reply = answer_history (session, args);
      break;
    case NB_SLASH_COMMAND_SKILL:
      reply = answer_skill (self);
      break;
    case NB_SLASH_COMMAND_NONE:
    case NB_SLASH_COMMAND_NEW:
    case NB_SLASH_COMMAND_HELP:
    case NB_SLASH_COMMAND_STOP:
    default:
      g_assert_not_reached ();
    }

  if (reply == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, reply, g_free);
}

/* Memory notices */

static void
consolidation_failed_cb (NbMemoryStore *memory,
                         NbSession     *session,
                         const char    *message,
                         NbAssistant   *self)
{
  g_autofree char *text = NULL;

  g_assert (NB_IS_ASSISTANT (self));

  /* Translators: %s is the error, %u the number of turns (5) */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "memory consolidation failed: %s. The conversation is kept; "
                                       "it is tried again after at most %u more turn",
                                       "memory consolidation failed: %s. The conversation is kept; "
                                       "it is tried again after at most %u more turns",
                                       NB_MEMORY_BACKOFF_TURNS),
                          message, NB_MEMORY_BACKOFF_TURNS);
  nb_assistant_warn (self, text);
}

/* See nb-assistant-private.h. */
void
nb_assistant_watch_memory (NbAssistant *self)
{
  g_signal_connect_object (self->memory, "consolidation-failed",
                           G_CALLBACK (consolidation_failed_cb), self, 0);
}
