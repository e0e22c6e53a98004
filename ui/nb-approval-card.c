/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-ui"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "nb-approval-card.h"
#include "nb-approval-diff.h"
#include "nb-json-util.h"
#include "nb-mcp-tool.h"

/*
 * The question shown in place of a tool card while its call waits for
 * the user: what exactly would happen (the command with its folder and
 * whether the sandbox holds it, the diff of a file change made in a
 * thread, an MCP server's tool and arguments, a sub-agent's task), and
 * the answers: Allow Once, Allow in This Conversation, Always Allow (an
 * editor with the narrowest rule, saved to config.json), Deny (with an
 * optional reason for the model). When several calls of the conversation
 * wait, Allow All and Deny All answer them together. The rule is written
 * after the card is gone; a rule that could not be saved is said in a
 * toast of the window that showed the card.
 */

struct _NbApprovalCard
{
  GtkWidget        parent_instance;

  NbToolApproval  *approval;
  NbApprovalQueue *queue;
  GCancellable    *cancellable;   /* the diff */

  GtkWidget       *icon;
  GtkWidget       *title_label;
  GtkWidget       *subtitle_label;
  GtkWidget       *command_label;
  GtkWidget       *detail_label;
  GtkWidget       *sandbox_box;
  GtkWidget       *sandbox_icon;
  GtkWidget       *sandbox_label;
  GtkWidget       *body_scroller;
  GtkWidget       *body_label;
  GtkWidget       *buttons;
  GtkWidget       *allow_button;
  GtkWidget       *conversation_button;
  GtkWidget       *always_button;
  GtkWidget       *deny_button;
  GtkWidget       *always_revealer;
  GtkWidget       *always_label;
  GtkWidget       *rule_entry;
  GtkWidget       *save_rule_button;
  GtkWidget       *deny_revealer;
  GtkWidget       *reason_entry;
  GtkWidget       *deny_confirm_button;
  GtkWidget       *all_box;
  GtkWidget       *all_label;
  GtkWidget       *allow_all_button;
  GtkWidget       *deny_all_button;
};

G_DEFINE_FINAL_TYPE (NbApprovalCard, nb_approval_card, GTK_TYPE_WIDGET)

static char *
pretty_json (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

static void
show_body (NbApprovalCard *self,
           const char     *markup,
           gboolean        is_markup)
{
  if (is_markup)
    gtk_label_set_markup (GTK_LABEL (self->body_label), markup);
  else
    gtk_label_set_text (GTK_LABEL (self->body_label), markup);
  gtk_widget_set_visible (self->body_scroller, markup != NULL && *markup != '\0');
}

static void
show_detail (NbApprovalCard *self,
             const char     *text)
{
  gtk_label_set_text (GTK_LABEL (self->detail_label), text);
  gtk_widget_set_visible (self->detail_label, text != NULL && *text != '\0');
}

static void
diff_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  NbApprovalCard *self = user_data;
  g_autofree char *summary = NULL;
  g_autofree char *markup = nb_approval_diff_finish (result, &summary, NULL);
  g_autofree char *detail = NULL;
  const char *path;

  if (markup == NULL)
    {
      g_object_unref (self);
      return;
    }
  path = nb_json_get_string (nb_tool_approval_get_arguments (self->approval), "path");
  detail = path != NULL ? g_strdup_printf ("%s · %s", path, summary) : g_strdup (summary);
  show_detail (self, detail);
  show_body (self, markup, TRUE);
  g_object_unref (self);
}

/* The editor of "Always Allow": the pattern the rule keeps. */
static const char *
rule_key (JsonObject *rule)
{
  if (nb_json_get_string (rule, "command") != NULL)
    return "command";
  if (nb_json_get_string (rule, "path") != NULL)
    return "path";
  return "tool";
}

