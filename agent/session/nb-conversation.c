/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation"

#include "config.h"

#include <string.h>

#include "nb-conversation-private.h"

struct _NbConversation
{
  GObject    parent_instance;

  char      *key;
  char      *channel;
  char      *title;
  GDateTime *created_at;
  GDateTime *updated_at;
  guint      message_count;
  gboolean   pinned;
  char      *forked_from;
  int        fork_index;
  char      *path;
  gboolean   running;
};

G_DEFINE_FINAL_TYPE (NbConversation, nb_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KEY,
  PROP_TITLE,
  PROP_CHANNEL,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_MESSAGE_COUNT,
  PROP_PINNED,
  PROP_FORKED_FROM,
  PROP_FORK_INDEX,
  PROP_PATH,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nb_conversation_finalize (GObject *object)
{
  NbConversation *self = NB_CONVERSATION (object);

  g_free (self->key);
  g_free (self->channel);
  g_free (self->title);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->updated_at, g_date_time_unref);
  g_free (self->forked_from);
  g_free (self->path);

  G_OBJECT_CLASS (nb_conversation_parent_class)->finalize (object);
}

static void
nb_conversation_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NbConversation *self = NB_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_CHANNEL:
      g_value_set_string (value, self->channel);
      break;
    case PROP_CREATED_AT:
      g_value_set_boxed (value, self->created_at);
      break;
    case PROP_UPDATED_AT:
      g_value_set_boxed (value, self->updated_at);
      break;
    case PROP_MESSAGE_COUNT:
      g_value_set_uint (value, self->message_count);
      break;
    case PROP_PINNED:
      g_value_set_boolean (value, self->pinned);
      break;
    case PROP_FORKED_FROM:
      g_value_set_string (value, self->forked_from);
      break;
    case PROP_FORK_INDEX:
      g_value_set_int (value, self->fork_index);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_conversation_class_init (NbConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = nb_conversation_finalize;
  object_class->get_property = nb_conversation_get_property;

  /**
   * NbConversation:key:
   *
   * The session key, "channel:chat_id".
   */
  properties[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, NULL, flags);
  /**
   * NbConversation:title: (nullable)
   *
   * The metadata's title, else the first line of the first user message,
   * at most 80 characters.
   */
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  /**
   * NbConversation:channel:
   *
   * The key up to its first ":" (desktop, cli, quick, cron, heartbeat…);
   * the whole key when it has none.
   */
  properties[PROP_CHANNEL] = g_param_spec_string ("channel", NULL, NULL, NULL, flags);
  /**
   * NbConversation:created-at: (nullable)
   */
  properties[PROP_CREATED_AT] = g_param_spec_boxed ("created-at", NULL, NULL, G_TYPE_DATE_TIME, flags);
  /**
   * NbConversation:updated-at:
   *
   * The later of the last metadata record's updated_at and the last
   * message's timestamp; the file's modification time when it has none.
   */
  properties[PROP_UPDATED_AT] = g_param_spec_boxed ("updated-at", NULL, NULL, G_TYPE_DATE_TIME, flags);
  /**
   * NbConversation:message-count:
   *
   * The messages in the file (an estimate for a file over 4 MiB without
   * a recorded count).
   */
  properties[PROP_MESSAGE_COUNT] = g_param_spec_uint ("message-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_PINNED] = g_param_spec_boolean ("pinned", NULL, NULL, FALSE, flags);
  /**
   * NbConversation:forked-from: (nullable)
   *
   * The key of the session this one was forked from.
   */
  properties[PROP_FORKED_FROM] = g_param_spec_string ("forked-from", NULL, NULL, NULL, flags);
  /**
   * NbConversation:fork-index:
   *
   * Where in the other session the fork was made; -1 when not a fork.
   */
  properties[PROP_FORK_INDEX] = g_param_spec_int ("fork-index", NULL, NULL, -1, G_MAXINT, -1, flags);
  /**
   * NbConversation:path:
   *
   * The session file. It identifies the item in the list; it never changes.
   */
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  /**
   * NbConversation:running:
   *
   * Whether a turn of this conversation is running now (set by
   * NbAssistant, which sees turns start and finish; not stored).
   */
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_conversation_init (NbConversation *self)
{
  self->fork_index = -1;
}

NbConversation *
nb_conversation_new_from_data (const NbConversationData *data)
{
  NbConversation *self;

  g_return_val_if_fail (data != NULL && data->path != NULL, NULL);

  self = g_object_new (NB_TYPE_CONVERSATION, NULL);
  self->path = g_strdup (data->path);
  /* Nobody listens yet: the setters notify nobody. */
  nb_conversation_update (self, data);
  return self;
}

void
nb_conversation_update (NbConversation           *self,
                        const NbConversationData *data)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));
  g_return_if_fail (data != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  nb_conversation_set_key (self, data->key);
  nb_conversation_set_title (self, data->title);
  nb_conversation_set_created_at (self, data->created_at);
  nb_conversation_set_updated_at (self, data->updated);
  nb_conversation_set_message_count (self, data->message_count);
  nb_conversation_set_pinned (self, data->pinned);
  nb_conversation_set_forked_from (self, data->forked_from);
  nb_conversation_set_fork_index (self, data->fork_index);
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
set_date (GDateTime **field,
          GDateTime  *value)
{
  if (*field == value || (*field != NULL && value != NULL && g_date_time_equal (*field, value)))
    return FALSE;
  g_clear_pointer (field, g_date_time_unref);
  *field = value != NULL ? g_date_time_ref (value) : NULL;
  return TRUE;
}

void
nb_conversation_set_key (NbConversation *self,
                         const char     *key)
{
  const char *colon;
  g_autofree char *channel = NULL;

  g_return_if_fail (NB_IS_CONVERSATION (self));
  g_return_if_fail (key != NULL);

  if (!set_string (&self->key, key))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY]);

  colon = strchr (key, ':');
  channel = colon != NULL ? g_strndup (key, colon - key) : g_strdup (key);
  if (set_string (&self->channel, channel))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHANNEL]);
}

