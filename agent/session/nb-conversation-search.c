/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation-search"
/* memmem(), memrchr() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nb-conversation-search.h"
#include "nb-file-util.h"
#include "nb-conversation.h"
#include "nb-json-util.h"

/*
 * How a query stays fast on a thousand conversations:
 *
 * - Titles are matched on the main thread from the list in memory
 *   (casefolded), so they show with the first keystroke.
 * - Files are searched by a few worker threads that take the next file
 *   from a shared counter, newest first. Each file is read with one
 *   read(2) into a buffer the thread reuses, lowercased (ASCII) into a
 *   second one, and the query is found with memmem() over the whole
 *   buffer: no line is parsed unless the raw bytes match. The query is
 *   JSON-escaped first, as it appears in the file.
 * - A raw match counts only inside the "content" of a user or assistant
 *   message line (not metadata, roles, tool results or timestamps); that
 *   line alone is then parsed, which also skips malformed lines, and the
 *   match is confirmed in the decoded text, which gives the snippet.
 * - Hits go to a queue under a mutex; the main context takes them in
 *   batches (the first at once, then at most every BATCH_MS), so a busy
 *   search costs the main loop one items-changed per batch.
 * - A new query cancels the running one (its workers stop before their
 *   next file) and a generation number drops what it had queued.
 */

#define MAX_WORKERS      4
#define BATCH_MS         30
#define SNIPPET_BEFORE   32
#define SNIPPET_AFTER    72
/* "_type" and "role" are the first member in our files and the Python
 * nanobot's; a line is only looked at so far for them. */
#define KEY_WITHIN       64

typedef struct
{
  char  *key;
  char  *title;
  char  *path;
  guint  rank;
  gboolean title_matched;
} Entry;

typedef struct
{
  gatomicrefcount  ref_count;
  guint            generation;
  GMainContext    *context;
  GCancellable    *cancellable;
  GWeakRef         search;

  Entry           *entries;
  guint            n_entries;
  char            *needle;        /* lowercased, JSON-escaped */
  gsize            needle_length;
  char            *text_needle;   /* lowercased, as in the decoded text */

  gint             next;          /* atomic: the next entry to search */
  gint             workers;       /* atomic: workers still running */

  GMutex           lock;
  GPtrArray       *pending;       /* NbConversationSearchHit, under lock */
  gboolean         flush_scheduled;
  gboolean         first_flushed;
} Job;

struct _NbConversationSearch
{
  GObject     parent_instance;

  GListModel *conversations;
  GPtrArray  *hits;
  char       *query;
  guint       generation;
  Job        *job;
  gboolean    running;
};

static void nb_conversation_search_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbConversationSearch, nb_conversation_search, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_conversation_search_model_init))

enum {
  PROP_0,
  PROP_QUERY,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Jobs */

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (Job *job)
{
  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;
  for (guint i = 0; i < job->n_entries; i++)
    {
      g_free (job->entries[i].key);
      g_free (job->entries[i].title);
      g_free (job->entries[i].path);
    }
  g_free (job->entries);
  g_free (job->needle);
  g_free (job->text_needle);
  g_ptr_array_unref (job->pending);
  g_mutex_clear (&job->lock);
  g_weak_ref_clear (&job->search);
  g_object_unref (job->cancellable);
  g_main_context_unref (job->context);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_unref)

/* Matching */

static void
ascii_lower (char       *out,
             const char *in,
             gsize       length)
{
  for (gsize i = 0; i < length; i++)
    out[i] = g_ascii_tolower (in[i]);
}

/* The query as it is written inside a JSON string. */
static char *
json_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The text of a message's content: a string, or the text parts joined. */
static char *
content_text (JsonObject *message)
{
  JsonNode *content = json_object_get_member (message, "content");
  GString *text;

  if (content == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (content));
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return NULL;

  text = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      JsonNode *part = json_array_get_element (json_node_get_array (content), i);
      const char *piece;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        continue;
      piece = nb_json_get_string (json_node_get_object (part), "text");
      if (piece == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, piece);
    }
  return g_string_free (text, FALSE);
}

