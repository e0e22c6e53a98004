/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-context"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "nb-context-builder.h"
#include "nb-workspace.h"
#include "nb-workspace-private.h"

/*
 * The system prompt: identity, bootstrap files, long-term memory,
 * always-on skills and the skills summary, joined by separators. It is
 * built once and served from memory until something it was built from
 * changes, so that it stays byte-identical across turns (provider prompt
 * caching) and costs no I/O on the hot path.
 *
 * Staleness is caught three ways: nb_context_builder_invalidate() (the
 * agent calls it after a tool that may write files), GFileMonitors on the
 * workspace, memory/, skills/ and every skills/<name>/ folder, and — since
 * a monitor event reaches the main loop only later — an inotify queue of
 * the same folders drained with one non-blocking read(2) before the cached
 * prompt is served, so an edit another program finished before the next
 * LLM call is always in that call's prompt. No clock goes in the prompt:
 * time and channel travel in the runtime message.
 */

#define SEPARATOR "\n\n---\n\n"

typedef enum {
  WATCH_WORKSPACE,
  WATCH_MEMORY,
  WATCH_SKILLS,
  WATCH_SKILL,
} WatchKind;

static const char * const bootstrap_files[] = { NB_WORKSPACE_BOOTSTRAP_FILES };

struct _NbContextBuilder
{
  GObject     parent_instance;

  char       *workspace;
  char       *memory_dir;
  char       *skills_dir;
  char       *identity;
  char       *system_prompt;
  gboolean    stale;
  NbSkills   *skills;
  GHashTable *monitors;     /* folder → GFileMonitor */
#ifdef __linux__
  int         inotify_fd;
  GHashTable *watches;      /* wd → WatchKind */
#endif
};

G_DEFINE_FINAL_TYPE (NbContextBuilder, nb_context_builder, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Whether a change to @name inside a watched folder of @kind can change
 * the prompt. Writes to unrelated workspace files do not. */
static gboolean
is_relevant (WatchKind   kind,
             const char *name)
{
  if (name == NULL)
    return TRUE;

  switch (kind)
    {
    case WATCH_WORKSPACE:
      if (g_str_equal (name, "memory") || g_str_equal (name, "skills"))
        return TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (bootstrap_files); i++)
        if (g_str_equal (name, bootstrap_files[i]))
          return TRUE;
      return FALSE;
    case WATCH_MEMORY:
      return g_str_equal (name, "MEMORY.md");
    case WATCH_SKILLS:
      return TRUE;
    case WATCH_SKILL:
      return g_str_equal (name, "SKILL.md");
    default:
      g_assert_not_reached ();
    }
}

static void
mark_stale (NbContextBuilder *self)
{
  gboolean was_stale = self->stale;

  self->stale = TRUE;
  if (!was_stale)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    gpointer           user_data)
{
  NbContextBuilder *self = user_data;
  WatchKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (monitor), "nb-watch-kind"));
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *other_name = other_file != NULL ? g_file_get_basename (other_file) : NULL;

  if (event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
    return;
  if (is_relevant (kind, name) || (other_name != NULL && is_relevant (kind, other_name)))
    mark_stale (self);
}

#ifdef __linux__
/* Drains the inotify queue; TRUE when an event touched the prompt's
 * sources. One read(2) returning EAGAIN when nothing happened. */
static gboolean
drain_inotify (NbContextBuilder *self)
{
  gboolean changed = FALSE;
  char buffer[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));

  if (self->inotify_fd < 0)
    return FALSE;

  for (;;)
    {
      gssize length = read (self->inotify_fd, buffer, sizeof buffer);

      if (length < 0 && errno == EINTR)
        continue;
      if (length <= 0)
        break;

      for (char *p = buffer; p < buffer + length;)
        {
          const struct inotify_event *event = (const struct inotify_event *) p;
          gpointer kind;

          if (event->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
            changed = TRUE;
          else if (g_hash_table_lookup_extended (self->watches, GINT_TO_POINTER (event->wd), NULL, &kind) &&
                   is_relevant (GPOINTER_TO_INT (kind), event->len > 0 ? event->name : NULL))
            changed = TRUE;
          p += sizeof (struct inotify_event) + event->len;
        }
    }
  return changed;
}
#endif

static void
watch_folder (NbContextBuilder *self,
              GHashTable       *monitors,
              const char       *path,
              WatchKind         kind)
{
  GFileMonitor *monitor = self->monitors != NULL ? g_hash_table_lookup (self->monitors, path) : NULL;

#ifdef __linux__
  if (self->inotify_fd >= 0)
    {
      int wd = inotify_add_watch (self->inotify_fd, path,
                                  IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE |
                                  IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                  IN_ONLYDIR);

      if (wd >= 0)
        g_hash_table_insert (self->watches, GINT_TO_POINTER (wd), GINT_TO_POINTER (kind));
    }
#endif

  if (monitor != NULL)
    {
      g_hash_table_insert (monitors, g_strdup (path), g_object_ref (monitor));
      return;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return;

  {
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GError) error = NULL;

    monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
    if (monitor == NULL)
      {
        g_info ("Cannot watch %s: %s", path, error->message);
        return;
      }
    g_object_set_data (G_OBJECT (monitor), "nb-watch-kind", GINT_TO_POINTER (kind));
    g_signal_connect_object (monitor, "changed", G_CALLBACK (monitor_changed_cb), self, 0);
    g_hash_table_insert (monitors, g_strdup (path), monitor);
  }
}

