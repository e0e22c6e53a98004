/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-grep"
#define _GNU_SOURCE 1  /* memmem() */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "nb-file-util.h"
#include "nb-json-util.h"
#include "nb-path-guard.h"
#include "nb-search-tools.h"
#include "nb-search-util.h"

/*
 * grep: the Python nanobot's tool of that name (same parameters, defaults,
 * result texts and order), made fast for big trees:
 *
 * - the folder is walked once (names only, no stat) while worker threads
 *   (one per core) read and search the files found so far, each file read
 *   once and whole with nb_file_read_bounded();
 * - a file is searched as one buffer (memmem() for plain text, one regex
 *   match for a pattern) and only a line that the buffer search hits is
 *   matched again alone, so that the result is what a line-by-line search
 *   finds;
 * - results are put together in the walk's order as files finish, so that
 *   in content mode the workers stop as soon as the page (or the size cap)
 *   is full.
 *
 * Lines end at "\n" (a "\r" before it is not part of the line).
 */

typedef enum {
  MODE_FILES,
  MODE_CONTENT,
  MODE_COUNT,
} Mode;

struct _NbGrepTool
{
  NbTool    parent_instance;
  char     *workspace;
  gboolean  restrict_to_workspace;
};

G_DEFINE_FINAL_TYPE (NbGrepTool, nb_grep_tool, NB_TYPE_TOOL)

static gint files_read;

typedef struct
{
  char     *path;
  gboolean  done;
  gboolean  skipped_binary;
  gboolean  skipped_large;
  guint     n_matches;
  gint64    mtime;
  GPtrArray *blocks;   /* content mode */
} FileResult;

static void
file_result_free (FileResult *result)
{
  g_free (result->path);
  g_clear_pointer (&result->blocks, g_ptr_array_unref);
  g_free (result);
}

typedef struct
{
  char     *display;
  gint64    mtime;
  guint     count;
} FileMatch;

typedef struct
{
  /* The call. */
  char       *pattern;
  char       *path;
  char       *settings_workspace;
  gboolean    restrict_to_workspace;
  char       *target;
  int         target_fd;       /* the walked folder, -1 for one file */
  char       *root;
  char       *workspace;
  char       *glob;
  char       *type;
  Mode        mode;
  guint       before;
  guint       after;
  guint       limit;           /* 0: no limit */
  guint       offset;
  gsize       max_bytes;
  GRegex     *regex;           /* NULL for a plain-text search */
  char       *literal;
  gsize       literal_len;
  gboolean    prefilter;       /* the whole-buffer search is exact enough */
  gboolean    lookaround;      /* the pattern has "(?": check each hit's line alone */

  /* Under the lock: the files (FileResult) in walk order, appended while
   * the walk goes on; the next one to search and whether more will come. */
  GMutex      lock;
  GCond       more;
  GPtrArray  *files;
  guint       next_file;
  gboolean    walk_done;
  gint        stop;
  GCancellable *cancellable;
  GPtrArray  *threads;

  /* Assembly, under the lock, in walk order. */
  guint       next_done;
  GString    *out;
  guint       seen;
  guint       shown;
  gsize       chars;
  gboolean    truncated;
  gboolean    size_truncated;
  guint       skipped_binary;
  guint       skipped_large;
  GArray     *matching;        /* FileMatch */
} GrepData;

static void
file_match_clear (FileMatch *match)
{
  g_free (match->display);
}

static void
grep_data_free (GrepData *data)
{
  g_free (data->pattern);
  g_free (data->path);
  g_free (data->settings_workspace);
  g_free (data->target);
  if (data->target_fd >= 0)
    close (data->target_fd);
  g_free (data->root);
  g_free (data->workspace);
  g_free (data->glob);
  g_free (data->type);
  g_clear_pointer (&data->regex, g_regex_unref);
  g_free (data->literal);
  g_clear_pointer (&data->files, g_ptr_array_unref);
  g_clear_pointer (&data->threads, g_ptr_array_unref);
  g_mutex_clear (&data->lock);
  g_cond_clear (&data->more);
  if (data->out != NULL)
    g_string_free (data->out, TRUE);
  g_clear_pointer (&data->matching, g_array_unref);
  g_free (data);
}

