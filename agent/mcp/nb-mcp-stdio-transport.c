/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-mcp"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "nb-mcp-stdio-transport.h"
#include "nb-mcp-transport-private.h"

/*
 * MCP over stdio: the server is a child process in its own process group
 * (so that `npx`, shells and their children go away with it), messages are
 * newline-delimited JSON on its stdin/stdout, and its stderr goes to our
 * debug log line by line.
 */

#define READ_CHUNK        (64 * 1024)
#define MAX_STDERR_LINE   4096
#define KILL_GRACE_SECONDS 2

struct _NbMcpStdioTransport
{
  NbMcpTransport  parent_instance;

  char           *command;
  GStrv           args;
  JsonObject     *env;

  GSubprocess    *process;
  GPid            pid;
  GSocketConnection *stdin_connection;
  GOutputStream  *stdin_pipe;
  GInputStream   *stdout_pipe;
  GInputStream   *stderr_pipe;
  GCancellable   *cancellable;

  GByteArray     *stdout_buffer;
  gsize           stdout_scanned;  /* bytes of stdout_buffer without '\n' */
  gboolean        stdout_speaks;   /* a JSON-RPC message came on stdout */
  GByteArray     *stderr_buffer;
  char           *last_stderr_line;

  /* Writes go out one at a time, in order. */
  GQueue          write_queue;
  gboolean        writing;
};

G_DEFINE_FINAL_TYPE (NbMcpStdioTransport, nb_mcp_stdio_transport, NB_TYPE_MCP_TRANSPORT)

typedef struct
{
  GTask  *task;
  GBytes *bytes;
} PendingWrite;

static void write_next (NbMcpStdioTransport *self);

static void
pending_write_free (PendingWrite *write)
{
  g_clear_object (&write->task);
  g_clear_pointer (&write->bytes, g_bytes_unref);
  g_free (write);
}

static gboolean
kill_group_cb (gpointer user_data)
{
  g_assert (GPOINTER_TO_INT (user_data) > 0);

  kill (-GPOINTER_TO_INT (user_data), SIGKILL);
  return G_SOURCE_REMOVE;
}

/* SIGTERM to the whole group so servers can clean up (a `docker run` stops
 * its container), SIGKILL to whatever is left a little later. */
static void
kill_process_group (NbMcpStdioTransport *self)
{
  if (self->pid > 0)
    {
      /* The child made itself a group leader; its pid is the group id. */
      if (kill (-self->pid, SIGTERM) == 0)
        g_timeout_add_seconds (KILL_GRACE_SECONDS, kill_group_cb, GINT_TO_POINTER (self->pid));
      self->pid = 0;
    }
  /* In case the child had not called setpgid() yet. */
  if (self->process != NULL && g_subprocess_get_identifier (self->process) != NULL)
    g_subprocess_send_signal (self->process, SIGTERM);
}

static void
nb_mcp_stdio_transport_close (NbMcpTransport *transport)
{
  NbMcpStdioTransport *self = NB_MCP_STDIO_TRANSPORT (transport);
  PendingWrite *write;

  g_cancellable_cancel (self->cancellable);
  kill_process_group (self);

  while ((write = g_queue_pop_head (&self->write_queue)) != NULL)
    {
      g_task_return_new_error (write->task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("The connection to the server is closed"));
      pending_write_free (write);
    }
}

static void
nb_mcp_stdio_transport_dispose (GObject *object)
{
  NbMcpStdioTransport *self = NB_MCP_STDIO_TRANSPORT (object);

  nb_mcp_transport_close (NB_MCP_TRANSPORT (self));

  g_clear_object (&self->stdin_pipe);
  g_clear_object (&self->stdin_connection);
  g_clear_object (&self->stdout_pipe);
  g_clear_object (&self->stderr_pipe);
  g_clear_object (&self->process);

  G_OBJECT_CLASS (nb_mcp_stdio_transport_parent_class)->dispose (object);
}

static void
nb_mcp_stdio_transport_finalize (GObject *object)
{
  NbMcpStdioTransport *self = NB_MCP_STDIO_TRANSPORT (object);

  g_clear_pointer (&self->command, g_free);
  g_clear_pointer (&self->args, g_strfreev);
  g_clear_pointer (&self->env, json_object_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stdout_buffer, g_byte_array_unref);
  g_clear_pointer (&self->stderr_buffer, g_byte_array_unref);
  g_clear_pointer (&self->last_stderr_line, g_free);

  G_OBJECT_CLASS (nb_mcp_stdio_transport_parent_class)->finalize (object);
}

