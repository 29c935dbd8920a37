/*
 * Operators: each takes the row type of its input and produces the row type
 * of its output. A field passed through unchanged (select *, after.*, a
 * renamed path) keeps its provenance, so the source decodes it only when
 * something downstream actually reads it; sinks read whole rows.
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"

#define MAX_COLUMNS 4096

static _Noreturn void fail(eddy_checker_t *ck, uint32_t off, uint32_t len, const char *fmt,
                           const char *a, const char *b) {
  eddy__dsl_fail(ck->c, EDDY_ETYPE, off, len, fmt, a, b);
}

static void mark_all(eddy_checker_t *ck, const eddy_rowtype_t *row) {
  for (uint32_t i = 0; i < row->layout->cnt; i++)
    eddy__check_mark(ck, row->prov[i]);
}

static eddy_expr_t *check(eddy_checker_t *ck, const eddy_rowtype_t *row, eddy_expr_t *e) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  return eddy__check_expr(&s, e);
}

static eddy_expr_t *check_cond(eddy_checker_t *ck, const eddy_rowtype_t *row, eddy_expr_t *e,
                               const char *what) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  return eddy__check_cond(&s, e, what);
}

/* ---- select ------------------------------------------------------------ */

typedef struct {
  eddy_checker_t *ck;
  const eddy_rowtype_t *in;
  eddy_field_t *fields;
  eddy_expr_t **exprs;
  const eddy_prov_t **prov;
  uint32_t *offs;               /* where each column was named, for duplicate messages */
  uint32_t cnt, cap;
} columns_t;

static void add_column(columns_t *cols, const char *name, eddy_expr_t *e, const eddy_prov_t *prov,
                       uint32_t off, uint32_t len) {
  for (uint32_t i = 0; i < cols->cnt; i++)
    if (strcmp(cols->fields[i].name, name) == 0)
      fail(cols->ck, off, len, "duplicate column '%s' (first at %s)", name,
           eddy__dsl_where(cols->ck->c, cols->offs[i]));
  if (cols->cnt == cols->cap)
    fail(cols->ck, off, len, "too many columns (limit is %s)%s", "4096", "");
  cols->fields[cols->cnt] = (eddy_field_t){.name = name, .type = e->type};
  cols->exprs[cols->cnt] = e;
  cols->prov[cols->cnt] = prov;
  cols->offs[cols->cnt] = off;
  cols->cnt++;
}

static eddy_expr_t *field_ref(eddy_checker_t *ck, const eddy_rowtype_t *in, uint32_t slot,
                              const eddy_ast_item_t *it) {
  eddy_expr_t *e = eddy__dsl_alloc(ck->c, sizeof(*e));
  e->kind = EDDY_X_FIELD;
  e->off = it->off;
  e->len = it->len;
  e->type = in->layout->items[slot].type;
  e->u.field.path = in->layout->items[slot].name;
  e->u.field.slot = (int32_t)slot;
  return e;
}

static void select_prefix(columns_t *cols, const eddy_ast_item_t *it) {
  size_t n = strlen(it->name.name);
  uint32_t before = cols->cnt;
  for (uint32_t i = 0; i < cols->in->layout->cnt; i++) {
    const char *name = cols->in->layout->items[i].name;
    if (strncmp(name, it->name.name, n) == 0 && name[n] == '.')
      add_column(cols, name + n + 1, field_ref(cols->ck, cols->in, i, it), cols->in->prov[i],
                 it->off, it->len);
  }
  if (cols->cnt > before)
    return;
  eddy_suggest_t sg;
  eddy__suggest_init(&sg, it->name.name);
  for (uint32_t i = 0; i < cols->in->layout->cnt; i++) {
    const char *name = cols->in->layout->items[i].name, *dot = strchr(name, '.');
    if (dot != NULL)
      eddy__suggest_add(&sg, eddy__dsl_strndup(cols->ck->c, name, (size_t)(dot - name)));
  }
  fail(cols->ck, it->off, it->len, "no fields start with '%s.'%s", it->name.name,
       eddy__suggest_hint(cols->ck->c, &sg));
}

/* The name a bare item gets: a path's last component, key, rowtime. */
static const char *implicit_name(eddy_checker_t *ck, const eddy_ast_item_t *it) {
  const eddy_expr_t *e = it->expr;
  if (e->kind == EDDY_X_FIELD) {
    const char *dot = strrchr(e->u.field.path, '.');
    return dot ? dot + 1 : e->u.field.path;
  }
  if (e->kind == EDDY_X_KEY)
    return "key";
  if (e->kind == EDDY_X_ROWTIME)
    return "rowtime";
  if (e->kind == EDDY_X_MEMBER)
    return e->u.member.name;
  fail(ck, it->off, it->len, "this column needs a name: write <name> = <expression>%s%s", "", "");
}

