/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-permissions-page.h"

/*
 * Preferences → Permissions: tools.permissions of config.json (the
 * default and the rules: edit, reorder, delete, add) and the grants of
 * "Allow in This Conversation" (revoke). Every change is saved at once
 * through nb_permissions_save_async(), which keeps the rest of the file
 * and is in effect (and shown here) while it is written; the rows are
 * rebuilt from the configuration when it changes, also when another
 * program edits the file. A save that fails says why under the rules and
 * in a toast, and the rows show the file as it still is.
 */

struct _NbPermissionsPage
{
  AdwPreferencesPage  parent_instance;

  NbPermissions      *permissions;
  GPtrArray          *rule_rows;
  GPtrArray          *grant_rows;
  guint               rebuild_id;
  gboolean            updating;

  GtkWidget          *default_row;
  GtkWidget          *rules_group;
  GtkWidget          *add_button;
  GtkWidget          *grants_group;
  GtkWidget          *error_label;
};

G_DEFINE_FINAL_TYPE (NbPermissionsPage, nb_permissions_page, ADW_TYPE_PREFERENCES_PAGE)

static const char * const decisions[] = { "ask", "allow", "deny" };

static void schedule_rebuild (NbPermissionsPage *self);

/* A copy of tools.permissions to change and save, with the saves not
 * written yet. */
static JsonObject *
dup_permissions (NbPermissionsPage *self)
{
  JsonObject *permissions = nb_permissions_dup_policy (self->permissions);

  return permissions != NULL ? permissions : json_object_new ();
}

static JsonArray *
ensure_rules (JsonObject *permissions)
{
  if (nb_json_get_array (permissions, "rules") == NULL)
    json_object_set_array_member (permissions, "rules", json_array_new ());
  return json_object_get_array_member (permissions, "rules");
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NbPermissionsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GtkRoot *root;

  if (nb_permissions_save_finish (NB_PERMISSIONS (source), result, &error))
    return;
  if (self->permissions == NULL)
    return;
  text = g_strdup_printf (_("Could not save the permissions: %s"), error->message);
  gtk_label_set_text (GTK_LABEL (self->error_label), text);
  gtk_widget_set_visible (self->error_label, TRUE);
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
  /* Nothing changed: show the file as it is. */
  schedule_rebuild (self);
}

static void
save (NbPermissionsPage *self,
      JsonObject        *permissions)
{
  gtk_widget_set_visible (self->error_label, FALSE);
  nb_permissions_save_async (self->permissions, permissions, NULL, saved_cb, g_object_ref (self));
  schedule_rebuild (self);
}

/* Rules */

static guint
row_index (GtkWidget *widget)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "nb-rule-index"));
}

static void
edit_rule (NbPermissionsPage *self,
           guint              index,
           const char        *key,
           const char        *value)
{
  g_autoptr(JsonObject) permissions = dup_permissions (self);
  JsonArray *rules = ensure_rules (permissions);
  JsonObject *rule;

  if (self->updating || index >= json_array_get_length (rules))
    return;
  rule = json_array_get_object_element (rules, index);
  if (value == NULL || *value == '\0')
    json_object_remove_member (rule, key);
  else
    json_object_set_string_member (rule, key, value);
  save (self, permissions);
}

