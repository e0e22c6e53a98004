/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-conversation-row.h"
#include "nb-conversation-search.h"
#include "nb-sidebar.h"

/*
 * The list shows a GListStore that this file keeps in the sidebar's order:
 * pinned originals, then the other originals, both newest first (the
 * assistant's model is newest first), each followed by its forks (a fork
 * whose original is not listed is an original itself). Order and
 * indentation are computed again, in O(n), after every change of the
 * assistant's model or of an item's pinned/forked-from (coalesced into
 * one idle), and only the range that differs is spliced, so rows outside
 * it keep their widgets and the selection stays on its key.
 *
 * Deleting hides the row at once (the key joins `hidden`), and a toast
 * offers Undo; the file goes to the trash when the toast is dismissed
 * without Undo, or when the window flushes pending deletes. The key stays
 * hidden until the assistant's model no longer lists it.
 */

typedef struct
{
  NbSidebar *sidebar;
  char      *key;
  AdwToast  *toast;   /* NULL once it no longer decides */
} PendingDelete;

struct _NbSidebar
{
  GtkWidget             parent_instance;

  GtkWidget            *box;
  GtkSearchEntry       *search_entry;
  GtkStack             *stack;
  GtkListView          *list_view;
  GtkListView          *results_view;

  NbAssistant          *assistant;
  GListModel           *conversations;
  NbConversationSearch *search;
  GListStore           *store;       /* NbConversation, in the shown order */
  GArray               *depths;      /* guint per store item */
  GtkSingleSelection   *selection;
  GtkSingleSelection   *results_selection;
  GHashTable           *watched;     /* NbConversation → itself, notify connected */
  GHashTable           *hidden;      /* key → PendingDelete or NULL (being trashed) */
  char                 *selected_key;
  guint                 rebuild_id;
  gboolean              updating_selection;
};

G_DEFINE_FINAL_TYPE (NbSidebar, nb_sidebar, GTK_TYPE_WIDGET)

enum {
  CONVERSATION_ACTIVATED,
  CONVERSATION_DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
pending_delete_free (gpointer data)
{
  PendingDelete *pending = data;

  if (pending == NULL)
    return;
  if (pending->toast != NULL)
    g_signal_handlers_disconnect_by_data (pending->toast, pending);
  g_clear_object (&pending->toast);
  g_free (pending->key);
  g_free (pending);
}

static NbConversation *
lookup (NbSidebar  *self,
        const char *key)
{
  guint n = self->conversations != NULL ? g_list_model_get_n_items (self->conversations) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbConversation) item = g_list_model_get_item (self->conversations, i);

      if (g_strcmp0 (nb_conversation_get_key (item), key) == 0)
        return item;
    }
  return NULL;
}

/* Order */

static void schedule_rebuild (NbSidebar *self);

static void
item_notify_cb (NbSidebar *self)
{
  schedule_rebuild (self);
}

static void
add_with_forks (NbSidebar      *self,
                NbConversation *item,
                guint           depth,
                GHashTable     *forks,
                GHashTable     *placed,
                GPtrArray      *order,
                GArray         *depths)
{
  GPtrArray *children;

  if (!g_hash_table_add (placed, item))
    return;
  g_ptr_array_add (order, item);
  g_array_append_val (depths, depth);
  children = g_hash_table_lookup (forks, nb_conversation_get_key (item));
  for (guint i = 0; children != NULL && i < children->len; i++)
    add_with_forks (self, g_ptr_array_index (children, i), depth + 1, forks, placed, order, depths);
}

static void
select_position (NbSidebar *self,
                 guint      position)
{
  self->updating_selection = TRUE;
  gtk_single_selection_set_selected (self->selection, position);
  self->updating_selection = FALSE;
}

static void
restore_selection (NbSidebar *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; self->selected_key != NULL && i < n; i++)
    {
      NbConversation *item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      gboolean match = g_strcmp0 (nb_conversation_get_key (item), self->selected_key) == 0;

      g_object_unref (item);
      if (match)
        {
          if (gtk_single_selection_get_selected (self->selection) != i)
            select_position (self, i);
          return;
        }
    }
  if (gtk_single_selection_get_selected (self->selection) != GTK_INVALID_LIST_POSITION)
    select_position (self, GTK_INVALID_LIST_POSITION);
}

