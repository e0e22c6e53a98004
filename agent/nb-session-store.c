/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-session-store"

#include "config.h"

#include "nb-session-store.h"

/* A first, in-memory store; the sessions issue gives it its JSONL files. */

struct _NbSessionStore
{
  GObject     parent_instance;

  char       *dir;
  GHashTable *sessions;
};

G_DEFINE_FINAL_TYPE (NbSessionStore, nb_session_store, G_TYPE_OBJECT)

static void
nb_session_store_finalize (GObject *object)
{
  NbSessionStore *self = NB_SESSION_STORE (object);

  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);

  G_OBJECT_CLASS (nb_session_store_parent_class)->finalize (object);
}

static void
nb_session_store_class_init (NbSessionStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_session_store_finalize;
}

static void
nb_session_store_init (NbSessionStore *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

NbSessionStore *
nb_session_store_new (const char *sessions_dir)
{
  NbSessionStore *self = g_object_new (NB_TYPE_SESSION_STORE, NULL);

  self->dir = g_strdup (sessions_dir);
  return self;
}

const char *
nb_session_store_get_dir (NbSessionStore *self)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);
  return self->dir;
}

NbSession *
nb_session_store_open (NbSessionStore  *self,
                       const char      *key,
                       GError         **error)
{
  NbSession *session;

  g_return_val_if_fail (NB_IS_SESSION_STORE (self), NULL);

  session = g_hash_table_lookup (self->sessions, key);
  if (session == NULL)
    {
      session = nb_session_new (key);
      g_hash_table_insert (self->sessions, g_strdup (key), session);
    }
  return g_object_ref (session);
}

gboolean
nb_session_store_append (NbSessionStore  *self,
                         NbSession       *session,
                         GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  nb_session_set_saved_count (session, nb_session_get_n_messages (session));
  return TRUE;
}

gboolean
nb_session_store_sync (NbSessionStore  *self,
                       NbSession       *session,
                       GError         **error)
{
  g_return_val_if_fail (NB_IS_SESSION_STORE (self), FALSE);
  return TRUE;
}
