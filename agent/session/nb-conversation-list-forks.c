/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-conversation"

#include "config.h"

#include "nb-conversation-list.h"

/*
 * The alternatives the chat's ‹ 1/3 › switcher steps through: a fork
 * (metadata forked_from and fork_index) shares the first fork_index
 * messages of its parent and differs from there on, so the alternatives
 * at one point are the parent and its forks at that index. Answered from
 * the items' metadata alone.
 */

static int
compare_age (gconstpointer a,
             gconstpointer b)
{
  NbConversation *first = *(NbConversation **) a;
  NbConversation *second = *(NbConversation **) b;
  GDateTime *first_created = nb_conversation_get_created_at (first);
  GDateTime *second_created = nb_conversation_get_created_at (second);
  int order = 0;

  if (first_created != NULL && second_created != NULL)
    order = g_date_time_compare (first_created, second_created);
  else if (first_created != NULL || second_created != NULL)
    order = first_created == NULL ? -1 : 1;
  if (order == 0)
    order = g_strcmp0 (nb_conversation_get_key (first), nb_conversation_get_key (second));
  return order;
}

/**
 * nb_conversation_list_get_forks_at:
 * @parent: a conversation's key
 * @index: a message position in it
 *
 * Returns: (transfer container) (element-type NbConversation) (nullable):
 *   @parent (when listed) followed by its forks at @index, oldest first;
 *   %NULL when it has no fork there
 */
GPtrArray *
nb_conversation_list_get_forks_at (NbConversationList *self,
                                   const char         *parent,
                                   guint               index)
{
  GListModel *model = G_LIST_MODEL (self);
  g_autoptr(GPtrArray) forks = NULL;
  NbConversation *parent_item;
  guint n;

  g_return_val_if_fail (NB_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (parent != NULL, NULL);

  forks = g_ptr_array_new_with_free_func (g_object_unref);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (nb_conversation_get_forked_from (item), parent) == 0 &&
          nb_conversation_get_fork_index (item) == (gint64) index &&
          g_strcmp0 (nb_conversation_get_key (item), parent) != 0)
        g_ptr_array_add (forks, g_steal_pointer (&item));
    }
  if (forks->len == 0)
    return NULL;

  g_ptr_array_sort (forks, compare_age);
  parent_item = nb_conversation_list_lookup (self, parent);
  if (parent_item != NULL)
    g_ptr_array_insert (forks, 0, g_object_ref (parent_item));
  return g_steal_pointer (&forks);
}

/**
 * nb_conversation_list_get_fork_siblings:
 * @key: a conversation's key
 * @out_index: (out) (optional): where the alternatives diverge: the number
 *   of messages they share
 *
 * The alternatives of the conversation of @key at its divergence point:
 * for a fork, its parent and every fork of the parent at the same index;
 * for a conversation that was not forked from another, itself and its
 * forks at the first index where it has any.
 *
 * Returns: (transfer container) (element-type NbConversation) (nullable):
 *   the parent first, then its forks, oldest first (the conversation of
 *   @key is one of them); %NULL when there are no alternatives
 */
GPtrArray *
nb_conversation_list_get_fork_siblings (NbConversationList *self,
                                        const char         *key,
                                        guint              *out_index)
{
  GListModel *model = G_LIST_MODEL (self);
  NbConversation *conversation;
  const char *forked_from;
  gint64 first = -1;
  guint n;

  g_return_val_if_fail (NB_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  conversation = nb_conversation_list_lookup (self, key);
  if (conversation == NULL)
    return NULL;

  forked_from = nb_conversation_get_forked_from (conversation);
  if (forked_from != NULL && *forked_from != '\0' && nb_conversation_get_fork_index (conversation) >= 0)
    {
      guint index = (guint) nb_conversation_get_fork_index (conversation);

      if (out_index != NULL)
        *out_index = index;
      return nb_conversation_list_get_forks_at (self, forked_from, index);
    }

  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (model, i);
      int index = nb_conversation_get_fork_index (item);

      if (index >= 0 && g_strcmp0 (nb_conversation_get_forked_from (item), key) == 0 &&
          (first < 0 || index < first))
        first = index;
    }
  if (first < 0)
    return NULL;
  if (out_index != NULL)
    *out_index = (guint) first;
  return nb_conversation_list_get_forks_at (self, key, (guint) first);
}
