/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NB_TYPE_SEARCH_PROVIDER (nb_search_provider_get_type ())
G_DECLARE_FINAL_TYPE (NbSearchProvider, nb_search_provider, NB, SEARCH_PROVIDER, GObject)

/*
 * GNOME Shell's search provider (org.gnome.Shell.SearchProvider2) over
 * the conversations of a sessions folder, with the sidebar's search
 * (NbConversationSearch: titles from memory, contents in worker
 * threads): every method answers asynchronously, the main loop never
 * waits. Its list is its own and loaded on the first search, so a
 * D-Bus-activated Nanobot answers without building an assistant.
 * "activate-result" (const char *key, guint timestamp) and
 * "launch-search" (GStrv terms, guint timestamp) are for the
 * application to open what the user picked.
 */

#define NB_SEARCH_PROVIDER_PATH "/io/github/nanobot/Nanobot/SearchProvider"
#define NB_SEARCH_PROVIDER_MAX_RESULTS 20

NbSearchProvider *nb_search_provider_new      (const char        *sessions_dir,
                                               GApplication      *application);
gboolean          nb_search_provider_export   (NbSearchProvider  *self,
                                               GDBusConnection   *connection,
                                               const char        *object_path,
                                               GError           **error);
void              nb_search_provider_unexport (NbSearchProvider  *self);

G_END_DECLS
