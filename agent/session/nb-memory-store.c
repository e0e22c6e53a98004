/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-memory"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gfiledescriptorbased.h>

#include "nb-file-replace.h"
#include "nb-file-util.h"
#include "nb-json-util.h"
#include "nb-memory-backoff.h"
#include "nb-memory-store.h"
#include "nb-utf8.h"

/*
 * Consolidation folds the oldest unconsolidated messages of a session into
 * memory: one LLM call is offered a save_memory tool taking a history
 * entry (appended to HISTORY.md) and the whole new MEMORY.md (written
 * atomically, only when it changed); then last_consolidated moves past
 * those messages. Consolidations of one session never overlap: a second
 * request waits for the first (per-session queue). A failure anywhere
 * before the files are written changes nothing.
 *
 * The session file saves last_consolidated only after HISTORY.md was
 * appended, so a kill in between would consolidate the same messages again
 * and log them twice. Before appending, memory/.last-consolidation.json
 * records a fingerprint of the messages (session key, range, text) and the
 * entry; a consolidation with the same fingerprint whose entry is already
 * in HISTORY.md only moves last_consolidated. Once the model has answered,
 * the files are written without the cancellable: a cancel changes nothing
 * or lets the short writes finish, never half of them.
 */

#define TOOL_RESULT_PROMPT_MAX_CHARS 500
#define LAST_CONSOLIDATION_FILE      ".last-consolidation.json"

struct _NbMemoryStore
{
  GObject       parent_instance;

