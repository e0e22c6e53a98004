/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool-card"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "nb-json-util.h"
#include "nb-tool-card.h"

/* One tool call of an assistant message: the tool's name, its whole
 * arguments (a command for exec, a diff for edit_file, the path and
 * content for write_file, pretty JSON otherwise), a spinner while it runs,
 * how long it took, and its result, collapsed, cut to a few lines until
 * "Show All". A result that reports a failure (the tools' convention: the
 * text starts with "Error"; web_fetch answers {"error": …}) marks the card
 * as failed and shows the result at once. */

#define PREVIEW_LINES 12
#define PREVIEW_CHARS 1500

struct _NbToolCard
{
  GtkWidget parent_instance;

  GtkWidget *header;
  GtkWidget *icon;
  GtkWidget *name_label;
  GtkWidget *spinner;
  GtkWidget *error_icon;
  GtkWidget *duration_label;
  GtkWidget *copy_button;
  GtkWidget *path_label;
  GtkWidget *args_label;
  GtkWidget *args_more_button;
  GtkWidget *result_expander;
  GtkWidget *result_label;
  GtkWidget *result_more_button;
  GtkWidget *audit_label;   /* the permission decision, when one was made */

  NbMessage *message;
  JsonObject *call;
  NbMessage *result;
  char *name;
  char *arguments;      /* the arguments as shown (plain text or markup) */
  gboolean arguments_markup;
  gboolean running;
  gboolean failed;
};

G_DEFINE_FINAL_TYPE (NbToolCard, nb_tool_card, GTK_TYPE_WIDGET)

gboolean
nb_tool_result_is_error (const char *text)
{
  if (text == NULL)
    return FALSE;
  while (g_ascii_isspace (*text))
    text++;
  return g_str_has_prefix (text, "Error") || g_str_has_prefix (text, "{\"error\"");
}

/* Cuts @text to what the card shows before "Show All"; NULL when it fits. */
static char *
preview (const char *text)
{
  const char *p = text;
  g_autofree char *head = NULL;
  guint lines = 0;

  while (*p != '\0' && (gsize) (p - text) < PREVIEW_CHARS)
    {
      if (*p == '\n' && ++lines == PREVIEW_LINES)
        break;
      p++;
    }
  if (*p == '\0' || (*p == '\n' && p[1] == '\0'))
    return NULL;
  /* Not in the middle of a UTF-8 character. */
  while (p > text && (*p & 0xC0) == 0x80)
    p--;
  head = g_strndup (text, p - text);
  return g_strconcat (head, "…", NULL);
}

static void
set_label_text (GtkWidget  *label,
                GtkWidget  *more_button,
                const char *text,
                gboolean    markup,
                gboolean    full)
{
  g_autofree char *cut = full || markup ? NULL : preview (text);

  if (markup)
    gtk_label_set_markup (GTK_LABEL (label), text);
  else
    gtk_label_set_text (GTK_LABEL (label), cut != NULL ? cut : text);
  gtk_widget_set_visible (more_button, cut != NULL);
}

static const char *
icon_for (const char *name)
{
  if (g_strcmp0 (name, "exec") == 0)
    return "utilities-terminal-symbolic";
  if (g_strcmp0 (name, "edit_file") == 0 || g_strcmp0 (name, "write_file") == 0)
    return "document-edit-symbolic";
  if (g_strcmp0 (name, "read_file") == 0 || g_strcmp0 (name, "list_dir") == 0)
    return "folder-symbolic";
  if (g_str_has_prefix (name, "web_"))
    return "web-browser-symbolic";
  return "emblem-system-symbolic";
}

/* edit_file: every old line with "-", every new one with "+", coloured. */
static void
append_diff_lines (GString    *out,
                   const char *text,
                   char        sign,
                   const char *color)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (lines[i], -1);

      if (lines[i + 1] == NULL && *lines[i] == '\0' && i > 0)
        break;
      g_string_append_printf (out, "<span foreground=\"%s\">%c %s</span>\n", color, sign, escaped);
    }
}

