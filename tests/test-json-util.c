/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nb-json-util.h"
#include "nb-test-util.h"

static void
test_lenient (void)
{
  g_autoptr(JsonObject) object =
    nb_test_parse_object ("{\"s\": \"text\", \"n\": 12, \"d\": 12.9, \"t\": true, \"f\": false, \"z\": null,"
                  " \"o\": {\"k\": \"v\"}, \"a\": [\"x\", 1, null, \"y\", {}], \"e\": []}");
  g_auto(GStrv) strings = NULL;
  g_auto(GStrv) none = NULL;

  g_assert_cmpstr (nb_json_get_string (object, "s"), ==, "text");
  g_assert_null (nb_json_get_string (object, "n"));
  g_assert_null (nb_json_get_string (object, "z"));
  g_assert_null (nb_json_get_string (object, "o"));
  g_assert_null (nb_json_get_string (object, "missing"));
  g_assert_null (nb_json_get_string (NULL, "s"));
  g_assert_cmpstr (nb_json_get_string_or (object, "n", "fallback"), ==, "fallback");
  g_assert_cmpstr (nb_json_get_string_or (object, "s", "fallback"), ==, "text");

  g_assert_cmpstr (nb_json_get_string (nb_json_get_object (object, "o"), "k"), ==, "v");
  g_assert_null (nb_json_get_object (object, "a"));
  g_assert_null (nb_json_get_object (NULL, "o"));
  g_assert_cmpuint (json_array_get_length (nb_json_get_array (object, "a")), ==, 5);
  g_assert_null (nb_json_get_array (object, "o"));

  g_assert_true (nb_json_get_boolean (object, "t"));
  g_assert_false (nb_json_get_boolean (object, "f"));
  g_assert_false (nb_json_get_boolean (object, "n"));
  g_assert_false (nb_json_get_boolean (object, "missing"));

  g_assert_cmpint (nb_json_get_int (object, "n"), ==, 12);
  g_assert_cmpint (nb_json_get_int (object, "d"), ==, 12);
  g_assert_cmpint (nb_json_get_int (object, "s"), ==, 0);
  g_assert_cmpint (nb_json_get_int (object, "o"), ==, 0);
  g_assert_cmpint (nb_json_get_int (object, "z"), ==, 0);
  g_assert_cmpint (nb_json_get_int (NULL, "n"), ==, 0);

  /* Only the strings of an array; never NULL. */
  strings = nb_json_dup_strv (object, "a");
  g_assert_cmpstrv (strings, ((const char * const []) { "x", "y", NULL }));
  none = nb_json_dup_strv (object, "s");
  g_assert_nonnull (none);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

/* 100 000 nested brackets overflowed json-glib's recursive parser. */
static void
test_too_deep (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"a\": \"[[[{{\\\"\", \"b\":\n");
  g_autoptr(GString) fine = g_string_new (NULL);

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, i % 2 ? '[' : '{');
  g_assert_false (nb_json_parser_load (parser, deep->str, deep->len, &error));
  g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "<data>:2:1000:"));
  g_assert_nonnull (strstr (error->message, "nested deeper than 1000 levels"));

  /* Brackets in strings do not count; 1000 levels still load. */
  g_string_append (fine, "{\"s\": \"[[[[\\\"{{{{\", \"a\": ");
  for (int i = 0; i < NB_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (fine, '[');
  for (int i = 0; i < NB_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (fine, ']');
  g_string_append_c (fine, '}');
  g_assert_true (nb_json_parser_load (parser, fine->str, -1, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
}

/* json-glib 1.6 writes 1e20 as "1e+20.0"; strings are left alone. */
static void
test_to_data_numbers (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  g_autofree char *pretty = NULL;
  gsize length = 0;

  g_assert_true (json_parser_load_from_data (parser,
    "{\"a\": 1e20, \"b\": [-1E+22, 2.5e-300, 0.5, 3, true, false, null], \"s\": \"1e+20.0 \\\" 2e5.0\"}", -1, NULL));
  text = nb_json_to_data (json_parser_get_root (parser), FALSE, &length);
  g_assert_cmpstr (text, ==, "{\"a\":1e+20,\"b\":[-1e+22,2.5e-300,0.5,3,true,false,null],\"s\":\"1e+20.0 \\\" 2e5.0\"}");
  g_assert_cmpuint (length, ==, strlen (text));
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));

  /* json-glib leaves U+001F raw in a string (it escapes the others). */
  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
    g_autofree char *escaped = NULL;

    json_node_set_string (node, "a\x1f" "b\x01\n");
    escaped = nb_json_to_data (node, FALSE, NULL);
    g_assert_cmpstr (escaped, ==, "\"a\\u001fb\\u0001\\n\"");
  }

  pretty = nb_json_to_data (json_parser_get_root (parser), TRUE, NULL);
  g_assert_nonnull (strstr (pretty, "\n  \"a\" : 1e+20,\n"));
  g_assert_true (json_parser_load_from_data (parser, pretty, -1, NULL));
}

/* json-glib wraps integers beyond 64 bits around (2^63 read as -2^63,
 * 10^23 as -1); they read as doubles instead. */
static void
test_big_integers (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;

  g_assert_true (nb_json_parser_load (parser,
    "[100000000000000000000000, 9223372036854775807, 9223372036854775808,"
    " -9223372036854775808, -9223372036854775809, 00000000000000000000001,"
    " \"99999999999999999999\\\" 99999999999999999999\", 1.5e300, -0.5]", -1, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpint (json_node_get_value_type (json_array_get_element (array, 0)), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_array_get_double_element (array, 0), ==, 1e23);
  g_assert_cmpint (json_array_get_int_element (array, 1), ==, G_MAXINT64);
  g_assert_cmpfloat (json_array_get_double_element (array, 2), ==, 9223372036854775808.0);
  g_assert_cmpint (json_array_get_int_element (array, 3), ==, G_MININT64);
  g_assert_cmpfloat (json_array_get_double_element (array, 4), ==, -9223372036854775809.0);
  g_assert_cmpint (json_array_get_int_element (array, 5), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (array, 6), ==, "99999999999999999999\" 99999999999999999999");
  g_assert_cmpfloat (json_array_get_double_element (array, 7), ==, 1.5e300);
  g_assert_cmpfloat (json_array_get_double_element (array, 8), ==, -0.5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-util/lenient", test_lenient);
  g_test_add_func ("/json-util/too-deep", test_too_deep);
  g_test_add_func ("/json-util/to-data-numbers", test_to_data_numbers);
  g_test_add_func ("/json-util/big-integers", test_big_integers);

  return g_test_run ();
}
