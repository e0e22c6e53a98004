/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nb-file-util.h"
#include "nb-session-store-private.h"

/*
 * Two processes (the window and `nanobot -m`, or two terminals) may answer
 * in one conversation. A turn holds flock() on `<stem>.lock` beside the
 * session file (see nb-assistant-turn-lock.c), so their lines do not
 * interleave; before it runs, the messages the other process appended are
 * read here, so that the model sees them and this process appends after
 * them. The session file's format is unchanged: the lock file is separate
 * and empty, and a lock dies with its process.
 */

char *
nb_session_store_get_lock_path (NbSessionStore *self,
                                const char     *key)
{
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stem = nb_session_store_key_to_file_stem (key);
  name = g_strconcat (stem, ".lock", NULL);
  return g_build_filename (self->dir, name, NULL);
}

guint
nb_session_store_reload_new (NbSessionStore  *self,
                             NbSession       *session,
                             GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autofree char *contents = NULL;
  NbSessionFile *sf;
  gint64 last_consolidated = -1;
  gsize length = 0;
  guint on_disk;
  guint n;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), 0);
  g_return_val_if_fail (NB_IS_SESSION (session), 0);

  n = nb_session_get_n_messages (session);
  /* Unsaved messages would end up after the other process's: the next
   * write rewrites or appends as usual. */
  if (nb_session_get_saved_count (session) < n)
    return 0;

  sf = nb_session_store_lookup_file (self, session);
  /* The file was replaced (/new, a compaction or repair elsewhere): its
   * lines cannot be matched with ours by counting; the next write notices
   * the new file. */
  if (sf->fd >= 0)
    {
      struct stat open_st;
      GStatBuf path_st;

      if (fstat (sf->fd, &open_st) != 0 || g_stat (sf->path, &path_st) != 0 ||
          open_st.st_dev != path_st.st_dev || open_st.st_ino != path_st.st_ino)
        return 0;
    }
  on_disk = sf->written;
  for (guint i = 0; i < sf->dropped->len; i++)
    if (g_array_index (sf->dropped, guint, i) < sf->written && on_disk > 0)
      on_disk--;

  if (!nb_file_read_bounded (sf->path, NB_FILE_MAX_SESSION, &contents, &length, &local_error))
    {
      /* No file (or folder) yet: nothing to read; the first write says
       * what is wrong, as after nb_session_store_open(). */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        return 0;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return 0;
    }

  messages = nb_session_store_parse_messages (sf->path, contents, length, &last_consolidated);
  /* Fewer lines: another process rewrote the file (/new, a compaction);
   * the next write notices the new file. */
  if (messages->len <= on_disk)
    return 0;

  added = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = on_disk; i < messages->len; i++)
    g_ptr_array_add (added, g_object_ref (g_ptr_array_index (messages, i)));
  nb_session_add_saved (session, added);

  sf->written = nb_session_get_n_messages (session);
  sf->file_messages = messages->len;
  sf->unrecorded = 0;
  sf->loaded_size = length;
  sf->needs_newline = length > 0 && contents[length - 1] != '\n';
  if (last_consolidated > (gint64) nb_session_get_last_consolidated (session) &&
      last_consolidated <= (gint64) nb_session_get_n_messages (session))
    nb_session_set_last_consolidated (session, (guint) last_consolidated);
  g_debug ("%s: %u messages another process wrote", sf->path, added->len);
  return added->len;
}