/* One line of text around @match (a byte offset into @text), blanks
 * collapsed, with "…" where it was cut. */
static char *
make_snippet (const char *text,
              gsize       match,
              gsize       match_length)
{
  const char *start = text + match;
  const char *end = text + match + match_length;
  GString *snippet = g_string_new (NULL);
  gboolean blank = FALSE;

  for (guint i = 0; i < SNIPPET_BEFORE && start > text; i++)
    start = g_utf8_find_prev_char (text, start);
  for (guint i = 0; i < SNIPPET_AFTER && *end != '\0'; i++)
    end = g_utf8_next_char (end);

  if (start > text)
    g_string_append (snippet, "…");
  for (const char *p = start; p < end; p++)
    {
      if (g_ascii_isspace (*p))
        {
          if (!blank && snippet->len > 0)
            g_string_append_c (snippet, ' ');
          blank = TRUE;
          continue;
        }
      blank = FALSE;
      g_string_append_c (snippet, *p);
    }
  if (*end != '\0')
    g_string_append (snippet, "…");
  return g_string_free (snippet, FALSE);
}

/* Parses @line and looks for the query in its decoded text; a malformed
 * line, or a raw match that was only in escapes, is no match. */
static char *
confirm_line (Job        *job,
              JsonParser *parser,
              const char *line,
              gsize       length)
{
  g_autofree char *text = NULL;
  g_autofree char *lower = NULL;
  JsonNode *root;
  const char *found;
  gsize text_length;

  if (!nb_json_parser_load (parser, line, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  text = content_text (json_node_get_object (root));
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;

  text_length = strlen (text);
  lower = g_malloc (text_length + 1);
  ascii_lower (lower, text, text_length + 1);
  found = strstr (lower, job->text_needle);
  if (found == NULL)
    return NULL;
  return make_snippet (text, found - lower, strlen (job->text_needle));
}

/* A user or assistant message line: where its content's value starts and
 * ends (the end of the line for an array), or FALSE. */
static gboolean
content_region (const char  *lower_line,
                gsize        length,
                gsize       *start,
                gsize       *end)
{
  const char *role = memmem (lower_line, MIN (length, KEY_WITHIN), "\"role\"", strlen ("\"role\""));
  const char *content;
  const char *p;
  const char *line_end = lower_line + length;

  if (role == NULL)
    return FALSE;
  p = role + strlen ("\"role\"");
  while (p < line_end && (g_ascii_isspace (*p) || *p == ':'))
    p++;
  if (!(line_end - p >= 6 && memcmp (p, "\"user\"", 6) == 0) &&
      !(line_end - p >= 11 && memcmp (p, "\"assistant\"", 11) == 0))
    return FALSE;

  content = memmem (lower_line, length, "\"content\"", strlen ("\"content\""));
  if (content == NULL)
    return FALSE;
  p = content + strlen ("\"content\"");
  while (p < line_end && (g_ascii_isspace (*p) || *p == ':'))
    p++;
  if (p >= line_end)
    return FALSE;
  *start = p - lower_line;
  if (*p == '[')
    {
      *end = length;
      return TRUE;
    }
  if (*p != '"')
    return FALSE;
  for (p++; p < line_end; p++)
    {
      if (*p == '\\')
        p++;
      else if (*p == '"')
        break;
    }
  *end = MIN ((gsize) (p - lower_line), length);
  return TRUE;
}

typedef struct
{
  char  *data;
  char  *lower;
  gsize  size;
} Buffers;

static gboolean
read_file (const char *path,
           Buffers    *buffers,
           gsize      *length)
{
  struct stat st;
  gsize done = 0;
  /* As nb_file_read_bounded(), into reused buffers: a FIFO does not wait
   * for a writer, a device or a file over the session cap is skipped. */
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || (guint64) st.st_size > NB_FILE_MAX_SESSION)
    {
      close (fd);
      return FALSE;
    }
  if ((gsize) st.st_size + 1 > buffers->size)
    {
      buffers->size = MAX ((gsize) st.st_size + 1, buffers->size * 2);
      buffers->data = g_realloc (buffers->data, buffers->size);
      buffers->lower = g_realloc (buffers->lower, buffers->size);
    }
  /* One read for the whole file; more only if it grew or was cut short. */
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, buffers->data + done, st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  close (fd);
  buffers->data[done] = '\0';
  *length = done;
  return TRUE;
}

/* The snippet of the first matching message of @entry's file, or NULL. */
static char *
search_file (Job        *job,
             JsonParser *parser,
             Buffers    *buffers,
             Entry      *entry)
{
  gsize length;
  gsize pos = 0;

  if (!read_file (entry->path, buffers, &length) || length < job->needle_length)
    return NULL;
  ascii_lower (buffers->lower, buffers->data, length);

  while (pos + job->needle_length <= length)
    {
      const char *hit = memmem (buffers->lower + pos, length - pos, job->needle, job->needle_length);
      const char *line_start;
      const char *line_end;
      gsize offset, line_length, start, end;
      char *snippet;

      if (hit == NULL)
        return NULL;
      offset = hit - buffers->lower;
      line_start = memrchr (buffers->lower, '\n', offset);
      line_start = line_start != NULL ? line_start + 1 : buffers->lower;
      line_end = memchr (hit, '\n', length - offset);
      if (line_end == NULL)
        line_end = buffers->lower + length;
      line_length = line_end - line_start;

      if (!content_region (line_start, line_length, &start, &end))
        {
          pos = line_end - buffers->lower + 1;
          continue;
        }
      if (offset < (gsize) (line_start - buffers->lower) + start)
        {
          pos = line_start - buffers->lower + start;
          continue;
        }
      if (offset + job->needle_length > (gsize) (line_start - buffers->lower) + end)
        {
          pos = line_end - buffers->lower + 1;
          continue;
        }

      snippet = confirm_line (job, parser,
                              buffers->data + (line_start - buffers->lower), line_length);
      if (snippet != NULL)
        return snippet;
      pos = offset + 1;
    }
  return NULL;
}

static gboolean flush_cb (gpointer user_data);

/* Called with the lock held. */
static void
schedule_flush (Job *job,
                guint delay_ms)
{
  GSource *source;

  if (job->flush_scheduled)
    return;
  job->flush_scheduled = TRUE;
  source = delay_ms == 0 ? g_idle_source_new () : g_timeout_source_new (delay_ms);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "[nanobot] conversation search results");
  g_source_set_callback (source, flush_cb, job_ref (job), (GDestroyNotify) job_unref);
  g_source_attach (source, job->context);
  g_source_unref (source);
}

