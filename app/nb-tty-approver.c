/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-headless"

#include "config.h"

#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>

#include "nb-json-util.h"
#include "nb-tty-approver.h"

/*
 * How `nanobot -m` asks before a tool call runs: when stdin and stderr are
 * both a terminal, the call is described on stderr and the answer read
 * from stdin (y = allow once, n = deny, then an optional reason, a =
 * always: the suggested rule is saved in config.json, or stderr says why
 * it could not be); otherwise the call
 * is denied with a message that says how to allow it. One question at a
 * time; the line is read asynchronously, so the main loop (streaming,
 * Ctrl+C, other tools) goes on meanwhile.
 */

#define ARGUMENTS_PREVIEW_CHARS 600

struct _NbTtyApprover
{
  GObject           parent_instance;

  int               output_fd;
  gboolean          interactive;
  GDataInputStream *input;
  GQueue            waiting;      /* NbToolApproval, the first is asked */
  GCancellable     *read_cancellable;
  gboolean          want_reason;
};

static void nb_tty_approver_iface_init (NbToolApproverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NbTtyApprover, nb_tty_approver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NB_TYPE_TOOL_APPROVER, nb_tty_approver_iface_init))

static void ask_next (NbTtyApprover *self);

static void
say (NbTtyApprover *self,
     const char    *text)
{
  gsize length = strlen (text);

  while (length > 0)
    {
      gssize n = write (self->output_fd, text, length);

      if (n <= 0)
        return;
      text += n;
      length -= n;
    }
}

static char *
rule_text (JsonObject *rule)
{
  const char *command = nb_json_get_string (rule, "command");
  const char *path = nb_json_get_string (rule, "path");

  if (command != NULL)
    return g_strdup_printf ("%s “%s”", nb_json_get_string (rule, "tool"), command);
  if (path != NULL)
    return g_strdup_printf ("%s %s", nb_json_get_string (rule, "tool"), path);
  return g_strdup (nb_json_get_string (rule, "tool"));
}

static void
describe (NbTtyApprover  *self,
          NbToolApproval *approval)
{
  g_autoptr(GString) text = g_string_new ("\n");
  const char *agent = nb_tool_approval_get_agent_label (approval);
  const char *command = nb_tool_approval_get_command (approval);
  const char * const *paths = nb_tool_approval_get_paths (approval);
  g_autofree char *always = rule_text (nb_tool_approval_get_suggested_rule (approval));
  g_autofree char *server = nb_tool_approval_dup_mcp_server (approval);

  if (server != NULL && nb_tool_approval_get_mcp_tool (approval) != NULL && agent == NULL)
    g_string_append_printf (text, _("Nanobot wants to use %s of the MCP server “%s”"),
                            nb_tool_approval_get_mcp_tool (approval), server);
  else if (agent != NULL)
    g_string_append_printf (text, _("The sub-agent “%s” wants to run %s"), agent,
                            nb_tool_approval_get_tool_name (approval));
  else
    g_string_append_printf (text, _("Nanobot wants to run %s"), nb_tool_approval_get_tool_name (approval));
  g_string_append_c (text, '\n');

  if (command != NULL)
    {
      g_string_append_printf (text, "  $ %s\n", command);
      g_string_append_printf (text, "  %s\n", nb_tool_approval_get_sandboxed (approval)
                                              ? _("in the workspace sandbox:")
                                              : _("not sandboxed, in:"));
      g_string_append_printf (text, "  %s\n", nb_tool_approval_get_working_dir (approval));
    }
  else
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), nb_tool_approval_get_arguments (approval));
      g_autofree char *arguments = json_to_string (node, TRUE);

      for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
        g_string_append_printf (text, "  %s\n", paths[i]);
      if (g_utf8_strlen (arguments, -1) > ARGUMENTS_PREVIEW_CHARS)
        {
          g_autofree char *start = g_utf8_substring (arguments, 0, ARGUMENTS_PREVIEW_CHARS);

          g_string_append_printf (text, "%s…\n", start);
        }
      else
        g_string_append_printf (text, "%s\n", arguments);
    }

  /* Translators: the answers are typed as y, n and a */
  g_string_append_printf (text, _("Allow? [y]es, [n]o, [a]lways for %s: "), always);
  say (self, text->str);
}

static void read_line (NbTtyApprover *self);

static void
rule_saved_cb (NbToolApproval *approval,
               const GError   *error,
               NbTtyApprover  *self)
{
  g_autofree char *rule = NULL;
  g_autofree char *line = NULL;

  g_signal_handlers_disconnect_by_func (approval, rule_saved_cb, self);
  if (error == NULL)
    return;
  rule = rule_text (nb_tool_approval_get_suggested_rule (approval));
  line = g_strdup_printf (_("nanobot: the rule “allow %s” was not saved: %s\n"), rule, error->message);
  say (self, line);
}

