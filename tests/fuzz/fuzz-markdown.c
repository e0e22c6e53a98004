/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The chat's markdown model (md4c into NbMarkdownBlocks, GTK-free): the
 * text parsed whole, and streamed into a document in pieces whose sizes
 * come from the first byte, as a reply arrives.
 */
#include "config.h"

#include "nb-markdown-document.h"
#include "nb-markdown-parser.h"
#include "nb-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(NbMarkdownDocument) document = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *text = NULL;
  size_t step;

  nb_fuzz_init ();
  if (size < 1)
    return 0;
  step = 1 + data[0] % 64;
  text = g_utf8_make_valid ((const char *) data + 1, size - 1);

  blocks = nb_markdown_parse (text, strlen (text));
  g_assert (blocks != NULL);

  document = nb_markdown_document_new ();
  nb_markdown_document_set_streaming (document, TRUE);
  for (size_t at = 0; text[at] != '\0';)
    {
      size_t n = 0;
      const char *p = text + at;

      /* Whole characters, as deltas are. */
      while (n < step && p[0] != '\0')
        {
          const char *next = g_utf8_next_char (p);

          n += next - p;
          p = next;
        }
      nb_markdown_document_append (document, text + at, n);
      at += n;
    }
  nb_markdown_document_set_streaming (document, FALSE);
  g_assert (g_str_equal (nb_markdown_document_get_text (document), text));
  dump = nb_markdown_document_dump (document);
  return 0;
}
