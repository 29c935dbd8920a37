/*
 * Shared pieces of the operator model tests (test_aggregate.c, test_keyed.c,
 * test_join.c): compiling the topology under test and finding its operator,
 * and the configuration of the stores its plan declares.
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

#endif
