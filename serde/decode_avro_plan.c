/*
 * Compiling a writer schema against the decoder's wanted paths (see
 * avro_int.h), and what a writer type means: its Avro logical type, or the
 * Kafka Connect / Debezium semantic name the AvroConverter keeps as the
 * `connect.name` property (with the decimal scale in `connect.parameters`):
 *
 *   {"type":"long","connect.version":1,"connect.name":"io.debezium.time.MicroTimestamp"}
 *   {"type":"bytes","scale":2,"precision":10,"connect.version":1,
 *    "connect.parameters":{"scale":"2","connect.decimal.precision":"10"},
 *    "connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_int.h"

/* ---- semantics of a writer type ------------------------------------------------------ */

static const struct {
  const char *name;
  uint8_t logical;
} avro_logicals[] = {
  {"decimal", EDDY__LG_DECIMAL},
  {"date", EDDY__LG_DATE},
  {"time-millis", EDDY__LG_TIME_MS},
  {"time-micros", EDDY__LG_TIME_US},
  {"timestamp-millis", EDDY__LG_TS_MS},
  {"timestamp-micros", EDDY__LG_TS_US},
  {"local-timestamp-millis", EDDY__LG_TS_MS},
  {"local-timestamp-micros", EDDY__LG_TS_US},
};

static const char *prop(const eddy_sr_node_t *w, const char *key) {
  for (int i = 0; i < w->prop_cnt; i++)
    if (strcmp(w->props[i].key, key) == 0)
      return w->props[i].json;
  return NULL;
}

/* The JSON string literal \p json without its quotes, into \p buf ("" otherwise). */
static const char *unquote(const char *json, char *buf, size_t size) {
  size_t n = json ? strlen(json) : 0;
  buf[0] = '\0';
  if (n >= 2 && json[0] == '"' && json[n - 1] == '"' && n - 2 < size &&
      memchr(json + 1, '\\', n - 2) == NULL) {
    memcpy(buf, json + 1, n - 2);
    buf[n - 2] = '\0';
  }
  return buf;
}

/* connect.parameters {"scale":"2"}: Connect writes parameter values as strings. */
static int16_t connect_scale(const eddy_sr_node_t *w) {
  const char *json = prop(w, "connect.parameters");
  if (json == NULL)
    return -1;
  cJSON *j = cJSON_Parse(json);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "scale");
  int16_t scale = -1;
  char *end = NULL;
  long v = cJSON_IsString(s) ? strtol(s->valuestring, &end, 10) : cJSON_IsNumber(s) ? (long)s->valuedouble : -1;
  if ((end == NULL || (*end == '\0' && end != s->valuestring)) && v >= 0 && v < 1000)
    scale = (int16_t)v;
  cJSON_Delete(j);
  return scale;
}

eddy__avro_sem_t eddy__avro_sem(const eddy_sr_node_t *w) {
  eddy__avro_sem_t s = {.logical = EDDY__LG_NONE, .scale = -1};
  char name[128];
  unquote(prop(w, "connect.name"), name, sizeof(name));
  uint8_t connect = name[0] ? eddy__connect_logical(name, strlen(name)) : EDDY__LG_OTHER;
  if (connect != EDDY__LG_OTHER)
    s.logical = connect;
  for (size_t i = 0; w->logical && s.logical == EDDY__LG_NONE &&
                     i < sizeof(avro_logicals) / sizeof(avro_logicals[0]); i++)
    if (strcmp(w->logical, avro_logicals[i].name) == 0)
      s.logical = avro_logicals[i].logical;
  if (s.logical == EDDY__LG_DECIMAL)
    s.scale = w->logical && strcmp(w->logical, "decimal") == 0 ? (int16_t)w->scale
                                                                : connect_scale(w);
  return s;
}

const char *eddy__avro_type_name(const eddy_sr_node_t *w, const eddy__avro_sem_t *sem,
                                 char *buf, size_t size) {
  char name[128];
  const char *base = w->fullname && w->type != EDDY_SR_UNION ? w->fullname
                                                              : eddy_sr_type_name(w->type);
  unquote(prop(w, "connect.name"), name, sizeof(name));
  if (name[0] == '\0' && w->logical != NULL)
    snprintf(name, sizeof(name), "%s", w->logical);
  if (name[0] != '\0' && sem->logical != EDDY__LG_NONE &&
      !(w->fullname && strcmp(w->fullname, name) == 0))
    snprintf(buf, size, "%s (%s)", base, name);
  else
    snprintf(buf, size, "%s", base);
  return buf;
}

/* ---- building the action tree -------------------------------------------------------- */

static int act_add(eddy__avro_plan_t *p, uint8_t op, const eddy_sr_node_t *w, uint32_t *out) {
  if (p->act_cnt == p->act_cap) {
    uint32_t cap = p->act_cap ? p->act_cap * 2 : 32;
    eddy__avro_act_t *a = eddy_realloc(p->acts, cap * sizeof(*a));
    if (a == NULL)
      return EDDY_ENOMEM;
    p->acts = a;
    p->act_cap = cap;
  }
  p->acts[p->act_cnt] = (eddy__avro_act_t){.op = op, .w = w, .field = -1};
  *out = p->act_cnt++;
  return 0;
}

/* Reserve \p n kid slots; @returns their first index in *first. */
static int kids_add(eddy__avro_plan_t *p, uint32_t n, uint32_t *first) {
  if (p->kid_cnt + n > p->kid_cap) {
    uint32_t cap = p->kid_cap ? p->kid_cap : 32;
    while (cap < p->kid_cnt + n)
      cap *= 2;
    uint32_t *k = eddy_realloc(p->kids, cap * sizeof(*k));
    if (k == NULL)
      return EDDY_ENOMEM;
    p->kids = k;
    p->kid_cap = cap;
  }
  *first = p->kid_cnt;
  p->kid_cnt += n;
  return 0;
}