static void
fail (NbMcpStdioTransport *self,
      GError              *error)
{
  g_autoptr(GError) owned = error;

  nb_mcp_transport_emit_closed (NB_MCP_TRANSPORT (self), owned);
}

static void
child_setup (gpointer user_data)
{
  int pid_fd = GPOINTER_TO_INT (user_data);
  pid_t pid;

  /* Runs in the child between fork and exec. */
  setpgid (0, 0);
#ifdef __linux__
  /* Should Nanobot die without shutting the server down. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
  /* The group's id for the parent: GSubprocess forgets the pid as soon as
   * a leader that exited at once was reaped, which can be before the
   * parent asks, and its children would then outlive the shutdown. */
  pid = getpid ();
  while (write (pid_fd, &pid, sizeof pid) < 0 && errno == EINTR)
    ;
}

/* Stdout: newline-delimited JSON. */

static void read_stdout (NbMcpStdioTransport *self);

static gboolean
dispatch_lines (NbMcpStdioTransport *self)
{
  NbMcpTransport *transport = NB_MCP_TRANSPORT (self);
  gsize start = 0;

  for (gsize i = self->stdout_scanned; i < self->stdout_buffer->len && !nb_mcp_transport_is_closed (transport); i++)
    {
      const char *line;
      gsize length;

      if (self->stdout_buffer->data[i] != '\n')
        continue;

      line = (const char *) self->stdout_buffer->data + start;
      length = i - start;
      start = i + 1;
      if (length > 0 && line[length - 1] == '\r')
        length--;

      if (length == 0)
        continue;
      else
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(JsonNode) message = nb_mcp_transport_parse (line, length, &error);

          if (message == NULL && !self->stdout_speaks)
            {
              /* Many servers print a banner ("… running on stdio") on
               * stdout before they speak JSON-RPC; the reference clients
               * skip it, so do we. Once the server has spoken, a line
               * that is not JSON is a broken server. */
              g_autofree char *text = g_utf8_make_valid (line, length);

              g_debug ("MCP server %s: stdout (not JSON, ignored): %s",
                       nb_mcp_transport_get_name (transport), text);
              continue;
            }
          if (message == NULL)
            {
              fail (self, g_steal_pointer (&error));
              return FALSE;
            }
          self->stdout_speaks = TRUE;
          nb_mcp_transport_emit_message (transport, message);
        }
    }

  if (nb_mcp_transport_is_closed (transport))
    return FALSE;

  if (start > 0)
    g_byte_array_remove_range (self->stdout_buffer, 0, start);
  self->stdout_scanned = self->stdout_buffer->len;
  if (self->stdout_buffer->len > NB_MCP_MAX_MESSAGE_SIZE)
    {
      fail (self, g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_TOO_LARGE,
                               _("The server sent a message larger than %u MiB"),
                               NB_MCP_MAX_MESSAGE_SIZE / (1024 * 1024)));
      return FALSE;
    }
  return TRUE;
}

static void
read_stdout_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbMcpStdioTransport) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_STDIO_TRANSPORT (self));

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (nb_mcp_transport_is_closed (NB_MCP_TRANSPORT (self)))
    return;

  if (bytes == NULL)
    {
      fail (self, g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Reading from the server failed: %s"), error->message));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      if (self->last_stderr_line != NULL)
        fail (self, g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                 _("The server exited (last output: %s)"),
                                 self->last_stderr_line));
      else
        fail (self, g_error_new_literal (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                                         _("The server exited")));
      return;
    }

  g_byte_array_append (self->stdout_buffer,
                       g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (dispatch_lines (self))
    read_stdout (self);
}

static void
read_stdout (NbMcpStdioTransport *self)
{
  g_input_stream_read_bytes_async (self->stdout_pipe, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, read_stdout_cb, g_object_ref (self));
}

/* Stderr: to the debug log, line by line. */

static void read_stderr (NbMcpStdioTransport *self);

static void
log_stderr_line (NbMcpStdioTransport *self,
                 const char          *line,
                 gsize                length)
{
  g_autofree char *text = g_utf8_make_valid (line, length);

  g_strchomp (text);
  if (*text == '\0')
    return;
  g_debug ("MCP server %s: %s", nb_mcp_transport_get_name (NB_MCP_TRANSPORT (self)), text);
  g_free (self->last_stderr_line);
  self->last_stderr_line = g_steal_pointer (&text);
}