  char         *memory_path;
  char         *history_path;
  char         *record_path;    /* LAST_CONSOLIDATION_FILE */
  GHashTable   *running;        /* session key → GQueue of waiting GTasks */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (NbMemoryStore, nb_memory_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (nb-memory-error-quark, nb_memory_error)

enum {
  CONSOLIDATED,
  CONSOLIDATION_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  NbSession    *session;
  NbProvider   *provider;
  char         *model;
  guint         memory_window;
  gboolean      archive_all;
  guint         end;
  char         *conversation;   /* the messages as the prompt shows them */
  char         *fingerprint;
  char         *current_memory;
  char         *history_entry;
  /* HISTORY.md's size before the entry was appended, or -1. */
  goffset       history_size;
  char         *memory_update;
} Consolidation;

static void
consolidation_free (gpointer data)
{
  Consolidation *c = data;

  g_clear_object (&c->session);
  g_clear_object (&c->provider);
  g_free (c->model);
  g_free (c->conversation);
  g_free (c->fingerprint);
  g_free (c->current_memory);
  g_free (c->history_entry);
  g_free (c->memory_update);
  g_free (c);
}

static void
queue_free (gpointer data)
{
  g_queue_free_full (data, g_object_unref);
}

static void
nb_memory_store_dispose (GObject *object)
{
  NbMemoryStore *self = NB_MEMORY_STORE (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (nb_memory_store_parent_class)->dispose (object);
}

static void
nb_memory_store_finalize (GObject *object)
{
  NbMemoryStore *self = NB_MEMORY_STORE (object);

  g_clear_pointer (&self->memory_path, g_free);
  g_clear_pointer (&self->history_path, g_free);
  g_clear_pointer (&self->record_path, g_free);
  g_clear_pointer (&self->running, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_memory_store_parent_class)->finalize (object);
}

static void
nb_memory_store_class_init (NbMemoryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_memory_store_dispose;
  object_class->finalize = nb_memory_store_finalize;

  /**
   * NbMemoryStore::consolidated:
   * @session: the session
   * @success: whether memory took the messages in
   *
   * A background consolidation ended.
   */
  signals[CONSOLIDATED] = g_signal_new ("consolidated",
                                        G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 2, NB_TYPE_SESSION, G_TYPE_BOOLEAN);

  /**
   * NbMemoryStore::consolidation-failed:
   * @session: the session
   * @message: why, untranslated (the error's message)
   *
   * A background consolidation failed for the first time since the
   * session's last success; the next ones back off
   * (nb-memory-backoff.h) and fail silently until one succeeds.
   * Emitted before ::consolidated.
   */
  signals[CONSOLIDATION_FAILED] = g_signal_new ("consolidation-failed",
                                                G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2, NB_TYPE_SESSION,
                                                G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nb_memory_store_init (NbMemoryStore *self)
{
  self->running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * nb_memory_store_new:
 * @workspace: the workspace folder
 *
 * Returns: (transfer full): the memory store of @workspace
 */
NbMemoryStore *
nb_memory_store_new (const char *workspace)
{
  NbMemoryStore *self;

  g_return_val_if_fail (workspace != NULL, NULL);

  self = g_object_new (NB_TYPE_MEMORY_STORE, NULL);
  self->memory_path = g_build_filename (workspace, "memory", "MEMORY.md", NULL);
  self->history_path = g_build_filename (workspace, "memory", "HISTORY.md", NULL);
  self->record_path = g_build_filename (workspace, "memory", LAST_CONSOLIDATION_FILE, NULL);
  return self;
}

const char *
nb_memory_store_get_memory_path (NbMemoryStore *self)
{
  g_return_val_if_fail (NB_IS_MEMORY_STORE (self), NULL);
  return self->memory_path;
}

gboolean
nb_memory_store_needs_consolidation (NbSession *session,
                                     guint      memory_window)
{
  guint n;
  guint done;

  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  n = nb_session_get_n_messages (session);
  done = nb_session_get_last_consolidated (session);
  return memory_window > 0 && n > done && n - done >= memory_window;
}

gboolean
nb_memory_store_is_consolidating (NbMemoryStore *self,
                                  NbSession     *session)
{
  g_return_val_if_fail (NB_IS_MEMORY_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);

  return g_hash_table_contains (self->running, nb_session_get_key (session));
}

/* The prompt */

static JsonArray *
save_memory_tools (void)
{
  static const char definition[] =
    "[{\"type\":\"function\",\"function\":{"
    "\"name\":\"save_memory\","
    "\"description\":\"Store the result of consolidating the conversation into memory.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"history_entry\":{\"type\":\"string\",\"description\":"
    "\"2 to 5 sentences on what happened, beginning with [YYYY-MM-DD HH:MM]; "
    "name the people, places, files and terms someone might search for later.\"},"
    "\"memory_update\":{\"type\":\"string\",\"description\":"
    "\"The complete new long-term memory as Markdown: every fact that still holds plus "
    "the new ones. Return the current memory unchanged when there is nothing new.\"}},"
    "\"required\":[\"history_entry\",\"memory_update\"]}}}]";
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, definition, -1, NULL))
    g_assert_not_reached ();
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

static void
append_content (GString  *out,
                JsonNode *content)
{
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    g_string_append (out, json_node_get_string (content));
  else if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonNode *node = json_array_get_element (parts, i);
          JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          JsonNode *text = part != NULL ? json_object_get_member (part, "text") : NULL;

          if (i > 0)
            g_string_append_c (out, ' ');
          if (text != NULL && JSON_NODE_HOLDS_VALUE (text) && json_node_get_value_type (text) == G_TYPE_STRING)
            g_string_append (out, json_node_get_string (text));
          else
            g_string_append (out, "[image]");
        }
    }
}

static char *
format_messages (NbSession *session,
                 guint      start,
                 guint      end)
{
  GString *out = g_string_new (NULL);

  for (guint i = start; i < end; i++)
    {
      NbMessage *message = nb_session_get_message (session, i);
      JsonObject *json = nb_message_get_json (message);
      JsonNode *content = json_object_get_member (json, "content");
      JsonArray *calls = nb_message_get_tool_calls (message);
      const char *timestamp = nb_message_get_timestamp (message);
      g_autofree char *role = g_ascii_strup (nb_message_get_role (message) ? nb_message_get_role (message) : "?", -1);
      g_autoptr(GString) text = g_string_new (NULL);

      if (content != NULL)
        append_content (text, content);
      if (text->len == 0)
        continue;
      if (g_strcmp0 (role, "TOOL") == 0 && g_utf8_strlen (text->str, -1) > TOOL_RESULT_PROMPT_MAX_CHARS)
        {
          const char *cut = g_utf8_offset_to_pointer (text->str, TOOL_RESULT_PROMPT_MAX_CHARS);

          g_string_truncate (text, cut - text->str);
          g_string_append (text, " …");
        }

      g_string_append_printf (out, "[%.16s] %s", timestamp != NULL ? timestamp : "?", role);
      if (calls != NULL && json_array_get_length (calls) > 0)
        {
          g_string_append (out, " [tools: ");
          for (guint j = 0; j < json_array_get_length (calls); j++)
            {
              JsonNode *node = json_array_get_element (calls, j);
              JsonObject *function = NULL;
              JsonNode *name = NULL;

              if (JSON_NODE_HOLDS_OBJECT (node))
                {
                  JsonNode *f = json_object_get_member (json_node_get_object (node), "function");

                  if (f != NULL && JSON_NODE_HOLDS_OBJECT (f))
                    function = json_node_get_object (f);
                }
              if (function != NULL)
                name = json_object_get_member (function, "name");
              g_string_append_printf (out, "%s%s", j > 0 ? ", " : "",
                                      name != NULL && JSON_NODE_HOLDS_VALUE (name) &&
                                      json_node_get_value_type (name) == G_TYPE_STRING ?
                                      json_node_get_string (name) : "?");
            }
          g_string_append_c (out, ']');
        }
      g_string_append_printf (out, ": %s\n", text->str);
    }
  return g_string_free (out, FALSE);
}

static NbChatRequest *
build_request (Consolidation *c)
{
  g_autoptr(JsonObject) system = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();
  g_autofree char *prompt = NULL;
  NbChatRequest *request = nb_chat_request_new (c->model);

  json_object_set_string_member (system, "role", "system");
  json_object_set_string_member (system, "content",
                                 "You keep the long-term memory of a personal assistant. Read the current "
                                 "memory and the part of a conversation below, then call the save_memory "
                                 "tool exactly once with your result.");
  prompt = g_strdup_printf ("Fold this part of the conversation into memory and call save_memory.\n\n"
                            "- history_entry: a short dated paragraph on what happened, for the log.\n"
                            "- memory_update: the whole new MEMORY.md. Keep what still holds, add lasting "
                            "facts (preferences, people, projects, decisions), drop what proved wrong. Leave "
                            "out passing details and tool output.\n\n"
                            "## Current memory\n\n%s\n\n"
                            "## Conversation\n\n%s",
                            c->current_memory != NULL && *c->current_memory != '\0' ? c->current_memory : "(empty)",
                            c->conversation);
  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", prompt);

  nb_chat_request_add_message (request, system);
  nb_chat_request_add_message (request, user);
  request->tools = save_memory_tools ();
  request->temperature = 0.2;
  return request;
}

/* The steps */

static void run_next (NbMemoryStore *self,
                      const char    *key);

/* Ends @task and starts the next waiting consolidation of its session. */
static void
finish_task (GTask  *task,
             GError *error)
{
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  g_autofree char *key = g_strdup (nb_session_get_key (c->session));

  /* The session is free before its caller hears of it, so that the
   * caller sees nb_memory_store_is_consolidating() as FALSE. */
  run_next (self, key);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static char *
argument_text (JsonObject *arguments,
               const char *name)
{
  JsonNode *node = json_object_get_member (arguments, name);
  char *text;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  /* MEMORY.md and HISTORY.md get valid UTF-8 only (issue 9, item 4). */
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return nb_utf8_make_valid (json_node_get_string (node), -1);
  /* A model that sends structured data instead of text: keep it as JSON. */
  text = json_to_string (node, FALSE);
  nb_utf8_ensure_valid (&text);
  return text;
}

static void
history_closed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      g_prefix_error (&error, "Could not write %s: ", self->history_path);
      finish_task (task, error);
      return;
    }

  nb_session_set_last_consolidated (c->session, c->end);
  g_info ("Consolidated %s up to message %u", nb_session_get_key (c->session), c->end);
  finish_task (task, NULL);
}

static void
history_written_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      Consolidation *c = g_task_get_task_data (task);

      /* No half entry (a full disk, found by tests/test-fault-disk.c): the
       * next consolidation writes it whole. */
      if (c->history_size >= 0 && G_IS_FILE_DESCRIPTOR_BASED (object) &&
          ftruncate (g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (object)), c->history_size) != 0)
        g_debug ("Could not cut %s back: %s", self->history_path, g_strerror (errno));
      g_prefix_error (&error, "Could not write %s: ", self->history_path);
      finish_task (task, error);
      return;
    }
  g_output_stream_close_async (G_OUTPUT_STREAM (object), G_PRIORITY_DEFAULT,
                               NULL, history_closed_cb, task);
}