/* The first line break in @data, or NULL. */
static const char *
strpbrk_len (const char *data,
             gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (data[i] == '\n' || data[i] == '\r')
      return data + i;
  return NULL;
}

/* Finds the next line at or after @pos (a line start) that matches;
 * sets its bounds (without the "\n" and a "\r" before it). */
static gboolean
next_matching_line (GrepData   *data,
                    const char *buf,
                    gsize       len,
                    gsize       pos,
                    gsize      *line_start,
                    gsize      *line_end)
{
  while (pos < len)
    {
      gboolean within = FALSE;
      gsize hit;
      const char *nl;
      const char *start;
      gsize end;

      if (data->regex == NULL)
        {
          const char *p = memmem (buf + pos, len - pos, data->literal, data->literal_len);

          if (p == NULL)
            return FALSE;
          hit = (gsize) (p - buf);
        }
      else if (data->prefilter)
        {
          g_autoptr(GMatchInfo) info = NULL;
          int match_start = 0;
          int match_end = 0;

          if (!g_regex_match_full (data->regex, buf, (gssize) len, (int) pos, 0, &info, NULL))
            return FALSE;
          g_match_info_fetch_pos (info, 0, &match_start, &match_end);
          hit = (gsize) match_start;
          /* A match within one line, by a pattern that looks no further
           * than its match, is what the line alone gives. */
          within = !data->lookaround &&
                   strpbrk_len (buf + match_start, (gsize) (match_end - match_start)) == NULL;
        }
      else
        hit = pos;

      start = buf + hit;
      while (start > buf + pos && start[-1] != '\n')
        start--;
      nl = memchr (buf + hit, '\n', len - hit);
      end = nl != NULL ? (gsize) (nl - buf) : len;
      *line_start = (gsize) (start - buf);
      *line_end = end > *line_start && buf[end - 1] == '\r' ? end - 1 : end;

      /* The buffer search may match across lines, or a "\r" at the end:
       * the line must match on its own. */
      if (within)
        return TRUE;
      if (data->regex == NULL
          ? hit + data->literal_len <= *line_end
          : g_regex_match_full (data->regex, buf + *line_start, (gssize) (*line_end - *line_start),
                                0, 0, NULL, NULL))
        return TRUE;
      pos = end + 1;
    }
  return FALSE;
}

static guint
count_newlines (const char *from,
                const char *to)
{
  guint n = 0;

  while (from < to && (from = memchr (from, '\n', (gsize) (to - from))) != NULL)
    {
      n++;
      from++;
    }
  return n;
}

static void
append_line (GString    *block,
             char        marker,
             guint       number,
             const char *start,
             const char *end)
{
  if (end > start && end[-1] == '\r')
    end--;
  g_string_append_printf (block, "\n%c %u| ", marker, number);
  g_string_append_len (block, start, end - start);
}

static char *
format_block (GrepData   *data,
              const char *display,
              const char *buf,
              gsize       len,
              gsize       line_start,
              guint       line_no)
{
  GString *block = g_string_new (NULL);
  const char *starts[21];
  const char *p = buf + line_start;
  guint n_before = 0;

  /* The lines before, nearest first. */
  while (n_before < data->before && p > buf)
    {
      const char *q = p - 1;  /* the "\n" ending the line before */

      while (q > buf && q[-1] != '\n')
        q--;
      starts[n_before++] = q;
      p = q;
    }

  g_string_append_printf (block, "%s:%u", display, line_no);
  for (guint i = n_before; i > 0; i--)
    {
      const char *s = starts[i - 1];
      const char *e = memchr (s, '\n', (gsize) (buf + len - s));

      append_line (block, ' ', line_no - i, s, e != NULL ? e : buf + len);
    }

  p = buf + line_start;
  for (guint i = 0; i <= data->after && p < buf + len; i++)
    {
      const char *e = memchr (p, '\n', (gsize) (buf + len - p));

      append_line (block, i == 0 ? '>' : ' ', line_no + i, p, e != NULL ? e : buf + len);
      if (e == NULL)
        break;
      p = e + 1;
    }
  return g_string_free (block, FALSE);
}

