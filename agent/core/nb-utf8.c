/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-utf8.h"

#include <string.h>

#define MARK_LOW (NB_UTF8_SURROGATE_MARK + 0x400)
#define MARK_END (NB_UTF8_SURROGATE_MARK + 0x7FF)

/**
 * nb_utf8_make_valid:
 * @text: text from outside, maybe not UTF-8
 * @length: its length in bytes, or -1 when NUL-terminated
 *
 * Returns: (transfer full): @text with every invalid sequence (and, with a
 *   length, every NUL byte) replaced by U+FFFD
 */
char *
nb_utf8_make_valid (const char *text,
                    gssize      length)
{
  gsize size;

  if (text == NULL)
    return NULL;
  size = length < 0 ? strlen (text) : (gsize) length;
  if (g_utf8_validate_len (text, size, NULL))
    return g_strndup (text, size);
  return g_utf8_make_valid (text, size);
}

/**
 * nb_utf8_ensure_valid:
 * @text: (inout) (nullable): an owned string
 *
 * Replaces *@text by nb_utf8_make_valid() when it is not valid UTF-8.
 */
void
nb_utf8_ensure_valid (char **text)
{
  char *valid;

  if (*text == NULL || g_utf8_validate (*text, -1, NULL))
    return;
  valid = g_utf8_make_valid (*text, -1);
  g_free (*text);
  *text = valid;
}

static int
hex4 (const char *p)
{
  int value = 0;

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/**
 * nb_utf8_fix_json_surrogates:
 * @data: JSON text
 * @size: its length
 * @keep_edges: whether lone surrogates at a string's edge become marks
 * @out_size: (out): the length of the result
 *
 * Lone surrogate escapes and short escapes (fewer than four hex digits,
 * which json-glib would decode to anything, surrogates included) become
 * `\uFFFD`.
 *
 * Returns: (transfer full) (nullable): the rewritten text, or %NULL when
 *   @data has no such escape
 */
char *
nb_utf8_fix_json_surrogates (const char *data,
                             gsize       size,
                             gboolean    keep_edges,
                             gsize      *out_size)
{
  GString *out = NULL;
  gboolean in_string = FALSE;
  gsize string_start = 0;
  gsize copied = 0;

  if (memchr (data, '\\', size) == NULL)
    return NULL;

  for (gsize i = 0; i < size; i++)
    {
      gboolean edge;
      int value;
      int low;

      if (!in_string)
        {
          if (data[i] == '"')
            {
              in_string = TRUE;
              string_start = i + 1;
            }
          continue;
        }
      if (data[i] == '"')
        {
          in_string = FALSE;
          continue;
        }
      if (data[i] != '\\' || i + 1 >= size)
        continue;
      if (data[i + 1] != 'u')
        {
          i++;
          continue;
        }
      if (i + 6 > size || (value = hex4 (data + i + 2)) < 0)
        {
          gsize digits = 0;

          /* A short escape: json-glib decodes the digits it finds, shifted
           * as if four were there (so "\\uddd" is the surrogate U+DDD0),
           * and swallows the character after them. */
          while (digits < 4 && i + 2 + digits < size && g_ascii_isxdigit (data[i + 2 + digits]))
            digits++;
          if (digits == 0)
            {
              i++;
              continue;
            }
          if (out == NULL)
            out = g_string_sized_new (size + 16);
          g_string_append_len (out, data + copied, i - copied);
          g_string_append (out, "\\uFFFD");
          i += 1 + digits;
          copied = i + 1;
          continue;
        }
      if (value < 0xD800 || value > 0xDFFF)
        {
          i += 5;
          continue;
        }
      if (value <= 0xDBFF && i + 12 <= size && data[i + 6] == '\\' && data[i + 7] == 'u' &&
          (low = hex4 (data + i + 8)) >= 0xDC00 && low <= 0xDFFF)
        {
          i += 11;
          continue;
        }

      /* A lone surrogate. */
      edge = keep_edges && ((value <= 0xDBFF && i + 6 < size && data[i + 6] == '"') ||
                            (value >= 0xDC00 && i == string_start));
      if (out == NULL)
        out = g_string_sized_new (size + 16);
      g_string_append_len (out, data + copied, i - copied);
      if (edge)
        {
          gunichar offset = NB_UTF8_SURROGATE_MARK + (value - 0xD800) - 0x10000;

          g_string_append_printf (out, "\\u%04X\\u%04X", 0xD800 + (offset >> 10), 0xDC00 + (offset & 0x3FF));
        }
      else
        g_string_append (out, "\\uFFFD");
      i += 5;
      copied = i + 1;
    }

  if (out == NULL)
    return NULL;
  g_string_append_len (out, data + copied, size - copied);
  *out_size = out->len;
  return g_string_free (out, FALSE);
}

/**
 * nb_utf8_join_surrogates:
 * @text: one decoded delta
 * @pending: (inout) (nullable): a high surrogate kept from the last delta
 *
 * Returns: (transfer full): valid UTF-8, maybe empty when the delta was
 *   only a high surrogate now in *@pending
 */
char *
nb_utf8_join_surrogates (const char *text,
                         gunichar   *pending)
{
  g_autofree char *valid = NULL;
  gsize length = strlen (text);
  GString *out;
  const char *p;

  /* Almost every delta: no mark (a mark starts with the byte 0xF4). */
  if ((pending == NULL || *pending == 0) && memchr (text, 0xF4, length) == NULL &&
      g_utf8_validate_len (text, length, NULL))
    return g_strndup (text, length);

  valid = nb_utf8_make_valid (text, length);
  out = g_string_sized_new (strlen (valid) + 4);
  p = valid;

  if (pending != NULL && *pending != 0)
    {
      gunichar first = g_utf8_get_char (p);

      if (first >= MARK_LOW && first <= MARK_END)
        {
          gunichar low = 0xDC00 + (first - MARK_LOW);

          g_string_append_unichar (out, 0x10000 + ((*pending - 0xD800) << 10) + (low - 0xDC00));
          p = g_utf8_next_char (p);
        }
      else
        g_string_append_unichar (out, 0xFFFD);
      *pending = 0;
    }

  while (*p != '\0')
    {
      const char *next = g_utf8_next_char (p);
      gunichar c = g_utf8_get_char (p);

      if (c < NB_UTF8_SURROGATE_MARK)
        g_string_append_len (out, p, next - p);
      else if (c < MARK_LOW && pending != NULL && *next == '\0')
        *pending = 0xD800 + (c - NB_UTF8_SURROGATE_MARK);
      else
        g_string_append_unichar (out, 0xFFFD);
      p = next;
    }

  return g_string_free (out, FALSE);
}
