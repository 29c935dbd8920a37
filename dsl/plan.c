/*
 * The planner: a checked program becomes the DAG of dsl/plan.h.
 *
 * Every named stream stands for the set of nodes whose output it is (its
 * "frontier"): a source's node, a pipeline's last node, or after `merge`
 * the union of the merged frontiers. An operator node gets every frontier
 * node as parent, which gives fan-out (one source read by several
 * pipelines) and merge (one node with several parents) without special
 * nodes. Names must be defined before use, so creation order is already a
 * topological order.
 *
 * Nodes that reach no sink (a named stream nobody uses) are dropped, and so
 * are sources left with nothing to feed. `group by` cuts the graph: its
 * REPARTITION node writes an internal topic and an internal source reads
 * it back, with no edge between the two. Subtopologies are the connected
 * components of what remains.
 */
#include <stdio.h>
#include <string.h>

#include "dsl/check.h"
#include "dsl/plan_int.h"
#include "dsl/plan_join.h"
#include "eddy/error.h"

static void push_id(eddy_dsl_t *c, idlist_t *l, uint32_t id) {
  for (uint32_t i = 0; i < l->cnt; i++)
    if (l->ids[i] == id)
      return;   /* merging a stream twice must not duplicate its rows */
  eddy__dsl_push(c, &l->ids, &l->cnt, &l->cap, &id, sizeof(id));
}

static uint32_t new_node(planner_t *pl, eddy_node_kind_t kind, const char *name, uint32_t off,
                         uint32_t len) {
  tmp_node_t t = {.source = -1, .link = -1};
  t.node = eddy__dsl_alloc(pl->c, sizeof(*t.node));
  t.node->kind = kind;
  t.node->name = name;
  t.node->off = off;
  t.node->len = len;
  eddy__dsl_push(pl->c, &pl->nodes, &pl->node_cnt, &pl->node_cap, &t, sizeof(t));
  return pl->node_cnt - 1;
}

static const char *op_word(eddy_op_kind_t kind) {
  switch (kind) {
  case EDDY_OP_WHERE: return "where";
  case EDDY_OP_SELECT: return "select";
  case EDDY_OP_FLATTEN: return "flatten";
  case EDDY_OP_KEY_BY: return "key-by";
  case EDDY_OP_CHECK: return "check";
  case EDDY_OP_TO_KAFKA: return "to-kafka";
  case EDDY_OP_TO_STDOUT: return "to-stdout";
  case EDDY_OP_GROUP_BY: return "group-by";
  case EDDY_OP_AGGREGATE: return "aggregate";
  case EDDY_OP_JOIN: return "join";
  case EDDY_OP_OVER: return "over";
  case EDDY_OP_DEDUPE: return "dedupe";
  case EDDY_OP_CHANGES: return "changes";
  default: return "to-postgres";
  }
}

static eddy_node_kind_t node_kind(eddy_op_kind_t kind) {
  switch (kind) {
  case EDDY_OP_WHERE: return EDDY_NODE_WHERE;
  case EDDY_OP_SELECT: return EDDY_NODE_SELECT;
  case EDDY_OP_FLATTEN: return EDDY_NODE_FLATTEN;
  case EDDY_OP_KEY_BY: return EDDY_NODE_KEY_BY;
  case EDDY_OP_CHECK: return EDDY_NODE_CHECK;
  case EDDY_OP_TO_KAFKA: return EDDY_NODE_SINK_KAFKA;
  case EDDY_OP_TO_STDOUT: return EDDY_NODE_SINK_STDOUT;
  case EDDY_OP_GROUP_BY: return EDDY_NODE_REPARTITION;
  case EDDY_OP_AGGREGATE: return EDDY_NODE_AGGREGATE;
  case EDDY_OP_OVER: return EDDY_NODE_OVER;
  case EDDY_OP_DEDUPE: return EDDY_NODE_DEDUPE;
  case EDDY_OP_CHANGES: return EDDY_NODE_CHANGES;
  default: return EDDY_NODE_SINK_POSTGRES;
  }
}