static void
worker_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  Buffers buffers = { NULL, NULL, 0 };
  guint index;

  while ((index = (guint) g_atomic_int_add (&job->next, 1)) < job->n_entries &&
         !g_cancellable_is_cancelled (cancellable))
    {
      Entry *entry = &job->entries[index];
      g_autofree char *snippet = NULL;

      if (entry->title_matched)
        continue;
      snippet = search_file (job, parser, &buffers, entry);
      if (snippet == NULL)
        continue;

      g_mutex_lock (&job->lock);
      g_ptr_array_add (job->pending, nb_conversation_search_hit_new (entry->key, entry->title, snippet, entry->rank));
      schedule_flush (job, job->first_flushed ? BATCH_MS : 0);
      g_mutex_unlock (&job->lock);
    }
  g_free (buffers.data);
  g_free (buffers.lower);

  /* worker_done_cb() of the last one schedules the flush that ends it. */
  g_atomic_int_dec_and_test (&job->workers);
  g_task_return_boolean (task, TRUE);
}

/* The model */

static GType
nb_conversation_search_get_item_type (GListModel *model)
{
  return NB_TYPE_CONVERSATION_SEARCH_HIT;
}

static guint
nb_conversation_search_get_n_items (GListModel *model)
{
  return NB_CONVERSATION_SEARCH (model)->hits->len;
}

static gpointer
nb_conversation_search_get_item (GListModel *model,
                                 guint       position)
{
  NbConversationSearch *self = NB_CONVERSATION_SEARCH (model);

  if (position >= self->hits->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->hits, position));
}

