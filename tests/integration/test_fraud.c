/*
 * The two fraud agents (topologies/fraud_anomaly.eddy, fraud_velocity.eddy)
 * end to end on the embedded cluster, over random Debezium JSON change
 * events of `transactions` (fixed seed; bursts per user, large amounts, out
 * of order and far-behind records), with a clean stop in the middle and,
 * in the second run, the state directory deleted (the over stores come back
 * from their changelogs). The alerts must be exactly those of a direct
 * re-implementation of the seed agents' logic written here, on event time:
 *
 *   anomaly   the user's 50 previous transactions (by event time): at least 3,
 *             amount > 3 x their mean (exact, avg rounded to 6 decimals as
 *             the DSL's avg is) and amount > 500;
 *   velocity  the user's transactions in [t - 60 s, t], itself included:
 *             score = 40 if more than 5, + 50 if amount > 4000; alert > 70.
 *
 * The input is partitioned by user (as a producer keying by user would), so
 * each user's arrival order is the produce order and the frames are known.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "eddy_test.h"
#include "kafka_test.h"

#define USERS 40
#define N 3000
#define HALF 1300
#define T0_US ((int64_t)1700000000000000)
#define TOPIC "ecommerce.public.transactions"

typedef struct {
  int64_t id, ts, cents;
  int user;
  bool late_a, late_v;          /* late for the anomaly (rows) / velocity (range) frames */
} tx_t;

static uint64_t rng;
static uint64_t rnd(uint64_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (rng >> 33) % n;
}

static int64_t amount(void) {
  uint64_t d = rnd(100);
  if (d < 4)
    return 400000 + (int64_t)rnd(200000);   /* 4000.00 .. 5999.99 */
  if (d < 8)
    return 50000 + (int64_t)rnd(300000);    /* 500.00 .. 3499.99 */
  return 1000 + (int64_t)rnd(29000);        /* 10.00 .. 299.99 */
}

static void generate(tx_t *tx, uint64_t seed) {
  rng = seed;
  int64_t clock = T0_US;
  for (int i = 0; i < N;) {
    int user = (int)rnd(USERS);
    int burst = rnd(100) < 4 ? 6 + (int)rnd(5) : 1;
    for (int b = 0; b < burst && i < N; b++, i++) {
      clock += (int64_t)rnd(burst > 1 ? 3000 : 700) * 1000;
      tx_t *t = &tx[i];
      *t = (tx_t){.id = 1000 + i, .ts = clock, .cents = amount(), .user = user};
      uint64_t d = rnd(100);
      if (d < 10)
        t->ts -= (int64_t)rnd(20000) * 1000;           /* out of order, within the range */
      else if (d < 12)
        t->ts -= (120 + (int64_t)rnd(180)) * EDDY_SEC; /* far behind */
    }
  }
}

/* ---- the reference ------------------------------------------------------------------ */

typedef struct {
  int64_t id;
  int score;       /* velocity; 0 for anomaly */
  int seen;
} alert_t;

/* Earlier non-late transactions of \p i's user, sorted by (time, arrival). */
static int history(tx_t *tx, int i, bool anomaly, int *out) {
  int n = 0;
  for (int j = 0; j < i; j++) {
    if (tx[j].user != tx[i].user || (anomaly ? tx[j].late_a : tx[j].late_v))
      continue;
    int at = n++;
    while (at > 0 && tx[out[at - 1]].ts > tx[j].ts) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = j;
  }
  return n;
}

static int64_t avg_micro(int64_t sum_cents, int64_t n) {   /* half away from zero */
  int64_t num = sum_cents * 10000, q = num / n, r = num % n;
  return 2 * r >= n ? q + 1 : q;
}

