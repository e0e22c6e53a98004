/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-search-provider"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-conversation-list.h"
#include "nb-conversation-search.h"
#include "nb-conversation.h"
#include "nb-search-provider.h"

static const char provider_xml[] =
  "<node>"
  " <interface name='org.gnome.Shell.SearchProvider2'>"
  "  <method name='GetInitialResultSet'>"
  "   <arg type='as' name='terms' direction='in'/>"
  "   <arg type='as' name='results' direction='out'/>"
  "  </method>"
  "  <method name='GetSubsearchResultSet'>"
  "   <arg type='as' name='previous_results' direction='in'/>"
  "   <arg type='as' name='terms' direction='in'/>"
  "   <arg type='as' name='results' direction='out'/>"
  "  </method>"
  "  <method name='GetResultMetas'>"
  "   <arg type='as' name='identifiers' direction='in'/>"
  "   <arg type='aa{sv}' name='metas' direction='out'/>"
  "  </method>"
  "  <method name='ActivateResult'>"
  "   <arg type='s' name='identifier' direction='in'/>"
  "   <arg type='as' name='terms' direction='in'/>"
  "   <arg type='u' name='timestamp' direction='in'/>"
  "  </method>"
  "  <method name='LaunchSearch'>"
  "   <arg type='as' name='terms' direction='in'/>"
  "   <arg type='u' name='timestamp' direction='in'/>"
  "  </method>"
  " </interface>"
  "</node>";

struct _NbSearchProvider
{
  GObject             parent_instance;

  char               *sessions_dir;
  GApplication       *application;    /* (unowned, nullable) */
  NbConversationList *conversations;  /* made and loaded on the first search */
  gboolean            loaded;
  GQueue              waiting;        /* of Query, until the list is loaded */
  GHashTable         *snippets;       /* key → snippet of the latest results */
  GCancellable       *cancellable;
  GDBusConnection    *connection;
  guint               registration;
};

enum {
  SIGNAL_ACTIVATE_RESULT,
  SIGNAL_LAUNCH_SEARCH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NbSearchProvider, nb_search_provider, G_TYPE_OBJECT)

/* One GetInitialResultSet or GetSubsearchResultSet being answered. */
typedef struct {
  NbSearchProvider      *provider;     /* (owned) */
  GDBusMethodInvocation *invocation;   /* (owned) */
  char                  *query;
  GHashTable            *previous;     /* (nullable): subsearch within these keys */
  NbConversationSearch  *search;
  gulong                 handler;
} Query;

static void
query_free (Query *query)
{
  if (query->handler != 0)
    g_signal_handler_disconnect (query->search, query->handler);
  g_clear_object (&query->search);
  g_clear_object (&query->invocation);
  g_clear_pointer (&query->previous, g_hash_table_unref);
  g_free (query->query);
  if (query->provider->application != NULL)
    g_application_release (query->provider->application);
  g_clear_object (&query->provider);
  g_free (query);
}

static void
query_finish (Query *query)
{
  GListModel *hits = G_LIST_MODEL (query->search);
  GVariantBuilder results;
  guint n = g_list_model_get_n_items (hits);
  guint added = 0;

  g_variant_builder_init (&results, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < n && added < NB_SEARCH_PROVIDER_MAX_RESULTS; i++)
    {
      g_autoptr(NbConversationSearchHit) hit = g_list_model_get_item (hits, i);
      const char *key = nb_conversation_search_hit_get_key (hit);
      const char *snippet = nb_conversation_search_hit_get_snippet (hit);

      if (query->previous != NULL && !g_hash_table_contains (query->previous, key))
        continue;
      g_variant_builder_add (&results, "s", key);
      g_hash_table_replace (query->provider->snippets, g_strdup (key), g_strdup (snippet));
      added++;
    }
  g_dbus_method_invocation_return_value (query->invocation, g_variant_new ("(as)", &results));
  query_free (query);
}

static void
search_running_cb (NbConversationSearch *search,
                   GParamSpec           *pspec,
                   Query                *query)
{
  if (!nb_conversation_search_get_running (search))
    query_finish (query);
}