static void
update_page (NbSidebar *self)
{
  const char *page = "list";

  if (self->search != NULL && nb_conversation_search_get_query (self->search) != NULL)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->search)) > 0 || nb_conversation_search_get_running (self->search))
        page = "results";
      else
        page = "no-results";
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0 && self->conversations != NULL)
    page = "empty";
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
rebuild (NbSidebar *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GArray) depths = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) forks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) placed = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = self->conversations != NULL ? g_list_model_get_n_items (self->conversations) : 0;
  guint old_n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint prefix = 0;
  guint suffix = 0;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_clear_handle_id (&self->rebuild_id, g_source_remove);

  for (guint i = 0; i < n; i++)
    {
      NbConversation *item = g_list_model_get_item (self->conversations, i);

      g_ptr_array_add (items, item);
      g_hash_table_add (listed, (gpointer) nb_conversation_get_key (item));
      if (!g_hash_table_contains (self->watched, item))
        {
          g_hash_table_add (self->watched, g_object_ref (item));
          g_signal_connect_object (item, "notify::pinned", G_CALLBACK (item_notify_cb), self, G_CONNECT_SWAPPED);
          g_signal_connect_object (item, "notify::forked-from", G_CALLBACK (item_notify_cb), self, G_CONNECT_SWAPPED);
        }
      if (g_hash_table_contains (self->hidden, nb_conversation_get_key (item)))
        continue;
      g_hash_table_insert (by_key, (gpointer) nb_conversation_get_key (item), item);
    }

  /* Items that left the model are no longer watched; trashed keys that
   * left it need hiding no more. */
  g_hash_table_iter_init (&iter, self->watched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (listed, nb_conversation_get_key (key)))
      {
        g_signal_handlers_disconnect_by_data (key, self);
        g_hash_table_iter_remove (&iter);
      }
  g_hash_table_iter_init (&iter, self->hidden);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value == NULL && !g_hash_table_contains (listed, key))
      g_hash_table_iter_remove (&iter);

  /* Forks under the original they came from, when it is listed. */
  for (guint i = 0; i < items->len; i++)
    {
      NbConversation *item = g_ptr_array_index (items, i);
      const char *original = nb_conversation_get_forked_from (item);
      GPtrArray *children;

      if (!g_hash_table_contains (by_key, nb_conversation_get_key (item)) ||
          original == NULL || !g_hash_table_contains (by_key, original) ||
          g_str_equal (original, nb_conversation_get_key (item)))
        continue;
      children = g_hash_table_lookup (forks, original);
      if (children == NULL)
        g_hash_table_insert (forks, (gpointer) original, children = g_ptr_array_new ());
      g_ptr_array_add (children, item);
    }

  for (int pinned = 1; pinned >= 0; pinned--)
    for (guint i = 0; i < items->len; i++)
      {
        NbConversation *item = g_ptr_array_index (items, i);
        const char *original = nb_conversation_get_forked_from (item);

        if (!g_hash_table_contains (by_key, nb_conversation_get_key (item)) ||
            nb_conversation_get_pinned (item) != pinned)
          continue;
        if (original != NULL && g_hash_table_contains (by_key, original) &&
            !g_str_equal (original, nb_conversation_get_key (item)))
          continue;
        add_with_forks (self, item, 0, forks, placed, order, depths);
      }
  /* Forks in a cycle have no original to go under. */
  for (guint i = 0; i < items->len; i++)
    {
      NbConversation *item = g_ptr_array_index (items, i);

      if (g_hash_table_contains (by_key, nb_conversation_get_key (item)) && !g_hash_table_contains (placed, item))
        add_with_forks (self, item, 0, forks, placed, order, depths);
    }

  /* Splice only what differs. */
  while (prefix < old_n && prefix < order->len)
    {
      g_autoptr(NbConversation) old = g_list_model_get_item (G_LIST_MODEL (self->store), prefix);

      if (old != g_ptr_array_index (order, prefix) ||
          g_array_index (self->depths, guint, prefix) != g_array_index (depths, guint, prefix))
        break;
      prefix++;
    }
  while (suffix < old_n - prefix && suffix < order->len - prefix)
    {
      guint old_pos = old_n - 1 - suffix;
      guint new_pos = order->len - 1 - suffix;
      g_autoptr(NbConversation) old = g_list_model_get_item (G_LIST_MODEL (self->store), old_pos);

      if (old != g_ptr_array_index (order, new_pos) ||
          g_array_index (self->depths, guint, old_pos) != g_array_index (depths, guint, new_pos))
        break;
      suffix++;
    }

  if (prefix < old_n - suffix || prefix < order->len - suffix)
    {
      self->updating_selection = TRUE;
      g_array_remove_range (self->depths, prefix, old_n - suffix - prefix);
      g_array_insert_vals (self->depths, prefix, &g_array_index (depths, guint, prefix), order->len - suffix - prefix);
      g_list_store_splice (self->store, prefix, old_n - suffix - prefix,
                           order->pdata + prefix, order->len - suffix - prefix);
      self->updating_selection = FALSE;
    }
  restore_selection (self);
  update_page (self);
}

