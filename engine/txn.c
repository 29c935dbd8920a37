/*
 * processing.guarantee=exactly_once_v2: one transactional producer per
 * stream thread, transactional.id = <application.id>-<instance id>-<thread
 * index>. The instance id (engine/instance.h) differs between running
 * processes of one application, which on Kafka would otherwise fence each
 * other's producers at every start, and is kept across restarts with the
 * same state.dir, so a restarted instance ends the transaction its crashed
 * predecessor left open at once (InitProducerId) instead of leaving
 * read_committed readers waiting for transaction.timeout.ms. Zombies of a
 * rebalance are fenced by the consumer group generation sent with the
 * offsets (KIP-447), as in Kafka Streams.
 * Every output of a commit interval (sinks, repartition topics, changelogs,
 * dead letters, late records) and the consumed positions go in one Kafka
 * transaction. A commit:
 *
 *   1. flushes the stores (changelog records, final results) and the
 *      producer; a failed delivery aborts the transaction
 *   2. sends the consumed positions with the consumer's group metadata to
 *      the transaction and commits it
 *   3. only then commits the stores: each RocksDB batch with the changelog
 *      offset it reached (KIP-892), so after a crash a task restores only
 *      the changelog tail after that offset, read_committed
 *   4. begins the next transaction
 *
 * An abortable error aborts the transaction, drops what the stores hold
 * since their last commit (closing and reopening the tasks, which restore
 * the changelog tail and start their operators from the stores), rewinds
 * the consumer to the committed offsets and goes on. A fenced or otherwise
 * fatal producer stops the application.
 *
 * The embedded broker (librdkafka's mock cluster, recognised by its cluster
 * id) accepts TxnOffsetCommit but does not store the offsets: there the
 * positions are also committed through the group once the transaction has
 * committed. On real Kafka that second commit is not made.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/app_int.h"
#include "engine/util.h"

#define TXN_TIMEOUT_MS 60000
#define FLUSH_TIMEOUT_MS 60000
#define RETRIES 5
#define ABORTED 1   /* internal: the transaction was aborted and the input rewound */

typedef struct eddy_txn_s {
  char id[256];                               /* transactional.id */
  bool embedded;                              /* the mock cluster: commit through the group too */
  bool fatal;                                 /* fenced or fatal: every commit fails */
  int fatal_rc;                               /* EDDY_EFENCED or EDDY_EKAFKA */
  char fatal_msg[1024];
  rd_kafka_consumer_group_metadata_t *group;  /* taken at each commit (generation changes) */
  rd_kafka_topic_partition_list_t *sent;      /* positions of the last committed transaction */
  bool stores_current;                        /* aborted: the reopened stores are as committed */
} eddy_txn_t;

bool eddy__txn_enabled(const eddy_stream_thread_t *t) { return t->txn != NULL; }

/* A kafka.* (or kafka.producer.*) setting of the user's. */
static bool user_set(const eddy_config_t *c, const char *key) {
  for (uint32_t i = 0; i < c->kafka_cnt; i++) {
    const char *k = c->kafka_keys[i];
    if (strncmp(k, "producer.", 9) == 0)
      k += 9;
    if (strcmp(k, key) == 0)
      return true;
  }
  return false;
}