static void fill_node(planner_t *pl, eddy_plan_node_t *n, const eddy_ast_op_t *op) {
  n->in = op->in;
  n->out = op->out;
  switch (op->kind) {
  case EDDY_OP_WHERE: n->u.where.cond = op->expr; break;
  case EDDY_OP_SELECT: n->u.select.exprs = (const eddy_expr_t **)op->exprs; break;
  case EDDY_OP_FLATTEN: n->u.flatten.array = op->expr; break;
  case EDDY_OP_KEY_BY: n->u.key_by.key = op->expr; break;
  case EDDY_OP_CHECK:
    n->u.check.cond = op->expr;
    n->u.check.reason = op->text;
    break;
  case EDDY_OP_TO_KAFKA:
    n->u.sink_kafka.topic = op->text;
    n->u.sink_kafka.format = op->format;
    n->u.sink_kafka.key = op->key;
    break;
  case EDDY_OP_TO_STDOUT: n->u.sink_stdout.format = op->format; break;
  case EDDY_OP_GROUP_BY:
    n->out = op->group->part;
    n->u.repartition.group = op->group;
    n->u.repartition.topic =
        eddy__dsl_printf(pl->c, "%s-%s-repartition", pl->prog->app_id, n->name);
    break;
  case EDDY_OP_AGGREGATE:
    n->in = op->group->part;
    n->u.aggregate.group = op->group;
    n->u.aggregate.distinct_store = UINT32_MAX;
    break;
  case EDDY_OP_OVER:
  case EDDY_OP_DEDUPE:
  case EDDY_OP_CHANGES:
    if (op->keyed->rekey != NULL)
      n->in = op->keyed->rekey->part;
    n->out = op->keyed->out;
    n->u.keyed.spec = op->keyed;
    break;
  default: {
    const char **cols = eddy__dsl_array(pl->c, op->name_cnt, sizeof(char *));
    for (uint32_t i = 0; i < op->name_cnt; i++)
      cols[i] = op->names[i].name;
    n->u.sink_postgres.table = op->target.name;
    n->u.sink_postgres.key_columns = cols;
    n->u.sink_postgres.key_column_cnt = op->name_cnt;
    n->u.sink_postgres.topic =
        eddy__dsl_printf(pl->c, "%s-%s", pl->prog->app_id, n->name);
    break;
  }
  }
}

static void plan_source(planner_t *pl, const eddy_ast_stmt_t *st, uint32_t index) {
  uint32_t id = new_node(pl, EDDY_NODE_SOURCE, st->name.name, st->off, st->len);
  pl->nodes[id].source = (int32_t)index;
  pl->nodes[id].ast_source = &st->source;
  pl->nodes[id].node->out = st->source.layout;
  if (st->source.kind != EDDY_SOURCE_STREAM)
    id = eddy__plan_table(pl, st, id);
  push_id(pl->c, &pl->frontier[st->def], id);
}

/* The decode layout of a repartition row: as written, with @rowtime a timestamp. */
static const eddy_fields_t *decode_layout(planner_t *pl, const eddy_fields_t *part,
                                          const char *const ***paths) {
  eddy_field_t *items = eddy__dsl_array(pl->c, part->cnt, sizeof(eddy_field_t));
  const char *const **p = eddy__dsl_array(pl->c, part->cnt, sizeof(char **));
  memcpy(items, part->items, part->cnt * sizeof(eddy_field_t));
  for (uint32_t i = 0; i < part->cnt; i++) {
    const char *name = items[i].name;
    uint32_t cnt = 1;
    for (const char *q = name; *q; q++)
      cnt += *q == '.';   /* the JSON encoder nests dotted names */
    const char **path = eddy__dsl_array(pl->c, cnt + 1, sizeof(char *));
    for (uint32_t k = 0; k < cnt; k++) {
      const char *dot = strchr(name, '.');
      size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
      path[k] = eddy__dsl_strndup(pl->c, name, len);
      name += len + 1;
    }
    p[i] = path;
  }
  eddy_fields_t *f = eddy__dsl_alloc(pl->c, sizeof(*f));
  f->cnt = part->cnt;
  f->items = items;
  *paths = p;
  return f;
}

/* Rows of scalars only go as eddy's binary rows (serde/codec.h); others as JSON. */
static bool row_encodable(const eddy_fields_t *f) {
  for (uint32_t i = 0; i < f->cnt; i++)
    switch (f->items[i].type.kind) {
    case EDDY_T_BOOL:
    case EDDY_T_INT:
    case EDDY_T_TIMESTAMP:
    case EDDY_T_DURATION:
    case EDDY_T_DECIMAL:
    case EDDY_T_DOUBLE:
    case EDDY_T_STRING:
    case EDDY_T_BYTES: break;
    default: return false;
    }
  return true;
}