static void
search_buffer (GrepData   *data,
               const char *path,
               const char *buf,
               gsize       len,
               FileResult *result)
{
  g_autofree char *display = NULL;
  gsize pos = 0;
  gsize counted_to = 0;
  guint line_no = 1;
  gsize line_start;
  gsize line_end;
  gsize chars_past_offset = 0;

  while (next_matching_line (data, buf, len, pos, &line_start, &line_end))
    {
      result->n_matches++;
      if (data->mode == MODE_FILES)
        break;
      if (data->mode == MODE_CONTENT)
        {
          char *block;

          /* Stop once this file alone fills the page or the size cap
           * (see search_file_done()). */
          if (data->limit != 0 && result->n_matches > data->offset + data->limit + 1)
            break;
          if (chars_past_offset > NB_GREP_MAX_RESULT_CHARS)
            break;
          line_no += count_newlines (buf + counted_to, buf + line_start);
          counted_to = line_start;
          if (display == NULL)
            display = nb_search_display_path (data->workspace, data->root, path);
          block = format_block (data, display, buf, len, line_start, line_no);
          if (result->n_matches > data->offset)
            chars_past_offset += (gsize) g_utf8_strlen (block, -1) + 2;
          if (result->blocks == NULL)
            result->blocks = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (result->blocks, block);
        }
      pos = line_end;
      while (pos < len && buf[pos] != '\n')
        pos++;
      pos++;
    }
}

static void
search_file (GrepData   *data,
             FileResult *result)
{
  const char *path = result->path;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_atomic_int_inc (&files_read);
  /* A walked file is opened beneath the walked folder, following no link
   * (the containment of the file tools); the one file asked for by name
   * was resolved and checked like theirs. */
  if (data->target_fd >= 0)
    {
      /* The walk's paths are the target's (without a trailing "/") + "/" + … */
      gsize skip = strlen (data->target);

      while (skip > 0 && data->target[skip - 1] == '/')
        skip--;
      if (!nb_path_guard_read_walked (data->target_fd, path + skip + 1,
                                      data->restrict_to_workspace, data->max_bytes,
                                      &contents, &length, &error))
        {
          if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE))
            result->skipped_large = TRUE;
          else
            result->skipped_binary = TRUE;
          return;
        }
    }
  else if (!nb_path_guard_read (data->settings_workspace, data->restrict_to_workspace, data->path,
                                data->max_bytes, &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, NB_PATH_GUARD_ERROR, NB_PATH_GUARD_ERROR_TOO_LARGE))
        result->skipped_large = TRUE;
      else
        result->skipped_binary = TRUE;
      return;
    }
  /* Binary (a NUL, or many control characters) or not UTF-8: skipped,
   * as Python counts both. */
  if (!nb_search_is_text (contents, length) || nb_search_looks_binary_sample (contents, MIN (length, 4096)))
    {
      result->skipped_binary = TRUE;
      return;
    }
  search_buffer (data, path, contents, length, result);
  if (result->n_matches > 0 && data->mode != MODE_CONTENT)
    {
      GStatBuf st;

      if (g_lstat (path, &st) == 0)
        result->mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
}

/* Adds a finished file to the result, in walk order, as the Python loop
 * does; called under the lock. */
static void
assemble (GrepData   *data,
          FileResult *result)
{
  const char *path = result->path;

  if (result->skipped_large)
    data->skipped_large++;
  if (result->skipped_binary)
    data->skipped_binary++;
  if (result->n_matches == 0)
    return;

  if (data->mode != MODE_CONTENT)
    {
      FileMatch match = { 0 };

      match.display = nb_search_display_path (data->workspace, data->root, path);
      match.mtime = result->mtime;
      match.count = data->mode == MODE_COUNT ? result->n_matches : 1;
      g_array_append_val (data->matching, match);
      return;
    }

  for (guint i = 0; result->blocks != NULL && i < result->blocks->len; i++)
    {
      const char *block = g_ptr_array_index (result->blocks, i);
      gsize extra = data->out->len > 0 ? 2 : 0;
      gsize block_len;

      data->seen++;
      if (data->seen <= data->offset)
        continue;
      if (data->limit != 0 && data->shown >= data->limit)
        {
          data->truncated = TRUE;
          break;
        }
      block_len = g_utf8_strlen (block, -1);
      if (data->chars + extra + block_len > NB_GREP_MAX_RESULT_CHARS)
        {
          data->size_truncated = TRUE;
          break;
        }
      if (extra > 0)
        g_string_append (data->out, "\n\n");
      g_string_append (data->out, block);
      data->chars += extra + block_len;
      data->shown++;
    }
  g_clear_pointer (&result->blocks, g_ptr_array_unref);
  if (data->truncated || data->size_truncated)
    {
      g_atomic_int_set (&data->stop, TRUE);
      g_cond_broadcast (&data->more);
    }
}

