/*
 * Restore: replay changelog partitions into their stores, all at once on
 * one consumer with manual assignment, in large write batches that each
 * record the offset they reach (so an interrupted restore resumes where it
 * stopped). The end of each partition is its high watermark (the last
 * stable offset under read_committed) captured at the start.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eddy/alloc.h"
#include "state/store_int.h"

#define CONSUME_BATCH 2048

typedef struct {
  eddy_restore_job_t *job;
  eddy__restore_batch_t *batch;
  int64_t end;       /* stop before this offset */
  int64_t pos;       /* next offset expected */
  int64_t last;      /* last offset applied to the batch */
  bool done;
} rjob_t;

typedef struct {
  rd_kafka_t *rk;
  rjob_t *jobs;
  size_t cnt;
  rjob_t *hint;      /* last job a message matched: messages come in runs */
  const eddy_restore_conf_t *conf;
  eddy_restore_progress_t *progress;
  int64_t started_ms, logged_ms;
  int64_t total, applied;
  size_t open_cnt;
  size_t batch_bytes;  /* per job: conf batch_bytes, capped by memory_bytes / jobs */
} restore_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void eddy_restore_conf_init(eddy_restore_conf_t *conf) {
  memset(conf, 0, sizeof(*conf));
  conf->log_interval_ms = 2000;
  conf->batch_records = 200000;
  conf->batch_bytes = 16u << 20;
  conf->memory_bytes = 64u << 20;
}

static int set_conf(rd_kafka_conf_t *c, const char *k, const char *v, eddy_error_t **err) {
  char errstr[256];
  if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK)
    return 0;
  return eddy_error_set(err, EDDY_ECONFIG, "restore consumer: %s=%s: %s", k, v, errstr);
}

