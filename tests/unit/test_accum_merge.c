/*
 * Merging accumulator states (session windows): for random records split
 * into two disjoint parts, merge(fold(A), fold(B)) must give the same result
 * as fold(A and B), for every function that sessions allow.
 */
#include <math.h>

#include "eddy_test.h"
#include "test_rng.h"
#include "operators/aggregate_int.h"

#define N 60

typedef struct {
  eddy_value_t x, by;
  int64_t ts;
} rec_t;

/* x: ints (some NULL), doubles for stddev, decimals for avg; by: small ints. */
static eddy_value_t gen_x(eddy_agg_fn_t fn) {
  if (rnd(10) == 0)
    return eddy_null();
  int64_t v = (int64_t)rnd(2000) - 700;
  if (fn == EDDY_AGG_STDDEV)
    return eddy_double((double)v / 8.0);
  if (fn == EDDY_AGG_AVG)
    return eddy_decimal((eddy_i128)v, 2);
  return eddy_int(v);
}

static void fold(const eddy__acc_t *a, eddy_value_t *st, const rec_t *r, int from, int to) {
  eddy__acc_init(a, st);
  for (int i = from; i < to; i++)
    ASSERT_OK(eddy__acc_update(a, st, &r[i].x, a->spec->fn == EDDY_AGG_ARGMAX ||
                                                   a->spec->fn == EDDY_AGG_ARGMIN
                                                   ? &r[i].by : NULL,
                               r[i].ts, false, NULL));
}

static void check(eddy_agg_fn_t fn, uint64_t seed) {
  rng = seed;
  eddy_plan_agg_t spec = {.fn = fn, .name = "a", .arg = 0, .arg2 = -1};
  spec.type.scale = 4;
  eddy__acc_t a = {.spec = &spec, .slot = 1, .index = 0};
  rec_t r[N];
  for (int i = 0; i < N; i++)
    r[i] = (rec_t){.x = gen_x(fn), .by = eddy_int((int64_t)rnd(15)), .ts = (int64_t)rnd(40)};
  int cut = (int)rnd(N + 1);
  eddy_value_t sa[4], sb[4], all[4], ra, rall;
  fold(&a, sa, r, 0, cut);
  fold(&a, sb, r, cut, N);
  fold(&a, all, r, 0, N);
  /* merging either way round gives the same result */
  bool swap = rnd(2) == 0;
  ASSERT_OK(eddy__acc_merge(&a, swap ? sb : sa, swap ? sa : sb, NULL));
  ASSERT_OK(eddy__acc_result(&a, swap ? sb : sa, &ra, NULL));
  ASSERT_OK(eddy__acc_result(&a, all, &rall, NULL));
  if (fn == EDDY_AGG_STDDEV && rall.kind == EDDY_T_DOUBLE) {
    ASSERT_EQ(ra.kind, EDDY_T_DOUBLE);
    ASSERT_TRUE(fabs(ra.u.d - rall.u.d) <= 1e-9 * fmax(1.0, fabs(rall.u.d)));
  } else {
    ASSERT_EQ(ra.kind, rall.kind);
    ASSERT_EQ(eddy_value_cmp(&ra, &rall), 0);
  }
}

EDDY_TEST(merge_equals_fold_of_union) {
  static const eddy_agg_fn_t fns[] = {
      EDDY_AGG_COUNT_ALL, EDDY_AGG_COUNT, EDDY_AGG_SUM,   EDDY_AGG_AVG,    EDDY_AGG_MIN,
      EDDY_AGG_MAX,       EDDY_AGG_STDDEV, EDDY_AGG_FIRST, EDDY_AGG_LAST, EDDY_AGG_ARGMAX,
      EDDY_AGG_ARGMIN};
  for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++)
    for (uint64_t seed = 1; seed <= 300; seed++)
      check(fns[f], seed * 2654435761u + f);
  EDDY_ASSERT_NO_LEAKS();
}
