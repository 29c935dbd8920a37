/*
 * The Kafka Connect schema that JsonConverter sends with schemas.enable:
 *
 *   {"type":"struct","fields":[
 *     {"type":"struct","optional":true,"field":"after","fields":[
 *       {"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal",
 *        "version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},
 *        "field":"amount"}, ...]}, ...]}
 *
 * Only the parts on wanted paths are read: for each wanted field, its type,
 * logical name and decimal scale (and those of an array's items). Member
 * order inside a field schema is free ("field" often comes last), so the
 * positions of "fields" and "items" are remembered and revisited once the
 * field's name is known.
 */
#include <stdio.h>
#include <string.h>

#include "serde/decoder_int.h"

static const char *const ctype_names[] = {
  [EDDY__CT_NONE] = "", [EDDY__CT_INT8] = "int8", [EDDY__CT_INT16] = "int16",
  [EDDY__CT_INT32] = "int32", [EDDY__CT_INT64] = "int64", [EDDY__CT_FLOAT32] = "float32",
  [EDDY__CT_FLOAT64] = "float64", [EDDY__CT_BOOLEAN] = "boolean", [EDDY__CT_STRING] = "string",
  [EDDY__CT_BYTES] = "bytes", [EDDY__CT_ARRAY] = "array", [EDDY__CT_MAP] = "map",
  [EDDY__CT_STRUCT] = "struct", [EDDY__CT_OTHER] = "unknown",
};

static const struct {
  const char *name;
  uint8_t logical;
} logical_names[] = {
  {"org.apache.kafka.connect.data.Decimal", EDDY__LG_DECIMAL},
  {"io.debezium.data.Decimal", EDDY__LG_DECIMAL},
  {"io.debezium.data.VariableScaleDecimal", EDDY__LG_VARDECIMAL},
  {"io.debezium.time.Date", EDDY__LG_DATE},
  {"org.apache.kafka.connect.data.Date", EDDY__LG_DATE},
  {"io.debezium.time.Timestamp", EDDY__LG_TS_MS},
  {"org.apache.kafka.connect.data.Timestamp", EDDY__LG_TS_MS},
  {"io.debezium.time.MicroTimestamp", EDDY__LG_TS_US},
  {"io.debezium.time.NanoTimestamp", EDDY__LG_TS_NS},
  {"io.debezium.time.ZonedTimestamp", EDDY__LG_TS_ISO},
  {"io.debezium.time.IsoTimestamp", EDDY__LG_TS_ISO},
  {"io.debezium.time.IsoDate", EDDY__LG_TS_ISO},
  {"io.debezium.time.Time", EDDY__LG_TIME_MS},
  {"org.apache.kafka.connect.data.Time", EDDY__LG_TIME_MS},
  {"io.debezium.time.MicroTime", EDDY__LG_TIME_US},
  {"io.debezium.time.NanoTime", EDDY__LG_TIME_NS},
  {"io.debezium.time.ZonedTime", EDDY__LG_TIME_ISO},
  {"io.debezium.time.IsoTime", EDDY__LG_TIME_ISO},
  {"io.debezium.time.MicroDuration", EDDY__LG_DUR_US},
  {"io.debezium.time.NanoDuration", EDDY__LG_DUR_NS},
};

static bool jstr_is(const eddy__jstr_t *s, const char *lit) {
  size_t n = strlen(lit);
  return !s->escaped && s->len == n && memcmp(s->p, lit, n) == 0;
}

static uint8_t ctype_of(const eddy__jstr_t *s) {
  for (uint8_t i = EDDY__CT_INT8; i < EDDY__CT_OTHER; i++)
    if (jstr_is(s, ctype_names[i]))
      return i;
  return EDDY__CT_OTHER;
}

uint8_t eddy__connect_logical(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof(logical_names) / sizeof(logical_names[0]); i++)
    if (strlen(logical_names[i].name) == len && memcmp(logical_names[i].name, name, len) == 0)
      return logical_names[i].logical;
  return EDDY__LG_OTHER;
}

static uint8_t logical_of(const eddy__jstr_t *s) {
  return s->escaped ? EDDY__LG_OTHER : eddy__connect_logical(s->p, s->len);
}

const char *eddy__stype_name(const eddy__stype_t *s, char *buf, size_t size) {
  const char *logical = NULL;
  for (size_t i = 0; i < sizeof(logical_names) / sizeof(logical_names[0]) && !logical; i++)
    if (logical_names[i].logical == s->logical)
      logical = logical_names[i].name;
  if (s->logical == EDDY__LG_OTHER || logical == NULL)
    snprintf(buf, size, "%s", ctype_names[s->ctype]);
  else
    snprintf(buf, size, "%s (%s)", ctype_names[s->ctype], logical);
  return buf;
}

/* ---- one field schema -------------------------------------------------- */

typedef struct {
  eddy__jstr_t field;       /* "field": the member name */
  eddy__stype_t type;
  const char *fields_at;    /* "fields" array of a struct, or NULL */
  const char *items_at;     /* "items" schema of an array, or NULL */
  uint32_t fields_depth, items_depth;
} fschema_t;

/* "parameters": {"scale": "2", ...}: Connect writes parameter values as strings. */
static int read_parameters(eddy__json_t *j, eddy__stype_t *t) {
  eddy__jstr_t key, tok;
  bool first = true;
  int rc = eddy__json_obj_open(j);
  while (rc >= 0 && (rc = eddy__json_obj_key(j, &first, &key)) == 1) {
    int ch = eddy__json_peek(j);
    int64_t scale;
    if (!jstr_is(&key, "scale") || (ch != '"' && (ch < '0' || ch > '9') && ch != '-')) {
      rc = eddy__json_skip(j);
      continue;
    }
    rc = ch == '"' ? eddy__json_string(j, &tok) : eddy__json_number(j, &tok);
    if (rc >= 0 && eddy__num_int(tok.p, tok.len, &scale) == 0 && scale > -1000 && scale < 1000)
      t->scale = (int16_t)scale;
  }
  return rc;
}