static void
nb_conversation_search_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_conversation_search_get_item_type;
  iface->get_n_items = nb_conversation_search_get_n_items;
  iface->get_item = nb_conversation_search_get_item;
}

static void
set_running (NbConversationSearch *self,
             gboolean              running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static int
compare_rank (gconstpointer a,
              gconstpointer b)
{
  guint ra = nb_conversation_search_hit_get_rank (*(NbConversationSearchHit * const *) a);
  guint rb = nb_conversation_search_hit_get_rank (*(NbConversationSearchHit * const *) b);

  return ra < rb ? -1 : ra > rb;
}

static gboolean
flush_cb (gpointer user_data)
{
  Job *job = user_data;
  g_autoptr(NbConversationSearch) self = g_weak_ref_get (&job->search);
  g_autoptr(GPtrArray) batch = NULL;
  gboolean finished;
  guint position;

  g_mutex_lock (&job->lock);
  batch = g_steal_pointer (&job->pending);
  job->pending = g_ptr_array_new_with_free_func (g_object_unref);
  job->flush_scheduled = FALSE;
  job->first_flushed = TRUE;
  finished = g_atomic_int_get (&job->workers) == 0;
  g_mutex_unlock (&job->lock);

  if (self == NULL || self->job != job || self->generation != job->generation)
    return G_SOURCE_REMOVE;

  if (batch->len > 0)
    {
      /* In the order of the list within a batch; workers run roughly in
       * that order too. */
      g_ptr_array_sort (batch, compare_rank);
      position = self->hits->len;
      g_ptr_array_extend_and_steal (self->hits, g_steal_pointer (&batch));
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, self->hits->len - position);
    }
  if (finished)
    {
      g_clear_pointer (&self->job, job_unref);
      set_running (self, FALSE);
    }
  return G_SOURCE_REMOVE;
}

static void
worker_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Job *job = user_data;

  /* The last one schedules the flush that ends the query. */
  if (g_atomic_int_get (&job->workers) == 0)
    {
      g_mutex_lock (&job->lock);
      schedule_flush (job, 0);
      g_mutex_unlock (&job->lock);
    }
  job_unref (job);
}

/* Object */

static void
cancel_job (NbConversationSearch *self)
{
  self->generation++;
  if (self->job != NULL)
    {
      g_cancellable_cancel (self->job->cancellable);
      g_clear_pointer (&self->job, job_unref);
    }
}

static void
nb_conversation_search_dispose (GObject *object)
{
  NbConversationSearch *self = NB_CONVERSATION_SEARCH (object);

  cancel_job (self);
  g_clear_object (&self->conversations);

  G_OBJECT_CLASS (nb_conversation_search_parent_class)->dispose (object);
}

static void
nb_conversation_search_finalize (GObject *object)
{
  NbConversationSearch *self = NB_CONVERSATION_SEARCH (object);

  g_ptr_array_unref (self->hits);
  g_free (self->query);

  G_OBJECT_CLASS (nb_conversation_search_parent_class)->finalize (object);
}

static void
nb_conversation_search_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  NbConversationSearch *self = NB_CONVERSATION_SEARCH (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_conversation_search_class_init (NbConversationSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = nb_conversation_search_dispose;
  object_class->finalize = nb_conversation_search_finalize;
  object_class->get_property = nb_conversation_search_get_property;

  /**
   * NbConversationSearch:query: (nullable)
   *
   * The query the model shows the results of; %NULL when there is none.
   */
  properties[PROP_QUERY] = g_param_spec_string ("query", NULL, NULL, NULL, flags);
  /**
   * NbConversationSearch:running:
   *
   * Whether files are still being searched for the query.
   */
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_conversation_search_init (NbConversationSearch *self)
{
  self->hits = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * nb_conversation_search_new:
 * @conversations: a #GListModel of #NbConversation, in the order results
 *   should come (newest first)
 *
 * Returns: (transfer full): an empty search
 */
NbConversationSearch *
nb_conversation_search_new (GListModel *conversations)
{
  NbConversationSearch *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (conversations), NULL);

  self = g_object_new (NB_TYPE_CONVERSATION_SEARCH, NULL);
  self->conversations = g_object_ref (conversations);
  return self;
}

const char *
nb_conversation_search_get_query (NbConversationSearch *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH (self), NULL);
  return self->query;
}

gboolean
nb_conversation_search_get_running (NbConversationSearch *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH (self), FALSE);
  return self->running;
}

