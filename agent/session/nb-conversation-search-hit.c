/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation-search"

#include "config.h"

#include "nb-conversation-search-hit.h"

struct _NbConversationSearchHit
{
  GObject  parent_instance;

  char    *key;
  char    *title;
  char    *snippet;
  guint    rank;
};

G_DEFINE_FINAL_TYPE (NbConversationSearchHit, nb_conversation_search_hit, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KEY,
  PROP_TITLE,
  PROP_SNIPPET,
  PROP_RANK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nb_conversation_search_hit_finalize (GObject *object)
{
  NbConversationSearchHit *self = NB_CONVERSATION_SEARCH_HIT (object);

  g_free (self->key);
  g_free (self->title);
  g_free (self->snippet);

  G_OBJECT_CLASS (nb_conversation_search_hit_parent_class)->finalize (object);
}

static void
nb_conversation_search_hit_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  NbConversationSearchHit *self = NB_CONVERSATION_SEARCH_HIT (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_SNIPPET:
      g_value_set_string (value, self->snippet);
      break;
    case PROP_RANK:
      g_value_set_uint (value, self->rank);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_conversation_search_hit_class_init (NbConversationSearchHitClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = nb_conversation_search_hit_finalize;
  object_class->get_property = nb_conversation_search_hit_get_property;

  properties[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, NULL, flags);
  /**
   * NbConversationSearchHit:title: (nullable)
   *
   * The conversation's title when the query ran.
   */
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  /**
   * NbConversationSearchHit:snippet: (nullable)
   *
   * The text around a match in a message, one line with "…" where it was
   * cut; %NULL for a match of the title.
   */
  properties[PROP_SNIPPET] = g_param_spec_string ("snippet", NULL, NULL, NULL, flags);
  /**
   * NbConversationSearchHit:rank:
   *
   * The conversation's position in the searched list (0 is the newest).
   */
  properties[PROP_RANK] = g_param_spec_uint ("rank", NULL, NULL, 0, G_MAXUINT, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_conversation_search_hit_init (NbConversationSearchHit *self)
{
}

NbConversationSearchHit *
nb_conversation_search_hit_new (const char *key,
                                const char *title,
                                const char *snippet,
                                guint       rank)
{
  NbConversationSearchHit *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (NB_TYPE_CONVERSATION_SEARCH_HIT, NULL);
  self->key = g_strdup (key);
  self->title = g_strdup (title);
  self->snippet = g_strdup (snippet);
  self->rank = rank;
  return self;
}

const char *
nb_conversation_search_hit_get_key (NbConversationSearchHit *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH_HIT (self), NULL);
  return self->key;
}

const char *
nb_conversation_search_hit_get_title (NbConversationSearchHit *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH_HIT (self), NULL);
  return self->title;
}

const char *
nb_conversation_search_hit_get_snippet (NbConversationSearchHit *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH_HIT (self), NULL);
  return self->snippet;
}

guint
nb_conversation_search_hit_get_rank (NbConversationSearchHit *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION_SEARCH_HIT (self), 0);
  return self->rank;
}
