/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-chat-view-private.h"
#include "nb-message-row.h"

/* One session in the chat view (see HACKING.md, "The chat view").
 *
 * The list view shows the session followed by a footer model that holds
 * the error row when there is one, so message positions are the session's.
 * Tool results are paired with their calls through an index of the
 * session's role=tool messages by tool_call_id, built once (one pass over
 * the messages) and kept up to date from items-changed.
 *
 * Following: while the reader is at the bottom, every change of the
 * adjustment's upper or page size (a growing reply, a new message, rows
 * measured for the first time) puts the value back at the bottom. A value
 * change we did not make that leaves the bottom while upper and page size
 * stay what they were (the reader scrolled) stops following. GTK 4.8 has no
 * gtk_list_view_scroll_to(), and the list view changes the adjustment
 * during its size_allocate with its own value-changed handler blocked: a
 * value set there would not move its rows (they would all end up outside
 * the view). So the value is put back at the start of the next frame, in
 * a tick callback, where the list view sees it and lays out for it. */

#define BOTTOM_SLACK 2.0

/* The list holds the session's last START_ROWS messages that show
 * something (role=tool rows have no height and do not count), and
 * PAGE_ROWS more each time the reader comes within LOAD_MARGIN page
 * sizes of its top. */
#define START_ROWS  16
#define PAGE_ROWS   20
#define LOAD_MARGIN 1.0

/* The tail of the session the list view shows: the messages from
 * `offset` to the end. Appending to the session appends to it (the
 * stream and following work as with the whole session); loading older
 * messages lowers the offset and announces the messages as inserted at
 * the top, so the list view keeps its rows and its anchor. (A
 * GtkSliceListModel would announce an offset change as all its items
 * replaced: every row dropped and bound again, and the view lost.) */

#define NB_TYPE_CHAT_TAIL (nb_chat_tail_get_type ())
G_DECLARE_FINAL_TYPE (NbChatTail, nb_chat_tail, NB, CHAT_TAIL, GObject)

struct _NbChatTail
{
  GObject parent_instance;

  GListModel *model;
  guint offset;
};

static GType
nb_chat_tail_get_item_type (GListModel *list)
{
  return NB_TYPE_MESSAGE;
}

static guint
nb_chat_tail_get_n_items (GListModel *list)
{
  NbChatTail *self = NB_CHAT_TAIL (list);
  guint n = g_list_model_get_n_items (self->model);

  return n > self->offset ? n - self->offset : 0;
}

static gpointer
nb_chat_tail_get_item (GListModel *list,
                       guint       position)
{
  NbChatTail *self = NB_CHAT_TAIL (list);

  if (position >= G_MAXUINT - self->offset)
    return NULL;
  return g_list_model_get_item (self->model, self->offset + position);
}

static void
nb_chat_tail_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = nb_chat_tail_get_item_type;
  iface->get_n_items = nb_chat_tail_get_n_items;
  iface->get_item = nb_chat_tail_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (NbChatTail, nb_chat_tail, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, nb_chat_tail_list_model_init))

/* The index from which the last @rows messages that show something start
 * (0 if there are fewer), at most @end. */
static guint
rows_before (GListModel *model,
             guint       end,
             guint       rows)
{
  guint i = end;

  while (i > 0 && rows > 0)
    {
      g_autoptr(NbMessage) message = g_list_model_get_item (model, --i);

      if (g_strcmp0 (nb_message_get_role (message), "tool") != 0)
        rows--;
    }
  return i;
}

static void
nb_chat_tail_items_changed_cb (GListModel *model,
                               guint       position,
                               guint       removed,
                               guint       added,
                               NbChatTail *self)
{
  guint n = g_list_model_get_n_items (model);
  guint n_before = n - added + removed;
  guint count_before = n_before > self->offset ? n_before - self->offset : 0;

  if (position >= self->offset)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position - self->offset, removed, added);
      return;
    }
  /* A change that reaches above the tail (the session reloaded, or cut
   * before it): keep the rows we had, and at least the start. */
  self->offset = MIN (self->offset, rows_before (model, n, START_ROWS));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, count_before, n - self->offset);
}

