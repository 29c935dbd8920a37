/*
 * Avro schema parser: JSON text -> validated node graph (see avro_schema.h).
 *
 * Follows the specification's "Schema Declaration" and "Names" sections, with
 * the name lookup of the reference implementation: a short name is first
 * resolved in the enclosing namespace, then in the null namespace.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-registry/sr_schema_int.h"

typedef struct {
  eddy_arena_t *arena;
  eddy_sr_node_t **named;   /* every named type defined so far */
  int named_cnt;
  int named_cap;
  eddy_error_t **err;
  int depth;
  bool oom;
} parse_t;

static const char *const primitive_names[] = {
    [EDDY_SR_NULL] = "null",     [EDDY_SR_BOOLEAN] = "boolean", [EDDY_SR_INT] = "int",
    [EDDY_SR_LONG] = "long",     [EDDY_SR_FLOAT] = "float",     [EDDY_SR_DOUBLE] = "double",
    [EDDY_SR_BYTES] = "bytes",   [EDDY_SR_STRING] = "string",   [EDDY_SR_RECORD] = "record",
    [EDDY_SR_ENUM] = "enum",     [EDDY_SR_ARRAY] = "array",     [EDDY_SR_MAP] = "map",
    [EDDY_SR_UNION] = "union",   [EDDY_SR_FIXED] = "fixed",
};

const char *eddy_sr_type_name(eddy_sr_type_t t) {
  return (unsigned)t <= EDDY_SR_FIXED ? primitive_names[t] : "?";
}

static int primitive_type(const char *s) {
  for (int t = EDDY_SR_NULL; t <= EDDY_SR_STRING; t++)
    if (strcmp(s, primitive_names[t]) == 0)
      return t;
  return -1;
}

static void *fail(parse_t *p, const char *fmt, const char *arg) {
  eddy_error_set(p->err, EDDY_ESCHEMA, fmt, arg);
  return NULL;
}

static void *oom(parse_t *p) {
  p->oom = true;
  eddy_error_set(p->err, EDDY_ENOMEM, "out of memory parsing schema");
  return NULL;
}

