/*
 * benchmarks/latency: end-to-end latency of the shipped alerting topologies
 * (topologies/fraud_anomaly.eddy, fraud_velocity.eddy, inventory_alerts.eddy,
 * read from the source tree) at a fixed 10,000 events per second.
 *
 * The events are made as they are produced, with the wall clock as their
 * event time: transactions (99%, keyed by user, 100,000 users: about 6 a
 * minute each; see bench_transaction_event) and stock changes of 100
 * products (1%). An alert's latency is the time from
 * its event's time (the alert's created_at) to the moment it can be read:
 *
 *   Kafka       received by a read_committed consumer of fraud.alerts and
 *               inventory.alerts;
 *   PostgreSQL  visible in fraud_alerts or inventory_alerts: a trigger logs
 *               each inserted alert in a table this program polls every 5 ms
 *               (so PostgreSQL figures include up to 5 ms of polling).
 *
 * PostgreSQL is a throwaway cluster started with scripts/pg.sh; when it
 * cannot start, the benchmark says so and measures Kafka only. Events
 * trickle in (1,000/s) until the first alert comes out (group joins, tasks
 * ready), then flow at the full rate; the alerts of the first 3 s of that are
 * left out.
 *
 *   bench_latency [seconds] [events_per_s]      (default 20 s, 10000/s)
 *
 * Last line (the Kafka figures):
 *   BENCH latency p50_ms=<n> p95_ms=<n> p99_ms=<n>
 * EDDY_BENCH_SET="key=value;..." passes settings (e.g. commit.interval.ms).
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "bench_engine.h"
#include "eddy/value.h"

#define WARMUP_S 3
#define PRODUCTS 100
#define USERS 100000   /* 10,000 transactions/s: each user about 6 a minute */
#define PARTITIONS 4

typedef struct {
  double *ms;
  size_t cnt, cap;
} samples_t;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void add(samples_t *s, double ms) {
  if (s->cnt == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->ms = realloc(s->ms, s->cap * sizeof(double));
    if (s->ms == NULL)
      bench_die("out of memory");
  }
  s->ms[s->cnt++] = ms;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const samples_t *s, double p) {
  size_t i = (size_t)(p / 100.0 * (double)(s->cnt - 1) + 0.5);
  return s->ms[i];
}

static void summary(const char *what, samples_t *s) {
  if (s->cnt == 0) {
    fprintf(stderr, "%s: no alerts measured\n", what);
    return;
  }
  qsort(s->ms, s->cnt, sizeof(double), cmp);
  fprintf(stderr, "%s: %zu alerts, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", what,
          s->cnt, pct(s, 50), pct(s, 95), pct(s, 99), s->ms[s->cnt - 1]);
}

/* ---- input -------------------------------------------------------------------------- */

