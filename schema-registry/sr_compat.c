/*
 * Static Avro compatibility: can a reader schema read every datum a writer
 * schema can produce? The rules are the specification's "Schema Resolution":
 *
 *   - same primitive type, or a promotion: int -> long, float, double;
 *     long -> float, double; float -> double; string <-> bytes
 *   - records, enums and fixed match by unqualified name (or a reader alias);
 *     fixed sizes must be equal; two decimals match only with equal precision
 *     and scale
 *   - record fields match by name (or a reader field alias); a reader field
 *     the writer lacks needs a default; writer-only fields are skipped
 *   - a writer enum symbol the reader lacks needs a reader enum default
 *   - a writer union: every branch must resolve; a reader union: the branch
 *     used is the first that matches (exact type first, then a promotion)
 *
 * avro-c's avro_resolved_writer_new() is not used: it rejects a reader field
 * that has a default but is missing in the writer, does not promote string
 * to bytes, and accepts a writer union when any branch resolves.
 *
 * Recursive schemas: a (reader, writer) pair already being checked further up
 * is assumed compatible, so the walk terminates on cycles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eddy/alloc.h"
#include "schema-registry/sr_schema_int.h"

typedef struct {
  const eddy_sr_node_t *reader;
  const eddy_sr_node_t *writer;
} pair_t;

typedef struct {
  eddy_sr_msgs_t *why;
  const char *rrole;        /* "new" or "old": the reader's role in messages */
  const char *wrole;
  pair_t *stack;
  int depth;
  int cap;
  char path[1024];          /* location in the reader schema, JSON-pointer style */
  size_t path_len;
} check_t;

/* ---- messages ------------------------------------------------------------- */

