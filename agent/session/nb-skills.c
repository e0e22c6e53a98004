/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-skills"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "nb-json-util.h"
#include "nb-skills.h"
#include "nb-workspace.h"
#include "nb-workspace-private.h"

/*
 * Skills are folders with a SKILL.md: a frontmatter block of `key: value`
 * lines between `---` lines, then Markdown instructions. Built-in skills
 * come from data/skills/ (compiled in); a workspace skills/<name>/ with the
 * same name replaces the built-in one. A malformed file is skipped with a
 * message naming it; the others load.
 */

struct _NbSkills
{
  GObject     parent_instance;

  char       *workspace;
  char       *skills_dir;
  GPtrArray  *skills;         /* NbSkill, sorted by name */
  GPtrArray  *workspace_dirs; /* char * */
};

G_DEFINE_FINAL_TYPE (NbSkills, nb_skills, G_TYPE_OBJECT)

void
nb_skill_free (NbSkill *skill)
{
  if (skill == NULL)
    return;
  g_free (skill->name);
  g_free (skill->description);
  g_free (skill->location);
  g_free (skill->body);
  g_strfreev (skill->bins);
  g_strfreev (skill->env);
  g_free (skill->missing);
  g_free (skill);
}

static char *
unquote (const char *value)
{
  gsize length = strlen (value);

  if (length >= 2 && ((value[0] == '"' && value[length - 1] == '"') ||
                      (value[0] == '\'' && value[length - 1] == '\'')))
    return g_strndup (value + 1, length - 2);
  return g_strdup (value);
}

/* OpenClaw/ClawHub skills write their metadata as JSON over several
 * lines with trailing commas ("{ \"emoji\": \"x\", },"): drops a comma
 * that only whitespace separates from a closing bracket, outside strings. */
