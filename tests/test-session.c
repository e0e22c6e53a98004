/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nb-session.h"

static NbMessage *
make_message (const char *role,
              const char *content,
              const char *call_id)
{
  NbMessage *message = nb_message_new (role, content);
  JsonObject *json = nb_message_get_json (message);

  if (g_str_equal (role, "assistant") && call_id != NULL)
    {
      JsonArray *calls = json_array_new ();
      JsonObject *call = json_object_new ();
      JsonObject *function = json_object_new ();

      json_object_set_string_member (function, "name", "read_file");
      json_object_set_string_member (function, "arguments", "{}");
      json_object_set_string_member (call, "id", call_id);
      json_object_set_string_member (call, "type", "function");
      json_object_set_object_member (call, "function", function);
      json_array_add_object_element (calls, call);
      json_object_set_array_member (json, "tool_calls", calls);
    }
  else if (g_str_equal (role, "tool"))
    {
      json_object_set_string_member (json, "tool_call_id", call_id);
      json_object_set_string_member (json, "name", "read_file");
    }
  return message;
}

static void
append (NbSession  *session,
        const char *role,
        const char *content,
        const char *call_id)
{
  g_autoptr(NbMessage) message = make_message (role, content, call_id);

  nb_session_append (session, message);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  guint *count = user_data;

  *count += added;
}

static void
test_list_model (void)
{
  g_autoptr(NbSession) session = nb_session_new ("desktop:1");
  g_autoptr(NbMessage) first = NULL;
  guint added = 0;

  g_signal_connect (session, "items-changed", G_CALLBACK (items_changed_cb), &added);
  append (session, "user", "hi", NULL);
  append (session, "assistant", "hello", NULL);

  g_assert_cmpuint (added, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session)), ==, 2);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (session)) == NB_TYPE_MESSAGE);
  first = g_list_model_get_item (G_LIST_MODEL (session), 0);
  g_assert_cmpstr (nb_message_get_content (first), ==, "hi");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (session), 2));
  g_assert_nonnull (nb_message_get_timestamp (first));
}

static void
test_history_window (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");
  g_autoptr(GPtrArray) history = NULL;
  JsonObject *first;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *text = g_strdup_printf ("q%u", i);

      append (session, "user", text, NULL);
      append (session, "assistant", "a", NULL);
    }

  /* A window of 5 would start at an assistant message; it moves to a user. */
  history = nb_session_get_history (session, 5);
  g_assert_cmpuint (history->len, ==, 4);
  first = g_ptr_array_index (history, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (first, "content"), ==, "q8");
  /* Only the fields the LLM needs. */
  g_assert_false (json_object_has_member (first, "timestamp"));
  g_clear_pointer (&history, g_ptr_array_unref);

  /* Consolidated messages are not sent. */
  nb_session_set_last_consolidated (session, 16);
  history = nb_session_get_history (session, 50);
  g_assert_cmpuint (history->len, ==, 4);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 0), "content"), ==, "q8");
}

static void
test_history_no_orphans (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");
  g_autoptr(GPtrArray) history = NULL;

  append (session, "user", "one", NULL);
  append (session, "assistant", NULL, "call_1");
  append (session, "tool", "result 1", "call_1");
  append (session, "tool", "stray", "call_9");
  append (session, "assistant", "done", NULL);

  history = nb_session_get_history (session, 50);
  g_assert_cmpuint (history->len, ==, 4);
  for (guint i = 0; i < history->len; i++)
    {
      JsonObject *m = g_ptr_array_index (history, i);

      if (json_object_has_member (m, "tool_call_id"))
        g_assert_cmpstr (json_object_get_string_member (m, "tool_call_id"), ==, "call_1");
    }
  /* An assistant message without text keeps a null content. */
  g_assert_true (json_object_get_null_member (g_ptr_array_index (history, 1), "content"));
}

static void
test_history_no_unanswered_calls (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");
  g_autoptr(NbMessage) looking = make_message ("assistant", "Looking.", "call_1");
  g_autoptr(GPtrArray) history = NULL;
  JsonArray *calls = nb_message_get_tool_calls (looking);
  JsonObject *second = json_object_new ();
  JsonObject *m;

  json_object_set_string_member (second, "id", "call_2");
  json_object_set_string_member (second, "type", "function");
  json_array_add_object_element (calls, second);

  /* What a process killed while its tools ran leaves behind: call_2 and
   * call_3 never got a result. */
  append (session, "user", "one", NULL);
  nb_session_append (session, looking);
  append (session, "tool", "result 1", "call_1");
  append (session, "user", "two", NULL);
  append (session, "assistant", NULL, "call_3");
  append (session, "user", "three", NULL);
  append (session, "assistant", "ok", NULL);

  history = nb_session_get_history (session, 50);
  g_assert_cmpuint (history->len, ==, 6);
  m = g_ptr_array_index (history, 1);
  g_assert_cmpstr (json_object_get_string_member (m, "content"), ==, "Looking.");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (m, "tool_calls")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (m, "tool_calls"), 0), "id"), ==, "call_1");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 2), "tool_call_id"), ==, "call_1");
  /* The call without text and without result is left out whole. */
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 3), "content"), ==, "two");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 4), "content"), ==, "three");
  /* The session itself keeps everything. */
  g_assert_cmpuint (json_array_get_length (nb_message_get_tool_calls (looking)), ==, 2);
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 7);
}

/* Hand-edited lines a provider would refuse on every later request: no
 * role, an unknown role, content that is neither text nor parts. */
static void
test_history_unsendable (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");
  g_autoptr(GPtrArray) history = NULL;
  static const char * const lines[] = {
    "{\"role\":\"user\",\"content\":\"one\"}",
    "{\"content\":\"no role\"}",
    "{\"role\":\"bogus\",\"content\":\"x\"}",
    "{\"role\":\"user\",\"content\":42}",
    "{\"role\":\"user\"}",
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"parts\"}]}",
    "{\"role\":\"assistant\",\"content\":\"two\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (lines[i], NULL);
      g_autoptr(NbMessage) message = nb_message_new_from_json (json_node_get_object (node));

      nb_session_append (session, message);
    }

  history = nb_session_get_history (session, 50);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 0), "content"), ==, "one");
  g_assert_true (json_object_has_member (g_ptr_array_index (history, 1), "content"));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 1), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (history, 2), "content"), ==, "two");
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, G_N_ELEMENTS (lines));
}

static void
test_clear (void)
{
  g_autoptr(NbSession) session = nb_session_new ("cli:direct");

  append (session, "user", "one", NULL);
  nb_session_set_saved_count (session, 1);
  nb_session_set_last_consolidated (session, 1);
  nb_session_set_updated_at (session, "2001-01-01T00:00:00.000000");
  nb_session_clear (session);
  /* As the Python nanobot's clear(): the session was just changed. */
  g_assert_cmpstr (nb_session_get_updated_at (session), >, "2001-01-01T00:00:00.000000");
  g_assert_cmpuint (nb_session_get_n_messages (session), ==, 0);
  g_assert_cmpuint (nb_session_get_saved_count (session), ==, 0);
  g_assert_cmpuint (nb_session_get_last_consolidated (session), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session/list-model", test_list_model);
  g_test_add_func ("/session/history-window", test_history_window);
  g_test_add_func ("/session/history-no-orphans", test_history_no_orphans);
  g_test_add_func ("/session/history-no-unanswered-calls", test_history_no_unanswered_calls);
  g_test_add_func ("/session/history-unsendable", test_history_unsendable);
  g_test_add_func ("/session/clear", test_clear);

  return g_test_run ();
}
