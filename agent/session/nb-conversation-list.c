/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation"

#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "nb-conversation-list.h"
#include "nb-conversation-private.h"
#include "nb-session-store-private.h"

/*
 * Items are ordered by NbConversation:updated-at, newest first, then by
 * key and path, and identified by their file's path. Every file event
 * (another process's append, a compaction's rename over the file, a
 * deletion) only marks the file: it is read again in a worker thread
 * COALESCE_MS after the first event, so a file appended to many times a
 * second is read a few times a second at most. Events that come while it
 * is being read make one more read after it.
 */

#define COALESCE_MS 150

typedef struct
{
  NbConversationList *list;
  char               *path;
  guint               timeout_id;
  gboolean            reading;
  /* Changed again while it was read, or while the folder was scanned. */
  gboolean            dirty;
} Watch;

struct _NbConversationList
{
  GObject       parent_instance;

  char         *dir;
  GPtrArray    *items;      /* NbConversation, newest first */
  GHashTable   *by_path;    /* path → NbConversation, owned by items */
  GHashTable   *watches;    /* path → Watch */
  GFileMonitor *monitor;
  GCancellable *cancellable;
  gboolean      load_started;
  gboolean      scanning;
};

static void nb_conversation_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbConversationList, nb_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_conversation_list_model_init))

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  g_clear_handle_id (&watch->timeout_id, g_source_remove);
  g_free (watch->path);
  g_free (watch);
}

static void
nb_conversation_list_dispose (GObject *object)
{
  NbConversationList *self = NB_CONVERSATION_LIST (object);

  g_cancellable_cancel (self->cancellable);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  g_hash_table_remove_all (self->watches);

  G_OBJECT_CLASS (nb_conversation_list_parent_class)->dispose (object);
}

static void
nb_conversation_list_finalize (GObject *object)
{
  NbConversationList *self = NB_CONVERSATION_LIST (object);

  g_free (self->dir);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->by_path, g_hash_table_unref);
  g_clear_pointer (&self->watches, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_conversation_list_parent_class)->finalize (object);
}

static void
nb_conversation_list_class_init (NbConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_conversation_list_dispose;
  object_class->finalize = nb_conversation_list_finalize;
}

static void
nb_conversation_list_init (NbConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  self->watches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, watch_free);
  self->cancellable = g_cancellable_new ();
}

static GType
nb_conversation_list_get_item_type (GListModel *model)
{
  return NB_TYPE_CONVERSATION;
}

static guint
nb_conversation_list_get_n_items (GListModel *model)
{
  return NB_CONVERSATION_LIST (model)->items->len;
}

static gpointer
nb_conversation_list_get_item (GListModel *model,
                               guint       position)
{
  NbConversationList *self = NB_CONVERSATION_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
nb_conversation_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_conversation_list_get_item_type;
  iface->get_n_items = nb_conversation_list_get_n_items;
  iface->get_item = nb_conversation_list_get_item;
}

/**
 * nb_conversation_list_new:
 * @sessions_dir: the folder of the session files
 *
 * Returns: (transfer full): an empty list; nb_conversation_list_load_async()
 *   fills it and starts following the folder
 */
NbConversationList *
nb_conversation_list_new (const char *sessions_dir)
{
  NbConversationList *self;

  g_return_val_if_fail (sessions_dir != NULL, NULL);

  self = g_object_new (NB_TYPE_CONVERSATION_LIST, NULL);
  self->dir = g_strdup (sessions_dir);
  return self;
}

const char *
nb_conversation_list_get_dir (NbConversationList *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_LIST (self), NULL);
  return self->dir;
}

/* Ordering */

static int
compare_items (NbConversation *a,
               NbConversation *b)
{
  int order = -g_date_time_compare (nb_conversation_get_updated_at (a), nb_conversation_get_updated_at (b));

  if (order == 0)
    order = g_strcmp0 (nb_conversation_get_key (a), nb_conversation_get_key (b));
  if (order == 0)
    order = g_strcmp0 (nb_conversation_get_path (a), nb_conversation_get_path (b));
  return order;
}

