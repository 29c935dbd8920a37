/*
 * Registry operations over the store and the `_schemas` log.
 *
 * Every write follows the same cycle:
 *
 *   1. read the log to its end, so the store is current;
 *   2. decide from the store (id, version, compatibility);
 *   3. append the record(s) to the log;
 *   4. read the log up to our own record: only now is it applied, in log
 *      order, on this instance exactly as on every other one;
 *   5. registrations check that their record won (see sr_apply.c); if a
 *      concurrent writer's record came first, go back to 1.
 *
 * So the log alone decides ids and versions, and any instance can accept
 * writes. A losing registration leaves a later record with the same key
 * (its retry, or a copy of the winner's record) so that log compaction,
 * which keeps the last record per key, keeps the winner's value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema-registry/sr_int.h"

struct eddy__sr_registry_s {
  eddy__sr_log_t *log;
  eddy__sr_store_t *store;
  eddy__sr_registry_conf_t conf;
};

int eddy__sr_fail(eddy__sr_status_t *st, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  st->code = code;
  vsnprintf(st->message, sizeof(st->message), fmt, ap);
  va_end(ap);
  return code;
}

int eddy__sr_http_status(int code) { return code >= 10000 ? code / 100 : code; }

int eddy__sr_registry_new(eddy__sr_registry_t **out, eddy__sr_log_t *log,
                          const eddy__sr_registry_conf_t *conf, eddy_error_t **err) {
  *out = NULL;
  eddy__sr_registry_t *r = eddy_calloc(1, sizeof(*r));
  if (r == NULL || (r->store = eddy__sr_store_new(conf->logger)) == NULL) {
    eddy_free(r);
    log->ops->destroy(log);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory creating the registry");
  }
  r->log = log;
  r->conf = *conf;
  if (r->conf.timeout_ms <= 0)
    r->conf.timeout_ms = 10000;
  if (r->conf.write_retries <= 0)
    r->conf.write_retries = 5;
  *out = r;
  return 0;
}

void eddy__sr_registry_destroy(eddy__sr_registry_t *r) {
  if (r == NULL)
    return;
  r->log->ops->destroy(r->log);
  eddy__sr_store_destroy(r->store);
  eddy_free(r);
}

eddy__sr_store_t *eddy__sr_registry_store(eddy__sr_registry_t *r) { return r->store; }

static int store_error(eddy__sr_status_t *st, eddy_error_t *err) {
  int code = err != NULL && err->code == EDDY_ETIMEOUT ? 50002 : 50001;
  eddy__sr_fail(st, code, "Error in the backend data store: %s", eddy_error_msg(err));
  eddy_error_destroy(err);
  return code;
}

int eddy__sr_registry_sync(eddy__sr_registry_t *r, int timeout_ms, eddy__sr_status_t *st) {
  eddy_error_t *err = NULL;
  if (timeout_ms <= 0 || timeout_ms > r->conf.timeout_ms)
    timeout_ms = r->conf.timeout_ms;
  if (r->log->ops->sync(r->log, r->store, timeout_ms, &err) != 0)
    return store_error(st, err);
  return 0;
}

void eddy__sr_registry_poll(eddy__sr_registry_t *r) { r->log->ops->poll(r->log, r->store); }

int eddy__sr_registry_load(eddy__sr_registry_t *r, int timeout_ms, eddy_error_t **err) {
  return r->log->ops->sync(r->log, r->store, timeout_ms, err);
}

int eddy__sr_registry_write(eddy__sr_registry_t *r, eddy__sr_record_t *recs, int cnt,
                            eddy__sr_status_t *st) {
  eddy_error_t *err = NULL;
  int64_t last = -1;
  int rc = r->log->ops->append(r->log, recs, cnt, &last, &err);
  if (rc == 0)
    rc = r->log->ops->wait(r->log, r->store, last, r->conf.timeout_ms, &err);
  for (int i = 0; i < cnt; i++)
    eddy__sr_record_clear(&recs[i]);
  return rc != 0 ? store_error(st, err) : 0;
}

static int write_one(eddy__sr_registry_t *r, eddy__sr_record_t *rec, int rc,
                     eddy__sr_status_t *st) {
  if (rc != 0)
    return eddy__sr_fail(st, 50001, "out of memory encoding a record");
  return eddy__sr_registry_write(r, rec, 1, st);
}

/* ---- validation --------------------------------------------------------------------- */

