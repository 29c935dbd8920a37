/*
 * What the embedded broker (librdkafka 2.0.2's mock cluster) really does with
 * transactions, pinned down so that the exactly-once documentation and tests
 * rest on facts, and so that a librdkafka upgrade that changes any of them
 * fails here first (then update docs/operations.md, "Embedded broker").
 *
 *   aborted_records_are_visible   a read_committed reader gets the records of
 *                                 an aborted transaction; EndTxn writes no
 *                                 markers (the offsets stay contiguous)
 *   open_records_are_visible      the last stable offset is the high
 *                                 watermark: records of a transaction that
 *                                 is still open are delivered at once
 *   txn_offsets_are_not_stored    TxnOffsetCommit (send_offsets_to_transaction)
 *                                 answers OK but stores nothing, while a plain
 *                                 group commit is stored
 *   same_txn_id_is_not_fenced     InitProducerId without a current producer
 *                                 id hands out a new producer id with epoch 0
 *                                 instead of bumping the epoch of the one that
 *                                 holds the transactional id: two producers
 *                                 with the same transactional id both commit
 *
 * On Kafka (>= 2.5) the first two are hidden from read_committed readers, the
 * offsets are stored when the transaction commits, and the older producer is
 * fenced (PRODUCER_FENCED). Fencing can be tested on the embedded broker only
 * by injecting the error (rd_kafka_mock_push_request_errors). TxnOffsetCommit
 * there does not check the consumer group's generation either.
 */
#include <stdio.h>

#include "eddy_test.h"
#include "kafka_test.h"
#include "engine/util.h"

#define TIMEOUT_MS 30000

/* Fails the test with the message of a transactional call's error. */
static void txn_ok(rd_kafka_error_t *e, const char *what) {
  if (e == NULL)
    return;
  char msg[512];
  snprintf(msg, sizeof(msg), "%s: %s", what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  eddy_test_fail(__FILE__, __LINE__, "%s", msg);
}

static void produce_values(rd_kafka_t *p, const char *topic, const char *prefix, int n) {
  char v[32];
  for (int i = 0; i < n; i++) {
    int len = snprintf(v, sizeof(v), "%s%d", prefix, i);
    tk_produce(p, topic, 0, NULL, v, (size_t)len);
  }
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_flush(p, eddy_test_tmout(TIMEOUT_MS)));
}

/* A producer with transactional id \p txn_id, its transactions initialised. */
static rd_kafka_t *txn_producer(const char *bootstrap, const char *txn_id) {
  const char *const kv[] = {"transactional.id", txn_id, "linger.ms", "1", NULL};
  rd_kafka_t *p = tk_client(RD_KAFKA_PRODUCER, bootstrap, kv);
  txn_ok(rd_kafka_init_transactions(p, eddy_test_tmout(TIMEOUT_MS)), txn_id);
  return p;
}

/* One transaction of \p n values "<prefix><i>" to t[0], committed or aborted. */
static void txn_values(rd_kafka_t *p, const char *prefix, int n, bool commit) {
  txn_ok(rd_kafka_begin_transaction(p), prefix);
  produce_values(p, "t", prefix, n);
  if (commit)
    txn_ok(rd_kafka_commit_transaction(p, eddy_test_tmout(TIMEOUT_MS)), prefix);
  else
    txn_ok(rd_kafka_abort_transaction(p, eddy_test_tmout(TIMEOUT_MS)), prefix);
}

static int64_t high_watermark(rd_kafka_t *rk, const char *topic) {
  int64_t lo = -1, hi = -1;
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR,
            rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, eddy_test_tmout(TIMEOUT_MS)));
  return hi;
}

