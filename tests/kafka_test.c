/* Integration-test helpers on the embedded cluster. */
#include "kafka_test.h"

#include <string.h>
#include <unistd.h>

#include "eddy_test.h"
#include "engine/util.h"

eddy_broker_t *tk_broker(const char *const *topics, int partitions) {
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  if (eddy_broker_start(&b, 3, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "broker: %s", eddy_error_msg(err));
  for (int i = 0; topics != NULL && topics[i] != NULL; i++)
    if (eddy_broker_create_topic(b, topics[i], partitions, &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "topic: %s", eddy_error_msg(err));
  return b;
}

rd_kafka_t *tk_client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != 0)
    eddy_test_fail(__FILE__, __LINE__, "client: %s", errstr);
  for (int i = 0; kv != NULL && kv[i] != NULL; i += 2)
    if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)) != 0)
      eddy_test_fail(__FILE__, __LINE__, "client: %s", errstr);
  rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
  if (rk == NULL)
    eddy_test_fail(__FILE__, __LINE__, "%s: %s",
                   type == RD_KAFKA_PRODUCER ? "producer" : "consumer", errstr);
  return rk;
}

rd_kafka_t *tk_producer(const char *bootstrap) {
  static const char *const kv[] = {"linger.ms", "5", "message.max.bytes", "16777216", NULL};
  return tk_client(RD_KAFKA_PRODUCER, bootstrap, kv);
}

void tk_produce(rd_kafka_t *p, const char *topic, int32_t partition, const char *key,
                const void *value, size_t len) {
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0), RD_KAFKA_V_VALUE((void *)value, len),
        RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
      return;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      eddy_test_fail(__FILE__, __LINE__, "produce: %s", rd_kafka_err2str(e));
    rd_kafka_poll(p, 10);
  }
}

void tk_producer_close(rd_kafka_t *p) {
  if (rd_kafka_flush(p, eddy_test_tmout(30000)) != RD_KAFKA_RESP_ERR_NO_ERROR)
    eddy_test_fail(__FILE__, __LINE__, "producer flush timed out");
  rd_kafka_destroy(p);
}

/* A reader of every partition of \p topic from the beginning, reporting the end of each. */
static rd_kafka_t *assigned_consumer(const char *bootstrap, const char *topic, int *part_cnt) {
  static const char *const kv[] = {"group.id", "eddy-test-reader", "enable.auto.commit", "false",
                                   "enable.partition.eof", "true", NULL};
  rd_kafka_t *c = tk_client(RD_KAFKA_CONSUMER, bootstrap, kv);
  const rd_kafka_metadata_t *md = NULL;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(c, topic, NULL);
  int parts = 0;
  for (int tries = 0; tries < 50 && parts == 0; tries++) {
    if (rd_kafka_metadata(c, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == 0)
        parts = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
    }
    if (parts == 0)
      usleep(100000);
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
  for (int i = 0; i < parts; i++)
    rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  *part_cnt = parts;
  return c;
}

static void copy_msg(tk_msg_t *d, const rd_kafka_message_t *m) {
  memset(d, 0, sizeof(*d));
  if (m->key != NULL) {
    d->key = calloc(1, m->key_len + 1);
    memcpy(d->key, m->key, m->key_len);
    d->key_len = m->key_len;
  }
  if (m->payload != NULL) {
    d->value = calloc(1, m->len + 1);
    memcpy(d->value, m->payload, m->len);
    d->len = m->len;
  }
  d->partition = m->partition;
  d->offset = m->offset;
  d->timestamp_ms = rd_kafka_message_timestamp(m, NULL);
  rd_kafka_headers_t *h = NULL;
  if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h != NULL)
    d->headers = rd_kafka_headers_copy(h);
}

int tk_consume_all(const char *bootstrap, const char *topic, int expect, int timeout_ms,
                   tk_msg_t **out) {
  int parts = 0;
  rd_kafka_t *c = assigned_consumer(bootstrap, topic, &parts);
  bool *at_end = calloc((size_t)parts + 1, sizeof(*at_end));
  int ends = 0;   /* partitions read to their end since their last message */
  int cap = expect > 16 ? expect + 16 : 32, cnt = 0;
  tk_msg_t *msgs = calloc((size_t)cap, sizeof(*msgs));
  int64_t idle_limit = (int64_t)eddy_test_tmout(timeout_ms) * 1000;
  int64_t last = eddy_clock_monotonic_us();
  for (;;) {
    /* once everything expected is here and every partition is read to its end, wait
     * only briefly for unexpected extras; a slow fetch halfway never ends the read */
    int64_t limit = cnt >= expect && ends == parts ? 500000 : idle_limit;
    if (eddy_clock_monotonic_us() - last > limit)
      break;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
    if (m == NULL)
      continue;
    bool known = m->partition >= 0 && m->partition < parts;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && known && !at_end[m->partition]) {
      at_end[m->partition] = true;
      ends++;
      last = eddy_clock_monotonic_us();
    } else if (m->err == 0) {
      if (known && at_end[m->partition]) {
        at_end[m->partition] = false;
        ends--;
      }
      if (cnt == cap)
        msgs = realloc(msgs, (size_t)(cap *= 2) * sizeof(*msgs));
      copy_msg(&msgs[cnt++], m);
      last = eddy_clock_monotonic_us();
    }
    rd_kafka_message_destroy(m);
  }
  free(at_end);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  *out = msgs;
  return cnt;
}

