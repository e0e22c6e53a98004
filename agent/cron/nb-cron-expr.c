/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-cron"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "nb-cron-expr.h"

/*
 * Each field is a bit set. The next run is found by walking wall-clock
 * days in the job's time zone (a day that matches month and day fields,
 * then its hours and minutes in order), turning each candidate wall time
 * into an instant with GTimeZone, and taking the first instant after the
 * reference. That order is what makes daylight saving time come out
 * right: the second pass through a repeated hour maps to instants the
 * first pass already covered, and a wall time in a gap maps to the end
 * of the gap.
 */

struct _NbCronExpr
{
  guint64  minutes;   /* bits 0–59 */
  guint32  hours;     /* bits 0–23 */
  guint32  days;      /* bits 1–31 */
  guint16  months;    /* bits 1–12 */
  guint8   weekdays;  /* bits 0–6, Sunday 0 */
  gboolean days_star;
  gboolean weekdays_star;
};

typedef struct {
  const char  *what;
  int          min;
  int          max;
  const char *const *names;  /* names[i] is the value min + i */
} FieldSpec;

static const char *const month_names[] = {
  "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const day_names[] = {
  "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static gboolean
parse_value (const FieldSpec *spec,
             const char      *text,
             int             *value)
{
  char *end = NULL;
  gint64 number;

  if (spec->names != NULL && g_ascii_isalpha (*text))
    {
      for (int i = 0; spec->names[i] != NULL; i++)
        if (g_ascii_strcasecmp (text, spec->names[i]) == 0)
          {
            *value = spec->min + i;
            return TRUE;
          }
      return FALSE;
    }
  if (!g_ascii_isdigit (*text))
    return FALSE;
  number = g_ascii_strtoll (text, &end, 10);
  if (*end != '\0' || number < spec->min || number > spec->max)
    return FALSE;
  *value = (int) number;
  return TRUE;
}

static gboolean
parse_field (const FieldSpec  *spec,
             const char       *text,
             guint64          *bits,
             gboolean         *star,
             GError          **error)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);

  *bits = 0;
  *star = g_str_equal (text, "*") || g_str_equal (text, "?");
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_autofree char *item = g_strdup (items[i]);
      char *slash = strchr (item, '/');
      char *dash;
      int first = spec->min, last = spec->max, step = 1;

      if (slash != NULL)
        {
          char *end = NULL;
          gint64 number;

          *slash = '\0';
          number = g_ascii_strtoll (slash + 1, &end, 10);
          if (slash[1] == '\0' || *end != '\0' || number < 1 || number > spec->max)
            goto bad;
          step = (int) number;
        }
      dash = strchr (item, '-');
      if (g_str_equal (item, "*") || g_str_equal (item, "?"))
        ;
      else if (dash != NULL)
        {
          *dash = '\0';
          if (!parse_value (spec, item, &first) || !parse_value (spec, dash + 1, &last))
            goto bad;
        }
      else
        {
          if (!parse_value (spec, item, &first))
            goto bad;
          /* "5/15" is 5, 20, 35, 50 */
          last = slash != NULL ? spec->max : first;
        }
      if (first > last)
        goto bad;
      for (int v = first; v <= last; v += step)
        *bits |= G_GUINT64_CONSTANT (1) << v;
      continue;

    bad:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("invalid %s field “%s”"), spec->what, text);
      return FALSE;
    }
  return TRUE;
}

/**
 * nb_cron_expr_parse:
 * @text: five fields separated by spaces
 *
 * Returns: (transfer full) (nullable): the expression, or %NULL with
 *   @error set (G_IO_ERROR_INVALID_ARGUMENT, naming the field)
 */
