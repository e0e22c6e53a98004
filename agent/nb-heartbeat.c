/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-heartbeat"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-assistant.h"
#include "nb-cron-service.h"
#include "nb-file-util.h"
#include "nb-heartbeat.h"
#include "nb-json-util.h"
#include "nb-provider-registry.h"

/*
 * The heartbeat, as the Python nanobot's HeartbeatService did it: every
 * gateway.heartbeat.intervalS seconds (off unless gateway.heartbeat.enabled),
 * read HEARTBEAT.md from the workspace; if it lists tasks, make one
 * cheap decision call whose only tool is `heartbeat` (action skip or
 * run, and the tasks); on run, run the tasks as a turn in the
 * `heartbeat` conversation. The reply is reported (NbHeartbeat::report)
 * only when it has something to say: not empty, not "All clear", and not
 * the model talking about its instructions (the Python nanobot's filter).
 *
 * The timer is a wake on the assistant's NbCronService, so it runs on the
 * scheduler's clock: one real timer for jobs and beats, re-checked every
 * NB_CRON_MAX_SLEEP_MS because the monotonic clock stops during suspend,
 * and a fake clock in the tests. A beat is due one interval after the
 * last (or after the settings changed); a machine that slept through
 * several intervals beats once, and a beat still running when the next
 * is due lets it pass. NbConfig::changed (a save from Preferences, or
 * another program's edit seen by the assistant's file monitor) applies
 * gateway.heartbeat.enabled and intervalS at once.
 */

struct _NbHeartbeat
{
  GObject       parent_instance;

  NbAssistant   *assistant;   /* weak */
  NbCronService *service;     /* the clock */
  gboolean      started;
  guint         wake_id;
  guint         interval_s;
  gboolean      beating;
  GCancellable *cancellable;
};

enum {
  REPORT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NbHeartbeat, nb_heartbeat, G_TYPE_OBJECT)

static const char heartbeat_tool[] =
  "[{\"type\":\"function\",\"function\":{\"name\":\"heartbeat\","
  "\"description\":\"Report heartbeat decision after reviewing tasks.\","
  "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"action\":{\"type\":\"string\",\"enum\":[\"skip\",\"run\"],"
  "\"description\":\"skip = nothing to do, run = has active tasks\"},"
  "\"tasks\":{\"type\":\"string\",\"description\":\"Natural-language summary of active tasks (required for run)\"}},"
  "\"required\":[\"action\"]}}}]";

static const char preamble[] =
  "[Your response will be shown to the user as a notification. Output ONLY the final user-facing message. "
  "Never reference internal files (HEARTBEAT.md, etc.), your instructions, or your decision process. "
  "If nothing needs reporting, respond with just 'All clear.' and nothing else.]\n\n"
  "You are executing periodic heartbeat tasks. Perform each one and report what you did:\n\n";

static void
nb_heartbeat_dispose (GObject *object)
{
  NbHeartbeat *self = NB_HEARTBEAT (object);

  if (self->wake_id != 0)
    nb_cron_service_remove_wake (self->service, self->wake_id);
  self->wake_id = 0;
  g_clear_object (&self->service);
  g_cancellable_cancel (self->cancellable);
  if (self->assistant != NULL)
    {
      g_signal_handlers_disconnect_by_data (nb_assistant_get_config (self->assistant), self);
      g_object_remove_weak_pointer (G_OBJECT (self->assistant), (gpointer *) &self->assistant);
      self->assistant = NULL;
    }

  G_OBJECT_CLASS (nb_heartbeat_parent_class)->dispose (object);
}

static void
nb_heartbeat_finalize (GObject *object)
{
  g_clear_object (&NB_HEARTBEAT (object)->cancellable);

  G_OBJECT_CLASS (nb_heartbeat_parent_class)->finalize (object);
}

