/*
 * The `_schemas` log on Kafka: an idempotent producer (acks=all) writing to
 * partition 0 and a reader assigned to partition 0 from the beginning.
 * The only file of the registry that sees rd_kafka_resp_err_t.
 *
 * "The log's end" is the partition's high watermark, asked for with
 * ListOffsets on the producer's connection (the reader's connection may have
 * a long-polling Fetch in flight ahead of it); the reader has caught up when
 * its next offset reaches it.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schema-registry/sr_int.h"

typedef struct {
  eddy__sr_log_t base;
  rd_kafka_t *producer;
  rd_kafka_t *consumer;
  char *topic;
  int timeout_ms;
  const eddy_logger_t *logger;
  int64_t end_seen;         /* offset of the last end-of-partition event: everything
                               before it has been read (it may be past the last
                               record when the tail holds no data, e.g. control
                               records or offsets removed by retention) */
} kafka_log_t;

/* Delivery outcome of one produced record (the message opaque). */
typedef struct {
  rd_kafka_resp_err_t err;
  int64_t offset;
  bool done;
} delivery_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  kafka_log_t *l = rd_kafka_opaque(rk);
  eddy_log_level_t lv = level <= 4 ? EDDY_LOG_WARN : level <= 6 ? EDDY_LOG_INFO : EDDY_LOG_DEBUG;
  eddy_log(l->logger, lv, "kafka", "%s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  (void)rk;
  kafka_log_t *l = opaque;
  eddy_log(l->logger, EDDY_LOG_WARN, "kafka", "%s: %s",
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  delivery_t *d = m->_private;
  d->err = m->err;
  d->offset = m->offset;
  d->done = true;
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, eddy_error_t **err) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    return eddy_error_set(err, EDDY_ECONFIG, "kafka setting %s: %s", name, errstr);
  return 0;
}

static rd_kafka_t *new_client(kafka_log_t *l, const char *bootstrap, rd_kafka_type_t type,
                              eddy_error_t **err) {
  char errstr[512], tmout[32];
  snprintf(tmout, sizeof(tmout), "%d", l->timeout_ms);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int rc = set(conf, "bootstrap.servers", bootstrap, err);
  if (rc == 0 && type == RD_KAFKA_PRODUCER)
    rc = set(conf, "enable.idempotence", "true", err) || set(conf, "acks", "all", err) ||
         set(conf, "linger.ms", "0", err) || set(conf, "message.timeout.ms", tmout, err);
  if (rc == 0 && type == RD_KAFKA_CONSUMER)
    rc = set(conf, "group.id", "eddy-registry-reader", err) ||
         set(conf, "enable.auto.commit", "false", err) ||
         set(conf, "enable.partition.eof", "true", err) ||
         set(conf, "fetch.wait.max.ms", "10", err);
  if (rc != 0) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_conf_set_opaque(conf, l);
  rd_kafka_conf_set_log_cb(conf, on_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
  if (type == RD_KAFKA_PRODUCER)
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    rd_kafka_conf_destroy(conf);
    eddy_error_set(err, EDDY_EKAFKA, "kafka client: %s", errstr);
  }
  return rk;
}

/* ---- topic ------------------------------------------------------------------------- */

/* @returns the partition count of the topic, 0 if it does not exist, or < 0. */
static int partition_count(kafka_log_t *l, int *broker_cnt, eddy_error_t **err) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(l->consumer, 1, NULL, &md, l->timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set(err, EDDY_EKAFKA, "cannot reach Kafka (metadata): %s",
                          rd_kafka_err2str(e));
  int cnt = 0;
  *broker_cnt = md->broker_cnt;
  for (int i = 0; i < md->topic_cnt; i++)
    if (strcmp(md->topics[i].topic, l->topic) == 0 && md->topics[i].err == 0)
      cnt = md->topics[i].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return cnt;
}

/* CreateTopics: one partition, compacted, replication min(3, brokers). */
static rd_kafka_resp_err_t create_topic(kafka_log_t *l, int broker_cnt, char *why, size_t len) {
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(l->topic, 1, broker_cnt < 3 ? broker_cnt : 3,
                                                  why, len);
  if (nt == NULL)
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
  rd_kafka_queue_t *q = rd_kafka_queue_new(l->producer);
  rd_kafka_CreateTopics(l->producer, &nt, 1, NULL, q);
  /* Brokers without CreateTopics (the embedded one) never answer: keep the
     wait short, the caller falls back to auto-creation. */
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, l->timeout_ms < 3000 ? l->timeout_ms : 3000);
  rd_kafka_resp_err_t e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (ev != NULL && e == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    e = cnt == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
    if (cnt == 1 && rd_kafka_topic_result_error_string(res[0]) != NULL)
      snprintf(why, len, "%s", rd_kafka_topic_result_error_string(res[0]));
  } else {
    snprintf(why, len, "%s", rd_kafka_err2str(e));
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? RD_KAFKA_RESP_ERR_NO_ERROR : e;
}