static void
read_stderr_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbMcpStdioTransport) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  gsize start = 0;

  g_assert (G_IS_INPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_STDIO_TRANSPORT (self));

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return;

  g_byte_array_append (self->stderr_buffer,
                       g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  for (gsize i = 0; i < self->stderr_buffer->len; i++)
    {
      if (self->stderr_buffer->data[i] == '\n')
        {
          log_stderr_line (self, (const char *) self->stderr_buffer->data + start, i - start);
          start = i + 1;
        }
    }
  g_byte_array_remove_range (self->stderr_buffer, 0, start);
  if (self->stderr_buffer->len > MAX_STDERR_LINE)
    {
      log_stderr_line (self, (const char *) self->stderr_buffer->data, MAX_STDERR_LINE);
      g_byte_array_set_size (self->stderr_buffer, 0);
    }

  if (!g_cancellable_is_cancelled (self->cancellable))
    read_stderr (self);
}

static void
read_stderr (NbMcpStdioTransport *self)
{
  g_input_stream_read_bytes_async (self->stderr_pipe, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, read_stderr_cb, g_object_ref (self));
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(NbMcpStdioTransport) self = user_data;

  g_assert (G_IS_SUBPROCESS (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_STDIO_TRANSPORT (self));

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  /* Stdout reaching its end reports the exit; here only the group's pid
   * stops being ours to signal once the leader is gone and reaped. */
  if (self->process == G_SUBPROCESS (object) && !nb_mcp_transport_is_closed (NB_MCP_TRANSPORT (self)))
    g_debug ("MCP server %s exited", nb_mcp_transport_get_name (NB_MCP_TRANSPORT (self)));
}

static void
nb_mcp_stdio_transport_start_async (NbMcpTransport      *transport,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  NbMcpStdioTransport *self = NB_MCP_STDIO_TRANSPORT (transport);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  int fds[2];
  int pid_pipe[2];
  pid_t child_pid = 0;
  gssize got;

  g_task_set_source_tag (task, nb_mcp_stdio_transport_start_async);

  /* The server's stdin is a socket rather than a pipe: writing to a server
   * that exited then fails with EPIPE (send() with MSG_NOSIGNAL) instead of
   * killing Nanobot with SIGPIPE, without ignoring SIGPIPE process-wide. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int errsv = errno;

      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Could not start “%s”: %s"), self->command, g_strerror (errsv));
      return;
    }
  socket = g_socket_new_from_fd (fds[0], &error);
  if (socket == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Could not start “%s”: %s"), self->command, error->message);
      return;
    }

  if (!g_unix_open_pipe (pid_pipe, FD_CLOEXEC, &error))
    {
      close (fds[1]);
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Could not start “%s”: %s"), self->command, error->message);
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (pid_pipe[1]), NULL);
  g_subprocess_launcher_take_stdin_fd (launcher, fds[1]);
  if (self->env != NULL)
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      json_object_iter_init (&iter, self->env);
      while (json_object_iter_next (&iter, &key, &value))
        if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
          g_subprocess_launcher_setenv (launcher, key, json_node_get_string (value), TRUE);
    }

  g_ptr_array_add (argv, self->command);
  for (guint i = 0; self->args != NULL && self->args[i] != NULL; i++)
    g_ptr_array_add (argv, self->args[i]);
  g_ptr_array_add (argv, NULL);

  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  close (pid_pipe[1]);
  if (self->process == NULL)
    {
      close (pid_pipe[0]);
      g_task_return_new_error (task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Could not start “%s”: %s"), self->command, error->message);
      return;
    }

  /* The spawn returned after the child's exec, so its pid is in the pipe:
   * this read does not wait. */
  while ((got = read (pid_pipe[0], &child_pid, sizeof child_pid)) < 0 && errno == EINTR)
    ;
  if (got == sizeof child_pid)
    self->pid = (GPid) child_pid;
  else if (g_subprocess_get_identifier (self->process) != NULL)
    self->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (self->process), NULL, 10);
  close (pid_pipe[0]);
  self->stdin_connection = g_socket_connection_factory_create_connection (socket);
  self->stdin_pipe = g_object_ref (g_io_stream_get_output_stream (G_IO_STREAM (self->stdin_connection)));
  self->stdout_pipe = g_object_ref (g_subprocess_get_stdout_pipe (self->process));
  self->stderr_pipe = g_object_ref (g_subprocess_get_stderr_pipe (self->process));

  g_subprocess_wait_async (self->process, NULL, wait_cb, g_object_ref (self));
  read_stdout (self);
  read_stderr (self);

  g_task_return_boolean (task, TRUE);
}

