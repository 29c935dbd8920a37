/*
 * Canonical text of a parsed Avro schema, and default-value validation.
 *
 * The canonical text is what Avro's Schema.toString() writes: compact JSON,
 * attributes in a fixed order, each named type defined at its first use and
 * referenced by name afterwards, names written relative to the enclosing
 * namespace. Whitespace and attribute order of the input therefore do not
 * change it; docs, defaults, aliases and custom attributes do.
 */
#include <math.h>
#include <string.h>

#include "schema-registry/sr_schema_int.h"

typedef struct {
  eddy_buf_t *out;
  eddy_sr_node_t **marked;  /* named nodes defined so far (marks to reset) */
  int marked_cnt;
  int marked_cap;
} emit_t;

int eddy__sr_json_quote(eddy_buf_t *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  int rc = eddy_buf_putc(out, '"');
  for (const unsigned char *c = (const unsigned char *)s; rc == 0 && *c; c++) {
    if (*c == '"' || *c == '\\') {
      char esc[2] = {'\\', (char)*c};
      rc = eddy_buf_append(out, esc, 2);
    } else if (*c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
      rc = eddy_buf_append(out, esc, 6);
    } else {
      rc = eddy_buf_putc(out, (char)*c);
    }
  }
  return rc != 0 ? rc : eddy_buf_putc(out, '"');
}

static int key(emit_t *e, const char *k) {
  int rc = eddy_buf_putc(e->out, ',');
  if (rc == 0)
    rc = eddy__sr_json_quote(e->out, k);
  return rc != 0 ? rc : eddy_buf_putc(e->out, ':');
}

static int key_string(emit_t *e, const char *k, const char *v) {
  int rc = key(e, k);
  return rc != 0 ? rc : eddy__sr_json_quote(e->out, v);
}

static int props(emit_t *e, const eddy_sr_prop_t *p, int cnt) {
  int rc = 0;
  for (int i = 0; rc == 0 && i < cnt; i++) {
    rc = key(e, p[i].key);
    if (rc == 0)
      rc = eddy_buf_puts(e->out, p[i].json);
  }
  return rc;
}

/* A name relative to \p space: short when the namespaces agree. */
static const char *relative(const char *fullname, const char *space) {
  const char *dot = strrchr(fullname, '.');
  if (dot == NULL)
    return fullname;
  size_t len = (size_t)(dot - fullname);
  if (strlen(space) == len && strncmp(fullname, space, len) == 0)
    return dot + 1;
  return fullname;
}

static int names(emit_t *e, const char *k, const char **list, int cnt, const char *space) {
  if (cnt == 0)
    return 0;
  int rc = key(e, k);
  if (rc == 0)
    rc = eddy_buf_putc(e->out, '[');
  for (int i = 0; rc == 0 && i < cnt; i++) {
    if (i > 0)
      rc = eddy_buf_putc(e->out, ',');
    if (rc == 0)
      rc = eddy__sr_json_quote(e->out, space ? relative(list[i], space) : list[i]);
  }
  return rc != 0 ? rc : eddy_buf_putc(e->out, ']');
}

static int emit(emit_t *e, eddy_sr_node_t *n, const char *space);