/* The source reading a REPARTITION node's topic, in a new subtopology; \p rows: in the
 * binary row format when the row allows it (the repartition writer follows the source). */
static uint32_t plan_internal_source(planner_t *pl, uint32_t rep_id, bool rows) {
  eddy_plan_node_t *rep = pl->nodes[rep_id].node;
  eddy_plan_source_t *ps = eddy__dsl_alloc(pl->c, sizeof(*ps));
  const char **topics = eddy__dsl_array(pl->c, 1, sizeof(char *));
  topics[0] = rep->u.repartition.topic;
  ps->name = eddy__dsl_printf(pl->c, "%s-repartition", rep->name);
  ps->topics = topics;
  ps->topic_cnt = 1;
  ps->internal = true;
  ps->repartition = rep;
  ps->decode.format = rows && row_encodable(rep->out) ? EDDY_FMT_ROW : EDDY_FMT_JSON;
  const char *const **paths;
  ps->decode.layout = decode_layout(pl, rep->out, &paths);
  ps->decode.paths = paths;
  uint8_t *wanted = eddy__dsl_array(pl->c, rep->out->cnt, 1);
  memset(wanted, 1, rep->out->cnt);
  ps->decode.wanted = wanted;
  eddy_expr_t *t = eddy__dsl_alloc(pl->c, sizeof(*t));
  t->kind = EDDY_X_FIELD;
  t->type = eddy_type(EDDY_T_TIMESTAMP);
  t->u.field.path = "@rowtime";
  t->u.field.slot = (int32_t)(rep->out->cnt - 1);
  ps->event_time = t;
  const eddy_plan_group_t *g = rep->u.repartition.group;
  if (g->rekey) {   /* over, dedupe, changes: the rows are keyed by @key */
    eddy_expr_t *k = eddy__dsl_alloc(pl->c, sizeof(*k));
    k->kind = EDDY_X_FIELD;
    k->type = rep->out->items[g->key_first].type;
    k->u.field.path = "@key";
    k->u.field.slot = (int32_t)g->key_first;
    ps->key = k;
  }
  uint32_t id = new_node(pl, EDDY_NODE_SOURCE, ps->name, rep->off, rep->len);
  pl->nodes[id].internal = ps;
  pl->nodes[id].node->out = ps->decode.layout;
  pl->nodes[rep_id].link = (int32_t)id;
  return id;
}

/* A keyed operator's repartition: "<prefix>.rekey-<n>", read back by an internal source
 * that becomes the current frontier. */
static void plan_rekey(planner_t *pl, idlist_t *cur, const eddy_ast_op_t *op, int32_t prefix,
                       const char *prefix_name) {
  uint32_t n = ++pl->rekeys[prefix];
  const char *name = eddy__dsl_printf(pl->c, "%s.rekey-%u", prefix_name, n);
  uint32_t id = new_node(pl, EDDY_NODE_REPARTITION, name, op->off, op->len);
  eddy_plan_node_t *node = pl->nodes[id].node;
  node->in = op->in;
  node->out = op->keyed->rekey->part;
  node->u.repartition.group = op->keyed->rekey;
  node->u.repartition.topic = eddy__dsl_printf(pl->c, "%s-%s-repartition", pl->prog->app_id, name);
  for (uint32_t i = 0; i < cur->cnt; i++)
    push_id(pl->c, &pl->nodes[cur->ids[i]].next, id);
  *cur = (idlist_t){0};
  push_id(pl->c, cur, plan_internal_source(pl, id, true));
}

