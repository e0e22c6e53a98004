/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-search"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nb-json-util.h"
#include "nb-path-guard.h"
#include "nb-search-util.h"

/* Folders nested deeper than this are not entered (each level holds one
 * open descriptor while its children are walked). */
#define MAX_DEPTH 128

static const char * const ignored_dirs[] = {
  ".git", "node_modules", "__pycache__", ".venv", "venv",
  "dist", "build", ".tox", ".mypy_cache", ".pytest_cache",
  ".ruff_cache", ".coverage", "htmlcov",
};

gboolean
nb_search_is_ignored_dir (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (ignored_dirs); i++)
    if (strcmp (name, ignored_dirs[i]) == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  gboolean           with_dirs;
  GCancellable      *cancellable;
  NbSearchVisitFunc  visit;
  gpointer           user_data;
  GString           *path;   /* absolute, of the folder being walked */
  gsize              root_len;
  gboolean           stopped;
} Walk;

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static const char *
rel_of (Walk *walk)
{
  const char *rel = walk->path->str + walk->root_len;

  return rel[0] == '/' ? rel + 1 : rel;
}

static gboolean
visit_entry (Walk       *walk,
             const char *name,
             gboolean    is_dir)
{
  NbSearchEntry entry;

  entry.path = walk->path->str;
  entry.rel = rel_of (walk);
  entry.name = name;
  entry.is_dir = is_dir;
  if (!walk->visit (&entry, walk->user_data))
    walk->stopped = TRUE;
  return !walk->stopped;
}

