/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-cron-service-private.h"
#include "nb-file-util.h"
#include "nb-json-util.h"

/*
 * jobs.json on disk. Reading and writing happen in GTask threads. A write
 * goes to a temporary file that is synced and renamed over jobs.json
 * (g_file_set_contents_full, CONSISTENT | DURABLE), so a crash leaves the
 * old file or the new one. Writes are serialised: a change while one is
 * under way marks the store dirty and is written when it ends.
 *
 * A GFileMonitor follows the file. Each event reads it again (in a
 * thread); text equal to what this process wrote is its own write and
 * changes nothing; other text replaces the jobs. While a write is under
 * way or pending, events are left until it is done (the file may show an
 * older text of ours).
 *
 * A file that does not parse is never written over: it is copied to
 * jobs.json.corrupt-<unix time>, the error is reported, and saving stops
 * until the file parses again (fixed in an editor, or removed).
 */

#define MAX_JOBS_FILE (4 * 1024 * 1024)

typedef struct {
  char      *text;       /* NULL: no file */
  GPtrArray *jobs;       /* NULL when it did not parse */
  char      *problem;    /* why not, translated */
  gboolean   unchanged;  /* the text this process knows: not parsed */
} LoadResult;

typedef struct {
  char *path;
  char *known;  /* what the file held as far as we know */
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->path);
  g_free (data->known);
  g_free (data);
}

static GTask *
load_task_new (NbCronService       *self,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback)
{
  GTask *task = g_task_new (NULL, cancellable, callback, g_object_ref (self));
  LoadData *data = g_new0 (LoadData, 1);

  data->path = g_strdup (self->path);
  data->known = g_strdup (self->disk_text);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  return task;
}

static void
load_result_free (LoadResult *result)
{
  g_free (result->text);
  g_clear_pointer (&result->jobs, g_ptr_array_unref);
  g_free (result->problem);
  g_free (result);
}

static GPtrArray *
parse_jobs (const char  *text,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  JsonNode *root;
  JsonArray *array;

  if (!nb_json_parser_load (parser, text, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (array = nb_json_get_array (json_node_get_object (root), "jobs")) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("not an object with a “jobs” list"));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      NbCronJob *job;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("job %u is not an object"), i + 1);
          return NULL;
        }
      job = nb_cron_job_new_from_json (json_node_get_object (node), error);
      if (job == NULL)
        return NULL;
      /* Two jobs with one id: the later wins, as in the Python nanobot's merge. */
      if (g_hash_table_contains (ids, nb_cron_job_get_id (job)))
        {
          for (guint j = 0; j < jobs->len; j++)
            if (g_str_equal (nb_cron_job_get_id (jobs->pdata[j]), nb_cron_job_get_id (job)))
              g_ptr_array_remove_index (jobs, j);
        }
      g_ptr_array_add (jobs, job);
      g_hash_table_add (ids, (gpointer) nb_cron_job_get_id (job));
    }
  return g_steal_pointer (&jobs);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  const char *path = data->path;
  LoadResult *result = g_new0 (LoadResult, 1);
  g_autoptr(GError) error = NULL;
  gsize length;

  if (!nb_file_read_bounded (path, MAX_JOBS_FILE, &result->text, &length, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        result->jobs = g_ptr_array_new_with_free_func (g_object_unref);
      else
        result->problem = g_strdup (error->message);
      g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
      return;
    }
  /* Our own write, or a file already read (and backed up if broken). */
  if (data->known != NULL && g_str_equal (result->text, data->known))
    {
      result->unchanged = TRUE;
      g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
      return;
    }
  if (!g_utf8_validate (result->text, length, NULL))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("not UTF-8 text"));
  else
    result->jobs = parse_jobs (result->text, &error);
  if (result->jobs == NULL)
    {
      g_autofree char *backup = g_strdup_printf ("%s.corrupt-%" G_GINT64_FORMAT, path,
                                                 g_get_real_time () / G_USEC_PER_SEC);
      g_autofree char *shown = g_filename_display_name (path);
      g_autoptr(GError) copy_error = NULL;

      if (!g_file_test (backup, G_FILE_TEST_EXISTS) &&
          !g_file_set_contents_full (backup, result->text, length, G_FILE_SET_CONTENTS_CONSISTENT,
                                     0600, &copy_error))
        g_warning ("Could not keep a copy of %s: %s", path, copy_error->message);
      {
        g_autofree char *shown_backup = g_filename_display_name (backup);

        /* Translators: the first %s is a file, the second what is wrong with it, the third a copy of it */
        result->problem = g_strdup_printf (_("The scheduled jobs file %s cannot be read (%s). "
                                             "It is left as it is, with a copy in %s: fix it or remove it. "
                                             "Until then no change to the jobs is saved."),
                                           shown, error->message, shown_backup);
      }
    }
  g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
}

static void
apply_load (NbCronService *self,
            LoadResult    *result)
{
  if (result->jobs == NULL)
    {
      g_free (self->disk_text);
      self->disk_text = g_steal_pointer (&result->text);
      self->broken = TRUE;
      nb_cron_service_set_error (self, result->problem);
      return;
    }
  self->broken = FALSE;
  g_free (self->disk_text);
  self->disk_text = g_steal_pointer (&result->text);
  nb_cron_service_set_error (self, NULL);
  nb_cron_service_replace_jobs (self, result->jobs);
}

