/* Stores written through their changelog on the embedded broker, then
 * restored elsewhere (fresh directory, memory store) or resumed from the
 * committed offset; every restored store is compared with a reference
 * computed in the test. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "engine/broker.h"

#include <stdlib.h>

#define APP "rt"
#define TASK "0_2"
#define PARTITION 2
#define KEYS 300

static eddy_broker_t *broker;
static rd_kafka_t *producer;
static char *dirs[3];
static eddy_state_env_t *envs[3];
static int log_lines;

static void count_log(void *opaque, eddy_log_level_t level, const char *component,
                      const char *msg) {
  (void)opaque;
  (void)level;
  (void)component;
  if (strncmp(msg, "restore", 7) == 0)
    log_lines++;
}
static eddy_logger_t logger = {count_log, NULL, EDDY_LOG_INFO};

static int create_topic(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  return eddy_broker_create_topic(opaque, topic, partitions, err);
}

static void setup(void) {
  ASSERT_OK(eddy_broker_start(&broker, 1, NULL));
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  ASSERT_EQ(RD_KAFKA_CONF_OK, rd_kafka_conf_set(c, "bootstrap.servers",
                                                eddy_broker_bootstrap(broker), errstr,
                                                sizeof(errstr)));
  ASSERT_EQ(RD_KAFKA_CONF_OK, rd_kafka_conf_set(c, "linger.ms", "5", errstr, sizeof(errstr)));
  rd_kafka_conf_set_dr_msg_cb(c, eddy_delivery_dispatch);
  producer = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
  ASSERT_TRUE(producer != NULL);
  for (int i = 0; i < 3; i++) {
    char tag[32];
    snprintf(tag, sizeof(tag), "restore%d", i);
    dirs[i] = eddy_test_tmpdir(tag);
    eddy_state_conf_t sc;
    eddy_state_conf_init(&sc);
    sc.dir = dirs[i];
    sc.memory_bytes = 32 << 20;
    sc.logger = &logger;
    ASSERT_OK(eddy_state_env_new(&envs[i], &sc, NULL));
  }
}

static void teardown(void) {
  for (int i = 0; i < 3; i++) {
    eddy_state_env_destroy(envs[i]);
    eddy_test_rmtree(dirs[i]);
    free(dirs[i]);
  }
  rd_kafka_destroy(producer);
  eddy_broker_stop(broker);
  EDDY_ASSERT_NO_LEAKS();
}

static eddy_store_t *open_store(int env, eddy_store_backend_t b, eddy_store_kind_t kind,
                                const char *name, eddy_changelog_t *cl) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = name;
  c.kind = kind;
  c.backend = b;
  c.app = APP;
  c.task = TASK;
  c.segment = 60 * (int64_t)1000000;
  if (cl != NULL) {
    c.changelog = eddy_changelog_send;
    c.changelog_opaque = cl;
  }
  eddy_store_t *st = NULL;
  eddy_error_t *err = NULL;
  if (eddy_store_open(&st, envs[env], &c, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
  return st;
}

static void ensure_topic(const char *topic) {
  eddy_changelog_topic_t spec = {topic, 4, -1, -1};
  ASSERT_OK(eddy_changelog_topic_ensure(producer, &spec, create_topic, broker, 5000, NULL));
}

/* ---- the reference -------------------------------------------------------------- */

typedef struct {
  bool present;
  size_t len;
  uint8_t v[32];
} ref_val_t;
static ref_val_t ref[KEYS];
static uint64_t rng = 11;
static uint32_t rnd(uint32_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33) % n;
}

static size_t key_of(int i, char *buf) { return (size_t)sprintf(buf, "k%03d", i); }

static void random_ops(eddy_store_t *st, int cnt) {
  char k[16];
  for (int n = 0; n < cnt; n++) {
    int i = (int)rnd(KEYS);
    size_t klen = key_of(i, k);
    if (rnd(5) == 0) {
      ASSERT_OK(eddy_store_delete(st, eddy_slice(k, klen), NULL));
      ref[i].present = false;
      continue;
    }
    ref[i].present = true;
    ref[i].len = rnd(4) == 0 ? 0 : rnd(32);  /* empty values must survive as values */
    for (size_t j = 0; j < ref[i].len; j++)
      ref[i].v[j] = (uint8_t)rnd(256);
    ASSERT_OK(eddy_store_put(st, eddy_slice(k, klen), eddy_slice(ref[i].v, ref[i].len), NULL));
  }
}