static int expect_anomalies(tx_t *tx, alert_t *out) {
  static int h[N];
  int cnt = 0;
  for (int i = 0; i < N; i++) {
    int n = history(tx, i, true, h), before = 0, kept = n > 50 ? n - 50 : 0;
    for (int j = kept; j < n; j++)
      before += tx[h[j]].ts <= tx[i].ts;
    if (n > 50 && before < 50) {
      tx[i].late_a = true;
      continue;
    }
    int64_t sum = 0, m = 0;
    for (int j = n - 1; j >= 0 && m < 50; j--)
      if (tx[h[j]].ts <= tx[i].ts) {
        sum += tx[h[j]].cents;
        m++;
      }
    if (m >= 3 && tx[i].cents * 10000 > 3 * avg_micro(sum, m) && tx[i].cents > 50000)
      out[cnt++] = (alert_t){.id = tx[i].id};
  }
  return cnt;
}

static int expect_velocity(tx_t *tx, alert_t *out) {
  static int h[N];
  int cnt = 0;
  for (int i = 0; i < N; i++) {
    int n = history(tx, i, false, h);
    if (n > 0 && tx[i].ts < tx[h[n - 1]].ts - 60 * EDDY_SEC) {
      tx[i].late_v = true;
      continue;
    }
    int recent = 1;
    for (int j = 0; j < n; j++)
      recent += tx[h[j]].ts <= tx[i].ts && tx[h[j]].ts >= tx[i].ts - 60 * EDDY_SEC;
    int score = (recent > 5 ? 40 : 0) + (tx[i].cents > 400000 ? 50 : 0);
    if (score > 70)
      out[cnt++] = (alert_t){.id = tx[i].id, .score = score};
  }
  return cnt;
}

/* ---- the input ------------------------------------------------------------------------ */

/* Debezium's precise DECIMAL: base64 of the minimal big-endian two's complement. */
static void b64_decimal(int64_t unscaled, char *out) {
  static const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t b[8];
  int n = 8;
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)((uint64_t)unscaled >> (56 - 8 * i));
  int s = 0;
  while (s < 7 && ((b[s] == 0 && !(b[s + 1] & 0x80)) || (b[s] == 0xff && (b[s + 1] & 0x80))))
    s++;
  n -= s;
  const uint8_t *p = b + s;
  int k = 0;
  for (int i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    out[k++] = a[v >> 18];
    out[k++] = a[(v >> 12) & 63];
    out[k++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
    out[k++] = i + 2 < n ? a[v & 63] : '=';
  }
  out[k] = '\0';
}

static void produce(const char *bs, const tx_t *tx, int from, int to) {
  rd_kafka_t *p = tk_producer(bs);
  char buf[768], key[64], dec[32];
  for (int i = from; i < to; i++) {
    b64_decimal(tx[i].cents, dec);
    int len = snprintf(buf, sizeof(buf),
                       "{\"before\":null,\"after\":{\"id\":%" PRId64 ",\"user_id\":%d,"
                       "\"amount\":\"%s\",\"merchant\":\"m%d\",\"location\":\"NL\","
                       "\"created_at\":%" PRId64 ",\"status\":\"approved\"},"
                       "\"source\":{\"db\":\"ecommerce\",\"schema\":\"public\","
                       "\"table\":\"transactions\",\"lsn\":%d},\"op\":\"c\",\"ts_ms\":%" PRId64 "}",
                       tx[i].id, tx[i].user, dec, i % 7, tx[i].ts, i, tx[i].ts / 1000);
    snprintf(key, sizeof(key), "{\"id\":%" PRId64 "}", tx[i].id);
    tk_produce(p, TOPIC, tx[i].user % 4, key, buf, (size_t)len);
  }
  tk_producer_close(p);
}

/* ---- the run ---------------------------------------------------------------------------- */

static eddy_topology_t *load(const char *name) {
  char path[1024];
  const char *src = getenv("EDDY_SOURCE_DIR");
  snprintf(path, sizeof(path), "%s/topologies/%s", src != NULL ? src : ".", name);
  FILE *f = fopen(path, "rb");
  ASSERT_TRUE(f != NULL);
  static char text[16384];
  size_t len = fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  text[len] = '\0';
  return tk_compile(text);
}

