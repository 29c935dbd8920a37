/*
 * Private to the Schema Registry server: the in-memory store built from the
 * `_schemas` log, the log interface (Kafka, or memory for tests), the
 * registry operations and their Confluent error codes.
 */
#ifndef EDDY_SR_INT_H
#define EDDY_SR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/alloc.h"
#include "eddy/error.h"
#include "eddy/log.h"
#include "schema-registry/avro_schema.h"

/* ---- string map ------------------------------------------------------------ */

typedef struct eddy__sr_map_entry_s eddy__sr_map_entry_t;

typedef struct {
  eddy__sr_map_entry_t **buckets;
  size_t bucket_cnt;
  size_t cnt;
} eddy__sr_map_t;

/** @returns the value under \p key or NULL. */
void *eddy__sr_map_get(const eddy__sr_map_t *m, const char *key);
/** Insert or replace (the key is copied). @returns 0 or EDDY_ENOMEM. */
int eddy__sr_map_put(eddy__sr_map_t *m, const char *key, void *val);
/** Remove \p key. @returns the value it had, or NULL. */
void *eddy__sr_map_del(eddy__sr_map_t *m, const char *key);
/** Call \p fn for every entry (no changes to \p m meanwhile). */
void eddy__sr_map_each(const eddy__sr_map_t *m, void (*fn)(void *opaque, const char *key, void *val),
                       void *opaque);
/** Free the map's own storage (not the values). */
void eddy__sr_map_free(eddy__sr_map_t *m);

/* ---- store ------------------------------------------------------------------- */

/* A schema known by id. Avro schemas are kept parsed for compatibility checks. */
typedef struct {
  int id;
  char *text;               /* canonical text (raw text for other schema types) */
  char *schema_type;        /* NULL for AVRO */
  eddy_sr_schema_t *parsed; /* NULL unless an Avro schema that parses */
  int refs;                 /* versions (deleted or not) pointing at it */
} eddy__sr_schema_t;

typedef struct {
  int version;
  bool deleted;             /* soft-deleted */
  eddy__sr_schema_t *schema;
} eddy__sr_version_t;

typedef struct {
  char *name;
  eddy__sr_version_t *versions;   /* ascending by version */
  int version_cnt;
  int version_cap;
  bool has_compat;
  eddy_sr_compat_t compat;        /* subject-level level when has_compat */
  char *mode;                     /* subject-level mode or NULL */
} eddy__sr_subject_t;

typedef struct eddy__sr_store_s eddy__sr_store_t;

/** What applying one log record did. */
typedef enum {
  EDDY_SR_APPLIED,   /* changed (or confirmed) the state */
  EDDY_SR_REJECTED,  /* lost a conflict with an earlier record: ignored */
  EDDY_SR_IGNORED,   /* NOOP, unknown or malformed record */
} eddy__sr_apply_t;

eddy__sr_store_t *eddy__sr_store_new(const eddy_logger_t *logger);
void eddy__sr_store_destroy(eddy__sr_store_t *st);

/**
 * Apply the `_schemas` record at \p offset (\p value NULL: a tombstone).
 * Deterministic: every instance applying the same log gets the same state.
 * A SCHEMA record is rejected when its (subject, version) already holds a
 * different schema or id, or when its id is bound to a different schema:
 * the earlier record in the log wins.
 */
eddy__sr_apply_t eddy__sr_store_apply(eddy__sr_store_t *st, const char *key, size_t key_len,
                                      const char *value, size_t value_len, int64_t offset);

/** @returns the offset after the last record applied (0 when none). */
int64_t eddy__sr_store_next_offset(const eddy__sr_store_t *st);

eddy__sr_subject_t *eddy__sr_store_subject(const eddy__sr_store_t *st, const char *name);
eddy__sr_schema_t *eddy__sr_store_by_id(const eddy__sr_store_t *st, int id);
eddy__sr_schema_t *eddy__sr_store_by_text(const eddy__sr_store_t *st, const char *canonical);
/** @returns the largest id any record ever carried (ids are never reused). */
int eddy__sr_store_max_id(const eddy__sr_store_t *st);
eddy_sr_compat_t eddy__sr_store_global_compat(const eddy__sr_store_t *st);
/** @returns the global mode ("READWRITE" unless set). */
const char *eddy__sr_store_global_mode(const eddy__sr_store_t *st);

/**
 * Subject names, sorted; \p deleted includes subjects whose versions are all
 * soft-deleted. @returns a new array of borrowed names (free the array with
 * eddy_free()), *cnt entries; NULL with *cnt 0 when empty or on OOM.
 */
const char **eddy__sr_store_subjects(const eddy__sr_store_t *st, bool deleted, int *cnt);

/** Every (subject, version) using schema \p id, sorted. Caller frees *out. */
int eddy__sr_store_id_versions(const eddy__sr_store_t *st, int id, bool deleted,
                               const eddy__sr_subject_t ***subjects, int **versions, int *cnt);