/* Where @item goes among the items (which must not hold it). */
static guint
sorted_position (NbConversationList *self,
                 NbConversation     *item)
{
  guint low = 0;
  guint high = self->items->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (compare_items (g_ptr_array_index (self->items, middle), item) < 0)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

static gboolean
in_order_at (NbConversationList *self,
             guint               position)
{
  NbConversation *item = g_ptr_array_index (self->items, position);

  return (position == 0 || compare_items (g_ptr_array_index (self->items, position - 1), item) < 0) &&
         (position + 1 >= self->items->len || compare_items (item, g_ptr_array_index (self->items, position + 1)) < 0);
}

static void
insert_item (NbConversationList *self,
             NbConversation     *item)
{
  guint position = sorted_position (self, item);

  g_ptr_array_insert (self->items, position, item);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
remove_path (NbConversationList *self,
             const char         *path)
{
  NbConversation *item = g_hash_table_lookup (self->by_path, path);
  guint position;

  if (item == NULL || !g_ptr_array_find (self->items, item, &position))
    return;
  g_hash_table_remove (self->by_path, path);
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* A new item is inserted in its place; a known one is updated in place
 * and, when its date moved it, removed and inserted again. */
static void
apply_data (NbConversationList       *self,
            const NbConversationData *data)
{
  NbConversation *item = g_hash_table_lookup (self->by_path, data->path);
  guint position;

  if (item == NULL)
    {
      item = nb_conversation_new_from_data (data);
      g_hash_table_insert (self->by_path, (gpointer) nb_conversation_get_path (item), item);
      insert_item (self, item);
      return;
    }

  nb_conversation_update (item, data);
  if (!g_ptr_array_find (self->items, item, &position) || in_order_at (self, position))
    return;
  g_object_ref (item);
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  insert_item (self, item);
}

/* Re-reading one file */

typedef struct
{
  NbConversationData *data;   /* NULL: nothing to list */
  gboolean            gone;
} ReadResult;

static void
read_result_free (gpointer pointer)
{
  ReadResult *result = pointer;

  g_clear_pointer (&result->data, nb_conversation_data_free);
  g_free (result);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadResult *result = g_new0 (ReadResult, 1);
  g_autoptr(GError) error = NULL;

  result->data = nb_conversation_data_read (task_data, &error);
  /* An empty file is one being written (Python's nanobot truncates, then
   * writes): the item stays as it was until the next event. */
  result->gone = result->data == NULL &&
                 (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
                  g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE));
  if (error != NULL && !result->gone)
    g_debug ("%s", error->message);
  g_task_return_pointer (task, result, read_result_free);
}

static void watch_schedule (NbConversationList *self,
                            Watch              *watch,
                            guint               delay_ms);

static void
read_done_cb (GObject      *object,
              GAsyncResult *async_result,
              gpointer      user_data)
{
  NbConversationList *self = NB_CONVERSATION_LIST (object);
  g_autofree char *path = user_data;
  ReadResult *result = g_task_propagate_pointer (G_TASK (async_result), NULL);
  Watch *watch;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_pointer (&result, read_result_free);
      return;
    }

  if (result != NULL && result->data != NULL)
    apply_data (self, result->data);
  else if (result != NULL && result->gone)
    remove_path (self, path);
  g_clear_pointer (&result, read_result_free);

  watch = g_hash_table_lookup (self->watches, path);
  if (watch == NULL)
    return;
  watch->reading = FALSE;
  if (watch->dirty)
    watch_schedule (self, watch, COALESCE_MS);
  else
    g_hash_table_remove (self->watches, path);
}

static void
watch_read (NbConversationList *self,
            Watch              *watch)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, read_done_cb, g_strdup (watch->path));

  g_task_set_source_tag (task, watch_read);
  g_task_set_task_data (task, g_strdup (watch->path), g_free);
  watch->reading = TRUE;
  watch->dirty = FALSE;
  g_task_run_in_thread (task, read_thread);
}

static gboolean
watch_timeout_cb (gpointer user_data)
{
  Watch *watch = user_data;

  watch->timeout_id = 0;
  watch_read (watch->list, watch);
  return G_SOURCE_REMOVE;
}

/* Reads the file @delay_ms from now, unless a read is already due or
 * running (then that one, or one more after it, picks the change up). */
static void
watch_schedule (NbConversationList *self,
                Watch              *watch,
                guint               delay_ms)
{
  if (watch->reading || self->scanning)
    {
      watch->dirty = TRUE;
      return;
    }
  if (watch->timeout_id != 0)
    {
      if (delay_ms > 0)
        return;
      g_clear_handle_id (&watch->timeout_id, g_source_remove);
    }
  if (delay_ms == 0)
    {
      watch_read (self, watch);
      return;
    }
  watch->timeout_id = g_timeout_add (delay_ms, watch_timeout_cb, watch);
  g_source_set_name_by_id (watch->timeout_id, "[nanobot] conversation list re-read");
}

static void
file_changed (NbConversationList *self,
              const char         *path,
              guint               delay_ms)
{
  Watch *watch = g_hash_table_lookup (self->watches, path);

  if (watch == NULL)
    {
      watch = g_new0 (Watch, 1);
      watch->list = self;
      watch->path = g_strdup (path);
      g_hash_table_insert (self->watches, watch->path, watch);
    }
  watch_schedule (self, watch, delay_ms);
}

static void
note_file (NbConversationList *self,
           GFile              *file)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (file == NULL)
    return;
  name = g_file_get_basename (file);
  if (name == NULL || !nb_conversation_is_session_file (name))
    return;
  /* The path as the scan spells it, which identifies the item. */
  path = g_build_filename (self->dir, name, NULL);
  file_changed (self, path, COALESCE_MS);
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    gpointer           user_data)
{
  NbConversationList *self = user_data;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      note_file (self, file);
      break;
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_MOVED:
      /* A compaction: ".name.XXXXXX" (ignored) renamed over "name". */
      note_file (self, file);
      note_file (self, other_file);
      break;
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    default:
      break;
    }
}