static void
nb_chat_tail_dispose (GObject *object)
{
  NbChatTail *self = NB_CHAT_TAIL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, nb_chat_tail_items_changed_cb, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (nb_chat_tail_parent_class)->dispose (object);
}

static void
nb_chat_tail_class_init (NbChatTailClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nb_chat_tail_dispose;
}

static void
nb_chat_tail_init (NbChatTail *self)
{
}

static NbChatTail *
nb_chat_tail_new (GListModel *model)
{
  NbChatTail *self = g_object_new (NB_TYPE_CHAT_TAIL, NULL);

  self->model = g_object_ref (model);
  self->offset = rows_before (model, g_list_model_get_n_items (model), START_ROWS);
  g_signal_connect (model, "items-changed", G_CALLBACK (nb_chat_tail_items_changed_cb), self);
  return self;
}

/* Adds @rows older messages that show something at the top. Returns
 * whether there were any. */
static gboolean
nb_chat_tail_grow (NbChatTail *self,
                   guint       rows)
{
  guint offset = rows_before (self->model, self->offset, rows);
  guint added = self->offset - offset;

  if (added == 0)
    return FALSE;
  self->offset = offset;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, added);
  return TRUE;
}

struct _NbChatPage
{
  GObject parent_instance;

  NbChatView *view;          /* unowned: the view owns its pages */
  NbSession *session;
  NbMessage *streaming;      /* the session's streaming reply, to hand its cache on */

  GtkWidget *scroller;
  GtkWidget *list_view;
  NbChatTail *tail;
  GListStore *footer;
  GtkAdjustment *vadjustment;

  GHashTable *results;       /* tool_call_id (the message's string) → NbMessage */
  guint last_reply;
  guint fork_index;
  guint fork_current;
  guint fork_total;
  gboolean running;
  gboolean following;
  gboolean pinning;
  guint pin_tick_id;
  guint load_tick_id;
  double seen_upper;         /* as of the last value change */
  double seen_page_size;
};

G_DEFINE_FINAL_TYPE (NbChatPage, nb_chat_page, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FOLLOWING,
  N_PROPS
};