static char *dup(parse_t *p, const char *s) {
  char *d = eddy_arena_strdup(p->arena, s);
  if (d == NULL)
    oom(p);
  return d;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static bool valid_name(const char *s, size_t len) {
  if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
    return false;
  for (size_t i = 1; i < len; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

/* Dot-separated names; "" (the null namespace) is valid. */
static bool valid_dotted(const char *s) {
  if (*s == '\0')
    return true;
  for (;;) {
    const char *dot = strchr(s, '.');
    size_t len = dot ? (size_t)(dot - s) : strlen(s);
    if (!valid_name(s, len))
      return false;
    if (dot == NULL)
      return true;
    s = dot + 1;
  }
}

static eddy_sr_node_t *new_node(parse_t *p, eddy_sr_type_t type) {
  eddy_sr_node_t *n = eddy_arena_calloc(p->arena, 1, sizeof(*n));
  if (n == NULL)
    return oom(p);
  n->type = type;
  return n;
}

static eddy_sr_node_t *find_named(parse_t *p, const char *fullname) {
  for (int i = 0; i < p->named_cnt; i++)
    if (strcmp(p->named[i]->fullname, fullname) == 0)
      return p->named[i];
  return NULL;
}

static char *qualify(parse_t *p, const char *name, const char *space) {
  if (strchr(name, '.') != NULL || space == NULL || *space == '\0')
    return dup(p, name);
  char *full = eddy_arena_printf(p->arena, "%s.%s", space, name);
  if (full == NULL)
    oom(p);
  return full;
}

/* A name used as a type: primitive, or a named type defined earlier. */
static eddy_sr_node_t *parse_ref(parse_t *p, const char *name, const char *space) {
  int prim = primitive_type(name);
  if (prim >= 0)
    return new_node(p, (eddy_sr_type_t)prim);
  char *full = qualify(p, name, space);
  if (full == NULL)
    return NULL;
  eddy_sr_node_t *n = find_named(p, full);
  if (n == NULL && strchr(name, '.') == NULL)
    n = find_named(p, name);
  if (n == NULL)
    return fail(p, "undefined name: \"%s\"", name);
  return n;
}

static bool is_reserved(const char *key, const char *const *reserved) {
  for (; *reserved != NULL; reserved++)
    if (strcmp(key, *reserved) == 0)
      return true;
  return false;
}

static char *print_json(parse_t *p, const cJSON *v) {
  char *s = cJSON_PrintUnformatted(v);
  if (s == NULL)
    return oom(p);
  char *d = dup(p, s);
  cJSON_free(s);
  return d;
}

/* Keep every attribute not in \p reserved, in input order. */
static int collect_props(parse_t *p, const cJSON *obj, const char *const *reserved,
                         eddy_sr_prop_t **out, int *out_cnt) {
  int cnt = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, obj) if (!is_reserved(it->string, reserved)) cnt++;
  *out = NULL;
  *out_cnt = 0;
  if (cnt == 0)
    return 0;
  eddy_sr_prop_t *props = eddy_arena_calloc(p->arena, (size_t)cnt, sizeof(*props));
  if (props == NULL)
    return oom(p), -1;
  int i = 0;
  cJSON_ArrayForEach(it, obj) {
    if (is_reserved(it->string, reserved))
      continue;
    props[i].key = dup(p, it->string);
    props[i].json = print_json(p, it);
    if (props[i].key == NULL || props[i].json == NULL)
      return -1;
    i++;
  }
  *out = props;
  *out_cnt = cnt;
  return 0;
}

static int optional_string(parse_t *p, const cJSON *obj, const char *key, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  if (v == NULL || cJSON_IsNull(v))
    return 0;
  if (!cJSON_IsString(v))
    return fail(p, "\"%s\" must be a string", key), -1;
  *out = dup(p, v->valuestring);
  return *out == NULL ? -1 : 0;
}

/* aliases: array of names; named-type aliases are qualified by \p space. */
static int parse_aliases(parse_t *p, const cJSON *obj, const char *space, bool dotted,
                         const char ***out, int *out_cnt) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "aliases");
  *out = NULL;
  *out_cnt = 0;
  if (arr == NULL || cJSON_IsNull(arr))
    return 0;
  if (!cJSON_IsArray(arr))
    return fail(p, "\"%s\" must be an array of names", "aliases"), -1;
  int cnt = cJSON_GetArraySize(arr), i = 0;
  const char **aliases = eddy_arena_calloc(p->arena, (size_t)(cnt ? cnt : 1), sizeof(char *));
  if (aliases == NULL)
    return oom(p), -1;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) ||
        !(dotted ? valid_dotted(it->valuestring)
                 : valid_name(it->valuestring, strlen(it->valuestring))))
      return fail(p, "invalid alias in %s", "aliases"), -1;
    aliases[i] = dotted ? qualify(p, it->valuestring, space) : dup(p, it->valuestring);
    if (aliases[i++] == NULL)
      return -1;
  }
  *out = aliases;
  *out_cnt = cnt;
  return 0;
}

static int define_named(parse_t *p, eddy_sr_node_t *n) {
  if (find_named(p, n->fullname) != NULL)
    return fail(p, "can't redefine: %s", n->fullname), -1;
  if (p->named_cnt == p->named_cap) {
    int cap = p->named_cap ? p->named_cap * 2 : 16;
    eddy_sr_node_t **named = eddy_realloc(p->named, (size_t)cap * sizeof(*named));
    if (named == NULL)
      return oom(p), -1;
    p->named = named;
    p->named_cap = cap;
  }
  p->named[p->named_cnt++] = n;
  return 0;
}