static void
history_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  g_autoptr(GFileOutputStream) out = NULL;
  GError *error = NULL;

  out = g_file_append_to_finish (G_FILE (object), result, &error);
  if (out == NULL)
    {
      g_prefix_error (&error, "Could not open %s: ", self->history_path);
      finish_task (task, error);
      return;
    }
  c->history_size = -1;
  if (G_IS_FILE_DESCRIPTOR_BASED (out))
    {
      struct stat st;

      if (fstat (g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (out)), &st) == 0)
        c->history_size = st.st_size;
    }
  /* The entry and its blank line in one write. */
  g_output_stream_write_all_async (G_OUTPUT_STREAM (out), c->history_entry, strlen (c->history_entry),
                                   G_PRIORITY_DEFAULT, NULL, history_written_cb, task);
}

static void
append_history (GTask *task)
{
  NbMemoryStore *self = g_task_get_source_object (task);
  g_autoptr(GFile) file = g_file_new_for_path (self->history_path);

  g_file_append_to_async (file, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT,
                          NULL, history_opened_cb, task);
}

static void
record_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!nb_file_replace_finish (result, &error))
    {
      g_prefix_error (&error, "Could not write %s: ", self->record_path);
      finish_task (task, error);
      return;
    }
  append_history (task);
}

/* Records which messages the entry is about before it is appended. */
static void
write_record (GTask *task)
{
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  g_autoptr(JsonObject) record = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GBytes) bytes = NULL;
  char *text;

  json_object_set_string_member (record, "fingerprint", c->fingerprint);
  json_object_set_string_member (record, "history_entry", c->history_entry);
  json_node_set_object (root, record);
  text = json_to_string (root, FALSE);
  bytes = g_bytes_new_take (text, strlen (text));

  nb_file_replace_async (self->record_path, bytes, NULL, record_written_cb, task);
}