int eddy__sr_check_subject(const char *subject, eddy__sr_status_t *st) {
  if (*subject == '\0')
    return eddy__sr_fail(st, 42208, "Invalid subject: empty");
  for (const unsigned char *c = (const unsigned char *)subject; *c; c++)
    if (*c < 0x20)
      return eddy__sr_fail(st, 42208, "Invalid subject: control character");
  return 0;
}

int eddy__sr_parse_schema(const char *text, size_t len, const char *type,
                          eddy_sr_schema_t **out, eddy__sr_status_t *st) {
  *out = NULL;
  if (type != NULL && strcmp(type, "AVRO") != 0)
    return eddy__sr_fail(st, 42201, "Invalid schema: schemaType %s is not supported "
                                    "(this registry serves AVRO only)", type);
  if (text == NULL || len == 0)
    return eddy__sr_fail(st, 42201, "Invalid schema: empty schema");
  eddy_error_t *err = NULL;
  int rc = eddy_sr_schema_parse(out, text, len, &err);
  if (rc == EDDY_ENOMEM)
    eddy__sr_fail(st, 50001, "out of memory parsing the schema");
  else if (rc != 0)
    eddy__sr_fail(st, 42201, "Invalid schema: %s", eddy_error_msg(err));
  eddy_error_destroy(err);
  return rc != 0 ? st->code : 0;
}

static const char *effective_mode(const eddy__sr_store_t *store, const eddy__sr_subject_t *s) {
  return s != NULL && s->mode != NULL ? s->mode : eddy__sr_store_global_mode(store);
}

int eddy__sr_registry_writable(eddy__sr_registry_t *r, const char *subject,
                               eddy__sr_status_t *st) {
  const char *mode = effective_mode(r->store, eddy__sr_store_subject(r->store, subject));
  if (strncmp(mode, "READONLY", 8) == 0)
    return eddy__sr_fail(st, 42205, "Subject %s is in read-only mode", subject);
  return 0;
}

/* ---- compatibility -------------------------------------------------------------------- */

/* Compare \p cand with \p prev (ascending versions) under \p level. */
static bool compatible_with(eddy_sr_compat_t level, const eddy_sr_schema_t *cand,
                            const eddy__sr_version_t *const *prev, int cnt, eddy_sr_msgs_t *why) {
  if (level == EDDY_SR_COMPAT_NONE || cnt == 0)
    return true;
  const eddy_sr_schema_t **parsed = eddy_malloc((size_t)cnt * sizeof(*parsed));
  int *map = eddy_malloc((size_t)cnt * sizeof(*map));
  if (parsed == NULL || map == NULL) {
    eddy_free(parsed);
    eddy_free(map);
    eddy_sr_msgs_add(why, "out of memory checking compatibility");
    return false;
  }
  int used = 0, failed = -1;
  for (int i = 0; i < cnt; i++)
    if (prev[i]->schema->parsed != NULL) {   /* other schema types are not compared */
      map[used] = i;
      parsed[used++] = prev[i]->schema->parsed;
    }
  bool ok = eddy_sr_compat_check(level, cand, parsed, used, &failed, why);
  if (!ok) {
    const eddy__sr_version_t *v = prev[map[failed]];
    eddy_sr_msgs_add(why, "{oldSchemaVersion: %d}", v->version);
    eddy_sr_msgs_add(why, "{oldSchema: '%s'}", v->schema->text);
    eddy_sr_msgs_add(why, "{compatibility: '%s'}", eddy_sr_compat_name(level));
  }
  eddy_free(parsed);
  eddy_free(map);
  return ok;
}

/* Non-deleted versions of \p s, ascending. Caller frees. */
static const eddy__sr_version_t **live_versions(const eddy__sr_subject_t *s, int *cnt) {
  *cnt = 0;
  if (s == NULL || s->version_cnt == 0)
    return NULL;
  const eddy__sr_version_t **out = eddy_malloc((size_t)s->version_cnt * sizeof(*out));
  for (int i = 0; out != NULL && i < s->version_cnt; i++)
    if (!s->versions[i].deleted)
      out[(*cnt)++] = &s->versions[i];
  return out;
}