/* An action whose kids are the given actions. */
static int group_add(eddy__avro_plan_t *p, uint8_t op, const eddy_sr_node_t *w,
                     const uint32_t *acts, uint32_t cnt, uint32_t *out) {
  uint32_t first = 0;
  int rc = kids_add(p, cnt, &first);
  if (rc == 0)
    rc = act_add(p, op, w, out);
  if (rc < 0)
    return rc;
  memcpy(p->kids + first, acts, cnt * sizeof(*acts));
  p->acts[*out].first = first;
  p->acts[*out].cnt = cnt;
  return 0;
}

typedef struct {
  eddy__avro_plan_t *p;
  const eddy_decoder_t *trie;
} cc_t;

static int compile(cc_t *c, const eddy_sr_node_t *w, int32_t node, uint32_t *out);

static int compile_union(cc_t *c, const eddy_sr_node_t *w, int32_t node, uint32_t *out) {
  uint32_t *kids = eddy_calloc((size_t)w->branch_cnt + 1, sizeof(*kids));
  int rc = kids ? 0 : EDDY_ENOMEM;
  for (int i = 0; rc == 0 && i < w->branch_cnt; i++)
    rc = compile(c, w->branches[i], node, &kids[i]);
  if (rc == 0)
    rc = group_add(c->p, EDDY__A_UNION, w, kids, (uint32_t)w->branch_cnt, out);
  eddy_free(kids);
  return rc;
}

/* The members of a record wanted below \p node; anything else is stepped over. */
static int compile_members(cc_t *c, const eddy_sr_node_t *w, int32_t node, uint32_t *out) {
  if (w->type != EDDY_SR_RECORD)
    return act_add(c->p, EDDY__A_SKIP, w, out); /* nothing of it can match */
  uint32_t *kids = eddy_calloc((size_t)w->field_cnt + 1, sizeof(*kids));
  int rc = kids ? 0 : EDDY_ENOMEM;
  for (int i = 0; rc == 0 && i < w->field_cnt; i++) {
    const char *name = w->fields[i].name;
    int32_t child = eddy__node_child(c->trie, node, name, strlen(name));
    rc = compile(c, w->fields[i].type, child, &kids[i]);
  }
  if (rc == 0)
    rc = group_add(c->p, EDDY__A_RECORD, w, kids, (uint32_t)w->field_cnt, out);
  eddy_free(kids);
  return rc;
}

static int value_add(cc_t *c, const eddy_sr_node_t *w, int32_t field, uint32_t *out) {
  int rc = act_add(c->p, EDDY__A_VALUE, w, out);
  if (rc < 0)
    return rc;
  eddy__avro_act_t *a = &c->p->acts[*out];
  a->field = field;
  a->unit = c->trie->unit[field];
  a->sem = eddy__avro_sem(w);
  return 0;
}

static int compile(cc_t *c, const eddy_sr_node_t *w, int32_t node, uint32_t *out) {
  const eddy__node_t *n = node >= 0 ? &c->trie->nodes[node] : NULL;
  if (n == NULL || (n->field < 0 && n->first_child < 0))
    return act_add(c->p, EDDY__A_SKIP, w, out);
  if (w->type == EDDY_SR_NULL)
    return act_add(c->p, EDDY__A_NOP, w, out);
  if (w->type == EDDY_SR_UNION)
    return compile_union(c, w, node, out);
  uint32_t acts[8], cnt = 0;
  int rc = 0;
  for (int32_t f = n->field; f >= 0 && rc == 0; f = c->trie->dup_next[f]) {
    if (cnt == sizeof(acts) / sizeof(acts[0]) - 1) {
      /* more columns on one path than fit here: nest the rest */
      rc = group_add(c->p, EDDY__A_MULTI, w, acts, cnt, &acts[0]);
      cnt = 1;
    }
    if (rc == 0)
      rc = value_add(c, w, f, &acts[cnt++]);
  }
  if (rc == 0 && n->first_child >= 0)
    rc = compile_members(c, w, node, &acts[cnt++]);
  if (rc < 0)
    return rc;
  if (cnt == 1) {
    *out = acts[0];
    return 0;
  }
  return group_add(c->p, EDDY__A_MULTI, w, acts, cnt, out);
}

void eddy__avro_plan_destroy(eddy__avro_plan_t *p) {
  if (p == NULL)
    return;
  eddy_free(p->acts);
  eddy_free(p->kids);
  eddy_free(p);
}

int eddy__avro_plan_new(eddy__avro_plan_t **out, const eddy_avro_decoder_t *d, int id,
                        const eddy_sr_schema_t *schema) {
  eddy__avro_plan_t *p = eddy_calloc(1, sizeof(*p));
  if (p == NULL)
    return EDDY_ENOMEM;
  p->id = id;
  p->schema = schema;
  cc_t c = {.p = p, .trie = d->trie};
  const eddy_sr_node_t *root = eddy_sr_schema_root(schema);
  int32_t node = 0;
  /* A plain Avro value that is not a record is the column `value`. */
  if (d->format == EDDY_FMT_AVRO && root->type != EDDY_SR_RECORD &&
      root->type != EDDY_SR_UNION)
    node = eddy__node_child(d->trie, 0, "value", 5);
  int rc = compile(&c, root, node, &p->root);
  if (rc < 0) {
    eddy__avro_plan_destroy(p);
    return rc;
  }
  *out = p;
  return 0;
}
