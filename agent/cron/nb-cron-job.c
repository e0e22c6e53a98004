/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-cron-expr.h"
#include "nb-cron-job-private.h"
#include "nb-json-util.h"

G_DEFINE_FINAL_TYPE (NbCronJob, nb_cron_job, G_TYPE_OBJECT)

static void
nb_cron_job_finalize (GObject *object)
{
  NbCronJob *self = NB_CRON_JOB (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->expr);
  g_free (self->tz);
  g_free (self->message);
  g_free (self->origin_key);
  g_clear_pointer (&self->payload, json_object_unref);
  g_free (self->last_status);
  g_free (self->last_error);
  g_free (self->last_result);
  g_clear_pointer (&self->run_history, json_array_unref);

  G_OBJECT_CLASS (nb_cron_job_parent_class)->finalize (object);
}

static void
nb_cron_job_class_init (NbCronJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_cron_job_finalize;
}

static void
nb_cron_job_init (NbCronJob *self)
{
  self->enabled = TRUE;
  self->at_ms = -1;
  self->every_ms = -1;
  self->next_run_ms = -1;
  self->last_run_ms = -1;
  self->run_history = json_array_new ();
  self->payload = json_object_new ();
}

void
nb_cron_job_set_string (char       **field,
                        const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

NbCronJob *
nb_cron_job_new (const char         *name,
                 const char         *message,
                 NbCronScheduleKind  kind)
{
  NbCronJob *self = g_object_new (NB_TYPE_CRON_JOB, NULL);
  g_autofree char *uuid = g_uuid_string_random ();

  self->id = g_strndup (uuid, 8);
  self->name = g_strdup (name);
  self->message = g_strdup (message);
  self->kind = kind;
  return self;
}

/* Reading: camelCase first, then snake_case, as the Python nanobot does */

static JsonNode *
member (JsonObject *object,
        const char *camel,
        const char *snake)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, camel);
  if (node == NULL && snake != NULL)
    node = json_object_get_member (object, snake);
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gint64
member_ms (JsonObject *object,
           const char *camel,
           const char *snake)
{
  JsonNode *node = member (object, camel, snake);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return (gint64) json_node_get_double (node);
    case G_TYPE_STRING:
      {
        const char *text = json_node_get_string (node);

        return text != NULL && *text != '\0' ? g_ascii_strtoll (text, NULL, 10) : -1;
      }
    default:
      return -1;
    }
}

static const char *
member_string (JsonObject *object,
               const char *camel,
               const char *snake)
{
  JsonNode *node = member (object, camel, snake);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
member_boolean (JsonObject *object,
                const char *camel,
                const char *snake,
                gboolean    fallback)
{
  JsonNode *node = member (object, camel, snake);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

/**
 * nb_cron_job_new_from_json:
 *
 * Returns: (transfer full) (nullable): the job, or %NULL with @error set
 *   when it has no id, no name or an unknown schedule kind
 */
NbCronJob *
nb_cron_job_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr(NbCronJob) self = g_object_new (NB_TYPE_CRON_JOB, NULL);
  JsonObject *schedule = nb_json_get_object (object, "schedule");
  JsonObject *payload = nb_json_get_object (object, "payload");
  JsonObject *state = nb_json_get_object (object, "state");
  JsonArray *history;
  const char *kind = nb_json_get_string (schedule, "kind");

  self->id = g_strdup (nb_json_get_string (object, "id"));
  self->name = g_strdup (nb_json_get_string (object, "name"));
  if (self->id == NULL || *self->id == '\0' || self->name == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("a job without an id or a name"));
      return NULL;
    }
  if (g_strcmp0 (kind, "at") == 0)
    self->kind = NB_CRON_SCHEDULE_AT;
  else if (g_strcmp0 (kind, "every") == 0)
    self->kind = NB_CRON_SCHEDULE_EVERY;
  else if (g_strcmp0 (kind, "cron") == 0)
    self->kind = NB_CRON_SCHEDULE_CRON;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("job “%s” has no schedule kind (at, every or cron)"), self->id);
      return NULL;
    }

  self->enabled = member_boolean (object, "enabled", NULL, TRUE);
  self->at_ms = member_ms (schedule, "atMs", "at_ms");
  self->every_ms = member_ms (schedule, "everyMs", "every_ms");
  self->expr = g_strdup (member_string (schedule, "expr", NULL));
  self->tz = g_strdup (member_string (schedule, "tz", NULL));

  if (payload != NULL)
    {
      g_clear_pointer (&self->payload, json_object_unref);
      self->payload = json_object_ref (payload);
    }
  self->message = g_strdup (nb_json_get_string_or (payload, "message", ""));
  self->origin_key = g_strdup (member_string (payload, "sessionKey", "session_key"));
  /* Jobs of the Python nanobot before sessionKey: channel:to */
  if (self->origin_key == NULL && member_string (payload, "channel", NULL) != NULL &&
      member_string (payload, "to", NULL) != NULL)
    self->origin_key = g_strdup_printf ("%s:%s", member_string (payload, "channel", NULL),
                                        member_string (payload, "to", NULL));

  self->next_run_ms = member_ms (state, "nextRunAtMs", "next_run_at_ms");
  self->last_run_ms = member_ms (state, "lastRunAtMs", "last_run_at_ms");
  self->last_status = g_strdup (member_string (state, "lastStatus", "last_status"));
  self->last_error = g_strdup (member_string (state, "lastError", "last_error"));
  self->last_result = g_strdup (member_string (state, "lastResult", "last_result"));
  history = member (state, "runHistory", "run_history") != NULL ?
    nb_json_get_array (state, json_object_has_member (state, "runHistory") ? "runHistory" : "run_history") : NULL;
  if (history != NULL)
    {
      g_clear_pointer (&self->run_history, json_array_unref);
      self->run_history = json_array_ref (history);
    }
  self->created_ms = MAX (member_ms (object, "createdAtMs", "created_at_ms"), 0);
  self->updated_ms = MAX (member_ms (object, "updatedAtMs", "updated_at_ms"), 0);
  self->delete_after_run = member_boolean (object, "deleteAfterRun", "delete_after_run", FALSE);

  return g_steal_pointer (&self);
}