static char *
drop_trailing_commas (const char *json)
{
  GString *out = g_string_sized_new (strlen (json));
  gboolean in_string = FALSE;

  for (const char *p = json; *p != '\0'; p++)
    {
      if (in_string)
        {
          g_string_append_c (out, *p);
          if (*p == '\\' && p[1] != '\0')
            g_string_append_c (out, *++p);
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }
      if (*p == '"')
        in_string = TRUE;
      else if (*p == ',')
        {
          const char *next = p + 1;

          while (g_ascii_isspace (*next))
            next++;
          if (*next == '}' || *next == ']')
            continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
parse_metadata (NbSkill     *skill,
                const char  *json,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonObject *ours;
  JsonObject *requires;
  JsonNode *always;

  g_autoptr(GError) local_error = NULL;

  if (!nb_json_parser_load (parser, json, -1, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "metadata is not JSON: %s", local_error->message);
      return FALSE;
    }
  if (!nb_json_parser_holds_object (parser))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "metadata is not a JSON object");
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  ours = nb_json_get_object (root, "nanobot");
  if (ours == NULL)
    ours = nb_json_get_object (root, "openclaw");

  requires = nb_json_get_object (ours, "requires");
  g_strfreev (skill->bins);
  g_strfreev (skill->env);
  skill->bins = nb_json_dup_strv (requires, "bins");
  skill->env = nb_json_dup_strv (requires, "env");

  always = ours != NULL ? json_object_get_member (ours, "always") : NULL;
  if (always != NULL && JSON_NODE_HOLDS_VALUE (always) && json_node_get_value_type (always) == G_TYPE_BOOLEAN)
    skill->always = json_node_get_boolean (always);
  return TRUE;
}

/**
 * nb_skill_parse:
 * @name: the skill's folder name
 * @text: the contents of SKILL.md
 *
 * Returns: (transfer full): the skill, not yet checked for availability
 */
NbSkill *
nb_skill_parse (const char  *name,
                const char  *text,
                GError     **error)
{
  g_autoptr(NbSkill) skill = g_new0 (NbSkill, 1);
  const char *body = text;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  skill->name = g_strdup (name);
  skill->bins = g_new0 (char *, 1);
  skill->env = g_new0 (char *, 1);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not UTF-8 text");
      return NULL;
    }

  if (g_str_has_prefix (text, "---\n") || g_str_has_prefix (text, "---\r\n"))
    {
      const char *line = strchr (text, '\n') + 1;
      gboolean closed = FALSE;
      guint line_number = 1;
      g_autoptr(GString) metadata = NULL;   /* its value, maybe over several lines */
      guint metadata_line = 0;
      gboolean in_metadata = FALSE;

      while (*line != '\0')
        {
          const char *end = strchr (line, '\n');
          g_autofree char *raw = end != NULL ? g_strndup (line, end - line) : g_strdup (line);
          gboolean indented = *raw == ' ' || *raw == '\t';
          char *stripped = g_strstrip (raw);
          char *colon;

          line_number++;
          line = end != NULL ? end + 1 : line + strlen (line);

          if (g_str_equal (stripped, "---"))
            {
              closed = TRUE;
              break;
            }
          if (*stripped == '\0' || *stripped == '#')
            continue;

          /* YAML the Python nanobot's line parser passes over: an indented
           * line (a nested map, or a value such as the metadata JSON spread
           * over several lines), a list item, a closing bracket. */
          if (indented || *stripped == '-' || *stripped == '}' || *stripped == ']')
            {
              if (in_metadata)
                {
                  g_string_append_c (metadata, '\n');
                  g_string_append (metadata, stripped);
                }
              continue;
            }
          in_metadata = FALSE;

          colon = strchr (stripped, ':');
          if (colon == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "line %u: expected “key: value”", line_number);
              return NULL;
            }
          *colon = '\0';
          {
            const char *key = g_strstrip (stripped);
            g_autofree char *value = unquote (g_strstrip (colon + 1));

            if (g_str_equal (key, "description"))
              {
                g_free (skill->description);
                skill->description = g_steal_pointer (&value);
              }
            else if (g_str_equal (key, "metadata"))
              {
                if (metadata != NULL)
                  g_string_free (metadata, TRUE);
                metadata = g_string_new (value);
                metadata_line = line_number;
                in_metadata = TRUE;
              }
            else if (g_str_equal (key, "always"))
              skill->always = g_ascii_strcasecmp (value, "true") == 0;
          }
        }

      if (!closed)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "the frontmatter has no closing “---” line");
          return NULL;
        }
      /* JSON metadata; a YAML map under "metadata:" (Agent Skills) has no
       * requirements for us, as in the Python nanobot. */
      if (metadata != NULL)
        {
          const char *value = g_strstrip (metadata->str);
          gboolean several_lines = strchr (value, '\n') != NULL;
          g_autofree char *json = several_lines ? drop_trailing_commas (value) : g_strdup (value);

          if (*value != '\0' && (!several_lines || *value == '{') && !parse_metadata (skill, json, error))
            {
              g_prefix_error (error, "line %u: ", metadata_line);
              return NULL;
            }
        }
      body = line;
    }

  while (*body == '\n' || *body == '\r')
    body++;
  skill->body = g_strdup (body);
  g_strchomp (skill->body);
  if (skill->description == NULL || *skill->description == '\0')
    {
      g_free (skill->description);
      skill->description = g_strdup (name);
    }
  return g_steal_pointer (&skill);
}

static void
check_requirements (NbSkill *skill)
{
  g_autoptr(GString) missing = g_string_new (NULL);

  for (guint i = 0; skill->bins[i] != NULL; i++)
    {
      g_autofree char *found = g_find_program_in_path (skill->bins[i]);

      if (found == NULL)
        g_string_append_printf (missing, "%sCLI: %s", missing->len ? ", " : "", skill->bins[i]);
    }
  for (guint i = 0; skill->env[i] != NULL; i++)
    {
      const char *value = g_getenv (skill->env[i]);

      if (value == NULL || *value == '\0')
        g_string_append_printf (missing, "%sENV: %s", missing->len ? ", " : "", skill->env[i]);
    }

  skill->available = missing->len == 0;
  g_free (skill->missing);
  skill->missing = missing->len ? g_strdup (missing->str) : NULL;
}