static int emit_field(emit_t *e, const eddy_sr_field_t *f, const char *space) {
  int rc = eddy_buf_puts(e->out, "{\"name\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(e->out, f->name);
  if (rc == 0)
    rc = key(e, "type");
  if (rc == 0)
    rc = emit(e, f->type, space);
  if (rc == 0 && f->doc)
    rc = key_string(e, "doc", f->doc);
  if (rc == 0 && f->default_json) {
    rc = key(e, "default");
    if (rc == 0)
      rc = eddy_buf_puts(e->out, f->default_json);
  }
  if (rc == 0 && f->order && strcmp(f->order, "ascending") != 0)
    rc = key_string(e, "order", f->order);
  if (rc == 0)
    rc = props(e, f->props, f->prop_cnt);
  if (rc == 0)
    rc = names(e, "aliases", f->aliases, f->alias_cnt, NULL);
  return rc != 0 ? rc : eddy_buf_putc(e->out, '}');
}

static int emit_fields(emit_t *e, eddy_sr_node_t *n) {
  int rc = key(e, "fields");
  if (rc == 0)
    rc = eddy_buf_putc(e->out, '[');
  for (int i = 0; rc == 0 && i < n->field_cnt; i++) {
    if (i > 0)
      rc = eddy_buf_putc(e->out, ',');
    if (rc == 0)
      rc = emit_field(e, &n->fields[i], n->space);
  }
  return rc != 0 ? rc : eddy_buf_putc(e->out, ']');
}

static int mark(emit_t *e, eddy_sr_node_t *n) {
  if (e->marked_cnt == e->marked_cap) {
    int cap = e->marked_cap ? e->marked_cap * 2 : 16;
    eddy_sr_node_t **m = eddy_realloc(e->marked, (size_t)cap * sizeof(*m));
    if (m == NULL)
      return EDDY_ENOMEM;
    e->marked = m;
    e->marked_cap = cap;
  }
  e->marked[e->marked_cnt++] = n;
  n->mark = 1;
  return 0;
}

static int emit_named(emit_t *e, eddy_sr_node_t *n, const char *space) {
  if (n->mark)   /* defined already: a reference */
    return eddy__sr_json_quote(e->out, strcmp(n->space, space) == 0 || *n->space == '\0'
                                           ? n->name : n->fullname);
  int rc = mark(e, n);
  if (rc == 0)
    rc = eddy_buf_puts(e->out, "{\"type\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(e->out, eddy_sr_type_name(n->type));
  if (rc == 0)
    rc = key_string(e, "name", n->name);
  if (rc == 0 && strcmp(n->space, space) != 0)
    rc = key_string(e, "namespace", n->space);
  if (rc == 0 && n->doc)
    rc = key_string(e, "doc", n->doc);
  if (rc == 0 && n->type == EDDY_SR_RECORD)
    rc = emit_fields(e, n);
  if (rc == 0 && n->type == EDDY_SR_ENUM)
    rc = names(e, "symbols", n->symbols, n->symbol_cnt, NULL);
  if (rc == 0 && n->type == EDDY_SR_FIXED) {
    rc = key(e, "size");
    if (rc == 0)
      rc = eddy_buf_printf(e->out, "%lld", (long long)n->size);
  }
  if (rc == 0)
    rc = props(e, n->props, n->prop_cnt);
  if (rc == 0)
    rc = names(e, "aliases", n->aliases, n->alias_cnt, n->space);
  if (rc == 0 && n->enum_default)
    rc = key_string(e, "default", n->enum_default);
  return rc != 0 ? rc : eddy_buf_putc(e->out, '}');
}

static int emit_union(emit_t *e, eddy_sr_node_t *n, const char *space) {
  int rc = eddy_buf_putc(e->out, '[');
  for (int i = 0; rc == 0 && i < n->branch_cnt; i++) {
    if (i > 0)
      rc = eddy_buf_putc(e->out, ',');
    if (rc == 0)
      rc = emit(e, n->branches[i], space);
  }
  return rc != 0 ? rc : eddy_buf_putc(e->out, ']');
}

static int emit_container(emit_t *e, eddy_sr_node_t *n, const char *space) {
  bool array = n->type == EDDY_SR_ARRAY;
  int rc = eddy_buf_puts(e->out, array ? "{\"type\":\"array\"" : "{\"type\":\"map\"");
  if (rc == 0)
    rc = key(e, array ? "items" : "values");
  if (rc == 0)
    rc = emit(e, n->items, space);
  if (rc == 0)
    rc = props(e, n->props, n->prop_cnt);
  return rc != 0 ? rc : eddy_buf_putc(e->out, '}');
}

static int emit(emit_t *e, eddy_sr_node_t *n, const char *space) {
  switch (n->type) {
  case EDDY_SR_RECORD:
  case EDDY_SR_ENUM:
  case EDDY_SR_FIXED:
    return emit_named(e, n, space);
  case EDDY_SR_ARRAY:
  case EDDY_SR_MAP:
    return emit_container(e, n, space);
  case EDDY_SR_UNION:
    return emit_union(e, n, space);
  default:
    break;
  }
  if (n->prop_cnt == 0)
    return eddy__sr_json_quote(e->out, eddy_sr_type_name(n->type));
  int rc = eddy_buf_puts(e->out, "{\"type\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(e->out, eddy_sr_type_name(n->type));
  if (rc == 0)
    rc = props(e, n->props, n->prop_cnt);
  return rc != 0 ? rc : eddy_buf_putc(e->out, '}');
}

int eddy__sr_schema_emit(eddy_sr_node_t *root, eddy_buf_t *out) {
  emit_t e = {.out = out};
  int rc = emit(&e, root, "");
  for (int i = 0; i < e.marked_cnt; i++)
    e.marked[i]->mark = 0;
  eddy_free(e.marked);
  return rc;
}

/* ---- defaults ------------------------------------------------------------ */

static bool integral(const cJSON *v, double lo, double hi) {
  return cJSON_IsNumber(v) && floor(v->valuedouble) == v->valuedouble &&
         v->valuedouble >= lo && v->valuedouble <= hi;
}

static bool record_default_valid(const eddy_sr_node_t *n, const cJSON *v, int depth) {
  if (!cJSON_IsObject(v))
    return false;
  for (int i = 0; i < n->field_cnt; i++) {
    const eddy_sr_field_t *f = &n->fields[i];
    if (f->type == NULL)       /* recursive use while the record is being parsed */
      return false;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(v, f->name);
    if (fv == NULL ? f->default_json == NULL : !eddy__sr_default_valid(f->type, fv, depth + 1))
      return false;
  }
  return true;
}

static bool enum_default_valid(const eddy_sr_node_t *n, const cJSON *v) {
  if (!cJSON_IsString(v))
    return false;
  for (int i = 0; i < n->symbol_cnt; i++)
    if (n->symbols[i] != NULL && strcmp(n->symbols[i], v->valuestring) == 0)
      return true;
  return false;
}

static bool elements_valid(const eddy_sr_node_t *items, const cJSON *v, int depth) {
  const cJSON *it;
  cJSON_ArrayForEach(it, v) if (!eddy__sr_default_valid(items, it, depth + 1)) return false;
  return true;
}

bool eddy__sr_default_valid(const eddy_sr_node_t *n, const cJSON *v, int depth) {
  if (depth > EDDY_SR_SCHEMA_MAX_DEPTH || n == NULL)
    return false;
  switch (n->type) {
  case EDDY_SR_NULL: return cJSON_IsNull(v);
  case EDDY_SR_BOOLEAN: return cJSON_IsBool(v);
  case EDDY_SR_INT: return integral(v, -2147483648.0, 2147483647.0);
  case EDDY_SR_LONG: return integral(v, -9223372036854775808.0, 9223372036854775807.0);
  case EDDY_SR_FLOAT:
  case EDDY_SR_DOUBLE: return cJSON_IsNumber(v);
  case EDDY_SR_BYTES:
  case EDDY_SR_STRING:
  case EDDY_SR_FIXED: return cJSON_IsString(v);
  case EDDY_SR_ENUM: return enum_default_valid(n, v);
  case EDDY_SR_ARRAY: return cJSON_IsArray(v) && elements_valid(n->items, v, depth);
  case EDDY_SR_MAP: return cJSON_IsObject(v) && elements_valid(n->items, v, depth);
  case EDDY_SR_RECORD: return record_default_valid(n, v, depth);
  case EDDY_SR_UNION:
    /* Avro 1.12 wording: the default matches some branch (1.11 said the first). */
    for (int i = 0; i < n->branch_cnt; i++)
      if (n->branches[i] != NULL && eddy__sr_default_valid(n->branches[i], v, depth + 1))
        return true;
    return false;
  }
  return false;
}