static int kafka_append(eddy__sr_log_t *log, const eddy__sr_record_t *recs, int cnt,
                        int64_t *last, eddy_error_t **err);

/* Brokers without CreateTopics (the embedded one) create topics on first use:
   a NOOP record, which readers skip, does that. */
static int auto_create(kafka_log_t *l, eddy_error_t **err) {
  eddy__sr_record_t noop = {0};
  int64_t last = -1;
  int rc = eddy__sr_record_noop(&noop);
  if (rc != 0)
    return eddy_error_set(err, rc, "out of memory");
  rc = kafka_append(&l->base, &noop, 1, &last, err);
  eddy__sr_record_clear(&noop);
  return rc;
}

static int ensure_topic(kafka_log_t *l, eddy_error_t **err) {
  int brokers = 1, parts = partition_count(l, &brokers, err);
  if (parts < 0)
    return parts;
  if (parts == 0) {
    char why[256] = "";
    rd_kafka_resp_err_t e = create_topic(l, brokers > 0 ? brokers : 1, why, sizeof(why));
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      eddy_log(l->logger, EDDY_LOG_INFO, "registry",
               "created topic %s (1 partition, cleanup.policy=compact)", l->topic);
      return 0;
    }
    eddy_log(l->logger, EDDY_LOG_WARN, "registry",
             "cannot create topic %s (%s); letting the broker auto-create it", l->topic, why);
    return auto_create(l, err);
  }
  if (parts != 1)
    eddy_log(l->logger, EDDY_LOG_WARN, "registry",
             "topic %s has %d partitions; it should have exactly 1 (only partition 0 is used)",
             l->topic, parts);
  return 0;
}

static int assign(kafka_log_t *l, eddy_error_t **err) {
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, l->topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_resp_err_t e = rd_kafka_assign(l->consumer, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set(err, EDDY_EKAFKA, "assign %s: %s", l->topic, rd_kafka_err2str(e));
  return 0;
}

/* ---- reading ------------------------------------------------------------------------- */

/* Apply one polled message. @returns false when it was not a record. */
static bool handle(kafka_log_t *l, eddy__sr_store_t *st, rd_kafka_message_t *m) {
  bool record = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
    l->end_seen = m->offset;
  else if (!record)
    eddy_log(l->logger, EDDY_LOG_WARN, "registry", "reading %s: %s", l->topic,
             rd_kafka_message_errstr(m));
  else
    eddy__sr_store_apply(st, m->key, m->key_len, m->payload, m->payload ? m->len : 0, m->offset);
  rd_kafka_message_destroy(m);
  return record;
}

/* Read until the store has applied everything before \p target. */
static int read_until(kafka_log_t *l, eddy__sr_store_t *st, int64_t target, int timeout_ms,
                      eddy_error_t **err) {
  int64_t deadline = now_ms() + timeout_ms;
  while (eddy__sr_store_next_offset(st) < target && l->end_seen < target) {
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return eddy_error_set_ex(err, EDDY_ETIMEOUT, "kafka", true,
                               "timed out reading %s up to offset %lld (at %lld)", l->topic,
                               (long long)target, (long long)eddy__sr_store_next_offset(st));
    rd_kafka_message_t *m = rd_kafka_consumer_poll(l->consumer, left < 100 ? (int)left : 100);
    if (m != NULL)
      handle(l, st, m);
  }
  return 0;
}

static int kafka_sync(eddy__sr_log_t *log, eddy__sr_store_t *st, int timeout_ms,
                      eddy_error_t **err) {
  kafka_log_t *l = (kafka_log_t *)log;
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t e =
      rd_kafka_query_watermark_offsets(l->producer, l->topic, 0, &lo, &hi, timeout_ms);
  if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    return 0;   /* not created yet: nothing to read */
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set_ex(err, e == RD_KAFKA_RESP_ERR__TIMED_OUT ? EDDY_ETIMEOUT : EDDY_EKAFKA,
                             "kafka", true, "end offset of %s: %s", l->topic, rd_kafka_err2str(e));
  return read_until(l, st, hi, timeout_ms, err);
}

static int kafka_wait(eddy__sr_log_t *log, eddy__sr_store_t *st, int64_t offset, int timeout_ms,
                      eddy_error_t **err) {
  return read_until((kafka_log_t *)log, st, offset + 1, timeout_ms, err);
}

static void kafka_poll(eddy__sr_log_t *log, eddy__sr_store_t *st) {
  kafka_log_t *l = (kafka_log_t *)log;
  for (int i = 0; i < 10000; i++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(l->consumer, 0);
    if (m == NULL)
      return;
    handle(l, st, m);
  }
}

/* ---- writing ---------------------------------------------------------------------------- */

static int produce(kafka_log_t *l, const eddy__sr_record_t *r, delivery_t *d, eddy_error_t **err) {
  rd_kafka_resp_err_t e = rd_kafka_producev(
      l->producer, RD_KAFKA_V_TOPIC(l->topic), RD_KAFKA_V_PARTITION(0),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(r->key, strlen(r->key)),
      RD_KAFKA_V_VALUE(r->value, r->value ? strlen(r->value) : 0), RD_KAFKA_V_OPAQUE(d),
      RD_KAFKA_V_END);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", true, "produce to %s: %s", l->topic,
                             rd_kafka_err2str(e));
  return 0;
}