static char *
diff_markup (JsonObject *arguments)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GString *out = g_string_new (NULL);

  append_diff_lines (out, nb_json_get_string (arguments, "old_text"), '-', dark ? "#ff7b63" : "#c01c28");
  append_diff_lines (out, nb_json_get_string (arguments, "new_text"), '+', dark ? "#8ff0a4" : "#1c7d3d");
  if (out->len > 0)
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

static char *
pretty_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

static void
show_arguments (NbToolCard *self,
                gboolean    full)
{
  set_label_text (self->args_label, self->args_more_button, self->arguments, self->arguments_markup, full);
}

/* How a call's arguments are shown, worked out once per call: kept on
 * the message (a table by call), so binding the card again only sets
 * the labels. */
typedef struct
{
  char *arguments;
  char *path;
  gboolean markup;
} ShownArguments;

static void
shown_arguments_free (gpointer data)
{
  ShownArguments *shown = data;

  g_free (shown->arguments);
  g_free (shown->path);
  g_free (shown);
}

static GHashTable *
arguments_cache (NbMessage *message)
{
  static GQuark quark;
  GHashTable *cache;

  if (quark == 0)
    quark = g_quark_from_static_string ("nb-tool-card-arguments");
  cache = g_object_get_qdata (G_OBJECT (message), quark);
  if (cache == NULL)
    {
      cache = g_hash_table_new_full (NULL, NULL, NULL, shown_arguments_free);
      g_object_set_qdata_full (G_OBJECT (message), quark, cache, (GDestroyNotify) g_hash_table_unref);
    }
  return cache;
}

static void build_arguments (NbToolCard *self);

static void
show_cached_arguments (NbToolCard *self)
{
  GHashTable *cache;
  ShownArguments *shown;

  /* A streaming message's calls may still change (and be freed): keyed
   * by the call, only closed messages are cached. */
  if (nb_message_is_streaming (self->message))
    {
      build_arguments (self);
      return;
    }
  cache = arguments_cache (self->message);
  shown = g_hash_table_lookup (cache, self->call);
  if (shown == NULL)
    {
      build_arguments (self);
      shown = g_new0 (ShownArguments, 1);
      shown->arguments = g_strdup (self->arguments);
      shown->path = gtk_widget_get_visible (self->path_label) ? g_strdup (gtk_label_get_text (GTK_LABEL (self->path_label))) : NULL;
      shown->markup = self->arguments_markup;
      g_hash_table_insert (cache, self->call, shown);
      return;
    }
  g_free (self->arguments);
  self->arguments = g_strdup (shown->arguments);
  self->arguments_markup = shown->markup;
  gtk_widget_set_visible (self->args_label, *self->arguments != '\0');
  gtk_widget_set_visible (self->path_label, shown->path != NULL);
  gtk_label_set_text (GTK_LABEL (self->path_label), shown->path != NULL ? shown->path : "");
  show_arguments (self, FALSE);
}

/* Works out how the arguments are shown. */
static void
build_arguments (NbToolCard *self)
{
  JsonObject *function = nb_json_get_object (self->call, "function");
  const char *text = nb_json_get_string (function, "arguments");
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root = NULL;
  JsonObject *arguments = NULL;
  const char *path = NULL;

  g_clear_pointer (&self->arguments, g_free);
  self->arguments_markup = FALSE;
  if (text != NULL && json_parser_load_from_data (parser, text, -1, NULL))
    root = json_parser_get_root (parser);
  else if (function != NULL && json_object_get_member (function, "arguments") != NULL)
    root = json_object_get_member (function, "arguments");
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    arguments = json_node_get_object (root);

  if (arguments != NULL && g_strcmp0 (self->name, "exec") == 0 && nb_json_get_string (arguments, "command") != NULL)
    {
      self->arguments = g_strconcat ("$ ", nb_json_get_string (arguments, "command"), NULL);
      path = nb_json_get_string (arguments, "working_dir");
    }
  else if (arguments != NULL && g_strcmp0 (self->name, "edit_file") == 0)
    {
      self->arguments = diff_markup (arguments);
      self->arguments_markup = TRUE;
      path = nb_json_get_string (arguments, "path");
    }
  else if (arguments != NULL && g_strcmp0 (self->name, "write_file") == 0)
    {
      self->arguments = g_strdup (nb_json_get_string (arguments, "content"));
      path = nb_json_get_string (arguments, "path");
    }
  else if (root != NULL)
    self->arguments = pretty_json (root);
  else
    self->arguments = g_strdup (text);

  if (self->arguments == NULL)
    self->arguments = g_strdup ("");
  gtk_widget_set_visible (self->args_label, *self->arguments != '\0');
  gtk_widget_set_visible (self->path_label, path != NULL);
  gtk_label_set_text (GTK_LABEL (self->path_label), path != NULL ? path : "");
  show_arguments (self, FALSE);
}

