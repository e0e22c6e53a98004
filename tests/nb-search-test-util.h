/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For the tests of tools that work in GTask threads (header only). */

#include <glib-object.h>

static inline void
nb_search_test_finalized_cb (gpointer  data,
                             GObject  *where)
{
  g_atomic_int_set ((gint *) data, TRUE);
}

/* Drops the last reference to @object and waits (at most 10 s) until it
 * is finalized: a GTask thread may still hold it for a moment after the
 * callback ran. */
static inline void
nb_search_test_release (gpointer object)
{
  gint finalized = FALSE;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_weak_ref (object, nb_search_test_finalized_cb, &finalized);
  g_object_unref (object);
  while (!g_atomic_int_get (&finalized))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}
