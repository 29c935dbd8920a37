/* Accumulators: fold a record into an aggregate row's state, read results. */
#include <math.h>
#include <stdint.h>

#include "operators/aggregate_int.h"

uint32_t eddy__acc_slots(eddy_agg_fn_t fn) {
  switch (fn) {
  case EDDY_AGG_AVG:
  case EDDY_AGG_FIRST:
  case EDDY_AGG_LAST:
  case EDDY_AGG_ARGMAX:
  case EDDY_AGG_ARGMIN:
  case EDDY_AGG_TOP:
    return 2;
  case EDDY_AGG_STDDEV:
    return 3;
  default:
    return 1;
  }
}

void eddy__acc_init(const eddy__acc_t *a, eddy_value_t *state) {
  eddy_value_t *s = state + a->slot;
  for (uint32_t i = 0; i < eddy__acc_slots(a->spec->fn); i++)
    s[i] = eddy_null();
  switch (a->spec->fn) {
  case EDDY_AGG_COUNT_ALL:
  case EDDY_AGG_COUNT:
  case EDDY_AGG_COUNT_DISTINCT:
  case EDDY_AGG_AVG:
  case EDDY_AGG_STDDEV:
    s[0] = eddy_int(0);
    break;
  default:
    break;
  }
}

static double as_double(const eddy_value_t *v) {
  if (v->kind == EDDY_T_DOUBLE)
    return v->u.d;
  if (v->kind == EDDY_T_DECIMAL)
    return eddy_decimal_to_double(v->u.dec, v->scale);
  return (double)v->u.i;
}

static int overflow(eddy_error_t **err, const eddy__acc_t *a) {
  return eddy_error_set(err, EDDY_EOVERFLOW, "%s(...) of '%s' overflows its type",
                        eddy_agg_name(a->spec->fn), a->spec->name);
}

/* sum += x, where sum is NULL (nothing yet) or of x's numeric kind (an int
 * x joins a decimal sum for avg). */
static int add(const eddy__acc_t *a, eddy_value_t *sum, const eddy_value_t *x, bool int_as_dec,
               eddy_error_t **err) {
  eddy_value_t v = *x;
  if (int_as_dec && v.kind == EDDY_T_INT)
    v = eddy_decimal((eddy_i128)v.u.i, 0);
  if (sum->kind == EDDY_T_NULL) {
    *sum = v;
    return 0;
  }
  switch (v.kind) {
  case EDDY_T_INT:
    if ((v.u.i > 0 && sum->u.i > INT64_MAX - v.u.i) || (v.u.i < 0 && sum->u.i < INT64_MIN - v.u.i))
      return overflow(err, a);
    sum->u.i += v.u.i;
    return 0;
  case EDDY_T_DECIMAL: {
    eddy_i128 r;
    uint8_t scale;
    if (eddy_decimal_add(sum->u.dec, sum->scale, v.u.dec, v.scale, &r, &scale) != 0)
      return overflow(err, a);
    *sum = eddy_decimal(r, scale);
    return 0;
  }
  default:
    sum->u.d += as_double(&v);
    return 0;
  }
}

/* Welford: n, mean, m2. */
static void stddev_update(eddy_value_t *s, const eddy_value_t *x) {
  double v = as_double(x);
  int64_t n = s[0].u.i + 1;
  double mean = n == 1 ? 0.0 : s[1].u.d, m2 = n == 1 ? 0.0 : s[2].u.d;
  double delta = v - mean;
  mean += delta / (double)n;
  m2 += delta * (v - mean);
  s[0] = eddy_int(n);
  s[1] = eddy_double(mean);
  s[2] = eddy_double(m2);
}

/* first/last: (time, x); ties go to the smaller x. */
static void timed_update(eddy_value_t *s, const eddy_value_t *x, int64_t ts, bool last) {
  bool take = s[0].kind == EDDY_T_NULL;
  if (!take) {
    int64_t cur = s[0].u.i;
    take = last ? ts > cur : ts < cur;
    if (ts == cur)
      take = eddy_value_cmp(x, &s[1]) < 0;
  }
  if (take) {
    s[0] = eddy_int(ts);
    s[1] = *x;
  }
}

/* argmax/argmin: (by, x); ties go to the smaller x. */
static void arg_update(eddy_value_t *s, const eddy_value_t *x, const eddy_value_t *by, bool max) {
  bool take = s[0].kind == EDDY_T_NULL;
  if (!take) {
    int c = eddy_value_cmp(by, &s[0]);
    take = max ? c > 0 : c < 0;
    if (c == 0)
      take = eddy_value_cmp(x, &s[1]) < 0;
  }
  if (take) {
    s[0] = *by;
    s[1] = *x;
  }
}

int eddy__acc_top_add(const eddy__acc_t *a, eddy_value_t *total, const eddy_value_t *w,
                      eddy_error_t **err) {
  eddy_value_t zero = eddy_int(0);
  if (eddy_value_cmp(w, &zero) < 0)
    return eddy_error_set(err, EDDY_ERANGE, "top(...) of '%s': the weight may not be negative",
                          a->spec->name);
  return add(a, total, w, false, err);
}