static gboolean
rebuild_cb (gpointer user_data)
{
  NbSidebar *self = user_data;

  self->rebuild_id = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_rebuild (NbSidebar *self)
{
  if (self->rebuild_id != 0)
    return;
  self->rebuild_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, rebuild_cb, self, NULL);
  g_source_set_name_by_id (self->rebuild_id, "[nanobot] sidebar order");
}

static void
conversations_changed_cb (NbSidebar *self)
{
  schedule_rebuild (self);
}

/* Rows */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, nb_conversation_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             NbSidebar                *self)
{
  guint position = gtk_list_item_get_position (list_item);
  guint depth = position < self->depths->len ? g_array_index (self->depths, guint, position) : 0;

  /* A conversation waiting for a tool approval is marked. */
  if (self->assistant != NULL)
    nb_conversation_row_set_approval_queue (NB_CONVERSATION_ROW (gtk_list_item_get_child (list_item)),
                                            nb_assistant_get_approval_queue (self->assistant));
  nb_conversation_row_set_conversation (NB_CONVERSATION_ROW (gtk_list_item_get_child (list_item)),
                                        gtk_list_item_get_item (list_item), depth);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  nb_conversation_row_set_conversation (NB_CONVERSATION_ROW (gtk_list_item_get_child (list_item)), NULL, 0);
}

static void
bind_hit_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  nb_conversation_row_set_hit (NB_CONVERSATION_ROW (gtk_list_item_get_child (list_item)),
                               gtk_list_item_get_item (list_item));
}

static void
selection_changed_cb (NbSidebar *self)
{
  NbConversation *item;

  if (self->updating_selection)
    return;
  item = gtk_single_selection_get_selected_item (self->selection);
  if (item == NULL)
    {
      g_clear_pointer (&self->selected_key, g_free);
      return;
    }
  if (g_strcmp0 (self->selected_key, nb_conversation_get_key (item)) == 0)
    return;
  g_free (self->selected_key);
  self->selected_key = g_strdup (nb_conversation_get_key (item));
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, self->selected_key);
}

static void
list_activate_cb (NbSidebar *self,
                  guint      position)
{
  g_autoptr(NbConversation) item = g_list_model_get_item (G_LIST_MODEL (self->store), position);

  if (item != NULL)
    g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, nb_conversation_get_key (item));
}

static void
activate_hit (NbSidebar               *self,
              NbConversationSearchHit *hit)
{
  g_autofree char *key = g_strdup (nb_conversation_search_hit_get_key (hit));

  nb_sidebar_select_key (self, key);
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, key);
}

static void
result_selected_cb (NbSidebar *self)
{
  NbConversationSearchHit *hit = gtk_single_selection_get_selected_item (self->results_selection);

  if (hit != NULL)
    activate_hit (self, hit);
}

static void
results_activate_cb (NbSidebar *self,
                     guint      position)
{
  g_autoptr(NbConversationSearchHit) hit = g_list_model_get_item (G_LIST_MODEL (self->search), position);

  if (hit != NULL)
    activate_hit (self, hit);
}

/* Search */

