/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "nb-assistant.h"
#include "nb-cron-notifier.h"
#include "nb-cron-service.h"
#include "nb-job-row.h"
#include "nb-jobs-window.h"
#include "nb-test-util.h"

/*
 * The Scheduled Jobs window under Xvfb: rows from jobs.json with their
 * schedule, next run and last result; the switch, Run Now and Delete with
 * Undo act on the service (and so on the file); the empty page; the
 * error of a file that does not parse. With NB_SCREENSHOT=file.png,
 * /jobs-window/screenshot saves the screen (NB_SCREENSHOT_DARK=1,
 * NB_SCREENSHOT_WIDTH=360).
 */

typedef struct {
  char          *dir;
  char          *path;
  NbCronService *service;
  NbJobsWindow  *window;
  guint          n_runs;
} Fixture;

#define WAIT_FOR(cond)                                                   \
  G_STMT_START {                                                         \
    gint64 end_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;         \
    while (!(cond))                                                      \
      {                                                                  \
        if (g_get_monotonic_time () > end_)                              \
          g_error ("timed out waiting for %s", #cond);                   \
        g_main_context_iteration (NULL, FALSE);                          \
        g_usleep (1000);                                                 \
      }                                                                  \
  } G_STMT_END

static void
iterate (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
runner (NbCronService *service,
        NbCronJob     *job,
        NbCronRun     *run,
        gpointer       data)
{
  Fixture *f = data;

  f->n_runs++;
  nb_cron_run_done (run, "Done, all well.", NULL);
}

static void
write_jobs (Fixture *f)
{
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *text =
    g_strdup_printf ("{\"version\":1,\"jobs\":["
                     "{\"id\":\"standup1\",\"name\":\"Daily standup notes\",\"enabled\":true,"
                     " \"schedule\":{\"kind\":\"cron\",\"expr\":\"0 9 * * mon-fri\",\"tz\":\"Europe/Berlin\"},"
                     " \"payload\":{\"message\":\"Summarise yesterday's notes\",\"sessionKey\":\"desktop:a\"},"
                     " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT ",\"lastRunAtMs\":%" G_GINT64_FORMAT ","
                     "  \"lastStatus\":\"ok\",\"lastResult\":\"Three notes: the release, the budget, lunch.\"}},"
                     "{\"id\":\"water001\",\"name\":\"Water the plants\",\"enabled\":true,"
                     " \"schedule\":{\"kind\":\"every\",\"everyMs\":7200000},"
                     " \"payload\":{\"message\":\"Remind me to water the plants\",\"sessionKey\":\"desktop:a\"},"
                     " \"state\":{\"nextRunAtMs\":%" G_GINT64_FORMAT "}},"
                     "{\"id\":\"backup01\",\"name\":\"Check the backup\",\"enabled\":false,"
                     " \"schedule\":{\"kind\":\"cron\",\"expr\":\"30 18 * * fri\"},"
                     " \"payload\":{\"message\":\"Check that the backup ran\"},"
                     " \"state\":{\"lastRunAtMs\":%" G_GINT64_FORMAT ",\"lastStatus\":\"error\","
                     "  \"lastError\":\"the provider did not answer\"}}]}",
                     now + 3600 * 1000, now - 86400 * 1000, now + 7200 * 1000, now - 3 * 86400 * 1000);
  g_autofree char *folder = g_path_get_dirname (f->path);

  g_mkdir_with_parents (folder, 0700);
  nb_test_write_file (f->path, text);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = nb_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "cron", "jobs.json", NULL);
  if (data == NULL)
    write_jobs (f);
  f->service = nb_cron_service_new (f->path);
  nb_cron_service_set_runner (f->service, runner, f, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  iterate (50);
  g_clear_object (&f->service);
  iterate (50);
  nb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
show (Fixture *f,
      int      width)
{
  f->window = nb_jobs_window_new (NULL, f->service);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, 520);
  gtk_window_present (GTK_WINDOW (f->window));
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (name == NULL || g_strcmp0 (gtk_widget_get_name (root), name) == 0))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_rows (GtkWidget *root,
              GPtrArray *rows)
{
  if (NB_IS_JOB_ROW (root))
    {
      g_ptr_array_add (rows, root);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static GPtrArray *
rows (Fixture *f)
{
  GPtrArray *array = g_ptr_array_new ();

  collect_rows (GTK_WIDGET (f->window), array);
  return array;
}

static NbJobRow *
row_for (Fixture    *f,
         const char *id)
{
  g_autoptr(GPtrArray) all = rows (f);

  for (guint i = 0; i < all->len; i++)
    if (g_str_equal (nb_cron_job_get_id (nb_job_row_get_job (all->pdata[i])), id))
      return all->pdata[i];
  return NULL;
}

static guint
n_rows (Fixture *f)
{
  g_autoptr(GPtrArray) all = rows (f);

  return all->len;
}

static GtkWidget *
button_with_tooltip (GtkWidget  *root,
                     const char *tooltip)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_widget_get_tooltip_text (root), tooltip) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = button_with_tooltip (child, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
button_with_label (GtkWidget  *root,
                   const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = button_with_label (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static const char *
visible_page (Fixture *f)
{
  GtkWidget *stack = find_widget (GTK_WIDGET (f->window), GTK_TYPE_STACK, NULL);

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static void
test_rows (Fixture       *f,
           gconstpointer  data)
{
  NbJobRow *row;
  const char *subtitle;
  GtkWidget *toggle;

  show (f, 600);
  WAIT_FOR (n_rows (f) == 3);
  g_assert_cmpstr (visible_page (f), ==, "list");

  row = row_for (f, "standup1");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Daily standup notes");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_nonnull (strstr (subtitle, "cron: 0 9 * * mon-fri (Europe/Berlin)"));
  g_assert_nonnull (strstr (subtitle, "Next: "));
  g_assert_nonnull (strstr (subtitle, "Last run Yesterday"));
  g_assert_nonnull (strstr (subtitle, "Three notes: the release"));

  row = row_for (f, "backup01");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_nonnull (strstr (subtitle, "Disabled"));
  g_assert_nonnull (strstr (subtitle, "failed: the provider did not answer"));
  toggle = find_widget (GTK_WIDGET (row), GTK_TYPE_SWITCH, NULL);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));

  /* The switch enables the job, which gets a next run. */
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  WAIT_FOR (nb_cron_job_get_enabled (nb_cron_service_lookup (f->service, "backup01")));
  g_assert_cmpint (nb_cron_job_get_next_run_ms (nb_cron_service_lookup (f->service, "backup01")), >, 0);
  WAIT_FOR (row_for (f, "backup01") != NULL &&
            strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row_for (f, "backup01"))), "Next: ") != NULL);

  /* Run Now runs it and shows the result. */
  g_signal_emit_by_name (button_with_tooltip (GTK_WIDGET (row_for (f, "water001")), "Run Now"), "clicked");
  g_assert_cmpuint (f->n_runs, ==, 1);
  WAIT_FOR (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row_for (f, "water001"))),
                    "Done, all well.") != NULL);
}

