/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron-tool"

#include "config.h"

#include <string.h>

#include "nb-cron-tool.h"
#include "nb-json-util.h"

/*
 * `cron` as the Python nanobot has it (nanobot/agent/tools/cron.py): one
 * tool with an action, the schedule as every_seconds, cron_expr (with
 * tz) or at (ISO time), and job_id for remove. A job remembers the
 * conversation it was made in; its results go back there. Jobs cannot
 * add jobs (a run in cron:<id> or heartbeat). Add and remove return once
 * jobs.json is written, so `nanobot -m` can end right after the turn.
 */

struct _NbCronTool
{
  NbTool         parent_instance;

  NbCronService *service;
  char          *timezone;
};

G_DEFINE_FINAL_TYPE (NbCronTool, nb_cron_tool, NB_TYPE_TOOL)

static const char schema[] =
  "{\"type\":\"object\",\"properties\":{"
  "\"action\":{\"type\":\"string\",\"enum\":[\"add\",\"list\",\"remove\"],\"description\":\"Action to perform\"},"
  "\"name\":{\"type\":\"string\",\"description\":\"Optional short human-readable label for the job "
  "(e.g., 'weather-monitor', 'daily-standup'). Defaults to first 30 chars of message.\"},"
  "\"message\":{\"type\":\"string\",\"description\":\"REQUIRED when action='add'. Instruction for the agent "
  "to execute when the job triggers (e.g., 'Send a reminder: xxx' or 'Check system status and report'). "
  "Not used for action='list' or action='remove'.\"},"
  "\"every_seconds\":{\"type\":\"integer\",\"description\":\"Interval in seconds (for recurring tasks)\"},"
  "\"cron_expr\":{\"type\":\"string\",\"description\":\"Cron expression like '0 9 * * *' (for scheduled tasks)\"},"
  "\"tz\":{\"type\":\"string\",\"description\":\"Optional IANA timezone for cron expressions "
  "(e.g. 'America/Vancouver'). When omitted with cron_expr, the tool's default timezone applies.\"},"
  "\"at\":{\"type\":\"string\",\"description\":\"ISO datetime for one-time execution (e.g. '2026-02-12T10:30:00'). "
  "Naive values use the tool's default timezone.\"},"
  "\"job_id\":{\"type\":\"string\",\"description\":\"REQUIRED when action='remove'. Job ID to remove "
  "(obtain via action='list').\"}"
  "},\"required\":[\"action\"]}";

char *
nb_cron_dup_local_timezone (void)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  const char *id = g_time_zone_get_identifier (local);
  g_autoptr(GTimeZone) named = NULL;

  /* "Local" or a path when GLib cannot name it. */
  if (id != NULL && strchr (id, '/') != NULL && id[0] != '/' &&
      (named = g_time_zone_new_identifier (id)) != NULL)
    return g_strdup (id);
  if (id != NULL && g_str_equal (id, "UTC"))
    return g_strdup (id);
  return g_strdup ("UTC");
}

static char *
format_time (gint64      ms,
             const char *zone)
{
  g_autoptr(GTimeZone) tz = zone != NULL ? g_time_zone_new_identifier (zone) : NULL;
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *iso = NULL;

  if (tz == NULL)
    tz = g_time_zone_new_local ();
  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_timezone (utc, tz);
  iso = g_date_time_format (local, "%FT%T%:z");
  return g_strdup_printf ("%s (%s)", iso, zone != NULL ? zone : "local");
}