static void
search_changed_cb (NbSidebar *self)
{
  if (self->search == NULL)
    return;
  nb_conversation_search_set_query (self->search, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_page (self);
}

static void
stop_search_cb (NbSidebar *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  if (self->search != NULL)
    nb_conversation_search_set_query (self->search, NULL);
  update_page (self);
}

/* Enter picks the first result. */
static void
search_activate_cb (NbSidebar *self)
{
  g_autoptr(NbConversationSearchHit) hit = NULL;

  if (self->search == NULL || nb_conversation_search_get_query (self->search) == NULL)
    return;
  search_changed_cb (self);
  hit = g_list_model_get_item (G_LIST_MODEL (self->search), 0);
  if (hit != NULL)
    activate_hit (self, hit);
}

/* Deleting */

typedef struct
{
  NbSidebar *sidebar;
  char      *key;
} TrashCall;

static void
trashed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrashCall *call = user_data;
  g_autoptr(NbSidebar) self = call->sidebar;
  g_autofree char *key = call->key;
  g_autoptr(GError) error = NULL;

  g_free (call);
  if (nb_assistant_trash_conversation_finish (NB_ASSISTANT (source), result, &error))
    {
      /* Hidden until the model drops it, which the assistant asked for. */
      schedule_rebuild (self);
      return;
    }

  /* Kept: shown again, and why. */
  g_hash_table_remove (self->hidden, key);
  if (gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    {
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

      if (overlay != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (error->message));
      rebuild (self);
    }
  g_message ("Could not delete %s: %s", key, error->message);
}

static void
trash (NbSidebar  *self,
       const char *key)
{
  TrashCall *call;

  /* Still hidden, but no toast decides any more. */
  g_hash_table_replace (self->hidden, g_strdup (key), NULL);
  if (self->assistant == NULL)
    return;
  call = g_new0 (TrashCall, 1);
  call->sidebar = g_object_ref (self);
  call->key = g_strdup (key);
  nb_assistant_trash_conversation_async (self->assistant, key, NULL, trashed_cb, call);
}

static void
toast_dismissed_cb (AdwToast      *toast,
                    PendingDelete *pending)
{
  NbSidebar *self = pending->sidebar;
  g_autofree char *key = NULL;

  if (g_hash_table_lookup (self->hidden, pending->key) != pending || pending->toast != toast)
    return;
  key = g_strdup (pending->key);
  trash (self, key);
}

static void
toast_undo_cb (AdwToast      *toast,
               PendingDelete *pending)
{
  gtk_widget_activate_action (GTK_WIDGET (pending->sidebar), "sidebar.undo-delete", "s", pending->key);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NbSidebar *self = NB_SIDEBAR (widget);
  const char *key = g_variant_get_string (parameter, NULL);
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  PendingDelete *pending;
  g_autofree char *owned_key = g_strdup (key);

  if (g_hash_table_contains (self->hidden, key))
    return;

  if (g_strcmp0 (self->selected_key, key) == 0)
    g_clear_pointer (&self->selected_key, g_free);

  pending = g_new0 (PendingDelete, 1);
  pending->sidebar = self;
  pending->key = g_strdup (key);
  g_hash_table_replace (self->hidden, g_strdup (key), pending);
  rebuild (self);
  g_signal_emit (self, signals[CONVERSATION_DELETED], 0, owned_key);

  if (overlay == NULL)
    {
      /* No toast, no Undo. */
      trash (self, owned_key);
      return;
    }
  pending->toast = adw_toast_new (_("Conversation deleted"));
  adw_toast_set_button_label (pending->toast, _("_Undo"));
  /* Not an action: the toast's button lives in the overlay, outside the
   * sidebar whose actions it would look for. */
  g_signal_connect (pending->toast, "button-clicked", G_CALLBACK (toast_undo_cb), pending);
  adw_toast_set_priority (pending->toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (pending->toast, "dismissed", G_CALLBACK (toast_dismissed_cb), pending);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), g_object_ref (pending->toast));
}

static void
undo_delete_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  NbSidebar *self = NB_SIDEBAR (widget);
  const char *key = g_variant_get_string (parameter, NULL);
  PendingDelete *pending = g_hash_table_lookup (self->hidden, key);

  /* Too late once the file is on its way. */
  if (pending == NULL)
    return;
  g_signal_handlers_disconnect_by_data (pending->toast, pending);
  g_hash_table_remove (self->hidden, key);
  rebuild (self);
}

/**
 * nb_sidebar_flush_pending_deletes:
 *
 * Moves the conversations whose toast is still up to the trash now (when
 * the window closes).
 */