/* Called under the lock. */
static void
search_file_done (GrepData   *data,
                  FileResult *result)
{
  result->done = TRUE;
  while (data->next_done < data->files->len && !g_atomic_int_get (&data->stop))
    {
      FileResult *next = g_ptr_array_index (data->files, data->next_done);

      if (!next->done)
        break;
      assemble (data, next);
      data->next_done++;
    }
}

static gpointer
worker (gpointer user_data)
{
  GrepData *data = user_data;
  FileResult *result = NULL;

  g_mutex_lock (&data->lock);
  for (;;)
    {
      if (result != NULL)
        search_file_done (data, result);
      while (data->next_file >= data->files->len && !data->walk_done && !g_atomic_int_get (&data->stop))
        g_cond_wait (&data->more, &data->lock);
      if (data->next_file >= data->files->len || g_atomic_int_get (&data->stop) ||
          g_cancellable_is_cancelled (data->cancellable))
        break;
      result = g_ptr_array_index (data->files, data->next_file++);
      g_mutex_unlock (&data->lock);
      search_file (data, result);
      g_mutex_lock (&data->lock);
    }
  g_mutex_unlock (&data->lock);
  return NULL;
}

/* Small trees are not worth a thread; big ones use every core (a file's
 * read and search is mostly CPU once it is in the page cache). */
#define FILES_BEFORE_THREADS 64

static void
start_workers (GrepData *data)
{
  /* With the walking thread, which searches once the walk is done: one
   * thread per core. */
  guint n = CLAMP (g_get_num_processors (), 2, 8) - 1;

  for (guint i = 0; i < n; i++)
    {
      GThread *thread = g_thread_try_new ("nb-grep", worker, data, NULL);

      if (thread != NULL)
        g_ptr_array_add (data->threads, thread);
    }
}

static gboolean
collect_cb (const NbSearchEntry *entry,
            gpointer             user_data)
{
  GrepData *data = user_data;
  FileResult *result;

  if (data->glob != NULL && !nb_search_glob_match (entry->rel, entry->name, data->glob))
    return TRUE;
  if (!nb_search_type_match (entry->name, data->type))
    return TRUE;

  result = g_new0 (FileResult, 1);
  result->path = g_strdup (entry->path);
  g_mutex_lock (&data->lock);
  g_ptr_array_add (data->files, result);
  g_cond_signal (&data->more);
  g_mutex_unlock (&data->lock);
  /* The workers search while the walk goes on. */
  if (data->files->len == FILES_BEFORE_THREADS)
    start_workers (data);
  /* Content mode may be complete before the walk is. */
  return !g_atomic_int_get (&data->stop);
}

static int
compare_matches (gconstpointer a,
                 gconstpointer b)
{
  const FileMatch *x = a;
  const FileMatch *y = b;

  if (x->mtime != y->mtime)
    return x->mtime > y->mtime ? -1 : 1;
  return strcmp (x->display, y->display);
}