static int product_event(uint64_t i, int64_t ts, char *buf, size_t size, char *key,
                         size_t ksize, int *klen) {
  uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;
  unsigned id = (unsigned)(h >> 40) % PRODUCTS + 1, stock = (unsigned)(h >> 20) % 30;
  *klen = snprintf(key, ksize, "{\"product_id\":%u}", id);
  return snprintf(buf, size,
      "{\"before\":null,\"after\":{\"product_id\":%u,\"name\":\"Product %u\",\"category\":"
      "\"home\",\"price\":\"A+c=\",\"stock_quantity\":%u,\"created_at\":%lld,"
      "\"updated_at\":%lld},\"source\":{\"table\":\"products\"},\"op\":\"u\",\"ts_ms\":%lld}",
      id, id, stock, (long long)ts, (long long)ts, (long long)(ts / 1000));
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv) {
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != 0)
    bench_die("%s", errstr);
  for (int i = 0; kv[i] != NULL; i += 2)
    if (rd_kafka_conf_set(c, kv[i], kv[i + 1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
      bench_die("%s: %s", kv[i], errstr);
  rd_kafka_t *rk = rd_kafka_new(type, c, errstr, sizeof(errstr));
  if (rk == NULL)
    bench_die("client: %s", errstr);
  return rk;
}

static void produce(rd_kafka_t *p, uint64_t i) {
  char buf[2048], key[128];
  int klen = 0, len;
  const char *topic;
  int64_t ts = now_us();
  if (i % 100 == 50) {
    topic = "ecommerce.public.products";
    len = product_event(i, ts, buf, sizeof(buf), key, sizeof(key), &klen);
  } else {
    topic = "ecommerce.public.transactions";
    len = bench_transaction_event(i, ts, USERS, buf, sizeof(buf), key, sizeof(key), &klen);
  }
  while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(buf, (size_t)len),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    rd_kafka_poll(p, 1);
}

/* ---- outputs ---------------------------------------------------------------------- */

/* The alert's created_at (µs) from its JSON value; -1 when absent. */
static int64_t created_at(const char *v, size_t len) {
  static const char field[] = "\"created_at\":\"";
  char *s = strndup(v, len);
  char *p = s ? strstr(s, field) : NULL;
  int64_t us = -1;
  if (p != NULL) {
    p += sizeof(field) - 1;
    char *end = strchr(p, '"');
    if (end == NULL || eddy_timestamp_parse(p, (size_t)(end - p), &us) != 0)
      us = -1;
  }
  free(s);
  return us;
}

static void drain_kafka(rd_kafka_t *c, int64_t from_us, samples_t *s) {
  rd_kafka_message_t *m;
  while ((m = rd_kafka_consumer_poll(c, 0)) != NULL) {
    int64_t at = now_us();
    if (!m->err && m->payload != NULL) {
      int64_t t = created_at(m->payload, m->len);
      if (t >= from_us)
        add(s, (double)(at - t) / 1000.0);
    }
    rd_kafka_message_destroy(m);
  }
}

static const char *const watch_sql =
    "CREATE TABLE bench_alerts_seen (id bigserial PRIMARY KEY, created_at timestamptz);"
    "CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "  INSERT INTO bench_alerts_seen (created_at) VALUES (NEW.created_at); RETURN NEW; END $$;"
    "CREATE TRIGGER seen AFTER INSERT ON fraud_alerts FOR EACH ROW EXECUTE FUNCTION bench_seen();"
    "CREATE TRIGGER seen AFTER INSERT ON inventory_alerts FOR EACH ROW "
    "  EXECUTE FUNCTION bench_seen();";

typedef struct {
  PGconn *conn;
  long long last_id;
} pg_watch_t;

static void poll_pg(pg_watch_t *w, int64_t from_us, samples_t *s) {
  char sql[160];
  snprintf(sql, sizeof(sql), "SELECT id, (extract(epoch from created_at) * 1000000)::bigint "
           "FROM bench_alerts_seen WHERE id > %lld ORDER BY id", w->last_id);
  PGresult *r = PQexec(w->conn, sql);
  int64_t at = now_us();
  if (PQresultStatus(r) == PGRES_TUPLES_OK)
    for (int i = 0; i < PQntuples(r); i++) {
      w->last_id = atoll(PQgetvalue(r, i, 0));
      int64_t t = atoll(PQgetvalue(r, i, 1));
      if (t >= from_us)
        add(s, (double)(at - t) / 1000.0);
    }
  PQclear(r);
}

/* ---- PostgreSQL -------------------------------------------------------------------- */

static const char *source_dir(void) {
  return getenv("EDDY_SOURCE_DIR") ? getenv("EDDY_SOURCE_DIR") : EDDY_SOURCE_DIR;
}

/* A throwaway cluster with the analytics tables and the watch trigger; NULL if none. */
static PGconn *start_pg(const char *dir, char *url, size_t size) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "'%s/scripts/pg.sh' start '%s'", source_dir(), dir);
  FILE *f = popen(cmd, "r");
  bool ok = f != NULL && fgets(url, (int)size, f) != NULL;
  if (f != NULL && pclose(f) != 0)
    ok = false;
  if (!ok)
    return NULL;
  url[strcspn(url, "\n")] = '\0';
  if (strncmp(url, "url=", 4) == 0)
    memmove(url, url + 4, strlen(url + 4) + 1);
  snprintf(cmd, sizeof(cmd), "psql -q -v ON_ERROR_STOP=1 '%s' -f '%s/sql/analytics.sql'", url,
           source_dir());
  if (system(cmd) != 0)
    return NULL;
  PGconn *conn = PQconnectdb(url);
  PGresult *r = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, watch_sql) : NULL;
  ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    fprintf(stderr, "PostgreSQL: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return NULL;
  }
  return conn;
}

static void stop_pg(const char *dir) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), "'%s/scripts/pg.sh' stop '%s' >/dev/null 2>&1", source_dir(), dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not stop the PostgreSQL of %s\n", dir);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* A trickle of events until the first alert arrives: the applications have
 * joined their groups and the pipeline runs end to end. @returns events sent. */
static uint64_t wait_live(rd_kafka_t *p, rd_kafka_t *c) {
  uint64_t sent = 0;
  int64_t t0 = now_us();
  samples_t none = {0};
  while (none.cnt == 0) {
    if (now_us() - t0 > 120 * 1000000LL)
      bench_die("no alert within 120 s: the topologies do not run");
    for (int i = 0; i < 10; i++)
      produce(p, sent++);
    rd_kafka_poll(p, 0);
    usleep(10000);
    drain_kafka(c, 0, &none);
  }
  fprintf(stderr, "first alert after %.1f s: the topologies run\n", (double)(now_us() - t0) / 1e6);
  free(none.ms);
  return sent;
}