void
nb_sidebar_flush_pending_deletes (NbSidebar *self)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) toasts = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;
  PendingDelete *pending;

  g_return_if_fail (NB_IS_SIDEBAR (self));

  g_hash_table_iter_init (&iter, self->hidden);
  while (g_hash_table_iter_next (&iter, &key, (gpointer *) &pending))
    if (pending != NULL)
      {
        g_ptr_array_add (keys, g_strdup (key));
        if (pending->toast != NULL)
          {
            g_signal_handlers_disconnect_by_data (pending->toast, pending);
            g_ptr_array_add (toasts, g_object_ref (pending->toast));
          }
      }
  for (guint i = 0; i < keys->len; i++)
    trash (self, g_ptr_array_index (keys, i));
  for (guint i = 0; i < toasts->len; i++)
    adw_toast_dismiss (g_ptr_array_index (toasts, i));
}

/* Rename, pin */

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    NbSidebar        *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *key = g_object_get_data (G_OBJECT (dialog), "nb-key");

  if (g_strcmp0 (response, "rename") == 0 && self->assistant != NULL)
    nb_assistant_rename_conversation (self->assistant, key, gtk_editable_get_text (entry));
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NbSidebar *self = NB_SIDEBAR (widget);
  const char *key = g_variant_get_string (parameter, NULL);
  NbConversation *item = lookup (self, key);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  GtkWidget *entry;

  if (item == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Rename Conversation"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), nb_conversation_get_title (item) != NULL ? nb_conversation_get_title (item) : "");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "nb-key", g_strdup (key), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
toggle_pin_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  NbSidebar *self = NB_SIDEBAR (widget);
  const char *key = g_variant_get_string (parameter, NULL);
  NbConversation *item = lookup (self, key);

  if (item == NULL || self->assistant == NULL)
    return;
  nb_assistant_set_conversation_pinned (self->assistant, key, !nb_conversation_get_pinned (item));
  rebuild (self);
}

/* Object */

static void
nb_sidebar_dispose (GObject *object)
{
  NbSidebar *self = NB_SIDEBAR (object);
  GHashTableIter iter;
  gpointer item;

  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  if (self->conversations != NULL)
    g_signal_handlers_disconnect_by_data (self->conversations, self);
  if (self->search != NULL)
    g_signal_handlers_disconnect_by_data (self->search, self);
  if (self->watched != NULL)
    {
      g_hash_table_iter_init (&iter, self->watched);
      while (g_hash_table_iter_next (&iter, &item, NULL))
        g_signal_handlers_disconnect_by_data (item, self);
    }
  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_SIDEBAR);
  g_clear_object (&self->selection);
  g_clear_object (&self->results_selection);
  g_clear_object (&self->store);
  g_clear_object (&self->search);
  g_clear_object (&self->conversations);
  g_clear_object (&self->assistant);

  G_OBJECT_CLASS (nb_sidebar_parent_class)->dispose (object);
}

static void
nb_sidebar_finalize (GObject *object)
{
  NbSidebar *self = NB_SIDEBAR (object);

  g_free (self->selected_key);
  g_clear_pointer (&self->depths, g_array_unref);

  G_OBJECT_CLASS (nb_sidebar_parent_class)->finalize (object);
}