int eddy__txn_configure(eddy_stream_thread_t *t, rd_kafka_conf_t *consumer,
                        rd_kafka_conf_t *producer, eddy_error_t **err) {
  const eddy_config_t *c = &t->app->conf;
  if (c->processing_guarantee != EDDY_EXACTLY_ONCE_V2)
    return 0;
  if (t->txn == NULL) {
    t->txn = eddy_calloc(1, sizeof(eddy_txn_t));
    if (t->txn == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
    snprintf(t->txn->id, sizeof(t->txn->id), "%s-%s-%d", t->app->app_id, t->app->instance.id,
             t->index);
  }
  if (consumer != NULL)
    return eddy_kafka_conf_set(consumer, "isolation.level", "read_committed", err);
  if (producer == NULL)
    return 0;
  int rc = eddy_kafka_conf_set(producer, "transactional.id", t->txn->id, err);
  /* as Kafka Streams: a hung instance holds read_committed readers back at most this long */
  if (rc == 0 && !user_set(c, "transaction.timeout.ms"))
    rc = eddy_kafka_conf_set(producer, "transaction.timeout.ms", "10000", err);
  return rc;
}

void eddy__txn_free(eddy_stream_thread_t *t) {
  eddy_txn_t *x = t->txn;
  if (x == NULL)
    return;
  if (x->group != NULL)
    rd_kafka_consumer_group_metadata_destroy(x->group);
  if (x->sent != NULL)
    rd_kafka_topic_partition_list_destroy(x->sent);
  eddy_free(x);
  t->txn = NULL;
}

static bool fenced_code(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__FENCED || e == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         e == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/* The producer is fenced or broken for good: remember why, fail this and every later commit. */
static int fatal(eddy_stream_thread_t *t, const rd_kafka_error_t *e, const char *what,
                 eddy_error_t **err) {
  eddy_txn_t *x = t->txn;
  if (!x->fatal) {
    char reason[256] = "";
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    if (rd_kafka_error_is_fatal(e))
      code = rd_kafka_fatal_error(t->producer, reason, sizeof(reason));
    if (fenced_code(code))
      snprintf(x->fatal_msg, sizeof(x->fatal_msg), "%s: the producer was fenced: another "
               "instance with the same transactional id '%s' took over (%s); stopping this one",
               what, x->id, rd_kafka_error_string(e));
    else
      snprintf(x->fatal_msg, sizeof(x->fatal_msg), "%s: fatal transaction error on '%s': %s%s%.200s",
               what, x->id, rd_kafka_error_string(e), reason[0] ? ": " : "", reason);
    x->fatal = true;
    x->fatal_rc = fenced_code(code) ? EDDY_EFENCED : EDDY_EKAFKA;
    eddy_log(&t->app->log, EDDY_LOG_ERROR, "txn", "%s/%d: %s", t->app->app_id, t->index,
             x->fatal_msg);
  }
  return eddy_error_set(err, x->fatal_rc, "%s", x->fatal_msg);
}

static int begin(eddy_stream_thread_t *t, eddy_error_t **err) {
  rd_kafka_error_t *e = rd_kafka_begin_transaction(t->producer);
  if (e == NULL)
    return 0;
  int rc = fatal(t, e, "beginning a transaction", err);
  rd_kafka_error_destroy(e);
  return rc;
}

int eddy__txn_init(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_txn_t *x = t->txn;
  if (x == NULL)
    return 0;
  rd_kafka_error_t *e = rd_kafka_init_transactions(t->producer, TXN_TIMEOUT_MS);
  if (e != NULL) {
    int rc = rd_kafka_error_is_fatal(e) ? fatal(t, e, "initialising transactions", err)
             : eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", rd_kafka_error_is_retriable(e),
                                 "initialising transactions ('%s'): %s (Kafka >= 2.5 is needed "
                                 "for exactly_once_v2)", x->id, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return rc;
  }
  x->embedded = eddy_kafka_embedded(t->producer, 10000);
  eddy_log(&t->app->log, EDDY_LOG_INFO, "txn", "%s/%d: exactly_once_v2: transactional id '%s'%s",
           t->app->app_id, t->index, x->id,
           x->embedded ? " (embedded broker: offsets also committed through the group)" : "");
  return begin(t, err);
}

/* Partition by partition, the same offsets? */
static bool same_positions(const rd_kafka_topic_partition_list_t *a,
                           const rd_kafka_topic_partition_list_t *b) {
  if (a == NULL || b == NULL || a->cnt != b->cnt)
    return false;
  for (int i = 0; i < a->cnt; i++) {
    const rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find(b, a->elems[i].topic, a->elems[i].partition);
    if (p == NULL || p->offset != a->elems[i].offset)
      return false;
  }
  return true;
}

/* Seek every assigned partition back to its committed offset (the beginning if none). */
static int rewind_consumer(eddy_stream_thread_t *t, eddy_error_t **err) {
  rd_kafka_topic_partition_list_t *parts = NULL;
  rd_kafka_resp_err_t e = rd_kafka_assignment(t->consumer, &parts);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && parts->cnt > 0)
    e = rd_kafka_committed(t->consumer, parts, TXN_TIMEOUT_MS);
  int rc = 0;
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    rc = eddy_kafka_error(err, e, "reading the committed offsets after an abort");
  for (int i = 0; rc == 0 && i < parts->cnt; i++)
    if (parts->elems[i].offset < 0)
      parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
  if (rc == 0 && parts->cnt > 0) {
    rd_kafka_error_t *se = rd_kafka_seek_partitions(t->consumer, parts, TXN_TIMEOUT_MS);
    if (se != NULL)
      rc = eddy_error_set(err, EDDY_EKAFKA, "seeking to the committed offsets after an abort: %s",
                          rd_kafka_error_string(se));
    rd_kafka_error_destroy(se);
  }
  if (parts != NULL)
    rd_kafka_topic_partition_list_destroy(parts);
  return rc;
}

/*
 * Abort the open transaction and start again from the last commit: the
 * stores drop what they hold since it (the tasks reopen and restore), the
 * consumer goes back to the committed offsets. When the partitions are
 * being revoked, their next owner starts from the committed offsets anyway.
 */
static int abort_txn(eddy_stream_thread_t *t, const char *why, bool revoking, eddy_error_t **err) {
  eddy_app_t *app = t->app;
  eddy_txn_t *x = t->txn;
  eddy_log(&app->log, EDDY_LOG_WARN, "txn", "%s/%d: aborting the transaction: %s; processing "
           "again from the last committed offsets", app->app_id, t->index, why);
  rd_kafka_error_t *e = rd_kafka_abort_transaction(t->producer, TXN_TIMEOUT_MS);
  if (e != NULL) {
    int rc = fatal(t, e, "aborting a transaction", err);
    rd_kafka_error_destroy(e);
    return rc;
  }
  rd_kafka_flush(t->producer, FLUSH_TIMEOUT_MS);   /* serve the purged records' reports */
  atomic_store(&t->delivery_failures, 0);
  atomic_fetch_add(&app->counters.txn_aborts, 1);
  eddy_exec_abort(t->exec);
  x->stores_current = !revoking;
  int rc = revoking ? 0 : eddy__thread_reopen_tasks(t, err);
  rc = rc == 0 && !revoking ? rewind_consumer(t, err) : rc;
  return rc == 0 ? begin(t, err) : rc;
}

/*
 * After an abort in this process the reopened stores are exactly as last
 * committed: the changelog after their offsets holds only the aborted
 * transaction (which read_committed skips on Kafka, and the embedded broker
 * would hand over), so they need no restore, unless one holds evicted writes.
 */
bool eddy__txn_stores_current(eddy_stream_thread_t *t, const eddy_restore_job_t *jobs, size_t n) {
  if (t->txn == NULL || !t->txn->stores_current)
    return false;
  t->txn->stores_current = false;
  for (size_t i = 0; i < n; i++)
    if (eddy_store_dirty(jobs[i].store))
      return false;
  return true;
}

/* An error of a transactional call: retry (true), abort, or fail. */
static int txn_error(eddy_stream_thread_t *t, rd_kafka_error_t *e, const char *what,
                     bool revoking, bool *retry, eddy_error_t **err) {
  *retry = false;
  int rc;
  if (rd_kafka_error_txn_requires_abort(e)) {
    char why[512];
    snprintf(why, sizeof(why), "%s: %s", what, rd_kafka_error_string(e));
    rc = abort_txn(t, why, revoking, err);
    rc = rc == 0 ? ABORTED : rc;
  } else if (rd_kafka_error_is_retriable(e)) {
    *retry = true;
    rc = 0;
  } else {
    rc = fatal(t, e, what, err);
  }
  rd_kafka_error_destroy(e);
  return rc;
}

/* Positions + commit. @returns 0, ABORTED (aborted, nothing lost) or an error. */
static int commit_txn(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *pos,
                      bool revoking, eddy_error_t **err) {
  eddy_txn_t *x = t->txn;
  bool send = pos->cnt > 0 && !same_positions(pos, x->sent);
  for (int attempt = 0; send && attempt < RETRIES; attempt++) {
    if (x->group != NULL)
      rd_kafka_consumer_group_metadata_destroy(x->group);
    x->group = rd_kafka_consumer_group_metadata(t->consumer);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(t->producer, pos, x->group,
                                                               TXN_TIMEOUT_MS);
    bool retry;
    int rc = e == NULL ? 0 : txn_error(t, e, "sending offsets to the transaction", revoking,
                                        &retry, err);
    if (e == NULL || !retry)
      send = false;
    if (rc != 0)
      return rc;
  }
  if (send)
    return eddy_error_set(err, EDDY_EKAFKA, "sending offsets to the transaction: still failing "
                          "after %d attempts", RETRIES);
  for (int attempt = 0;; attempt++) {
    rd_kafka_error_t *e = rd_kafka_commit_transaction(t->producer, TXN_TIMEOUT_MS);
    if (e == NULL)
      break;
    bool retry;
    int rc = txn_error(t, e, "committing the transaction", revoking, &retry, err);
    if (rc != 0)
      return rc;
    if (attempt + 1 >= RETRIES)
      return eddy_error_set(err, EDDY_EKAFKA, "committing the transaction: still failing "
                            "after %d attempts", RETRIES);
  }
  if (x->sent != NULL)
    rd_kafka_topic_partition_list_destroy(x->sent);
  x->sent = rd_kafka_topic_partition_list_copy(pos);
  return 0;
}

/* Transaction committed: the group too on the embedded broker, then the stores. */
static int after_commit(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *pos,
                        eddy_error_t **err) {
  if (t->txn->embedded && pos->cnt > 0) {
    rd_kafka_resp_err_t e;
    eddy__thread_commit_group(t, pos, &e);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return eddy_kafka_error(err, e, "committing offsets (embedded broker)");
  }
  return eddy_exec_commit(t->exec, err);
}

/* Stores to their changelogs, every output acknowledged; a failed delivery aborts. */
static int flush_all(eddy_stream_thread_t *t, bool revoking, eddy_error_t **err) {
  int rc = eddy_exec_flush(t->exec, err);
  rc = rc == 0 ? eddy_exec_batch_end(t->exec, err) : rc;   /* what emit changes printed */
  if (rc != 0)
    return rc;
  rd_kafka_resp_err_t e = rd_kafka_flush(t->producer, FLUSH_TIMEOUT_MS);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_kafka_error(err, e, "flushing outputs before commit");
  if (atomic_load(&t->delivery_failures) == 0)
    return 0;
  rc = abort_txn(t, t->delivery_error, revoking, err);
  return rc == 0 ? ABORTED : rc;
}

int eddy__txn_commit(eddy_stream_thread_t *t, bool revoking, eddy_error_t **err) {
  eddy_txn_t *x = t->txn;
  if (x->fatal)
    return eddy_error_set(err, x->fatal_rc, "%s", x->fatal_msg);
  t->last_commit_us = eddy_clock_monotonic_us();
  int rc = flush_all(t, revoking, err);
  rd_kafka_topic_partition_list_t *pos = NULL;
  rc = rc == 0 ? eddy__thread_positions(t, &pos, err) : rc;
  rc = rc == 0 ? commit_txn(t, pos, revoking, err) : rc;
  rc = rc == 0 ? after_commit(t, pos, err) : rc;
  rc = rc == 0 ? begin(t, err) : rc;
  if (pos != NULL)
    rd_kafka_topic_partition_list_destroy(pos);
  if (rc == ABORTED)
    return 0;   /* aborted and rewound: the records come again */
  if (rc == 0)
    atomic_fetch_add(&t->app->counters.commits, 1);
  return rc;
}