void eddy_sr_msgs_add(eddy_sr_msgs_t *m, const char *fmt, ...) {
  if (m == NULL)
    return;
  if (m->cnt == m->cap) {
    int cap = m->cap ? m->cap * 2 : 8;
    char **items = eddy_realloc(m->items, (size_t)cap * sizeof(*items));
    if (items == NULL)
      return;
    m->items = items;
    m->cap = cap;
  }
  eddy_buf_t b = {0};
  va_list ap;
  va_start(ap, fmt);
  char tmp[1];
  int len = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (len < 0 || eddy_buf_reserve(&b, (size_t)len + 1) != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(b.p, (size_t)len + 1, fmt, ap);
  va_end(ap);
  m->items[m->cnt++] = b.p;
}

void eddy_sr_msgs_free(eddy_sr_msgs_t *m) {
  if (m == NULL)
    return;
  for (int i = 0; i < m->cnt; i++)
    eddy_free(m->items[i]);
  eddy_free(m->items);
  m->items = NULL;
  m->cnt = m->cap = 0;
}

static const char *where(const check_t *c) { return c->path_len ? c->path : "/"; }

static void report(check_t *c, const char *type, const char *info, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(check_t *c, const char *type, const char *info, const char *fmt, ...) {
  if (c->why == NULL)
    return;
  char desc[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(desc, sizeof(desc), fmt, ap);
  va_end(ap);
  eddy_sr_msgs_add(c->why, "{errorType:'%s', description:'%s', additionalInfo:'%s'}", type, desc,
                   info);
}

/* Path segments are pushed and popped around each recursive step. */
static size_t push(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t push(check_t *c, const char *fmt, ...) {
  size_t old = c->path_len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
  va_end(ap);
  if (n > 0)
    c->path_len = old + (size_t)n < sizeof(c->path) ? old + (size_t)n : sizeof(c->path) - 1;
  return old;
}

static void pop(check_t *c, size_t old) {
  c->path_len = old;
  c->path[old] = '\0';
}

/* ---- matching --------------------------------------------------------------- */

static bool check(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w);

static bool promotes(eddy_sr_type_t writer, eddy_sr_type_t reader) {
  switch (writer) {
  case EDDY_SR_INT:
    return reader == EDDY_SR_LONG || reader == EDDY_SR_FLOAT || reader == EDDY_SR_DOUBLE;
  case EDDY_SR_LONG: return reader == EDDY_SR_FLOAT || reader == EDDY_SR_DOUBLE;
  case EDDY_SR_FLOAT: return reader == EDDY_SR_DOUBLE;
  case EDDY_SR_STRING: return reader == EDDY_SR_BYTES;
  case EDDY_SR_BYTES: return reader == EDDY_SR_STRING;
  default: return false;
  }
}

static bool is_named(const eddy_sr_node_t *n) {
  return n->type == EDDY_SR_RECORD || n->type == EDDY_SR_ENUM || n->type == EDDY_SR_FIXED;
}

/* Unqualified names equal, or a reader alias names the writer. */
static bool names_match(const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (strcmp(r->name, w->name) == 0)
    return true;
  for (int i = 0; i < r->alias_cnt; i++) {
    const char *a = r->aliases[i], *dot = strrchr(a, '.');
    if (strcmp(a, w->fullname) == 0 || strcmp(dot ? dot + 1 : a, w->name) == 0)
      return true;
  }
  return false;
}

/* The specification's first-level "match", without recursing. */
static bool shallow_match(const eddy_sr_node_t *r, const eddy_sr_node_t *w, bool exact) {
  if (r->type != w->type)
    return !exact && promotes(w->type, r->type);
  return !is_named(r) || names_match(r, w);
}

static bool on_stack(const check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  for (int i = 0; i < c->depth; i++)
    if (c->stack[i].reader == r && c->stack[i].writer == w)
      return true;
  return false;
}

static bool enter(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (c->depth == c->cap) {
    int cap = c->cap ? c->cap * 2 : 32;
    pair_t *s = eddy_realloc(c->stack, (size_t)cap * sizeof(*s));
    if (s == NULL)
      return false;
    c->stack = s;
    c->cap = cap;
  }
  c->stack[c->depth++] = (pair_t){r, w};
  return true;
}

static const char *describe(const eddy_sr_node_t *n) {
  return is_named(n) ? n->fullname : eddy_sr_type_name(n->type);
}

static bool check_decimal(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (r->logical == NULL || w->logical == NULL || strcmp(r->logical, "decimal") != 0 ||
      strcmp(w->logical, "decimal") != 0)
    return true;
  if (r->precision == w->precision && r->scale == w->scale)
    return true;
  report(c, "TYPE_MISMATCH", "decimal",
         "The decimal at path '%s' in the %s schema has precision %d and scale %d, "
         "but %d and %d in the %s schema",
         where(c), c->rrole, r->precision, r->scale, w->precision, w->scale, c->wrole);
  return false;
}

static const eddy_sr_field_t *writer_field(const eddy_sr_node_t *w, const eddy_sr_field_t *rf) {
  for (int i = 0; i < w->field_cnt; i++)
    if (strcmp(w->fields[i].name, rf->name) == 0)
      return &w->fields[i];
  for (int a = 0; a < rf->alias_cnt; a++)
    for (int i = 0; i < w->field_cnt; i++)
      if (strcmp(w->fields[i].name, rf->aliases[a]) == 0)
        return &w->fields[i];
  return NULL;
}

static bool check_record(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  bool ok = true;
  for (int i = 0; i < r->field_cnt; i++) {
    const eddy_sr_field_t *rf = &r->fields[i];
    const eddy_sr_field_t *wf = writer_field(w, rf);
    size_t mark = push(c, "/fields/%d", i);
    if (wf != NULL) {
      size_t inner = push(c, "/type");
      ok = check(c, rf->type, wf->type) && ok;
      pop(c, inner);
    } else if (rf->default_json == NULL) {
      report(c, "READER_FIELD_MISSING_DEFAULT_VALUE", rf->name,
             "The field '%s' at path '%s' in the %s schema has no default value and is "
             "missing in the %s schema",
             rf->name, where(c), c->rrole, c->wrole);
      ok = false;
    }
    pop(c, mark);
  }
  return ok;
}

static bool check_enum(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (r->enum_default != NULL)
    return true;
  eddy_buf_t missing = {0};
  for (int i = 0; i < w->symbol_cnt; i++) {
    bool found = false;
    for (int k = 0; k < r->symbol_cnt && !found; k++)
      found = strcmp(w->symbols[i], r->symbols[k]) == 0;
    if (!found)
      eddy_buf_printf(&missing, "%s%s", missing.len ? ", " : "", w->symbols[i]);
  }
  if (missing.len == 0) {
    eddy_buf_free(&missing);
    return true;
  }
  const char *list = eddy_buf_cstr(&missing);
  report(c, "MISSING_ENUM_SYMBOLS", list ? list : "",
         "The %s schema is missing enum symbols '[%s]' at path '%s' in the %s schema", c->rrole,
         list ? list : "", where(c), c->wrole);
  eddy_buf_free(&missing);
  return false;
}

static bool check_fixed(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (r->size != w->size) {
    char info[64];
    snprintf(info, sizeof(info), "expected: %lld, found: %lld", (long long)w->size,
             (long long)r->size);
    report(c, "FIXED_SIZE_MISMATCH", info,
           "The size of FIXED type field at path '%s' in the %s schema does not match with "
           "the %s schema",
           where(c), c->rrole, c->wrole);
    return false;
  }
  return check_decimal(c, r, w);
}

/* Both of the same type and, if named, the names match. */
static bool check_same(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  switch (r->type) {
  case EDDY_SR_RECORD: return check_record(c, r, w);
  case EDDY_SR_ENUM: return check_enum(c, r, w);
  case EDDY_SR_FIXED: return check_fixed(c, r, w);
  case EDDY_SR_ARRAY:
  case EDDY_SR_MAP: {
    size_t mark = push(c, r->type == EDDY_SR_ARRAY ? "/items" : "/values");
    bool ok = check(c, r->items, w->items);
    pop(c, mark);
    return ok;
  }
  default: return check_decimal(c, r, w);
  }
}

/* The reader union branch the spec picks for a writer type, or -1. */
static int pick_branch(const eddy_sr_node_t *ru, const eddy_sr_node_t *w) {
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < ru->branch_cnt; i++)
      if (shallow_match(ru->branches[i], w, pass == 0))
        return i;
  return -1;
}

static bool check_reader_union(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  int b = pick_branch(r, w);
  if (b < 0) {
    report(c, "MISSING_UNION_BRANCH", describe(w),
           "The %s schema is missing a type inside a union field at path '%s' in the %s "
           "schema: %s",
           c->rrole, where(c), c->wrole, describe(w));
    return false;
  }
  size_t mark = push(c, "/%d", b);
  bool ok = check(c, r->branches[b], w);
  pop(c, mark);
  return ok;
}

static bool check_writer_union(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  bool ok = true;
  for (int i = 0; i < w->branch_cnt; i++)
    ok = check(c, r, w->branches[i]) && ok;
  return ok;
}

static bool check(check_t *c, const eddy_sr_node_t *r, const eddy_sr_node_t *w) {
  if (w->type == EDDY_SR_UNION)
    return check_writer_union(c, r, w);
  if (r->type == EDDY_SR_UNION)
    return check_reader_union(c, r, w);
  if (r->type != w->type) {
    if (promotes(w->type, r->type))
      return true;
    report(c, "TYPE_MISMATCH", describe(r),
           "The type (path '%s') of a field in the %s schema does not match with the %s "
           "schema: %s cannot read %s",
           where(c), c->rrole, c->wrole, describe(r), describe(w));
    return false;
  }
  if (is_named(r) && !names_match(r, w)) {
    report(c, "NAME_MISMATCH", r->fullname,
           "The name of the schema has changed (path '%s'): %s schema has %s, %s schema has %s",
           where(c), c->rrole, r->fullname, c->wrole, w->fullname);
    return false;
  }
  if (on_stack(c, r, w))
    return true;
  if (!enter(c, r, w)) {
    report(c, "TYPE_MISMATCH", "", "out of memory at path '%s'", where(c));
    return false;
  }
  bool ok = check_same(c, r, w);
  c->depth--;
  return ok;
}

bool eddy_sr_compat_can_read(const eddy_sr_node_t *reader, const eddy_sr_node_t *writer,
                             const char *reader_role, const char *writer_role,
                             eddy_sr_msgs_t *why) {
  check_t c = {.why = why, .rrole = reader_role, .wrole = writer_role};
  bool ok = check(&c, reader, writer);
  eddy_free(c.stack);
  return ok;
}

/* ---- levels ------------------------------------------------------------------- */

static const char *const level_names[] = {
    [EDDY_SR_COMPAT_NONE] = "NONE",
    [EDDY_SR_COMPAT_BACKWARD] = "BACKWARD",
    [EDDY_SR_COMPAT_BACKWARD_TRANSITIVE] = "BACKWARD_TRANSITIVE",
    [EDDY_SR_COMPAT_FORWARD] = "FORWARD",
    [EDDY_SR_COMPAT_FORWARD_TRANSITIVE] = "FORWARD_TRANSITIVE",
    [EDDY_SR_COMPAT_FULL] = "FULL",
    [EDDY_SR_COMPAT_FULL_TRANSITIVE] = "FULL_TRANSITIVE",
};

int eddy_sr_compat_parse(const char *s, eddy_sr_compat_t *out) {
  for (int i = 0; s != NULL && i <= EDDY_SR_COMPAT_FULL_TRANSITIVE; i++)
    if (strcasecmp(s, level_names[i]) == 0) {
      *out = (eddy_sr_compat_t)i;
      return 0;
    }
  return EDDY_EINVAL;
}

const char *eddy_sr_compat_name(eddy_sr_compat_t level) {
  return (unsigned)level <= EDDY_SR_COMPAT_FULL_TRANSITIVE ? level_names[level] : "?";
}

static bool transitive(eddy_sr_compat_t l) {
  return l == EDDY_SR_COMPAT_BACKWARD_TRANSITIVE || l == EDDY_SR_COMPAT_FORWARD_TRANSITIVE ||
         l == EDDY_SR_COMPAT_FULL_TRANSITIVE;
}

static bool one_pair(eddy_sr_compat_t l, const eddy_sr_node_t *cand, const eddy_sr_node_t *prev,
                     eddy_sr_msgs_t *why) {
  bool backward = l != EDDY_SR_COMPAT_FORWARD && l != EDDY_SR_COMPAT_FORWARD_TRANSITIVE;
  bool forward = l != EDDY_SR_COMPAT_BACKWARD && l != EDDY_SR_COMPAT_BACKWARD_TRANSITIVE;
  bool ok = true;
  if (backward)
    ok = eddy_sr_compat_can_read(cand, prev, "new", "old", why);
  if (forward)
    ok = eddy_sr_compat_can_read(prev, cand, "old", "new", why) && ok;
  return ok;
}

bool eddy_sr_compat_check(eddy_sr_compat_t level, const eddy_sr_schema_t *candidate,
                          const eddy_sr_schema_t *const *previous, int prev_cnt,
                          int *failed_at, eddy_sr_msgs_t *why) {
  if (failed_at != NULL)
    *failed_at = -1;
  if (level == EDDY_SR_COMPAT_NONE || prev_cnt <= 0)
    return true;
  int stop = transitive(level) ? 0 : prev_cnt - 1;
  for (int i = prev_cnt - 1; i >= stop; i--) {
    if (!one_pair(level, candidate->root, previous[i]->root, why)) {
      if (failed_at != NULL)
        *failed_at = i;
      return false;
    }
  }
  return true;
}