static void
set_ms (JsonObject *object,
        const char *name,
        gint64      value)
{
  if (value < 0)
    json_object_set_null_member (object, name);
  else
    json_object_set_int_member (object, name, value);
}

static void
set_string (JsonObject *object,
            const char *name,
            const char *value)
{
  if (value == NULL)
    json_object_set_null_member (object, name);
  else
    json_object_set_string_member (object, name, value);
}

/**
 * nb_cron_job_to_json:
 *
 * Returns: (transfer full): the job in the Python nanobot's jobs.json shape
 */
JsonObject *
nb_cron_job_to_json (NbCronJob *self)
{
  static const char *const kinds[] = { "at", "every", "cron" };
  JsonObject *object = json_object_new ();
  JsonObject *schedule = json_object_new ();
  JsonObject *payload = json_object_new ();
  JsonObject *state = json_object_new ();
  g_autoptr(GList) names = NULL;

  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);

  json_object_set_string_member (object, "id", self->id);
  json_object_set_string_member (object, "name", self->name);
  json_object_set_boolean_member (object, "enabled", self->enabled);

  json_object_set_string_member (schedule, "kind", kinds[self->kind]);
  set_ms (schedule, "atMs", self->at_ms);
  set_ms (schedule, "everyMs", self->every_ms);
  set_string (schedule, "expr", self->expr);
  set_string (schedule, "tz", self->tz);
  json_object_set_object_member (object, "schedule", schedule);

  /* The payload as read (its channel fields and metadata), with ours. */
  json_object_set_string_member (payload, "kind", nb_json_get_string_or (self->payload, "kind", "agent_turn"));
  json_object_set_string_member (payload, "message", self->message);
  json_object_set_boolean_member (payload, "deliver", nb_json_get_boolean (self->payload, "deliver"));
  names = json_object_get_members (self->payload);
  for (GList *l = names; l != NULL; l = l->next)
    if (!json_object_has_member (payload, l->data))
      json_object_set_member (payload, l->data, json_node_copy (json_object_get_member (self->payload, l->data)));
  set_string (payload, "sessionKey", self->origin_key);
  if (!json_object_has_member (payload, "originChannel") && self->origin_key != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (self->origin_key, ":", 2);

      set_string (payload, "originChannel", parts[0]);
      set_string (payload, "originChatId", parts[0] != NULL ? parts[1] : NULL);
    }
  json_object_set_object_member (object, "payload", payload);

  set_ms (state, "nextRunAtMs", self->next_run_ms);
  set_ms (state, "lastRunAtMs", self->last_run_ms);
  set_string (state, "lastStatus", self->last_status);
  set_string (state, "lastError", self->last_error);
  if (self->last_result != NULL)
    json_object_set_string_member (state, "lastResult", self->last_result);
  json_object_set_array_member (state, "runHistory", json_array_ref (self->run_history));
  json_object_set_object_member (object, "state", state);

  json_object_set_int_member (object, "createdAtMs", self->created_ms);
  json_object_set_int_member (object, "updatedAtMs", self->updated_ms);
  json_object_set_boolean_member (object, "deleteAfterRun", self->delete_after_run);
  return object;
}