static int read_string_member(eddy__json_t *j, eddy__jstr_t *out) {
  if (eddy__json_peek(j) != '"')
    return eddy__json_skip(j); /* null name etc.: ignored */
  return eddy__json_string(j, out);
}

static int collect(eddy__json_t *j, fschema_t *fs) {
  eddy__jstr_t key, s;
  bool first = true;
  int rc;
  memset(fs, 0, sizeof(*fs));
  fs->type.scale = -1;
  if (eddy__json_peek(j) != '{')
    return eddy__json_unexpected(j, j->p, "a field schema object");
  rc = eddy__json_obj_open(j);
  while (rc >= 0 && (rc = eddy__json_obj_key(j, &first, &key)) == 1) {
    int ch = eddy__json_peek(j);
    if (jstr_is(&key, "field")) {
      rc = read_string_member(j, &fs->field);
    } else if (jstr_is(&key, "type") && ch == '"') {
      if ((rc = eddy__json_string(j, &s)) >= 0)
        fs->type.ctype = ctype_of(&s);
    } else if (jstr_is(&key, "name") && ch == '"') {
      if ((rc = eddy__json_string(j, &s)) >= 0)
        fs->type.logical = logical_of(&s);
    } else if (jstr_is(&key, "parameters") && ch == '{') {
      rc = read_parameters(j, &fs->type);
    } else {
      if (jstr_is(&key, "fields") && ch == '[') {
        fs->fields_at = j->p;
        fs->fields_depth = j->depth;
      } else if (jstr_is(&key, "items") && ch == '{') {
        fs->items_at = j->p;
        fs->items_depth = j->depth;
      }
      rc = eddy__json_skip(j);
    }
  }
  return rc;
}

/* ---- walking the struct schemas along the trie ------------------------- */

static int read_fields(eddy__dctx_t *c, int32_t parent);

/* Parse, at an earlier position, a part already validated by the skip. */
static int revisit(eddy__dctx_t *c, const char *at, uint32_t depth, int32_t parent,
                   eddy__stype_t *items) {
  const char *save_p = c->j.p;
  uint32_t save_depth = c->j.depth;
  fschema_t fs;
  int rc;
  c->j.p = at;
  c->j.depth = depth;
  if (items != NULL) {
    rc = collect(&c->j, &fs);
    *items = fs.type;
  } else {
    rc = read_fields(c, parent);
  }
  c->j.p = save_p;
  c->j.depth = save_depth;
  return rc;
}

static int apply(eddy__dctx_t *c, int32_t parent, const fschema_t *fs) {
  eddy_decoder_t *d = c->d;
  int rc = 0;
  if (fs->field.p == NULL)
    return 0;
  int32_t node = eddy__node_child_key(c, parent, &fs->field);
  if (node < 0)
    return 0;
  for (int32_t f = d->nodes[node].field; f >= 0; f = d->dup_next[f]) {
    eddy__sinfo_t *si = &d->sinfo[f];
    si->present = true;
    si->type = fs->type;
    if (fs->items_at && (rc = revisit(c, fs->items_at, fs->items_depth, -1, &si->elem)) < 0)
      return rc;
  }
  if (d->nodes[node].first_child >= 0 && fs->fields_at)
    rc = revisit(c, fs->fields_at, fs->fields_depth, node, NULL);
  return rc;
}

/* The "fields" array of a struct schema whose members map to \p parent. */
static int read_fields(eddy__dctx_t *c, int32_t parent) {
  bool first = true;
  fschema_t fs;
  int rc = eddy__json_arr_open(&c->j);
  while (rc >= 0 && (rc = eddy__json_arr_next(&c->j, &first)) == 1)
    if ((rc = collect(&c->j, &fs)) >= 0)
      rc = apply(c, parent, &fs);
  return rc;
}

static void remember(eddy_decoder_t *d, const char *p, size_t len, bool is_null) {
  d->schema_len = 0;
  if (len > d->schema_cap) {
    char *text = eddy_realloc(d->schema_text, len);
    if (text == NULL)
      return; /* no cache: the next message parses its schema again */
    d->schema_text = text;
    d->schema_cap = len;
  }
  memcpy(d->schema_text, p, len);
  d->schema_len = len;
  d->schema_null = is_null;
}

int eddy__schema_read(eddy__dctx_t *c) {
  eddy_decoder_t *d = c->d;
  eddy__json_t *j = &c->j;
  int rc, ch = eddy__json_peek(j);
  const char *start = j->p;
  if (d->schema_len > 0 && (size_t)(j->end - start) >= d->schema_len &&
      memcmp(start, d->schema_text, d->schema_len) == 0) {
    j->p += d->schema_len; /* the same bytes as last time: the same schema */
    c->sinfo = d->schema_null ? NULL : d->sinfo;
    return 0;
  }
  d->schema_len = 0;
  memset(d->sinfo, 0, d->field_cnt * sizeof(*d->sinfo));
  c->sinfo = NULL;
  if (ch == 'n') {
    if ((rc = eddy__json_literal(j, "null", 4)) == 0)
      remember(d, start, (size_t)(j->p - start), true);
    return rc;
  }
  fschema_t top;
  if ((rc = collect(j, &top)) < 0)
    return rc;
  if (top.fields_at && (rc = revisit(c, top.fields_at, top.fields_depth, 0, NULL)) < 0)
    return rc;
  remember(d, start, (size_t)(j->p - start), false);
  c->sinfo = d->sinfo;
  return 0;
}