static void
answer_first (NbTtyApprover    *self,
              NbApprovalAnswer  answer,
              const char       *reason)
{
  g_autoptr(NbToolApproval) approval = g_queue_pop_head (&self->waiting);

  if (approval == NULL)
    return;
  g_signal_handlers_disconnect_by_data (approval, self);
  if (answer == NB_APPROVAL_ALLOW_ALWAYS)
    {
      g_autofree char *rule = rule_text (nb_tool_approval_get_suggested_rule (approval));
      g_autofree char *line = g_strdup_printf (_("Saving the rule “allow %s” in config.json.\n"), rule);

      say (self, line);
      g_signal_connect_object (approval, "rule-saved", G_CALLBACK (rule_saved_cb), self, 0);
    }
  nb_tool_approval_answer (approval, answer, reason, NULL);
  ask_next (self);
}

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  NbTtyApprover *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                     NULL, &error);
  g_autofree char *answer = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  g_clear_object (&self->read_cancellable);

  if (line == NULL)
    {
      /* End of input: nobody is there to answer. */
      self->interactive = FALSE;
      while (!g_queue_is_empty (&self->waiting))
        answer_first (self, NB_APPROVAL_UNATTENDED, "the terminal closed before the user answered.");
      g_object_unref (self);
      return;
    }

  answer = g_ascii_strdown (g_strstrip (line), -1);
  if (self->want_reason)
    {
      self->want_reason = FALSE;
      answer_first (self, NB_APPROVAL_DENY, g_strstrip (line));
    }
  else if (g_str_equal (answer, "y") || g_str_equal (answer, "yes"))
    answer_first (self, NB_APPROVAL_ALLOW_ONCE, NULL);
  else if (g_str_equal (answer, "a") || g_str_equal (answer, "always"))
    answer_first (self, NB_APPROVAL_ALLOW_ALWAYS, NULL);
  else if (g_str_equal (answer, "n") || g_str_equal (answer, "no"))
    {
      self->want_reason = TRUE;
      say (self, _("Reason for the model (optional): "));
      read_line (self);
    }
  else
    {
      say (self, _("Please answer y, n or a: "));
      read_line (self);
    }
  g_object_unref (self);
}

static void
read_line (NbTtyApprover *self)
{
  g_clear_object (&self->read_cancellable);
  self->read_cancellable = g_cancellable_new ();
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, self->read_cancellable,
                                       line_cb, g_object_ref (self));
}

static void
ask_next (NbTtyApprover *self)
{
  NbToolApproval *approval = g_queue_peek_head (&self->waiting);

  if (approval == NULL || self->read_cancellable != NULL)
    return;
  self->want_reason = FALSE;
  describe (self, approval);
  read_line (self);
}

/* The turn was stopped while the call waited. */
static void
finished_cb (NbToolApproval *approval,
             NbTtyApprover  *self)
{
  gboolean was_asked = g_queue_peek_head (&self->waiting) == approval;

  g_signal_handlers_disconnect_by_data (approval, self);
  if (!g_queue_remove (&self->waiting, approval))
    return;
  g_object_unref (approval);
  if (was_asked)
    {
      g_cancellable_cancel (self->read_cancellable);
      g_clear_object (&self->read_cancellable);
      say (self, "\n");
      ask_next (self);
    }
}

static void
request (NbToolApprover *approver,
         NbToolApproval *approval)
{
  NbTtyApprover *self = NB_TTY_APPROVER (approver);

  if (!self->interactive)
    {
      nb_tool_approval_answer (approval, NB_APPROVAL_UNATTENDED,
                               "this call needs the user's approval, and nanobot -m can only ask when stdin "
                               "and stderr are a terminal. The user can allow it with a rule in "
                               "tools.permissions of config.json.", NULL);
      return;
    }

  g_queue_push_tail (&self->waiting, g_object_ref (approval));
  g_signal_connect (approval, "finished", G_CALLBACK (finished_cb), self);
  ask_next (self);
}

static void
nb_tty_approver_iface_init (NbToolApproverInterface *iface)
{
  iface->request = request;
}

static void
nb_tty_approver_dispose (GObject *object)
{
  NbTtyApprover *self = NB_TTY_APPROVER (object);
  NbToolApproval *approval;

  g_cancellable_cancel (self->read_cancellable);
  g_clear_object (&self->read_cancellable);
  while ((approval = g_queue_pop_head (&self->waiting)) != NULL)
    {
      g_signal_handlers_disconnect_by_data (approval, self);
      g_object_unref (approval);
    }
  g_clear_object (&self->input);

  G_OBJECT_CLASS (nb_tty_approver_parent_class)->dispose (object);
}

static void
nb_tty_approver_class_init (NbTtyApproverClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nb_tty_approver_dispose;
}

static void
nb_tty_approver_init (NbTtyApprover *self)
{
}

/**
 * nb_tty_approver_new:
 * @input_fd: where answers are read (stdin); not closed
 * @output_fd: where questions are written (stderr)
 *
 * Asks only when both are a terminal; else every question is denied.
 */
NbTtyApprover *
nb_tty_approver_new (int input_fd,
                     int output_fd)
{
  NbTtyApprover *self = g_object_new (NB_TYPE_TTY_APPROVER, NULL);
  g_autoptr(GInputStream) stream = NULL;

  self->output_fd = output_fd;
  self->interactive = isatty (input_fd) && isatty (output_fd);
  stream = g_unix_input_stream_new (input_fd, FALSE);
  self->input = g_data_input_stream_new (stream);
  return self;
}