static void
show_approval (NbApprovalCard *self)
{
  NbToolApproval *approval = self->approval;
  const char *tool = nb_tool_approval_get_tool_name (approval);
  JsonObject *arguments = nb_tool_approval_get_arguments (approval);
  JsonObject *rule = nb_tool_approval_get_suggested_rule (approval);
  const char *agent = nb_tool_approval_get_agent_label (approval);
  g_autofree char *server = nb_tool_approval_dup_mcp_server (approval);
  g_autofree char *subtitle = NULL;
  g_autofree char *always = NULL;
  const char *key = rule_key (rule);

  gtk_widget_set_visible (self->command_label, FALSE);
  gtk_widget_set_visible (self->sandbox_box, FALSE);
  show_detail (self, NULL);
  show_body (self, NULL, FALSE);

  if (g_strcmp0 (tool, "exec") == 0)
    {
      gboolean sandboxed = nb_tool_approval_get_sandboxed (approval);
      g_autofree char *folder = g_strdup_printf (_("In %s"), nb_tool_approval_get_working_dir (approval));

      gtk_label_set_text (GTK_LABEL (self->title_label), _("Run this command?"));
      gtk_label_set_text (GTK_LABEL (self->command_label), nb_tool_approval_get_command (approval));
      gtk_widget_set_visible (self->command_label, TRUE);
      show_detail (self, folder);
      gtk_image_set_from_icon_name (GTK_IMAGE (self->sandbox_icon),
                                    sandboxed ? "security-high-symbolic" : "dialog-warning-symbolic");
      gtk_label_set_text (GTK_LABEL (self->sandbox_label),
                          sandboxed ? _("Sandboxed: it can only change files in the workspace")
                                    : _("Not sandboxed: it runs with all your permissions"));
      gtk_widget_set_visible (self->sandbox_box, TRUE);
    }
  else if (g_strcmp0 (tool, "write_file") == 0 || g_strcmp0 (tool, "edit_file") == 0 ||
           g_strcmp0 (tool, "apply_patch") == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->title_label),
                          g_str_equal (tool, "apply_patch") ? _("Apply this patch?")
                          : g_str_equal (tool, "write_file") ? _("Write this file?") : _("Edit this file?"));
      show_detail (self, nb_json_get_string (arguments, "path"));
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      nb_approval_diff_async (approval, adw_style_manager_get_dark (adw_style_manager_get_default ()),
                              self->cancellable, diff_cb, g_object_ref (self));
    }
  else if (g_strcmp0 (tool, "delete_file") == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->title_label), _("Delete this file?"));
      gtk_label_set_text (GTK_LABEL (self->command_label), nb_json_get_string (arguments, "path"));
      gtk_widget_set_visible (self->command_label, TRUE);
    }
  else if (g_strcmp0 (tool, "spawn") == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->title_label), _("Start a sub-agent?"));
      show_body (self, nb_json_get_string (arguments, "task"), FALSE);
      gtk_label_set_wrap (GTK_LABEL (self->body_label), TRUE);
    }
  else if (server != NULL)
    {
      const char *mcp_tool = nb_tool_approval_get_mcp_tool (approval);
      g_autofree char *title = g_strdup_printf (_("Use %s of the server “%s”?"),
                                                mcp_tool != NULL ? mcp_tool : tool, server);
      g_autofree char *json = pretty_json (arguments);

      gtk_label_set_text (GTK_LABEL (self->title_label), title);
      show_body (self, json, FALSE);
    }
  else
    {
      g_autofree char *title = g_strdup_printf (_("Use the tool %s?"), tool);
      g_autofree char *json = pretty_json (arguments);

      gtk_label_set_text (GTK_LABEL (self->title_label), title);
      show_body (self, json, FALSE);
    }
  if (!g_str_equal (tool, "spawn"))
    gtk_label_set_wrap (GTK_LABEL (self->body_label), FALSE);

  if (agent != NULL)
    subtitle = g_strdup_printf (_("Asked by the sub-agent “%s”"), agent);
  gtk_label_set_text (GTK_LABEL (self->subtitle_label), subtitle);
  gtk_widget_set_visible (self->subtitle_label, subtitle != NULL);

  if (g_str_equal (key, "command"))
    always = g_strdup (_("Always allow commands matching (* is any text, but never ; &amp; | or $):"));
  else if (g_str_equal (key, "path"))
    always = g_strdup_printf (_("Always allow %s for the paths (relative to the workspace; * within a folder, ** any depth):"), tool);
  else if (server != NULL)
    {
      /* The server's prefix as tool names spell it (a server "my.server"
       * has tools "mcp_my_server_…"). */
      g_autofree char *prefix = nb_mcp_tool_make_name (server, "");
      g_autofree char *escaped_prefix = g_markup_escape_text (prefix, -1);
      g_autofree char *escaped_server = g_markup_escape_text (server, -1);

      /* Translators: the first %s is a pattern such as mcp_github_, the second a server's name */
      always = g_strdup_printf (_("Always allow the tools named (* is any text; %s* is every tool of “%s”):"),
                                escaped_prefix, escaped_server);
    }
  else
    always = g_strdup (_("Always allow the tools named (* is any text):"));
  gtk_label_set_markup (GTK_LABEL (self->always_label), always);
  gtk_editable_set_text (GTK_EDITABLE (self->rule_entry), nb_json_get_string (rule, key));

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->always_button), FALSE);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->deny_button), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->reason_entry), "");
}