static char *
finish_result (GrepData *data)
{
  GString *out;
  gboolean truncated = data->truncated;
  gsize total = 0;

  if (data->mode == MODE_CONTENT)
    {
      out = g_string_new (data->out->str);
    }
  else
    {
      guint end;

      g_array_sort (data->matching, compare_matches);
      out = g_string_new (NULL);
      end = data->limit == 0 ? data->matching->len : MIN (data->matching->len, data->offset + data->limit);
      truncated = data->limit != 0 && data->matching->len > data->offset + data->limit;
      for (guint i = data->offset; i < end; i++)
        {
          FileMatch *match = &g_array_index (data->matching, FileMatch, i);

          if (out->len > 0)
            g_string_append_c (out, '\n');
          g_string_append (out, match->display);
          if (data->mode == MODE_COUNT)
            g_string_append_printf (out, ": %u", match->count);
        }
      for (guint i = 0; i < data->matching->len; i++)
        total += g_array_index (data->matching, FileMatch, i).count;
    }

  if ((data->mode == MODE_CONTENT && data->shown == 0) ||
      (data->mode != MODE_CONTENT && data->matching->len == 0))
    {
      g_string_free (out, TRUE);
      out = g_string_new (NULL);
      g_string_printf (out, "No matches found for pattern '%s' in %s", data->pattern, data->path);
    }

  {
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);

    if (truncated)
      g_ptr_array_add (notes, g_strdup_printf ("(pagination: limit=%u, offset=%u)", data->limit, data->offset));
    else if (data->mode == MODE_CONTENT && data->size_truncated)
      g_ptr_array_add (notes, g_strdup ("(output truncated due to size)"));
    else if (data->offset > 0 && (data->mode != MODE_CONTENT || data->shown > 0))
      g_ptr_array_add (notes, g_strdup_printf ("(pagination: offset=%u)", data->offset));
    if (data->skipped_binary > 0)
      g_ptr_array_add (notes, g_strdup_printf ("(skipped %u binary/unreadable files)", data->skipped_binary));
    if (data->skipped_large > 0)
      g_ptr_array_add (notes, g_strdup_printf ("(skipped %u large files)", data->skipped_large));
    if (data->mode == MODE_COUNT && data->matching->len > 0)
      g_ptr_array_add (notes, g_strdup_printf ("(total matches: %" G_GSIZE_FORMAT " in %u files)",
                                               total, data->matching->len));
    for (guint i = 0; i < notes->len; i++)
      g_string_append_printf (out, i == 0 ? "\n\n%s" : "\n%s", (char *) g_ptr_array_index (notes, i));
  }
  return g_string_free (out, FALSE);
}

static void
grep_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GrepData *data = task_data;
  g_autofree char *failure = NULL;
  gboolean is_dir = FALSE;

  failure = nb_search_resolve (data->settings_workspace, data->restrict_to_workspace, data->path,
                               &data->target, &data->root, &data->workspace, &is_dir);
  if (failure != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&failure), g_free);
      return;
    }
  data->max_bytes = is_dir ? NB_GREP_MAX_FILE_BYTES : NB_GREP_MAX_EXPLICIT_FILE_BYTES;
  data->cancellable = cancellable;
  if (is_dir)
    {
      data->target_fd = open (data->target, O_PATH | O_DIRECTORY | O_CLOEXEC);
      nb_search_walk (data->target, FALSE, cancellable, collect_cb, data);
    }
  else
    {
      g_autofree char *name = g_path_get_basename (data->target);
      NbSearchEntry entry = { data->target, name, name, FALSE };

      collect_cb (&entry, data);
    }

  g_mutex_lock (&data->lock);
  data->walk_done = TRUE;
  g_cond_broadcast (&data->more);
  g_mutex_unlock (&data->lock);
  /* This thread searches too (alone for a small tree). */
  worker (data);
  for (guint i = 0; i < data->threads->len; i++)
    g_thread_join (g_ptr_array_index (data->threads, i));

  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, finish_result (data), g_free);
}

static void
return_text (GTask *task,
             char  *text)
{
  g_task_return_pointer (task, text, g_free);
}

/* A pattern without regex syntax is searched as plain text. */
static gboolean
is_plain (const char *pattern)
{
  return strpbrk (pattern, "\\^$.|?*+()[]{}") == NULL;
}

