/*
 * Aggregate functions: names and typing rules, used by the DSL checker.
 *
 *   count()            int      every record
 *   count(x)           int      records whose x is not null
 *   sum(x)             int -> int; decimal(p,s) -> decimal(38,s); double -> double
 *   avg(x)             int, decimal(p,s) -> decimal(38, max(s,6)), exact and rounded
 *                      half away from zero; double -> double
 *   min(x), max(x)     the type of x (a number, string, bytes, bool or timestamp)
 *   stddev(x)          double: the sample standard deviation (n - 1)
 *   first(x), last(x)  the type of x: x of the earliest / latest record by event time
 *   count_distinct(x)  int, exact
 *   argmax(x, by), argmin(x, by)  the type of x: x of the record with the largest /
 *                      smallest `by`
 *
 * Every function but count() skips records whose argument is null, and is
 * null when no record contributed (count and count_distinct are then 0).
 */
#include <stdio.h>
#include <string.h>

#include "operators/aggregate.h"

static const struct {
  const char *name;
  eddy_agg_fn_t fn;
  int argc;
} table[] = {
    {"count", EDDY_AGG_COUNT_ALL, 0}, {"count", EDDY_AGG_COUNT, 1},
    {"sum", EDDY_AGG_SUM, 1},         {"avg", EDDY_AGG_AVG, 1},
    {"min", EDDY_AGG_MIN, 1},         {"max", EDDY_AGG_MAX, 1},
    {"stddev", EDDY_AGG_STDDEV, 1},   {"first", EDDY_AGG_FIRST, 1},
    {"last", EDDY_AGG_LAST, 1},       {"count_distinct", EDDY_AGG_COUNT_DISTINCT, 1},
    {"argmax", EDDY_AGG_ARGMAX, 2},   {"argmin", EDDY_AGG_ARGMIN, 2},
    {"top", EDDY_AGG_TOP, 2},
};
#define TABLE_CNT (sizeof(table) / sizeof(table[0]))

bool eddy_agg_is_name(const char *name) {
  for (size_t i = 0; i < TABLE_CNT; i++)
    if (strcmp(table[i].name, name) == 0)
      return true;
  return false;
}

const char *eddy_agg_name(eddy_agg_fn_t fn) {
  for (size_t i = 0; i < TABLE_CNT; i++)
    if (table[i].fn == fn)
      return table[i].name;
  return "?";
}

static const char *synopsis(const char *name) {
  if (strcmp(name, "count") == 0)
    return "count() or count(x)";
  if (strcmp(name, "argmax") == 0)
    return "argmax(x, by)";
  if (strcmp(name, "argmin") == 0)
    return "argmin(x, by)";
  if (strcmp(name, "top") == 0)
    return "top(x, weight)";
  return NULL;
}

int eddy_agg_lookup(const char *name, uint32_t argc, eddy_agg_fn_t *fn, char *why,
                    size_t why_size) {
  bool known = false;
  for (size_t i = 0; i < TABLE_CNT; i++) {
    if (strcmp(table[i].name, name) != 0)
      continue;
    known = true;
    if ((uint32_t)table[i].argc == argc) {
      *fn = table[i].fn;
      return 0;
    }
  }
  if (!known) {
    snprintf(why, why_size, "'%s' is not an aggregate function (count, sum, avg, min, max, "
             "stddev, first, last, count_distinct, argmax, argmin, top)", name);
    return EDDY_ENOENT;
  }
  const char *syn = synopsis(name);
  if (syn != NULL)
    snprintf(why, why_size, "%s: expected %s", name, syn);
  else
    snprintf(why, why_size, "%s takes one argument, got %u", name, argc);
  return EDDY_ETYPE;
}

static bool is_number(const eddy_type_t *t) {
  return t->kind == EDDY_T_INT || t->kind == EDDY_T_DECIMAL || t->kind == EDDY_T_DOUBLE;
}

/* What min, max and the `by` of argmax can order. */
static bool is_orderable(const eddy_type_t *t) {
  return is_number(t) || t->kind == EDDY_T_STRING || t->kind == EDDY_T_BYTES ||
         t->kind == EDDY_T_BOOL || t->kind == EDDY_T_TIMESTAMP;
}

/* What a store can hold as an argument: one scalar value of a known type. */
static bool is_storable(const eddy_type_t *t) {
  return is_orderable(t);
}

static int type_error(char *why, size_t why_size, eddy_agg_fn_t fn, const char *need,
                      const eddy_type_t *got) {
  char tn[128];
  eddy_type_format(got, tn, sizeof(tn));
  snprintf(why, why_size, "%s needs %s, got %s", eddy_agg_name(fn), need, tn);
  return EDDY_ETYPE;
}

static int numeric_result(eddy_agg_fn_t fn, const eddy_type_t *a, eddy_type_t *out, char *why,
                          size_t why_size) {
  if (!is_number(a))
    return type_error(why, why_size, fn, "a number", a);
  if (fn == EDDY_AGG_STDDEV || a->kind == EDDY_T_DOUBLE) {
    *out = eddy_type(EDDY_T_DOUBLE);
  } else if (fn == EDDY_AGG_SUM) {
    *out = a->kind == EDDY_T_INT ? eddy_type(EDDY_T_INT)
                                 : eddy_type_decimal(EDDY_DECIMAL_MAX_PRECISION, a->scale);
  } else { /* avg */
    uint8_t s = a->kind == EDDY_T_DECIMAL && a->scale > 6 ? a->scale : 6;
    *out = eddy_type_decimal(EDDY_DECIMAL_MAX_PRECISION, s);
  }
  return 0;
}

int eddy_agg_type(eddy_agg_fn_t fn, const eddy_type_t *args, uint32_t argc, eddy_type_t *out,
                  char *why, size_t why_size) {
  for (uint32_t i = 0; i < argc; i++)
    if (!is_storable(&args[i]) && !(fn == EDDY_AGG_COUNT || fn == EDDY_AGG_COUNT_DISTINCT))
      return type_error(why, why_size, fn,
                        i == 1 ? "a number, string, bool or timestamp to order by"
                               : "a number, string, bytes, bool or timestamp",
                        &args[i]);
  switch (fn) {
  case EDDY_AGG_COUNT_ALL:
    *out = eddy_type(EDDY_T_INT);
    return 0;
  case EDDY_AGG_COUNT:
  case EDDY_AGG_COUNT_DISTINCT:
    if (!is_storable(&args[0]))
      return type_error(why, why_size, fn, "a number, string, bytes, bool or timestamp",
                        &args[0]);
    *out = eddy_type(EDDY_T_INT);
    return 0;
  case EDDY_AGG_SUM:
  case EDDY_AGG_AVG:
  case EDDY_AGG_STDDEV:
    return numeric_result(fn, &args[0], out, why, why_size);
  case EDDY_AGG_MIN:
  case EDDY_AGG_MAX:
  case EDDY_AGG_FIRST:
  case EDDY_AGG_LAST:
  case EDDY_AGG_ARGMAX:
  case EDDY_AGG_ARGMIN:
    *out = args[0];
    return 0;
  case EDDY_AGG_TOP:
    if (!is_number(&args[1]))
      return type_error(why, why_size, fn, "a number as its weight", &args[1]);
    *out = args[0];
    return 0;
  }
  return EDDY_EINVAL;
}