void
nb_conversation_set_title (NbConversation *self,
                           const char     *title)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  if (set_string (&self->title, title))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
nb_conversation_set_created_at (NbConversation *self,
                                GDateTime      *created_at)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  if (set_date (&self->created_at, created_at))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
}

void
nb_conversation_set_updated_at (NbConversation *self,
                                GDateTime      *updated_at)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));
  g_return_if_fail (updated_at != NULL);

  if (set_date (&self->updated_at, updated_at))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
}

void
nb_conversation_set_message_count (NbConversation *self,
                                   guint           message_count)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  if (self->message_count == message_count)
    return;
  self->message_count = message_count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE_COUNT]);
}

void
nb_conversation_set_pinned (NbConversation *self,
                            gboolean        pinned)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  pinned = !!pinned;
  if (self->pinned == pinned)
    return;
  self->pinned = pinned;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

void
nb_conversation_set_forked_from (NbConversation *self,
                                 const char     *forked_from)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  if (set_string (&self->forked_from, forked_from))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORKED_FROM]);
}

void
nb_conversation_set_fork_index (NbConversation *self,
                                int             fork_index)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  fork_index = MAX (fork_index, -1);
  if (self->fork_index == fork_index)
    return;
  self->fork_index = fork_index;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORK_INDEX]);
}

const char *
nb_conversation_get_key (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->key;
}

const char *
nb_conversation_get_title (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->title;
}

const char *
nb_conversation_get_channel (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->channel;
}

/**
 * nb_conversation_get_created_at:
 *
 * Returns: (transfer none) (nullable): when the session was created
 */
GDateTime *
nb_conversation_get_created_at (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->created_at;
}

/**
 * nb_conversation_get_updated_at:
 *
 * Returns: (transfer none): when the session last changed
 */
GDateTime *
nb_conversation_get_updated_at (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->updated_at;
}

guint
nb_conversation_get_message_count (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), 0);
  return self->message_count;
}

gboolean
nb_conversation_get_pinned (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), FALSE);
  return self->pinned;
}

const char *
nb_conversation_get_forked_from (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->forked_from;
}

int
nb_conversation_get_fork_index (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), -1);
  return self->fork_index;
}

const char *
nb_conversation_get_path (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), NULL);
  return self->path;
}

gboolean
nb_conversation_get_running (NbConversation *self)
{
  g_return_val_if_fail (NB_IS_CONVERSATION (self), FALSE);
  return self->running;
}

void
nb_conversation_set_running (NbConversation *self,
                             gboolean        running)
{
  g_return_if_fail (NB_IS_CONVERSATION (self));

  running = !!running;
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}