static void
nb_grep_tool_execute_async (NbTool              *tool,
                            JsonObject          *arguments,
                            const NbToolContext *context,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  NbGrepTool *self = NB_GREP_TOOL (tool);
  g_autoptr(GTask) task = g_task_new (tool, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  const char *pattern = nb_json_get_string (arguments, "pattern");
  const char *path = nb_json_get_string (arguments, "path");
  const char *mode = nb_json_get_string_or (arguments, "output_mode", "files_with_matches");
  const char *glob = nb_json_get_string (arguments, "glob");
  const char *type = nb_json_get_string (arguments, "type");
  gboolean case_insensitive = nb_json_get_boolean (arguments, "case_insensitive");
  gboolean fixed = nb_json_get_boolean (arguments, "fixed_strings");
  GrepData *data;
  gint64 limit;

  g_task_set_source_tag (task, nb_grep_tool_execute_async);
  if (pattern == NULL || pattern[0] == '\0')
    {
      return_text (task, g_strdup ("Error: missing string parameter 'pattern'"));
      return;
    }
  if (path == NULL || path[0] == '\0')
    path = ".";

  data = g_new0 (GrepData, 1);
  data->target_fd = -1;
  g_mutex_init (&data->lock);
  g_cond_init (&data->more);
  g_task_set_task_data (task, data, (GDestroyNotify) grep_data_free);
  data->pattern = g_strdup (pattern);
  data->path = g_strdup (path);
  data->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_result_free);
  data->threads = g_ptr_array_new ();
  data->out = g_string_new (NULL);
  data->matching = g_array_new (FALSE, TRUE, sizeof (FileMatch));
  g_array_set_clear_func (data->matching, (GDestroyNotify) file_match_clear);

  if (fixed || (!case_insensitive && is_plain (pattern)))
    {
      if (case_insensitive)
        {
          g_autofree char *escaped = g_regex_escape_string (pattern, -1);

          data->regex = g_regex_new (escaped, G_REGEX_CASELESS | G_REGEX_MULTILINE | G_REGEX_NEWLINE_ANYCRLF |
                                  G_REGEX_OPTIMIZE, 0, &error);
          data->prefilter = TRUE;
        }
      else
        {
          data->literal = g_strdup (pattern);
          data->literal_len = strlen (pattern);
        }
    }
  else
    {
      data->regex = g_regex_new (pattern, (case_insensitive ? G_REGEX_CASELESS : 0) | G_REGEX_MULTILINE |
                                 G_REGEX_NEWLINE_ANYCRLF | G_REGEX_OPTIMIZE, 0, &error);
      /* Anchors to the whole text and look-behinds see past a line's
       * start in the buffer: such patterns are matched line by line. */
      data->prefilter = strstr (pattern, "\\A") == NULL && strstr (pattern, "\\Z") == NULL &&
                        strstr (pattern, "\\z") == NULL && strstr (pattern, "\\G") == NULL &&
                        strstr (pattern, "(?<") == NULL;
      data->lookaround = strstr (pattern, "(?") != NULL;
    }
  if (error != NULL)
    {
      return_text (task, g_strdup_printf ("Error: invalid regex pattern: %s", error->message));
      return;
    }
  if (data->literal != NULL && strchr (data->literal, '\n') != NULL)
    {
      /* No line holds a newline. */
      g_clear_pointer (&data->literal, g_free);
      data->literal = g_strdup ("\n");
      data->literal_len = 1;
    }

  data->mode = g_strcmp0 (mode, "content") == 0 ? MODE_CONTENT
               : g_strcmp0 (mode, "count") == 0 ? MODE_COUNT : MODE_FILES;
  data->before = (guint) CLAMP (nb_search_get_int (arguments, "context_before", 0), 0, 20);
  data->after = (guint) CLAMP (nb_search_get_int (arguments, "context_after", 0), 0, 20);
  limit = nb_search_get_int (arguments, "head_limit", -1);
  if (limit < 0 && data->mode == MODE_CONTENT)
    limit = nb_search_get_int (arguments, "max_matches", -1);
  else if (limit < 0)
    limit = nb_search_get_int (arguments, "max_results", -1);
  data->limit = limit < 0 ? NB_GREP_DEFAULT_LIMIT : (guint) MIN (limit, 1000);
  data->offset = (guint) CLAMP (nb_search_get_int (arguments, "offset", 0), 0, 100000);
  data->settings_workspace = g_strdup (self->workspace);
  data->restrict_to_workspace = self->restrict_to_workspace;
  if (glob != NULL && glob[0] != '\0')
    data->glob = g_strdup (glob);
  if (type != NULL && type[0] != '\0')
    data->type = g_strdup (type);

  g_task_run_in_thread (task, grep_thread);
}