/* Loading */

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *dir = task_data;

  /* The monitor needs the folder; the store would create it anyway. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("Could not create %s: %s", dir, g_strerror (errno));
  g_task_return_boolean (task, TRUE);
}

static void
scan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *list = nb_conversation_data_read_dir (task_data, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
scan_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  NbConversationList *self = NB_CONVERSATION_LIST (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) list = NULL;
  GHashTableIter iter;
  Watch *watch;
  GError *error = NULL;

  self->scanning = FALSE;
  list = g_task_propagate_pointer (G_TASK (result), &error);
  if (list == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (self->items->len == 0)
    {
      /* Sorted by the scan already: one items-changed. */
      for (guint i = 0; i < list->len; i++)
        {
          NbConversation *item = nb_conversation_new_from_data (g_ptr_array_index (list, i));

          g_ptr_array_add (self->items, item);
          g_hash_table_insert (self->by_path, (gpointer) nb_conversation_get_path (item), item);
        }
      if (self->items->len > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->items->len);
    }
  else
    {
      /* nb_conversation_list_update_from_session() came first. */
      for (guint i = 0; i < list->len; i++)
        apply_data (self, g_ptr_array_index (list, i));
    }

  /* Files that changed during the scan are read again. */
  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    if (watch->dirty && !watch->reading && watch->timeout_id == 0)
      watch_schedule (self, watch, COALESCE_MS);

  g_task_return_boolean (task, TRUE);
}

static void
prepared_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  NbConversationList *self = NB_CONVERSATION_LIST (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GTask) scan = NULL;
  g_autoptr(GFile) dir = g_file_new_for_path (self->dir);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Watching first, so that nothing that changes during the scan is
   * missed: those files are read again after it. */
  self->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    g_message ("Changes to %s will not be seen: %s", self->dir, error->message);
  else
    {
      g_file_monitor_set_rate_limit (self->monitor, COALESCE_MS);
      g_signal_connect (self->monitor, "changed", G_CALLBACK (monitor_changed_cb), self);
    }

  self->scanning = TRUE;
  cancellable = g_task_get_cancellable (task);
  scan = g_task_new (self, cancellable, scan_done_cb, g_steal_pointer (&task));
  g_task_set_source_tag (scan, nb_conversation_list_load_async);
  g_task_set_task_data (scan, g_strdup (self->dir), g_free);
  g_task_run_in_thread (scan, scan_thread);
}

/**
 * nb_conversation_list_load_async:
 *
 * Lists the folder in a worker thread (reading each file's metadata only)
 * and starts following it. Call it once.
 */
void
nb_conversation_list_load_async (NbConversationList  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) prepare = NULL;

  g_return_if_fail (NB_IS_CONVERSATION_LIST (self));
  g_return_if_fail (!self->load_started);

  self->load_started = TRUE;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_conversation_list_load_async);

  prepare = g_task_new (self, cancellable, prepared_cb, g_steal_pointer (&task));
  g_task_set_source_tag (prepare, nb_conversation_list_load_async);
  g_task_set_task_data (prepare, g_strdup (self->dir), g_free);
  g_task_run_in_thread (prepare, prepare_thread);
}

gboolean
nb_conversation_list_load_finish (NbConversationList  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nb_conversation_list_lookup:
 * @key: a session key
 *
 * Returns: (transfer none) (nullable): the conversation of @key
 */
NbConversation *
nb_conversation_list_lookup (NbConversationList *self,
                             const char         *key)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      NbConversation *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (nb_conversation_get_key (item), key) == 0)
        return item;
    }
  return NULL;
}

/**
 * nb_conversation_list_update_from_session:
 *
 * Shows the session as it is in memory now (after the owner appended to
 * it), without waiting for the file monitor: no file is read.
 */
void
nb_conversation_list_update_from_session (NbConversationList *self,
                                          NbSession          *session)
{
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(NbConversationData) data = NULL;

  g_return_if_fail (NB_IS_CONVERSATION_LIST (self));
  g_return_if_fail (NB_IS_SESSION (session));

  stem = nb_session_store_key_to_file_stem (nb_session_get_key (session));
  name = g_strconcat (stem, FILE_SUFFIX, NULL);
  path = g_build_filename (self->dir, name, NULL);
  data = nb_conversation_data_new_from_session (session, path);
  apply_data (self, data);
}

/**
 * nb_conversation_list_refresh_path:
 * @path: a session file in the list's folder
 *
 * Reads @path again now (in a worker thread), as if the monitor had seen
 * it change, without the delay that coalesces the monitor's events.
 */
void
nb_conversation_list_refresh_path (NbConversationList *self,
                                   const char         *path)
{
  g_autofree char *name = NULL;
  g_autofree char *canonical = NULL;

  g_return_if_fail (NB_IS_CONVERSATION_LIST (self));
  g_return_if_fail (path != NULL);

  name = g_path_get_basename (path);
  if (!nb_conversation_is_session_file (name))
    return;
  canonical = g_build_filename (self->dir, name, NULL);
  file_changed (self, canonical, 0);
}