enum {
  STATE_CHANGED,
  RESULT_ADDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The markdown cache */


static GQuark
slot_quark (const char *slot)
{
  g_autofree char *name = g_strconcat ("nb-chat-markdown-", slot, NULL);

  return g_quark_from_string (name);
}

NbMarkdownDocument *
nb_chat_cached_document (NbMessage  *message,
                         const char *slot,
                         const char *text,
                         gboolean    streaming)
{
  GQuark quark = slot_quark (slot);
  NbMarkdownDocument *document = g_object_get_qdata (G_OBJECT (message), quark);

  text = text != NULL ? text : "";
  if (document == NULL)
    {
      document = nb_markdown_document_new ();
      g_object_set_qdata_full (G_OBJECT (message), quark, document, g_object_unref);
      nb_markdown_document_set_streaming (document, streaming);
      nb_markdown_document_set_text (document, text);
      return document;
    }
  if (nb_markdown_document_get_streaming (document) != streaming)
    nb_markdown_document_set_streaming (document, streaming);
  if (g_strcmp0 (nb_markdown_document_get_text (document), text) != 0)
    nb_markdown_document_set_text (document, text);
  return document;
}

/* The stored reply replaces the streamed one: its text is the same, so
 * its parsed blocks are too. */
void
nb_chat_move_documents (NbMessage *from,
                        NbMessage *to)
{
  GQuark quark = slot_quark ("text");
  NbMarkdownDocument *document = g_object_steal_qdata (G_OBJECT (from), quark);

  if (document == NULL)
    return;
  g_object_set_qdata_full (G_OBJECT (to), quark, document, g_object_unref);
}

/* The index */

static void
index_message (NbChatPage *self,
               NbMessage  *message,
               gboolean    announce)
{
  const char *call_id;

  if (g_strcmp0 (nb_message_get_role (message), "tool") != 0)
    return;
  call_id = nb_message_get_tool_call_id (message);
  if (call_id == NULL)
    return;
  g_hash_table_replace (self->results, (gpointer) call_id, g_object_ref (message));
  if (announce)
    g_signal_emit (self, signals[RESULT_ADDED], 0, call_id);
}

static gboolean
is_reply (NbMessage *message)
{
  const char *content;

  if (g_strcmp0 (nb_message_get_role (message), "assistant") != 0 || nb_message_is_streaming (message))
    return FALSE;
  content = nb_message_get_content (message);
  return content != NULL && *content != '\0';
}

/* The last assistant reply with text, if no user message came after it:
 * the one Regenerate is offered on. */
static guint
find_last_reply (NbSession *session)
{
  guint n = nb_session_get_n_messages (session);

  for (guint i = n; i > 0; i--)
    {
      NbMessage *message = nb_session_get_message (session, i - 1);

      if (is_reply (message))
        return i - 1;
      if (g_strcmp0 (nb_message_get_role (message), "user") == 0)
        break;
    }
  return G_MAXUINT;
}

static void
update_last_reply (NbChatPage *self)
{
  guint last_reply = find_last_reply (self->session);

  if (last_reply == self->last_reply)
    return;
  self->last_reply = last_reply;
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
on_session_items_changed (GListModel *model,
                          guint       position,
                          guint       removed,
                          guint       added,
                          NbChatPage *self)
{
  NbMessage *streaming = nb_session_get_streaming (self->session);

  if (removed > 0 && position == 0 && g_list_model_get_n_items (model) == added)
    g_hash_table_remove_all (self->results);

  /* Connected before the list view's model: the stored reply gets the
   * streamed one's parsed text before a row binds it. */
  if (self->streaming != NULL && self->streaming != streaming && added > 0)
    {
      g_autoptr(NbMessage) replacement = g_list_model_get_item (model, position);

      if (g_strcmp0 (nb_message_get_role (replacement), "assistant") == 0 && !nb_message_is_streaming (replacement))
        nb_chat_move_documents (self->streaming, replacement);
    }
  g_set_object (&self->streaming, streaming);

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(NbMessage) message = g_list_model_get_item (model, position + i);

      index_message (self, message, TRUE);
    }
  update_last_reply (self);
}

/* Following */

static gboolean
at_bottom (GtkAdjustment *adjustment)
{
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  return gtk_adjustment_get_value (adjustment) >= bottom - BOTTOM_SLACK;
}

static void
set_following (NbChatPage *self,
               gboolean    following)
{
  if (self->following == following)
    return;
  self->following = following;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOWING]);
}

static void
pin (NbChatPage *self)
{
  GtkAdjustment *adjustment = self->vadjustment;
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (gtk_adjustment_get_value (adjustment) == bottom)
    return;
  self->pinning = TRUE;
  gtk_adjustment_set_value (adjustment, bottom);
  self->pinning = FALSE;
}