static gboolean
title_matches (const char *title,
               const char *folded_query)
{
  g_autofree char *folded = NULL;

  if (title == NULL)
    return FALSE;
  folded = g_utf8_casefold (title, -1);
  return strstr (folded, folded_query) != NULL;
}

static void
start_job (NbConversationSearch *self,
           const char           *query)
{
  g_autofree char *folded = g_utf8_casefold (query, -1);
  g_autofree char *escaped = json_escape (query);
  guint n = g_list_model_get_n_items (self->conversations);
  g_autoptr(GPtrArray) title_hits = g_ptr_array_new_with_free_func (g_object_unref);
  Job *job = g_new0 (Job, 1);
  guint n_workers;

  g_atomic_ref_count_init (&job->ref_count);
  job->generation = self->generation;
  job->context = g_main_context_ref_thread_default ();
  job->cancellable = g_cancellable_new ();
  g_weak_ref_init (&job->search, self);
  g_mutex_init (&job->lock);
  job->pending = g_ptr_array_new_with_free_func (g_object_unref);
  job->needle = g_steal_pointer (&escaped);
  job->needle_length = strlen (job->needle);
  ascii_lower (job->needle, job->needle, job->needle_length);
  job->text_needle = g_strdup (query);
  ascii_lower (job->text_needle, job->text_needle, strlen (query));

  job->entries = g_new0 (Entry, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (self->conversations, i);
      Entry *entry = &job->entries[job->n_entries++];

      entry->key = g_strdup (nb_conversation_get_key (item));
      entry->title = g_strdup (nb_conversation_get_title (item));
      entry->path = g_strdup (nb_conversation_get_path (item));
      entry->rank = i;
      entry->title_matched = title_matches (entry->title, folded);
      if (entry->title_matched)
        g_ptr_array_add (title_hits, nb_conversation_search_hit_new (entry->key, entry->title, NULL, i));
    }

  if (title_hits->len > 0)
    {
      g_ptr_array_extend_and_steal (self->hits, g_steal_pointer (&title_hits));
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->hits->len);
    }

  self->job = job;
  set_running (self, TRUE);
  n_workers = CLAMP (g_get_num_processors (), 1, MAX_WORKERS);
  n_workers = MIN (n_workers, MAX (job->n_entries, 1));
  job->workers = n_workers;
  for (guint i = 0; i < n_workers; i++)
    {
      g_autoptr(GTask) task = g_task_new (NULL, job->cancellable, worker_done_cb, job_ref (job));

      g_task_set_source_tag (task, start_job);
      g_task_set_task_data (task, job_ref (job), (GDestroyNotify) job_unref);
      g_task_run_in_thread (task, worker_thread);
    }
}

/**
 * nb_conversation_search_set_query:
 * @query: (nullable): what to look for; %NULL or blank ends the search
 *
 * Cancels the running query, empties the model and starts this one: the
 * title matches are in the model when this returns, content matches
 * follow from worker threads.
 */
void
nb_conversation_search_set_query (NbConversationSearch *self,
                                  const char           *query)
{
  g_autofree char *stripped = NULL;
  guint removed;

  g_return_if_fail (NB_IS_CONVERSATION_SEARCH (self));

  stripped = g_strstrip (g_strdup (query != NULL ? query : ""));
  if (*stripped == '\0')
    g_clear_pointer (&stripped, g_free);
  if (g_strcmp0 (stripped, self->query) == 0)
    return;

  cancel_job (self);
  g_free (self->query);
  self->query = g_steal_pointer (&stripped);

  removed = self->hits->len;
  g_ptr_array_set_size (self->hits, 0);
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);

  if (self->query != NULL)
    start_job (self, self->query);
  else
    set_running (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUERY]);
}