void tk_msgs_free(tk_msg_t *msgs, int cnt) {
  for (int i = 0; i < cnt; i++) {
    free(msgs[i].key);
    free(msgs[i].value);
    if (msgs[i].headers != NULL)
      rd_kafka_headers_destroy(msgs[i].headers);
  }
  free(msgs);
}

const char *tk_header(const tk_msg_t *m, const char *name) {
  static char buf[4096];
  const void *v;
  size_t len;
  buf[0] = '\0';
  if (m->headers != NULL &&
      rd_kafka_header_get_last(m->headers, name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    len = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
    memcpy(buf, v, len);
    buf[len] = '\0';
  }
  return buf;
}

static void diag_to_test(void *opaque, const eddy_diag_t *d) {
  eddy_buf_t *b = opaque;
  eddy_diag_format(d, b);
}

eddy_topology_t *tk_compile(const char *text) {
  eddy_topology_t *t = NULL;
  eddy_buf_t diags = {0};
  if (eddy_topology_compile(&t, "test.eddy", text, strlen(text), diag_to_test, &diags) != 0)
    eddy_test_fail(__FILE__, __LINE__, "topology does not compile:\n%s", eddy_buf_cstr(&diags));
  eddy_buf_free(&diags);
  return t;
}

static eddy_logger_t test_log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};

/* The configuration every test application shares: small intervals, \p threads threads. */
static void base_config(eddy_config_t *conf, const char *bootstrap, int threads) {
  eddy_error_t *err = NULL;
  char nthreads[16];
  snprintf(nthreads, sizeof(nthreads), "%d", threads);
  eddy_config_init(conf);
  if (eddy_config_set(conf, "bootstrap.servers", bootstrap, &err) != 0 ||
      eddy_config_set(conf, "commit.interval.ms", "200", &err) != 0 ||
      eddy_config_set(conf, "num.stream.threads", nthreads, &err) != 0 ||
      eddy_config_set(conf, "kafka.consumer.session.timeout.ms", "6000", &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "config: %s", eddy_error_msg(err));
}

eddy_app_t *tk_start(eddy_topology_t *topo, const char *bootstrap, int threads) {
  eddy_config_t conf;
  eddy_error_t *err = NULL;
  base_config(&conf, bootstrap, threads);
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), &conf, &test_log, &err) != 0 ||
      eddy_app_start(app, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "app: %s", eddy_error_msg(err));
  eddy_config_free(&conf);
  return app;
}

static int create_on_broker(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  return eddy_broker_create_topic(opaque, topic, partitions, err);
}

eddy_app_t *tk_start_app(eddy_topology_t *topo, eddy_broker_t *broker, int threads,
                         const char *const *settings) {
  eddy_config_t conf;
  eddy_error_t *err = NULL;
  base_config(&conf, eddy_broker_bootstrap(broker), threads);
  for (int i = 0; settings != NULL && settings[i] != NULL; i++) {
    const char *eq = strchr(settings[i], '=');
    char key[256];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - settings[i]), settings[i]);
    if (eddy_config_set(&conf, key, eq + 1, &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "config %s: %s", settings[i], eddy_error_msg(err));
  }
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), &conf, &test_log, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "app: %s", eddy_error_msg(err));
  eddy_app_set_topic_creator(app, create_on_broker, broker);
  if (eddy_app_start(app, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "app start: %s", eddy_error_msg(err));
  eddy_config_free(&conf);
  return app;
}

void tk_wait_consumed(eddy_app_t *app, long long n, int timeout_ms) {
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(timeout_ms) * 1000;
  const eddy_counters_t *c = eddy_app_counters(app);
  while (atomic_load(&c->records_in) < n) {
    if (eddy_clock_monotonic_us() > deadline)
      eddy_test_fail(__FILE__, __LINE__, "consumed %lld of %lld records before the timeout",
                     (long long)atomic_load(&c->records_in), n);
    if (!eddy_app_running(app))
      eddy_test_fail(__FILE__, __LINE__, "application stopped early");
    usleep(20000);
  }
}

void tk_stop(eddy_app_t *app) {
  eddy_error_t *err = NULL;
  eddy_app_request_stop(app);
  if (eddy_app_join(app, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "application failed: %s", eddy_error_msg(err));
  eddy_app_destroy(app);
}

void tk_wait_counter(const atomic_llong *counter, long long n, int timeout_ms) {
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(timeout_ms) * 1000;
  while (atomic_load(counter) < n) {
    if (eddy_clock_monotonic_us() > deadline)
      eddy_test_fail(__FILE__, __LINE__, "counter at %lld, waited for %lld",
                     (long long)atomic_load(counter), n);
    usleep(10000);
  }
}

void tk_env_open(tk_env_t *env, const char *const *topics, int partitions, const char *tag,
                 const char *text) {
  memset(env, 0, sizeof(*env));
  env->broker = tk_broker(topics, partitions);
  env->bootstrap = eddy_broker_bootstrap(env->broker);
  env->dir = eddy_test_tmpdir(tag);
  snprintf(env->state_setting, sizeof(env->state_setting), "state.dir=%s", env->dir);
  env->topo = text != NULL ? tk_compile(text) : NULL;
}

void tk_env_close(tk_env_t *env) {
  eddy_topology_destroy(env->topo);
  eddy_test_rmtree(env->dir);
  free(env->dir);
  eddy_broker_stop(env->broker);
  memset(env, 0, sizeof(*env));
}