static void
nb_skills_finalize (GObject *object)
{
  NbSkills *self = NB_SKILLS (object);

  g_clear_pointer (&self->workspace, g_free);
  g_clear_pointer (&self->skills_dir, g_free);
  g_clear_pointer (&self->skills, g_ptr_array_unref);
  g_clear_pointer (&self->workspace_dirs, g_ptr_array_unref);

  G_OBJECT_CLASS (nb_skills_parent_class)->finalize (object);
}

static void
nb_skills_class_init (NbSkillsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_skills_finalize;
}

static void
nb_skills_init (NbSkills *self)
{
  self->skills = g_ptr_array_new_with_free_func ((GDestroyNotify) nb_skill_free);
  self->workspace_dirs = g_ptr_array_new_with_free_func (g_free);
}

/**
 * nb_skills_new:
 * @workspace: the workspace folder
 *
 * Returns: (transfer full): the skills, loaded
 */
NbSkills *
nb_skills_new (const char *workspace)
{
  NbSkills *self;

  g_return_val_if_fail (workspace != NULL, NULL);

  self = g_object_new (NB_TYPE_SKILLS, NULL);
  self->workspace = g_strdup (workspace);
  self->skills_dir = g_build_filename (workspace, "skills", NULL);
  nb_skills_reload (self);
  return self;
}

/* A built-in skill is read from the resource, but the model reads its
 * location with read_file: point at the installed copy, or at the source
 * tree when running uninstalled. */
