/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tool"

#include "config.h"

#include "nb-tool.h"

typedef struct
{
  char       *name;
  char       *description;
  JsonObject *parameters;
  gboolean    side_effects;
  gboolean    for_subagents;
} NbToolPrivate;

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_PARAMETERS,
  PROP_SIDE_EFFECTS,
  PROP_FOR_SUBAGENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NbTool, nb_tool, G_TYPE_OBJECT)

static void
nb_tool_finalize (GObject *object)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->description, g_free);
  g_clear_pointer (&priv->parameters, json_object_unref);

  G_OBJECT_CLASS (nb_tool_parent_class)->finalize (object);
}

static void
nb_tool_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, priv->description);
      break;
    case PROP_PARAMETERS:
      g_value_set_boxed (value, priv->parameters);
      break;
    case PROP_SIDE_EFFECTS:
      g_value_set_boolean (value, priv->side_effects);
      break;
    case PROP_FOR_SUBAGENTS:
      g_value_set_boolean (value, priv->for_subagents);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_tool_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (NB_TOOL (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    case PROP_DESCRIPTION:
      g_free (priv->description);
      priv->description = g_value_dup_string (value);
      break;
    case PROP_PARAMETERS:
      g_clear_pointer (&priv->parameters, json_object_unref);
      priv->parameters = g_value_dup_boxed (value);
      break;
    case PROP_SIDE_EFFECTS:
      priv->side_effects = g_value_get_boolean (value);
      break;
    case PROP_FOR_SUBAGENTS:
      priv->for_subagents = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
nb_tool_real_execute_finish (NbTool        *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
nb_tool_class_init (NbToolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nb_tool_finalize;
  object_class->get_property = nb_tool_get_property;
  object_class->set_property = nb_tool_set_property;

  klass->execute_finish = nb_tool_real_execute_finish;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PARAMETERS] =
    g_param_spec_boxed ("parameters", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIDE_EFFECTS] =
    g_param_spec_boolean ("side-effects", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether a sub-agent gets the tool too. Tools that talk to the user,
   * start agents, schedule work or reach outside services do not. */
  properties[PROP_FOR_SUBAGENTS] =
    g_param_spec_boolean ("for-subagents", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_tool_init (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  priv->side_effects = TRUE;
  priv->for_subagents = TRUE;
}

const char *
nb_tool_get_name (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);
  return priv->name;
}

const char *
nb_tool_get_description (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);
  return priv->description != NULL ? priv->description : "";
}

/**
 * nb_tool_get_parameters:
 *
 * Returns: (transfer none): the argument schema
 */
JsonObject *
nb_tool_get_parameters (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), NULL);

  if (priv->parameters == NULL)
    {
      priv->parameters = json_object_new ();
      json_object_set_string_member (priv->parameters, "type", "object");
      json_object_set_object_member (priv->parameters, "properties", json_object_new ());
    }
  return priv->parameters;
}

gboolean
nb_tool_has_side_effects (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), TRUE);
  return priv->side_effects;
}

gboolean
nb_tool_is_for_subagents (NbTool *self)
{
  NbToolPrivate *priv = nb_tool_get_instance_private (self);

  g_return_val_if_fail (NB_IS_TOOL (self), FALSE);
  return priv->for_subagents;
}

/**
 * nb_tool_parse_schema:
 *
 * Returns: (transfer full): the parsed schema object
 */
JsonObject *
nb_tool_parse_schema (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, -1, &error))
    g_error ("Invalid built-in tool schema: %s", error->message);
  g_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

void
nb_tool_execute_async (NbTool              *self,
                       JsonObject          *arguments,
                       const NbToolContext *context,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (NB_IS_TOOL (self));
  g_return_if_fail (arguments != NULL);

  NB_TOOL_GET_CLASS (self)->execute_async (self, arguments, context, cancellable,
                                           callback, user_data);
}

/**
 * nb_tool_execute_finish:
 *
 * Returns: (transfer full): the result text for the model
 */
char *
nb_tool_execute_finish (NbTool        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (NB_IS_TOOL (self), NULL);

  return NB_TOOL_GET_CLASS (self)->execute_finish (self, result, error);
}
