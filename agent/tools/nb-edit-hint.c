/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-file-tools"

#include "config.h"

#include <string.h>

#include "nb-edit-hint.h"

/* The "did you mean" hint of edit_file runs on the main loop, so its work
 * is bounded whatever the file: each line is compared by its first
 * EDIT_HINT_LINE_BYTES bytes only, at most EDIT_HINT_MAX_LINES lines of the
 * file are searched, and at most EDIT_HINT_MAX_PAIRS line pairs are
 * compared (with many starting lines, fewer lines of old_text locate the
 * match). On a 1 MB single-line file or 100 000 short lines this stays
 * well under a few milliseconds. Lines shown in the diff are cut too. */
#define EDIT_HINT_LINE_BYTES 256
#define EDIT_HINT_MAX_LINES  5000
#define EDIT_HINT_MAX_PAIRS  20000
#define EDIT_HINT_SHOWN_BYTES 400

static int
compare_bigrams (gconstpointer a,
                 gconstpointer b)
{
  return (int) *(const guint16 *) a - (int) *(const guint16 *) b;
}

/* Character bigrams of a line's first EDIT_HINT_LINE_BYTES bytes, sorted,
 * for a Dice similarity. */
static GArray *
line_bigrams (const char *line)
{
  g_autofree char *trimmed = g_strstrip (g_strndup (line, EDIT_HINT_LINE_BYTES));
  GArray *bigrams = g_array_new (FALSE, FALSE, sizeof (guint16));
  gsize len = strlen (trimmed);

  for (gsize i = 0; i + 1 < len; i++)
    {
      guint16 pair = ((guchar) trimmed[i] << 8) | (guchar) trimmed[i + 1];

      g_array_append_val (bigrams, pair);
    }
  if (bigrams->len > 1)
    qsort (bigrams->data, bigrams->len, sizeof (guint16), compare_bigrams);
  return bigrams;
}

static double
line_similarity (const char *a,
                 GArray     *ba,
                 const char *b,
                 GArray     *bb)
{
  guint i = 0, j = 0, common = 0;

  if (strncmp (a, b, EDIT_HINT_LINE_BYTES) == 0)
    return 1.0;
  if (ba->len + bb->len == 0)
    {
      g_autofree char *ta = g_strstrip (g_strndup (a, EDIT_HINT_LINE_BYTES));
      g_autofree char *tb = g_strstrip (g_strndup (b, EDIT_HINT_LINE_BYTES));

      return g_str_equal (ta, tb) ? 1.0 : 0.0;
    }
  while (i < ba->len && j < bb->len)
    {
      guint16 x = g_array_index (ba, guint16, i);
      guint16 y = g_array_index (bb, guint16, j);

      if (x == y)
        common++, i++, j++;
      else if (x < y)
        i++;
      else
        j++;
    }
  return 2.0 * common / (ba->len + bb->len);
}

/* One line of the diff, cut after EDIT_HINT_SHOWN_BYTES (at a character). */
static void
append_diff_line (GString    *out,
                  char        mark,
                  const char *line)
{
  gsize len = strlen (line);

  g_string_append_c (out, '\n');
  g_string_append_c (out, mark);
  if (len <= EDIT_HINT_SHOWN_BYTES)
    {
      g_string_append (out, line);
      return;
    }
  g_string_append_len (out, line, g_utf8_find_prev_char (line, line + EDIT_HINT_SHOWN_BYTES + 1) - line);
  g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " bytes more)", len - EDIT_HINT_SHOWN_BYTES);
}

/* A line diff of two short line lists (longest common subsequence). */
static void
append_line_diff (GString     *out,
                  const char **a,
                  guint        na,
                  const char **b,
                  guint        nb)
{
  g_autofree guint *lcs = g_new0 (guint, (na + 1) * (nb + 1));
  guint i = 0, j = 0;

#define LCS(x, y) lcs[(x) * (nb + 1) + (y)]
  for (guint x = na; x-- > 0;)
    for (guint y = nb; y-- > 0;)
      LCS (x, y) = g_str_equal (a[x], b[y]) ? LCS (x + 1, y + 1) + 1
                                            : MAX (LCS (x + 1, y), LCS (x, y + 1));
  while (i < na || j < nb)
    {
      if (i < na && j < nb && g_str_equal (a[i], b[j]))
        append_diff_line (out, ' ', a[i]), i++, j++;
      else if (i < na && (j == nb || LCS (i + 1, j) >= LCS (i, j + 1)))
        append_diff_line (out, '-', a[i++]);
      else
        append_diff_line (out, '+', b[j++]);
    }
#undef LCS
}