int eddy__sr_check(eddy__sr_registry_t *r, const char *subject, int version,
                   const eddy_sr_schema_t *candidate, bool *compatible, eddy_sr_msgs_t *why,
                   eddy__sr_status_t *st) {
  const eddy__sr_subject_t *s = eddy__sr_store_subject(r->store, subject);
  eddy_sr_compat_t level = eddy__sr_store_compat(r->store, s);
  if (version != 0 && !eddy__sr_subject_live(s))
    return eddy__sr_fail(st, 40401, "Subject '%s' not found.", subject);
  const eddy__sr_version_t *one =
      version == -1 ? eddy__sr_subject_latest(s, false) : eddy__sr_subject_version(s, version);
  if (version != 0 && (one == NULL || one->deleted))
    return eddy__sr_fail(st, 40402, "Version %d not found.", version);
  int cnt = 1;
  const eddy__sr_version_t **prev = version != 0 ? &one : live_versions(s, &cnt);
  if (version == 0 && cnt > 0 && prev == NULL)
    return eddy__sr_fail(st, 50001, "out of memory");
  *compatible = compatible_with(level, candidate, prev, cnt, why);
  if (version == 0)
    eddy_free(prev);
  return 0;
}

/* "Schema being registered is incompatible ..., details: [m1, m2, ...]" */
static int incompatible(const char *subject, const eddy_sr_msgs_t *why, eddy__sr_status_t *st) {
  eddy_buf_t b = {0};
  for (int i = 0; i < why->cnt; i++)
    eddy_buf_printf(&b, "%s%s", i ? ", " : "", why->items[i]);
  const char *details = eddy_buf_cstr(&b);
  eddy__sr_fail(st, 409, "Schema being registered is incompatible with an earlier schema for "
                         "subject \"%s\", details: [%s]", subject, details ? details : "");
  eddy_buf_free(&b);
  return 409;
}

/* ---- register ---------------------------------------------------------------------------- */

typedef struct {
  int id;
  int version;
  bool exists;              /* already registered: nothing to write */
} plan_t;

static const eddy__sr_version_t *find_live(const eddy__sr_subject_t *s, const char *canonical) {
  for (int i = s ? s->version_cnt - 1 : -1; i >= 0; i--)
    if (!s->versions[i].deleted && strcmp(s->versions[i].schema->text, canonical) == 0)
      return &s->versions[i];
  return NULL;
}

static int plan_ids(eddy__sr_registry_t *r, const eddy__sr_subject_t *s, const char *canonical,
                    const eddy__sr_register_t *req, bool import, plan_t *p,
                    eddy__sr_status_t *st) {
  const eddy__sr_version_t *latest = eddy__sr_subject_latest(s, true);
  const eddy__sr_schema_t *same = eddy__sr_store_by_text(r->store, canonical);
  p->version = latest ? latest->version + 1 : 1;
  p->id = same ? same->id : eddy__sr_store_max_id(r->store) + 1;
  if (!import)
    return 0;
  if (req->id > 0) {
    const eddy__sr_schema_t *bound = eddy__sr_store_by_id(r->store, req->id);
    if (bound != NULL && strcmp(bound->text, canonical) != 0)
      return eddy__sr_fail(st, 42207, "Schema id %d already used by a different schema",
                           req->id);
    p->id = req->id;
  }
  if (req->version > 0) {
    if (latest != NULL && req->version <= latest->version)
      return eddy__sr_fail(st, 42201, "Version %d is not greater than the latest version %d",
                           req->version, latest->version);
    p->version = req->version;
  }
  return 0;
}