static GDateTime *
parse_timestamp (NbMessage *message)
{
  const char *timestamp = message != NULL ? nb_message_get_timestamp (message) : NULL;
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();

  return timestamp != NULL ? g_date_time_new_from_iso8601 (timestamp, local) : NULL;
}

static char *
format_duration (GTimeSpan span)
{
  if (span < G_TIME_SPAN_SECOND)
    return g_strdup_printf (_("%d ms"), (int) (span / G_TIME_SPAN_MILLISECOND));
  if (span < G_TIME_SPAN_MINUTE)
    return g_strdup_printf (_("%.1f s"), span / (double) G_TIME_SPAN_SECOND);
  return g_strdup_printf (_("%d min %d s"), (int) (span / G_TIME_SPAN_MINUTE),
                          (int) (span % G_TIME_SPAN_MINUTE / G_TIME_SPAN_SECOND));
}

/* The call was made when its assistant message was stored; the result
 * when its tool message was (both in microseconds). */
static void
update_duration (NbToolCard *self)
{
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  g_autofree char *text = NULL;

  if (self->result != NULL)
    {
      start = parse_timestamp (self->message);
      end = parse_timestamp (self->result);
    }
  if (start != NULL && end != NULL && g_date_time_difference (end, start) >= 0)
    text = format_duration (g_date_time_difference (end, start));
  gtk_widget_set_visible (self->duration_label, text != NULL);
  gtk_label_set_text (GTK_LABEL (self->duration_label), text != NULL ? text : "");
}

/* "Allowed once by you at 16:42", "Denied by the rule exec “rm*”"… from
 * the "permission" record stored with the result (NbPermissions). */
static char *
audit_text (JsonObject *audit)
{
  const char *decision = nb_json_get_string (audit, "decision");
  const char *by = nb_json_get_string (audit, "by");
  const char *answer = nb_json_get_string (audit, "answer");
  const char *reason = nb_json_get_string (audit, "reason");
  const char *agent = nb_json_get_string (audit, "agent");
  JsonObject *rule = nb_json_get_object (audit, "rule");
  gboolean allowed = g_strcmp0 (decision, "allow") == 0;
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) at = nb_json_get_string (audit, "at") != NULL
                            ? g_date_time_new_from_iso8601 (nb_json_get_string (audit, "at"), local) : NULL;
  g_autofree char *time = at != NULL ? g_date_time_format (at, "%H:%M") : g_strdup ("");
  g_autofree char *text = NULL;
  g_autofree char *pattern = NULL;

  if (rule != NULL)
    {
      const char *what = nb_json_get_string (rule, "command");

      if (what == NULL)
        what = nb_json_get_string (rule, "path");
      pattern = what != NULL ? g_strdup_printf ("%s “%s”", nb_json_get_string_or (rule, "tool", "*"), what)
                             : g_strdup (nb_json_get_string_or (rule, "tool", "*"));
    }

  if (g_strcmp0 (by, "user") == 0 && allowed && g_strcmp0 (answer, "conversation") == 0)
    text = g_strdup_printf (_("Allowed by you for this conversation at %s"), time);
  else if (g_strcmp0 (by, "user") == 0 && allowed && g_strcmp0 (answer, "always") == 0)
    text = g_strdup_printf (_("Allowed by you at %s; rule saved: %s"), time, pattern != NULL ? pattern : "");
  else if (g_strcmp0 (by, "user") == 0 && allowed)
    text = g_strdup_printf (_("Allowed once by you at %s"), time);
  else if (g_strcmp0 (by, "user") == 0 && reason != NULL)
    text = g_strdup_printf (_("Denied by you at %s: %s"), time, reason);
  else if (g_strcmp0 (by, "user") == 0)
    text = g_strdup_printf (_("Denied by you at %s"), time);
  else if (g_strcmp0 (by, "conversation") == 0)
    text = g_strdup (_("Allowed for this conversation"));
  else if (g_strcmp0 (by, "rule") == 0)
    text = g_strdup_printf (allowed ? _("Allowed by the rule %s") : _("Denied by the rule %s"),
                            pattern != NULL ? pattern : "");
  else if (g_strcmp0 (by, "default") == 0)
    text = g_strdup (allowed ? _("Allowed by the default permission") : _("Denied by the default permission"));
  else
    text = g_strdup (_("Denied: nobody could be asked"));

  if (agent != NULL)
    {
      g_autofree char *with_agent = g_strdup_printf (_("%s (sub-agent “%s”)"), text, agent);

      return g_steal_pointer (&with_agent);
    }
  return g_steal_pointer (&text);
}