static gboolean
pin_tick_cb (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  NbChatPage *self = user_data;

  self->pin_tick_id = 0;
  if (self->following)
    pin (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_pin (NbChatPage *self)
{
  if (self->pin_tick_id == 0)
    self->pin_tick_id = gtk_widget_add_tick_callback (self->list_view, pin_tick_cb, self, NULL);
}

/* Loading older messages */

static gboolean
near_top (NbChatPage *self)
{
  GtkAdjustment *adjustment = self->vadjustment;
  double page_size = gtk_adjustment_get_page_size (adjustment);
  /* While following, where the view is about to be pinned: not a value
   * of 0 before the first pin. */
  double value = self->following ? gtk_adjustment_get_upper (adjustment) - page_size
                                 : gtk_adjustment_get_value (adjustment);

  return self->tail->offset > 0 && page_size > 0 && value < LOAD_MARGIN * page_size;
}

/* Prepends a page. The list view keeps its anchor row where it is on the
 * screen and moves the adjustment's value by the (estimated) height of
 * the rows added above it, so the view does not move. Not inside the
 * list view's size_allocate (where the adjustment signals come from):
 * at the start of the next frame. */
static gboolean
load_tick_cb (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       user_data)
{
  NbChatPage *self = user_data;

  self->load_tick_id = 0;
  if (near_top (self))
    nb_chat_tail_grow (self->tail, PAGE_ROWS);
  return G_SOURCE_REMOVE;
}

static void
maybe_load_older (NbChatPage *self)
{
  if (self->load_tick_id == 0 && near_top (self))
    self->load_tick_id = gtk_widget_add_tick_callback (self->list_view, load_tick_cb, self, NULL);
}

static void
on_adjustment_changed (GtkAdjustment *adjustment,
                       NbChatPage    *self)
{
  if (self->following)
    schedule_pin (self);
  maybe_load_older (self);
}

static void
on_adjustment_value_changed (GtkAdjustment *adjustment,
                             NbChatPage    *self)
{
  double upper = gtk_adjustment_get_upper (adjustment);
  double page_size = gtk_adjustment_get_page_size (adjustment);
  gboolean layout = upper != self->seen_upper || page_size != self->seen_page_size;

  self->seen_upper = upper;
  self->seen_page_size = page_size;
  /* Ours, or the list view laying out rows: not the reader. */
  if (!self->pinning && !layout)
    set_following (self, at_bottom (adjustment));
  maybe_load_older (self);
}

void
nb_chat_page_scroll_to_bottom (NbChatPage *self)
{
  guint n;

  g_return_if_fail (NB_IS_CHAT_PAGE (self));

  set_following (self, TRUE);
  n = g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (self->list_view))));
  /* Moves the list's anchor to the last row at once, rather than through
   * the estimated heights of every row in between. */
  if (n > 0 && gtk_widget_get_mapped (self->list_view))
    gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", n - 1);
  pin (self);
  schedule_pin (self);
}

gboolean
nb_chat_page_get_following (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), FALSE);
  return self->following;
}

/* Rows */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              NbChatPage               *self)
{
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
  gtk_list_item_set_child (item, nb_message_row_new (self));
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             NbChatPage               *self)
{
  nb_message_row_bind (NB_MESSAGE_ROW (gtk_list_item_get_child (item)), item);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               NbChatPage               *self)
{
  nb_message_row_unbind (NB_MESSAGE_ROW (gtk_list_item_get_child (item)));
}

/* The object */

static void
nb_chat_page_dispose (GObject *object)
{
  NbChatPage *self = NB_CHAT_PAGE (object);

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_func (self->session, on_session_items_changed, self);
  if (self->pin_tick_id != 0)
    gtk_widget_remove_tick_callback (self->list_view, self->pin_tick_id);
  self->pin_tick_id = 0;
  if (self->load_tick_id != 0)
    gtk_widget_remove_tick_callback (self->list_view, self->load_tick_id);
  self->load_tick_id = 0;
  if (self->vadjustment != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_changed, self);
      g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_value_changed, self);
    }
  g_clear_object (&self->vadjustment);
  g_clear_object (&self->scroller);
  g_clear_object (&self->footer);
  g_clear_object (&self->tail);
  g_clear_object (&self->streaming);
  g_clear_pointer (&self->results, g_hash_table_unref);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (nb_chat_page_parent_class)->dispose (object);
}