/* Watches the prompt's sources. Called before they are read, so that a
 * change made while reading marks the new prompt stale. */
static void
rearm_watches (NbContextBuilder *self)
{
  g_autoptr(GHashTable) monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_autoptr(GDir) dir = NULL;
  const char *name;

#ifdef __linux__
  if (self->inotify_fd >= 0)
    close (self->inotify_fd);
  self->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  g_hash_table_remove_all (self->watches);
#endif

  watch_folder (self, monitors, self->workspace, WATCH_WORKSPACE);
  watch_folder (self, monitors, self->memory_dir, WATCH_MEMORY);
  watch_folder (self, monitors, self->skills_dir, WATCH_SKILLS);

  dir = g_dir_open (self->skills_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->skills_dir, name, NULL);

      if (name[0] != '.' && g_file_test (path, G_FILE_TEST_IS_DIR))
        watch_folder (self, monitors, path, WATCH_SKILL);
    }

  /* Monitors of folders that went away are cancelled. */
  if (self->monitors != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, self->monitors);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (monitors, key))
          g_file_monitor_cancel (value);
    }

  g_clear_pointer (&self->monitors, g_hash_table_unref);
  self->monitors = g_steal_pointer (&monitors);
}

static char *
build_identity (const char *workspace)
{
  struct utsname uts;
  g_autofree char *os_name = g_get_os_info (G_OS_INFO_KEY_PRETTY_NAME);
  const char *machine = "unknown machine";
  const char *kernel = "";

  if (uname (&uts) == 0)
    {
      machine = uts.machine;
      kernel = uts.release;
    }
  if (os_name == NULL)
    os_name = g_strdup (uname (&uts) == 0 ? uts.sysname : "Unix");

  return g_strdup_printf ("# nanobot\n\n"
                          "You are nanobot, a personal AI assistant running on the user's computer. "
                          "You can read, write and edit files, run shell commands, search the web and "
                          "fetch pages, send messages, schedule jobs and start helpers that work in the "
                          "background.\n\n"
                          "## Platform\n\n"
                          "%s (kernel %s) on %s.\n\n"
                          "## Workspace\n\n"
                          "Your workspace is %s.\n"
                          "- Long-term memory: %s/memory/MEMORY.md\n"
                          "- Log of past conversations: %s/memory/HISTORY.md (search it with grep)\n"
                          "- Your own skills: %s/skills/<name>/SKILL.md\n\n"
                          "## Guidelines\n\n"
                          "- Use the tools to act; do not describe a tool call instead of making it, and "
                          "never state a result before the tool returned it.\n"
                          "- Read a file before you change it, and check the result afterwards.\n"
                          "- When a tool reports an error, read it and try a different approach.\n"
                          "- Ask a short question when a request is ambiguous.\n"
                          "- Answer in plain text in this conversation; the message tool is for "
                          "reaching another chat.",
                          os_name, kernel, machine, workspace, workspace, workspace, workspace);
}

static char *
read_workspace_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (!nb_workspace_read_file (path, &contents, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("Left %s out of the system prompt: %s", path, error->message);
      return NULL;
    }
  if (!g_utf8_validate (contents, -1, NULL))
    {
      g_message ("Left %s out of the system prompt: not UTF-8 text", path);
      g_free (contents);
      return NULL;
    }
  return contents;
}

static void
rebuild (NbContextBuilder *self)
{
  g_autoptr(GString) prompt = g_string_new (self->identity);
  g_autofree char *memory_path = g_build_filename (self->memory_dir, "MEMORY.md", NULL);
  g_autofree char *memory = NULL;
  g_autofree char *always = NULL;
  g_autofree char *summary = NULL;

  rearm_watches (self);
  self->stale = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (bootstrap_files); i++)
    {
      g_autofree char *path = g_build_filename (self->workspace, bootstrap_files[i], NULL);
      g_autofree char *text = read_workspace_file (path);

      if (text == NULL || *g_strstrip (text) == '\0')
        continue;
      g_string_append_printf (prompt, SEPARATOR "## %s\n\n%s", bootstrap_files[i], text);
    }

  memory = read_workspace_file (memory_path);
  if (memory != NULL && *g_strstrip (memory) != '\0')
    g_string_append_printf (prompt, SEPARATOR "# Memory\n\n%s", memory);

  if (self->skills == NULL)
    self->skills = nb_skills_new (self->workspace);
  else
    nb_skills_reload (self->skills);

  always = nb_skills_build_always (self->skills);
  if (always != NULL)
    g_string_append_printf (prompt, SEPARATOR "# Active Skills\n\n%s", always);

  summary = nb_skills_build_summary (self->skills);
  if (summary != NULL)
    g_string_append_printf (prompt, SEPARATOR "# Skills\n\n"
                            "Skills are instructions for particular tasks. When one fits the task, read its "
                            "SKILL.md at the location given, with read_file, and follow it. A skill marked "
                            "available=\"false\" needs the programs or variables listed under requires; "
                            "install or set them first, or say what is missing.\n\n%s",
                            summary);

  g_free (self->system_prompt);
  self->system_prompt = g_string_free (g_steal_pointer (&prompt), FALSE);
}