/* name, namespace, doc and aliases of a record, enum or fixed. */
static int parse_named(parse_t *p, const cJSON *obj, const char *space, eddy_sr_node_t *n) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
  const cJSON *ns = cJSON_GetObjectItemCaseSensitive(obj, "namespace");
  if (!cJSON_IsString(name))
    return fail(p, "%s needs a \"name\" string", eddy_sr_type_name(n->type)), -1;
  if (ns != NULL && !cJSON_IsNull(ns) && !cJSON_IsString(ns))
    return fail(p, "\"%s\" must be a string", "namespace"), -1;
  const char *given = name->valuestring, *dot = strrchr(given, '.');
  if (dot != NULL) {
    n->space = eddy_arena_strndup(p->arena, given, (size_t)(dot - given));
    n->name = dup(p, dot + 1);
  } else {
    n->space = dup(p, cJSON_IsString(ns) ? ns->valuestring : (space ? space : ""));
    n->name = dup(p, given);
  }
  if (n->space == NULL || n->name == NULL)
    return oom(p), -1;
  if (!valid_name(n->name, strlen(n->name)) || !valid_dotted(n->space))
    return fail(p, "invalid name: \"%s\"", given), -1;
  if (*n->space == '\0' && primitive_type(n->name) >= 0)
    return fail(p, "can't redefine primitive type: %s", n->name), -1;
  n->fullname = qualify(p, n->name, n->space);
  if (n->fullname == NULL || define_named(p, n) != 0)
    return -1;
  if (optional_string(p, obj, "doc", &n->doc) != 0)
    return -1;
  return parse_aliases(p, obj, n->space, true, &n->aliases, &n->alias_cnt);
}

static eddy_sr_node_t *parse_node(parse_t *p, const cJSON *j, const char *space);

static const char *const field_reserved[] = {"name", "type", "doc", "default",
                                             "order", "aliases", NULL};

static int parse_field_default(parse_t *p, const cJSON *obj, eddy_sr_field_t *f) {
  const cJSON *def = cJSON_GetObjectItemCaseSensitive(obj, "default");
  if (def == NULL)
    return 0;
  if (!eddy__sr_default_valid(f->type, def, 0))
    return fail(p, "invalid default for field \"%s\"", f->name), -1;
  f->default_json = print_json(p, def);
  return f->default_json == NULL ? -1 : 0;
}

static int parse_field(parse_t *p, const cJSON *obj, const char *space, eddy_sr_field_t *f) {
  if (!cJSON_IsObject(obj))
    return fail(p, "a record field must be an %s", "object"), -1;
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
  if (!cJSON_IsString(name) || !valid_name(name->valuestring, strlen(name->valuestring)))
    return fail(p, "invalid field name: \"%s\"",
                cJSON_IsString(name) ? name->valuestring : "(missing)"), -1;
  f->name = dup(p, name->valuestring);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  if (type == NULL)
    return fail(p, "field \"%s\" has no \"type\"", f->name), -1;
  f->type = parse_node(p, type, space);
  if (f->name == NULL || f->type == NULL || optional_string(p, obj, "doc", &f->doc) != 0 ||
      optional_string(p, obj, "order", &f->order) != 0)
    return -1;
  if (f->order != NULL && strcmp(f->order, "ascending") != 0 &&
      strcmp(f->order, "descending") != 0 && strcmp(f->order, "ignore") != 0)
    return fail(p, "invalid field order: \"%s\"", f->order), -1;
  if (parse_field_default(p, obj, f) != 0 ||
      parse_aliases(p, obj, NULL, false, &f->aliases, &f->alias_cnt) != 0)
    return -1;
  return collect_props(p, obj, field_reserved, &f->props, &f->prop_cnt);
}

static int parse_fields(parse_t *p, const cJSON *obj, eddy_sr_node_t *n) {
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(obj, "fields");
  if (!cJSON_IsArray(fields))
    return fail(p, "record \"%s\" needs a \"fields\" array", n->fullname), -1;
  n->field_cnt = cJSON_GetArraySize(fields);
  n->fields = eddy_arena_calloc(p->arena, (size_t)(n->field_cnt ? n->field_cnt : 1),
                                sizeof(*n->fields));
  if (n->fields == NULL)
    return oom(p), -1;
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, fields) {
    if (parse_field(p, it, n->space, &n->fields[i]) != 0)
      return -1;
    for (int k = 0; k < i; k++)
      if (strcmp(n->fields[k].name, n->fields[i].name) == 0)
        return fail(p, "duplicate field name: \"%s\"", n->fields[i].name), -1;
    i++;
  }
  return 0;
}