static void
nb_grep_tool_finalize (GObject *object)
{
  NbGrepTool *self = NB_GREP_TOOL (object);

  g_free (self->workspace);
  G_OBJECT_CLASS (nb_grep_tool_parent_class)->finalize (object);
}

static void
nb_grep_tool_class_init (NbGrepToolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_grep_tool_finalize;
  NB_TOOL_CLASS (klass)->execute_async = nb_grep_tool_execute_async;
}

static void
nb_grep_tool_init (NbGrepTool *self)
{
}

/**
 * nb_grep_tool_get_files_read:
 *
 * Returns: how many files grep has opened in this process
 */
guint
nb_grep_tool_get_files_read (void)
{
  return (guint) g_atomic_int_get (&files_read);
}

/**
 * nb_grep_tool_new:
 * @workspace: (nullable): the folder relative paths resolve against
 * @restrict_to_workspace: refuse paths outside @workspace
 *
 * Returns: (transfer full): the grep tool (read-only)
 */
NbTool *
nb_grep_tool_new (const char *workspace,
                  gboolean    restrict_to_workspace)
{
  g_autoptr(JsonObject) parameters = nb_tool_parse_schema (
    "{\"type\": \"object\","
    " \"properties\": {"
    "  \"pattern\": {\"type\": \"string\", \"description\": \"Regex or plain text pattern to search for\", "
    "\"minLength\": 1},"
    "  \"path\": {\"type\": \"string\", \"description\": \"File or directory to search in (default '.')\"},"
    "  \"glob\": {\"type\": \"string\", \"description\": \"Optional file filter, e.g. '*.py' or 'tests/**/test_*.py'\"},"
    "  \"type\": {\"type\": \"string\", \"description\": \"Optional file type shorthand, e.g. 'py', 'ts', 'md', 'json'\"},"
    "  \"case_insensitive\": {\"type\": \"boolean\", \"description\": \"Case-insensitive search (default false)\"},"
    "  \"fixed_strings\": {\"type\": \"boolean\", \"description\": \"Treat pattern as plain text instead of regex "
    "(default false)\"},"
    "  \"output_mode\": {\"type\": \"string\", \"enum\": [\"content\", \"files_with_matches\", \"count\"], "
    "\"description\": \"content: matching lines with optional context; files_with_matches: only matching file "
    "paths; count: matching line counts per file. Default: files_with_matches\"},"
    "  \"context_before\": {\"type\": \"integer\", \"description\": \"Number of lines of context before each match\", "
    "\"minimum\": 0, \"maximum\": 20},"
    "  \"context_after\": {\"type\": \"integer\", \"description\": \"Number of lines of context after each match\", "
    "\"minimum\": 0, \"maximum\": 20},"
    "  \"max_matches\": {\"type\": \"integer\", \"description\": \"Legacy alias for head_limit in content mode\", "
    "\"minimum\": 1, \"maximum\": 1000},"
    "  \"max_results\": {\"type\": \"integer\", \"description\": \"Legacy alias for head_limit in files_with_matches "
    "or count mode\", \"minimum\": 1, \"maximum\": 1000},"
    "  \"head_limit\": {\"type\": \"integer\", \"description\": \"Maximum number of results to return. In content "
    "mode this limits matching line blocks; in other modes it limits file entries. Default 250\", "
    "\"minimum\": 0, \"maximum\": 1000},"
    "  \"offset\": {\"type\": \"integer\", \"description\": \"Skip the first N results before applying head_limit\", "
    "\"minimum\": 0, \"maximum\": 100000}},"
    " \"required\": [\"pattern\"]}");
  NbGrepTool *self = g_object_new (NB_TYPE_GREP_TOOL,
                                   "name", "grep",
                                   "description",
                                   "Search file contents with a regex pattern. "
                                   "Default output_mode is files_with_matches (file paths only); "
                                   "use content mode for matching lines with context. Prefer this "
                                   "over shell grep for ordinary workspace searches. "
                                   "Binary and file-size limits are enforced by the tool; explicit file paths "
                                   "use a larger bounded limit than directory searches. Supports glob/type filtering.",
                                   "parameters", parameters,
                                   "side-effects", FALSE,
                                   NULL);

  self->workspace = g_strdup (workspace);
  self->restrict_to_workspace = restrict_to_workspace;
  return NB_TOOL (self);
}