NbCronExpr *
nb_cron_expr_parse (const char  *text,
                    GError     **error)
{
  static const FieldSpec specs[5] = {
    { N_("minute"), 0, 59, NULL },
    { N_("hour"), 0, 23, NULL },
    { N_("day-of-month"), 1, 31, NULL },
    { N_("month"), 1, 12, month_names },
    { N_("day-of-week"), 0, 7, day_names },
  };
  g_autoptr(NbCronExpr) self = g_new0 (NbCronExpr, 1);
  g_auto(GStrv) fields = NULL;
  g_autofree char *stripped = NULL;
  guint64 bits[5];
  gboolean star[5];

  g_return_val_if_fail (text != NULL, NULL);

  stripped = g_strstrip (g_strdup (text));
  fields = g_strsplit_set (stripped, " \t", -1);
  {
    /* g_strsplit_set leaves empty strings between repeated blanks */
    g_autoptr(GPtrArray) words = g_ptr_array_new ();

    for (guint i = 0; fields[i] != NULL; i++)
      if (fields[i][0] != '\0')
        g_ptr_array_add (words, fields[i]);
    if (words->len != 5)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("a cron expression has five fields (minute hour day-of-month month day-of-week), “%s” has %u"),
                     text, words->len);
        return NULL;
      }
    for (guint i = 0; i < 5; i++)
      {
        FieldSpec spec = specs[i];

        spec.what = _(specs[i].what);
        if (!parse_field (&spec, words->pdata[i], &bits[i], &star[i], error))
          return NULL;
      }
  }

  self->minutes = bits[0];
  self->hours = (guint32) bits[1];
  self->days = (guint32) bits[2];
  self->months = (guint16) bits[3];
  /* 7 is Sunday too */
  self->weekdays = (guint8) ((bits[4] | (bits[4] >> 7)) & 0x7f);
  self->days_star = star[2];
  self->weekdays_star = star[4];
  return g_steal_pointer (&self);
}

void
nb_cron_expr_free (NbCronExpr *self)
{
  g_free (self);
}

static gint32
offset_at (GTimeZone *tz,
           gint64     instant)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, instant);

  return g_time_zone_get_offset (tz, interval);
}

/* The instant of wall-clock time @wall (seconds, as if it were UTC) in
 * @tz: the earliest when it occurs twice, the end of the gap when it does
 * not occur. */
static gint64
wall_to_instant (GTimeZone *tz,
                 gint64     wall)
{
  /* Offsets change at most once around any day, by less than a day. */
  gint32 before = offset_at (tz, wall - 86400);
  gint32 after = offset_at (tz, wall + 86400);
  gint64 best = G_MAXINT64;
  gint64 low, high;

  if (offset_at (tz, wall - before) == before)
    best = wall - before;
  if (offset_at (tz, wall - after) == after)
    best = MIN (best, wall - after);
  if (best != G_MAXINT64)
    return best;

  /* A gap (before < after): the transition is in (wall - after, wall - before]. */
  low = wall - MAX (before, after);
  high = wall - MIN (before, after);
  while (high - low > 1)
    {
      gint64 mid = low + (high - low) / 2;

      if (offset_at (tz, mid) == before)
        low = mid;
      else
        high = mid;
    }
  return high;
}

static gboolean
day_matches (const NbCronExpr *self,
             GDateTime        *day)
{
  int dom = g_date_time_get_day_of_month (day);
  int dow = g_date_time_get_day_of_week (day) % 7;
  gboolean dom_ok = (self->days >> dom) & 1;
  gboolean dow_ok = (self->weekdays >> dow) & 1;

  if (!((self->months >> g_date_time_get_month (day)) & 1))
    return FALSE;
  if (self->days_star && self->weekdays_star)
    return TRUE;
  if (self->days_star)
    return dow_ok;
  if (self->weekdays_star)
    return dom_ok;
  return dom_ok || dow_ok;
}

gint64
nb_cron_expr_next (const NbCronExpr *self,
                   GTimeZone        *tz,
                   gint64            after_ms)
{
  gint64 after = after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) day = NULL;
  gint64 start_wall;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (tz != NULL, -1);

  /* The wall-clock time of the reference, as a UTC date, and the day
   * before it: an instant in a repeated hour can be due on a wall time a
   * little earlier than its own. */
  start_wall = after + offset_at (tz, after);
  start = g_date_time_new_from_unix_utc (start_wall);
  day = g_date_time_new_utc (g_date_time_get_year (start), g_date_time_get_month (start),
                             g_date_time_get_day_of_month (start), 0, 0, 0);
  {
    GDateTime *previous = g_date_time_add_days (day, -1);

    g_date_time_unref (day);
    day = previous;
  }

  for (int i = 0; i < 366 * 5 + 2; i++)
    {
      if (day_matches (self, day))
        {
          gint64 midnight = g_date_time_to_unix (day);

          for (int h = 0; h < 24; h++)
            {
              if (!((self->hours >> h) & 1))
                continue;
              for (int m = 0; m < 60; m++)
                {
                  gint64 instant;

                  if (!((self->minutes >> m) & 1))
                    continue;
                  instant = wall_to_instant (tz, midnight + h * 3600 + m * 60);
                  if (instant > after)
                    return instant * 1000;
                }
            }
        }
      {
        GDateTime *next = g_date_time_add_days (day, 1);

        g_date_time_unref (day);
        day = next;
      }
    }
  return -1;
}