static void
nb_context_builder_dispose (GObject *object)
{
  NbContextBuilder *self = NB_CONTEXT_BUILDER (object);

  if (self->monitors != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->monitors);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          g_signal_handlers_disconnect_by_data (value, self);
          g_file_monitor_cancel (value);
        }
      g_clear_pointer (&self->monitors, g_hash_table_unref);
    }
  g_clear_object (&self->skills);

  G_OBJECT_CLASS (nb_context_builder_parent_class)->dispose (object);
}

static void
nb_context_builder_finalize (GObject *object)
{
  NbContextBuilder *self = NB_CONTEXT_BUILDER (object);

#ifdef __linux__
  if (self->inotify_fd >= 0)
    close (self->inotify_fd);
  g_clear_pointer (&self->watches, g_hash_table_unref);
#endif
  g_clear_pointer (&self->workspace, g_free);
  g_clear_pointer (&self->memory_dir, g_free);
  g_clear_pointer (&self->skills_dir, g_free);
  g_clear_pointer (&self->identity, g_free);
  g_clear_pointer (&self->system_prompt, g_free);

  G_OBJECT_CLASS (nb_context_builder_parent_class)->finalize (object);
}

static void
nb_context_builder_class_init (NbContextBuilderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_context_builder_dispose;
  object_class->finalize = nb_context_builder_finalize;

  /**
   * NbContextBuilder::changed:
   *
   * A file the system prompt is built from changed; the next prompt is
   * rebuilt.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
nb_context_builder_init (NbContextBuilder *self)
{
  self->stale = TRUE;
#ifdef __linux__
  self->inotify_fd = -1;
  self->watches = g_hash_table_new (NULL, NULL);
#endif
}

/**
 * nb_context_builder_new:
 * @workspace: the workspace folder
 *
 * Returns: (transfer full): a context builder for @workspace
 */
NbContextBuilder *
nb_context_builder_new (const char *workspace)
{
  NbContextBuilder *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (workspace != NULL, NULL);

  self = g_object_new (NB_TYPE_CONTEXT_BUILDER, NULL);
  self->workspace = g_strdup (workspace);
  self->memory_dir = g_build_filename (workspace, "memory", NULL);
  self->skills_dir = g_build_filename (workspace, "skills", NULL);
  self->identity = build_identity (workspace);

  if (!nb_workspace_ensure (workspace, &error))
    g_message ("The workspace is incomplete: %s", error->message);

  return self;
}

/**
 * nb_context_builder_get_system_prompt:
 *
 * Returns: (transfer none): the system prompt; valid until the next call
 */
const char *
nb_context_builder_get_system_prompt (NbContextBuilder *self)
{
  g_return_val_if_fail (NB_IS_CONTEXT_BUILDER (self), NULL);

#ifdef __linux__
  if (!self->stale && drain_inotify (self))
    self->stale = TRUE;
#endif
  if (self->stale || self->system_prompt == NULL)
    rebuild (self);
  return self->system_prompt;
}

void
nb_context_builder_invalidate (NbContextBuilder *self)
{
  g_return_if_fail (NB_IS_CONTEXT_BUILDER (self));
  self->stale = TRUE;
}

/**
 * nb_context_builder_get_skills:
 *
 * Returns: (transfer none): the skills as of the last prompt
 */
NbSkills *
nb_context_builder_get_skills (NbContextBuilder *self)
{
  g_return_val_if_fail (NB_IS_CONTEXT_BUILDER (self), NULL);

  if (self->skills == NULL)
    nb_context_builder_get_system_prompt (self);
  return self->skills;
}

/**
 * nb_context_builder_build_runtime_message:
 * @channel: (nullable): the channel, "desktop", "cli", …
 * @chat_id: (nullable): the chat within the channel
 *
 * Returns: (transfer full): a user message with the time, channel and
 *   chat id, marked as metadata, to go before the user's text
 */
JsonObject *
nb_context_builder_build_runtime_message (NbContextBuilder *self,
                                          const char       *channel,
                                          const char       *chat_id)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M (%A) %Z");
  g_autofree char *text = g_strdup_printf ("[Runtime Context — metadata only, not instructions]\n"
                                           "Current Time: %s\nChannel: %s\nChat ID: %s",
                                           time, channel ? channel : "cli", chat_id ? chat_id : "direct");
  JsonObject *message = json_object_new ();

  g_return_val_if_fail (NB_IS_CONTEXT_BUILDER (self), message);

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", text);
  return message;
}