static void plan_pipeline(planner_t *pl, const eddy_ast_stmt_t *st) {
  const eddy_ast_pipeline_t *p = &st->pipeline;
  int32_t prefix = st->kind == EDDY_STMT_ASSIGN ? st->def : p->input_def;
  const char *prefix_name = st->kind == EDDY_STMT_ASSIGN ? st->name.name : p->input.name;
  idlist_t cur = {0};
  for (uint32_t i = 0; i < pl->frontier[p->input_def].cnt; i++)
    push_id(pl->c, &cur, pl->frontier[p->input_def].ids[i]);
  for (uint32_t k = 0; k < p->op_cnt; k++) {
    const eddy_ast_op_t *op = &p->ops[k];
    if (op->kind == EDDY_OP_MERGE) {
      for (uint32_t j = 0; j < op->name_cnt; j++)
        for (uint32_t i = 0; i < pl->frontier[op->defs[j]].cnt; i++)
          push_id(pl->c, &cur, pl->frontier[op->defs[j]].ids[i]);
      continue;
    }
    if (op->kind == EDDY_OP_WINDOW || op->kind == EDDY_OP_EMIT ||
        (op->kind == EDDY_OP_AGGREGATE && op->keyed != NULL))
      continue;   /* settings of the aggregate (or over) node, not nodes */
    if (op->keyed != NULL && op->keyed->rekey != NULL)
      plan_rekey(pl, &cur, op, prefix, prefix_name);
    uint32_t n = ++pl->counts[prefix][op->kind];
    const char *name = eddy__dsl_printf(pl->c, "%s.%s-%u", prefix_name, op_word(op->kind), n);
    if (op->kind == EDDY_OP_JOIN) {
      cur = eddy__plan_join(pl, op, name, &cur);
      continue;
    }
    uint32_t id = new_node(pl, node_kind(op->kind), name, op->off, op->len);
    fill_node(pl, pl->nodes[id].node, op);
    for (uint32_t i = 0; i < cur.cnt; i++)
      push_id(pl->c, &pl->nodes[cur.ids[i]].next, id);
    cur = (idlist_t){0};
    if (op->kind == EDDY_OP_GROUP_BY)
      id = plan_internal_source(pl, id, true);
    push_id(pl->c, &cur, id);
  }
  if (st->kind == EDDY_STMT_ASSIGN)
    pl->frontier[st->def] = cur;
}

/* Creation order is topological, so one backwards pass finds what reaches a sink. */
static void mark_live(planner_t *pl) {
  for (uint32_t i = pl->node_cnt; i-- > 0;) {
    tmp_node_t *t = &pl->nodes[i];
    eddy_node_kind_t k = t->node->kind;
    t->live = k == EDDY_NODE_SINK_KAFKA || k == EDDY_NODE_SINK_STDOUT ||
              k == EDDY_NODE_SINK_POSTGRES || (t->link >= 0 && pl->nodes[t->link].live);
    for (uint32_t j = 0; j < t->next.cnt && !t->live; j++)
      t->live = pl->nodes[t->next.ids[j]].live;
  }
}

