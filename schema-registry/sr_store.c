/*
 * The registry's state: subjects, versions, schemas by id and configs, built
 * only by applying `_schemas` records in log order (see sr_apply.c), and the
 * read-only queries the HTTP handlers use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-registry/sr_store_int.h"

eddy__sr_store_t *eddy__sr_store_new(const eddy_logger_t *logger) {
  eddy__sr_store_t *st = eddy_calloc(1, sizeof(*st));
  if (st != NULL)
    st->logger = logger;
  return st;
}

static void free_schema(eddy__sr_schema_t *s) {
  if (s == NULL)
    return;
  eddy_sr_schema_destroy(s->parsed);
  eddy_free(s->text);
  eddy_free(s->schema_type);
  eddy_free(s);
}

static void free_subject(eddy__sr_subject_t *s) {
  eddy_free(s->name);
  eddy_free(s->versions);
  eddy_free(s->mode);
  eddy_free(s);
}

static void free_subject_cb(void *opaque, const char *key, void *val) {
  (void)opaque;
  (void)key;
  free_subject(val);
}

static void free_schema_cb(void *opaque, const char *key, void *val) {
  (void)opaque;
  (void)key;
  free_schema(val);
}

void eddy__sr_store_destroy(eddy__sr_store_t *st) {
  if (st == NULL)
    return;
  eddy__sr_map_each(&st->subjects, free_subject_cb, NULL);
  eddy__sr_map_each(&st->ids, free_schema_cb, NULL);
  eddy__sr_map_free(&st->subjects);
  eddy__sr_map_free(&st->ids);
  eddy__sr_map_free(&st->texts);
  eddy_free(st->global_mode);
  eddy_free(st);
}

int64_t eddy__sr_store_next_offset(const eddy__sr_store_t *st) { return st->next_offset; }

eddy__sr_subject_t *eddy__sr_store_subject(const eddy__sr_store_t *st, const char *name) {
  return eddy__sr_map_get(&st->subjects, name);
}

eddy__sr_schema_t *eddy__sr_store_by_id(const eddy__sr_store_t *st, int id) {
  char key[16];
  snprintf(key, sizeof(key), "%d", id);
  return eddy__sr_map_get(&st->ids, key);
}

eddy__sr_schema_t *eddy__sr_store_by_text(const eddy__sr_store_t *st, const char *canonical) {
  return eddy__sr_map_get(&st->texts, canonical);
}

int eddy__sr_store_max_id(const eddy__sr_store_t *st) { return st->max_id; }

eddy_sr_compat_t eddy__sr_store_global_compat(const eddy__sr_store_t *st) {
  return st->has_global_compat ? st->global_compat : EDDY_SR_COMPAT_BACKWARD;
}

const char *eddy__sr_store_global_mode(const eddy__sr_store_t *st) {
  return st->global_mode ? st->global_mode : "READWRITE";
}

eddy_sr_compat_t eddy__sr_store_compat(const eddy__sr_store_t *st, const eddy__sr_subject_t *s) {
  return s != NULL && s->has_compat ? s->compat : eddy__sr_store_global_compat(st);
}

eddy__sr_version_t *eddy__sr_subject_version(const eddy__sr_subject_t *s, int version) {
  int lo = 0, hi = s ? s->version_cnt - 1 : -1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (s->versions[mid].version == version)
      return &s->versions[mid];
    if (s->versions[mid].version < version)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return NULL;
}

eddy__sr_version_t *eddy__sr_subject_latest(const eddy__sr_subject_t *s, bool deleted) {
  for (int i = s ? s->version_cnt - 1 : -1; i >= 0; i--)
    if (deleted || !s->versions[i].deleted)
      return &s->versions[i];
  return NULL;
}

bool eddy__sr_subject_live(const eddy__sr_subject_t *s) {
  return eddy__sr_subject_latest(s, false) != NULL;
}

/* ---- listings ------------------------------------------------------------------ */

typedef struct {
  const char **names;
  int cnt;
  bool deleted;
} list_t;

