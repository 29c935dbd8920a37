/*
 * Shared pieces of the operator model tests (test_aggregate.c, test_session.c,
 * test_keyed.c, test_join.c): compiling the topology under test and finding
 * its operator, the configuration of the stores its plan declares, and
 * checking result columns against the reference.
 */
#ifndef EDDY_TEST_MODEL_H
#define EDDY_TEST_MODEL_H

#include <stdio.h>
#include <string.h>

#include "dsl/dsl.h"
#include "eddy_test.h"
#include "eddy/store.h"
#include "test_state.h"

static inline void tm_print_diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  fprintf(stderr, "%s\n", d->message);
}

/** Compile \p text into *topo; @returns its plan's last node of \p kind (the test fails
 *  when there is none). */
static inline const eddy_plan_node_t *tm_compile(eddy_topology_t **topo, const char *text,
                                                 eddy_node_kind_t kind) {
  ASSERT_OK(eddy_topology_compile(topo, "t.eddy", text, strlen(text), tm_print_diag, NULL));
  const eddy_plan_t *plan = eddy_topology_plan(*topo);
  const eddy_plan_node_t *node = NULL;
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == kind)
      node = plan->nodes[i];
  ASSERT_TRUE(node != NULL);
  return node;
}

/** The configuration of the store the plan declares as \p ps, for task 1_0 of app t. */
static inline void tm_store_conf(eddy_store_conf_t *c, const eddy_plan_store_t *ps,
                                 eddy_store_backend_t backend) {
  eddy_store_conf_init(c);
  c->name = ps->name;
  c->kind = (eddy_store_kind_t)ps->kind;   /* the same numbering */
  c->backend = backend;
  c->app = "t";
  c->task = "1_0";
  c->retention = ps->retention;
  c->window_size = ps->window_size;
}

/** The column \p name of \p row (the test fails when there is none). */
static inline const eddy_value_t *tm_col(const eddy_row_t *row, const char *name) {
  int i = eddy_fields_find(row->layout, name);
  if (i < 0)
    eddy_test_fail(__FILE__, __LINE__, "no column %s", name);
  return &row->vals[i];
}

/** \p v is the decimal(…, 2) \p cents, or null when not \p has. */
static inline void tm_expect_cents(const eddy_value_t *v, bool has, int64_t cents) {
  if (!has) {
    ASSERT_EQ(EDDY_T_NULL, v->kind);
    return;
  }
  ASSERT_EQ(EDDY_T_DECIMAL, v->kind);
  ASSERT_EQ(2, v->scale);
  ASSERT_EQ(cents, (int64_t)v->u.dec);
}

/** \p v is the string names[\p idx], or null when \p idx < 0. */
static inline void tm_expect_name(const char *const *names, const eddy_value_t *v, int idx) {
  if (idx < 0) {
    ASSERT_EQ(EDDY_T_NULL, v->kind);
    return;
  }
  ASSERT_EQ(EDDY_T_STRING, v->kind);
  ASSERT_TRUE(v->len == strlen(names[idx]) && memcmp(v->u.s, names[idx], v->len) == 0);
}

/** avg = sum / n at scale 6, half away from zero, of a sum in cents: cents * 10^4 / n. */
static inline int64_t tm_avg6(int64_t sum_cents, int64_t n) {
  int64_t num = sum_cents * 10000, q = num / n, r = num % n;
  if (2 * (r < 0 ? -r : r) >= n)
    q += num < 0 ? -1 : 1;
  return q;
}

#endif
