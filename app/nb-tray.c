/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-tray"

#include "config.h"

#include <glib/gi18n.h>

#include "nb-tray.h"

/*
 * The StatusNotifierItem protocol (freedesktop.org draft, as KDE and the
 * GNOME Shell AppIndicator extension implement it): the item is an
 * object on our connection; we tell the watcher its object path and the
 * watcher takes our unique name from the message. The menu is a
 * com.canonical.dbusmenu object: a fixed tree of five items, revision 1
 * for ever, so hosts never need LayoutUpdated.
 */

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"

static const char item_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierItem'>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconThemePath' type='s' access='read'/>"
  "  <property name='OverlayIconName' type='s' access='read'/>"
  "  <property name='AttentionIconName' type='s' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Activate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Scroll'><arg name='delta' type='i' direction='in'/><arg name='orientation' type='s' direction='in'/></method>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewAttentionIcon'/>"
  "  <signal name='NewOverlayIcon'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  " </interface>"
  "</node>";

static const char menu_xml[] =
  "<node>"
  " <interface name='com.canonical.dbusmenu'>"
  "  <property name='Version' type='u' access='read'/>"
  "  <property name='TextDirection' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='IconThemePath' type='as' access='read'/>"
  "  <method name='GetLayout'>"
  "   <arg type='i' name='parentId' direction='in'/>"
  "   <arg type='i' name='recursionDepth' direction='in'/>"
  "   <arg type='as' name='propertyNames' direction='in'/>"
  "   <arg type='u' name='revision' direction='out'/>"
  "   <arg type='(ia{sv}av)' name='layout' direction='out'/>"
  "  </method>"
  "  <method name='GetGroupProperties'>"
  "   <arg type='ai' name='ids' direction='in'/>"
  "   <arg type='as' name='propertyNames' direction='in'/>"
  "   <arg type='a(ia{sv})' name='properties' direction='out'/>"
  "  </method>"
  "  <method name='GetProperty'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='s' name='name' direction='in'/>"
  "   <arg type='v' name='value' direction='out'/>"
  "  </method>"
  "  <method name='Event'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='s' name='eventId' direction='in'/>"
  "   <arg type='v' name='data' direction='in'/>"
  "   <arg type='u' name='timestamp' direction='in'/>"
  "  </method>"
  "  <method name='EventGroup'>"
  "   <arg type='a(isvu)' name='events' direction='in'/>"
  "   <arg type='ai' name='idErrors' direction='out'/>"
  "  </method>"
  "  <method name='AboutToShow'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='b' name='needUpdate' direction='out'/>"
  "  </method>"
  "  <method name='AboutToShowGroup'>"
  "   <arg type='ai' name='ids' direction='in'/>"
  "   <arg type='ai' name='updatesNeeded' direction='out'/>"
  "   <arg type='ai' name='idErrors' direction='out'/>"
  "  </method>"
  "  <signal name='ItemsPropertiesUpdated'>"
  "   <arg type='a(ia{sv})' name='updatedProps'/>"
  "   <arg type='a(ias)' name='removedProps'/>"
  "  </signal>"
  "  <signal name='LayoutUpdated'>"
  "   <arg type='u' name='revision'/>"
  "   <arg type='i' name='parent'/>"
  "  </signal>"
  "  <signal name='ItemActivationRequested'>"
  "   <arg type='i' name='id'/>"
  "   <arg type='u' name='timestamp'/>"
  "  </signal>"
  " </interface>"
  "</node>";

/* The menu: id 0 is the root. */
typedef struct {
  int         id;
  const char *label;    /* NULL: a separator */
  const char *action;
} MenuItem;

static const MenuItem menu_items[] = {
  { 1, N_("Quick Prompt"), "quick-prompt" },
  { 2, N_("Show Nanobot"), "show-window" },
  { 3, N_("New Chat"), "new-chat" },
  { 4, NULL, NULL },
  { 5, N_("Quit"), "quit" },
};

struct _NbTray
{
  GObject          parent_instance;

  GDBusConnection *connection;
  GActionGroup    *actions;       /* (unowned): the application outlives us */
  GCancellable    *cancellable;
  guint            item_id;
  guint            menu_id;
  guint            watch_id;
  guint            generation;    /* bumped when the watcher vanishes */
  gboolean         registered;
  gboolean         busy;
};

enum {
  PROP_0,
  PROP_REGISTERED,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NbTray, nb_tray, G_TYPE_OBJECT)

static void
nb_tray_set_registered (NbTray   *self,
                        gboolean  registered)
{
  if (self->registered == registered)
    return;
  self->registered = registered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTERED]);
}

static void
activate (NbTray     *self,
          const char *action)
{
  if (self->actions != NULL && g_action_group_has_action (self->actions, action))
    g_action_group_activate_action (self->actions, action, NULL);
}

/* The item's properties. */

