/*
 * The Avro encoder: the schema derived from a row layout, its registration
 * under `<topic>-value`, and the Confluent wire-format prefix of each row.
 *
 * For a layout (order_id int, after.amount decimal(10,2), after.at timestamp)
 * of topic "orders.out" the schema is
 *
 *   {"type":"record","name":"orders_out","namespace":"eddy","fields":[
 *     {"name":"order_id","type":["null","long"],"default":null},
 *     {"name":"after","type":{"type":"record","name":"orders_out_after","fields":[
 *       {"name":"amount","type":["null",{"type":"bytes","logicalType":"decimal",
 *                                        "precision":10,"scale":2}],"default":null},
 *       {"name":"at","type":["null",{"type":"long","logicalType":"timestamp-micros"}],
 *        "default":null}]}}]}
 *
 * Every column is nullable with default null, so that adding a column later
 * is a BACKWARD- and FORWARD-compatible change.
 */
#include <string.h>

#include "serde/avro_int.h"

/* ---- names ------------------------------------------------------------- */

/* An Avro name from any text: [A-Za-z_][A-Za-z0-9_]*, other bytes become '_'. */
static char *avro_name(eddy_arena_t *a, const char *s, size_t len) {
  bool digit_first = len > 0 && s[0] >= '0' && s[0] <= '9';
  char *n = eddy_arena_alloc(a, len + 2);
  if (n == NULL)
    return NULL;
  size_t o = 0;
  if (len == 0 || digit_first)
    n[o++] = '_';
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    n[o++] = ok ? c : '_';
  }
  n[o] = '\0';
  return n;
}

/* "eddy.orders_out" from the configured full name or the topic. */
static int record_names(eddy_avro_encoder_t *enc, const eddy_avro_encoder_conf_t *conf) {
  const char *full = conf->record_name;
  if (full == NULL) {
    enc->space = "eddy";
    enc->name = avro_name(enc->arena, conf->topic, strlen(conf->topic));
    return enc->name ? 0 : EDDY_ENOMEM;
  }
  const char *dot = strrchr(full, '.');
  enc->space = dot ? eddy_arena_strndup(enc->arena, full, (size_t)(dot - full)) : NULL;
  enc->name = eddy_arena_strdup(enc->arena, dot ? dot + 1 : full);
  return enc->name && (dot == NULL || enc->space) ? 0 : EDDY_ENOMEM;
}

/* ---- the record tree --------------------------------------------------- */

static int32_t node_add(eddy_avro_encoder_t *enc, int32_t parent, const char *key, size_t len,
                        int32_t field) {
  if (enc->node_cnt == enc->node_cap) {
    uint32_t cap = enc->node_cap ? enc->node_cap * 2 : 16;
    eddy__avro_enode_t *n = eddy_arena_alloc(enc->arena, cap * sizeof(*n));
    if (n == NULL)
      return EDDY_ENOMEM;
    if (enc->node_cnt)
      memcpy(n, enc->nodes, enc->node_cnt * sizeof(*n));
    enc->nodes = n;
    enc->node_cap = cap;
  }
  eddy__avro_enode_t *n = &enc->nodes[enc->node_cnt];
  n->key = eddy_arena_strndup(enc->arena, key, len);
  n->name = avro_name(enc->arena, key, len);
  if (n->key == NULL || n->name == NULL)
    return EDDY_ENOMEM;
  n->field = field;
  n->first_child = n->next_sibling = -1;
  int32_t i = (int32_t)enc->node_cnt++;
  if (parent >= 0) {
    int32_t *link = &enc->nodes[parent].first_child;
    while (*link >= 0)
      link = &enc->nodes[*link].next_sibling;
    *link = i;
  }
  return i;
}

static int32_t child_find(const eddy_avro_encoder_t *enc, int32_t parent, const char *key,
                          size_t len) {
  for (int32_t i = enc->nodes[parent].first_child; i >= 0; i = enc->nodes[i].next_sibling)
    if (strlen(enc->nodes[i].key) == len && memcmp(enc->nodes[i].key, key, len) == 0)
      return i;
  return -1;
}

/* Place column \p f under the root, creating a group per dotted prefix. */
static int tree_add(eddy_avro_encoder_t *enc, uint32_t f, eddy_error_t **err) {
  const char *name = enc->layout->items[f].name, *s = name;
  int32_t node = 0;
  for (;;) {
    const char *dot = strchr(s, '.');
    size_t len = dot ? (size_t)(dot - s) : strlen(s);
    int32_t child = child_find(enc, node, s, len);
    if (child >= 0 && (dot == NULL || enc->nodes[child].field >= 0))
      return eddy_error_set(err, EDDY_EINVAL, "avro encoder: column '%s' clashes with "
                            "another column's name", name);
    if (child < 0 && (child = node_add(enc, node, s, len, dot ? -1 : (int32_t)f)) < 0)
      return child;
    if (dot == NULL)
      return 0;
    node = child;
    s = dot + 1;
  }
}

