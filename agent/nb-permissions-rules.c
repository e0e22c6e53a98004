/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-agent"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-config-edit.h"
#include "nb-json-util.h"
#include "nb-permissions-private.h"

/*
 * Saving tools.permissions: "Always allow" adds a rule, Preferences
 * replaces the whole object. Both go through the one writer of
 * config.json (nb_config_write_async(): the file is read again, changed,
 * checked and replaced atomically in a worker thread, one write after
 * another), so the main loop never waits for the disk and no write loses
 * another's change. Until a save is written, it is kept in `pending` and
 * applied over the configuration for every check
 * (nb_permissions_ref_policy()): the rule the user just saved decides the
 * next identical call of the same turn already. When the write ends the
 * configuration holds the result (or, when it failed, is as it was) and
 * the pending save goes.
 */

/* The facts of the call that made the user save a rule, owned. */
typedef struct {
  char     *tool;
  gboolean  read_only;
  char     *command;
  GStrv     paths;
  char     *workspace;
} Facts;

typedef struct {
  JsonObject *rule;         /* add this rule… */
  Facts      *facts;        /* …before the first rule matching this call */
  gboolean    replace;      /* or: tools.permissions becomes… */
  JsonObject *permissions;  /* …this (NULL: removed) */
} Save;

static Facts *
facts_copy (const NbToolCallFacts *facts)
{
  Facts *copy;

  if (facts == NULL)
    return NULL;
  copy = g_new0 (Facts, 1);
  copy->tool = g_strdup (facts->tool);
  copy->read_only = facts->read_only;
  copy->command = g_strdup (facts->command);
  copy->paths = g_strdupv ((char **) facts->paths);
  copy->workspace = g_strdup (facts->workspace);
  return copy;
}

static void
facts_free (Facts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->tool);
  g_free (facts->command);
  g_strfreev (facts->paths);
  g_free (facts->workspace);
  g_free (facts);
}

static void
facts_view (const Facts     *facts,
            NbToolCallFacts *view)
{
  view->tool = facts->tool;
  view->read_only = facts->read_only;
  view->command = facts->command;
  view->paths = (const char * const *) facts->paths;
  view->workspace = facts->workspace;
}

/* A copy sharing nothing with @object: the writer's thread gets its own. */
static JsonObject *
object_copy (JsonObject *object)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) copy = NULL;

  if (object == NULL)
    return NULL;
  node = json_node_init_object (json_node_alloc (), object);
  copy = nb_config_edit_deep_copy (node);
  return json_object_ref (json_node_get_object (copy));
}

static Save *
save_new_add (JsonObject            *rule,
              const NbToolCallFacts *facts)
{
  Save *save = g_new0 (Save, 1);

  save->rule = object_copy (rule);
  save->facts = facts_copy (facts);
  return save;
}

static void
save_free (gpointer data)
{
  Save *save = data;

  g_clear_pointer (&save->rule, json_object_unref);
  facts_free (save->facts);
  g_clear_pointer (&save->permissions, json_object_unref);
  g_free (save);
}

static JsonObject *
ensure_object (JsonObject *parent,
               const char *name)
{
  JsonNode *node = json_object_get_member (parent, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    json_object_set_object_member (parent, name, json_object_new ());
  return json_object_get_object_member (parent, name);
}

/* Puts @rule into @permissions' rules before the first rule that matches
 * the call now (it said "ask"), so that the new rule decides the call and
 * calls like it; at the end without @facts or such a rule. */
static void
insert_rule (JsonObject  *permissions,
             JsonObject  *rule,
             const Facts *facts)
{
  JsonNode *rules_node = json_object_get_member (permissions, "rules");
  g_autoptr(JsonArray) reordered = json_array_new ();
  NbToolCallFacts view;
  JsonArray *rules;
  guint at;

  if (rules_node == NULL || !JSON_NODE_HOLDS_ARRAY (rules_node))
    json_object_set_array_member (permissions, "rules", json_array_new ());
  rules = json_object_get_array_member (permissions, "rules");

  at = json_array_get_length (rules);
  if (facts != NULL)
    facts_view (facts, &view);
  for (guint i = 0; facts != NULL && i < json_array_get_length (rules); i++)
    {
      JsonNode *node = json_array_get_element (rules, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && nb_tool_policy_rule_matches (json_node_get_object (node), &view))
        {
          at = i;
          break;
        }
    }

  for (guint i = 0; i <= json_array_get_length (rules); i++)
    {
      if (i == at)
        json_array_add_object_element (reordered, object_copy (rule));
      if (i < json_array_get_length (rules))
        json_array_add_element (reordered, json_node_copy (json_array_get_element (rules, i)));
    }
  json_object_set_array_member (permissions, "rules", g_steal_pointer (&reordered));
}

/* In the writer's thread, on the file's tree. */
static void
insert_rule_edit (JsonObject *root,
                  gpointer    user_data)
{
  Save *save = user_data;
  JsonObject *tools = ensure_object (root, "tools");

  insert_rule (ensure_object (tools, "permissions"), save->rule, save->facts);
}

JsonObject *
nb_permissions_ref_policy (NbPermissions *self)
{
  JsonObject *current = nb_config_get_object (self->config, "tools.permissions");
  JsonObject *policy;

  if (g_queue_is_empty (&self->pending))
    return current != NULL ? json_object_ref (current) : NULL;

  policy = object_copy (current);
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      Save *save = l->data;

      if (save->replace)
        {
          g_clear_pointer (&policy, json_object_unref);
          policy = object_copy (save->permissions);
          continue;
        }
      if (policy == NULL)
        policy = json_object_new ();
      insert_rule (policy, save->rule, save->facts);
    }
  return policy;
}

