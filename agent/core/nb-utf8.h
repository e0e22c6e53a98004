/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One rule for every string that comes from outside (provider replies, MCP
 * servers, tool arguments and results, web pages, files): it is valid UTF-8
 * before it is used or stored, and what is not becomes U+FFFD.
 *
 * json-glib 1.6 decodes a lone surrogate escape ("\ud800") into bytes that
 * are not UTF-8, and fails on one right before a closing quote; the JSON
 * loaders therefore rewrite such escapes before json-glib sees them
 * (nb_utf8_fix_json_surrogates()).
 */

char     *nb_utf8_make_valid           (const char  *text,
                                        gssize       length);
void      nb_utf8_ensure_valid         (char       **text);

/* Lone surrogates at the edge of a JSON string (a high one right before its
 * closing quote, a low one right after its opening quote) may be one half
 * of a character split across two stream deltas. With keep_edges they are
 * read as the code points NB_UTF8_SURROGATE_MARK + (surrogate - 0xD800)
 * (the last 2048 code points of plane 16) for nb_utf8_join_surrogates() to
 * pair; every other lone surrogate becomes \uFFFD. Returns NULL when
 * nothing had to change. */
#define NB_UTF8_SURROGATE_MARK 0x10F800

char     *nb_utf8_fix_json_surrogates  (const char  *data,
                                        gsize        size,
                                        gboolean     keep_edges,
                                        gsize       *out_size);

/* Valid UTF-8 from one decoded delta: a marked high surrogate at its end is
 * kept in *pending (when pending is not NULL) and joined with a marked low
 * surrogate at the start of the next delta; every other mark becomes
 * U+FFFD, as does a *pending that the delta does not complete. */
char     *nb_utf8_join_surrogates      (const char  *text,
                                        gunichar    *pending);

G_END_DECLS
