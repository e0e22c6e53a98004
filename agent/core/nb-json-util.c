/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-json"

#include "config.h"

#include "nb-json-util.h"
#include "nb-utf8.h"

#include <string.h>

static JsonNode *
get_member (JsonObject *object,
            const char *member)
{
  g_return_val_if_fail (member != NULL, NULL);

  return object != NULL ? json_object_get_member (object, member) : NULL;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/**
 * nb_json_get_string:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member's text, or %NULL when
 *   @object is %NULL or the member is missing or not a string
 */
const char *
nb_json_get_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = get_member (object, member);

  return holds_type (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

/**
 * nb_json_get_string_or:
 * @object: (nullable): an object
 * @member: a member name
 * @fallback: (nullable): what a missing or non-string member reads as
 *
 * Returns: (transfer none) (nullable): the member's text, else @fallback
 */
const char *
nb_json_get_string_or (JsonObject *object,
                       const char *member,
                       const char *fallback)
{
  const char *value = nb_json_get_string (object, member);

  return value != NULL ? value : fallback;
}

/**
 * nb_json_get_object:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an object
 */
JsonObject *
nb_json_get_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * nb_json_get_array:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an array
 */
JsonArray *
nb_json_get_array (JsonObject *object,
                   const char *member)
{
  JsonNode *node = get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/**
 * nb_json_get_boolean:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: %TRUE only for a member that is the boolean `true`
 */
gboolean
nb_json_get_boolean (JsonObject *object,
                     const char *member)
{
  JsonNode *node = get_member (object, member);

  return holds_type (node, G_TYPE_BOOLEAN) && json_node_get_boolean (node);
}

/**
 * nb_json_get_int:
 * @object: (nullable): an object
 * @member: a member name
 *
 * A number with a fraction is truncated (servers send counts as `12.0`).
 *
 * Returns: the member's value as an integer, 0 when it is missing or not
 *   a scalar
 */
gint64
nb_json_get_int (JsonObject *object,
                 const char *member)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return nb_json_double_to_int64 (json_node_get_double (node));
  return json_node_get_int (node);
}

/* Found by tests/fuzz/fuzz-sse.c: a token count of 1e300. */
gint64
nb_json_double_to_int64 (double value)
{
  if (!(value == value))
    return 0;
  if (value >= 9223372036854775807.0)
    return G_MAXINT64;
  if (value <= -9223372036854775808.0)
    return G_MININT64;
  return (gint64) value;
}

/**
 * nb_json_dup_strv:
 * @object: (nullable): an object
 * @member: a member name
 *
 * Returns: (transfer full): the strings of an array member, skipping
 *   elements that are not strings; empty when there is no such array
 */
GStrv
nb_json_dup_strv (JsonObject *object,
                  const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array = nb_json_get_array (object, member);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (holds_type (element, G_TYPE_STRING))
        g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);
}

/* The line, counted from 1, and the byte offset in it of @at. */
static gboolean
too_deep (const char *data,
          gsize       length,
          gsize      *at)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > NB_JSON_MAX_DEPTH)
            {
              *at = i;
              return TRUE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return FALSE;
}

/* Whether the digits of an integer literal (no sign) pass G_MAXINT64,
 * or -G_MAXINT64 - 1 when @negative. */
static gboolean
out_of_range (const char *digits,
              gsize       n,
              gboolean    negative)
{
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";

  while (n > 1 && *digits == '0')
    {
      digits++;
      n--;
    }
  if (n != 19)
    return n > 19;
  return strncmp (digits, limit, 19) > 0;
}

/* json-glib 1.6 wraps an integer beyond 64 bits around (2^63 reads as
 * -2^63, 10^23 as -1) and writes the wrong number back. A copy of @data
 * with ".0" after each such literal, which then reads as the nearest
 * double, or %NULL when there is none. */
static char *
widen_big_integers (const char *data,
                    gsize       length,
                    gsize      *out_length)
{
  GString *out = NULL;
  gboolean in_string = FALSE;
  gsize copied = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (g_ascii_isdigit (c) || c == '-')
        {
          gsize start = i + (c == '-');
          gsize end = start;

          while (end < length && g_ascii_isdigit (data[end]))
            end++;
          if (end < length && (data[end] == '.' || data[end] == 'e' || data[end] == 'E'))
            {
              /* A double: skip its digits. */
              while (end < length && (g_ascii_isalnum (data[end]) || data[end] == '.' ||
                                      data[end] == '+' || data[end] == '-'))
                end++;
            }
          else if (end > start && out_of_range (data + start, end - start, c == '-'))
            {
              if (out == NULL)
                out = g_string_sized_new (length + 16);
              g_string_append_len (out, data + copied, end - copied);
              g_string_append (out, ".0");
              copied = end;
            }
          i = end > i ? end - 1 : i;
        }
    }

  if (out == NULL)
    return NULL;
  g_string_append_len (out, data + copied, length - copied);
  *out_length = out->len;
  return g_string_free (out, FALSE);
}