/* The commit protocol: flush, producer flush, check, store commit, checkpoint. */
static void commit(eddy_store_t *st, eddy_changelog_t *cl) {
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_flush(producer, eddy_test_tmout(10000)));
  eddy_error_t *err = NULL;
  if (eddy_changelog_check(cl, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "changelog: %s", eddy_error_msg(err));
  ASSERT_OK(eddy_store_commit(st, eddy_changelog_acked_offset(cl), NULL));
  char path[700];
  ASSERT_OK(eddy_checkpoint_path(path, sizeof(path), dirs[0], APP, TASK));
  eddy_checkpoint_t *cp = eddy_checkpoint_new();
  ASSERT_OK(eddy_checkpoint_set(cp, eddy_store_name(st), eddy_store_committed_offset(st)));
  ASSERT_OK(eddy_checkpoint_write(cp, path, NULL));
  eddy_checkpoint_destroy(cp);
}

static void compare_with_ref(eddy_store_t *st) {
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_store_range(st, NULL, NULL, &it, NULL));
  eddy_store_entry_t e;
  char k[16];
  for (int i = 0; i < KEYS; i++) {
    if (!ref[i].present)
      continue;
    ASSERT_EQ(1, eddy_store_iter_next(it, &e, NULL));
    size_t klen = key_of(i, k);
    ASSERT_MEM_EQ(k, e.key.p, e.key.len);
    ASSERT_EQ(klen, e.key.len);
    ASSERT_EQ(ref[i].len, e.value.len);
    ASSERT_TRUE(ref[i].len == 0 || memcmp(ref[i].v, e.value.p, ref[i].len) == 0);
  }
  ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
  eddy_store_iter_destroy(it);
}

static eddy_restore_job_t restore(eddy_store_t *st, const char *topic,
                                  eddy_restore_progress_t *progress) {
  rd_kafka_t *consumer = NULL;
  ASSERT_OK(eddy_restore_consumer_new(&consumer, eddy_broker_bootstrap(broker), APP "-restore",
                                      NULL, NULL));
  eddy_restore_job_t job = {.store = st, .topic = topic, .partition = PARTITION};
  eddy_restore_conf_t rc;
  eddy_restore_conf_init(&rc);
  rc.logger = &logger;
  rc.timeout_ms = eddy_test_tmout(60000);
  rc.batch_records = 700;  /* several batches per restore */
  eddy_error_t *err = NULL;
  if (eddy_restore_run(consumer, &job, 1, &rc, progress, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "restore: %s", eddy_error_msg(err));
  rd_kafka_destroy(consumer);
  return job;
}

/* ---- tests ---------------------------------------------------------------------------- */

EDDY_TEST(changelog_restore_into_fresh_stores) {
  setup();
  char topic[128];
  ASSERT_OK(eddy_changelog_topic_name(topic, sizeof(topic), APP, "counts"));
  ASSERT_STR_EQ("rt-counts-changelog", topic);
  ensure_topic(topic);
  ensure_topic(topic);  /* exists already, same partition count: fine */
  eddy_changelog_topic_t other = {topic, 8, -1, -1};
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_changelog_topic_ensure(producer, &other, create_topic, broker,
                                                      5000, &err));
  ASSERT_STR_EQ("changelog topic rt-counts-changelog has 4 partitions, the application needs 8",
                eddy_error_msg(err));
  eddy_error_destroy(err);

  eddy_changelog_t *cl = NULL;
  ASSERT_OK(eddy_changelog_new(&cl, producer, topic, PARTITION, NULL));
  eddy_store_t *a = open_store(0, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "counts", cl);
  for (int round = 0; round < 10; round++) {
    random_ops(a, 500);
    commit(a, cl);
  }
  compare_with_ref(a);
  int64_t last = eddy_changelog_acked_offset(cl);
  ASSERT_TRUE(last > 0);

  /* the state directory is gone: a new RocksDB store restores everything */
  eddy_store_t *b = open_store(1, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "counts", NULL);
  eddy_restore_progress_t progress = {0};
  log_lines = 0;
  eddy_restore_job_t job = restore(b, topic, &progress);
  ASSERT_EQ(0, job.start_offset);
  ASSERT_EQ(last + 1, job.end_offset);
  ASSERT_EQ(last + 1, job.records);  /* one writer, no compaction: every offset is a record */
  ASSERT_EQ(last + 1, atomic_load(&progress.records_total));
  ASSERT_EQ(last + 1, atomic_load(&progress.records_done));
  ASSERT_EQ(1, atomic_load(&progress.stores_done));
  ASSERT_TRUE(log_lines >= 1);
  ASSERT_EQ(last, eddy_store_committed_offset(b));
  compare_with_ref(b);
  /* a memory store restores the same contents */
  eddy_store_t *c = open_store(2, EDDY_STORE_MEMORY, EDDY_STORE_KV, "counts", NULL);
  restore(c, topic, NULL);
  compare_with_ref(c);
  /* restoring again reads nothing: b is at the end of the changelog */
  job = restore(b, topic, NULL);
  ASSERT_EQ(0, job.records);
  compare_with_ref(b);
  eddy_store_close(a);
  eddy_store_close(b);
  eddy_store_close(c);
  eddy_changelog_destroy(cl);
  teardown();
}