static char *
list_jobs (NbCronTool *self)
{
  GListModel *jobs = G_LIST_MODEL (self->service);
  g_autoptr(GString) text = g_string_new ("Scheduled jobs:");
  guint n = g_list_model_get_n_items (jobs);

  if (n == 0)
    return g_strdup ("No scheduled jobs.");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbCronJob) job = g_list_model_get_item (jobs, i);
      g_autofree char *timing = nb_cron_job_describe_schedule (job);
      const char *zone = nb_cron_job_get_tz (job) != NULL ? nb_cron_job_get_tz (job) : self->timezone;

      g_string_append_printf (text, "\n- %s (id: %s, %s)%s", nb_cron_job_get_name (job),
                              nb_cron_job_get_id (job), timing,
                              nb_cron_job_get_enabled (job) ? "" : " [disabled]");
      if (nb_cron_job_get_last_run_ms (job) >= 0)
        {
          g_autofree char *when = format_time (nb_cron_job_get_last_run_ms (job), zone);
          const char *status = nb_cron_job_get_last_status (job);

          g_string_append_printf (text, "\n  Last run: %s — %s", when, status != NULL ? status : "unknown");
          if (nb_cron_job_get_last_error (job) != NULL)
            g_string_append_printf (text, " (%s)", nb_cron_job_get_last_error (job));
        }
      if (nb_cron_job_get_next_run_ms (job) >= 0)
        {
          g_autofree char *when = format_time (nb_cron_job_get_next_run_ms (job), zone);

          g_string_append_printf (text, "\n  Next run: %s", when);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
add_job (NbCronTool          *self,
         JsonObject          *arguments,
         const NbToolContext *context)
{
  const char *name = nb_json_get_string (arguments, "name");
  const char *message = nb_json_get_string (arguments, "message");
  gint64 every = nb_json_get_int (arguments, "every_seconds");
  const char *expr = nb_json_get_string (arguments, "cron_expr");
  const char *tz = nb_json_get_string (arguments, "tz");
  const char *at = nb_json_get_string (arguments, "at");
  const char *key = context != NULL ? context->session_key : NULL;
  g_autoptr(GError) error = NULL;
  NbCronJob *job = NULL;

  if (tz != NULL && *tz == '\0')
    tz = NULL;
  if (expr != NULL && *expr == '\0')
    expr = NULL;
  if (at != NULL && *at == '\0')
    at = NULL;
  if (message == NULL || *message == '\0')
    return g_strdup ("Error: cron action='add' requires a non-empty 'message' parameter describing what to do "
                     "when the job triggers (e.g. the reminder text). Retry including message=\"...\".");
  if (key != NULL && (g_str_has_prefix (key, "cron:") || g_str_equal (key, "heartbeat")))
    return g_strdup ("Error: cannot schedule new jobs from within a cron job execution");
  if (key == NULL || strchr (key, ':') == NULL)
    return g_strdup ("Error: scheduled cron jobs must be created from a chat session");
  if (tz != NULL && expr == NULL)
    return g_strdup ("Error: tz can only be used with cron_expr");
  if (tz != NULL)
    {
      g_autoptr(GTimeZone) zone = g_time_zone_new_identifier (tz);

      if (zone == NULL)
        return g_strdup_printf ("Error: unknown timezone '%s'", tz);
    }

  if (every > 0)
    job = nb_cron_service_add_job (self->service, name, message, NB_CRON_SCHEDULE_EVERY, every * 1000,
                                   NULL, NULL, key, &error);
  else if (expr != NULL)
    job = nb_cron_service_add_job (self->service, name, message, NB_CRON_SCHEDULE_CRON, 0, expr,
                                   tz != NULL ? tz : self->timezone, key, &error);
  else if (at != NULL)
    {
      g_autoptr(GTimeZone) zone = g_time_zone_new_identifier (self->timezone);
      g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (at, zone);

      if (time == NULL)
        return g_strdup_printf ("Error: invalid ISO datetime format '%s'. Expected format: YYYY-MM-DDTHH:MM:SS", at);
      job = nb_cron_service_add_job (self->service, name, message, NB_CRON_SCHEDULE_AT,
                                     g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000,
                                     NULL, NULL, key, &error);
    }
  else
    return g_strdup ("Error: either every_seconds, cron_expr, or at is required");

  if (job == NULL)
    return g_strdup_printf ("Error: %s", error->message);
  return g_strdup_printf ("Created job '%s' (id: %s)", nb_cron_job_get_name (job), nb_cron_job_get_id (job));
}

static char *
remove_job (NbCronTool *self,
            JsonObject *arguments)
{
  const char *id = nb_json_get_string (arguments, "job_id");
  g_autoptr(NbCronJob) job = NULL;

  if (id == NULL || *id == '\0')
    return g_strdup ("Error: job_id is required for remove");
  if (nb_cron_service_get_error_message (self->service) != NULL &&
      nb_cron_service_lookup (self->service, id) != NULL)
    return g_strdup_printf ("Error: %s", nb_cron_service_get_error_message (self->service));
  job = nb_cron_service_remove_job (self->service, id);
  if (job == NULL)
    return g_strdup_printf ("Job %s not found", id);
  return g_strdup_printf ("Removed job %s", id);
}

typedef struct {
  JsonObject    *arguments;
  NbToolContext  context;
  char          *session_key;
  char          *result;
} Call;

static void
call_free (Call *call)
{
  json_object_unref (call->arguments);
  g_free (call->session_key);
  g_free (call->result);
  g_free (call);
}

static void
flushed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);

  nb_cron_service_flush_finish (NB_CRON_SERVICE (source), result, NULL);
  g_task_return_pointer (task, g_steal_pointer (&call->result), g_free);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbCronTool *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  const char *action = nb_json_get_string (call->arguments, "action");
  g_autoptr(GError) error = NULL;

  if (!nb_cron_service_load_finish (self->service, result, &error))
    {
      g_task_return_pointer (task, g_strdup_printf ("Error: %s", error->message), g_free);
      return;
    }
  if (g_strcmp0 (action, "list") == 0)
    {
      g_task_return_pointer (task, list_jobs (self), g_free);
      return;
    }
  if (g_strcmp0 (action, "add") == 0)
    call->result = add_job (self, call->arguments, &call->context);
  else if (g_strcmp0 (action, "remove") == 0)
    call->result = remove_job (self, call->arguments);
  else
    {
      g_task_return_pointer (task, g_strdup_printf ("Unknown action: %s", action), g_free);
      return;
    }
  nb_cron_service_flush_async (self->service, NULL, flushed_cb, g_steal_pointer (&task));
}