static gboolean
nb_mcp_stdio_transport_start_finish (NbMcpTransport  *transport,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NbMcpStdioTransport) self = user_data;
  g_autoptr(GError) error = NULL;
  PendingWrite *write;

  g_assert (G_IS_OUTPUT_STREAM (object));
  g_assert (G_IS_ASYNC_RESULT (result));
  g_assert (NB_IS_MCP_STDIO_TRANSPORT (self));

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error);
  self->writing = FALSE;

  write = g_queue_pop_head (&self->write_queue);
  if (write == NULL)
    return;

  if (error != NULL)
    {
      g_task_return_new_error (write->task, NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Writing to the server failed: %s"), error->message);
      pending_write_free (write);
      fail (self, g_error_new (NB_MCP_ERROR, NB_MCP_ERROR_CLOSED,
                               _("Writing to the server failed: %s"), error->message));
      return;
    }

  g_task_return_boolean (write->task, TRUE);
  pending_write_free (write);
  write_next (self);
}

static void
write_next (NbMcpStdioTransport *self)
{
  PendingWrite *write = g_queue_peek_head (&self->write_queue);

  if (self->writing || write == NULL)
    return;

  self->writing = TRUE;
  g_output_stream_write_all_async (self->stdin_pipe,
                                   g_bytes_get_data (write->bytes, NULL),
                                   g_bytes_get_size (write->bytes),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   write_cb, g_object_ref (self));
}

static void
nb_mcp_stdio_transport_send_async (NbMcpTransport      *transport,
                                   JsonNode            *message,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  NbMcpStdioTransport *self = NB_MCP_STDIO_TRANSPORT (transport);
  PendingWrite *write = g_new0 (PendingWrite, 1);
  gsize length = 0;
  char *data = nb_mcp_transport_serialize (message, &length);
  char *line = g_realloc (data, length + 1);

  line[length] = '\n';
  /* Once queued, a message goes out whole even if the caller gives up:
   * a half-written line would break the stream. */
  write->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (write->task, nb_mcp_stdio_transport_send_async);
  write->bytes = g_bytes_new_take (line, length + 1);
  g_queue_push_tail (&self->write_queue, write);
  write_next (self);
}

static gboolean
nb_mcp_stdio_transport_send_finish (NbMcpTransport  *transport,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
nb_mcp_stdio_transport_class_init (NbMcpStdioTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NbMcpTransportClass *transport_class = NB_MCP_TRANSPORT_CLASS (klass);

  object_class->dispose = nb_mcp_stdio_transport_dispose;
  object_class->finalize = nb_mcp_stdio_transport_finalize;

  transport_class->start_async = nb_mcp_stdio_transport_start_async;
  transport_class->start_finish = nb_mcp_stdio_transport_start_finish;
  transport_class->send_async = nb_mcp_stdio_transport_send_async;
  transport_class->send_finish = nb_mcp_stdio_transport_send_finish;
  transport_class->close = nb_mcp_stdio_transport_close;
}

static void
nb_mcp_stdio_transport_init (NbMcpStdioTransport *self)
{
  self->cancellable = g_cancellable_new ();
  self->stdout_buffer = g_byte_array_new ();
  self->stderr_buffer = g_byte_array_new ();
  g_queue_init (&self->write_queue);
}

/**
 * nb_mcp_stdio_transport_new:
 * @env: (nullable): extra environment variables (string values)
 *
 * Returns: (transfer full): a transport that runs @command when started
 */
NbMcpTransport *
nb_mcp_stdio_transport_new (const char         *name,
                            const char         *command,
                            const char * const *args,
                            JsonObject         *env)
{
  NbMcpStdioTransport *self;

  g_return_val_if_fail (command != NULL, NULL);

  self = g_object_new (NB_TYPE_MCP_STDIO_TRANSPORT, "name", name, NULL);
  self->command = g_strdup (command);
  self->args = g_strdupv ((char **) args);
  self->env = env != NULL ? json_object_ref (env) : NULL;
  return NB_MCP_TRANSPORT (self);
}
