/*
 * Decoders: construction from a decode spec, and the walk of a JSON
 * document along the trie of wanted paths (see decoder_int.h).
 */
#include <string.h>

#include "serde/codec.h"
#include "serde/decoder_int.h"

/* ---- the path trie ----------------------------------------------------- */

static int32_t node_add(eddy_decoder_t *d, const char *name, size_t len, const char *path) {
  if (d->node_cnt == d->node_cap) {
    uint32_t cap = d->node_cap ? d->node_cap * 2 : 16;
    eddy__node_t *n = eddy_realloc(d->nodes, cap * sizeof(*n));
    if (n == NULL)
      return EDDY_ENOMEM;
    d->nodes = n;
    d->node_cap = cap;
  }
  eddy__node_t *n = &d->nodes[d->node_cnt];
  n->name = name;
  n->name_len = (uint32_t)len;
  n->field = -1;
  n->first_child = -1;
  n->next_sibling = -1;
  n->path = path;
  return (int32_t)d->node_cnt++;
}

int32_t eddy__node_child(const eddy_decoder_t *d, int32_t node, const char *name, size_t len) {
  for (int32_t i = d->nodes[node].first_child; i >= 0; i = d->nodes[i].next_sibling) {
    const eddy__node_t *n = &d->nodes[i];
    if (n->name_len == len && memcmp(n->name, name, len) == 0)
      return i;
  }
  return -1;
}

/* Find or create the child \p name of \p parent. */
static int32_t node_child_add(eddy_decoder_t *d, int32_t parent, const char *name,
                              const char *path) {
  size_t len = strlen(name);
  int32_t i = eddy__node_child(d, parent, name, len);
  if (i >= 0)
    return i;
  if ((i = node_add(d, name, len, path)) < 0)
    return i;
  /* Append, so that siblings keep the layout's order. */
  int32_t *link = &d->nodes[parent].first_child;
  while (*link >= 0)
    link = &d->nodes[*link].next_sibling;
  *link = i;
  return i;
}

/* Split a dotted layout name into a NULL-terminated component list. */
static const char *const *split_name(eddy_arena_t *a, const char *name) {
  size_t cnt = 1;
  for (const char *s = name; *s; s++)
    cnt += *s == '.';
  const char **parts = eddy_arena_calloc(a, cnt + 1, sizeof(*parts));
  if (parts == NULL)
    return NULL;
  const char *s = name;
  for (size_t i = 0; i < cnt; i++) {
    const char *dot = strchr(s, '.');
    size_t len = dot ? (size_t)(dot - s) : strlen(s);
    if ((parts[i] = eddy_arena_strndup(a, s, len)) == NULL)
      return NULL;
    s += len + 1;
  }
  return parts;
}

/* Envelope timing fields carry their unit in the name (Debezium only). */
static uint8_t name_unit(const char *last) {
  if (strcmp(last, "ts_ms") == 0)
    return EDDY__U_MS;
  if (strcmp(last, "ts_us") == 0)
    return EDDY__U_US;
  if (strcmp(last, "ts_ns") == 0)
    return EDDY__U_NS;
  return EDDY__U_DEFAULT;
}

static int add_field(eddy_decoder_t *d, uint32_t f, const char *const *path) {
  const eddy_field_t *fld = &d->spec->layout->items[f];
  int32_t node = 0;
  const char *last = "", *prefix = NULL;
  for (size_t k = 0; path[k] != NULL; k++) {
    prefix = prefix ? eddy_arena_printf(d->arena, "%s.%s", prefix, path[k]) : path[k];
    if (prefix == NULL)
      return EDDY_ENOMEM;
    if ((node = node_child_add(d, node, path[k], prefix)) < 0)
      return node;
    last = path[k];
  }
  if (node == 0)
    return EDDY_EINVAL; /* an empty path */
  if (d->spec->format == EDDY_FMT_DEBEZIUM_JSON && fld->type.kind == EDDY_T_TIMESTAMP &&
      fld->type.scale == 0 && fld->type.precision == 0)
    d->unit[f] = name_unit(last);
  int32_t *slot = &d->nodes[node].field;
  while (*slot >= 0)
    slot = &d->dup_next[*slot];
  *slot = (int32_t)f;
  return 0;
}