static int parse_symbols(parse_t *p, const cJSON *obj, eddy_sr_node_t *n) {
  const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(obj, "symbols");
  if (!cJSON_IsArray(symbols))
    return fail(p, "enum \"%s\" needs a \"symbols\" array", n->fullname), -1;
  n->symbol_cnt = cJSON_GetArraySize(symbols);
  n->symbols = eddy_arena_calloc(p->arena, (size_t)(n->symbol_cnt ? n->symbol_cnt : 1),
                                 sizeof(char *));
  if (n->symbols == NULL)
    return oom(p), -1;
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, symbols) {
    if (!cJSON_IsString(it) || !valid_name(it->valuestring, strlen(it->valuestring)))
      return fail(p, "invalid enum symbol in \"%s\"", n->fullname), -1;
    for (int k = 0; k < i; k++)
      if (strcmp(n->symbols[k], it->valuestring) == 0)
        return fail(p, "duplicate enum symbol: \"%s\"", it->valuestring), -1;
    if ((n->symbols[i++] = dup(p, it->valuestring)) == NULL)
      return -1;
  }
  if (optional_string(p, obj, "default", &n->enum_default) != 0)
    return -1;
  for (i = 0; n->enum_default != NULL && i < n->symbol_cnt; i++)
    if (strcmp(n->symbols[i], n->enum_default) == 0)
      return 0;
  return n->enum_default == NULL ? 0 : (fail(p, "enum default \"%s\" is not a symbol",
                                             n->enum_default), -1);
}

static int parse_size(parse_t *p, const cJSON *obj, eddy_sr_node_t *n) {
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(obj, "size");
  if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 2147483647.0 ||
      floor(size->valuedouble) != size->valuedouble)
    return fail(p, "fixed \"%s\" needs a non-negative integer \"size\"", n->fullname), -1;
  n->size = (int64_t)size->valuedouble;
  return 0;
}

static const char *const named_reserved[] = {"type", "name", "namespace", "doc", "aliases",
                                             "fields", "symbols", "size", "default", NULL};
static const char *const plain_reserved[] = {"type", "items", "values", NULL};

static eddy_sr_node_t *parse_named_type(parse_t *p, const cJSON *obj, const char *space,
                                        eddy_sr_type_t type) {
  eddy_sr_node_t *n = new_node(p, type);
  if (n == NULL || parse_named(p, obj, space, n) != 0)
    return NULL;
  int rc = type == EDDY_SR_RECORD ? parse_fields(p, obj, n)
           : type == EDDY_SR_ENUM ? parse_symbols(p, obj, n)
                                  : parse_size(p, obj, n);
  if (rc != 0 || collect_props(p, obj, named_reserved, &n->props, &n->prop_cnt) != 0)
    return NULL;
  return n;
}

static eddy_sr_node_t *parse_container(parse_t *p, const cJSON *obj, const char *space,
                                       eddy_sr_type_t type) {
  const char *key = type == EDDY_SR_ARRAY ? "items" : "values";
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (inner == NULL)
    return fail(p, "missing \"%s\"", key);
  eddy_sr_node_t *n = new_node(p, type);
  if (n == NULL || (n->items = parse_node(p, inner, space)) == NULL ||
      collect_props(p, obj, plain_reserved, &n->props, &n->prop_cnt) != 0)
    return NULL;
  return n;
}

/* Branch identity for the "no two branches of the same type" rule. */
static const char *branch_key(const eddy_sr_node_t *n) {
  return n->fullname != NULL ? n->fullname : eddy_sr_type_name(n->type);
}

