/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-background"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nb-background.h"

#define PORTAL_NAME    "org.freedesktop.portal.Desktop"
#define PORTAL_PATH    "/org/freedesktop/portal/desktop"
#define PORTAL_REQUEST "org.freedesktop.portal.Request"

gboolean
nb_background_in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

char *
nb_background_autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APPLICATION_ID ".desktop", NULL);
}

/**
 * nb_background_set_autostart_file:
 * @enabled: whether Nanobot starts at login
 *
 * Writes or removes the autostart entry (outside Flatpak; inside, the
 * Background portal's `autostart` does it). Removing a missing entry is
 * not an error.
 */
gboolean
nb_background_set_autostart_file (gboolean   enabled,
                                  GError   **error)
{
  g_autofree char *path = nb_background_autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Could not remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Could not create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  contents = g_strdup_printf ("[Desktop Entry]\n"
                              "Type=Application\n"
                              "Name=%s\n"
                              "Comment=%s\n"
                              "Icon=" APPLICATION_ID "\n"
                              "Exec=nanobot --gapplication-service\n"
                              "Terminal=false\n"
                              "NoDisplay=true\n"
                              "X-GNOME-Autostart-enabled=true\n",
                              _("Nanobot"), _("Start Nanobot in the background"));
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* The Background portal. */

typedef struct {
  GDBusConnection *connection;
  guint            subscription;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->connection);
  g_free (request);
}

/* The subscription holds a reference to the task: dropping it ends the
 * request (the task returns once). */
static void
request_end (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  if (request->subscription != 0)
    g_dbus_connection_signal_unsubscribe (request->connection, request->subscription);
  request->subscription = 0;
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
  g_autoptr(GVariant) results = NULL;
  guint32 response;
  gboolean background = FALSE;

  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  g_variant_lookup (results, "background", "b", &background);
  if (g_task_get_completed (task) || ((Request *) g_task_get_task_data (task))->subscription == 0)
    return;
  if (response != 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                             "%s", _("Running in the background was not allowed"));
  else
    g_task_return_boolean (task, background);
  request_end (task);
}

static void
call_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && ((Request *) g_task_get_task_data (task))->subscription != 0)
    {
      request_end (task);
      g_task_return_error (task, error);
    }
  else
    g_clear_error (&error);
}

/**
 * nb_background_request_async:
 * @autostart: whether to start at login too
 *
 * Asks the Background portal to let Nanobot run without a window (and
 * start at login with `nanobot --gapplication-service`).
 */
void
nb_background_request_async (GDBusConnection     *connection,
                             gboolean             autostart,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *handle = NULL;
  const char *commandline[] = { "nanobot", "--gapplication-service", NULL };
  GVariantBuilder options;
  Request *request;

  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, nb_background_request_async);

  /* The Response signal comes from a request object whose path we know
   * before the call: subscribe first, so it cannot be missed. */
  token = g_strdup_printf ("nanobot%u", g_random_int ());
  sender = g_strdup (g_dbus_connection_get_unique_name (connection) + 1);
  g_strdelimit (sender, ".", '_');
  handle = g_strdup_printf (PORTAL_PATH "/request/%s/%s", sender, token);

  request = g_new0 (Request, 1);
  request->connection = g_object_ref (connection);
  request->subscription = g_dbus_connection_signal_subscribe (connection, PORTAL_NAME, PORTAL_REQUEST, "Response",
                                                              handle, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                              response_cb, g_object_ref (task), g_object_unref);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Nanobot keeps its tray icon, quick prompt and notifications after the window closes.")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (autostart));
  g_variant_builder_add (&options, "{sv}", "commandline", g_variant_new_strv (commandline, -1));
  g_variant_builder_add (&options, "{sv}", "dbus-activatable", g_variant_new_boolean (FALSE));

  g_dbus_connection_call (connection, PORTAL_NAME, PORTAL_PATH, "org.freedesktop.portal.Background",
                          "RequestBackground", g_variant_new ("(sa{sv})", "", &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                          call_cb, g_object_ref (task));
}

gboolean
nb_background_request_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == nb_background_request_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