static void
test_delete_undo (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *file = NULL;
  GtkWidget *undo;

  show (f, 600);
  WAIT_FOR (n_rows (f) == 3);
  g_signal_emit_by_name (button_with_tooltip (GTK_WIDGET (row_for (f, "water001")), "Delete"), "clicked");
  WAIT_FOR (n_rows (f) == 2);
  g_assert_null (nb_cron_service_lookup (f->service, "water001"));

  /* The file no longer has it … */
  WAIT_FOR ((g_free (file), file = nb_test_read_file (f->path), strstr (file, "water001") == NULL));

  /* … and Undo puts it back. */
  WAIT_FOR ((undo = button_with_label (GTK_WIDGET (f->window), "_Undo")) != NULL);
  g_signal_emit_by_name (undo, "clicked");
  WAIT_FOR (n_rows (f) == 3);
  g_assert_nonnull (nb_cron_service_lookup (f->service, "water001"));
  WAIT_FOR ((g_free (file), file = nb_test_read_file (f->path), strstr (file, "water001") != NULL));
}

static void
test_empty_and_error (Fixture       *f,
                      gconstpointer  data)
{
  GtkWidget *revealer;
  GtkWidget *label;

  show (f, 600);
  WAIT_FOR (nb_cron_service_is_loaded (f->service));
  iterate (50);
  g_assert_cmpstr (visible_page (f), ==, "empty");

  /* A broken file shows its error. */
  nb_cron_service_start (f->service);
  {
    g_autofree char *folder = g_path_get_dirname (f->path);

    g_mkdir_with_parents (folder, 0700);
  }
  iterate (200);
  nb_test_write_file (f->path, "{ not json");
  revealer = find_widget (GTK_WIDGET (f->window), GTK_TYPE_REVEALER, NULL);
  WAIT_FOR (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  label = gtk_revealer_get_child (GTK_REVEALER (revealer));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "cannot be read"));
  nb_cron_service_stop (f->service);
}

typedef struct {
  guint  n;
  char  *id;
  char  *title;
  char  *body;
  char  *key;
} Sent;

static void
record_send (GApplication *app,
             const char   *id,
             const char   *title,
             const char   *body,
             const char   *key,
             gpointer      data)
{
  Sent *sent = data;

  sent->n++;
  g_free (sent->id);
  g_free (sent->title);
  g_free (sent->body);
  g_free (sent->key);
  sent->id = g_strdup (id);
  sent->title = g_strdup (title);
  sent->body = g_strdup (body);
  sent->key = g_strdup (key);
}