static eddy_app_t *start(eddy_topology_t *topo, tk_env_t *env) {
  /* the alerts are checked on Kafka; test_topologies.py checks the PostgreSQL table */
  const char *settings[] = {env->state_setting, "late.records.topic=late", "postgres.sinks=off",
                            NULL};
  return tk_start_app(topo, env->broker, 2, settings);
}

static alert_t *find(alert_t *a, int cnt, int64_t id) {
  for (int i = 0; i < cnt; i++)
    if (a[i].id == id)
      return &a[i];
  return NULL;
}

static void check_alerts(const char *bs, alert_t *anom, int na, alert_t *vel, int nv) {
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "fraud.alerts", na + nv, 30000, &out);
  ASSERT_EQ(na + nv, cnt);
  for (int i = 0; i < cnt; i++) {
    cJSON *j = cJSON_Parse(out[i].value);
    ASSERT_TRUE(j != NULL);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "alert_type");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "transaction_id");
    ASSERT_TRUE(cJSON_IsString(type) && cJSON_IsNumber(id));
    bool anomaly = strcmp(type->valuestring, "anomaly") == 0;
    alert_t *a = anomaly ? find(anom, na, (int64_t)id->valuedouble)
                         : find(vel, nv, (int64_t)id->valuedouble);
    if (a == NULL)
      eddy_test_fail(__FILE__, __LINE__, "unexpected alert %s", out[i].value);
    ASSERT_EQ(0, a->seen++);
    if (!anomaly)
      ASSERT_EQ(a->score, cJSON_GetObjectItemCaseSensitive(j, "score")->valueint);
    char key[32];
    snprintf(key, sizeof(key), "%d", cJSON_GetObjectItemCaseSensitive(j, "user_id")->valueint);
    ASSERT_STR_EQ(key, out[i].key);
    cJSON_Delete(j);
  }
  tk_msgs_free(out, cnt);
}

static void run(uint64_t seed, bool wipe) {
  const char *topics[] = {TOPIC, NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "fraud", NULL);
  const char *bs = env.bootstrap;
  static tx_t tx[N];
  generate(tx, seed);
  static alert_t anom[N], vel[N];
  int na = expect_anomalies(tx, anom), nv = expect_velocity(tx, vel);
  int late_v = 0, late_a = 0;
  for (int i = 0; i < N; i++)
    late_v += tx[i].late_v, late_a += tx[i].late_a;
  ASSERT_TRUE(na >= 5 && nv >= 5 && late_v > 0);   /* both agents fire; lateness happens */
  eddy_topology_t *ta = load("fraud_anomaly.eddy"), *tv = load("fraud_velocity.eddy");
  produce(bs, tx, 0, HALF);
  eddy_app_t *a = start(ta, &env), *v = start(tv, &env);
  tk_wait_consumed(a, 2 * HALF, 60000);
  tk_wait_consumed(v, 2 * HALF, 60000);
  tk_stop(a);
  tk_stop(v);
  if (wipe)
    eddy_test_rmtree(env.dir);
  produce(bs, tx, HALF, N);
  a = start(ta, &env);
  v = start(tv, &env);
  tk_wait_consumed(a, 2 * (N - HALF), 60000);
  tk_wait_consumed(v, 2 * (N - HALF), 60000);
  tk_stop(a);
  tk_stop(v);
  check_alerts(bs, anom, na, vel, nv);
  tk_msg_t *late;
  int cnt = tk_consume_all(bs, "late", late_a + late_v, 10000, &late);
  ASSERT_EQ(late_a + late_v, cnt);
  tk_msgs_free(late, cnt);
  eddy_topology_destroy(ta);
  eddy_topology_destroy(tv);
  tk_env_close(&env);
}

EDDY_TEST(fraud_agents_match_the_reference_across_a_restart) {
  run(0xf4a0d, false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(fraud_agents_match_the_reference_with_the_state_directory_lost) {
  run(0xbadc0de, true);
  EDDY_ASSERT_NO_LEAKS();
}