int eddy_restore_consumer_new(rd_kafka_t **out, const char *bootstrap, const char *group_id,
                              const char *const *extra, eddy_error_t **err) {
  static const char *const defaults[] = {
      "enable.auto.commit", "false", "enable.auto.offset.store", "false",
      "auto.offset.reset", "earliest", "enable.partition.eof", "true",
      "isolation.level", "read_committed", "fetch.max.bytes", "67108864",
      "max.partition.fetch.bytes", "16777216", "queued.max.messages.kbytes", "32768",
      "queued.min.messages", "100000", "fetch.wait.max.ms", "50",
      "check.crcs", "false", "log_level", "3", NULL};
  char errstr[256];
  *out = NULL;
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  int rc = set_conf(c, "bootstrap.servers", bootstrap, err);
  if (rc == 0)
    rc = set_conf(c, "group.id", group_id ? group_id : "eddy-restore", err);
  for (int i = 0; rc == 0 && defaults[i] != NULL; i += 2)
    rc = set_conf(c, defaults[i], defaults[i + 1], err);
  for (int i = 0; rc == 0 && extra != NULL && extra[i] != NULL; i += 2)
    rc = extra[i + 1] ? set_conf(c, extra[i], extra[i + 1], err)
                      : eddy_error_set(err, EDDY_EINVAL, "restore consumer: %s has no value",
                                       extra[i]);
  if (rc != 0) {
    rd_kafka_conf_destroy(c);
    return rc;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
  if (rk == NULL) {
    rd_kafka_conf_destroy(c);
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", false, "restore consumer: %s", errstr);
  }
  rd_kafka_poll_set_consumer(rk);
  *out = rk;
  return 0;
}

/* ---- progress ------------------------------------------------------------------ */

static void publish(restore_t *r, bool force) {
  int64_t t = now_ms(), elapsed = t - r->started_ms;
  int64_t done = 0;
  for (size_t i = 0; i < r->cnt; i++)
    done += r->jobs[i].pos - r->jobs[i].job->start_offset;
  int64_t rate = elapsed > 0 ? done * 1000 / elapsed : 0;
  int64_t eta = rate > 0 ? (r->total - done) * 1000 / rate : -1;
  if (r->progress != NULL) {
    atomic_store(&r->progress->records_done, done);
    atomic_store(&r->progress->rate, rate);
    atomic_store(&r->progress->eta_ms, eta);
    atomic_store(&r->progress->elapsed_ms, elapsed);
    atomic_store(&r->progress->stores_done, (int64_t)(r->cnt - r->open_cnt));
  }
  if (!force && t - r->logged_ms < r->conf->log_interval_ms)
    return;
  r->logged_ms = t;
  eddy_log(r->conf->logger, EDDY_LOG_INFO, "restore",
           "restore: %zu/%zu stores done, %" PRId64 "/%" PRId64 " records (%.0f%%), %" PRId64
           " records/s, ETA %.1f s",
           r->cnt - r->open_cnt, r->cnt, done, r->total,
           r->total > 0 ? 100.0 * (double)done / (double)r->total : 100.0, rate,
           eta < 0 ? 0.0 : (double)eta / 1000.0);
}

/* ---- planning ------------------------------------------------------------------- */

/* Decide where job \p rj starts and ends. */
static int plan_job(restore_t *r, rjob_t *rj, int timeout_ms, eddy_error_t **err) {
  eddy_restore_job_t *job = rj->job;
  eddy_store_t *st = job->store;
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(r->rk, job->topic, job->partition,
                                                           &lo, &hi, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", true, "restore %s: offsets of %s [%d]: %s",
                             st->name, job->topic, (int)job->partition, rd_kafka_err2str(e));
  int64_t committed = eddy_store_committed_offset(st);
  bool dirty = eddy_store_dirty(st) && (committed == EDDY_OFFSET_NONE || r->conf->wipe_dirty);
  bool reset = committed >= hi || dirty;
  if (reset) {
    if (dirty && committed != EDDY_OFFSET_NONE)
      eddy_log(r->conf->logger, EDDY_LOG_WARN, "restore",
               "store %s: holds writes evicted after its last commit, which may belong to an "
               "aborted transaction: wiping and restoring from the beginning", st->name);
    if (committed >= hi)
      eddy_log(r->conf->logger, EDDY_LOG_WARN, "restore",
               "store %s: recorded offset %" PRId64 " is past the end %" PRId64
               " of %s [%d] (topic recreated?): wiping and restoring from the beginning",
               st->name, committed, hi, job->topic, (int)job->partition);
    int rc = eddy_store_wipe(st, err);
    if (rc != 0)
      return rc;
    committed = EDDY_OFFSET_NONE;
  }
  int64_t start = committed + 1;
  if (start < lo) {
    if (committed != EDDY_OFFSET_NONE)
      eddy_log(r->conf->logger, EDDY_LOG_WARN, "restore",
               "store %s: %s [%d] starts at %" PRId64 ", after the recorded offset %" PRId64
               ": records in between were deleted by retention",
               st->name, job->topic, (int)job->partition, lo, committed);
    start = lo;
  }
  job->start_offset = start;
  job->end_offset = hi;
  job->records = 0;
  rj->pos = start < hi ? start : hi;
  rj->end = hi;
  rj->last = EDDY_OFFSET_NONE;
  rj->done = start >= hi;
  job->start_offset = rj->pos;
  r->total += hi - rj->pos;
  return 0;
}

static int plan(restore_t *r, eddy_error_t **err) {
  int timeout = r->conf->timeout_ms > 0 && r->conf->timeout_ms < 30000 ? r->conf->timeout_ms
                                                                       : 30000;
  for (size_t i = 0; i < r->cnt; i++) {
    rjob_t *rj = &r->jobs[i];
    int rc = plan_job(r, rj, timeout, err);
    if (rc == 0)
      rc = eddy__store_restore_begin(rj->job->store, &rj->batch, err);
    if (rc != 0)
      return rc;
    if (!rj->done)
      r->open_cnt++;
  }
  if (r->progress != NULL) {
    atomic_store(&r->progress->stores_total, (int64_t)r->cnt);
    atomic_store(&r->progress->records_total, r->total);
  }
  return 0;
}

static int assign(restore_t *r, eddy_error_t **err) {
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)r->open_cnt);
  for (size_t i = 0; i < r->cnt; i++)
    if (!r->jobs[i].done)
      rd_kafka_topic_partition_list_add(parts, r->jobs[i].job->topic,
                                        r->jobs[i].job->partition)->offset = r->jobs[i].pos;
  rd_kafka_resp_err_t e = rd_kafka_assign(r->rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", false, "restore: assign: %s",
                             rd_kafka_err2str(e));
  return 0;
}