static int plan(eddy__sr_registry_t *r, const char *subject, const eddy_sr_schema_t *cand,
                const eddy__sr_register_t *req, plan_t *p, eddy_sr_msgs_t *why,
                eddy__sr_status_t *st) {
  const eddy__sr_subject_t *s = eddy__sr_store_subject(r->store, subject);
  const char *canonical = eddy_sr_schema_canonical(cand);
  bool import = strcmp(effective_mode(r->store, s), "IMPORT") == 0;
  const eddy__sr_version_t *have = find_live(s, canonical);
  if (have != NULL && (!import || req->id <= 0 || req->id == have->schema->id)) {
    *p = (plan_t){.id = have->schema->id, .version = have->version, .exists = true};
    return 0;
  }
  if (!import) {
    int cnt = 0;
    const eddy__sr_version_t **prev = live_versions(s, &cnt);
    bool ok = compatible_with(eddy__sr_store_compat(r->store, s), cand, prev, cnt, why);
    eddy_free(prev);
    if (!ok)
      return incompatible(subject, why, st);
  }
  return plan_ids(r, s, canonical, req, import, p, st);
}

/* Did our record win? If another took the key, re-append the winner's value. */
static int settle(eddy__sr_registry_t *r, const char *subject, const char *canonical,
                  const plan_t *p, bool *won, eddy__sr_status_t *st) {
  const eddy__sr_subject_t *s = eddy__sr_store_subject(r->store, subject);
  const eddy__sr_version_t *v = eddy__sr_subject_version(s, p->version);
  *won = v != NULL && v->schema->id == p->id && strcmp(v->schema->text, canonical) == 0;
  if (*won || v == NULL)
    return 0;
  eddy__sr_record_t rec = {0};
  int rc = eddy__sr_record_schema(&rec, subject, v->version, v->schema->id, v->schema->text,
                                  v->schema->schema_type, v->deleted);
  return write_one(r, &rec, rc, st);
}

static int register_once(eddy__sr_registry_t *r, const char *subject, const eddy_sr_schema_t *cand,
                         const eddy__sr_register_t *req, plan_t *p, bool *won,
                         eddy_sr_msgs_t *why, eddy__sr_status_t *st) {
  *won = false;
  if (eddy__sr_registry_sync(r, 0, st) != 0 || eddy__sr_registry_writable(r, subject, st) != 0 ||
      plan(r, subject, cand, req, p, why, st) != 0)
    return st->code;
  if (p->exists) {
    *won = true;
    return 0;
  }
  const char *canonical = eddy_sr_schema_canonical(cand);
  eddy__sr_record_t rec = {0};
  int rc = eddy__sr_record_schema(&rec, subject, p->version, p->id, canonical, NULL, false);
  if (rc == 0 && strlen(rec.key) + strlen(rec.value) > EDDY_SR_MAX_RECORD_BYTES) {
    eddy__sr_record_clear(&rec);
    return eddy__sr_fail(st, 42209, "Schema too large: its record would exceed %d bytes, "
                                    "Kafka's default message size limit", EDDY_SR_MAX_RECORD_BYTES);
  }
  if (write_one(r, &rec, rc, st) != 0)
    return st->code;
  return settle(r, subject, canonical, p, won, st);
}

int eddy__sr_register(eddy__sr_registry_t *r, const char *subject, const eddy__sr_register_t *req,
                      int *id, int *version, eddy_sr_msgs_t *why, eddy__sr_status_t *st) {
  eddy_sr_schema_t *cand = NULL;
  if (eddy__sr_check_subject(subject, st) != 0 ||
      eddy__sr_parse_schema(req->schema, req->schema_len, req->schema_type, &cand, st) != 0)
    return st->code;
  plan_t p = {0};
  bool won = false;
  int rc = 0;
  for (int attempt = 0; rc == 0 && !won && attempt < r->conf.write_retries; attempt++) {
    rc = register_once(r, subject, cand, req, &p, &won, why, st);
    if (rc == 0 && !won)
      eddy_log(r->conf.logger, EDDY_LOG_INFO, "registry",
               "subject '%s' version %d was taken by a concurrent writer; retrying", subject,
               p.version);
  }
  eddy_sr_schema_destroy(cand);
  if (rc != 0)
    return rc;
  if (!won)
    return eddy__sr_fail(st, 50001, "Error in the backend data store: registration kept "
                                    "losing to concurrent writers, retry");
  *id = p.id;
  *version = p.version;
  return 0;
}