static int kafka_append(eddy__sr_log_t *log, const eddy__sr_record_t *recs, int cnt,
                        int64_t *last, eddy_error_t **err) {
  kafka_log_t *l = (kafka_log_t *)log;
  delivery_t *d = eddy_calloc((size_t)(cnt > 0 ? cnt : 1), sizeof(*d));
  if (d == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory producing");
  int rc = 0, sent = 0;
  for (; rc == 0 && sent < cnt; sent++)
    rc = produce(l, &recs[sent], &d[sent], err);
  if (rc != 0)
    sent--;
  rd_kafka_flush(l->producer, l->timeout_ms + 2000);   /* serves the delivery reports */
  for (int i = 0; i < sent; i++) {
    if (!d[i].done || d[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      int code = !d[i].done || d[i].err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ? EDDY_ETIMEOUT
                                                                             : EDDY_EKAFKA;
      rc = eddy_error_set_ex(err, code, "kafka", true, "write to %s: %s", l->topic,
                             d[i].done ? rd_kafka_err2str(d[i].err) : "not acknowledged");
    }
  }
  if (rc == 0 && cnt > 0)
    *last = d[cnt - 1].offset;
  eddy_free(d);
  return rc;
}

static void kafka_destroy(eddy__sr_log_t *log) {
  kafka_log_t *l = (kafka_log_t *)log;
  if (l->consumer != NULL) {
    rd_kafka_consumer_close(l->consumer);
    rd_kafka_destroy(l->consumer);
  }
  if (l->producer != NULL) {
    rd_kafka_flush(l->producer, l->timeout_ms);
    rd_kafka_destroy(l->producer);
  }
  eddy_free(l->topic);
  eddy_free(l);
}

static const eddy__sr_log_ops_t kafka_ops = {
    .sync = kafka_sync,
    .append = kafka_append,
    .wait = kafka_wait,
    .poll = kafka_poll,
    .destroy = kafka_destroy,
};

int eddy__sr_log_kafka_open(eddy__sr_log_t **out, const eddy__sr_kafka_conf_t *conf,
                            eddy_error_t **err) {
  *out = NULL;
  kafka_log_t *l = eddy_calloc(1, sizeof(*l));
  if (l == NULL || (l->topic = eddy_strdup(conf->topic ? conf->topic : "_schemas")) == NULL) {
    eddy_free(l);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory opening the log");
  }
  l->base.ops = &kafka_ops;
  l->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 10000;
  l->logger = conf->logger;
  l->end_seen = -1;
  int rc = 0;
  if ((l->producer = new_client(l, conf->bootstrap, RD_KAFKA_PRODUCER, err)) == NULL ||
      (l->consumer = new_client(l, conf->bootstrap, RD_KAFKA_CONSUMER, err)) == NULL)
    rc = EDDY_EKAFKA;
  if (rc == 0)
    rc = ensure_topic(l, err);
  if (rc == 0)
    rc = assign(l, err);
  if (rc != 0) {
    kafka_destroy(&l->base);
    return rc;
  }
  *out = &l->base;
  return 0;
}