static void list_cb(void *opaque, const char *key, void *val) {
  list_t *l = opaque;
  eddy__sr_subject_t *s = val;
  (void)key;
  if (l->deleted ? s->version_cnt > 0 : eddy__sr_subject_live(s))
    l->names[l->cnt++] = s->name;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **eddy__sr_store_subjects(const eddy__sr_store_t *st, bool deleted, int *cnt) {
  *cnt = 0;
  if (st->subjects.cnt == 0)
    return NULL;
  list_t l = {.names = eddy_malloc(st->subjects.cnt * sizeof(char *)), .deleted = deleted};
  if (l.names == NULL)
    return NULL;
  eddy__sr_map_each(&st->subjects, list_cb, &l);
  qsort(l.names, (size_t)l.cnt, sizeof(char *), cmp_names);
  *cnt = l.cnt;
  return l.names;
}

typedef struct {
  int id;
  bool deleted;
  const eddy__sr_subject_t **subjects;
  int *versions;
  int cnt;
  int cap;
  bool oom;
} uses_t;

static void uses_cb(void *opaque, const char *key, void *val) {
  uses_t *u = opaque;
  const eddy__sr_subject_t *s = val;
  (void)key;
  for (int i = 0; i < s->version_cnt && !u->oom; i++) {
    if (s->versions[i].schema->id != u->id || (s->versions[i].deleted && !u->deleted))
      continue;
    if (u->cnt == u->cap) {
      int cap = u->cap ? u->cap * 2 : 8;
      const eddy__sr_subject_t **ns = eddy_realloc(u->subjects, (size_t)cap * sizeof(*ns));
      if (ns != NULL)
        u->subjects = ns;
      int *nv = ns ? eddy_realloc(u->versions, (size_t)cap * sizeof(*nv)) : NULL;
      if (nv == NULL) {
        u->oom = true;
        return;
      }
      u->versions = nv;
      u->cap = cap;
    }
    u->subjects[u->cnt] = s;
    u->versions[u->cnt++] = s->versions[i].version;
  }
}

/* Sort the (subject, version) pairs by subject name then version. */
static void sort_uses(uses_t *u) {
  for (int i = 1; i < u->cnt; i++)
    for (int k = i; k > 0; k--) {
      int c = strcmp(u->subjects[k - 1]->name, u->subjects[k]->name);
      if (c < 0 || (c == 0 && u->versions[k - 1] <= u->versions[k]))
        break;
      const eddy__sr_subject_t *ts = u->subjects[k];
      int tv = u->versions[k];
      u->subjects[k] = u->subjects[k - 1];
      u->versions[k] = u->versions[k - 1];
      u->subjects[k - 1] = ts;
      u->versions[k - 1] = tv;
    }
}

int eddy__sr_store_id_versions(const eddy__sr_store_t *st, int id, bool deleted,
                               const eddy__sr_subject_t ***subjects, int **versions, int *cnt) {
  uses_t u = {.id = id, .deleted = deleted};
  eddy__sr_map_each(&st->subjects, uses_cb, &u);
  if (u.oom) {
    eddy_free(u.subjects);
    eddy_free(u.versions);
    return EDDY_ENOMEM;
  }
  sort_uses(&u);
  *subjects = u.subjects;
  *versions = u.versions;
  *cnt = u.cnt;
  return 0;
}

/* ---- mutation (sr_apply.c) ------------------------------------------------------- */

eddy__sr_subject_t *eddy__sr_store_subject_get_or_add(eddy__sr_store_t *st, const char *name) {
  eddy__sr_subject_t *s = eddy__sr_map_get(&st->subjects, name);
  if (s != NULL)
    return s;
  s = eddy_calloc(1, sizeof(*s));
  if (s == NULL || (s->name = eddy_strdup(name)) == NULL ||
      eddy__sr_map_put(&st->subjects, name, s) != 0) {
    if (s != NULL)
      eddy_free(s->name);
    eddy_free(s);
    return NULL;
  }
  return s;
}

/* Forget a subject that no longer holds anything. */
void eddy__sr_store_subject_gc(eddy__sr_store_t *st, eddy__sr_subject_t *s) {
  if (s->version_cnt > 0 || s->has_compat || s->mode != NULL)
    return;
  eddy__sr_map_del(&st->subjects, s->name);
  free_subject(s);
}

eddy__sr_schema_t *eddy__sr_store_schema_add(eddy__sr_store_t *st, int id, char *text,
                                             char *schema_type, eddy_sr_schema_t *parsed) {
  char key[16];
  snprintf(key, sizeof(key), "%d", id);
  eddy__sr_schema_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL || eddy__sr_map_put(&st->ids, key, s) != 0) {
    eddy_free(s);
    eddy_free(text);
    eddy_free(schema_type);
    eddy_sr_schema_destroy(parsed);
    return NULL;
  }
  s->id = id;
  s->text = text;
  s->schema_type = schema_type;
  s->parsed = parsed;
  if (eddy__sr_map_get(&st->texts, text) == NULL && eddy__sr_map_put(&st->texts, text, s) != 0)
    eddy_log(st->logger, EDDY_LOG_ERROR, "registry", "out of memory indexing schema %d", id);
  return s;
}

static void schema_unref(eddy__sr_store_t *st, eddy__sr_schema_t *s) {
  if (--s->refs > 0)
    return;
  char key[16];
  snprintf(key, sizeof(key), "%d", s->id);
  eddy__sr_map_del(&st->ids, key);
  if (eddy__sr_map_get(&st->texts, s->text) == s)
    eddy__sr_map_del(&st->texts, s->text);
  free_schema(s);
}

int eddy__sr_subject_insert(eddy__sr_subject_t *s, int version, eddy__sr_schema_t *schema,
                            bool deleted) {
  if (s->version_cnt == s->version_cap) {
    int cap = s->version_cap ? s->version_cap * 2 : 4;
    eddy__sr_version_t *v = eddy_realloc(s->versions, (size_t)cap * sizeof(*v));
    if (v == NULL)
      return EDDY_ENOMEM;
    s->versions = v;
    s->version_cap = cap;
  }
  int at = s->version_cnt;
  while (at > 0 && s->versions[at - 1].version > version)
    at--;
  memmove(&s->versions[at + 1], &s->versions[at],
          (size_t)(s->version_cnt - at) * sizeof(*s->versions));
  s->versions[at] = (eddy__sr_version_t){.version = version, .deleted = deleted, .schema = schema};
  s->version_cnt++;
  schema->refs++;
  return 0;
}

void eddy__sr_subject_remove(eddy__sr_store_t *st, eddy__sr_subject_t *s, int version) {
  eddy__sr_version_t *v = eddy__sr_subject_version(s, version);
  if (v == NULL)
    return;
  eddy__sr_schema_t *schema = v->schema;
  int at = (int)(v - s->versions);
  memmove(&s->versions[at], &s->versions[at + 1],
          (size_t)(s->version_cnt - at - 1) * sizeof(*s->versions));
  s->version_cnt--;
  schema_unref(st, schema);
}