/* One line a second on stderr: a stall shows as a growing max. */
static void progress(int64_t start, uint64_t events, const samples_t *kafka, size_t *seen) {
  double max = 0;
  for (size_t i = *seen; i < kafka->cnt; i++)
    max = kafka->ms[i] > max ? kafka->ms[i] : max;
  fprintf(stderr, "  %3.0f s  %8llu events  %5zu alerts  max %7.1f ms\n",
          (double)(now_us() - start) / 1e6, (unsigned long long)events, kafka->cnt - *seen, max);
  *seen = kafka->cnt;
}

/* Produce at \p rate for \p seconds (+ warm-up), reading the alerts as they come. */
static void run(const char *bootstrap, pg_watch_t *pg, int seconds, int rate, samples_t *kafka,
                samples_t *post) {
  /* linger.ms=5, the Java producer's default since Kafka 4.0 (and eddy's own): without
   * it every event is a message set of its own, and the embedded broker, which hands
   * out one message set per partition per fetch and finds it by a linear scan of the
   * partition's log, falls behind from about 3,000 events/s (benchmarks/README.md) */
  static const char *const pkv[] = {"linger.ms", "5", "queue.buffering.max.messages",
                                    "1000000", NULL};
  static const char *const ckv[] = {"group.id", "bench-latency", "isolation.level",
                                    "read_committed", "auto.offset.reset", "earliest",
                                    "fetch.wait.max.ms", "5", NULL};
  rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bootstrap, pkv);
  rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, ckv);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(topics, "fraud.alerts", RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics, "inventory.alerts", RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(c, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  uint64_t sent = wait_live(p, c);
  int64_t start = now_us(), from = start + WARMUP_S * 1000000LL;
  int64_t end = from + (int64_t)seconds * 1000000, last_pg = 0, last_report = start;
  uint64_t first = sent;
  size_t seen = 0;
  for (int64_t t = start; t < end + 3000000; t = now_us()) {   /* 3 s to drain */
    uint64_t due = t < end ? first + (uint64_t)((double)(t - start) / 1e6 * rate) : sent;
    while (sent < due)
      produce(p, sent++);
    rd_kafka_poll(p, 0);
    drain_kafka(c, from, kafka);
    if (pg->conn != NULL && t - last_pg >= 5000) {
      poll_pg(pg, from, post);
      last_pg = t;
    }
    if (t - last_report >= 1000000) {
      progress(start, sent - first, kafka, &seen);
      last_report = t;
    }
    usleep(500);
  }
  fprintf(stderr, "produced %llu events in %d s (+%d s warm-up)\n",
          (unsigned long long)(sent - first), seconds, WARMUP_S);
  rd_kafka_flush(p, 10000);
  rd_kafka_destroy(p);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
}

int main(int argc, char **argv) {
  int seconds = argc > 1 ? atoi(argv[1]) : 20, rate = argc > 2 ? atoi(argv[2]) : 10000;
  char pgdir[] = "/tmp/eddy-bench-pg-XXXXXX", url[512], settings[600];
  if (mkdtemp(pgdir) == NULL)
    bench_die("mkdtemp");
  pg_watch_t pg = {.conn = start_pg(pgdir, url, sizeof(url))};
  if (pg.conn == NULL)
    fprintf(stderr, "PostgreSQL did not start (scripts/pg.sh): measuring Kafka only\n");
  snprintf(settings, sizeof(settings), pg.conn ? "postgres.url=%s" : "postgres.sinks=off", url);
  char *texts[] = {bench_topology_file("fraud_anomaly.eddy"), bench_topology_file("fraud_velocity.eddy"),
                   bench_topology_file("inventory_alerts.eddy")};
  const char *topologies[] = {texts[0], texts[1], texts[2], NULL};
  const char *topics[] = {"ecommerce.public.transactions", "ecommerce.public.products",
                          "fraud.alerts", "inventory.alerts", NULL};
  bench_engine_conf_t c = {.name = "alerting topologies", .topologies = topologies,
                           .topics = topics, .partitions = PARTITIONS, .budget_mb = 256,
                           .settings = settings};
  char bootstrap[256];
  pid_t broker = bench_engine_broker(&c, bootstrap, sizeof(bootstrap));
  pid_t engine = bench_engine_spawn(&c, bootstrap);
  samples_t kafka = {0}, post = {0};
  fprintf(stderr, "%d events/s for %d s into fraud_anomaly, fraud_velocity and "
          "inventory_alerts...\n", rate, seconds);
  run(bootstrap, &pg, seconds, rate, &kafka, &post);
  bench_engine_kill(engine);
  bench_engine_broker_stop(broker);
  if (pg.conn != NULL) {
    PQfinish(pg.conn);
    stop_pg(pgdir);
  }
  summary("PostgreSQL (row visible)", &post);
  summary("Kafka (read_committed consumer)", &kafka);
  if (kafka.cnt == 0)
    bench_die("no alert reached Kafka");
  printf("BENCH latency p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n", pct(&kafka, 50), pct(&kafka, 95),
         pct(&kafka, 99));
  for (int i = 0; i < 3; i++)
    free(texts[i]);
  free(kafka.ms);
  free(post.ms);
  return 0;
}