static void
query_start (Query *query)
{
  query->search = nb_conversation_search_new (G_LIST_MODEL (query->provider->conversations));
  query->handler = g_signal_connect (query->search, "notify::running", G_CALLBACK (search_running_cb), query);
  nb_conversation_search_set_query (query->search, query->query);
  if (!nb_conversation_search_get_running (query->search))
    query_finish (query);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NbSearchProvider) self = user_data;
  g_autoptr(GError) error = NULL;
  Query *query;

  if (!nb_conversation_list_load_finish (NB_CONVERSATION_LIST (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Search: could not list the conversations: %s", error->message);
  self->loaded = TRUE;
  while ((query = g_queue_pop_head (&self->waiting)) != NULL)
    query_start (query);
}

static void
search (NbSearchProvider      *self,
        GDBusMethodInvocation *invocation,
        const char * const    *terms,
        const char * const    *previous)
{
  Query *query;

  /* Nothing to look for: no results, at once. */
  query = g_new0 (Query, 1);
  query->provider = g_object_ref (self);
  query->invocation = g_object_ref (invocation);
  query->query = g_strstrip (g_strjoinv (" ", (char **) terms));
  if (previous != NULL)
    {
      query->previous = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; previous[i] != NULL; i++)
        g_hash_table_add (query->previous, g_strdup (previous[i]));
    }
  /* A D-Bus-activated instance must not time out mid-search. */
  if (self->application != NULL)
    g_application_hold (self->application);

  if (*query->query == '\0')
    {
      g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(@as [],)"));
      query_free (query);
      return;
    }

  if (self->conversations == NULL)
    {
      self->conversations = nb_conversation_list_new (self->sessions_dir);
      nb_conversation_list_load_async (self->conversations, self->cancellable, loaded_cb, g_object_ref (self));
    }
  if (!self->loaded)
    g_queue_push_tail (&self->waiting, query);
  else
    query_start (query);
}

static GVariant *
result_meta (NbSearchProvider *self,
             const char       *key)
{
  NbConversation *conversation = NULL;
  const char *title = NULL;
  const char *snippet = g_hash_table_lookup (self->snippets, key);
  g_autoptr(GIcon) icon = g_themed_icon_new (APPLICATION_ID);
  g_autoptr(GVariant) icon_variant = g_icon_serialize (icon);
  GVariantBuilder meta;

  if (self->conversations != NULL)
    conversation = nb_conversation_list_lookup (self->conversations, key);
  if (conversation != NULL)
    title = nb_conversation_get_title (conversation);
  if (title == NULL || *title == '\0')
    title = _("Untitled Conversation");

  g_variant_builder_init (&meta, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&meta, "{sv}", "id", g_variant_new_string (key));
  g_variant_builder_add (&meta, "{sv}", "name", g_variant_new_string (title));
  if (snippet != NULL && *snippet != '\0')
    g_variant_builder_add (&meta, "{sv}", "description", g_variant_new_string (snippet));
  else if (conversation != NULL && nb_conversation_get_updated_at (conversation) != NULL)
    {
      /* Translators: when a conversation was last changed, in
       * g_date_time_format() syntax. */
      /* xgettext:no-c-format */
      g_autofree char *when = g_date_time_format (nb_conversation_get_updated_at (conversation), _("%-d %B %Y, %H:%M"));

      if (when != NULL)
        g_variant_builder_add (&meta, "{sv}", "description", g_variant_new_string (when));
    }
  g_variant_builder_add (&meta, "{sv}", "icon", icon_variant);
  return g_variant_builder_end (&meta);
}

static void
method_call (GDBusConnection       *connection,
             const char            *sender,
             const char            *object_path,
             const char            *interface_name,
             const char            *method_name,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  NbSearchProvider *self = user_data;

  if (g_str_equal (method_name, "GetInitialResultSet"))
    {
      g_autofree const char **terms = NULL;

      g_variant_get (parameters, "(^a&s)", &terms);
      search (self, invocation, terms, NULL);
    }
  else if (g_str_equal (method_name, "GetSubsearchResultSet"))
    {
      g_autofree const char **previous = NULL;
      g_autofree const char **terms = NULL;

      g_variant_get (parameters, "(^a&s^a&s)", &previous, &terms);
      search (self, invocation, terms, previous);
    }
  else if (g_str_equal (method_name, "GetResultMetas"))
    {
      g_autofree const char **keys = NULL;
      GVariantBuilder metas;

      g_variant_get (parameters, "(^a&s)", &keys);
      g_variant_builder_init (&metas, G_VARIANT_TYPE ("aa{sv}"));
      for (guint i = 0; keys[i] != NULL; i++)
        g_variant_builder_add_value (&metas, result_meta (self, keys[i]));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aa{sv})", &metas));
    }
  else if (g_str_equal (method_name, "ActivateResult"))
    {
      const char *key;
      guint32 timestamp;

      g_variant_get (parameters, "(&s@asu)", &key, NULL, &timestamp);
      g_signal_emit (self, signals[SIGNAL_ACTIVATE_RESULT], 0, key, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "LaunchSearch"))
    {
      g_auto(GStrv) terms = NULL;
      guint32 timestamp;

      g_variant_get (parameters, "(^asu)", &terms, &timestamp);
      g_signal_emit (self, signals[SIGNAL_LAUNCH_SEARCH], 0, terms, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method_name);
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { 0 } };

gboolean
nb_search_provider_export (NbSearchProvider  *self,
                           GDBusConnection   *connection,
                           const char        *object_path,
                           GError           **error)
{
  g_autoptr(GDBusNodeInfo) info = NULL;

  g_return_val_if_fail (NB_IS_SEARCH_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->registration == 0, FALSE);

  info = g_dbus_node_info_new_for_xml (provider_xml, NULL);
  g_assert (info != NULL);
  self->registration = g_dbus_connection_register_object (connection, object_path, info->interfaces[0],
                                                          &vtable, self, NULL, error);
  if (self->registration == 0)
    return FALSE;
  self->connection = g_object_ref (connection);
  return TRUE;
}

void
nb_search_provider_unexport (NbSearchProvider *self)
{
  g_return_if_fail (NB_IS_SEARCH_PROVIDER (self));

  if (self->registration != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration);
  self->registration = 0;
  g_clear_object (&self->connection);
}

static void
nb_search_provider_dispose (GObject *object)
{
  NbSearchProvider *self = NB_SEARCH_PROVIDER (object);

  nb_search_provider_unexport (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->conversations);

  G_OBJECT_CLASS (nb_search_provider_parent_class)->dispose (object);
}

static void
nb_search_provider_finalize (GObject *object)
{
  NbSearchProvider *self = NB_SEARCH_PROVIDER (object);

  g_assert (g_queue_is_empty (&self->waiting));
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->snippets, g_hash_table_unref);
  g_free (self->sessions_dir);

  G_OBJECT_CLASS (nb_search_provider_parent_class)->finalize (object);
}

static void
nb_search_provider_class_init (NbSearchProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_search_provider_dispose;
  object_class->finalize = nb_search_provider_finalize;

  /**
   * NbSearchProvider::activate-result:
   * @key: the conversation the user picked
   * @timestamp: the event's time
   */
  signals[SIGNAL_ACTIVATE_RESULT] =
    g_signal_new ("activate-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  /**
   * NbSearchProvider::launch-search:
   * @terms: what the user typed
   * @timestamp: the event's time
   */
  signals[SIGNAL_LAUNCH_SEARCH] =
    g_signal_new ("launch-search", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRV, G_TYPE_UINT);
}

static void
nb_search_provider_init (NbSearchProvider *self)
{
  self->cancellable = g_cancellable_new ();
  self->snippets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->waiting);
}

NbSearchProvider *
nb_search_provider_new (const char   *sessions_dir,
                        GApplication *application)
{
  NbSearchProvider *self;

  g_return_val_if_fail (sessions_dir != NULL, NULL);
  g_return_val_if_fail (application == NULL || G_IS_APPLICATION (application), NULL);

  self = g_object_new (NB_TYPE_SEARCH_PROVIDER, NULL);
  self->sessions_dir = g_strdup (sessions_dir);
  self->application = application;
  return self;
}