static eddy_sr_node_t *parse_union(parse_t *p, const cJSON *arr, const char *space) {
  eddy_sr_node_t *n = new_node(p, EDDY_SR_UNION);
  if (n == NULL)
    return NULL;
  n->branch_cnt = cJSON_GetArraySize(arr);
  n->branches = eddy_arena_calloc(p->arena, (size_t)(n->branch_cnt ? n->branch_cnt : 1),
                                  sizeof(*n->branches));
  if (n->branches == NULL)
    return oom(p);
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    eddy_sr_node_t *b = parse_node(p, it, space);
    if (b == NULL)
      return NULL;
    if (b->type == EDDY_SR_UNION)
      return fail(p, "unions may not immediately contain other unions%s", "");
    for (int k = 0; k < i; k++)
      if (strcmp(branch_key(n->branches[k]), branch_key(b)) == 0)
        return fail(p, "duplicate in union: %s", branch_key(b));
    n->branches[i++] = b;
  }
  return n;
}

static eddy_sr_node_t *parse_object(parse_t *p, const cJSON *obj, const char *space) {
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  if (type == NULL)
    return fail(p, "no \"type\" in %s", "schema object");
  if (cJSON_IsObject(type) || cJSON_IsArray(type))
    return parse_node(p, type, space);
  if (!cJSON_IsString(type))
    return fail(p, "\"type\" must be a %s", "string");
  const char *t = type->valuestring;
  int prim = primitive_type(t);
  if (prim >= 0) {
    eddy_sr_node_t *n = new_node(p, (eddy_sr_type_t)prim);
    if (n == NULL || collect_props(p, obj, plain_reserved, &n->props, &n->prop_cnt) != 0)
      return NULL;
    return n;
  }
  if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0)
    return parse_named_type(p, obj, space, EDDY_SR_RECORD);
  if (strcmp(t, "enum") == 0)
    return parse_named_type(p, obj, space, EDDY_SR_ENUM);
  if (strcmp(t, "fixed") == 0)
    return parse_named_type(p, obj, space, EDDY_SR_FIXED);
  if (strcmp(t, "array") == 0)
    return parse_container(p, obj, space, EDDY_SR_ARRAY);
  if (strcmp(t, "map") == 0)
    return parse_container(p, obj, space, EDDY_SR_MAP);
  return parse_ref(p, t, space);
}

/* ---- logical types ------------------------------------------------------ */

static const char *prop_json(const eddy_sr_node_t *n, const char *key) {
  for (int i = 0; i < n->prop_cnt; i++)
    if (strcmp(n->props[i].key, key) == 0)
      return n->props[i].json;
  return NULL;
}

/* Largest decimal precision a fixed of \p size bytes can hold. */
static int fixed_max_precision(int64_t size) {
  if (size <= 0)
    return 0;
  return (int)floor(log10(2.0) * (double)(8 * size - 1));
}

static void decimal_params(eddy_sr_node_t *n) {
  const char *pj = prop_json(n, "precision"), *sj = prop_json(n, "scale");
  char *end;
  long precision = pj ? strtol(pj, &end, 10) : 0;
  if (pj == NULL || *end != '\0' || precision <= 0 || precision > 1000)
    return;
  long scale = sj ? strtol(sj, &end, 10) : 0;
  if ((sj != NULL && *end != '\0') || scale < 0 || scale > precision)
    return;
  if (n->type == EDDY_SR_FIXED && precision > fixed_max_precision(n->size))
    return;
  n->logical = "decimal";
  n->precision = (int)precision;
  n->scale = (int)scale;
}

/* Is the JSON text \p json the string literal \p s? */
static bool json_is_string(const char *json, const char *s) {
  size_t len = strlen(s);
  return json[0] == '"' && strncmp(json + 1, s, len) == 0 && json[len + 1] == '"' &&
         json[len + 2] == '\0';
}

/* Set n->logical when the logicalType attribute is known and valid here. */
static void resolve_logical(eddy_sr_node_t *n) {
  static const struct { const char *name; eddy_sr_type_t type; } known[] = {
      {"date", EDDY_SR_INT},
      {"time-millis", EDDY_SR_INT},
      {"time-micros", EDDY_SR_LONG},
      {"timestamp-millis", EDDY_SR_LONG},
      {"timestamp-micros", EDDY_SR_LONG},
      {"local-timestamp-millis", EDDY_SR_LONG},
      {"local-timestamp-micros", EDDY_SR_LONG},
      {"uuid", EDDY_SR_STRING},
  };
  const char *lt = prop_json(n, "logicalType");
  if (lt == NULL)
    return;
  if (json_is_string(lt, "decimal")) {
    if (n->type == EDDY_SR_BYTES || n->type == EDDY_SR_FIXED)
      decimal_params(n);
    return;
  }
  if (json_is_string(lt, "duration")) {
    if (n->type == EDDY_SR_FIXED && n->size == 12)
      n->logical = "duration";
    return;
  }
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (json_is_string(lt, known[i].name) && n->type == known[i].type)
      n->logical = known[i].name;
}