static void
entry_applied_cb (AdwEntryRow       *row,
                  NbPermissionsPage *self)
{
  edit_rule (self, row_index (GTK_WIDGET (row)), g_object_get_data (G_OBJECT (row), "nb-rule-key"),
             gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
decision_selected_cb (AdwComboRow       *row,
                      GParamSpec        *pspec,
                      NbPermissionsPage *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected < G_N_ELEMENTS (decisions))
    edit_rule (self, row_index (GTK_WIDGET (row)), "decision", decisions[selected]);
}

static void
move_rule (NbPermissionsPage *self,
           guint              index,
           int                delta)
{
  g_autoptr(JsonObject) permissions = dup_permissions (self);
  JsonArray *rules = ensure_rules (permissions);
  g_autoptr(JsonArray) reordered = json_array_new ();
  guint n = json_array_get_length (rules);
  int other = (int) index + delta;

  if (index >= n || (delta != 0 && (other < 0 || other >= (int) n)))
    return;
  for (guint i = 0; i < n; i++)
    {
      guint from = i;

      if (delta == 0 && i == index)
        continue;   /* deleted */
      if (delta != 0 && i == index)
        from = other;
      else if (delta != 0 && (int) i == other)
        from = index;
      json_array_add_element (reordered, json_node_copy (json_array_get_element (rules, from)));
    }
  json_object_set_array_member (permissions, "rules", g_steal_pointer (&reordered));
  save (self, permissions);
}

static void
up_clicked_cb (GtkButton         *button,
               NbPermissionsPage *self)
{
  move_rule (self, row_index (GTK_WIDGET (button)), -1);
}

static void
down_clicked_cb (GtkButton         *button,
                 NbPermissionsPage *self)
{
  move_rule (self, row_index (GTK_WIDGET (button)), 1);
}

static void
delete_clicked_cb (GtkButton         *button,
                   NbPermissionsPage *self)
{
  move_rule (self, row_index (GTK_WIDGET (button)), 0);
}

static void
add_clicked_cb (NbPermissionsPage *self)
{
  g_autoptr(JsonObject) permissions = dup_permissions (self);
  JsonObject *rule = json_object_new ();

  json_object_set_string_member (rule, "tool", "exec");
  json_object_set_string_member (rule, "command", "");
  json_object_set_string_member (rule, "decision", "ask");
  json_array_add_object_element (ensure_rules (permissions), rule);
  save (self, permissions);
}

static GtkWidget *
tagged (GtkWidget *widget,
        guint      index)
{
  g_object_set_data (G_OBJECT (widget), "nb-rule-index", GUINT_TO_POINTER (index));
  return widget;
}

static GtkWidget *
icon_button (const char *icon,
             const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static GtkWidget *
rule_row (NbPermissionsPage *self,
          JsonObject        *rule,
          guint              index,
          guint              n_rules)
{
  static const struct {
    const char *key;
    const char *title;
  } fields[] = {
    { "tool", N_("Tool (* for any)") },
    { "command", N_("Command") },
    { "path", N_("Path") },
  };
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *decision = adw_combo_row_new ();
  GtkWidget *actions = adw_action_row_new ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  const char *what = nb_json_get_string (rule, "command");
  NbPermission permission = NB_PERMISSION_ASK;
  g_autofree char *title = NULL;
  GtkWidget *button;

  if (what == NULL || *what == '\0')
    what = nb_json_get_string (rule, "path");
  title = what != NULL && *what != '\0'
          ? g_strdup_printf ("%s  %s", nb_json_get_string_or (rule, "tool", "*"), what)
          : g_strdup (nb_json_get_string_or (rule, "tool", "*"));
  nb_permission_from_string (nb_json_get_string (rule, "decision"), &permission);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row),
                                 permission == NB_PERMISSION_ALLOW ? _("Allow")
                                 : permission == NB_PERMISSION_DENY ? _("Deny") : _("Ask"));

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *entry = tagged (adw_entry_row_new (), index);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _(fields[i].title));
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (entry), TRUE);
      gtk_editable_set_text (GTK_EDITABLE (entry), nb_json_get_string_or (rule, fields[i].key, ""));
      g_object_set_data (G_OBJECT (entry), "nb-rule-key", (gpointer) fields[i].key);
      g_signal_connect (entry, "apply", G_CALLBACK (entry_applied_cb), self);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), entry);
    }

  gtk_string_list_append (names, _("Ask"));
  gtk_string_list_append (names, _("Allow"));
  gtk_string_list_append (names, _("Deny"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (decision), _("Decision"));
  adw_combo_row_set_model (ADW_COMBO_ROW (decision), G_LIST_MODEL (names));
  adw_combo_row_set_selected (ADW_COMBO_ROW (decision), permission);
  g_signal_connect (tagged (decision, index), "notify::selected", G_CALLBACK (decision_selected_cb), self);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), decision);

  button = tagged (icon_button ("go-up-symbolic", _("Move Up")), index);
  gtk_widget_set_sensitive (button, index > 0);
  g_signal_connect (button, "clicked", G_CALLBACK (up_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (actions), button);
  button = tagged (icon_button ("go-down-symbolic", _("Move Down")), index);
  gtk_widget_set_sensitive (button, index + 1 < n_rules);
  g_signal_connect (button, "clicked", G_CALLBACK (down_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (actions), button);
  button = tagged (icon_button ("user-trash-symbolic", _("Delete Rule")), index);
  gtk_widget_add_css_class (button, "destructive-action");
  g_signal_connect (button, "clicked", G_CALLBACK (delete_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (actions), button);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), actions);
  return row;
}

/* Grants */

static void
revoke_clicked_cb (GtkButton         *button,
                   NbPermissionsPage *self)
{
  nb_permissions_revoke_grant (self->permissions, row_index (GTK_WIDGET (button)));
}

static GtkWidget *
grant_row (NbPermissionsPage *self,
           JsonObject        *grant,
           guint              index)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = tagged (gtk_button_new_with_label (_("Revoke")), index);
  const char *what = nb_json_get_string (grant, "command");
  g_autofree char *title = NULL;

  if (what == NULL)
    what = nb_json_get_string (grant, "path");
  title = what != NULL ? g_strdup_printf ("%s  %s", nb_json_get_string_or (grant, "tool", "*"), what)
                       : g_strdup (nb_json_get_string_or (grant, "tool", "*"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), nb_json_get_string_or (grant, "session", ""));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", G_CALLBACK (revoke_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

/* Showing the configuration */