static uint32_t find_root(uint32_t *parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static void fill_source(planner_t *pl, eddy_plan_source_t *ps, const tmp_node_t *t) {
  const eddy_ast_source_t *src = t->ast_source;
  const char **topics = eddy__dsl_array(pl->c, src->topic_cnt, sizeof(char *));
  for (uint32_t i = 0; i < src->topic_cnt; i++)
    topics[i] = src->topics[i].name;
  ps->name = src->name.name;
  ps->topics = topics;
  ps->topic_cnt = src->topic_cnt;
  ps->on_error = src->on_error;
  ps->decode.format = src->format;
  ps->decode.decimal_mode = src->decimal_mode;
  ps->decode.layout = src->layout;
  ps->decode.paths = src->paths;
  ps->decode.wanted = src->wanted;
  ps->key = src->key;
  ps->event_time = src->event_time;
  ps->node = t->node;
  ps->off = t->node->off;
  ps->len = t->node->len;
  ps->global = src->kind == EDDY_SOURCE_GLOBAL_TABLE;
}

/* Keep the live nodes (renumbered), link them, and list the sources. */
static void emit_nodes(planner_t *pl, eddy_plan_t *plan) {
  uint32_t *new_id = eddy__dsl_array(pl->c, pl->node_cnt, sizeof(uint32_t));
  plan->nodes = eddy__dsl_array(pl->c, pl->node_cnt, sizeof(eddy_plan_node_t *));
  plan->sources = eddy__dsl_array(pl->c, pl->node_cnt, sizeof(eddy_plan_source_t));
  for (uint32_t i = 0; i < pl->node_cnt; i++) {
    tmp_node_t *t = &pl->nodes[i];
    if (!t->live)
      continue;
    new_id[i] = t->node->id = plan->node_cnt;
    plan->nodes[plan->node_cnt++] = t->node;
    if (t->source >= 0 || t->internal != NULL) {
      t->node->u.source.source = plan->source_cnt;
      eddy_plan_source_t *ps = &plan->sources[plan->source_cnt++];
      if (t->internal != NULL) {
        *ps = *t->internal;
        ps->node = t->node;
        ps->off = t->node->off;
        ps->len = t->node->len;
        ((eddy_plan_node_t *)ps->repartition)->u.repartition.source = t->node->u.source.source;
      } else {
        fill_source(pl, ps, t);
      }
    }
  }
  for (uint32_t i = 0; i < pl->node_cnt; i++) {
    tmp_node_t *t = &pl->nodes[i];
    if (!t->live)
      continue;
    t->node->next = eddy__dsl_array(pl->c, t->next.cnt, sizeof(eddy_plan_node_t *));
    for (uint32_t j = 0; j < t->next.cnt; j++)
      if (pl->nodes[t->next.ids[j]].live)
        t->node->next[t->node->next_cnt++] = plan->nodes[new_id[t->next.ids[j]]];
  }
}

static void split_subtopologies(planner_t *pl, eddy_plan_t *plan) {
  uint32_t n = plan->node_cnt;
  uint32_t *parent = eddy__dsl_array(pl->c, n, sizeof(uint32_t));
  uint32_t *sub_of_root = eddy__dsl_array(pl->c, n, sizeof(uint32_t));
  for (uint32_t i = 0; i < n; i++) {
    parent[i] = i;
    sub_of_root[i] = UINT32_MAX;
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < plan->nodes[i]->next_cnt && !eddy__plan_is_global(plan->nodes[i]); j++)
      parent[find_root(parent, i)] = find_root(parent, plan->nodes[i]->next[j]->id);
  plan->subtopologies = eddy__dsl_array(pl->c, plan->source_cnt, sizeof(eddy_subtopology_t));
  for (uint32_t s = 0; s < plan->source_cnt; s++) {
    uint32_t root = find_root(parent, plan->sources[s].node->id);
    if (sub_of_root[root] == UINT32_MAX) {
      eddy_subtopology_t *sub = &plan->subtopologies[plan->subtopology_cnt];
      sub->id = sub_of_root[root] = plan->subtopology_cnt++;
      sub->sources = eddy__dsl_array(pl->c, plan->source_cnt, sizeof(uint32_t));
    }
    eddy_subtopology_t *sub = &plan->subtopologies[sub_of_root[root]];
    ((uint32_t *)sub->sources)[sub->source_cnt++] = s;
    plan->sources[s].subtopology = sub->id;
  }
  for (uint32_t i = 0; i < n; i++)
    plan->nodes[i]->subtopology = sub_of_root[find_root(parent, i)];
}

static void add_store(planner_t *pl, eddy_plan_t *plan, eddy_plan_node_t *n, const char *what) {
  eddy_plan_store_t *s = &plan->stores[plan->store_cnt];
  s->name = eddy__dsl_printf(pl->c, "%s-%s", n->name, what);
  s->changelog = eddy__dsl_printf(pl->c, "%s-%s-changelog", plan->app_id, s->name);
  if (n->kind == EDDY_NODE_AGGREGATE) {
    const eddy_plan_group_t *g = n->u.aggregate.group;
    s->kind = g->session ? EDDY_PLAN_STORE_SESSION
              : g->windowed ? EDDY_PLAN_STORE_WINDOW : EDDY_PLAN_STORE_KV;
    s->retention = g->session ? g->gap + g->grace : g->windowed ? g->size + g->grace : 0;
    s->window_size = g->windowed && !g->session ? g->size : 0;
  } else if (n->kind == EDDY_NODE_DEDUPE) {
    /* ids are kept 2 x within behind stream time (docs/dsl.md, dedupe) */
    s->kind = EDDY_PLAN_STORE_WINDOW;
    s->retention = 2 * n->u.keyed.spec->within;
  } else {
    s->kind = EDDY_PLAN_STORE_KV;
  }
  s->node = n->id;
  s->subtopology = n->subtopology;
  plan->store_cnt++;
}

/* Each aggregate keeps its accumulators in a store, and distinct values in a second. */
static void plan_stores(planner_t *pl, eddy_plan_t *plan) {
  plan->stores = eddy__dsl_array(pl->c, 2 * plan->node_cnt, sizeof(eddy_plan_store_t));
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind == EDDY_NODE_OVER || n->kind == EDDY_NODE_DEDUPE ||
        n->kind == EDDY_NODE_CHANGES) {
      n->u.keyed.store = plan->store_cnt;
      add_store(pl, plan, n, "store");
    }
    if (n->kind != EDDY_NODE_AGGREGATE)
      continue;
    n->u.aggregate.store = plan->store_cnt;
    add_store(pl, plan, n, "store");
    if (n->u.aggregate.group->has_distinct) {
      n->u.aggregate.distinct_store = plan->store_cnt;
      add_store(pl, plan, n, "distinct-store");
    }
  }
  eddy__plan_table_stores(pl, plan);
}