/* ---- the schema text --------------------------------------------------- */

static int write_type(eddy_buf_t *b, const eddy_type_t *t, const char *rec);

static int write_nullable(eddy_buf_t *b, const eddy_type_t *t, const char *rec) {
  if (t->kind == EDDY_T_NULL)
    return eddy_buf_puts(b, "\"null\"");
  int rc = eddy_buf_puts(b, "[\"null\",");
  if (rc == 0)
    rc = write_type(b, t, rec);
  return rc < 0 ? rc : eddy_buf_putc(b, ']');
}

static int write_struct(eddy_buf_t *b, const eddy_type_t *t, const char *rec) {
  int rc = eddy_buf_printf(b, "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[", rec);
  eddy_arena_t *a = eddy_arena_new(256);
  if (a == NULL)
    return EDDY_ENOMEM;
  for (uint32_t i = 0; rc == 0 && t->fields && i < t->fields->cnt; i++) {
    const eddy_field_t *m = &t->fields->items[i];
    const char *mn = avro_name(a, m->name, strlen(m->name));
    const char *sub = mn ? eddy_arena_printf(a, "%s_%s", rec, mn) : NULL;
    if (sub == NULL)
      rc = EDDY_ENOMEM;
    if (rc == 0)
      rc = eddy_buf_printf(b, "%s{\"name\":\"%s\",\"type\":", i ? "," : "", mn);
    if (rc == 0)
      rc = write_nullable(b, &m->type, sub);
    if (rc == 0)
      rc = eddy_buf_puts(b, ",\"default\":null}");
  }
  eddy_arena_destroy(a);
  return rc < 0 ? rc : eddy_buf_puts(b, "]}");
}

static int write_type(eddy_buf_t *b, const eddy_type_t *t, const char *rec) {
  static const eddy_type_t any = {.kind = EDDY_T_ANY};
  int rc;
  switch (t->kind) {
  case EDDY_T_BOOL: return eddy_buf_puts(b, "\"boolean\"");
  case EDDY_T_INT: return eddy_buf_puts(b, "\"long\"");
  case EDDY_T_DOUBLE: return eddy_buf_puts(b, "\"double\"");
  case EDDY_T_BYTES: return eddy_buf_puts(b, "\"bytes\"");
  case EDDY_T_DECIMAL:
    return eddy_buf_printf(b, "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":%d,"
                           "\"scale\":%d}", t->precision ? t->precision : EDDY_DECIMAL_MAX_PRECISION,
                           t->scale);
  case EDDY_T_TIMESTAMP:
    return eddy_buf_puts(b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}");
  case EDDY_T_DURATION: return eddy_buf_puts(b, "\"long\"");
  case EDDY_T_ARRAY:
    if ((rc = eddy_buf_puts(b, "{\"type\":\"array\",\"items\":")) == 0)
      rc = write_nullable(b, t->elem ? t->elem : &any, rec);
    return rc < 0 ? rc : eddy_buf_putc(b, '}');
  case EDDY_T_STRUCT: return write_struct(b, t, rec);
  default: return eddy_buf_puts(b, "\"string\""); /* string, and untyped values as text */
  }
}

static int write_group(const eddy_avro_encoder_t *enc, eddy_buf_t *b, int32_t node,
                       const char *rec, eddy_arena_t *a) {
  int rc = 0;
  bool first = true;
  for (int32_t i = enc->nodes[node].first_child; rc == 0 && i >= 0;
       i = enc->nodes[i].next_sibling, first = false) {
    const eddy__avro_enode_t *n = &enc->nodes[i];
    const char *sub = eddy_arena_printf(a, "%s_%s", rec, n->name);
    if (sub == NULL)
      return EDDY_ENOMEM;
    rc = eddy_buf_printf(b, "%s{\"name\":\"%s\",\"type\":", first ? "" : ",", n->name);
    if (rc == 0 && n->field >= 0) {
      rc = write_nullable(b, &enc->layout->items[n->field].type, sub);
      if (rc == 0)
        rc = eddy_buf_puts(b, ",\"default\":null}");
      continue;
    }
    if (rc == 0)
      rc = eddy_buf_printf(b, "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[", sub);
    if (rc == 0)
      rc = write_group(enc, b, i, sub, a);
    if (rc == 0)
      rc = eddy_buf_puts(b, "]}}");
  }
  return rc;
}