static void
first_load_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(NbCronService) self = user_data;
  LoadResult *result = g_task_propagate_pointer (G_TASK (res), NULL);

  self->loading = FALSE;
  self->loaded = TRUE;
  if (result != NULL && !result->unchanged)
    apply_load (self, result);
  g_clear_pointer (&result, load_result_free);
  nb_cron_service_loaded (self);
}

void
nb_cron_store_load (NbCronService *self)
{
  g_autoptr(GTask) task = load_task_new (self, NULL, first_load_cb);

  self->loading = TRUE;
  g_task_run_in_thread (task, load_thread);
}

/* Reading again at start: while the service was loaded but not started
 * nothing watched the file, and another process may have run jobs and
 * saved them meanwhile (nanobot --run-due-jobs, holding the scheduler's
 * lock). Its text wins unless a save of ours is under way. */

static void
refresh_cb (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  g_autoptr(NbCronService) self = user_data;
  LoadResult *result = g_task_propagate_pointer (G_TASK (res), NULL);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res))))
    {
      g_clear_pointer (&result, load_result_free);
      return;
    }
  if (result != NULL && !result->unchanged && !self->saving && !self->dirty &&
      (g_strcmp0 (result->text, self->disk_text) != 0 || (result->jobs == NULL) != self->broken))
    apply_load (self, result);
  g_clear_pointer (&result, load_result_free);
  nb_cron_service_begin (self);
}

void
nb_cron_store_refresh (NbCronService *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->saving || self->dirty)
    {
      nb_cron_service_begin (self);
      return;
    }
  task = load_task_new (self, self->cancellable, refresh_cb);
  g_task_run_in_thread (task, load_thread);
}

/* Watching */

static void reload (NbCronService *self);

static void
reload_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  g_autoptr(NbCronService) self = user_data;
  LoadResult *result = g_task_propagate_pointer (G_TASK (res), NULL);

  self->reloading = FALSE;
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res))))
    {
      g_clear_pointer (&result, load_result_free);
      return;
    }
  if (result != NULL && self->monitor != NULL && !self->saving && !self->dirty && !result->unchanged)
    {
      /* Our own write, or nothing new. */
      if (g_strcmp0 (result->text, self->disk_text) != 0 ||
          (result->jobs == NULL) != self->broken)
        {
          g_debug ("%s changed on disk", self->path);
          apply_load (self, result);
          nb_cron_service_rearm (self);
        }
    }
  g_clear_pointer (&result, load_result_free);
  if (self->reload_again)
    reload (self);
}

static void
reload (NbCronService *self)
{
  g_autoptr(GTask) task = NULL;

  self->reload_again = FALSE;
  if (self->reloading)
    {
      self->reload_again = TRUE;
      return;
    }
  if (self->saving || self->dirty)
    return;  /* the end of the save reads it again */
  self->reloading = TRUE;
  task = load_task_new (self, self->cancellable, reload_cb);
  g_task_run_in_thread (task, load_thread);
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    NbCronService     *self)
{
  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_RENAMED:
      reload (self);
      break;
    default:
      break;
    }
}

void
nb_cron_store_start_monitor (NbCronService *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (self->monitor != NULL)
    return;
  /* The folder must exist for inotify to watch the name in it. */
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("Could not create %s: %s", dir, g_strerror (errno));
  file = g_file_new_for_path (self->path);
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      g_debug ("Cannot watch %s: %s", self->path, error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (monitor_changed_cb), self);
  /* A change between the first read and now. */
  reload (self);
}

void
nb_cron_store_stop_monitor (NbCronService *self)
{
  if (self->monitor == NULL)
    return;
  g_signal_handlers_disconnect_by_func (self->monitor, monitor_changed_cb, self);
  g_file_monitor_cancel (self->monitor);
  g_clear_object (&self->monitor);
}

/* Writing */

static char *
serialize (NbCronService *self)
{
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonArray *jobs = json_array_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_object_set_int_member (root, "version", 1);
  for (guint i = 0; i < self->jobs->len; i++)
    json_array_add_object_element (jobs, nb_cron_job_to_json (self->jobs->pdata[i]));
  json_object_set_array_member (root, "jobs", jobs);
  json_node_set_object (node, root);
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  NbCronService *self = source_object;
  const char *text = task_data;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", dir, g_strerror (saved_errno));
      return;
    }
  if (!g_file_set_contents_full (self->path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void start_save (NbCronService *self);

static void
save_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  NbCronService *self = NB_CRON_SERVICE (source);
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;
  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the scheduled jobs: %s"), error->message);

      nb_cron_service_set_error (self, message);
    }
  if (self->dirty)
    start_save (self);
  else
    {
      nb_cron_store_flush_done (self);
      /* Events that came while saving were left for now. */
      if (self->monitor != NULL)
        reload (self);
    }
}

static void
start_save (NbCronService *self)
{
  g_autoptr(GTask) task = NULL;
  char *text;

  self->dirty = FALSE;
  if (self->broken)
    {
      nb_cron_store_flush_done (self);
      return;
    }
  text = serialize (self);
  g_free (self->disk_text);
  self->disk_text = g_strdup (text);
  self->saving = TRUE;
  task = g_task_new (self, NULL, save_cb, NULL);
  g_task_set_task_data (task, text, g_free);
  g_task_run_in_thread (task, save_thread);
}

void
nb_cron_store_save (NbCronService *self)
{
  self->dirty = TRUE;
  if (!self->saving)
    start_save (self);
}

void
nb_cron_store_flush_done (NbCronService *self)
{
  GTask *task;

  if (self->saving || self->dirty)
    return;
  while ((task = g_queue_pop_head (&self->flush_waiters)) != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}
