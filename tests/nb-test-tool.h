/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * A scriptable tool for the agent tests and benchmarks: it answers after a
 * delay (a GLib timeout, never a sleep), or fails, or waits until it is
 * cancelled, and writes "start:NAME" / "end:NAME" into a shared log so a
 * test can check what ran alongside what. Header-only: include it in one
 * file of a test program.
 */

#include <gio/gio.h>

#include "nb-tool.h"

G_BEGIN_DECLS

typedef enum {
  NB_TEST_TOOL_ECHO,         /* answers "NAME: <arguments as JSON>" */
  NB_TEST_TOOL_FAIL,         /* finishes with a GError */
  NB_TEST_TOOL_ERROR_TEXT,   /* answers "Error: it broke" */
  NB_TEST_TOOL_WAIT_CANCEL,  /* only finishes when cancelled */
  NB_TEST_TOOL_WAIT_RELEASE, /* echoes when nb_test_tool_release() says so */
} NbTestToolMode;

#define NB_TYPE_TEST_TOOL (nb_test_tool_get_type ())
G_DECLARE_FINAL_TYPE (NbTestTool, nb_test_tool, NB, TEST_TOOL, NbTool)

struct _NbTestTool
{
  NbTool          parent_instance;

  NbTestToolMode  mode;
  guint           delay_ms;
  GPtrArray      *log;        /* (nullable) (element-type utf8), shared */
  guint           n_running;
  guint           max_running;
  guint           n_calls;
  GQueue          pending;    /* NbTestToolCall waiting for a release */
};

G_DEFINE_FINAL_TYPE (NbTestTool, nb_test_tool, NB_TYPE_TOOL)

typedef struct {
  NbTestTool *tool;
  GTask      *task;
  char       *result;
  guint       timeout_id;
  gulong      cancelled_id;
} NbTestToolCall;

static void
nb_test_tool_log (NbTestTool *self,
                  const char *what)
{
  if (self->log != NULL)
    g_ptr_array_add (self->log, g_strdup_printf ("%s:%s", what, nb_tool_get_name (NB_TOOL (self))));
}

static void
nb_test_tool_call_finish (NbTestToolCall *call,
                          GError         *error)
{
  GCancellable *cancellable = g_task_get_cancellable (call->task);

  if (call->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, call->cancelled_id);
  g_clear_handle_id (&call->timeout_id, g_source_remove);
  g_queue_remove (&call->tool->pending, call);

  call->tool->n_running--;
  nb_test_tool_log (call->tool, error != NULL ? "cancelled" : "end");

  if (error != NULL)
    g_task_return_error (call->task, error);
  else if (call->tool->mode == NB_TEST_TOOL_FAIL)
    g_task_return_new_error (call->task, G_IO_ERROR, G_IO_ERROR_FAILED, "it broke");
  else
    g_task_return_pointer (call->task, g_steal_pointer (&call->result), g_free);

  g_object_unref (call->task);
  g_object_unref (call->tool);
  g_free (call->result);
  g_free (call);
}

static gboolean
nb_test_tool_timeout_cb (gpointer user_data)
{
  NbTestToolCall *call = user_data;

  call->timeout_id = 0;
  nb_test_tool_call_finish (call, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
nb_test_tool_cancel_idle_cb (gpointer user_data)
{
  NbTestToolCall *call = user_data;

  nb_test_tool_call_finish (call, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  return G_SOURCE_REMOVE;
}

static void
nb_test_tool_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  NbTestToolCall *call = user_data;

  /* The tests cancel from the main thread. Finish from an idle, not inside
   * the signal: disconnecting there would deadlock. */
  g_clear_handle_id (&call->timeout_id, g_source_remove);
  g_idle_add (nb_test_tool_cancel_idle_cb, call);
}

static void
nb_test_tool_execute_async (NbTool              *tool,
                            JsonObject          *arguments,
                            const NbToolContext *context,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  NbTestTool *self = NB_TEST_TOOL (tool);
  NbTestToolCall *call = g_new0 (NbTestToolCall, 1);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), arguments);
  g_autofree char *text = json_to_string (node, FALSE);

  call->tool = g_object_ref (self);
  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_check_cancellable (call->task, FALSE);
  if (self->mode == NB_TEST_TOOL_ERROR_TEXT)
    call->result = g_strdup ("Error: it broke");
  else
    call->result = g_strdup_printf ("%s: %s", nb_tool_get_name (tool), text);

  self->n_calls++;
  self->n_running++;
  self->max_running = MAX (self->max_running, self->n_running);
  nb_test_tool_log (self, "start");

  if (cancellable != NULL)
    call->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (nb_test_tool_cancelled_cb),
                                                call, NULL);
  if (self->mode == NB_TEST_TOOL_WAIT_RELEASE)
    g_queue_push_tail (&self->pending, call);
  else if (self->mode != NB_TEST_TOOL_WAIT_CANCEL && !g_cancellable_is_cancelled (cancellable))
    call->timeout_id = g_timeout_add (self->delay_ms, nb_test_tool_timeout_cb, call);
}

/* Finishes the oldest call waiting in %NB_TEST_TOOL_WAIT_RELEASE mode. */
static G_GNUC_UNUSED void
nb_test_tool_release (NbTestTool *self)
{
  NbTestToolCall *call = g_queue_peek_head (&self->pending);

  g_assert_nonnull (call);
  nb_test_tool_call_finish (call, NULL);
}

static void
nb_test_tool_class_init (NbTestToolClass *klass)
{
  NbToolClass *tool_class = NB_TOOL_CLASS (klass);

  tool_class->execute_async = nb_test_tool_execute_async;
}

static void
nb_test_tool_init (NbTestTool *self)
{
}

static G_GNUC_UNUSED NbTestTool *
nb_test_tool_new (const char *name,
                  const char *schema_json,
                  gboolean    side_effects,
                  guint       delay_ms)
{
  g_autoptr(JsonObject) schema = nb_tool_parse_schema (schema_json != NULL ? schema_json :
                                                       "{\"type\":\"object\",\"properties\":{}}");
  NbTestTool *self = g_object_new (NB_TYPE_TEST_TOOL,
                                   "name", name,
                                   "description", "A tool of the tests",
                                   "parameters", schema,
                                   "side-effects", side_effects,
                                   NULL);

  self->delay_ms = delay_ms;
  return self;
}

G_END_DECLS
