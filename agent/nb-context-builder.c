/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-context"

#include "config.h"

#include "nb-context-builder.h"

/* A first, minimal context: the identity only. The workspace issue replaces
 * it with the cached builder of bootstrap files, memory and skills. */

struct _NbContextBuilder
{
  GObject  parent_instance;

  char    *workspace;
  char    *system_prompt;
};

G_DEFINE_FINAL_TYPE (NbContextBuilder, nb_context_builder, G_TYPE_OBJECT)

static void
nb_context_builder_finalize (GObject *object)
{
  NbContextBuilder *self = NB_CONTEXT_BUILDER (object);

  g_clear_pointer (&self->workspace, g_free);
  g_clear_pointer (&self->system_prompt, g_free);

  G_OBJECT_CLASS (nb_context_builder_parent_class)->finalize (object);
}

static void
nb_context_builder_class_init (NbContextBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nb_context_builder_finalize;
}

static void
nb_context_builder_init (NbContextBuilder *self)
{
}

NbContextBuilder *
nb_context_builder_new (const char *workspace)
{
  NbContextBuilder *self = g_object_new (NB_TYPE_CONTEXT_BUILDER, NULL);

  self->workspace = g_strdup (workspace);
  return self;
}

const char *
nb_context_builder_get_workspace (NbContextBuilder *self)
{
  g_return_val_if_fail (NB_IS_CONTEXT_BUILDER (self), NULL);
  return self->workspace;
}

const char *
nb_context_builder_get_system_prompt (NbContextBuilder *self)
{
  g_return_val_if_fail (NB_IS_CONTEXT_BUILDER (self), NULL);

  if (self->system_prompt == NULL)
    self->system_prompt = g_strdup_printf ("# nanobot\n\nYou are nanobot, a helpful AI assistant.\n\n"
                                           "Your workspace is at: %s\n", self->workspace);
  return self->system_prompt;
}

void
nb_context_builder_invalidate (NbContextBuilder *self)
{
  g_return_if_fail (NB_IS_CONTEXT_BUILDER (self));
  g_clear_pointer (&self->system_prompt, g_free);
}

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

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", text);
  return message;
}
