/* Shared benchmark helpers. */
#include "bench_common.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double status_mb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double kb = 0;
  size_t flen = strlen(field);
  while (f != NULL && fgets(line, sizeof(line), f) != NULL)
    if (strncmp(line, field, flen) == 0)
      kb = atof(line + flen + 1);
  if (f != NULL)
    fclose(f);
  return kb / 1024.0;
}

double bench_peak_rss_mb(void) { return status_mb("VmHWM"); }
double bench_rss_mb(void) { return status_mb("VmRSS"); }

void bench_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "benchmark failed: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

void bench_b64(const unsigned char *p, int n, char *out) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int o = 0;
  for (int i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    out[o++] = tbl[v >> 18 & 63];
    out[o++] = tbl[v >> 12 & 63];
    out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? tbl[v & 63] : '=';
  }
  out[o] = '\0';
}

int bench_order_event(uint64_t i, char *buf, size_t size) {
  static const char *const st[] = {"pending", "processing", "completed", "cancelled"};
  uint64_t h = i * 0x9e3779b97f4a7c15ULL;
  unsigned cents = (unsigned)(h >> 40) % 1000000; /* < 2^24: three bytes, positive */
  unsigned char be[3] = {(unsigned char)(cents >> 16), (unsigned char)(cents >> 8),
                         (unsigned char)cents};
  char amount[8];
  bench_b64(be, 3, amount);
  int64_t ts = 1700000000000000LL + (int64_t)i * 1000;
  const char *before = st[(h >> 8) % 3], *after = st[(h >> 8) % 3 + 1];
  return snprintf(buf, size,
      "{\"before\":{\"order_id\":%" PRIu64 ",\"user_id\":%u,\"total_amount\":\"%s\","
      "\"status\":\"%s\",\"created_at\":%" PRId64 ",\"updated_at\":%" PRId64 "},"
      "\"after\":{\"order_id\":%" PRIu64 ",\"user_id\":%u,\"total_amount\":\"%s\","
      "\"status\":\"%s\",\"created_at\":%" PRId64 ",\"updated_at\":%" PRId64 "},"
      "\"source\":{\"version\":\"2.4.0.Final\",\"connector\":\"postgresql\",\"name\":\"ecommerce\","
      "\"ts_ms\":%" PRId64 ",\"snapshot\":\"false\",\"db\":\"ecommerce\",\"schema\":\"public\","
      "\"table\":\"orders\",\"txId\":%" PRIu64 ",\"lsn\":%" PRIu64 "},"
      "\"op\":\"u\",\"ts_ms\":%" PRId64 "}",
      i, (unsigned)(h % 10000), amount, before, ts - 60000000, ts - 1000000,
      i, (unsigned)(h % 10000), amount, after, ts - 60000000, ts,
      ts / 1000, 5000 + i, 30000000 + i * 64, ts / 1000 + 3);
}

int bench_transaction_event(uint64_t i, int64_t ts, unsigned users, char *buf, size_t size,
                            char *key, size_t ksize, int *klen) {
  static const char *const merchants[] = {"grocer", "airline", "bookshop", "fuel", "online"};
  uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;
  uint64_t burst = i - i % 97;                 /* the burst this transaction may belong to */
  bool in_burst = i - burst < 8;
  unsigned user = (unsigned)((in_burst ? burst * 0x9e3779b97f4a7c15ULL : h) >> 33) % users;
  unsigned cents = h % 100 == 7 ? 60000 + (unsigned)(h >> 20) % 540000
                                : 500 + (unsigned)(h >> 20) % 19500;
  unsigned char be[3] = {(unsigned char)(cents >> 16), (unsigned char)(cents >> 8),
                         (unsigned char)cents};
  char amount[8];
  bench_b64(be, 3, amount);
  *klen = snprintf(key, ksize, "{\"user_id\":%u}", user);
  return snprintf(buf, size,
      "{\"before\":null,\"after\":{\"id\":%llu,\"user_id\":%u,\"amount\":\"%s\","
      "\"merchant\":\"%s\",\"location\":\"city-%u\",\"created_at\":%lld,"
      "\"status\":\"completed\"},\"source\":{\"version\":\"2.4.0.Final\","
      "\"connector\":\"postgresql\",\"name\":\"ecommerce\",\"ts_ms\":%lld,"
      "\"db\":\"ecommerce\",\"schema\":\"public\",\"table\":\"transactions\"},"
      "\"op\":\"c\",\"ts_ms\":%lld}",
      (unsigned long long)i + 1, user, amount, merchants[h % 5], (unsigned)(h >> 50) % 40,
      (long long)ts, (long long)(ts / 1000), (long long)(ts / 1000 + 2));
}

static rd_kafka_t *make(rd_kafka_type_t type, const char *bootstrap, const char *group) {
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
  if (type == RD_KAFKA_PRODUCER) {
    rd_kafka_conf_set(c, "linger.ms", "5", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "batch.num.messages", "10000", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "queue.buffering.max.messages", "1000000", errstr, sizeof(errstr));
  } else {
    rd_kafka_conf_set(c, "group.id", group, errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "fetch.wait.max.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "partition.assignment.strategy", "range", errstr, sizeof(errstr));
  }
  rd_kafka_t *rk = rd_kafka_new(type, c, errstr, sizeof(errstr));
  if (rk == NULL)
    bench_die("client: %s", errstr);
  return rk;
}

static void produce_one(rd_kafka_t *p, const char *topic, const void *key, size_t klen,
                        const void *val, size_t len) {
  while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_VALUE((void *)val, len),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    rd_kafka_poll(p, 5);
}

void bench_produce_orders(const char *bootstrap, const char *topic, uint64_t n) {
  rd_kafka_t *p = make(RD_KAFKA_PRODUCER, bootstrap, NULL);
  char buf[1024], key[32];
  for (uint64_t i = 0; i < n; i++) {
    int len = bench_order_event(i, buf, sizeof(buf));
    int klen = snprintf(key, sizeof(key), "{\"order_id\":%" PRIu64 "}", i);
    produce_one(p, topic, key, (size_t)klen, buf, (size_t)len);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("flush of the input timed out");
  rd_kafka_destroy(p);
}

double bench_passthrough(const char *bootstrap, const char *in_topic, const char *out_topic,
                         const char *group, uint64_t n) {
  rd_kafka_t *c = make(RD_KAFKA_CONSUMER, bootstrap, group);
  rd_kafka_t *p = make(RD_KAFKA_PRODUCER, bootstrap, NULL);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, in_topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c);
  rd_kafka_message_t *msgs[1000];
  uint64_t got = 0;
  double t0 = 0;
  while (got < n) {
    ssize_t k = rd_kafka_consume_batch_queue(q, 100, msgs, 1000);
    for (ssize_t i = 0; i < k; i++) {
      rd_kafka_message_t *m = msgs[i];
      if (m->err == 0) {
        if (got++ == 0)
          t0 = bench_now();
        produce_one(p, out_topic, m->key, m->key_len, m->payload, m->len);
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_poll(p, 0);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("baseline flush timed out");
  double secs = bench_now() - t0;
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  rd_kafka_destroy(p);
  return (double)n / secs;
}