/* ---- applying ---------------------------------------------------------------------- */

static rjob_t *lookup(restore_t *r, const rd_kafka_message_t *m) {
  if (m->rkt == NULL)
    return NULL;
  const char *topic = rd_kafka_topic_name(m->rkt);
  if (r->hint != NULL && r->hint->job->partition == m->partition &&
      strcmp(r->hint->job->topic, topic) == 0)
    return r->hint;
  for (size_t i = 0; i < r->cnt; i++)
    if (r->jobs[i].job->partition == m->partition && strcmp(r->jobs[i].job->topic, topic) == 0)
      return r->hint = &r->jobs[i];
  return NULL;
}

static int write_batch(rjob_t *rj, eddy_error_t **err) {
  eddy_store_t *st = rj->job->store;
  if (rj->last == EDDY_OFFSET_NONE || eddy__restore_batch_count(rj->batch) == 0)
    return 0;
  return eddy__store_restore_write(st, rj->batch, rj->last, err);
}

static int finish(restore_t *r, rjob_t *rj, eddy_error_t **err) {
  int rc = write_batch(rj, err);
  if (rc != 0)
    return rc;
  rj->done = true;
  rj->pos = rj->end;
  r->open_cnt--;
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, rj->job->topic, rj->job->partition);
  rd_kafka_pause_partitions(r->rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  return 0;
}

static int apply(restore_t *r, rjob_t *rj, const rd_kafka_message_t *m, eddy_error_t **err) {
  eddy_store_t *st = rj->job->store;
  eddy_slice_t key = eddy_slice(m->key, m->key_len);
  eddy_slice_t val = eddy_slice(m->payload, m->len);
  int rc = eddy__store_restore_add(st, rj->batch, key, m->payload ? &val : NULL, err);
  if (rc != 0)
    return rc;
  rj->last = m->offset;
  rj->pos = m->offset + 1;
  rj->job->records++;
  r->applied++;
  if (eddy__restore_batch_count(rj->batch) >= r->conf->batch_records ||
      eddy__restore_batch_bytes(rj->batch) >= r->batch_bytes) {
    rc = write_batch(rj, err);
    if (rc != 0)
      return rc;
  }
  return rj->pos >= rj->end ? finish(r, rj, err) : 0;
}

static bool transient(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__RESOLVE ||
         e == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
         e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
}

static int handle(restore_t *r, const rd_kafka_message_t *m, eddy_error_t **err) {
  rjob_t *rj = lookup(r, m);
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (rj != NULL && !rj->done && m->offset >= rj->end)
      return finish(r, rj, err);  /* the tail was control records */
    return 0;
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (transient(m->err)) {
      eddy_log(r->conf->logger, EDDY_LOG_DEBUG, "restore", "consumer: %s",
               rd_kafka_message_errstr(m));
      return 0;
    }
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", false, "restore: consume %s [%d]: %s",
                             m->rkt ? rd_kafka_topic_name(m->rkt) : "-", (int)m->partition,
                             rd_kafka_message_errstr(m));
  }
  if (rj == NULL || rj->done || m->offset < rj->pos)
    return 0;
  if (m->offset >= rj->end)
    return finish(r, rj, err);
  return apply(r, rj, m, err);
}