EDDY_TEST(aborted_records_are_visible) {
  const char *topics[] = {"t", NULL};
  eddy_broker_t *b = tk_broker(topics, 1);
  rd_kafka_t *p = txn_producer(eddy_broker_bootstrap(b), "pin-abort");
  txn_values(p, "aborted-", 5, false);
  txn_values(p, "committed-", 3, true);

  /* Kafka: 3 records at offsets 6..8 (markers at 5 and 9), high watermark 10 */
  tk_msg_t *msgs = NULL;
  int n = tk_consume_all(eddy_broker_bootstrap(b), "t", 8, 10000, &msgs); /* read_committed */
  ASSERT_EQ(8, n);
  for (int i = 0; i < n; i++) {
    char want[32];
    snprintf(want, sizeof(want), i < 5 ? "aborted-%d" : "committed-%d", i < 5 ? i : i - 5);
    ASSERT_STR_EQ(want, msgs[i].value);
    ASSERT_EQ(i, msgs[i].offset);
  }
  ASSERT_EQ(8, high_watermark(p, "t"));
  tk_msgs_free(msgs, n);
  rd_kafka_destroy(p);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(open_records_are_visible) {
  const char *topics[] = {"t", NULL};
  eddy_broker_t *b = tk_broker(topics, 1);
  rd_kafka_t *p = txn_producer(eddy_broker_bootstrap(b), "pin-open");
  txn_ok(rd_kafka_begin_transaction(p), "begin");
  produce_values(p, "t", "open-", 4);

  /* Kafka: nothing, the last stable offset stays at 0 while the transaction is open */
  tk_msg_t *msgs = NULL;
  int n = tk_consume_all(eddy_broker_bootstrap(b), "t", 4, 10000, &msgs);
  ASSERT_EQ(4, n);
  ASSERT_STR_EQ("open-3", msgs[3].value);
  tk_msgs_free(msgs, n);
  txn_ok(rd_kafka_abort_transaction(p, eddy_test_tmout(TIMEOUT_MS)), "abort");
  rd_kafka_destroy(p);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

static rd_kafka_t *group_consumer(const char *bootstrap, const char *group) {
  const char *const kv[] = {"group.id", group, "enable.auto.commit", "false", NULL};
  return tk_client(RD_KAFKA_CONSUMER, bootstrap, kv);
}

/* The group's committed offset of t[0] (RD_KAFKA_OFFSET_INVALID when none). */
static int64_t committed(rd_kafka_t *c) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, "t", 0);
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_committed(c, l, eddy_test_tmout(TIMEOUT_MS)));
  int64_t off = l->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(l);
  return off;
}

static rd_kafka_topic_partition_list_t *offsets_of(int64_t off) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, "t", 0)->offset = off;
  return l;
}

EDDY_TEST(txn_offsets_are_not_stored) {
  const char *topics[] = {"t", NULL};
  eddy_broker_t *b = tk_broker(topics, 1);
  const char *bs = eddy_broker_bootstrap(b);
  rd_kafka_t *p = txn_producer(bs, "pin-offsets");
  rd_kafka_t *c = group_consumer(bs, "pin-group");
  txn_ok(rd_kafka_begin_transaction(p), "begin");
  produce_values(p, "t", "v", 1);
  rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata_new("pin-group");
  rd_kafka_topic_partition_list_t *l = offsets_of(42);
  txn_ok(rd_kafka_send_offsets_to_transaction(p, l, md, eddy_test_tmout(TIMEOUT_MS)), "offsets");
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_group_metadata_destroy(md);
  txn_ok(rd_kafka_commit_transaction(p, eddy_test_tmout(TIMEOUT_MS)), "commit");

  ASSERT_EQ(RD_KAFKA_OFFSET_INVALID, committed(c)); /* Kafka: 42 */

  l = offsets_of(17);   /* the plain group commit is stored */
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_commit(c, l, 0));
  rd_kafka_topic_partition_list_destroy(l);
  ASSERT_EQ(17, committed(c));
  rd_kafka_destroy(c);
  rd_kafka_destroy(p);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(same_txn_id_is_not_fenced) {
  const char *topics[] = {"t", NULL};
  eddy_broker_t *b = tk_broker(topics, 1);
  rd_kafka_t *old = txn_producer(eddy_broker_bootstrap(b), "pin-fence");
  rd_kafka_t *young = txn_producer(eddy_broker_bootstrap(b), "pin-fence");

  /* Kafka: the older producer's commit fails with PRODUCER_FENCED (fatal) */
  txn_values(old, "zombie-", 1, true);
  txn_values(young, "young-", 1, true);

  tk_msg_t *msgs = NULL;
  int n = tk_consume_all(eddy_broker_bootstrap(b), "t", 2, 10000, &msgs);
  ASSERT_EQ(2, n);
  ASSERT_STR_EQ("zombie-0", msgs[0].value);
  ASSERT_STR_EQ("young-0", msgs[1].value);
  tk_msgs_free(msgs, n);
  rd_kafka_destroy(young);
  rd_kafka_destroy(old);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}