/* A plain path is passed through: its provenance moves on unmarked. A path
 * into a struct member reads (marks) the whole field. */
static void select_expr(columns_t *cols, const eddy_ast_item_t *it, const char *name) {
  eddy_scope_t s = {.ck = cols->ck, .row = cols->in, .mark = it->expr->kind != EDDY_X_FIELD};
  eddy_expr_t *e = eddy__check_expr(&s, it->expr);
  const eddy_prov_t *prov = NULL;
  if (!s.mark) {
    const eddy_expr_t *base = e;
    while (base->kind == EDDY_X_MEMBER)
      base = base->u.member.arg;
    if (base == e)
      prov = cols->in->prov[e->u.field.slot];
    else
      eddy__check_mark(cols->ck, cols->in->prov[base->u.field.slot]);
  }
  add_column(cols, name, e, prov, it->off, it->len);
}

static void check_select(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  uint64_t most = 0;   /* columns the items can produce at most */
  for (uint32_t k = 0; k < op->item_cnt; k++)
    most += op->items[k].kind == EDDY_SEL_ALL || op->items[k].kind == EDDY_SEL_PREFIX
                ? row->layout->cnt : 1;
  columns_t cols = {.ck = ck, .in = row};
  cols.cap = most < MAX_COLUMNS ? (uint32_t)most : MAX_COLUMNS;
  cols.fields = eddy__dsl_array(ck->c, cols.cap, sizeof(eddy_field_t));
  cols.exprs = eddy__dsl_array(ck->c, cols.cap, sizeof(eddy_expr_t *));
  cols.prov = eddy__dsl_array(ck->c, cols.cap, sizeof(eddy_prov_t *));
  cols.offs = eddy__dsl_array(ck->c, cols.cap, sizeof(uint32_t));
  for (uint32_t k = 0; k < op->item_cnt; k++) {
    const eddy_ast_item_t *it = &op->items[k];
    if (it->kind == EDDY_SEL_ALL) {
      for (uint32_t i = 0; i < row->layout->cnt; i++)
        add_column(&cols, row->layout->items[i].name, field_ref(ck, row, i, it), row->prov[i],
                   it->off, it->len);
    } else if (it->kind == EDDY_SEL_PREFIX) {
      select_prefix(&cols, it);
    } else {
      const char *name = it->kind == EDDY_SEL_NAMED ? it->name.name : implicit_name(ck, it);
      select_expr(&cols, it, name);
    }
  }
  eddy_fields_t *layout = eddy__dsl_alloc(ck->c, sizeof(*layout));
  layout->cnt = cols.cnt;
  layout->items = cols.fields;
  op->exprs = cols.exprs;
  row->layout = layout;
  row->prov = cols.prov;
}

/* ---- flatten, key by, merge, check ------------------------------------- */

static void check_flatten(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  op->expr = check(ck, row, op->expr);
  const eddy_type_t *t = &op->expr->type;
  if (t->kind != EDDY_T_ARRAY && t->kind != EDDY_T_ANY)
    fail(ck, op->expr->off, op->expr->len, "flatten needs an array, got %s%s",
         eddy__type_name(ck->c, t), "");
  int existing = eddy_fields_find(row->layout, op->target.name);
  if (existing >= 0)
    fail(ck, op->target.off, op->target.len,
         "a field named '%s' already exists; choose another name for the element%s",
         op->target.name, "");
  uint32_t n = row->layout->cnt;
  eddy_field_t *items = eddy__dsl_array(ck->c, n + 1, sizeof(eddy_field_t));
  const eddy_prov_t **prov = eddy__dsl_array(ck->c, n + 1, sizeof(eddy_prov_t *));
  memcpy(items, row->layout->items, n * sizeof(eddy_field_t));
  memcpy(prov, row->prov, n * sizeof(eddy_prov_t *));
  items[n].name = op->target.name;
  items[n].type = t->kind == EDDY_T_ARRAY ? *t->elem : eddy_type(EDDY_T_ANY);
  eddy_fields_t *layout = eddy__dsl_alloc(ck->c, sizeof(*layout));
  layout->cnt = n + 1;
  layout->items = items;
  row->layout = layout;
  row->prov = prov;
}

static void check_key_by(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  op->expr = check(ck, row, op->expr);
  if (!eddy__check_scalar(&op->expr->type))
    fail(ck, op->expr->off, op->expr->len, "a key must be a single value, got %s%s",
         eddy__type_name(ck->c, &op->expr->type), "");
  row->key = op->expr->type;
  row->by_key = false;   /* records keep their partition */
}