static int check_stop(restore_t *r, eddy_error_t **err) {
  if (r->conf->cancel != NULL && atomic_load(r->conf->cancel))
    return eddy_error_set(err, EDDY_ECANCELED, "restore canceled");
  if (r->conf->timeout_ms > 0 && now_ms() - r->started_ms > r->conf->timeout_ms)
    return eddy_error_set_ex(err, EDDY_ETIMEOUT, "restore", true,
                             "restore timed out after %d ms with %zu stores unfinished",
                             r->conf->timeout_ms, r->open_cnt);
  return 0;
}

static int consume(restore_t *r, eddy_error_t **err) {
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(r->rk);
  rd_kafka_message_t **msgs = eddy_malloc(CONSUME_BATCH * sizeof(*msgs));
  int rc = q && msgs ? 0 : eddy_error_set(err, EDDY_ENOMEM, "restore: no consumer queue");
  while (rc == 0 && r->open_cnt > 0) {
    ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, CONSUME_BATCH);
    for (ssize_t i = 0; i < n; i++) {
      if (rc == 0)
        rc = handle(r, msgs[i], err);
      rd_kafka_message_destroy(msgs[i]);
    }
    if (rc == 0)
      rc = check_stop(r, err);
    publish(r, false);
  }
  eddy_free(msgs);
  if (q != NULL)
    rd_kafka_queue_destroy(q);
  return rc;
}

static bool uses_eof(rd_kafka_t *rk) {
  char val[16];
  size_t len = sizeof(val);
  const rd_kafka_conf_t *c = rd_kafka_conf(rk);
  return rd_kafka_conf_get(c, "enable.partition.eof", val, &len) == RD_KAFKA_CONF_OK &&
         strcmp(val, "true") == 0;
}

int eddy_restore_run(rd_kafka_t *consumer, eddy_restore_job_t *jobs, size_t job_cnt,
                     const eddy_restore_conf_t *conf, eddy_restore_progress_t *progress,
                     eddy_error_t **err) {
  eddy_restore_conf_t defaults;
  if (conf == NULL) {
    eddy_restore_conf_init(&defaults);
    conf = &defaults;
  }
  if (!uses_eof(consumer))
    return eddy_error_set(err, EDDY_ECONFIG, "restore consumer needs enable.partition.eof=true");
  restore_t r = {.rk = consumer, .cnt = job_cnt, .conf = conf, .progress = progress};
  r.batch_bytes = conf->batch_bytes;
  if (job_cnt > 0 && conf->memory_bytes > 0 && conf->memory_bytes / job_cnt < r.batch_bytes)
    r.batch_bytes = conf->memory_bytes / job_cnt;
  if (r.batch_bytes < (64u << 10))
    r.batch_bytes = 64u << 10;
  r.started_ms = r.logged_ms = now_ms();
  r.jobs = eddy_calloc(job_cnt ? job_cnt : 1, sizeof(*r.jobs));
  if (r.jobs == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (size_t i = 0; i < job_cnt; i++)
    r.jobs[i].job = &jobs[i];
  int rc = plan(&r, err);
  if (rc == 0 && r.open_cnt > 0) {
    rc = assign(&r, err);
    if (rc == 0)
      rc = consume(&r, err);
    rd_kafka_assign(consumer, NULL);
  }
  publish(&r, true);
  if (rc == 0)
    eddy_log(conf->logger, EDDY_LOG_INFO, "restore",
             "restored %zu stores: %" PRId64 " records in %.1f s", job_cnt, r.applied,
             (double)(now_ms() - r.started_ms) / 1000.0);
  for (size_t i = 0; i < job_cnt; i++)
    if (r.jobs[i].batch != NULL)
      eddy__store_restore_end(jobs[i].store, r.jobs[i].batch);
  eddy_free(r.jobs);
  return rc;
}
