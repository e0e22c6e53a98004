/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-global-shortcut"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-global-shortcut.h"

#define PORTAL_NAME      "org.freedesktop.portal.Desktop"
#define PORTAL_PATH      "/org/freedesktop/portal/desktop"
#define PORTAL_INTERFACE "org.freedesktop.portal.GlobalShortcuts"

struct _NbGlobalShortcut
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *session_handle;
  guint            activated_id;
  gboolean         bound;
};

enum {
  SIGNAL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NbGlobalShortcut, nb_global_shortcut, G_TYPE_OBJECT)

/* One portal request: the Response signal of the request object, whose
 * path is known before the call, ends it. */
typedef void (*ResponseFunc) (GTask    *task,
                              guint32   response,
                              GVariant *results);

typedef struct {
  GDBusConnection *connection;
  guint            subscription;
  ResponseFunc     func;
  char            *accelerator;
} Step;

static void
step_free (Step *step)
{
  if (step->subscription != 0)
    g_dbus_connection_signal_unsubscribe (step->connection, step->subscription);
  g_clear_object (&step->connection);
  g_free (step->accelerator);
  g_free (step);
}

static void
response_cb (GDBusConnection *connection,
             const char      *sender,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  GTask *task = user_data;
  Step *step = g_task_get_task_data (task);
  g_autoptr(GVariant) results = NULL;
  guint32 response;

  if (step->subscription == 0)
    return;
  g_dbus_connection_signal_unsubscribe (step->connection, step->subscription);
  step->subscription = 0;
  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  step->func (task, response, results);
}

static void
call_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Step *step = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL || step->subscription == 0)
    return;
  g_dbus_connection_signal_unsubscribe (step->connection, step->subscription);
  step->subscription = 0;
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             "%s", _("The desktop offers no global shortcuts"));
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Calls @method with @parameters, whose a{sv} options got handle_token
 * @token, and hands the Response to @func. */
static void
portal_call (GTask        *task,
             const char   *method,
             const char   *token,
             GVariant     *parameters,
             ResponseFunc  func)
{
  NbGlobalShortcut *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);
  g_autofree char *sender = g_strdup (g_dbus_connection_get_unique_name (self->connection) + 1);
  g_autofree char *handle = NULL;

  g_strdelimit (sender, ".", '_');
  handle = g_strdup_printf (PORTAL_PATH "/request/%s/%s", sender, token);
  step->func = func;
  step->subscription = g_dbus_connection_signal_subscribe (self->connection, PORTAL_NAME,
                                                           "org.freedesktop.portal.Request", "Response",
                                                           handle, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                           response_cb, g_object_ref (task), g_object_unref);
  g_dbus_connection_call (self->connection, PORTAL_NAME, PORTAL_PATH, PORTAL_INTERFACE, method, parameters,
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), call_cb, g_object_ref (task));
}

static char *
new_token (void)
{
  return g_strdup_printf ("nanobot%u", g_random_int ());
}

static void
activated_cb (GDBusConnection *connection,
              const char      *sender,
              const char      *object_path,
              const char      *interface_name,
              const char      *signal_name,
              GVariant        *parameters,
              gpointer         user_data)
{
  NbGlobalShortcut *self = user_data;
  const char *session, *id;

  g_variant_get (parameters, "(&o&st@a{sv})", &session, &id, NULL, NULL);
  if (g_strcmp0 (session, self->session_handle) == 0 && g_str_equal (id, NB_GLOBAL_SHORTCUT_ID))
    g_signal_emit (self, signals[SIGNAL_ACTIVATED], 0);
}

static void
bound_cb (GTask    *task,
          guint32   response,
          GVariant *results)
{
  NbGlobalShortcut *self = g_task_get_source_object (task);

  if (response != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                               _("The global shortcut was not set up"));
      return;
    }
  self->bound = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
bind_shortcut (GTask *task)
{
  NbGlobalShortcut *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);
  g_autofree char *token = new_token ();
  g_autofree char *trigger = nb_global_shortcut_trigger_from_accelerator (step->accelerator);
  GVariantBuilder shortcut, shortcuts, options;

  g_variant_builder_init (&shortcut, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&shortcut, "{sv}", "description", g_variant_new_string (_("Open Nanobot’s quick prompt")));
  if (trigger != NULL)
    g_variant_builder_add (&shortcut, "{sv}", "preferred_trigger", g_variant_new_string (trigger));
  g_variant_builder_init (&shortcuts, G_VARIANT_TYPE ("a(sa{sv})"));
  g_variant_builder_add (&shortcuts, "(sa{sv})", NB_GLOBAL_SHORTCUT_ID, &shortcut);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));

  portal_call (task, "BindShortcuts", token,
               g_variant_new ("(oa(sa{sv})sa{sv})", self->session_handle, &shortcuts, "", &options),
               bound_cb);
}