static int build_trie(eddy_decoder_t *d, eddy_error_t **err) {
  const eddy_decode_spec_t *spec = d->spec;
  if (node_add(d, "", 0, "") < 0)
    return EDDY_ENOMEM;
  for (uint32_t f = 0; f < d->field_cnt; f++) {
    d->dup_next[f] = -1;
    if (spec->wanted != NULL && !spec->wanted[f])
      continue;
    const char *const *path = spec->paths ? spec->paths[f] : NULL;
    if (path == NULL && (path = split_name(d->arena, spec->layout->items[f].name)) == NULL)
      return EDDY_ENOMEM;
    int rc = add_field(d, f, path);
    if (rc == EDDY_EINVAL)
      return eddy_error_set(err, EDDY_EINVAL, "decoder: field %u ('%s') has an empty path",
                            f, spec->layout->items[f].name);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* ---- construction ------------------------------------------------------ */

void eddy_decoder_destroy(eddy_decoder_t *d) {
  if (d == NULL)
    return;
  eddy_free(d->nodes);
  eddy_free(d->dup_next);
  eddy_free(d->unit);
  eddy_free(d->sinfo);
  eddy_free(d->schema_text);
  eddy_arena_destroy(d->arena);
  eddy_free(d);
}

static int check_spec(const eddy_decode_spec_t *spec, eddy_error_t **err) {
  if (spec == NULL || spec->layout == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "decoder: no row layout");
  switch (spec->format) {
  case EDDY_FMT_DEBEZIUM_JSON:
  case EDDY_FMT_JSON:
  case EDDY_FMT_STRING:
  case EDDY_FMT_ROW:
    return 0;
  default:
    return eddy_error_set(err, EDDY_EINVAL,
                          "decoder: only debezium-json, json, string and internal row sources "
                          "are decoded here (Avro needs the schema registry decoder)");
  }
}

int eddy_decoder_new(eddy_decoder_t **out, const eddy_decode_spec_t *spec, eddy_error_t **err) {
  *out = NULL;
  int rc = check_spec(spec, err);
  if (rc < 0)
    return rc;
  eddy_decoder_t *d = eddy_calloc(1, sizeof(*d));
  if (d == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "decoder: out of memory");
  d->spec = spec;
  d->field_cnt = spec->layout->cnt;
  size_t n = d->field_cnt ? d->field_cnt : 1;
  d->dup_next = eddy_malloc(n * sizeof(*d->dup_next));
  d->unit = eddy_calloc(n, sizeof(*d->unit));
  d->sinfo = eddy_calloc(n, sizeof(*d->sinfo));
  d->arena = eddy_arena_new(1024);
  if (d->dup_next == NULL || d->unit == NULL || d->sinfo == NULL || d->arena == NULL) {
    rc = EDDY_ENOMEM;
    goto fail;
  }
  if (spec->format != EDDY_FMT_STRING && spec->format != EDDY_FMT_ROW &&
      (rc = build_trie(d, err)) < 0)
    goto fail;
  *out = d;
  return 0;
fail:
  eddy_decoder_destroy(d);
  return rc == EDDY_ENOMEM ? eddy_error_set(err, EDDY_ENOMEM, "decoder: out of memory") : rc;
}

/* ---- the walk ---------------------------------------------------------- */

int32_t eddy__node_child_key(eddy__dctx_t *c, int32_t node, const eddy__jstr_t *key) {
  if (!key->escaped)
    return eddy__node_child(c->d, node, key->p, key->len);
  char small[128];
  char *buf = key->len <= sizeof(small) ? small : eddy_arena_alloc(c->arena, key->len);
  if (buf == NULL)
    return -1;
  size_t len = eddy__json_unescape_to(key, buf);
  return eddy__node_child(c->d, node, buf, len);
}

static int read_one(eddy__dctx_t *c, int32_t field) {
  const eddy_decoder_t *d = c->d;
  const eddy__sinfo_t *si = c->sinfo && c->sinfo[field].present ? &c->sinfo[field] : NULL;
  eddy__vspec_t vs = {
    .type = &d->spec->layout->items[field].type,
    .stype = si ? &si->type : NULL,
    .selem = si ? &si->elem : NULL,
    .unit = d->unit[field],
    .path = d->spec->layout->items[field].name,
  };
  return eddy__value_read(c, &vs, &c->vals[field]);
}

static bool same_reading(const eddy_decoder_t *d, int32_t a, int32_t b) {
  const eddy_type_t *ta = &d->spec->layout->items[a].type;
  const eddy_type_t *tb = &d->spec->layout->items[b].type;
  return d->unit[a] == d->unit[b] && ta->precision == tb->precision &&
         ta->scale == tb->scale && eddy_type_equal(ta, tb);
}

/* Several fields may share a path: read once per distinct type. */
int eddy__decode_field(eddy__dctx_t *c, int32_t field) {
  const eddy_decoder_t *d = c->d;
  const char *at = c->j.p;
  int rc = read_one(c, field);
  if (rc < 0 || d->dup_next[field] < 0)
    return rc;
  const char *after = c->j.p;
  for (int32_t f = d->dup_next[field]; f >= 0; f = d->dup_next[f]) {
    if (same_reading(d, field, f)) {
      c->vals[f] = c->vals[field];
      continue;
    }
    c->j.p = at;
    if ((rc = read_one(c, f)) < 0)
      return rc;
  }
  c->j.p = after;
  return 0;
}

/* The member's value is an object holding wanted paths (or null). */
static int decode_children(eddy__dctx_t *c, int32_t node) {
  int ch = eddy__json_peek(&c->j);
  if (ch == '{')
    return eddy__decode_object(c, node);
  if (ch == 'n')
    return eddy__json_literal(&c->j, "null", 4);
  eddy__vspec_t vs = {.path = c->d->nodes[node].path};
  return eddy__value_mismatch(c, &vs, "object");
}

static int decode_member(eddy__dctx_t *c, int32_t node) {
  const eddy__node_t *n = &c->d->nodes[node];
  if (n->field < 0)
    return decode_children(c, node);
  if (n->first_child < 0)
    return eddy__decode_field(c, n->field);
  /* Both the value and some of its members are wanted: read it twice. */
  const char *at = c->j.p;
  int rc = eddy__decode_field(c, n->field);
  if (rc < 0)
    return rc;
  const char *after = c->j.p;
  c->j.p = at;
  if ((rc = decode_children(c, node)) < 0)
    return rc;
  c->j.p = after;
  return 0;
}

int eddy__decode_object(eddy__dctx_t *c, int32_t node) {
  int rc = eddy__json_obj_open(&c->j);
  bool first = true;
  eddy__jstr_t key;
  while (rc >= 0 && (rc = eddy__json_obj_key(&c->j, &first, &key)) == 1) {
    int32_t child = eddy__node_child_key(c, node, &key);
    rc = child < 0 ? eddy__json_skip(&c->j) : decode_member(c, child);
  }
  return rc;
}

/* ---- entry points ------------------------------------------------------ */

static int decode_string_format(eddy__dctx_t *c, const char *p, size_t len) {
  const eddy_fields_t *layout = c->d->spec->layout;
  size_t bad;
  if (len > UINT32_MAX)
    return eddy_error_set(c->j.err, EDDY_EDECODE, "message longer than 4 GB");
  if (!eddy__utf8_valid(p, len, &bad))
    return eddy_error_set(c->j.err, EDDY_EDECODE, "not valid UTF-8 at byte %zu", bad);
  int idx = -1;
  for (uint32_t i = 0; i < layout->cnt && idx < 0; i++)
    if (strcmp(layout->items[i].name, "value") == 0)
      idx = (int)i;
  if (idx < 0 && layout->cnt > 0)
    idx = 0;
  if (idx >= 0 && (c->d->spec->wanted == NULL || c->d->spec->wanted[idx]))
    c->vals[idx] = eddy_string(p ? p : "", len);
  return 0;
}

static int decode_plain_json(eddy__dctx_t *c) {
  int ch = eddy__json_peek(&c->j);
  int rc;
  if (ch == 'n') {
    if ((rc = eddy__json_literal(&c->j, "null", 4)) < 0 || (rc = eddy__json_finish(&c->j)) < 0)
      return rc;
    return EDDY_ENOENT;
  }
  if (ch != '{')
    return eddy__json_unexpected(&c->j, c->j.p, "a JSON object");
  if ((rc = eddy__decode_object(c, 0)) < 0)
    return rc;
  return eddy__json_finish(&c->j);
}

int eddy_decoder_decode(eddy_decoder_t *d, const void *payload, size_t len, eddy_value_t *vals,
                        eddy_arena_t *arena, eddy_error_t **err) {
  eddy__dctx_t c = {.d = d, .vals = vals, .arena = arena};
  const eddy_decode_spec_t *spec = d->spec;
  memset(vals, 0, d->field_cnt * sizeof(*vals));
  eddy__json_init(&c.j, payload, payload ? len : 0, err);
  if (spec->format == EDDY_FMT_STRING) {
    if (payload == NULL)
      return EDDY_ENOENT;
    return decode_string_format(&c, payload, len);
  }
  if (payload == NULL || len == 0)
    return EDDY_ENOENT; /* a tombstone */
  if (spec->format == EDDY_FMT_ROW)
    return eddy_codec_get_row(payload, len, spec->layout, vals, err);
  c.debezium = spec->format == EDDY_FMT_DEBEZIUM_JSON;
  int rc = c.debezium ? eddy__decode_debezium(&c) : decode_plain_json(&c);
  if (rc == EDDY_ENOMEM) /* the arena could not grow */
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory decoding a record");
  return rc;
}