static void
memory_replaced_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!nb_file_replace_finish (result, &error))
    {
      g_prefix_error (&error, "Could not write %s: ", self->memory_path);
      finish_task (task, error);
      return;
    }
  write_record (task);
}

static gboolean
is_blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

static void
chat_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  g_autoptr(NbChatResponse) response = NULL;
  g_autofree char *entry = NULL;
  g_autofree char *update = NULL;
  NbToolCall *call = NULL;
  GError *error = NULL;

  response = nb_provider_chat_finish (NB_PROVIDER (object), result, &error);
  if (response == NULL)
    {
      finish_task (task, error);
      return;
    }

  for (guint i = 0; response->tool_calls != NULL && i < response->tool_calls->len && call == NULL; i++)
    {
      NbToolCall *candidate = g_ptr_array_index (response->tool_calls, i);

      if (g_strcmp0 (candidate->name, "save_memory") == 0)
        call = candidate;
    }
  if (call == NULL)
    {
      finish_task (task, g_error_new (NB_MEMORY_ERROR, NB_MEMORY_ERROR_NO_TOOL_CALL,
                                      "The model did not call save_memory"));
      return;
    }
  if (call->arguments == NULL)
    {
      finish_task (task, g_error_new (NB_MEMORY_ERROR, NB_MEMORY_ERROR_BAD_ARGUMENTS,
                                      "save_memory's arguments are not JSON: %s",
                                      call->parse_error ? call->parse_error : "?"));
      return;
    }

  entry = argument_text (call->arguments, "history_entry");
  update = argument_text (call->arguments, "memory_update");
  if (entry == NULL || update == NULL || *g_strstrip (entry) == '\0')
    {
      finish_task (task, g_error_new (NB_MEMORY_ERROR, NB_MEMORY_ERROR_BAD_ARGUMENTS,
                                      "save_memory needs a history_entry and a memory_update"));
      return;
    }

  c->history_entry = g_strconcat (entry, "\n\n", NULL);
  c->memory_update = g_steal_pointer (&update);

  /* An empty memory_update means "nothing new" (the Python nanobot skips
   * it too), never "forget everything". */
  if (is_blank (c->memory_update))
    {
      g_free (c->memory_update);
      c->memory_update = g_strdup (c->current_memory != NULL ? c->current_memory : "");
    }

  if (g_strcmp0 (c->memory_update, c->current_memory != NULL ? c->current_memory : "") != 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (c->memory_update, strlen (c->memory_update));

      /* A temporary file renamed over MEMORY.md; on a full disk MEMORY.md
       * stays as it was (GIO's replace_contents renamed the partial file
       * over it: found by tests/test-fault-disk.c). */
      nb_file_replace_async (self->memory_path, bytes, NULL, memory_replaced_cb, task);
    }
  else
    write_record (task);
}