void
nb_cron_job_record_run (NbCronJob  *self,
                        gint64      start_ms,
                        gint64      end_ms,
                        const char *status,
                        const char *error,
                        const char *result)
{
  JsonObject *record = json_object_new ();

  self->last_run_ms = start_ms;
  self->updated_ms = end_ms;
  nb_cron_job_set_string (&self->last_status, status);
  nb_cron_job_set_string (&self->last_error, error);
  if (result != NULL)
    {
      /* The first line, at most 200 characters, for the jobs page. */
      g_autofree char *line = g_strndup (result, strcspn (result, "\n"));
      const char *end = line;

      for (int i = 0; i < 200 && *end != '\0'; i++)
        end = g_utf8_next_char (end);
      g_free (self->last_result);
      self->last_result = g_strndup (line, end - line);
    }

  json_object_set_int_member (record, "runAtMs", start_ms);
  json_object_set_string_member (record, "status", status);
  json_object_set_int_member (record, "durationMs", end_ms - start_ms);
  set_string (record, "error", error);
  json_array_add_object_element (self->run_history, record);
  while (json_array_get_length (self->run_history) > NB_CRON_MAX_RUN_HISTORY)
    json_array_remove_element (self->run_history, 0);
}

const char *
nb_cron_job_get_id (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->id;
}

const char *
nb_cron_job_get_name (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->name;
}

const char *
nb_cron_job_get_message (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->message;
}

gboolean
nb_cron_job_get_enabled (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), FALSE);
  return self->enabled;
}

NbCronScheduleKind
nb_cron_job_get_kind (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), 0);
  return self->kind;
}

gint64
nb_cron_job_get_at_ms (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), -1);
  return self->at_ms;
}

gint64
nb_cron_job_get_every_ms (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), -1);
  return self->every_ms;
}

const char *
nb_cron_job_get_expr (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->expr;
}

const char *
nb_cron_job_get_tz (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->tz;
}

const char *
nb_cron_job_get_origin_key (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->origin_key;
}

gboolean
nb_cron_job_get_delete_after_run (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), FALSE);
  return self->delete_after_run;
}

gint64
nb_cron_job_get_next_run_ms (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), -1);
  return self->next_run_ms;
}

gint64
nb_cron_job_get_last_run_ms (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), -1);
  return self->last_run_ms;
}

const char *
nb_cron_job_get_last_status (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->last_status;
}

const char *
nb_cron_job_get_last_error (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->last_error;
}

const char *
nb_cron_job_get_last_result (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);
  return self->last_result;
}


char *
nb_cron_job_dup_session_key (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);

  return g_strconcat ("cron:", self->id, NULL);
}

char *
nb_cron_job_describe_schedule (NbCronJob *self)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), NULL);

  switch (self->kind)
    {
    case NB_CRON_SCHEDULE_CRON:
      if (self->tz != NULL)
        return g_strdup_printf ("cron: %s (%s)", self->expr ? self->expr : "", self->tz);
      return g_strdup_printf ("cron: %s", self->expr ? self->expr : "");
    case NB_CRON_SCHEDULE_EVERY:
      {
        gint64 ms = self->every_ms;

        if (ms <= 0)
          return g_strdup ("every");
        if (ms % 3600000 == 0)
          return g_strdup_printf ("every %" G_GINT64_FORMAT "h", ms / 3600000);
        if (ms % 60000 == 0)
          return g_strdup_printf ("every %" G_GINT64_FORMAT "m", ms / 60000);
        if (ms % 1000 == 0)
          return g_strdup_printf ("every %" G_GINT64_FORMAT "s", ms / 1000);
        return g_strdup_printf ("every %" G_GINT64_FORMAT "ms", ms);
      }
    case NB_CRON_SCHEDULE_AT:
    default:
      if (self->at_ms >= 0)
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (self->at_ms / 1000);
          g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

          if (local != NULL)
            {
              g_autofree char *text = g_date_time_format_iso8601 (local);

              return g_strdup_printf ("at %s", text);
            }
        }
      return g_strdup ("at");
    }
}

/* The job's time zone: its tz, else the local one. */
static GTimeZone *
job_time_zone (NbCronJob *self)
{
  GTimeZone *tz = NULL;

  if (self->tz != NULL)
    tz = g_time_zone_new_identifier (self->tz);
  return tz != NULL ? tz : g_time_zone_new_local ();
}

gint64
nb_cron_job_compute_next (NbCronJob *self,
                          gint64     now_ms)
{
  g_return_val_if_fail (NB_IS_CRON_JOB (self), -1);

  switch (self->kind)
    {
    case NB_CRON_SCHEDULE_AT:
      return self->at_ms > now_ms ? self->at_ms : -1;
    case NB_CRON_SCHEDULE_EVERY:
      return self->every_ms > 0 ? now_ms + self->every_ms : -1;
    case NB_CRON_SCHEDULE_CRON:
    default:
      {
        g_autoptr(NbCronExpr) expr = self->expr != NULL ? nb_cron_expr_parse (self->expr, NULL) : NULL;
        g_autoptr(GTimeZone) tz = NULL;

        if (expr == NULL)
          return -1;
        tz = job_time_zone (self);
        return nb_cron_expr_next (expr, tz, now_ms);
      }
    }
}