static void merge_compare(eddy_checker_t *ck, const eddy_ast_name_t *n, const eddy_rowtype_t *a,
                          const eddy_rowtype_t *b) {
  eddy_dsl_t *c = ck->c;
  uint32_t cnt = a->layout->cnt < b->layout->cnt ? a->layout->cnt : b->layout->cnt;
  for (uint32_t i = 0; i < cnt; i++) {
    const eddy_field_t *fa = &a->layout->items[i], *fb = &b->layout->items[i];
    if (strcmp(fa->name, fb->name) != 0)
      eddy__dsl_fail(c, EDDY_ETYPE, n->off, n->len,
                     "cannot merge '%s': field %u is '%s' in the input but '%s' in '%s'",
                     n->name, i + 1, fa->name, fb->name, n->name);
    if (!eddy_type_equal(&fa->type, &fb->type))
      eddy__dsl_fail(c, EDDY_ETYPE, n->off, n->len,
                     "cannot merge '%s': field '%s' is %s in the input but %s in '%s'", n->name,
                     fa->name, eddy__type_name(c, &fa->type), eddy__type_name(c, &fb->type),
                     n->name);
  }
  if (a->layout->cnt != b->layout->cnt) {
    bool extra = b->layout->cnt > cnt;
    const char *field = (extra ? b : a)->layout->items[cnt].name;
    eddy__dsl_fail(c, EDDY_ETYPE, n->off, n->len,
                   extra ? "cannot merge '%s': it has a field '%s' the input lacks"
                         : "cannot merge '%s': it lacks the input's field '%s'",
                   n->name, field);
  }
  if (!eddy_type_equal(&a->key, &b->key))
    eddy__dsl_fail(c, EDDY_ETYPE, n->off, n->len,
                   "cannot merge '%s': its key is %s but the input's key is %s (use 'key by')",
                   n->name, eddy__type_name(c, &b->key), eddy__type_name(c, &a->key));
}

static void check_merge(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row,
                        int32_t input_def) {
  op->defs = eddy__dsl_array(ck->c, op->name_cnt, sizeof(int32_t));
  const eddy_prov_t **prov = eddy__dsl_array(ck->c, row->layout->cnt, sizeof(eddy_prov_t *));
  memcpy(prov, row->prov, row->layout->cnt * sizeof(eddy_prov_t *));
  for (uint32_t k = 0; k < op->name_cnt; k++) {
    const eddy_ast_name_t *n = &op->names[k];
    int32_t d = op->defs[k] = eddy__check_lookup(ck, n);
    if (d == input_def)
      fail(ck, n->off, n->len, "cannot merge '%s' with itself%s", n->name, "");
    for (uint32_t j = 0; j < k; j++)
      if (op->defs[j] == d)
        fail(ck, n->off, n->len, "'%s' is merged twice%s", n->name, "");
    const eddy_rowtype_t *other = &ck->defs[d].row;
    merge_compare(ck, n, row, other);
    row->by_key = false;   /* the inputs' partitionings need not agree */
    for (uint32_t i = 0; i < row->layout->cnt; i++) {
      for (const eddy_prov_t *p = other->prov[i]; p != NULL; p = p->next) {
        eddy_prov_t *copy = eddy__dsl_alloc(ck->c, sizeof(*copy));
        *copy = *p;
        copy->next = prov[i];
        prov[i] = copy;
      }
    }
  }
  row->prov = prov;
}

/* ---- sinks ------------------------------------------------------------- */

static void check_to_kafka(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  if (op->key != NULL) {
    op->key = check(ck, row, op->key);
    if (!eddy__check_scalar(&op->key->type))
      fail(ck, op->key->off, op->key->len, "a key must be a single value, got %s%s",
           eddy__type_name(ck->c, &op->key->type), "");
  }
  if (op->format == EDDY_FMT_STRING &&
      (row->layout->cnt != 1 || row->layout->items[0].type.kind != EDDY_T_STRING))
    fail(ck, op->off, op->len,
         "format string writes a single string column; select one first%s%s", "", "");
  mark_all(ck, row);
}

static void check_to_postgres(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  for (uint32_t k = 0; k < op->name_cnt; k++) {
    const eddy_ast_name_t *n = &op->names[k];
    if (eddy_fields_find(row->layout, n->name) < 0) {
      eddy_suggest_t sg;
      eddy__suggest_init(&sg, n->name);
      for (uint32_t i = 0; i < row->layout->cnt; i++)
        eddy__suggest_add(&sg, row->layout->items[i].name);
      fail(ck, n->off, n->len, "unknown key column '%s'%s", n->name, eddy__suggest_hint(ck->c, &sg));
    }
    for (uint32_t j = 0; j < k; j++)
      if (strcmp(op->names[j].name, n->name) == 0)
        fail(ck, n->off, n->len, "key column '%s' is listed twice%s", n->name, "");
  }
  mark_all(ck, row);
}