static void
nb_chat_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  NbChatPage *self = NB_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLLOWING:
      g_value_set_boolean (value, self->following);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_chat_page_class_init (NbChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_chat_page_dispose;
  object_class->get_property = nb_chat_page_get_property;

  properties[PROP_FOLLOWING] =
    g_param_spec_boolean ("following", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Running, the last reply or the fork switcher changed: rows check. */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A tool result arrived for the call with this id. */
  signals[RESULT_ADDED] =
    g_signal_new ("result-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
nb_chat_page_init (NbChatPage *self)
{
  self->results = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->last_reply = G_MAXUINT;
  self->fork_index = G_MAXUINT;
  self->following = TRUE;
}

NbChatPage *
nb_chat_page_new (NbChatView *view,
                  NbSession  *session)
{
  NbChatPage *self = g_object_new (NB_TYPE_CHAT_PAGE, NULL);
  g_autoptr(GListStore) models = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkFlattenListModel *flat;
  GtkNoSelection *selection;
  guint n;

  self->view = view;
  self->session = g_object_ref (session);
  self->streaming = nb_session_get_streaming (session) != NULL ? g_object_ref (nb_session_get_streaming (session)) : NULL;

  n = g_list_model_get_n_items (G_LIST_MODEL (session));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NbMessage) message = g_list_model_get_item (G_LIST_MODEL (session), i);

      index_message (self, message, FALSE);
    }
  self->last_reply = find_last_reply (session);
  /* Before the list's model connects, see on_session_items_changed(). */
  g_signal_connect (session, "items-changed", G_CALLBACK (on_session_items_changed), self);

  self->tail = nb_chat_tail_new (G_LIST_MODEL (session));
  self->footer = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_list_store_append (models, self->tail);
  g_list_store_append (models, self->footer);
  flat = gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&models)));
  selection = gtk_no_selection_new (G_LIST_MODEL (flat));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  self->list_view = gtk_list_view_new (GTK_SELECTION_MODEL (selection), g_object_ref (factory));
  gtk_widget_add_css_class (self->list_view, "nb-chat-list");
  gtk_widget_add_css_class (self->list_view, "view");

  self->scroller = g_object_ref_sink (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list_view);
  self->vadjustment = g_object_ref (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)));
  g_signal_connect (self->vadjustment, "changed", G_CALLBACK (on_adjustment_changed), self);
  g_signal_connect (self->vadjustment, "value-changed", G_CALLBACK (on_adjustment_value_changed), self);
  return self;
}

/* The session index of the list's first row: a row's session index is
 * its list position plus this. */
guint
nb_chat_page_get_offset (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), 0);
  return self->tail->offset;
}

NbChatView *
nb_chat_page_get_view (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), NULL);
  return self->view;
}

NbSession *
nb_chat_page_get_session (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), NULL);
  return self->session;
}

/* Returns: (transfer none): the scroller to put in the view */
GtkWidget *
nb_chat_page_get_widget (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), NULL);
  return self->scroller;
}

GtkWidget *
nb_chat_page_get_list_view (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), NULL);
  return self->list_view;
}

/* Returns: (transfer none) (nullable): the result of the call */
NbMessage *
nb_chat_page_lookup_result (NbChatPage *self,
                            const char *call_id)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), NULL);
  return call_id != NULL ? g_hash_table_lookup (self->results, call_id) : NULL;
}

gboolean
nb_chat_page_get_running (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), FALSE);
  return self->running;
}

void
nb_chat_page_set_running (NbChatPage *self,
                          gboolean    running)
{
  g_return_if_fail (NB_IS_CHAT_PAGE (self));

  running = !!running;
  if (self->running == running)
    return;
  self->running = running;
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

guint
nb_chat_page_get_last_reply (NbChatPage *self)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), G_MAXUINT);
  return self->running ? G_MAXUINT : self->last_reply;
}

void
nb_chat_page_set_fork_info (NbChatPage *self,
                            guint       message_index,
                            guint       current,
                            guint       total)
{
  g_return_if_fail (NB_IS_CHAT_PAGE (self));

  if (total <= 1)
    message_index = G_MAXUINT;
  if (self->fork_index == message_index && self->fork_current == current && self->fork_total == total)
    return;
  self->fork_index = message_index;
  self->fork_current = current;
  self->fork_total = total;
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

gboolean
nb_chat_page_get_fork_info (NbChatPage *self,
                            guint       position,
                            guint      *current,
                            guint      *total)
{
  g_return_val_if_fail (NB_IS_CHAT_PAGE (self), FALSE);

  if (self->fork_index == G_MAXUINT || position != self->fork_index)
    return FALSE;
  *current = self->fork_current;
  *total = self->fork_total;
  return TRUE;
}

void
nb_chat_page_set_error (NbChatPage *self,
                        const char *message)
{
  g_return_if_fail (NB_IS_CHAT_PAGE (self));

  if (message == NULL)
    {
      g_list_store_remove_all (self->footer);
      return;
    }
  {
    g_autoptr(GtkStringObject) item = gtk_string_object_new (message);

    g_list_store_splice (self->footer, 0, g_list_model_get_n_items (G_LIST_MODEL (self->footer)),
                         (gpointer *) &item, 1);
  }
}