static void
update_all (NbApprovalCard *self)
{
  guint n = 0;

  if (self->queue != NULL && self->approval != NULL)
    n = nb_approval_queue_count_session (self->queue, nb_tool_approval_get_session_key (self->approval));
  if (n > 1)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u call waits", "%u calls wait", n), n);

      gtk_label_set_text (GTK_LABEL (self->all_label), text);
    }
  gtk_widget_set_visible (self->all_box, n > 1);
}

/* Answers */

static void
answer (NbApprovalCard   *self,
        NbApprovalAnswer  answer,
        const char       *reason,
        JsonObject       *rule)
{
  g_autoptr(NbToolApproval) approval = NULL;

  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (self->approval == NULL)
    return;
  /* The card goes away with the answer: the keyboard goes back to the
   * message field rather than nowhere. */
  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.focus-composer", NULL);
  approval = g_object_ref (self->approval);
  nb_tool_approval_answer (approval, answer, reason, rule);
}

static void
allow_clicked_cb (NbApprovalCard *self)
{
  answer (self, NB_APPROVAL_ALLOW_ONCE, NULL, NULL);
}

static void
conversation_clicked_cb (NbApprovalCard *self)
{
  answer (self, NB_APPROVAL_ALLOW_CONVERSATION, NULL, NULL);
}

static void
always_toggled_cb (NbApprovalCard *self)
{
  gboolean active = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->always_button));

  /* Hidden, a revealer would still take the card's spacing. */
  gtk_widget_set_visible (self->always_revealer, active);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->always_revealer), active);
  if (active)
    {
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->deny_button), FALSE);
      gtk_widget_grab_focus (self->rule_entry);
    }
}

static void
deny_toggled_cb (NbApprovalCard *self)
{
  gboolean active = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->deny_button));

  gtk_widget_set_visible (self->deny_revealer, active);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->deny_revealer), active);
  if (active)
    {
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->always_button), FALSE);
      gtk_widget_grab_focus (self->reason_entry);
    }
}

/* The rule is written after the card has gone: the window that showed
 * it says when it could not be. */
static void
rule_saved_cb (NbToolApproval *approval,
               const GError   *error,
               GtkWidget      *where)
{
  g_autofree char *text = NULL;

  g_signal_handlers_disconnect_by_func (approval, rule_saved_cb, where);
  if (error == NULL)
    return;
  text = g_strdup_printf (_("The rule was not saved in config.json, so Nanobot will ask again next time: %s"),
                          error->message);
  if (ADW_IS_TOAST_OVERLAY (where))
    {
      AdwToast *toast = adw_toast_new (text);

      adw_toast_set_timeout (toast, 0);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (where), toast);
    }
  else if (GTK_IS_WINDOW (where))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (where), _("Rule Not Saved"), text);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
watch_rule_save (NbApprovalCard *self)
{
  GtkWidget *where = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (where == NULL)
    where = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
  if (where != NULL)
    g_signal_connect_object (self->approval, "rule-saved", G_CALLBACK (rule_saved_cb), where, 0);
}

static void
save_rule_cb (NbApprovalCard *self)
{
  JsonObject *suggested;
  g_autoptr(JsonObject) rule = NULL;
  g_autoptr(GList) members = NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->rule_entry));
  const char *key;

  if (self->approval == NULL)
    return;
  if (*text == '\0')
    {
      gtk_widget_error_bell (self->rule_entry);
      return;
    }
  suggested = nb_tool_approval_get_suggested_rule (self->approval);
  key = rule_key (suggested);
  rule = json_object_new ();
  members = json_object_get_members (suggested);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (rule, l->data, json_node_copy (json_object_get_member (suggested, l->data)));
  json_object_set_string_member (rule, key, text);
  watch_rule_save (self);
  answer (self, NB_APPROVAL_ALLOW_ALWAYS, NULL, rule);
}

