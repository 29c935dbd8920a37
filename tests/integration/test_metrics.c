/*
 * The metrics endpoint of a running application on the embedded cluster:
 * the counters it serves equal what the test produced (good, filtered and
 * malformed records counted here), /health and /ready follow the
 * application's state, and bad requests get 404/405.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy_test.h"
#include "engine/metrics.h"
#include "engine/util.h"
#include "kafka_test.h"

#define GOOD 300
#define BAD 7

static const char *topology =
    "app metered\n"
    "stream events from \"events\" format json schema (id int, ok bool)\n"
    "events | where ok | to kafka \"kept\"\n";

typedef struct {
  int status;
  char *body;      /* eddy_free */
} reply_t;

/* A minimal HTTP/1.1 client: one request, Connection: close, read to EOF. */
static reply_t http(int port, const char *method, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, connect(fd, (struct sockaddr *)&a, sizeof(a)));
  char req[256];
  int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                   method, path);
  ASSERT_EQ(n, (int)write(fd, req, (size_t)n));
  eddy_buf_t in = {0};
  char buf[4096];
  ssize_t got;
  while ((got = read(fd, buf, sizeof(buf))) > 0)
    ASSERT_OK(eddy_buf_append(&in, buf, (size_t)got));
  close(fd);
  const char *text = eddy_buf_cstr(&in);
  reply_t r = {0};
  ASSERT_EQ(1, sscanf(text, "HTTP/1.1 %d", &r.status));
  const char *body = strstr(text, "\r\n\r\n");
  ASSERT_TRUE(body != NULL);
  r.body = eddy_strdup(body + 4);
  eddy_buf_free(&in);
  return r;
}

static void expect_status(int port, const char *method, const char *path, int status) {
  reply_t r = http(port, method, path);
  ASSERT_EQ(status, r.status);
  eddy_free(r.body);
}

/* The value of `eddy_<name>{app="metered"}` in a Prometheus text body. */
static long long prom(const char *body, const char *name) {
  char pat[128];
  snprintf(pat, sizeof(pat), "\neddy_%s{app=\"metered\"} ", name);
  const char *p = strstr(body, pat);
  ASSERT_TRUE(p != NULL);
  return atoll(p + strlen(pat));
}

static long long status_field(const char *body, const char *name) {
  cJSON *j = cJSON_Parse(body);
  ASSERT_TRUE(j != NULL);
  cJSON *app = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "apps"), 0);
  ASSERT_STR_EQ("metered", cJSON_GetObjectItem(app, "app")->valuestring);
  long long v = (long long)cJSON_GetObjectItem(app, name)->valuedouble;
  cJSON_Delete(j);
  return v;
}

/* GOOD records (some filtered out) and BAD truncated ones to \p partition (-1: any).
 * @returns how many pass the filter. */
static int produce_input(eddy_broker_t *b, int32_t partition) {
  rd_kafka_t *p = tk_producer(eddy_broker_bootstrap(b));
  int kept = 0;
  char buf[128];
  for (int i = 0; i < GOOD + BAD; i++) {
    bool ok = (i * 7919) % 3 != 0;
    int len = i < GOOD ? snprintf(buf, sizeof(buf), "{\"id\":%d,\"ok\":%s}", i,
                                  ok ? "true" : "false")
                       : snprintf(buf, sizeof(buf), "{\"id\":%d,\"ok\":", i); /* truncated */
    kept += i < GOOD && ok;
    tk_produce(p, "events", partition, NULL, buf, (size_t)len);
  }
  tk_producer_close(p);
  return kept;
}

EDDY_TEST(metrics_match_the_input) {
  const char *topics[] = {"events", NULL};
  eddy_broker_t *b = tk_broker(topics, 4);
  int kept = produce_input(b, -1);

  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start_app(topo, b, 2, NULL);
  eddy_logger_t log = {0};
  eddy_metrics_server_t *srv;
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_metrics_server_start(&srv, "127.0.0.1:0", &app, 1, &log, &err));
  int port = eddy_metrics_server_port(srv);
  tk_wait_consumed(app, GOOD + BAD, 60000);

  /* records_out and dlq count deliveries: poll until they reach the computed totals */
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(30000) * 1000;
  reply_t r = {0};
  for (;;) {
    eddy_free(r.body);
    r = http(port, "GET", "/metrics");
    ASSERT_EQ(200, r.status);
    if ((prom(r.body, "records_out_total") == kept && prom(r.body, "dlq_total") == BAD) ||
        eddy_clock_monotonic_us() > deadline)
      break;
    usleep(20000);
  }
  ASSERT_EQ(GOOD + BAD, prom(r.body, "records_in_total"));
  ASSERT_EQ(kept, prom(r.body, "records_out_total"));
  ASSERT_EQ(BAD, prom(r.body, "dlq_total"));
  ASSERT_EQ(BAD, prom(r.body, "decode_errors_total"));
  ASSERT_EQ(1, prom(r.body, "running"));
  ASSERT_TRUE(strstr(r.body, "# TYPE eddy_records_in_total counter\n") != NULL);
  eddy_free(r.body);

  r = http(port, "GET", "/status");
  ASSERT_EQ(200, r.status);
  ASSERT_EQ(GOOD + BAD, status_field(r.body, "records_in"));
  ASSERT_EQ(kept, status_field(r.body, "records_out"));
  eddy_free(r.body);

  expect_status(port, "GET", "/health", 200);
  expect_status(port, "GET", "/ready", 200);
  expect_status(port, "GET", "/nope", 404);
  expect_status(port, "POST", "/metrics", 405);

  eddy_app_request_stop(app);
  ASSERT_OK(eddy_app_join(app, &err));
  r = http(port, "GET", "/health");
  ASSERT_EQ(503, r.status);
  ASSERT_TRUE(strstr(r.body, "down") != NULL);
  eddy_free(r.body);

  eddy_metrics_server_stop(srv);
  eddy_app_destroy(app);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

/* After a restart, a partition with nothing new has no consumer position: its lag
 * counts from the group's committed offset, not from the start of the partition. */
EDDY_TEST(lag_after_a_restart_counts_from_the_committed_offsets) {
  const char *topics[] = {"events", NULL};
  eddy_broker_t *b = tk_broker(topics, 4);
  for (int32_t p = 0; p < 4; p++)
    produce_input(b, p);
  const char *eos[] = {"processing.guarantee=exactly_once_v2", NULL};
  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start_app(topo, b, 1, eos);
  tk_wait_consumed(app, 4 * (GOOD + BAD), 60000);
  tk_stop(app);

  app = tk_start_app(topo, b, 1, eos);
  produce_input(b, 0);   /* partitions 1 to 3 stay idle */
  tk_wait_consumed(app, GOOD + BAD, 60000);
  /* commits after the input was read: the lag they computed had the partitions assigned */
  const eddy_counters_t *c = eddy_app_counters(app);
  tk_wait_counter(&c->commits, atomic_load(&c->commits) + 3, 20000);
  ASSERT_EQ(0, eddy_app_lag(app));
  tk_stop(app);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(bad_listen_address) {
  eddy_metrics_server_t *srv = NULL;
  eddy_error_t *err = NULL;
  eddy_logger_t log = {0};
  ASSERT_EQ(EDDY_EINVAL, eddy_metrics_server_start(&srv, "nowhere", NULL, 0, &log, &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "HOST:PORT") != NULL);
  eddy_error_destroy(err);
  EDDY_ASSERT_NO_LEAKS();
}