static const char *op_name(eddy_op_kind_t kind) {
  switch (kind) {
  case EDDY_OP_WHERE: return "where";
  case EDDY_OP_SELECT: return "select";
  case EDDY_OP_FLATTEN: return "flatten";
  case EDDY_OP_KEY_BY: return "key by";
  case EDDY_OP_MERGE: return "merge";
  case EDDY_OP_CHECK: return "check";
  case EDDY_OP_TO_KAFKA: return "to kafka";
  case EDDY_OP_TO_STDOUT: return "to stdout";
  case EDDY_OP_TO_POSTGRES: return "to postgres";
  case EDDY_OP_GROUP_BY: return "group by";
  case EDDY_OP_WINDOW: return "window";
  case EDDY_OP_AGGREGATE: return "aggregate";
  case EDDY_OP_EMIT: return "emit";
  case EDDY_OP_JOIN: return "join";
  case EDDY_OP_OVER: return "over";
  case EDDY_OP_DEDUPE: return "dedupe";
  default: return "changes";
  }
}

void eddy__check_op_in(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row,
                       int32_t input_def) {
  op->in = row->layout;
  if (row->table != EDDY_ROW_STREAM && op->kind != EDDY_OP_JOIN)
    eddy__check_table_op(ck, op, row, op_name(op->kind));
  if (row->group != NULL && op->kind != EDDY_OP_WINDOW && op->kind != EDDY_OP_AGGREGATE)
    fail(ck, op->off, op->len,
         "'%s' cannot follow 'group by': a grouped stream needs 'aggregate ...'%s",
         op_name(op->kind), " (after an optional 'window ...')");
  if (row->over != NULL && op->kind != EDDY_OP_AGGREGATE)
    fail(ck, op->off, op->len, "'%s' cannot follow 'over': it needs 'aggregate ...'%s",
         op_name(op->kind), " right after it");
  if (op->kind != EDDY_OP_EMIT && op->kind != EDDY_OP_AGGREGATE)
    row->aggregated = NULL;
  switch (op->kind) {
  case EDDY_OP_WHERE:
    op->expr = check_cond(ck, row, op->expr, "the 'where' condition");
    break;
  case EDDY_OP_SELECT:
    check_select(ck, op, row);
    break;
  case EDDY_OP_FLATTEN:
    check_flatten(ck, op, row);
    break;
  case EDDY_OP_KEY_BY:
    check_key_by(ck, op, row);
    break;
  case EDDY_OP_MERGE:
    check_merge(ck, op, row, input_def);
    break;
  case EDDY_OP_CHECK:
    op->expr = check_cond(ck, row, op->expr, "the 'check' condition");
    break;
  case EDDY_OP_TO_KAFKA:
    check_to_kafka(ck, op, row);
    break;
  case EDDY_OP_TO_STDOUT:
    mark_all(ck, row);
    break;
  case EDDY_OP_TO_POSTGRES:
    check_to_postgres(ck, op, row);
    break;
  case EDDY_OP_AGGREGATE:
    if (row->over != NULL)
      eddy__check_keyed(ck, op, row);
    else
      eddy__check_grouping(ck, op, row);
    break;
  case EDDY_OP_GROUP_BY:
  case EDDY_OP_WINDOW:
  case EDDY_OP_EMIT:
    eddy__check_grouping(ck, op, row);
    break;
  case EDDY_OP_JOIN:
    eddy__check_join(ck, op, row, input_def);
    break;
  case EDDY_OP_OVER:
  case EDDY_OP_DEDUPE:
  case EDDY_OP_CHANGES:
    eddy__check_keyed(ck, op, row);
    break;
  default:
    fail(ck, op->off, op->len, "'%s' is not supported yet%s", op_name(op->kind), "");
  }
  if (op->kind == EDDY_OP_EMIT)
    row->aggregated = NULL;
  if (op->kind != EDDY_OP_WHERE && op->kind != EDDY_OP_SELECT && op->kind != EDDY_OP_FLATTEN &&
      op->kind != EDDY_OP_CHECK && op->kind != EDDY_OP_JOIN && !eddy__is_sink_op(op->kind))
    row->raw_key = false;   /* the key may no longer be the consumed message key */
  op->out = row->layout;
}