static void
memory_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Consolidation *c = g_task_get_task_data (task);
  g_autoptr(NbChatRequest) request = NULL;
  GError *error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!nb_file_read_bounded_finish (result, &contents, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          /* The message names the file. */
          finish_task (task, error);
          return;
        }
      g_clear_error (&error);
      contents = g_strdup ("");
    }
  c->current_memory = contents;

  request = build_request (c);
  nb_provider_chat_async (c->provider, request, NULL, NULL, g_task_get_cancellable (task), chat_done_cb, task);
}

static void
load_memory (GTask *task)
{
  NbMemoryStore *self = g_task_get_source_object (task);

  nb_file_read_bounded_async (self->memory_path, NB_FILE_MAX_MEMORY, g_task_get_cancellable (task),
                              memory_loaded_cb, task);
}

/* The same messages were consolidated before, but a kill may have come
 * before last_consolidated was saved: if their entry is in HISTORY.md,
 * only last_consolidated is left to do. */
static void
history_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  Consolidation *c = g_task_get_task_data (task);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (nb_file_read_bounded_finish (result, &contents, &length, NULL) &&
      g_strrstr_len (contents, length, c->history_entry) != NULL)
    {
      nb_session_set_last_consolidated (c->session, c->end);
      g_info ("%s up to message %u was in HISTORY.md already", nb_session_get_key (c->session), c->end);
      finish_task (task, NULL);
      return;
    }
  g_clear_pointer (&c->history_entry, g_free);
  load_memory (task);
}

static void
record_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *contents = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *entry = NULL;
  gsize length = 0;
  JsonNode *root;

  /* No record, or an unreadable one: consolidate as usual. */
  if (nb_file_read_bounded_finish (result, &contents, &length, NULL) &&
      nb_json_parser_load (parser, contents, length, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      fingerprint = argument_text (json_node_get_object (root), "fingerprint");
      entry = argument_text (json_node_get_object (root), "history_entry");
    }
  if (entry != NULL && g_strcmp0 (fingerprint, c->fingerprint) == 0)
    {
      c->history_entry = g_steal_pointer (&entry);
      nb_file_read_bounded_async (self->history_path, NB_FILE_MAX_MEMORY, g_task_get_cancellable (task),
                                  history_loaded_cb, task);
      return;
    }
  load_memory (task);
}