eddy__sr_version_t *eddy__sr_subject_version(const eddy__sr_subject_t *s, int version);
/** @returns the newest version, skipping soft-deleted ones unless \p deleted. */
eddy__sr_version_t *eddy__sr_subject_latest(const eddy__sr_subject_t *s, bool deleted);
/** Does \p s have a version that is not soft-deleted? */
bool eddy__sr_subject_live(const eddy__sr_subject_t *s);
/** @returns the subject's level, or the global one when it has none. */
eddy_sr_compat_t eddy__sr_store_compat(const eddy__sr_store_t *st, const eddy__sr_subject_t *s);

/* ---- `_schemas` records (Confluent's key/value JSON) ------------------------------ */

typedef struct {
  char *key;
  char *value;              /* NULL: tombstone */
} eddy__sr_record_t;

int eddy__sr_record_schema(eddy__sr_record_t *r, const char *subject, int version, int id,
                           const char *schema, const char *schema_type, bool deleted);
int eddy__sr_record_schema_tombstone(eddy__sr_record_t *r, const char *subject, int version);
/** \p subject NULL: the global config. \p level NULL: a tombstone. */
int eddy__sr_record_config(eddy__sr_record_t *r, const char *subject, const char *level);
/** \p subject NULL: the global mode. \p mode NULL: a tombstone. */
int eddy__sr_record_mode(eddy__sr_record_t *r, const char *subject, const char *mode);
int eddy__sr_record_noop(eddy__sr_record_t *r);
void eddy__sr_record_clear(eddy__sr_record_t *r);

/* ---- the log ------------------------------------------------------------------------ */

/**
 * Where records live. Records are applied to the store only when read back
 * from the log, so all instances see one order.
 */
typedef struct eddy__sr_log_s eddy__sr_log_t;

typedef struct {
  /** Apply every record up to the log's current end. */
  int (*sync)(eddy__sr_log_t *log, eddy__sr_store_t *st, int timeout_ms, eddy_error_t **err);
  /** Append \p cnt records; *last is the offset of the last one. */
  int (*append)(eddy__sr_log_t *log, const eddy__sr_record_t *recs, int cnt, int64_t *last,
                eddy_error_t **err);
  /** Apply records until the one at \p offset has been applied. */
  int (*wait)(eddy__sr_log_t *log, eddy__sr_store_t *st, int64_t offset, int timeout_ms,
              eddy_error_t **err);
  /** Apply whatever is available now, without blocking. */
  void (*poll)(eddy__sr_log_t *log, eddy__sr_store_t *st);
  void (*destroy)(eddy__sr_log_t *log);
} eddy__sr_log_ops_t;

struct eddy__sr_log_s {
  const eddy__sr_log_ops_t *ops;
};

/** Settings of the Kafka log. */
typedef struct {
  const char *bootstrap;
  const char *topic;          /* "_schemas" */
  int timeout_ms;             /* per produce / read-back */
  const eddy_logger_t *logger;
} eddy__sr_kafka_conf_t;

/** Open the `_schemas` topic (create it if missing). */
int eddy__sr_log_kafka_open(eddy__sr_log_t **out, const eddy__sr_kafka_conf_t *conf,
                            eddy_error_t **err);

/**
 * An in-memory log shared by several registries in one process (tests).
 * Each eddy__sr_log_mem_open() on the same \p shared reads the same records.
 */
typedef struct eddy__sr_mem_shared_s eddy__sr_mem_shared_t;
eddy__sr_mem_shared_t *eddy__sr_mem_shared_new(void);
void eddy__sr_mem_shared_destroy(eddy__sr_mem_shared_t *m);
/** Called before each append (tests inject competing writes here). */
void eddy__sr_mem_shared_hook(eddy__sr_mem_shared_t *m, void (*fn)(void *opaque), void *opaque);
int eddy__sr_mem_shared_cnt(const eddy__sr_mem_shared_t *m);
/** The record at \p offset; borrowed. */
const eddy__sr_record_t *eddy__sr_mem_shared_record(const eddy__sr_mem_shared_t *m, int offset);
int eddy__sr_log_mem_open(eddy__sr_log_t **out, eddy__sr_mem_shared_t *shared);

/* ---- registry operations -------------------------------------------------------------- */

/** Largest `_schemas` record written: below Kafka's default message.max.bytes. */
#define EDDY_SR_MAX_RECORD_BYTES 990000

/** Outcome of an operation: 0, or a Confluent error code and message. */
typedef struct {
  int code;                 /* 40401, 42201, 409, 50001 ...; 0 = success */
  char message[1024];
} eddy__sr_status_t;