static void
update_audit (NbToolCard *self)
{
  JsonObject *audit = self->result != NULL
                      ? nb_json_get_object (nb_message_get_json (self->result), "permission") : NULL;
  g_autofree char *text = audit != NULL ? audit_text (audit) : NULL;

  gtk_label_set_text (GTK_LABEL (self->audit_label), text != NULL ? text : "");
  gtk_widget_set_visible (self->audit_label, text != NULL);
  if (audit != NULL && g_strcmp0 (nb_json_get_string (audit, "decision"), "deny") == 0)
    gtk_widget_add_css_class (self->audit_label, "warning");
  else
    gtk_widget_remove_css_class (self->audit_label, "warning");
}

static void
update_state (NbToolCard *self)
{
  gboolean spinning = self->result == NULL && self->running;
  g_autofree char *text = self->result != NULL ? nb_message_dup_text (self->result) : NULL;
  gboolean failed = self->result != NULL && nb_tool_result_is_error (text);

  gtk_widget_set_visible (self->spinner, spinning);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), spinning);
  gtk_widget_set_visible (self->result_expander, self->result != NULL);
  gtk_widget_set_visible (self->error_icon, failed);
  gtk_expander_set_label (GTK_EXPANDER (self->result_expander), failed ? _("Error") : _("Result"));
  if (failed != self->failed)
    {
      self->failed = failed;
      if (failed)
        gtk_widget_add_css_class (GTK_WIDGET (self), "error");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self), "error");
    }
  gtk_expander_set_expanded (GTK_EXPANDER (self->result_expander), failed);
  if (self->result != NULL)
    set_label_text (self->result_label, self->result_more_button, text != NULL ? text : "", FALSE, FALSE);
  update_duration (self);
  update_audit (self);
}

static void
args_more_clicked_cb (NbToolCard *self)
{
  show_arguments (self, TRUE);
}

static void
result_more_clicked_cb (NbToolCard *self)
{
  g_autofree char *text = nb_message_dup_text (self->result);

  set_label_text (self->result_label, self->result_more_button, text != NULL ? text : "", FALSE, TRUE);
}

static void
copy_clicked_cb (NbToolCard *self)
{
  g_autofree char *markdown = nb_tool_card_dup_markdown (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), markdown);
}

static void
nb_tool_card_dispose (GObject *object)
{
  NbToolCard *self = NB_TOOL_CARD (object);

  g_clear_pointer (&self->audit_label, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_TOOL_CARD);
  g_clear_object (&self->message);
  g_clear_object (&self->result);
  g_clear_pointer (&self->call, json_object_unref);

  G_OBJECT_CLASS (nb_tool_card_parent_class)->dispose (object);
}

static void
nb_tool_card_finalize (GObject *object)
{
  NbToolCard *self = NB_TOOL_CARD (object);

  g_free (self->name);
  g_free (self->arguments);

  G_OBJECT_CLASS (nb_tool_card_parent_class)->finalize (object);
}