/* @fd is an open folder (taken), walk->path its path. */
static void
walk_dir (Walk *walk,
          int   fd,
          guint depth)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  struct dirent *d;
  gsize base_len;
  DIR *dir;

  if (walk->stopped || g_cancellable_is_cancelled (walk->cancellable))
    {
      close (fd);
      walk->stopped = TRUE;
      return;
    }

  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }
  while ((d = readdir (dir)) != NULL)
    {
      unsigned char type = d->d_type;

      if (strcmp (d->d_name, ".") == 0 || strcmp (d->d_name, "..") == 0)
        continue;
      if (type == DT_UNKNOWN)
        {
          struct stat st;

          if (fstatat (dirfd (dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          type = S_ISDIR (st.st_mode) ? DT_DIR : S_ISREG (st.st_mode) ? DT_REG : DT_LNK;
        }
      /* Symbolic links (and devices, FIFOs, sockets) are never followed
       * nor listed: nothing outside the root can be reached. */
      if (type == DT_REG)
        g_ptr_array_add (files, g_strdup (d->d_name));
      else if (type == DT_DIR && !nb_search_is_ignored_dir (d->d_name))
        g_ptr_array_add (dirs, g_strdup (d->d_name));
    }

  g_ptr_array_sort (files, compare_names);
  g_ptr_array_sort (dirs, compare_names);

  base_len = walk->path->len;
  for (guint i = 0; i < files->len && !walk->stopped; i++)
    {
      const char *name = g_ptr_array_index (files, i);

      g_string_append_c (walk->path, '/');
      g_string_append (walk->path, name);
      visit_entry (walk, name, FALSE);
      g_string_truncate (walk->path, base_len);
    }

  for (guint i = 0; i < dirs->len && !walk->stopped && depth < MAX_DEPTH; i++)
    {
      const char *name = g_ptr_array_index (dirs, i);
      int child = openat (dirfd (dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

      if (child < 0)
        continue;
      g_string_append_c (walk->path, '/');
      g_string_append (walk->path, name);
      if (!walk->with_dirs || visit_entry (walk, name, TRUE))
        walk_dir (walk, child, depth + 1);
      else
        close (child);
      g_string_truncate (walk->path, base_len);
    }
  closedir (dir);
}

void
nb_search_walk (const char        *root,
                gboolean           with_dirs,
                GCancellable      *cancellable,
                NbSearchVisitFunc  visit,
                gpointer           user_data)
{
  g_autofree char *base = NULL;
  Walk walk = { 0 };
  int fd;

  g_return_if_fail (root != NULL);
  g_return_if_fail (visit != NULL);

  walk.with_dirs = with_dirs;
  walk.cancellable = cancellable;
  walk.visit = visit;
  walk.user_data = user_data;
  walk.path = g_string_new (root);
  /* "/" walks as "" + "/name". */
  while (walk.path->len > 1 && walk.path->str[walk.path->len - 1] == '/')
    g_string_truncate (walk.path, walk.path->len - 1);
  if (strcmp (walk.path->str, "/") == 0)
    g_string_truncate (walk.path, 0);
  walk.root_len = walk.path->len;

  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      base = g_path_get_basename (root);
      if (!with_dirs || visit_entry (&walk, base, TRUE))
        walk_dir (&walk, fd, 0);
      else
        close (fd);
    }
  g_string_free (walk.path, TRUE);
}

/* Matches path segments [si, n_s) against pattern segments [pi, n_p);
 * "**" is zero or more segments. */
static gboolean
match_segments (char  **p,
                guint   pi,
                guint   n_p,
                char  **s,
                guint   si,
                guint   n_s)
{
  while (pi < n_p)
    {
      if (strcmp (p[pi], "**") == 0)
        {
          /* Collapse runs of "**". */
          while (pi + 1 < n_p && strcmp (p[pi + 1], "**") == 0)
            pi++;
          if (pi + 1 == n_p)
            return TRUE;
          for (guint k = si; k <= n_s; k++)
            if (match_segments (p, pi + 1, n_p, s, k, n_s))
              return TRUE;
          return FALSE;
        }
      if (si >= n_s || fnmatch (p[pi], s[si], 0) != 0)
        return FALSE;
      pi++;
      si++;
    }
  return si == n_s;
}

gboolean
nb_search_glob_match (const char *rel,
                      const char *name,
                      const char *pattern)
{
  g_autofree char *normalized = NULL;
  g_auto(GStrv) p = NULL;
  g_auto(GStrv) s = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  gboolean anchored;

  if (pattern == NULL)
    return TRUE;
  normalized = g_strstrip (g_strdelimit (g_strdup (pattern), "\\", '/'));
  if (normalized[0] == '\0')
    return FALSE;
  if (strchr (normalized, '/') == NULL && !g_str_has_prefix (normalized, "**"))
    return fnmatch (normalized, name, 0) == 0;

  /* A relative pattern matches from the right, as PurePath.match():
   * "src/x*.c" matches "lib/src/x1.c" (an implicit leading "**"). */
  anchored = normalized[0] == '/';
  segments = g_ptr_array_new_with_free_func (g_free);
  if (!anchored)
    g_ptr_array_add (segments, g_strdup ("**"));
  p = g_strsplit (normalized, "/", -1);
  for (guint i = 0; p[i] != NULL; i++)
    if (p[i][0] != '\0')
      g_ptr_array_add (segments, g_strdup (p[i]));
  g_ptr_array_add (segments, NULL);

  s = g_strsplit (rel, "/", -1);
  return match_segments ((char **) segments->pdata, 0, segments->len - 1,
                         s, 0, g_strv_length (s));
}

typedef struct
{
  const char *type;
  const char *globs;  /* space-separated */
} TypeGlobs;

static const TypeGlobs type_globs[] = {
  { "py", "*.py *.pyi" },
  { "python", "*.py *.pyi" },
  { "js", "*.js *.jsx *.mjs *.cjs" },
  { "ts", "*.ts *.tsx *.mts *.cts" },
  { "tsx", "*.tsx" },
  { "jsx", "*.jsx" },
  { "json", "*.json" },
  { "md", "*.md *.mdx" },
  { "markdown", "*.md *.mdx" },
  { "go", "*.go" },
  { "rs", "*.rs" },
  { "rust", "*.rs" },
  { "java", "*.java" },
  { "sh", "*.sh *.bash" },
  { "yaml", "*.yaml *.yml" },
  { "yml", "*.yaml *.yml" },
  { "toml", "*.toml" },
  { "sql", "*.sql" },
  { "html", "*.html *.htm" },
  { "css", "*.css *.scss *.sass" },
};

gboolean
nb_search_type_match (const char *name,
                      const char *type)
{
  g_autofree char *stripped = NULL;
  g_autofree char *lowered = NULL;
  g_autofree char *lower_name = NULL;
  g_auto(GStrv) globs = NULL;

  if (type == NULL)
    return TRUE;
  stripped = g_strstrip (g_strdup (type));
  if (stripped[0] == '\0')
    return TRUE;
  lowered = g_utf8_strdown (stripped, -1);
  lower_name = g_utf8_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (type_globs); i++)
    if (strcmp (lowered, type_globs[i].type) == 0)
      {
        globs = g_strsplit (type_globs[i].globs, " ", -1);
        break;
      }
  if (globs == NULL)
    {
      globs = g_new0 (char *, 2);
      globs[0] = g_strdup_printf ("*.%s", lowered);
    }
  for (guint i = 0; globs[i] != NULL; i++)
    if (fnmatch (globs[i], lower_name, 0) == 0)
      return TRUE;
  return FALSE;
}

static const char *
relative_to (const char *base,
             const char *path)
{
  gsize n = strlen (base);

  while (n > 1 && base[n - 1] == '/')
    n--;
  if (strncmp (path, base, n) != 0)
    return NULL;
  if (path[n] == '\0')
    return ".";
  if (path[n] == '/')
    return path + n + 1;
  if (n == 1 && base[0] == '/')
    return path + 1;
  return NULL;
}

char *
nb_search_display_path (const char *workspace,
                        const char *root,
                        const char *path)
{
  const char *rel = NULL;

  if (workspace != NULL)
    rel = relative_to (workspace, path);
  if (rel == NULL)
    rel = relative_to (root, path);
  return g_strdup (rel != NULL ? rel : path);
}

char *
nb_search_pagination_note (guint    limit,
                           guint    offset,
                           gboolean truncated)
{
  if (truncated)
    {
      if (limit == 0)
        return g_strdup_printf ("(pagination: offset=%u)", offset);
      return g_strdup_printf ("(pagination: limit=%u, offset=%u)", limit, offset);
    }
  if (offset > 0)
    return g_strdup_printf ("(pagination: offset=%u)", offset);
  return NULL;
}

#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

gboolean
nb_search_is_text (const char *data,
                   gsize       length)
{
  gsize i = 0;

  while (i < length)
    {
      guchar c;
      gunichar u;

      /* Eight bytes at a time while they are ASCII without NUL (most of
       * a source file is), one character at a time otherwise. */
      for (; i + 8 <= length; i += 8)
        {
          guint64 word;

          memcpy (&word, data + i, 8);
          if ((word & HIGHS) != 0 || ((word - ONES) & ~word & HIGHS) != 0)
            break;
        }
      if (i >= length)
        break;
      c = (guchar) data[i];
      if (c == 0)
        return FALSE;
      if (c < 0x80)
        {
          i++;
          continue;
        }
      u = g_utf8_get_char_validated (data + i, (gssize) (length - i));
      if (u == (gunichar) -1 || u == (gunichar) -2)
        return FALSE;
      i += g_utf8_skip[c];
    }
  return TRUE;
}

gboolean
nb_search_looks_binary (const char *data,
                        gsize       length)
{
  if (memchr (data, '\0', length) != NULL)
    return TRUE;
  return nb_search_looks_binary_sample (data, MIN (length, 4096));
}

/* How many bytes of @x are control characters as Python counts them
 * (below 9, or 14 to 31), eight at a time: each byte's low seven bits
 * plus a constant sets its high bit exactly when it is at least the
 * threshold (no carry crosses bytes); bytes of 128 and more never count. */
static inline guint
control_bytes (guint64 x)
{
  guint64 y = x & ~HIGHS;
  guint64 ge9 = (y + 0x77 * ONES) & HIGHS;
  guint64 ge14 = (y + 0x72 * ONES) & HIGHS;
  guint64 ge32 = (y + 0x60 * ONES) & HIGHS;
  guint64 control = ((~ge9 & HIGHS) | (ge14 & ~ge32)) & ~x & HIGHS;

  /* One bit per byte, at the top: gather them into the top byte (no
   * hardware popcount is assumed). */
  return (guint) (((control >> 7) * ONES) >> 56);
}

gboolean
nb_search_looks_binary_sample (const char *data,
                               gsize       sample)
{
  gsize control = 0;
  gsize i = 0;

  if (sample == 0)
    return FALSE;
  for (; i + 8 <= sample; i += 8)
    {
      guint64 word;

      memcpy (&word, data + i, 8);
      control += control_bytes (word);
    }
  for (; i < sample; i++)
    {
      guchar c = (guchar) data[i];

      if (c < 9 || (c > 13 && c < 32))
        control++;
    }
  return control * 5 > sample;
}

gint64
nb_search_get_int (JsonObject *arguments,
                   const char *member,
                   gint64      fallback)
{
  JsonNode *node = arguments != NULL ? json_object_get_member (arguments, member) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return fallback;
  return nb_json_get_int (arguments, member);
}

char *
nb_search_resolve (const char  *workspace,
                   gboolean     restrict_to_workspace,
                   const char  *path,
                   char       **target,
                   char       **root,
                   char       **canonical_workspace,
                   gboolean    *is_dir)
{
  g_autoptr(GError) error = NULL;
  struct stat st;

  *target = nb_path_guard_resolve (workspace, restrict_to_workspace, path, TRUE, &error);
  if (*target == NULL)
    return g_strdup_printf ("Error: %s", error->message);
  if (stat (*target, &st) != 0)
    return g_strdup_printf ("Error: Path not found: %s", path);
  if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode))
    return g_strdup_printf ("Error: Unsupported path: %s", path);

  *is_dir = S_ISDIR (st.st_mode);
  *root = *is_dir ? g_strdup (*target) : g_path_get_dirname (*target);
  if (workspace != NULL && workspace[0] != '\0')
    {
      g_autofree char *absolute = nb_path_guard_expand (NULL, workspace);

      *canonical_workspace = nb_path_guard_canonicalize (absolute, TRUE, NULL);
    }
  return NULL;
}