static GVariant *
tooltip_variant (NbTray *self)
{
  GVariantBuilder pixmaps;

  g_variant_builder_init (&pixmaps, G_VARIANT_TYPE ("a(iiay)"));
  return g_variant_new ("(sa(iiay)ss)", "", &pixmaps, _("Nanobot"),
                        self->busy ? _("Working on a reply…") : _("Click for the quick prompt"));
}

static GVariant *
item_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *object_path,
                   const char       *interface_name,
                   const char       *property_name,
                   GError          **error,
                   gpointer          user_data)
{
  NbTray *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (APPLICATION_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (_("Nanobot"));
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("Active");
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (self->busy ? APPLICATION_ID "-busy-symbolic" : APPLICATION_ID "-symbolic");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "ToolTip"))
    return tooltip_variant (self);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (NB_TRAY_MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property_name);
  return NULL;
}

static void
item_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  NbTray *self = user_data;

  /* A click on the icon (Activate) is what people reach for most: the
   * quick prompt. The middle click shows the window. */
  if (g_str_equal (method_name, "Activate"))
    activate (self, "quick-prompt");
  else if (g_str_equal (method_name, "SecondaryActivate"))
    activate (self, "show-window");
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable item_vtable = {
  item_method_call, item_get_property, NULL, { 0 }
};

/* The menu. */

static const MenuItem *
lookup_item (int id)
{
  for (guint i = 0; i < G_N_ELEMENTS (menu_items); i++)
    if (menu_items[i].id == id)
      return &menu_items[i];
  return NULL;
}

static GVariant *
item_properties (int id)
{
  const MenuItem *item = lookup_item (id);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (id == 0)
    g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));
  else if (item != NULL && item->label == NULL)
    g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string ("separator"));
  else if (item != NULL)
    {
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (_(item->label)));
      g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (TRUE));
      g_variant_builder_add (&builder, "{sv}", "visible", g_variant_new_boolean (TRUE));
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
layout_variant (int id,
                int depth)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (id == 0 && depth != 0)
    for (guint i = 0; i < G_N_ELEMENTS (menu_items); i++)
      g_variant_builder_add (&children, "v", layout_variant (menu_items[i].id, depth - 1));
  return g_variant_new ("(i@a{sv}av)", id, item_properties (id), &children);
}

static GVariant *
menu_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *object_path,
                   const char       *interface_name,
                   const char       *property_name,
                   GError          **error,
                   gpointer          user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (property_name, "TextDirection"))
    /* Translators: "rtl" if your language is written right to left. */
    return g_variant_new_string (g_str_equal (C_("menu direction", "ltr"), "rtl") ? "rtl" : "ltr");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property_name);
  return NULL;
}

static void
menu_event (NbTray     *self,
            int         id,
            const char *event_id)
{
  const MenuItem *item = lookup_item (id);

  if (item != NULL && item->action != NULL && g_str_equal (event_id, "clicked"))
    activate (self, item->action);
}

static void
menu_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  NbTray *self = user_data;

  if (g_str_equal (method_name, "GetLayout"))
    {
      int parent, depth;

      g_variant_get (parameters, "(ii@as)", &parent, &depth, NULL);
      if (parent != 0 && lookup_item (parent) == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "No menu item %d", parent);
          return;
        }
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u@(ia{sv}av))", 1u, layout_variant (parent, depth)));
    }
  else if (g_str_equal (method_name, "GetGroupProperties"))
    {
      g_autoptr(GVariantIter) ids = NULL;
      GVariantBuilder builder;
      int id;

      g_variant_get (parameters, "(ai@as)", &ids, NULL);
      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));
      while (g_variant_iter_next (ids, "i", &id))
        if (id == 0 || lookup_item (id) != NULL)
          g_variant_builder_add (&builder, "(i@a{sv})", id, item_properties (id));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &builder));
    }
  else if (g_str_equal (method_name, "GetProperty"))
    {
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) value = NULL;
      const char *name;
      int id;

      g_variant_get (parameters, "(i&s)", &id, &name);
      props = item_properties (id);
      value = g_variant_lookup_value (props, name, NULL);
      if (value == NULL)
        g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "No property %s on item %d", name, id);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method_name, "Event"))
    {
      const char *event_id;
      int id;

      g_variant_get (parameters, "(i&svu)", &id, &event_id, NULL, NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
      menu_event (self, id, event_id);
    }
  else if (g_str_equal (method_name, "EventGroup"))
    {
      g_autoptr(GVariantIter) events = NULL;
      GVariantBuilder errors;
      const char *event_id;
      int id;

      g_variant_get (parameters, "(a(isvu))", &events);
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      while (g_variant_iter_next (events, "(i&svu)", &id, &event_id, NULL, NULL))
        {
          if (lookup_item (id) == NULL)
            g_variant_builder_add (&errors, "i", id);
          else
            menu_event (self, id, event_id);
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
    }
  else if (g_str_equal (method_name, "AboutToShow"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
  else if (g_str_equal (method_name, "AboutToShowGroup"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@ai@ai)",
                                                                      g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0),
                                                                      g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0)));
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method_name);
}