/**
 * nb_permissions_dup_policy:
 *
 * tools.permissions as the next call sees it: the configuration's, with
 * the saves not written yet applied (what Preferences edits).
 *
 * Returns: (transfer full) (nullable): a copy to change, or %NULL when
 *   tools.permissions is absent
 */
JsonObject *
nb_permissions_dup_policy (NbPermissions *self)
{
  g_autoptr(JsonObject) policy = NULL;

  g_return_val_if_fail (NB_IS_PERMISSIONS (self), NULL);

  policy = nb_permissions_ref_policy (self);
  return object_copy (policy);
}

/* Writing */

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NbPermissions *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok = nb_config_write_finish (NB_CONFIG (source), result, &error);

  /* The configuration has the change now, or never will. */
  g_queue_remove (&self->pending, g_task_get_task_data (task));
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);

  if (g_queue_is_empty (&self->pending))
    {
      GTask *flush;

      while ((flush = g_queue_pop_head (&self->flushes)) != NULL)
        {
          g_task_return_boolean (flush, TRUE);
          g_object_unref (flush);
        }
    }
}

/* Takes @task (whose data is @save) and @edit. */
static void
start_write (NbPermissions *self,
             GTask         *task,
             Save          *save,
             NbConfigEdit  *edit)
{
  g_task_set_task_data (task, save, save_free);
  /* Once started, a save ends, whoever waits for it. */
  g_task_set_check_cancellable (task, FALSE);
  g_queue_push_tail (&self->pending, save);
  nb_config_write_async (self->config, edit, NULL, written_cb, task);
}

static gboolean
check_has_file (NbPermissions  *self,
                GTask          *task)
{
  if (nb_config_get_path (self->config) != NULL)
    return TRUE;
  g_task_return_new_error (task, NB_CONFIG_ERROR, NB_CONFIG_ERROR_IO, _("The configuration has no file"));
  g_object_unref (task);
  return FALSE;
}

/**
 * nb_permissions_add_rule_async:
 * @rule: a rule (tool, command or path, decision); copied
 * @facts: (nullable): the call that made the user save it: the rule goes
 *   before the first rule that matches it, else at the end
 * @cancellable: (nullable): only stops the wait; a started save ends
 *
 * Saves @rule in config.json. The rule decides calls at once, also while
 * the file is written; when the save fails, it is dropped again and the
 * file is as it was.
 */
void
nb_permissions_add_rule_async (NbPermissions         *self,
                               JsonObject            *rule,
                               const NbToolCallFacts *facts,
                               GCancellable          *cancellable,
                               GAsyncReadyCallback    callback,
                               gpointer               user_data)
{
  GTask *task;
  g_autofree char *problem = NULL;
  NbConfigEdit *edit;
  Save *save;

  g_return_if_fail (NB_IS_PERMISSIONS (self));
  g_return_if_fail (rule != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_permissions_add_rule_async);

  problem = nb_tool_policy_check_rule (rule);
  if (problem != NULL)
    {
      g_task_return_new_error (task, NB_CONFIG_ERROR, NB_CONFIG_ERROR_INVALID,
                               _("The rule %s"), problem);
      g_object_unref (task);
      return;
    }
  if (!check_has_file (self, task))
    return;

  save = save_new_add (rule, facts);
  edit = nb_config_edit_new ();
  nb_config_edit_add_func (edit, insert_rule_edit, save_new_add (rule, facts), save_free);
  start_write (self, task, save, edit);
}

gboolean
nb_permissions_add_rule_finish (NbPermissions  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nb_permissions_save_async:
 * @permissions: (nullable): the whole tools.permissions object, or %NULL
 *   to remove it; copied
 *
 * What Preferences → Permissions saves, written like
 * nb_permissions_add_rule_async() and in effect at once the same way.
 */
void
nb_permissions_save_async (NbPermissions       *self,
                           JsonObject          *permissions,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  NbConfigEdit *edit;
  Save *save;

  g_return_if_fail (NB_IS_PERMISSIONS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_permissions_save_async);
  if (!check_has_file (self, task))
    return;

  save = g_new0 (Save, 1);
  save->replace = TRUE;
  save->permissions = object_copy (permissions);
  edit = nb_config_edit_new ();
  if (permissions != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), permissions);

      nb_config_edit_set_node (edit, "tools.permissions", node);
    }
  else
    nb_config_edit_remove (edit, "tools.permissions");
  start_write (self, task, save, edit);
}

gboolean
nb_permissions_save_finish (NbPermissions  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nb_permissions_has_pending_saves:
 *
 * Returns: whether a save is still being written (closing waits for it)
 */
gboolean
nb_permissions_has_pending_saves (NbPermissions *self)
{
  g_return_val_if_fail (NB_IS_PERMISSIONS (self), FALSE);
  return !g_queue_is_empty (&self->pending);
}

/**
 * nb_permissions_flush_async:
 *
 * Finishes when every save started so far is written (or failed): what
 * closing waits for, so that a rule saved just before quitting is not
 * lost.
 */
void
nb_permissions_flush_async (NbPermissions       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NB_IS_PERMISSIONS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_permissions_flush_async);
  if (g_queue_is_empty (&self->pending))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  g_queue_push_tail (&self->flushes, task);
}

gboolean
nb_permissions_flush_finish (NbPermissions  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