static eddy_sr_node_t *parse_node(parse_t *p, const cJSON *j, const char *space) {
  if (++p->depth > EDDY_SR_SCHEMA_MAX_DEPTH) {
    p->depth--;
    return fail(p, "schema nested too deeply (limit is %s)", "200");
  }
  eddy_sr_node_t *n = NULL;
  if (cJSON_IsString(j))
    n = parse_ref(p, j->valuestring, space);
  else if (cJSON_IsArray(j))
    n = parse_union(p, j, space);
  else if (cJSON_IsObject(j))
    n = parse_object(p, j, space);
  else
    fail(p, "a schema must be a JSON string, object or array%s", "");
  p->depth--;
  if (n != NULL && n->logical == NULL && n->prop_cnt > 0)
    resolve_logical(n);
  return n;
}

/* ---- public ------------------------------------------------------------- */

static int finish(eddy_sr_schema_t *s, eddy_error_t **err) {
  eddy_buf_t buf = {0};
  int rc = eddy__sr_schema_emit(s->root, &buf);
  if (rc == 0 && eddy_buf_cstr(&buf) == NULL)
    rc = EDDY_ENOMEM;
  if (rc == 0 && (s->canonical = eddy_arena_strndup(s->arena, buf.p, buf.len)) == NULL)
    rc = EDDY_ENOMEM;
  eddy_buf_free(&buf);
  if (rc != 0)
    return eddy_error_set(err, rc, "out of memory printing schema");
  return 0;
}

static int parse_json(const char *text, size_t len, cJSON **out, eddy_error_t **err) {
  const char *end = NULL;
  *out = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (*out == NULL) {
    size_t at = end && end >= text ? (size_t)(end - text) : 0;
    return eddy_error_set(err, EDDY_ESCHEMA, "schema is not valid JSON (at byte %zu)", at);
  }
  while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
    end++;
  if (end != text + len) {
    cJSON_Delete(*out);
    *out = NULL;
    return eddy_error_set(err, EDDY_ESCHEMA, "trailing data after the schema (at byte %zu)",
                          (size_t)(end - text));
  }
  return 0;
}

int eddy_sr_schema_parse(eddy_sr_schema_t **out, const char *text, size_t len,
                         eddy_error_t **err) {
  *out = NULL;
  cJSON *json = NULL;
  int rc = parse_json(text, len, &json, err);
  if (rc != 0)
    return rc;
  eddy_sr_schema_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL || (s->arena = eddy_arena_new(4096)) == NULL) {
    eddy_free(s);
    cJSON_Delete(json);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory parsing schema");
  }
  parse_t p = {.arena = s->arena, .err = err};
  s->root = parse_node(&p, json, "");
  eddy_free(p.named);
  cJSON_Delete(json);
  if (s->root == NULL) {
    eddy_sr_schema_destroy(s);
    return p.oom ? EDDY_ENOMEM : EDDY_ESCHEMA;
  }
  if ((rc = finish(s, err)) != 0) {
    eddy_sr_schema_destroy(s);
    return rc;
  }
  *out = s;
  return 0;
}

const eddy_sr_node_t *eddy_sr_schema_root(const eddy_sr_schema_t *s) { return s->root; }

const char *eddy_sr_schema_canonical(const eddy_sr_schema_t *s) { return s->canonical; }

void eddy_sr_schema_destroy(eddy_sr_schema_t *s) {
  if (s == NULL)
    return;
  eddy_arena_destroy(s->arena);
  eddy_free(s);
}