static const GDBusInterfaceVTable menu_vtable = {
  menu_method_call, menu_get_property, NULL, { 0 }
};

/* Registration with the watcher. */

typedef struct {
  NbTray *tray;          /* (owned) */
  guint   generation;
} RegisterClosure;

static void
register_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RegisterClosure *closure = user_data;
  g_autoptr(NbTray) self = closure->tray;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The tray did not take the icon: %s", error->message);
    }
  else if (closure->generation == self->generation)
    nb_tray_set_registered (self, TRUE);
  g_free (closure);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *owner,
                     gpointer         user_data)
{
  NbTray *self = user_data;
  RegisterClosure *closure = g_new0 (RegisterClosure, 1);

  closure->tray = g_object_ref (self);
  closure->generation = self->generation;
  g_dbus_connection_call (connection, owner, WATCHER_PATH, WATCHER_INTERFACE,
                          "RegisterStatusNotifierItem", g_variant_new ("(s)", NB_TRAY_ITEM_PATH),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, self->cancellable,
                          register_cb, closure);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  NbTray *self = user_data;

  self->generation++;
  nb_tray_set_registered (self, FALSE);
}

static void
emit_item_signal (NbTray     *self,
                  const char *signal)
{
  if (self->connection != NULL && self->item_id != 0)
    g_dbus_connection_emit_signal (self->connection, NULL, NB_TRAY_ITEM_PATH,
                                   "org.kde.StatusNotifierItem", signal, NULL, NULL);
}

static void
nb_tray_dispose (GObject *object)
{
  NbTray *self = NB_TRAY (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->connection != NULL)
    {
      if (self->item_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->item_id);
      if (self->menu_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->menu_id);
    }
  self->item_id = self->menu_id = 0;
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nb_tray_parent_class)->dispose (object);
}

static void
nb_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  NbTray *self = NB_TRAY (object);

  switch (prop_id)
    {
    case PROP_REGISTERED:
      g_value_set_boolean (value, self->registered);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_tray_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_BUSY:
      nb_tray_set_busy (NB_TRAY (object), g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nb_tray_class_init (NbTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nb_tray_dispose;
  object_class->get_property = nb_tray_get_property;
  object_class->set_property = nb_tray_set_property;

  /**
   * NbTray:registered:
   *
   * Whether a StatusNotifierWatcher took the icon: a tray shows it.
   */
  properties[PROP_REGISTERED] =
    g_param_spec_boolean ("registered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * NbTray:busy:
   *
   * Whether a turn runs: the icon and tooltip say so.
   */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nb_tray_init (NbTray *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * nb_tray_new:
 * @connection: the session bus connection to export the icon on
 * @actions: where the menu's actions are (the application)
 *
 * Exports the icon and its menu and watches for a tray; the icon shows
 * when a watcher takes it (NbTray:registered).
 */
NbTray *
nb_tray_new (GDBusConnection *connection,
             GActionGroup    *actions)
{
  g_autoptr(GDBusNodeInfo) item_info = NULL;
  g_autoptr(GDBusNodeInfo) menu_info = NULL;
  g_autoptr(GError) error = NULL;
  NbTray *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (actions == NULL || G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (NB_TYPE_TRAY, NULL);
  self->connection = g_object_ref (connection);
  self->actions = actions;

  item_info = g_dbus_node_info_new_for_xml (item_xml, NULL);
  menu_info = g_dbus_node_info_new_for_xml (menu_xml, NULL);
  g_assert (item_info != NULL && menu_info != NULL);

  self->item_id = g_dbus_connection_register_object (connection, NB_TRAY_ITEM_PATH, item_info->interfaces[0],
                                                     &item_vtable, self, NULL, &error);
  if (self->item_id != 0)
    self->menu_id = g_dbus_connection_register_object (connection, NB_TRAY_MENU_PATH, menu_info->interfaces[0],
                                                       &menu_vtable, self, NULL, &error);
  if (self->item_id == 0 || self->menu_id == 0)
    {
      /* Another NbTray on this connection: stay absent. */
      g_debug ("No tray icon: %s", error->message);
      return self;
    }

  self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   watcher_appeared_cb, watcher_vanished_cb, self, NULL);
  return self;
}

gboolean
nb_tray_get_registered (NbTray *self)
{
  g_return_val_if_fail (NB_IS_TRAY (self), FALSE);

  return self->registered;
}

gboolean
nb_tray_get_busy (NbTray *self)
{
  g_return_val_if_fail (NB_IS_TRAY (self), FALSE);

  return self->busy;
}

/**
 * nb_tray_set_busy:
 *
 * Switches the icon to its busy variant (and the tooltip) while a turn
 * runs; hosts re-read them on NewIcon and NewToolTip.
 */
void
nb_tray_set_busy (NbTray   *self,
                  gboolean  busy)
{
  g_return_if_fail (NB_IS_TRAY (self));

  busy = !!busy;
  if (self->busy == busy)
    return;
  self->busy = busy;
  emit_item_signal (self, "NewIcon");
  emit_item_signal (self, "NewToolTip");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}