static void
nb_tool_card_class_init (NbToolCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_tool_card_dispose;
  object_class->finalize = nb_tool_card_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-tool-card.ui");
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, header);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, icon);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, spinner);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, error_icon);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, duration_label);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, copy_button);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, path_label);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, args_label);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, args_more_button);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, result_expander);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, result_label);
  gtk_widget_class_bind_template_child (widget_class, NbToolCard, result_more_button);
  gtk_widget_class_bind_template_callback (widget_class, args_more_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, result_more_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "nb-tool-card");
}

static void
nb_tool_card_init (NbToolCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->audit_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->audit_label), 0);
  gtk_label_set_wrap (GTK_LABEL (self->audit_label), TRUE);
  gtk_widget_add_css_class (self->audit_label, "caption");
  gtk_widget_add_css_class (self->audit_label, "dim-label");
  gtk_widget_add_css_class (self->audit_label, "nb-tool-audit");
  gtk_widget_set_visible (self->audit_label, FALSE);
  gtk_widget_insert_before (self->audit_label, GTK_WIDGET (self), NULL);
}

GtkWidget *
nb_tool_card_new (void)
{
  return g_object_new (NB_TYPE_TOOL_CARD, NULL);
}

/**
 * nb_tool_card_set_call:
 * @message: the assistant message that made the call
 * @call: one of its tool_calls
 *
 * Shows a call; its result is unknown until nb_tool_card_set_result().
 */
void
nb_tool_card_set_call (NbToolCard *self,
                       NbMessage  *message,
                       JsonObject *call)
{
  JsonObject *function;

  g_return_if_fail (NB_IS_TOOL_CARD (self));
  g_return_if_fail (NB_IS_MESSAGE (message));
  g_return_if_fail (call != NULL);

  if (self->message == message && self->call == call)
    return;
  g_set_object (&self->message, message);
  g_clear_pointer (&self->call, json_object_unref);
  self->call = json_object_ref (call);
  g_clear_object (&self->result);

  function = nb_json_get_object (call, "function");
  g_free (self->name);
  self->name = g_strdup (nb_json_get_string (function, "name"));
  gtk_label_set_text (GTK_LABEL (self->name_label), self->name != NULL ? self->name : "");
  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), icon_for (self->name != NULL ? self->name : ""));
  show_cached_arguments (self);
  update_state (self);
}

/**
 * nb_tool_card_set_result:
 * @result: (nullable): the role=tool message answering the call
 */
void
nb_tool_card_set_result (NbToolCard *self,
                         NbMessage  *result)
{
  g_return_if_fail (NB_IS_TOOL_CARD (self));
  g_return_if_fail (result == NULL || NB_IS_MESSAGE (result));

  if (!g_set_object (&self->result, result))
    return;
  update_state (self);
}

/* Whether the turn that made the call still runs: a call without a result
 * shows a spinner. */
void
nb_tool_card_set_running (NbToolCard *self,
                          gboolean    running)
{
  g_return_if_fail (NB_IS_TOOL_CARD (self));

  running = !!running;
  if (self->running == running)
    return;
  self->running = running;
  update_state (self);
}

const char *
nb_tool_card_get_call_id (NbToolCard *self)
{
  g_return_val_if_fail (NB_IS_TOOL_CARD (self), NULL);
  return self->call != NULL ? nb_json_get_string (self->call, "id") : NULL;
}

gboolean
nb_tool_card_get_failed (NbToolCard *self)
{
  g_return_val_if_fail (NB_IS_TOOL_CARD (self), FALSE);
  return self->failed;
}

/* The call and its result as markdown, for Copy. */
char *
nb_tool_card_dup_markdown (NbToolCard *self)
{
  JsonObject *function;
  g_autofree char *result = NULL;
  GString *out;

  g_return_val_if_fail (NB_IS_TOOL_CARD (self), NULL);

  out = g_string_new (NULL);
  if (self->call == NULL)
    return g_string_free (out, FALSE);
  function = nb_json_get_object (self->call, "function");
  g_string_append_printf (out, "**%s**\n\n```json\n%s\n```\n", self->name != NULL ? self->name : "",
                          nb_json_get_string (function, "arguments") != NULL ? nb_json_get_string (function, "arguments") : "");
  if (self->result != NULL && (result = nb_message_dup_text (self->result)) != NULL)
    g_string_append_printf (out, "\n```\n%s\n```\n", result);
  return g_string_free (out, FALSE);
}
