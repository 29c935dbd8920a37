/*
 * Source declarations: the row layout each format decodes into, the decode
 * paths, and the key and event-time expressions.
 *
 *   debezium-json / debezium-avro, schema (id int, amount decimal(10,2)):
 *     before.id  before.amount  after.id  after.amount
 *     op string  ts_ms timestamp(3)
 *     source.db  source.schema  source.table (strings)  source.lsn int
 *   json / avro: one field per column, path = the column name
 *   string:      value string (the whole message value)
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"

typedef struct {
  eddy_dsl_t *c;
  eddy_field_t *fields;
  const char *const **paths;
  uint32_t cnt;
} layout_builder_t;

static void add(layout_builder_t *b, const char *name, eddy_type_t type, const char *p0,
                const char *p1) {
  const char **path = eddy__dsl_array(b->c, 3, sizeof(char *));
  path[0] = p0;
  path[1] = p1;
  b->fields[b->cnt].name = name;
  b->fields[b->cnt].type = type;
  b->paths[b->cnt] = path;
  b->cnt++;
}

static void add_debezium(layout_builder_t *b, const eddy_ast_source_t *src) {
  static const char *const sides[] = {"before", "after"};
  for (int side = 0; side < 2; side++) {
    for (uint32_t i = 0; i < src->column_cnt; i++) {
      const char *col = src->columns[i].name.name;
      add(b, eddy__dsl_printf(b->c, "%s.%s", sides[side], col), src->columns[i].type,
          sides[side], col);
    }
  }
  eddy_type_t ms = eddy_type(EDDY_T_TIMESTAMP);
  ms.scale = 3;
  add(b, "op", eddy_type(EDDY_T_STRING), "op", NULL);
  add(b, "ts_ms", ms, "ts_ms", NULL);
  add(b, "source.db", eddy_type(EDDY_T_STRING), "source", "db");
  add(b, "source.schema", eddy_type(EDDY_T_STRING), "source", "schema");
  add(b, "source.table", eddy_type(EDDY_T_STRING), "source", "table");
  add(b, "source.lsn", eddy_type(EDDY_T_INT), "source", "lsn");
}

static bool is_debezium(eddy_format_t f) {
  return f == EDDY_FMT_DEBEZIUM_JSON || f == EDDY_FMT_DEBEZIUM_AVRO;
}

static void check_columns(eddy_checker_t *ck, const eddy_ast_source_t *src) {
  eddy_dsl_t *c = ck->c;
  if (!src->has_format)
    eddy__dsl_fail(c, EDDY_ETYPE, src->name.off, src->name.len,
                   "'%s' needs a format: add 'format debezium-json' (or json, avro, "
                   "debezium-avro, string)", src->name.name);
  if (src->format == EDDY_FMT_STRING && src->has_schema)
    eddy__dsl_fail(c, EDDY_ETYPE, src->schema_off, src->schema_len,
                   "format string has one column 'value string'; remove the schema");
  if (src->format != EDDY_FMT_STRING && !src->has_schema)
    eddy__dsl_fail(c, EDDY_ETYPE, src->format_off, src->format_len,
                   "format %s needs a schema: add schema (<column> <type>, ...)",
                   eddy_format_name(src->format));
  for (uint32_t i = 0; i < src->column_cnt; i++)
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(src->columns[i].name.name, src->columns[j].name.name) == 0)
        eddy__dsl_fail(c, EDDY_ETYPE, src->columns[i].name.off, src->columns[i].name.len,
                       "duplicate column '%s' (first at %s)", src->columns[i].name.name,
                       eddy__dsl_where(c, src->columns[j].name.off));
}

static void build_layout(eddy_checker_t *ck, eddy_ast_source_t *src) {
  uint32_t max = 2 * src->column_cnt + 6;
  layout_builder_t b = {
      .c = ck->c,
      .fields = eddy__dsl_array(ck->c, max, sizeof(eddy_field_t)),
      .paths = eddy__dsl_array(ck->c, max, sizeof(char **)),
  };
  if (is_debezium(src->format))
    add_debezium(&b, src);
  else if (src->format == EDDY_FMT_STRING)
    add(&b, "value", eddy_type(EDDY_T_STRING), "value", NULL);
  else
    for (uint32_t i = 0; i < src->column_cnt; i++)
      add(&b, src->columns[i].name.name, src->columns[i].type, src->columns[i].name.name, NULL);
  eddy_fields_t *layout = eddy__dsl_alloc(ck->c, sizeof(*layout));
  layout->cnt = b.cnt;
  layout->items = b.fields;
  src->layout = layout;
  src->paths = b.paths;
  src->wanted = eddy__dsl_array(ck->c, b.cnt, 1);
}

bool eddy__check_scalar(const eddy_type_t *t) {
  return t->kind != EDDY_T_ARRAY && t->kind != EDDY_T_STRUCT && t->kind != EDDY_T_NULL;
}

static void check_key(eddy_checker_t *ck, eddy_ast_source_t *src, eddy_rowtype_t *row) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  src->key = eddy__check_expr(&s, src->key);
  if (!eddy__check_scalar(&src->key->type))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, src->key->off, src->key->len,
                   "a key must be a single value, got %s", eddy__type_name(ck->c, &src->key->type));
  row->key = src->key->type;
}

static void check_event_time(eddy_checker_t *ck, eddy_ast_source_t *src, eddy_rowtype_t *row) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  eddy_expr_t *e = src->event_time = eddy__check_expr(&s, src->event_time);
  if (e->type.kind == EDDY_T_INT)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, e->off, e->len,
                   "event-time must be a timestamp, got int (declare the column as "
                   "timestamp(3), or write to_timestamp(x), for epoch milliseconds)");
  if (e->type.kind != EDDY_T_TIMESTAMP && e->type.kind != EDDY_T_ANY)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, e->off, e->len, "event-time must be a timestamp, got %s",
                   eddy__type_name(ck->c, &e->type));
}

void eddy__check_source(eddy_checker_t *ck, uint32_t def_idx, eddy_ast_source_t *src) {
  check_columns(ck, src);
  build_layout(ck, src);
  eddy_def_t *def = &ck->defs[def_idx];
  def->row.layout = src->layout;
  def->row.key = eddy_type(EDDY_T_STRING);
  def->row.by_key = src->key == NULL;   /* topics are partitioned by their message key */
  def->row.prov = eddy__dsl_array(ck->c, src->layout->cnt, sizeof(eddy_prov_t *));
  for (uint32_t i = 0; i < src->layout->cnt; i++) {
    eddy_prov_t *p = eddy__dsl_alloc(ck->c, sizeof(*p));
    p->def = def_idx;
    p->field = i;
    def->row.prov[i] = p;
  }
  def->row.raw_key = src->key == NULL;
  def->row.table = src->kind == EDDY_SOURCE_STREAM ? EDDY_ROW_STREAM : EDDY_ROW_TABLE;
  if (src->key != NULL)
    check_key(ck, src, &def->row);
  if (src->key != NULL && src->key->kind == EDDY_X_KEY)
    def->row.raw_key = true;   /* `key key`: the message key as it is */
  if (src->event_time != NULL)
    check_event_time(ck, src, &def->row);
}