static void
clear_rows (GtkWidget *group,
            GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void
rebuild (NbPermissionsPage *self)
{
  g_autoptr(JsonObject) permissions = nb_permissions_dup_policy (self->permissions);
  JsonArray *rules = nb_json_get_array (permissions, "rules");
  JsonArray *grants = nb_permissions_get_grants (self->permissions);
  NbPermission permission = NB_PERMISSION_ASK;
  guint n_rules = rules != NULL ? json_array_get_length (rules) : 0;

  self->updating = TRUE;
  if (permissions == NULL || !nb_permission_from_string (nb_json_get_string (permissions, "default"), &permission))
    adw_combo_row_set_selected (ADW_COMBO_ROW (self->default_row), 0);
  else
    adw_combo_row_set_selected (ADW_COMBO_ROW (self->default_row), permission + 1);

  clear_rows (self->rules_group, self->rule_rows);
  for (guint i = 0; i < n_rules; i++)
    {
      JsonNode *node = json_array_get_element (rules, i);
      GtkWidget *row;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      row = rule_row (self, json_node_get_object (node), i, n_rules);
      g_ptr_array_add (self->rule_rows, row);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->rules_group), row);
    }

  clear_rows (self->grants_group, self->grant_rows);
  for (guint i = 0; i < json_array_get_length (grants); i++)
    {
      GtkWidget *row = grant_row (self, json_array_get_object_element (grants, i), i);

      g_ptr_array_add (self->grant_rows, row);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->grants_group), row);
    }
  gtk_widget_set_visible (self->grants_group, json_array_get_length (grants) > 0);
  self->updating = FALSE;
}

static gboolean
rebuild_cb (gpointer user_data)
{
  NbPermissionsPage *self = user_data;

  self->rebuild_id = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

/* Not inside a row's own signal: the row is destroyed. */
static void
schedule_rebuild (NbPermissionsPage *self)
{
  if (self->rebuild_id == 0)
    self->rebuild_id = g_idle_add (rebuild_cb, self);
}

static void
default_selected_cb (NbPermissionsPage *self)
{
  g_autoptr(JsonObject) permissions = NULL;
  guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (self->default_row));

  if (self->updating || self->permissions == NULL)
    return;
  permissions = dup_permissions (self);
  if (selected == 0)
    json_object_remove_member (permissions, "default");
  else if (selected <= G_N_ELEMENTS (decisions))
    json_object_set_string_member (permissions, "default", decisions[selected - 1]);
  /* Nothing left: the key goes, and each front end's default applies. */
  save (self, json_object_get_size (permissions) > 0 ? permissions : NULL);
}

/* The object */

static void
nb_permissions_page_dispose (GObject *object)
{
  NbPermissionsPage *self = NB_PERMISSIONS_PAGE (object);

  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  if (self->permissions != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->permissions, self);
      g_signal_handlers_disconnect_by_data (nb_permissions_get_config (self->permissions), self);
    }
  g_clear_object (&self->permissions);
  g_clear_pointer (&self->rule_rows, g_ptr_array_unref);
  g_clear_pointer (&self->grant_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_PERMISSIONS_PAGE);

  G_OBJECT_CLASS (nb_permissions_page_parent_class)->dispose (object);
}

static void
nb_permissions_page_class_init (NbPermissionsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_permissions_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-permissions-page.ui");
  gtk_widget_class_bind_template_child (widget_class, NbPermissionsPage, default_row);
  gtk_widget_class_bind_template_child (widget_class, NbPermissionsPage, rules_group);
  gtk_widget_class_bind_template_child (widget_class, NbPermissionsPage, add_button);
  gtk_widget_class_bind_template_child (widget_class, NbPermissionsPage, grants_group);
  gtk_widget_class_bind_template_child (widget_class, NbPermissionsPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, default_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
}

static void
nb_permissions_page_init (NbPermissionsPage *self)
{
  self->rule_rows = g_ptr_array_new ();
  self->grant_rows = g_ptr_array_new ();
  self->updating = TRUE;  /* until there is something to show */
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * nb_permissions_page_new:
 * @permissions: the assistant's (nb_assistant_get_permissions())
 *
 * Returns: (transfer floating): Preferences → Permissions
 */
GtkWidget *
nb_permissions_page_new (NbPermissions *permissions)
{
  NbPermissionsPage *self;

  g_return_val_if_fail (NB_IS_PERMISSIONS (permissions), NULL);

  self = g_object_new (NB_TYPE_PERMISSIONS_PAGE, NULL);
  self->permissions = g_object_ref (permissions);
  g_signal_connect_swapped (permissions, "grants-changed", G_CALLBACK (schedule_rebuild), self);
  g_signal_connect_swapped (nb_permissions_get_config (permissions), "changed", G_CALLBACK (schedule_rebuild), self);
  rebuild (self);
  return GTK_WIDGET (self);
}
