/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-memory-page"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-conversation.h"
#include "nb-memory-page.h"
#include "nb-preferences-private.h"

/* The workspace's personality and memory files, opened in the user's
 * editor, and memory consolidation: when it last ran (HISTORY.md's last
 * change) and Consolidate Now for the latest conversation. */
struct _NbMemoryPage
{
  AdwPreferencesPage   parent_instance;

  NbAssistant         *assistant;
  GCancellable        *cancellable;

  AdwPreferencesGroup *files_group;
  AdwActionRow        *consolidated_row;
  GtkSpinner          *consolidate_spinner;
  GtkButton           *consolidate_button;
};

G_DEFINE_FINAL_TYPE (NbMemoryPage, nb_memory_page, ADW_TYPE_PREFERENCES_PAGE)

static const struct {
  const char *file;
  const char *what;
} files[] = {
  { "AGENTS.md", N_("How the assistant works") },
  { "SOUL.md", N_("Its personality and values") },
  { "USER.md", N_("What it knows about you") },
  { "TOOLS.md", N_("Notes on its tools") },
  { "memory/MEMORY.md", N_("Long-term memory") },
};

static void
file_activated_cb (AdwActionRow *row,
                   NbMemoryPage *self)
{
  g_autofree char *workspace = nb_assistant_dup_workspace (self->assistant);
  g_autofree char *path = g_build_filename (workspace, g_object_get_data (G_OBJECT (row), "nb-file"), NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *text = g_strdup_printf (_("%s does not exist yet; it is made with the first message"), path);

      nb_preferences_toast (GTK_WIDGET (self), text);
      return;
    }
  nb_preferences_open_file (GTK_WIDGET (self), path);
}

static void
history_info_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NbMemoryPage) self = user_data;
  g_autoptr(GFileInfo) info = g_file_query_info_finish (G_FILE (object), result, NULL);
  g_autoptr(GDateTime) modified = NULL;
  g_autofree char *when = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (info == NULL || g_file_info_get_size (info) == 0)
    {
      adw_action_row_set_subtitle (self->consolidated_row, _("Not yet"));
      return;
    }
  modified = g_file_info_get_modification_date_time (info);
  when = g_date_time_format (modified, "%x %X");
  adw_action_row_set_subtitle (self->consolidated_row, when);
}

static void
update_consolidated (NbMemoryPage *self)
{
  g_autofree char *workspace = nb_assistant_dup_workspace (self->assistant);
  g_autofree char *path = g_build_filename (workspace, "memory", "HISTORY.md", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  g_file_query_info_async (file, G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                           history_info_cb, g_object_ref (self));
}

static void
consolidate_done (NbMemoryPage *self,
                  const GError *error)
{
  gtk_spinner_stop (self->consolidate_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->consolidate_button), TRUE);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Consolidation failed: %s"), error->message);

      nb_preferences_toast (GTK_WIDGET (self), text);
    }
  update_consolidated (self);
}

static void
consolidated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NbMemoryPage) self = user_data;
  g_autoptr(GError) error = NULL;

  nb_assistant_consolidate_finish (NB_ASSISTANT (object), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    consolidate_done (self, error);
}

static void
session_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbMemoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NbSession) session = nb_assistant_open_session_finish (NB_ASSISTANT (object), result, &error);

  if (session == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        consolidate_done (self, error);
      return;
    }
  nb_assistant_consolidate_async (self->assistant, session, self->cancellable,
                                  consolidated_cb, g_object_ref (self));
}

static void
consolidate_clicked_cb (NbMemoryPage *self)
{
  GListModel *conversations = nb_assistant_get_conversations (self->assistant);
  g_autoptr(NbConversation) latest = NULL;

  if (g_list_model_get_n_items (conversations) == 0)
    {
      nb_preferences_toast (GTK_WIDGET (self), _("There is no conversation to consolidate yet"));
      return;
    }
  latest = g_list_model_get_item (conversations, 0);
  gtk_spinner_start (self->consolidate_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->consolidate_button), FALSE);
  nb_assistant_open_session_async (self->assistant, nb_conversation_get_key (latest), self->cancellable,
                                   session_opened_cb, g_object_ref (self));
}

static void
nb_memory_page_dispose (GObject *object)
{
  NbMemoryPage *self = NB_MEMORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), NB_TYPE_MEMORY_PAGE);
  g_clear_object (&self->assistant);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_memory_page_parent_class)->dispose (object);
}

static void
nb_memory_page_class_init (NbMemoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_memory_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-memory-page.ui");
  gtk_widget_class_bind_template_child (widget_class, NbMemoryPage, files_group);
  gtk_widget_class_bind_template_child (widget_class, NbMemoryPage, consolidated_row);
  gtk_widget_class_bind_template_child (widget_class, NbMemoryPage, consolidate_spinner);
  gtk_widget_class_bind_template_child (widget_class, NbMemoryPage, consolidate_button);
  gtk_widget_class_bind_template_callback (widget_class, consolidate_clicked_cb);
}

static void
nb_memory_page_init (NbMemoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("document-edit-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), files[i].file);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(files[i].what));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
      g_object_set_data (G_OBJECT (row), "nb-file", (gpointer) files[i].file);
      g_signal_connect (row, "activated", G_CALLBACK (file_activated_cb), self);
      adw_preferences_group_add (self->files_group, row);
    }
}

NbMemoryPage *
nb_memory_page_new (NbAssistant *assistant)
{
  NbMemoryPage *self;

  g_return_val_if_fail (NB_IS_ASSISTANT (assistant), NULL);

  self = g_object_new (NB_TYPE_MEMORY_PAGE, NULL);
  self->assistant = g_object_ref (assistant);
  update_consolidated (self);
  return self;
}
