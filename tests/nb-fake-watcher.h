/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * A fake org.kde.StatusNotifierWatcher for tests, on a connection of its
 * own to the session bus (a GTestDBus), so that closing it looks like a
 * crash of the real one. It records who registered which item. Include
 * it in one file per test program.
 */

#include <gio/gio.h>

#include "nb-test-util.h"

#ifndef NB_FAKE_WATCHER_TIMEOUT_MS
#define NB_FAKE_WATCHER_TIMEOUT_MS 10000
#endif

static const char watcher_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierWatcher'>"
  "  <method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>"
  "  <method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>"
  "  <property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "  <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "  <property name='ProtocolVersion' type='i' access='read'/>"
  " </interface>"
  "</node>";

typedef struct {
  GDBusConnection *connection;
  guint            object_id;
  guint            owner_id;
  gboolean         owned;
  guint            n_registrations;
  char            *item_sender;
  char            *item_path;
} Watcher;

static GDBusConnection *
new_connection (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
watcher_method_cb (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  Watcher *watcher = user_data;

  if (g_str_equal (method_name, "RegisterStatusNotifierItem"))
    {
      g_free (watcher->item_sender);
      g_free (watcher->item_path);
      watcher->item_sender = g_strdup (sender);
      g_variant_get (parameters, "(s)", &watcher->item_path);
      watcher->n_registrations++;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
watcher_property_cb (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  if (g_str_equal (property_name, "IsStatusNotifierHostRegistered"))
    return g_variant_new_boolean (TRUE);
  if (g_str_equal (property_name, "ProtocolVersion"))
    return g_variant_new_int32 (0);
  return g_variant_new_strv (NULL, 0);
}

static const GDBusInterfaceVTable watcher_vtable = { watcher_method_cb, watcher_property_cb, NULL, { 0 } };

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ((Watcher *) user_data)->owned = TRUE;
}

/* A watcher on a connection of its own, so that closing the connection
 * is what a crash of the real one looks like to the bus. */
static Watcher *
watcher_start (void)
{
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (watcher_xml, NULL);
  g_autoptr(GError) error = NULL;
  Watcher *watcher = g_new0 (Watcher, 1);

  watcher->connection = new_connection ();
  watcher->object_id = g_dbus_connection_register_object (watcher->connection, "/StatusNotifierWatcher",
                                                          info->interfaces[0], &watcher_vtable,
                                                          watcher, NULL, &error);
  g_assert_no_error (error);
  watcher->owner_id = g_bus_own_name_on_connection (watcher->connection, "org.kde.StatusNotifierWatcher",
                                                    G_BUS_NAME_OWNER_FLAGS_NONE, name_acquired_cb, NULL,
                                                    watcher, NULL);
  nb_test_wait_for (&watcher->owned, NB_FAKE_WATCHER_TIMEOUT_MS);
  return watcher;
}

static void
watcher_stop (Watcher *watcher)
{
  g_autoptr(GError) error = NULL;

  g_bus_unown_name (watcher->owner_id);
  g_dbus_connection_unregister_object (watcher->connection, watcher->object_id);
  g_dbus_connection_close_sync (watcher->connection, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&watcher->connection);
  g_free (watcher->item_sender);
  g_free (watcher->item_path);
  g_free (watcher);
}