static void
test_notify (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.nanobot.TestJobsNotify", G_APPLICATION_NON_UNIQUE);
  Sent sent = { 0 };
  GtkWidget *window;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  nb_cron_notifier_set_send_func (record_send, &sent);
  nb_cron_notifier_watch (app, G_OBJECT (f->service), NULL);
  WAIT_FOR ((nb_cron_service_load_async (f->service, NULL, NULL, NULL), nb_cron_service_is_loaded (f->service)));

  /* Nobody is looking at Nanobot: a notification that opens the
   * conversation the job came from. */
  g_assert_true (nb_cron_notifier_should_notify (app));
  g_assert_true (nb_cron_service_run_now (f->service, "water001"));
  g_assert_cmpuint (sent.n, ==, 1);
  g_assert_cmpstr (sent.id, ==, "cron-water001");
  g_assert_cmpstr (sent.title, ==, "Water the plants");
  g_assert_cmpstr (sent.body, ==, "Done, all well.");
  g_assert_cmpstr (sent.key, ==, "desktop:a");

  /* A window of the app that is active: none. */
  window = gtk_window_new ();
  gtk_window_set_application (GTK_WINDOW (window), app);
  gtk_window_present (GTK_WINDOW (window));
  iterate (300);
  if (gtk_window_is_active (GTK_WINDOW (window)))
    {
      g_assert_false (nb_cron_notifier_should_notify (app));
      g_assert_true (nb_cron_service_run_now (f->service, "water001"));
      g_assert_cmpuint (sent.n, ==, 1);
    }
  else
    g_test_message ("no window manager gave the window focus: the active case is not checked");
  gtk_window_destroy (GTK_WINDOW (window));

  nb_cron_notifier_set_send_func (NULL, NULL);
  g_free (sent.id);
  g_free (sent.title);
  g_free (sent.body);
  g_free (sent.key);
}

static void
test_app_action (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.nanobot.TestJobsAction", G_APPLICATION_NON_UNIQUE);
  g_autoptr(NbConfig) config = nb_config_new ();
  g_autofree char *sessions = g_build_filename (f->dir, "sessions", NULL);
  g_autoptr(NbAssistant) assistant = NULL;
  g_autoptr(GBytes) menu = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *jobs = NULL;

  /* The main menu has the item. */
  menu = g_resources_lookup_data ("/io/github/nanobot/Nanobot/nb-window.ui", 0, NULL);
  g_assert_nonnull (strstr (g_bytes_get_data (menu, NULL), "<attribute name=\"action\">app.scheduled-jobs</attribute>"));

  /* The application's set-up: the action opens the window on the
   * assistant's jobs (cron/ beside the sessions: the fixture's file), and
   * the scheduler runs. */
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  assistant = nb_assistant_new_for_sessions (config, sessions);
  g_assert_cmpstr (nb_cron_service_get_path (nb_assistant_get_cron_service (assistant)), ==, f->path);
  nb_cron_notifier_setup (app, assistant);
  g_assert_true (nb_cron_service_is_started (nb_assistant_get_cron_service (assistant)));
  g_action_group_activate_action (G_ACTION_GROUP (app), "scheduled-jobs", NULL);
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (NB_IS_JOBS_WINDOW (l->data))
      jobs = l->data;
  g_assert_nonnull (jobs);
  g_assert_cmpstr (gtk_window_get_title (jobs), ==, "Scheduled Jobs");
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (nb_assistant_get_cron_service (assistant))) == 3);

  /* Once: a second activation raises the same window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "scheduled-jobs", NULL);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (app)), ==, 1);
  gtk_window_destroy (jobs);

  nb_assistant_stop_scheduler (assistant);
  nb_assistant_close_async (assistant, NULL, nb_test_store_result_cb, &result);
  nb_test_wait_result (&result, 20000);
  g_assert_true (nb_assistant_close_finish (assistant, result, NULL));
  g_clear_object (&result);
  g_object_set_data (G_OBJECT (app), "nb-cron-assistant", NULL);
  iterate (100);
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  const char *path = g_getenv ("NB_SCREENSHOT");
  const char *width = g_getenv ("NB_SCREENSHOT_WIDTH");
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (path == NULL)
    {
      g_test_skip ("NB_SCREENSHOT not set");
      return;
    }
  if (g_strcmp0 (g_getenv ("NB_SCREENSHOT_DARK"), "1") == 0)
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  show (f, width != NULL ? atoi (width) : 600);
  WAIT_FOR (n_rows (f) == 3);
  iterate (1500);
  command = g_strdup_printf ("import -window root %s", path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/jobs-window/rows", Fixture, NULL, fixture_setup, test_rows, fixture_teardown);
  g_test_add ("/jobs-window/delete-undo", Fixture, NULL, fixture_setup, test_delete_undo, fixture_teardown);
  g_test_add ("/jobs-window/empty-and-error", Fixture, "empty", fixture_setup, test_empty_and_error, fixture_teardown);
  g_test_add ("/jobs-window/notify", Fixture, NULL, fixture_setup, test_notify, fixture_teardown);
  g_test_add ("/jobs-window/app-action", Fixture, NULL, fixture_setup, test_app_action, fixture_teardown);
  g_test_add ("/jobs-window/screenshot", Fixture, NULL, fixture_setup, test_screenshot, fixture_teardown);

  return g_test_run ();
}