static int build_schema(eddy_avro_encoder_t *enc, eddy_error_t **err) {
  eddy_buf_t b = {0};
  eddy_arena_t *a = eddy_arena_new(1024);
  int rc = a ? eddy_buf_printf(&b, "{\"type\":\"record\",\"name\":\"%s\"", enc->name) : EDDY_ENOMEM;
  if (rc == 0 && enc->space != NULL)
    rc = eddy_buf_printf(&b, ",\"namespace\":\"%s\"", enc->space);
  if (rc == 0)
    rc = eddy_buf_puts(&b, ",\"fields\":[");
  if (rc == 0)
    rc = write_group(enc, &b, 0, enc->name, a);
  if (rc == 0)
    rc = eddy_buf_puts(&b, "]}");
  if (rc == 0 && (enc->schema = eddy_arena_strndup(enc->arena, b.p, b.len)) == NULL)
    rc = EDDY_ENOMEM;
  eddy_buf_free(&b);
  eddy_arena_destroy(a);
  if (rc < 0)
    return eddy_error_set(err, rc, "avro encoder: out of memory");
  /* Names from the layout could still clash (a.b vs a_b): check it is valid Avro. */
  eddy_sr_schema_t *parsed = NULL;
  eddy_error_t *why = NULL;
  rc = eddy_sr_schema_parse(&parsed, enc->schema, strlen(enc->schema), &why);
  eddy_sr_schema_destroy(parsed);
  if (rc < 0)
    rc = eddy_error_set(err, rc == EDDY_ENOMEM ? rc : EDDY_EINVAL,
                        "avro encoder: the layout makes no valid Avro schema: %s",
                        eddy_error_msg(why));
  eddy_error_destroy(why);
  return rc;
}

/* ---- the encoder ------------------------------------------------------- */

void eddy_avro_encoder_destroy(eddy_avro_encoder_t *enc) {
  if (enc == NULL)
    return;
  eddy_arena_destroy(enc->arena);
  eddy_free(enc);
}

static int setup(eddy_avro_encoder_t *enc, const eddy_avro_encoder_conf_t *conf,
                 eddy_error_t **err) {
  enc->subject = eddy_arena_printf(enc->arena, "%s-value", conf->topic);
  if (enc->subject == NULL || record_names(enc, conf) < 0 || node_add(enc, -1, "", 0, -1) < 0)
    return eddy_error_set(err, EDDY_ENOMEM, "avro encoder: out of memory");
  for (uint32_t f = 0; f < enc->layout->cnt; f++) {
    int rc = tree_add(enc, f, err);
    if (rc == EDDY_ENOMEM)
      return eddy_error_set(err, rc, "avro encoder: out of memory");
    if (rc < 0)
      return rc;
  }
  return build_schema(enc, err);
}

int eddy_avro_encoder_new(eddy_avro_encoder_t **out, const eddy_avro_encoder_conf_t *conf,
                          eddy_sr_client_t *registry, eddy_error_t **err) {
  *out = NULL;
  if (conf == NULL || conf->topic == NULL || conf->topic[0] == '\0' || conf->layout == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "avro encoder: a topic and a row layout are needed");
  if (registry == NULL && conf->schema_id <= 0)
    return eddy_error_set(err, EDDY_EINVAL, "avro encoder: writing Avro to '%s' needs a schema "
                          "registry (schema.registry.url)", conf->topic);
  eddy_avro_encoder_t *enc = eddy_calloc(1, sizeof(*enc));
  if (enc == NULL || (enc->arena = eddy_arena_new(2048)) == NULL) {
    eddy_free(enc);
    return eddy_error_set(err, EDDY_ENOMEM, "avro encoder: out of memory");
  }
  enc->layout = conf->layout;
  enc->registry = registry;
  enc->id = conf->schema_id > 0 ? conf->schema_id : 0;
  int rc = setup(enc, conf, err);
  if (rc < 0) {
    eddy_avro_encoder_destroy(enc);
    return rc;
  }
  *out = enc;
  return 0;
}

const char *eddy_avro_encoder_schema(const eddy_avro_encoder_t *enc) { return enc->schema; }

int eddy_avro_encoder_id(const eddy_avro_encoder_t *enc) { return enc->id; }

int eddy_avro_encoder_register(eddy_avro_encoder_t *enc, eddy_error_t **err) {
  if (enc->id > 0)
    return 0;
  int id = 0;
  int rc = eddy_sr_client_register(enc->registry, enc->subject, enc->schema, &id, err);
  if (rc == 0)
    enc->id = id;
  return rc;
}

int eddy_avro_encode_row(eddy_avro_encoder_t *enc, const eddy_row_t *row, eddy_buf_t *out,
                         eddy_error_t **err) {
  int rc = eddy_avro_encoder_register(enc, err);
  if (rc < 0)
    return rc;
  size_t start = out->len;
  uint8_t head[EDDY_SR_WIRE_HEADER_LEN];
  eddy_sr_wire_header(head, enc->id);
  if ((rc = eddy_buf_append(out, head, sizeof(head))) == 0 &&
      (rc = eddy__avro_write_row(enc, row->vals, out, err)) == 0)
    return 0;
  out->len = start;
  return rc == EDDY_ENOMEM ? eddy_error_set(err, rc, "out of memory encoding Avro") : rc;
}
