/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * web_fetch's HTML extraction (libxml2's HTML parser, then the walk that
 * makes markdown or text): the first byte picks the mode and the charset
 * the server claimed. The result must be valid UTF-8.
 */
#include "config.h"

#include "nb-html-extract.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const charsets[] = { NULL, "utf-8", "iso-8859-1", "windows-1252", "shift_jis", "bogus" };
  g_autofree char *text = NULL;

  nb_fuzz_init ();
  if (size < 1)
    return 0;
  text = nb_html_extract ((const char *) data + 1, size - 1, "https://example.com/a/b.html",
                          charsets[(data[0] >> 1) % G_N_ELEMENTS (charsets)],
                          data[0] & 1 ? NB_HTML_EXTRACT_TEXT : NB_HTML_EXTRACT_MARKDOWN);
  g_assert (text == NULL || g_utf8_validate (text, -1, NULL));
  return 0;
}