EDDY_TEST(restore_resumes_after_committed_offset) {
  setup();
  char topic[128];
  ASSERT_OK(eddy_changelog_topic_name(topic, sizeof(topic), APP, "resume"));
  ensure_topic(topic);
  eddy_changelog_t *cl = NULL;
  ASSERT_OK(eddy_changelog_new(&cl, producer, topic, PARTITION, NULL));
  eddy_store_t *a = open_store(0, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "resume", cl);
  random_ops(a, 2000);
  commit(a, cl);
  int64_t mid = eddy_store_committed_offset(a);
  /* more writes reach the changelog, then the process dies before the store
   * commit: the database stays at `mid` */
  random_ops(a, 2000);
  ASSERT_OK(eddy_store_flush(a, NULL));
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_flush(producer, eddy_test_tmout(10000)));
  int64_t last = eddy_changelog_acked_offset(cl);
  eddy_store_close(a);
  a = open_store(0, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "resume", NULL);
  ASSERT_EQ(mid, eddy_store_committed_offset(a));
  char path[700];
  ASSERT_OK(eddy_checkpoint_path(path, sizeof(path), dirs[0], APP, TASK));
  eddy_checkpoint_t *cp = NULL;
  ASSERT_OK(eddy_checkpoint_read(&cp, path, NULL));
  ASSERT_EQ(mid, eddy_checkpoint_get(cp, "resume"));
  eddy_checkpoint_destroy(cp);
  eddy_restore_job_t job = restore(a, topic, NULL);
  ASSERT_EQ(mid + 1, job.start_offset);
  ASSERT_EQ(last - mid, job.records);  /* only the tail is read */
  ASSERT_EQ(last, eddy_store_committed_offset(a));
  compare_with_ref(a);
  eddy_store_close(a);
  eddy_changelog_destroy(cl);
  teardown();
}

EDDY_TEST(window_store_restores_through_changelog) {
  setup();
  char topic[128];
  ASSERT_OK(eddy_changelog_topic_name(topic, sizeof(topic), APP, "win"));
  ensure_topic(topic);
  eddy_changelog_t *cl = NULL;
  ASSERT_OK(eddy_changelog_new(&cl, producer, topic, PARTITION, NULL));
  eddy_store_t *a = open_store(0, EDDY_STORE_ROCKSDB, EDDY_STORE_WINDOW, "win", cl);
  const int64_t min = 60 * (int64_t)1000000;
  static uint32_t counts[20][30];
  memset(counts, 0, sizeof(counts));
  for (int n = 0; n < 3000; n++) {
    int k = (int)rnd(20), w = (int)rnd(30);
    counts[k][w]++;
    char key[16];
    int klen = sprintf(key, "u%d", k);
    eddy_store_set_time(a, w * min);
    ASSERT_OK(eddy_window_put(a, eddy_slice(key, (size_t)klen), w * min,
                              eddy_slice(&counts[k][w], 4), NULL));
    if (n % 1000 == 999)
      commit(a, cl);
  }
  eddy_store_t *b = open_store(1, EDDY_STORE_MEMORY, EDDY_STORE_WINDOW, "win", NULL);
  restore(b, topic, NULL);
  for (int k = 0; k < 20; k++) {
    char key[16];
    int klen = sprintf(key, "u%d", k);
    eddy_store_iter_t *it;
    ASSERT_OK(eddy_window_fetch(b, eddy_slice(key, (size_t)klen), 0, 29 * min, &it, NULL));
    eddy_store_entry_t e;
    for (int w = 0; w < 30; w++) {
      if (counts[k][w] == 0)
        continue;
      ASSERT_EQ(1, eddy_store_iter_next(it, &e, NULL));
      ASSERT_EQ(w * min, e.start);
      uint32_t v;
      memcpy(&v, e.value.p, 4);
      ASSERT_EQ(counts[k][w], v);
    }
    ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
    eddy_store_iter_destroy(it);
  }
  eddy_store_close(a);
  eddy_store_close(b);
  eddy_changelog_destroy(cl);
  teardown();
}