/* The diff shows at most this many lines of the old text. */
#define EDIT_DIFF_MAX_LINES 200

/* The first @max_lines pieces of @text split at "\n", as g_strsplit()
 * gives them, without walking the rest of @text. */
static GStrv
split_lines_bounded (const char *text,
                     guint       max_lines)
{
  GPtrArray *pieces = g_ptr_array_new ();
  const char *end = text + strlen (text);
  const char *p = text;

  for (guint n = 0; n < max_lines; n++)
    {
      const char *nl = memchr (p, '\n', end - p);

      if (nl == NULL)
        {
          g_ptr_array_add (pieces, g_strdup (p));
          break;
        }
      g_ptr_array_add (pieces, g_strndup (p, nl - p));
      p = nl + 1;
    }
  g_ptr_array_add (pieces, NULL);
  return (GStrv) g_ptr_array_free (pieces, FALSE);
}

/**
 * nb_edit_hint_message:
 * @old_text: the text edit_file was asked to replace
 * @content: the file's text, in which it was not found
 * @path: the file, for the message
 *
 * Returns: (transfer full): the tool's answer: not found, with the most
 *   similar lines of the file as a diff against @old_text
 */
char *
nb_edit_hint_message (const char *old_text,
                      const char *content,
                      const char *path)
{
  g_auto(GStrv) old_lines = split_lines_bounded (old_text, EDIT_DIFF_MAX_LINES + 1);
  g_auto(GStrv) lines = split_lines_bounded (content, EDIT_HINT_MAX_LINES + 1);
  guint n_old = g_strv_length (old_lines);
  guint n_lines = g_strv_length (lines);
  g_autoptr(GPtrArray) old_bigrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) bigrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  double best_ratio = 0.0;
  guint best_start = 0;
  guint window, n_starts, n_searched, compared, shown;
  GString *out;

  /* A trailing newline leaves an empty last piece that is not a line. */
  if (n_old > 1 && old_lines[n_old - 1][0] == '\0')
    n_old--;
  if (n_lines > 1 && lines[n_lines - 1][0] == '\0')
    n_lines--;
  window = MIN (n_old, EDIT_DIFF_MAX_LINES);

  for (guint i = 0; i < window; i++)
    g_ptr_array_add (old_bigrams, line_bigrams (old_lines[i]));
  n_searched = MIN (n_lines, EDIT_HINT_MAX_LINES);
  for (guint i = 0; i < n_searched; i++)
    g_ptr_array_add (bigrams, line_bigrams (lines[i]));

  n_starts = n_searched > window ? n_searched - window + 1 : 1;
  compared = CLAMP (EDIT_HINT_MAX_PAIRS / n_starts, 1, window);
  for (guint start = 0; start < n_starts; start++)
    {
      double sum = 0.0;

      for (guint k = 0; k < compared && start + k < n_searched; k++)
        sum += line_similarity (old_lines[k], g_ptr_array_index (old_bigrams, k),
                                lines[start + k], g_ptr_array_index (bigrams, start + k));
      if (sum / compared > best_ratio)
        {
          best_ratio = sum / compared;
          best_start = start;
        }
    }

  if (best_ratio <= 0.5)
    return g_strdup_printf ("Error: old_text not found in %s. No similar text found. "
                            "Verify the file content.", path);

  shown = MIN (window, n_lines - best_start);
  out = g_string_new (NULL);
  g_string_append_printf (out, "Error: old_text not found in %s.\n"
                               "Best match (%.0f%% similar) at line %u:\n"
                               "--- old_text (provided)\n"
                               "+++ %s (actual, line %u)\n"
                               "@@ -1,%u +%u,%u @@",
                          path, best_ratio * 100.0, best_start + 1, path, best_start + 1,
                          window, best_start + 1, shown);
  append_line_diff (out, (const char **) old_lines, window,
                    (const char **) lines + best_start, shown);
  return g_string_free (out, FALSE);
}