/**
 * nb_json_parser_load:
 * @parser: the parser
 * @data: JSON text from outside (a file, a server, a model)
 * @length: its length, or -1 when NUL-terminated
 * @error: the parse error
 *
 * json_parser_load_from_data() that refuses arrays and objects nested
 * deeper than %NB_JSON_MAX_DEPTH with a parse error (line and column
 * in the message) instead of overflowing the stack, and reads an
 * integer beyond 64 bits as the nearest double instead of a wrapped
 * integer (json-glib reads 2^63 as -2^63), and reads a lone surrogate
 * escape as U+FFFD (nb_utf8_fix_json_surrogates()).
 *
 * Returns: whether @data parsed
 */
gboolean
nb_json_parser_load (JsonParser  *parser,
                     const char  *data,
                     gssize       length,
                     GError     **error)
{
  g_autofree char *widened = NULL;
  g_autofree char *fixed = NULL;
  gsize widened_size = 0;
  gsize fixed_size = 0;
  gsize size;
  gsize at = 0;

  g_return_val_if_fail (JSON_IS_PARSER (parser), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  size = length < 0 ? strlen (data) : (gsize) length;
  /* Every string json-glib returns must be UTF-8: a lone surrogate escape
   * becomes U+FFFD (json-glib would decode it to invalid bytes). */
  fixed = nb_utf8_fix_json_surrogates (data, size, FALSE, &fixed_size);
  if (fixed != NULL)
    {
      data = fixed;
      size = fixed_size;
    }
  if (too_deep (data, size, &at))
    {
      guint line = 1;
      gsize line_start = 0;

      for (gsize i = 0; i < at; i++)
        if (data[i] == '\n')
          {
            line++;
            line_start = i + 1;
          }
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "<data>:%u:%" G_GSIZE_FORMAT ": Parse error: arrays and objects nested deeper than %d levels",
                   line, at - line_start + 1, NB_JSON_MAX_DEPTH);
      return FALSE;
    }
  widened = widen_big_integers (data, size, &widened_size);
  if (widened != NULL)
    return json_parser_load_from_data (parser, widened, widened_size, error);
  return json_parser_load_from_data (parser, data, size, error);
}

/**
 * nb_json_parser_holds_object:
 * @parser: a parser that has loaded
 *
 * Empty or blank text loads without error and leaves no root; this is
 * %FALSE then, where JSON_NODE_HOLDS_OBJECT() would be a critical.
 *
 * Returns: whether the root is an object
 */
gboolean
nb_json_parser_holds_object (JsonParser *parser)
{
  JsonNode *root = json_parser_get_root (parser);

  return root != NULL && JSON_NODE_HOLDS_OBJECT (root);
}

/**
 * nb_json_parser_holds_array:
 * @parser: a parser that has loaded
 *
 * Returns: whether the root is an array (%FALSE when there is none)
 */
gboolean
nb_json_parser_holds_array (JsonParser *parser)
{
  JsonNode *root = json_parser_get_root (parser);

  return root != NULL && JSON_NODE_HOLDS_ARRAY (root);
}

/**
 * nb_json_to_data:
 * @node: the node
 * @pretty: whether to indent
 * @length: (out) (optional): the text's length
 *
 * json_to_string() whose output is valid JSON: json-glib 1.6 writes
 * a double such as 1e20 as `1e+20.0`, which no parser (json-glib's
 * included) reads back, and leaves U+001F unescaped in strings, which
 * strict parsers (Python's, providers') refuse; both are mended here.
 *
 * Returns: (transfer full): the JSON text
 */
char *
nb_json_to_data (JsonNode *node,
                 gboolean  pretty,
                 gsize    *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  GString *out;
  gboolean in_string = FALSE;
  gboolean in_exponent = FALSE;

  g_return_val_if_fail (node != NULL, NULL);

  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            g_string_append_c (out, *p++);
          else if (*p == '"')
            in_string = FALSE;
          else if ((guchar) *p < 0x20)
            {
              /* json-glib leaves U+001F raw; strict parsers refuse it. */
              g_string_append_printf (out, "\\u%04x", (guint) (guchar) *p);
              continue;
            }
        }
      else if (*p == '"')
        in_string = TRUE;
      else if (*p == 'e' || *p == 'E')
        in_exponent = out->len > 0 && g_ascii_isdigit (out->str[out->len - 1]);
      else if (in_exponent && *p == '.')
        {
          while (p[1] == '0')
            p++;
          continue;
        }
      else if (!g_ascii_isdigit (*p) && *p != '+' && *p != '-')
        in_exponent = FALSE;
      g_string_append_c (out, *p);
    }

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}