/* Exactly-once: the changelog is written in transactions; an aborted one
 * must neither reach a restored store nor keep restore from finishing (the
 * log ends with transaction markers, which are never delivered). */
static rd_kafka_t *transactional_producer(void) {
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  ASSERT_EQ(RD_KAFKA_CONF_OK, rd_kafka_conf_set(c, "bootstrap.servers",
                                                eddy_broker_bootstrap(broker), errstr,
                                                sizeof(errstr)));
  ASSERT_EQ(RD_KAFKA_CONF_OK,
            rd_kafka_conf_set(c, "transactional.id", "rt-0_2", errstr, sizeof(errstr)));
  rd_kafka_conf_set_dr_msg_cb(c, eddy_delivery_dispatch);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
  ASSERT_TRUE(rk != NULL);
  rd_kafka_error_t *e = rd_kafka_init_transactions(rk, eddy_test_tmout(30000));
  ASSERT_TRUE(e == NULL);
  return rk;
}

static void txn(rd_kafka_t *rk, eddy_store_t *st, eddy_changelog_t *cl, bool commit_it) {
  ASSERT_TRUE(rd_kafka_begin_transaction(rk) == NULL);
  random_ops(st, 400);
  ASSERT_OK(eddy_store_flush(st, NULL));
  if (!commit_it) {
    ASSERT_TRUE(rd_kafka_abort_transaction(rk, eddy_test_tmout(30000)) == NULL);
    eddy_store_abort(st);
    return;
  }
  ASSERT_TRUE(rd_kafka_commit_transaction(rk, eddy_test_tmout(30000)) == NULL);
  ASSERT_OK(eddy_changelog_check(cl, NULL));
  ASSERT_OK(eddy_store_commit(st, eddy_changelog_acked_offset(cl), NULL));
}

EDDY_TEST(restore_skips_aborted_transactions) {
  setup();
  char topic[128];
  ASSERT_OK(eddy_changelog_topic_name(topic, sizeof(topic), APP, "eos"));
  ensure_topic(topic);
  rd_kafka_t *rk = transactional_producer();
  eddy_changelog_t *cl = NULL;
  ASSERT_OK(eddy_changelog_new(&cl, rk, topic, PARTITION, NULL));
  eddy_store_t *a = open_store(0, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "eos", cl);
  txn(rk, a, cl, true);
  txn(rk, a, cl, true);
  eddy_store_stats_t stats;
  eddy_store_stats(a, &stats);
  /* the aborted transaction's writes must not count: snapshot the reference */
  static ref_val_t committed[KEYS];
  memcpy(committed, ref, sizeof(ref));
  txn(rk, a, cl, false);
  memcpy(ref, committed, sizeof(ref));
  compare_with_ref(a);
  eddy_store_t *b = open_store(1, EDDY_STORE_ROCKSDB, EDDY_STORE_KV, "eos", NULL);
  eddy_restore_job_t job = restore(b, topic, NULL);
  ASSERT_EQ(stats.flushed_records, job.records);  /* committed records only */
  compare_with_ref(b);
  eddy_store_close(a);
  eddy_store_close(b);
  eddy_changelog_destroy(cl);
  rd_kafka_destroy(rk);
  teardown();
}