/** Set \p st and @returns its code. */
int eddy__sr_fail(eddy__sr_status_t *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** HTTP status of a Confluent error code (40401 -> 404, 409 -> 409). */
int eddy__sr_http_status(int code);

typedef struct eddy__sr_registry_s eddy__sr_registry_t;

typedef struct {
  int timeout_ms;           /* bound on each log sync/append/read-back */
  int write_retries;        /* attempts when a concurrent writer wins */
  const eddy_logger_t *logger;
} eddy__sr_registry_conf_t;

/** Takes ownership of \p log, even on failure. */
int eddy__sr_registry_new(eddy__sr_registry_t **out, eddy__sr_log_t *log,
                          const eddy__sr_registry_conf_t *conf, eddy_error_t **err);
void eddy__sr_registry_destroy(eddy__sr_registry_t *r);
eddy__sr_store_t *eddy__sr_registry_store(eddy__sr_registry_t *r);
/**
 * Read the log to its end (before a write, and before answering "not
 * found"), within \p timeout_ms (<= 0: the registry's timeout).
 */
int eddy__sr_registry_sync(eddy__sr_registry_t *r, int timeout_ms, eddy__sr_status_t *st);
/** Read the log to its end within \p timeout_ms (start-up). */
int eddy__sr_registry_load(eddy__sr_registry_t *r, int timeout_ms, eddy_error_t **err);
/** Apply new records without blocking (called from a timer). */
void eddy__sr_registry_poll(eddy__sr_registry_t *r);

typedef struct {
  const char *schema;       /* schema text as sent */
  size_t schema_len;
  const char *schema_type;  /* NULL or "AVRO" */
  int id;                   /* IMPORT mode only; 0 = allocate */
  int version;              /* IMPORT mode only; 0 = next */
  bool normalize;           /* accepted; Avro schemas are always canonicalised */
} eddy__sr_register_t;

/** Register; *id and *version are the (possibly existing) registration. */
int eddy__sr_register(eddy__sr_registry_t *r, const char *subject, const eddy__sr_register_t *req,
                      int *id, int *version, eddy_sr_msgs_t *why, eddy__sr_status_t *st);
/** Soft or hard delete of a subject; *versions (caller frees) lists what was deleted. */
int eddy__sr_delete_subject(eddy__sr_registry_t *r, const char *subject, bool permanent,
                            int **versions, int *cnt, eddy__sr_status_t *st);
/** \p version -1 means latest. *deleted is the version number deleted. */
int eddy__sr_delete_version(eddy__sr_registry_t *r, const char *subject, int version,
                            bool permanent, int *deleted, eddy__sr_status_t *st);
/** \p subject NULL: global. \p level NULL: delete (reset). */
int eddy__sr_set_config(eddy__sr_registry_t *r, const char *subject, const char *level,
                        eddy__sr_status_t *st);
int eddy__sr_set_mode(eddy__sr_registry_t *r, const char *subject, const char *mode,
                      eddy__sr_status_t *st);

/** Append \p recs (cleared afterwards) and read them back from the log. */
int eddy__sr_registry_write(eddy__sr_registry_t *r, eddy__sr_record_t *recs, int cnt,
                            eddy__sr_status_t *st);
/** 0, or 42205 when \p subject (or the registry) is read-only. */
int eddy__sr_registry_writable(eddy__sr_registry_t *r, const char *subject,
                               eddy__sr_status_t *st);
/** 0, or 42208 for an empty subject or one with control characters. */
int eddy__sr_check_subject(const char *subject, eddy__sr_status_t *st);

/** Parse \p text as a schema of \p type for registration or checks. */
int eddy__sr_parse_schema(const char *text, size_t len, const char *type,
                          eddy_sr_schema_t **out, eddy__sr_status_t *st);

/**
 * Test \p candidate against \p subject's versions: \p version > 0 that
 * version, -1 the latest, 0 every version under the subject's level.
 * *compatible gets the verdict; \p why the reasons.
 */
int eddy__sr_check(eddy__sr_registry_t *r, const char *subject, int version,
                   const eddy_sr_schema_t *candidate, bool *compatible, eddy_sr_msgs_t *why,
                   eddy__sr_status_t *st);

/* ---- client side ---------------------------------------------------------------------- */

/** A blocking HTTP/1.1 connection to one of several registry base URLs. */
typedef struct eddy__sr_conn_s eddy__sr_conn_t;

/** \p urls: comma-separated "http://host:port[/prefix]". @returns 0 or EDDY_ECONFIG. */
int eddy__sr_conn_new(eddy__sr_conn_t **out, const char *urls, int timeout_ms,
                      eddy_error_t **err);
void eddy__sr_conn_destroy(eddy__sr_conn_t *c);
/**
 * Send one request (\p body NULL: none) and read the response.
 * @returns 0 with *status and \p resp filled, or EDDY_EIO / EDDY_ETIMEOUT
 *          (retriable) when no base URL answered.
 */
int eddy__sr_conn_request(eddy__sr_conn_t *c, const char *method, const char *path,
                          const char *body, int *status, eddy_buf_t *resp, eddy_error_t **err);

/** avro-c's parse of \p json (the avro_strerror() boundary). */
struct avro_obj_t;
int eddy__sr_avro_parse(const char *json, struct avro_obj_t **out, eddy_error_t **err);

#endif