int eddy__acc_update(const eddy__acc_t *a, eddy_value_t *state, const eddy_value_t *x,
                     const eddy_value_t *by, int64_t ts, bool is_new, eddy_error_t **err) {
  eddy_value_t *s = state + a->slot;
  eddy_agg_fn_t fn = a->spec->fn;
  if (fn == EDDY_AGG_COUNT_ALL) {
    s[0].u.i++;
    return 0;
  }
  if (eddy_is_null(x) || (by != NULL && eddy_is_null(by)))
    return 0;
  switch (fn) {
  case EDDY_AGG_COUNT: s[0].u.i++; return 0;
  case EDDY_AGG_COUNT_DISTINCT: s[0].u.i += is_new ? 1 : 0; return 0;
  case EDDY_AGG_SUM: return add(a, &s[0], x, false, err);
  case EDDY_AGG_AVG: {
    int rc = add(a, &s[1], x, true, err);
    if (rc == 0)
      s[0].u.i++;
    return rc;
  }
  case EDDY_AGG_MIN:
  case EDDY_AGG_MAX: {
    int c = s[0].kind == EDDY_T_NULL ? 0 : eddy_value_cmp(x, &s[0]);
    if (s[0].kind == EDDY_T_NULL || (fn == EDDY_AGG_MIN ? c < 0 : c > 0))
      s[0] = *x;
    return 0;
  }
  case EDDY_AGG_STDDEV: stddev_update(s, x); return 0;
  case EDDY_AGG_FIRST:
  case EDDY_AGG_LAST: timed_update(s, x, ts, fn == EDDY_AGG_LAST); return 0;
  case EDDY_AGG_ARGMAX:
  case EDDY_AGG_ARGMIN: arg_update(s, x, by, fn == EDDY_AGG_ARGMAX); return 0;
  case EDDY_AGG_TOP: arg_update(s, x, by, true); return 0;  /* by: x's total weight so far */
  default: return 0;
  }
}

/* Chan et al.: the n, mean, m2 of two disjoint samples combined. */
static void stddev_merge(eddy_value_t *s, const eddy_value_t *o) {
  int64_t na = s[0].u.i, nb = o[0].u.i;
  if (nb == 0)
    return;
  if (na == 0) {
    s[0] = o[0];
    s[1] = o[1];
    s[2] = o[2];
    return;
  }
  double n = (double)(na + nb), delta = o[1].u.d - s[1].u.d;
  double mean = s[1].u.d + delta * (double)nb / n;
  double m2 = s[2].u.d + o[2].u.d + delta * delta * (double)na * (double)nb / n;
  s[0] = eddy_int(na + nb);
  s[1] = eddy_double(mean);
  s[2] = eddy_double(m2);
}

int eddy__acc_merge(const eddy__acc_t *a, eddy_value_t *into, const eddy_value_t *from,
                    eddy_error_t **err) {
  eddy_value_t *s = into + a->slot;
  const eddy_value_t *o = from + a->slot;
  eddy_agg_fn_t fn = a->spec->fn;
  switch (fn) {
  case EDDY_AGG_COUNT_ALL:
  case EDDY_AGG_COUNT:
    s[0].u.i += o[0].u.i;
    return 0;
  case EDDY_AGG_SUM:
    return o[0].kind == EDDY_T_NULL ? 0 : add(a, &s[0], &o[0], false, err);
  case EDDY_AGG_AVG: {
    int rc = o[1].kind == EDDY_T_NULL ? 0 : add(a, &s[1], &o[1], true, err);
    if (rc == 0)
      s[0].u.i += o[0].u.i;
    return rc;
  }
  case EDDY_AGG_MIN:
  case EDDY_AGG_MAX:
    return o[0].kind == EDDY_T_NULL ? 0 : eddy__acc_update(a, into, &o[0], NULL, 0, false, err);
  case EDDY_AGG_STDDEV: stddev_merge(s, o); return 0;
  case EDDY_AGG_FIRST:
  case EDDY_AGG_LAST:
    if (o[0].kind != EDDY_T_NULL)
      timed_update(s, &o[1], o[0].u.i, fn == EDDY_AGG_LAST);
    return 0;
  case EDDY_AGG_ARGMAX:
  case EDDY_AGG_ARGMIN:
    if (o[0].kind != EDDY_T_NULL)
      arg_update(s, &o[1], &o[0], fn == EDDY_AGG_ARGMAX);
    return 0;
  default:
    return 0;  /* count_distinct, top: rejected with sessions */
  }
}

static int avg_result(const eddy__acc_t *a, const eddy_value_t *s, eddy_value_t *out,
                      eddy_error_t **err) {
  if (s[0].u.i == 0 || s[1].kind == EDDY_T_NULL) {
    *out = eddy_null();
    return 0;
  }
  if (s[1].kind == EDDY_T_DOUBLE) {
    *out = eddy_double(s[1].u.d / (double)s[0].u.i);
    return 0;
  }
  eddy_i128 q;
  uint8_t scale = a->spec->type.scale;
  if (eddy_decimal_div(s[1].u.dec, s[1].scale, (eddy_i128)s[0].u.i, 0, scale, &q) != 0)
    return overflow(err, a);
  *out = eddy_decimal(q, scale);
  return 0;
}

int eddy__acc_result(const eddy__acc_t *a, const eddy_value_t *state, eddy_value_t *out,
                     eddy_error_t **err) {
  const eddy_value_t *s = state + a->slot;
  switch (a->spec->fn) {
  case EDDY_AGG_AVG:
    return avg_result(a, s, out, err);
  case EDDY_AGG_STDDEV:
    /* m2 can come out a hair below 0 from rounding: the spread is then 0 */
    *out = s[0].u.i < 2 ? eddy_null()
                        : eddy_double(sqrt(fmax(s[2].u.d, 0.0) / (double)(s[0].u.i - 1)));
    return 0;
  case EDDY_AGG_FIRST:
  case EDDY_AGG_LAST:
  case EDDY_AGG_ARGMAX:
  case EDDY_AGG_ARGMIN:
  case EDDY_AGG_TOP:
    *out = s[1];
    return 0;
  default:
    *out = s[0];
    return 0;
  }
}