static void
nb_sidebar_class_init (NbSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_sidebar_dispose;
  object_class->finalize = nb_sidebar_finalize;

  /**
   * NbSidebar::conversation-activated:
   * @key: the conversation's session key
   *
   * The user picked a conversation (in the list or the search results).
   */
  signals[CONVERSATION_ACTIVATED] =
    g_signal_new ("conversation-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * NbSidebar::conversation-deleted:
   * @key: the conversation's session key
   *
   * A conversation was deleted and its row hidden (its file is trashed
   * later, unless the user undoes it): switch away from it.
   */
  signals[CONVERSATION_DELETED] =
    g_signal_new ("conversation-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_install_action (widget_class, "sidebar.rename", "s", rename_action);
  gtk_widget_class_install_action (widget_class, "sidebar.toggle-pin", "s", toggle_pin_action);
  gtk_widget_class_install_action (widget_class, "sidebar.delete", "s", delete_action);
  gtk_widget_class_install_action (widget_class, "sidebar.undo-delete", "s", undo_delete_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, NbSidebar, box);
  gtk_widget_class_bind_template_child (widget_class, NbSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, NbSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, NbSidebar, list_view);
  gtk_widget_class_bind_template_child (widget_class, NbSidebar, results_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "nb-sidebar");
}

static void
nb_sidebar_init (NbSidebar *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkListItemFactory) results_factory = gtk_signal_list_item_factory_new ();

  g_type_ensure (NB_TYPE_CONVERSATION_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = g_list_store_new (NB_TYPE_CONVERSATION);
  self->depths = g_array_new (FALSE, FALSE, sizeof (guint));
  self->watched = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_delete_free);

  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->list_view, "activate", G_CALLBACK (list_activate_cb), self);

  g_signal_connect (results_factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (results_factory, "bind", G_CALLBACK (bind_hit_cb), NULL);
  gtk_list_view_set_factory (self->results_view, results_factory);
  g_signal_connect_swapped (self->results_view, "activate", G_CALLBACK (results_activate_cb), self);
}

NbSidebar *
nb_sidebar_new (void)
{
  return g_object_new (NB_TYPE_SIDEBAR, NULL);
}

static void
search_results_changed_cb (NbSidebar *self)
{
  update_page (self);
}

/**
 * nb_sidebar_set_assistant:
 *
 * Shows the conversations of @assistant (loading them if it has not yet).
 */
void
nb_sidebar_set_assistant (NbSidebar   *self,
                          NbAssistant *assistant)
{
  g_return_if_fail (NB_IS_SIDEBAR (self));
  g_return_if_fail (assistant == NULL || NB_IS_ASSISTANT (assistant));

  if (self->assistant == assistant)
    return;
  if (self->conversations != NULL)
    g_signal_handlers_disconnect_by_data (self->conversations, self);
  if (self->search != NULL)
    g_signal_handlers_disconnect_by_data (self->search, self);
  gtk_list_view_set_model (self->results_view, NULL);
  g_clear_object (&self->results_selection);
  g_clear_object (&self->search);
  g_clear_object (&self->conversations);
  g_set_object (&self->assistant, assistant);

  if (assistant != NULL)
    {
      self->conversations = g_object_ref (nb_assistant_get_conversations (assistant));
      g_signal_connect_swapped (self->conversations, "items-changed", G_CALLBACK (conversations_changed_cb), self);
      self->search = nb_conversation_search_new (self->conversations);
      g_signal_connect_swapped (self->search, "items-changed", G_CALLBACK (search_results_changed_cb), self);
      g_signal_connect_swapped (self->search, "notify::running", G_CALLBACK (search_results_changed_cb), self);
      self->results_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->search)));
      gtk_single_selection_set_autoselect (self->results_selection, FALSE);
      gtk_single_selection_set_can_unselect (self->results_selection, TRUE);
      g_signal_connect_swapped (self->results_selection, "selection-changed", G_CALLBACK (result_selected_cb), self);
      gtk_list_view_set_model (self->results_view, GTK_SELECTION_MODEL (self->results_selection));
      search_changed_cb (self);
    }
  rebuild (self);
}

NbAssistant *
nb_sidebar_get_assistant (NbSidebar *self)
{
  g_return_val_if_fail (NB_IS_SIDEBAR (self), NULL);
  return self->assistant;
}

/**
 * nb_sidebar_select_key:
 * @key: (nullable): the conversation to show as the current one
 *
 * Selects @key's row (kept selected when it moves), without emitting
 * #NbSidebar::conversation-activated. A key that is not listed yet is
 * selected when it shows up.
 */
void
nb_sidebar_select_key (NbSidebar  *self,
                       const char *key)
{
  char *copy;

  g_return_if_fail (NB_IS_SIDEBAR (self));

  /* @key may be the sidebar's own string, passed on by a handler of
   * conversation-activated: copy before freeing. */
  copy = g_strdup (key);
  g_free (self->selected_key);
  self->selected_key = copy;
  restore_selection (self);
}

const char *
nb_sidebar_get_selected_key (NbSidebar *self)
{
  g_return_val_if_fail (NB_IS_SIDEBAR (self), NULL);
  return self->selected_key;
}

void
nb_sidebar_focus_search (NbSidebar *self)
{
  g_return_if_fail (NB_IS_SIDEBAR (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * nb_sidebar_search:
 * @text: what to search for
 *
 * Puts @text in the search entry (the results follow as when typed) and
 * focuses it, the cursor at the end.
 */
void
nb_sidebar_search (NbSidebar  *self,
                   const char *text)
{
  g_return_if_fail (NB_IS_SIDEBAR (self));
  g_return_if_fail (text != NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_set_position (GTK_EDITABLE (self->search_entry), -1);
}