static void
deny_confirm_cb (NbApprovalCard *self)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_entry))));

  answer (self, NB_APPROVAL_DENY, reason, NULL);
}

static void
allow_all_clicked_cb (NbApprovalCard *self)
{
  g_autofree char *key = NULL;

  if (self->approval == NULL || self->queue == NULL)
    return;
  key = g_strdup (nb_tool_approval_get_session_key (self->approval));
  nb_approval_queue_answer_session (self->queue, key, NB_APPROVAL_ALLOW_ONCE);
}

static void
deny_all_clicked_cb (NbApprovalCard *self)
{
  g_autofree char *key = NULL;

  if (self->approval == NULL || self->queue == NULL)
    return;
  key = g_strdup (nb_tool_approval_get_session_key (self->approval));
  nb_approval_queue_answer_session (self->queue, key, NB_APPROVAL_DENY);
}

/* The object */

static void
queue_session_changed_cb (NbApprovalCard *self,
                          const char     *session_key)
{
  if (self->approval != NULL && g_strcmp0 (session_key, nb_tool_approval_get_session_key (self->approval)) == 0)
    update_all (self);
}

static void
nb_approval_card_dispose (GObject *object)
{
  NbApprovalCard *self = NB_APPROVAL_CARD (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->queue != NULL)
    g_signal_handlers_disconnect_by_data (self->queue, self);
  g_clear_object (&self->queue);
  g_clear_object (&self->approval);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_APPROVAL_CARD);
  /* The template's children without a name are not disposed with it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (nb_approval_card_parent_class)->dispose (object);
}

static void
nb_approval_card_class_init (NbApprovalCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_approval_card_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-approval-card.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, NbApprovalCard, name)
  CHILD (icon);
  CHILD (title_label);
  CHILD (subtitle_label);
  CHILD (command_label);
  CHILD (detail_label);
  CHILD (sandbox_box);
  CHILD (sandbox_icon);
  CHILD (sandbox_label);
  CHILD (body_scroller);
  CHILD (body_label);
  CHILD (buttons);
  CHILD (allow_button);
  CHILD (conversation_button);
  CHILD (always_button);
  CHILD (deny_button);
  CHILD (always_revealer);
  CHILD (always_label);
  CHILD (rule_entry);
  CHILD (save_rule_button);
  CHILD (deny_revealer);
  CHILD (reason_entry);
  CHILD (deny_confirm_button);
  CHILD (all_box);
  CHILD (all_label);
  CHILD (allow_all_button);
  CHILD (deny_all_button);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, allow_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, conversation_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, always_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, deny_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_rule_cb);
  gtk_widget_class_bind_template_callback (widget_class, deny_confirm_cb);
  gtk_widget_class_bind_template_callback (widget_class, allow_all_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, deny_all_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "nb-approval-card");
}

static void
nb_approval_card_init (NbApprovalCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
nb_approval_card_new (void)
{
  return g_object_new (NB_TYPE_APPROVAL_CARD, NULL);
}

/**
 * nb_approval_card_set_approval:
 * @queue: (nullable): the queue holding @approval, for Allow All
 *
 * Shows @approval; the card answers it.
 */
void
nb_approval_card_set_approval (NbApprovalCard  *self,
                               NbToolApproval  *approval,
                               NbApprovalQueue *queue)
{
  g_return_if_fail (NB_IS_APPROVAL_CARD (self));
  g_return_if_fail (NB_IS_TOOL_APPROVAL (approval));

  if (self->queue != queue)
    {
      if (self->queue != NULL)
        g_signal_handlers_disconnect_by_data (self->queue, self);
      g_set_object (&self->queue, queue);
      if (queue != NULL)
        g_signal_connect_swapped (queue, "session-changed", G_CALLBACK (queue_session_changed_cb), self);
    }
  if (self->approval != approval)
    {
      g_set_object (&self->approval, approval);
      show_approval (self);
    }
  update_all (self);
}

NbToolApproval *
nb_approval_card_get_approval (NbApprovalCard *self)
{
  g_return_val_if_fail (NB_IS_APPROVAL_CARD (self), NULL);
  return self->approval;
}

const char *
nb_approval_card_get_call_id (NbApprovalCard *self)
{
  g_return_val_if_fail (NB_IS_APPROVAL_CARD (self), NULL);
  return self->approval != NULL ? nb_tool_approval_get_call_id (self->approval) : NULL;
}