static char *
builtin_location (const char *name)
{
  static const char * const roots[] = { PKGDATADIR, SOURCE_DATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      g_autofree char *path = g_build_filename (roots[i], "skills", name, "SKILL.md", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return g_strdup_printf ("resource://" NB_AGENT_RESOURCE_PATH "/skills/%s/SKILL.md", name);
}

static void
load_builtin (GHashTable *by_name)
{
  const char *dir = NB_AGENT_RESOURCE_PATH "/skills";
  g_auto(GStrv) children = NULL;

  nb_workspace_register_resources ();
  children = g_resources_enumerate_children (dir, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  for (guint i = 0; children != NULL && children[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (children[i], strcspn (children[i], "/"));
      g_autofree char *path = g_strdup_printf ("%s/%s/SKILL.md", dir, name);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      NbSkill *skill;

      if (g_hash_table_contains (by_name, name))
        continue;
      bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      if (bytes == NULL)
        continue;
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      skill = nb_skill_parse (name, text, &error);
      if (skill == NULL)
        {
          g_message ("Skipped the built-in skill %s: %s", path, error->message);
          continue;
        }
      skill->builtin = TRUE;
      skill->location = builtin_location (name);
      g_hash_table_insert (by_name, g_strdup (name), skill);
    }
}

static void
load_workspace (NbSkills   *self,
                GHashTable *by_name)
{
  g_autoptr(GDir) dir = g_dir_open (self->skills_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *folder = g_build_filename (self->skills_dir, name, NULL);
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      NbSkill *skill;

      if (name[0] == '.' || !g_file_test (folder, G_FILE_TEST_IS_DIR))
        continue;
      g_ptr_array_add (self->workspace_dirs, g_strdup (folder));

      path = g_build_filename (folder, "SKILL.md", NULL);
      if (!nb_workspace_read_file (path, &text, &error))
        {
          if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_message ("Skipped the skill %s: %s", path, error->message);
          continue;
        }
      skill = nb_skill_parse (name, text, &error);
      if (skill == NULL)
        {
          g_message ("Skipped the skill %s: %s", path, error->message);
          continue;
        }
      skill->location = g_steal_pointer (&path);
      g_hash_table_insert (by_name, g_strdup (name), skill);
    }
}

static int
compare_skills (gconstpointer a,
                gconstpointer b)
{
  const NbSkill *sa = *(NbSkill * const *) a;
  const NbSkill *sb = *(NbSkill * const *) b;

  return strcmp (sa->name, sb->name);
}

void
nb_skills_reload (NbSkills *self)
{
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NB_IS_SKILLS (self));

  g_ptr_array_set_size (self->skills, 0);
  g_ptr_array_set_size (self->workspace_dirs, 0);

  load_workspace (self, by_name);
  load_builtin (by_name);

  g_hash_table_iter_init (&iter, by_name);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      check_requirements (value);
      g_ptr_array_add (self->skills, value);
    }
  g_ptr_array_sort (self->skills, compare_skills);
}

/**
 * nb_skills_get_skills:
 * @self: the skills
 *
 * Returns: (transfer none) (element-type NbSkill): the skills, sorted by name
 */
GPtrArray *
nb_skills_get_skills (NbSkills *self)
{
  g_return_val_if_fail (NB_IS_SKILLS (self), NULL);
  return self->skills;
}

/**
 * nb_skills_get_workspace_dirs:
 * @self: the skills
 *
 * Returns: (transfer none) (element-type utf8): the folders below skills/
 *   seen by the last reload, valid or not
 */
GPtrArray *
nb_skills_get_workspace_dirs (NbSkills *self)
{
  g_return_val_if_fail (NB_IS_SKILLS (self), NULL);
  return self->workspace_dirs;
}

/**
 * nb_skills_lookup:
 *
 * Returns: (transfer none) (nullable): the skill called @name
 */
NbSkill *
nb_skills_lookup (NbSkills   *self,
                  const char *name)
{
  g_return_val_if_fail (NB_IS_SKILLS (self), NULL);

  for (guint i = 0; i < self->skills->len; i++)
    {
      NbSkill *skill = g_ptr_array_index (self->skills, i);

      if (g_strcmp0 (skill->name, name) == 0)
        return skill;
    }
  return NULL;
}

static void
append_element (GString    *xml,
                const char *tag,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append_printf (xml, "    <%s>%s</%s>\n", tag, escaped, tag);
}

/**
 * nb_skills_build_summary:
 * @self: the skills
 *
 * Returns: (transfer full) (nullable): the `<skills>` XML for the system
 *   prompt, or %NULL without skills
 */
char *
nb_skills_build_summary (NbSkills *self)
{
  g_autoptr(GString) xml = NULL;

  g_return_val_if_fail (NB_IS_SKILLS (self), NULL);

  if (self->skills->len == 0)
    return NULL;

  xml = g_string_new ("<skills>\n");
  for (guint i = 0; i < self->skills->len; i++)
    {
      NbSkill *skill = g_ptr_array_index (self->skills, i);

      g_string_append_printf (xml, "  <skill available=\"%s\">\n", skill->available ? "true" : "false");
      append_element (xml, "name", skill->name);
      append_element (xml, "description", skill->description);
      append_element (xml, "location", skill->location);
      if (skill->missing != NULL)
        append_element (xml, "requires", skill->missing);
      g_string_append (xml, "  </skill>\n");
    }
  g_string_append (xml, "</skills>");
  return g_string_free (g_steal_pointer (&xml), FALSE);
}

/**
 * nb_skills_build_always:
 * @self: the skills
 *
 * Returns: (transfer full) (nullable): the bodies of the available
 *   always-on skills, or %NULL when there are none
 */
char *
nb_skills_build_always (NbSkills *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (NB_IS_SKILLS (self), NULL);

  for (guint i = 0; i < self->skills->len; i++)
    {
      NbSkill *skill = g_ptr_array_index (self->skills, i);

      if (!skill->always || !skill->available)
        continue;
      if (text->len > 0)
        g_string_append (text, "\n\n---\n\n");
      g_string_append_printf (text, "### Skill: %s\n\n%s", skill->name, skill->body);
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}