static void
session_created_cb (GTask    *task,
                    guint32   response,
                    GVariant *results)
{
  NbGlobalShortcut *self = g_task_get_source_object (task);
  const char *handle = NULL;

  if (response != 0 || !g_variant_lookup (results, "session_handle", "&s", &handle))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               _("The desktop refused a global shortcut session"));
      return;
    }
  self->session_handle = g_strdup (handle);
  /* Not arg0: a match rule's arg0 only matches strings, and the session
   * is an object path; activated_cb() compares it. */
  self->activated_id = g_dbus_connection_signal_subscribe (self->connection, PORTAL_NAME, PORTAL_INTERFACE,
                                                           "Activated", PORTAL_PATH, NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NONE, activated_cb, self, NULL);
  bind_shortcut (task);
}

/**
 * nb_global_shortcut_bind_async:
 * @accelerator: the user's choice, in GTK syntax (nullable: none)
 *
 * Opens the session the first time, then binds the quick prompt's
 * shortcut with @accelerator as the preferred trigger.
 */
void
nb_global_shortcut_bind_async (NbGlobalShortcut    *self,
                               const char          *accelerator,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Step *step;

  g_return_if_fail (NB_IS_GLOBAL_SHORTCUT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_global_shortcut_bind_async);
  step = g_new0 (Step, 1);
  step->connection = g_object_ref (self->connection);
  step->accelerator = g_strdup (accelerator);
  g_task_set_task_data (task, step, (GDestroyNotify) step_free);

  if (self->session_handle != NULL)
    bind_shortcut (task);
  else
    {
      g_autofree char *token = new_token ();
      g_autofree char *session_token = new_token ();
      GVariantBuilder options;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
      g_variant_builder_add (&options, "{sv}", "session_handle_token", g_variant_new_string (session_token));
      portal_call (task, "CreateSession", token, g_variant_new ("(a{sv})", &options), session_created_cb);
    }
}

gboolean
nb_global_shortcut_bind_finish (NbGlobalShortcut  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
nb_global_shortcut_get_bound (NbGlobalShortcut *self)
{
  g_return_val_if_fail (NB_IS_GLOBAL_SHORTCUT (self), FALSE);

  return self->bound;
}

char *
nb_global_shortcut_trigger_from_accelerator (const char *accelerator)
{
  static const struct {
    const char *gtk;
    const char *spec;
  } modifiers[] = {
    { "<Control>", "CTRL" }, { "<Primary>", "CTRL" }, { "<Ctrl>", "CTRL" },
    { "<Alt>", "ALT" }, { "<Shift>", "SHIFT" }, { "<Super>", "LOGO" }, { "<Meta>", "LOGO" },
  };
  g_autoptr(GString) trigger = g_string_new (NULL);
  const char *p = accelerator;

  if (accelerator == NULL || *accelerator == '\0')
    return NULL;
  while (*p == '<')
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (modifiers); i++)
        if (g_ascii_strncasecmp (p, modifiers[i].gtk, strlen (modifiers[i].gtk)) == 0)
          {
            g_string_append_printf (trigger, "%s+", modifiers[i].spec);
            p += strlen (modifiers[i].gtk);
            known = TRUE;
            break;
          }
      if (!known)
        return NULL;
    }
  if (*p == '\0')
    return NULL;
  g_string_append (trigger, p);
  return g_string_free (g_steal_pointer (&trigger), FALSE);
}

static void
nb_global_shortcut_dispose (GObject *object)
{
  NbGlobalShortcut *self = NB_GLOBAL_SHORTCUT (object);

  if (self->activated_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->activated_id);
  self->activated_id = 0;
  /* Closing the session unbinds the shortcut. */
  if (self->session_handle != NULL && self->connection != NULL && !g_dbus_connection_is_closed (self->connection))
    g_dbus_connection_call (self->connection, PORTAL_NAME, self->session_handle, "org.freedesktop.portal.Session",
                            "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
  g_clear_pointer (&self->session_handle, g_free);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (nb_global_shortcut_parent_class)->dispose (object);
}

static void
nb_global_shortcut_class_init (NbGlobalShortcutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_global_shortcut_dispose;

  /**
   * NbGlobalShortcut::activated:
   *
   * The user pressed the quick prompt's shortcut.
   */
  signals[SIGNAL_ACTIVATED] =
    g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
nb_global_shortcut_init (NbGlobalShortcut *self)
{
}

NbGlobalShortcut *
nb_global_shortcut_new (GDBusConnection *connection)
{
  NbGlobalShortcut *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  self = g_object_new (NB_TYPE_GLOBAL_SHORTCUT, NULL);
  self->connection = g_object_ref (connection);
  return self;
}