static void
start (GTask *task)
{
  NbMemoryStore *self = g_task_get_source_object (task);
  Consolidation *c = g_task_get_task_data (task);
  guint n = nb_session_get_n_messages (c->session);
  guint done = nb_session_get_last_consolidated (c->session);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_autofree char *key = g_strdup (nb_session_get_key (c->session));

      run_next (self, key);
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
      return;
    }

  if (c->archive_all)
    c->end = n;
  else
    c->end = n > c->memory_window / 2 ? n - c->memory_window / 2 : 0;

  if (c->end <= done)
    {
      /* Nothing (left) to consolidate. */
      finish_task (task, NULL);
      return;
    }

  c->conversation = format_messages (c->session, done, c->end);
  {
    /* The prompt shows minutes; the full timestamps tell apart the same
     * words said again within a minute after /new. */
    const char *first = nb_message_get_timestamp (nb_session_get_message (c->session, done));
    const char *last = nb_message_get_timestamp (nb_session_get_message (c->session, c->end - 1));
    g_autofree char *data = g_strdup_printf ("%s\n%u\n%u\n%s\n%s\n%s", nb_session_get_key (c->session),
                                             done, c->end, first != NULL ? first : "",
                                             last != NULL ? last : "", c->conversation);

    c->fingerprint = g_compute_checksum_for_string (G_CHECKSUM_SHA256, data, -1);
  }

  nb_file_read_bounded_async (self->record_path, NB_FILE_MAX_MEMORY, g_task_get_cancellable (task),
                              record_loaded_cb, task);
}

static void
run_next (NbMemoryStore *self,
          const char    *key)
{
  GQueue *queue = g_hash_table_lookup (self->running, key);
  GTask *next;

  g_assert (queue != NULL);
  next = g_queue_pop_head (queue);
  if (next == NULL)
    {
      g_hash_table_remove (self->running, key);
      return;
    }
  start (next);
}

void
nb_memory_store_consolidate_async (NbMemoryStore       *self,
                                   NbSession           *session,
                                   NbProvider          *provider,
                                   const char          *model,
                                   guint                memory_window,
                                   gboolean             archive_all,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  Consolidation *c;
  GQueue *queue;

  g_return_if_fail (NB_IS_MEMORY_STORE (self));
  g_return_if_fail (NB_IS_SESSION (session));
  g_return_if_fail (NB_IS_PROVIDER (provider));

  task = g_task_new (self, cancellable != NULL ? cancellable : self->cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_memory_store_consolidate_async);

  c = g_new0 (Consolidation, 1);
  c->session = g_object_ref (session);
  c->provider = g_object_ref (provider);
  c->model = g_strdup (model);
  c->memory_window = memory_window;
  c->archive_all = archive_all;
  g_task_set_task_data (task, c, consolidation_free);

  queue = g_hash_table_lookup (self->running, nb_session_get_key (session));
  if (queue != NULL)
    {
      /* One consolidation of a session at a time: wait for the running one. */
      g_queue_push_tail (queue, task);
      return;
    }
  g_hash_table_insert (self->running, g_strdup (nb_session_get_key (session)), g_queue_new ());
  start (task);
}

gboolean
nb_memory_store_consolidate_finish (NbMemoryStore  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
background_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  NbMemoryStore *self = NB_MEMORY_STORE (object);
  g_autoptr(NbSession) session = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = nb_memory_store_consolidate_finish (self, result, &error);

  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_message ("Memory consolidation of %s failed: %s", nb_session_get_key (session), error->message);
      if (nb_memory_backoff_record_failure (session, error->message))
        g_signal_emit (self, signals[CONSOLIDATION_FAILED], 0, session, error->message);
    }
  else if (ok)
    nb_memory_backoff_clear (session);
  g_signal_emit (self, signals[CONSOLIDATED], 0, session, ok);
}

gboolean
nb_memory_store_maybe_consolidate (NbMemoryStore *self,
                                   NbSession     *session,
                                   NbProvider    *provider,
                                   const char    *model,
                                   guint          memory_window,
                                   GCancellable  *cancellable)
{
  g_return_val_if_fail (NB_IS_MEMORY_STORE (self), FALSE);
  g_return_val_if_fail (NB_IS_SESSION (session), FALSE);
  g_return_val_if_fail (NB_IS_PROVIDER (provider), FALSE);

  if (!nb_memory_store_needs_consolidation (session, memory_window) ||
      nb_memory_store_is_consolidating (self, session) ||
      nb_memory_backoff_active (session, memory_window))
    return FALSE;

  nb_memory_store_consolidate_async (self, session, provider, model, memory_window, FALSE,
                                     cancellable, background_done_cb, g_object_ref (session));
  return TRUE;
}