static void
nb_heartbeat_class_init (NbHeartbeatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_heartbeat_dispose;
  object_class->finalize = nb_heartbeat_finalize;

  /**
   * NbHeartbeat::report:
   * @text: what the heartbeat's tasks have to say
   */
  signals[REPORT] =
    g_signal_new ("report", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nb_heartbeat_init (NbHeartbeat *self)
{
  self->cancellable = g_cancellable_new ();
  self->interval_s = NB_HEARTBEAT_DEFAULT_INTERVAL_S;
}

NbHeartbeat *
nb_heartbeat_new (NbAssistant *assistant)
{
  NbHeartbeat *self = g_object_new (NB_TYPE_HEARTBEAT, NULL);

  self->assistant = assistant;
  self->service = g_object_ref (nb_assistant_get_cron_service (assistant));
  g_object_add_weak_pointer (G_OBJECT (assistant), (gpointer *) &self->assistant);
  return self;
}

gboolean
nb_heartbeat_has_tasks (const char *content)
{
  g_auto(GStrv) lines = g_strsplit (content != NULL ? content : "", "\n", -1);
  gboolean in_comment = FALSE;
  gboolean in_tasks = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (in_comment)
        {
          if (strstr (line, "-->") != NULL)
            in_comment = FALSE;
          continue;
        }
      if (g_str_has_prefix (line, "<!--"))
        {
          in_comment = strstr (line + 4, "-->") == NULL;
          continue;
        }
      if (*line == '\0')
        continue;
      if (line[0] == '#')
        {
          if (g_str_has_prefix (line, "##") && !g_str_has_prefix (line, "###"))
            {
              g_autofree char *heading = g_ascii_strdown (line, -1);

              in_tasks = strstr (heading, "task") != NULL;
            }
          continue;
        }
      if (in_tasks)
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_something_to_say (const char *reply)
{
  static const char *const leaked[] = {
    "heartbeat.md", "judgment call:", "decision logic", "valid options are",
    "my instructions", "i am supposed to", "couldn't produce a final answer",
  };
  g_autofree char *text = NULL;
  g_autofree char *lower = NULL;

  if (reply == NULL)
    return FALSE;
  text = g_strstrip (g_strdup (reply));
  if (*text == '\0')
    return FALSE;
  lower = g_utf8_strdown (text, -1);
  if (g_str_has_prefix (lower, "all clear") || g_str_has_prefix (lower, "heartbeat_ok"))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (leaked); i++)
    if (strstr (lower, leaked[i]) != NULL)
      return FALSE;
  return TRUE;
}

/* A beat */

typedef struct {
  char       *content;
  NbProvider *provider;
} Beat;

static void
beat_free (Beat *beat)
{
  g_free (beat->content);
  g_clear_object (&beat->provider);
  g_free (beat);
}

static void
turn_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = nb_assistant_run_finish (NB_ASSISTANT (source), result, NULL, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (has_something_to_say (reply))
    g_task_return_pointer (task, g_steal_pointer (&reply), g_free);
  else
    g_task_return_pointer (task, NULL, NULL);
}

static void
session_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (NB_ASSISTANT (source), result, &error);
  const char *tasks = g_object_get_data (G_OBJECT (task), "tasks");
  g_autofree char *input = NULL;
  GCancellable *cancellable;

  if (session == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  input = g_strconcat (preamble, tasks, NULL);
  cancellable = g_task_get_cancellable (task);
  nb_assistant_run_async (NB_ASSISTANT (source), session, input, cancellable, turn_cb, g_steal_pointer (&task));
}

static void
decision_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbHeartbeat *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(NbChatResponse) response = nb_provider_chat_finish (NB_PROVIDER (source), result, &error);
  NbToolCall *call;
  const char *action, *tasks;
  GCancellable *cancellable;

  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (response->tool_calls->len == 0 ||
      g_strcmp0 ((call = response->tool_calls->pdata[0])->name, "heartbeat") != 0 || call->arguments == NULL)
    {
      g_debug ("Heartbeat: no decision, skipped");
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  action = nb_json_get_string (call->arguments, "action");
  tasks = nb_json_get_string (call->arguments, "tasks");
  if (g_strcmp0 (action, "run") != 0 || self->assistant == NULL)
    {
      g_debug ("Heartbeat: nothing to do");
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "tasks",
                          g_strdup (tasks != NULL && *tasks != '\0' ? tasks : ((Beat *) g_task_get_task_data (task))->content),
                          g_free);
  cancellable = g_task_get_cancellable (task);
  nb_assistant_open_session_async (self->assistant, "heartbeat", cancellable, session_cb, g_steal_pointer (&task));
}

static void
decide (GTask *task)
{
  NbHeartbeat *self = g_task_get_source_object (task);
  Beat *beat = g_task_get_task_data (task);
  NbConfig *config = nb_assistant_get_config (self->assistant);
  g_autoptr(NbChatRequest) request = nb_chat_request_new (nb_config_get_string (config, "agents.defaults.model"));
  g_autoptr(JsonObject) system = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M (%A) %Z");
  g_autofree char *text = NULL;

  json_object_set_string_member (system, "role", "system");
  json_object_set_string_member (system, "content",
                                 "You are a heartbeat agent. Call the heartbeat tool to report your decision.");
  text = g_strdup_printf ("Current Time: %s\n\nReview the following HEARTBEAT.md and decide whether there "
                          "are active tasks.\n\n%s", time, beat->content);
  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", text);
  nb_chat_request_add_message (request, system);
  nb_chat_request_add_message (request, user);
  json_parser_load_from_data (parser, heartbeat_tool, -1, NULL);
  request->tools = json_array_ref (json_node_get_array (json_parser_get_root (parser)));
  request->max_tokens = 1024;
  request->temperature = nb_config_get_double (config, "agents.defaults.temperature");
  nb_provider_chat_async (beat->provider, request, NULL, NULL, g_task_get_cancellable (task),
                          decision_cb, task);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Beat *beat = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  beat->provider = nb_provider_registry_resolve_finish (result, &error);
  if (beat->provider == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  decide (task);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  NbHeartbeat *self = g_task_get_source_object (task);
  Beat *beat = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  NbProvider *provider;

  if (!nb_file_read_bounded_finish (result, &beat->content, NULL, &error) ||
      !g_utf8_validate (beat->content, -1, NULL) || !nb_heartbeat_has_tasks (beat->content) ||
      self->assistant == NULL)
    {
      /* No file, no tasks: no call. */
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }
  provider = nb_assistant_get_provider (self->assistant);
  if (provider != NULL)
    {
      beat->provider = g_object_ref (provider);
      decide (task);
      return;
    }
  nb_provider_registry_resolve_async (nb_assistant_get_config (self->assistant), NULL,
                                      g_task_get_cancellable (task), resolved_cb, task);
}

void
nb_heartbeat_tick_async (NbHeartbeat         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  g_autofree char *workspace = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NB_IS_HEARTBEAT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_heartbeat_tick_async);
  g_task_set_task_data (task, g_new0 (Beat, 1), (GDestroyNotify) beat_free);
  if (self->assistant == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }
  workspace = nb_config_dup_workspace (nb_assistant_get_config (self->assistant));
  path = g_build_filename (workspace, "HEARTBEAT.md", NULL);
  nb_file_read_bounded_async (path, NB_FILE_MAX_WORKSPACE, cancellable, read_cb, task);
}

/**
 * nb_heartbeat_tick_finish:
 *
 * Returns: (transfer full) (nullable): what to tell the user, or %NULL
 *   (with @error set when the beat failed)
 */
char *
nb_heartbeat_tick_finish (NbHeartbeat   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The timer */

static void arm (NbHeartbeat *self);

static void
beat_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  NbHeartbeat *self = NB_HEARTBEAT (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *report = nb_heartbeat_tick_finish (self, result, &error);

  self->beating = FALSE;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Heartbeat failed: %s", error->message);
  if (report != NULL)
    g_signal_emit (self, signals[REPORT], 0, report);
}

static void
wake_cb (NbCronService *service,
         gpointer       data)
{
  NbHeartbeat *self = data;

  self->wake_id = 0;
  if (!self->beating)
    {
      self->beating = TRUE;
      nb_heartbeat_tick_async (self, self->cancellable, beat_cb, NULL);
    }
  arm (self);
}

static void
arm (NbHeartbeat *self)
{
  NbConfig *config;
  gint64 interval;

  if (self->wake_id != 0)
    nb_cron_service_remove_wake (self->service, self->wake_id);
  self->wake_id = 0;
  if (!self->started || self->assistant == NULL)
    return;
  config = nb_assistant_get_config (self->assistant);
  if (!nb_config_get_boolean (config, "gateway.heartbeat.enabled"))
    return;
  interval = nb_config_get_int (config, "gateway.heartbeat.intervalS");
  self->interval_s = interval > 0 ? (guint) MIN (interval, 7 * 24 * 3600) : NB_HEARTBEAT_DEFAULT_INTERVAL_S;
  self->wake_id = nb_cron_service_add_wake (self->service,
                                            nb_cron_service_now (self->service) + (gint64) self->interval_s * 1000,
                                            wake_cb, self);
}

static void
config_changed_cb (NbConfig    *config,
                   NbHeartbeat *self)
{
  gint64 interval = nb_config_get_int (config, "gateway.heartbeat.intervalS");
  gboolean enabled = nb_config_get_boolean (config, "gateway.heartbeat.enabled");
  guint interval_s = interval > 0 ? (guint) MIN (interval, 7 * 24 * 3600) : NB_HEARTBEAT_DEFAULT_INTERVAL_S;

  /* Only a change of these settings starts the interval again. */
  if (enabled == (self->wake_id != 0) && interval_s == self->interval_s)
    return;
  arm (self);
}

void
nb_heartbeat_start (NbHeartbeat *self)
{
  g_return_if_fail (NB_IS_HEARTBEAT (self));

  if (self->started || self->assistant == NULL)
    return;
  self->started = TRUE;
  g_signal_connect (nb_assistant_get_config (self->assistant), "changed", G_CALLBACK (config_changed_cb), self);
  arm (self);
}

void
nb_heartbeat_stop (NbHeartbeat *self)
{
  g_return_if_fail (NB_IS_HEARTBEAT (self));

  if (!self->started)
    return;
  self->started = FALSE;
  if (self->assistant != NULL)
    g_signal_handlers_disconnect_by_func (nb_assistant_get_config (self->assistant), config_changed_cb, self);
  arm (self);
}

gboolean
nb_heartbeat_is_active (NbHeartbeat *self)
{
  g_return_val_if_fail (NB_IS_HEARTBEAT (self), FALSE);
  return self->wake_id != 0;
}

gboolean
nb_heartbeat_is_beating (NbHeartbeat *self)
{
  g_return_val_if_fail (NB_IS_HEARTBEAT (self), FALSE);
  return self->beating;
}

guint
nb_heartbeat_get_interval (NbHeartbeat *self)
{
  g_return_val_if_fail (NB_IS_HEARTBEAT (self), 0);
  return self->interval_s;
}