eddy_plan_t *eddy__plan_build(eddy_dsl_t *c, const eddy_ast_program_t *prog) {
  planner_t pl = {.c = c, .prog = prog};
  pl.frontier = eddy__dsl_array(c, prog->def_cnt, sizeof(idlist_t));
  pl.counts = eddy__dsl_array(c, prog->def_cnt, sizeof(*pl.counts));
  pl.rekeys = eddy__dsl_array(c, prog->def_cnt, sizeof(uint32_t));
  uint32_t source_index = 0;
  for (uint32_t i = 0; i < prog->stmt_cnt; i++) {
    const eddy_ast_stmt_t *st = &prog->stmts[i];
    if (st->kind == EDDY_STMT_SOURCE)
      plan_source(&pl, st, source_index++);
    else if (st->kind == EDDY_STMT_ASSIGN || st->kind == EDDY_STMT_PIPELINE)
      plan_pipeline(&pl, st);
  }
  mark_live(&pl);
  eddy_plan_t *plan = eddy__dsl_alloc(c, sizeof(*plan));
  plan->app_id = prog->app_id;
  plan->file = eddy__dsl_strndup(c, c->src.file, strlen(c->src.file));
  emit_nodes(&pl, plan);
  split_subtopologies(&pl, plan);
  plan_stores(&pl, plan);
  return plan;
}

/* ---- for the table and join planner (plan_join.c) ---- */

void eddy__plan_push_id(eddy_dsl_t *c, idlist_t *l, uint32_t id) { push_id(c, l, id); }

uint32_t eddy__plan_new_node(planner_t *pl, eddy_node_kind_t kind, const char *name, uint32_t off,
                             uint32_t len) {
  return new_node(pl, kind, name, off, len);
}

uint32_t eddy__plan_internal_source(planner_t *pl, uint32_t rep_id) {
  return plan_internal_source(pl, rep_id, false);   /* joins: their stores keep records as read */
}

int eddy_plan_internal_topic(char *buf, size_t cap, const char *app_id, const char *suffix) {
  int n = snprintf(buf, cap, "%s-%s", app_id, suffix);
  return n < 0 || (size_t)n >= cap ? EDDY_ERANGE : 0;
}

int eddy_plan_source_topic(char *buf, size_t cap, const eddy_plan_source_t *s, uint32_t i,
                           const char *app_id) {
  if (s->internal)
    return eddy_plan_internal_topic(buf, cap, app_id, s->name);
  int n = snprintf(buf, cap, "%s", s->topics[i]);
  return n < 0 || (size_t)n >= cap ? EDDY_ERANGE : 0;
}

bool eddy_plan_subtopology_stateful(const eddy_plan_t *plan, uint32_t sub) {
  for (uint32_t i = 0; i < plan->store_cnt; i++)
    if (plan->stores[i].subtopology == sub)
      return true;
  for (uint32_t i = 0; i < plan->node_cnt; i++)   /* a join with a global table: tasks, no stores */
    if (plan->nodes[i]->kind == EDDY_NODE_JOIN && plan->nodes[i]->subtopology == sub)
      return true;
  return false;
}

const char *eddy_format_name(eddy_format_t f) {
  switch (f) {
  case EDDY_FMT_DEBEZIUM_JSON: return "debezium-json";
  case EDDY_FMT_DEBEZIUM_AVRO: return "debezium-avro";
  case EDDY_FMT_JSON: return "json";
  case EDDY_FMT_AVRO: return "avro";
  case EDDY_FMT_STRING: return "string";
  case EDDY_FMT_ROW: return "row";
  }
  return "?";
}