static void
nb_cron_tool_execute_async (NbTool              *tool,
                            JsonObject          *arguments,
                            const NbToolContext *context,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  NbCronTool *self = NB_CRON_TOOL (tool);
  GTask *task = g_task_new (tool, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, nb_cron_tool_execute_async);
  call->arguments = json_object_ref (arguments);
  call->session_key = g_strdup (context != NULL ? context->session_key : NULL);
  call->context.session_key = call->session_key;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  nb_cron_service_load_async (self->service, NULL, loaded_cb, task);
}

static void
nb_cron_tool_finalize (GObject *object)
{
  NbCronTool *self = NB_CRON_TOOL (object);

  g_clear_object (&self->service);
  g_free (self->timezone);

  G_OBJECT_CLASS (nb_cron_tool_parent_class)->finalize (object);
}

static void
nb_cron_tool_class_init (NbCronToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_cron_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_cron_tool_execute_async;
}

static void
nb_cron_tool_init (NbCronTool *self)
{
}

/**
 * nb_cron_tool_new:
 *
 * Returns: (transfer full): the `cron` tool
 */
NbTool *
nb_cron_tool_new (NbCronService *service)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (schema);
  g_autofree char *timezone = nb_cron_dup_local_timezone ();
  g_autofree char *description =
    g_strdup_printf ("Schedule reminders and recurring tasks. Actions: add, list, remove. "
                     "If tz is omitted, cron expressions and naive ISO times default to %s.", timezone);
  NbCronTool *self;

  g_return_val_if_fail (NB_IS_CRON_SERVICE (service), NULL);

  self = g_object_new (NB_TYPE_CRON_TOOL,
                       "name", "cron",
                       "description", description,
                       "parameters", parameters,
                       "side-effects", TRUE,
                       "for-subagents", FALSE,
                       NULL);
  self->service = g_object_ref (service);
  self->timezone = g_steal_pointer (&timezone);
  return NB_TOOL (self);
}
