/*
 * `eddy gen`: where the events go. A Kafka producer (idempotent, acks=all,
 * Java-compatible murmur2 partitioning, the record timestamp set to the
 * event time, delivery reports counted), or JSON lines on a file/stdout.
 */
#include "tools/gen_out.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serde/serde.h"
#include "tools/gen.h"

struct gen_sink_s {
  rd_kafka_t *rk;          /* NULL: file sink */
  FILE *file;
  bool own_file;
  eddy_buf_t line;
  long long written, acked, failed;
  char first_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  gen_sink_t *s = opaque;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    s->acked++;
    return;
  }
  if (s->failed++ == 0)
    snprintf(s->first_error, sizeof(s->first_error), "%s: %s", rd_kafka_topic_name(m->rkt),
             rd_kafka_err2str(m->err));
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, eddy_error_t **err) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK)
    return 0;
  return eddy_error_set(err, EDDY_ECONFIG, "producer property %s=%s: %s", k, v, errstr);
}

static int set_props(rd_kafka_conf_t *conf, const char *const *props, eddy_error_t **err) {
  for (int i = 0; props && props[i]; i++) {
    const char *eq = strchr(props[i], '=');
    if (eq == NULL || eq == props[i])
      return eddy_error_set(err, EDDY_ECONFIG, "producer property '%s': expected KEY=VALUE",
                            props[i]);
    char key[128];
    size_t n = (size_t)(eq - props[i]) < sizeof(key) - 1 ? (size_t)(eq - props[i])
                                                         : sizeof(key) - 1;
    memcpy(key, props[i], n);
    key[n] = '\0';
    if (set(conf, key, eq + 1, err) != 0)
      return EDDY_ECONFIG;
  }
  return 0;
}

int gen_sink_open_kafka(gen_sink_t **out, const char *bootstrap, const char *const *props,
                        eddy_error_t **err) {
  static const char *const defaults[][2] = {
      {"linger.ms", "5"},          {"acks", "all"},
      {"enable.idempotence", "true"}, {"partitioner", "murmur2_random"},
      {"message.timeout.ms", "30000"}, {"log_level", "3"}};
  char errstr[512];
  gen_sink_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return EDDY_ENOMEM;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int rc = set(conf, "bootstrap.servers", bootstrap, err);
  for (size_t i = 0; rc == 0 && i < sizeof(defaults) / sizeof(defaults[0]); i++)
    rc = set(conf, defaults[i][0], defaults[i][1], err);
  if (rc == 0)
    rc = set_props(conf, props, err);
  if (rc != 0) {
    rd_kafka_conf_destroy(conf);
    eddy_free(s);
    return rc;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, s);
  s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (s->rk == NULL) {
    rd_kafka_conf_destroy(conf);
    eddy_free(s);
    return eddy_error_set(err, EDDY_EKAFKA, "producer: %s", errstr);
  }
  *out = s;
  return 0;
}

int gen_sink_open_file(gen_sink_t **out, const char *path, eddy_error_t **err) {
  gen_sink_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return EDDY_ENOMEM;
  if (strcmp(path, "-") == 0) {
    s->file = stdout;
  } else {
    s->file = fopen(path, "w");
    s->own_file = true;
    if (s->file == NULL) {
      eddy_free(s);
      return eddy_error_set(err, EDDY_EIO, "cannot write %s: %m", path);
    }
  }
  *out = s;
  return 0;
}

static int write_line(gen_sink_t *s, const gen_record_t *r, eddy_error_t **err) {
  eddy_buf_t *b = &s->line;
  eddy_buf_clear(b);
  int rc = eddy_buf_puts(b, "{\"topic\":");
  if (rc == 0)
    rc = gen_json_str(b, r->topic);
  if (rc == 0)
    rc = eddy_buf_printf(b, ",\"timestamp\":%" PRId64 ",%s", r->timestamp_ms,
                         r->key_is_json ? "\"key\":" : "\"key_base64\":\"");
  if (rc == 0)
    rc = r->key_is_json ? eddy_buf_append(b, r->key, r->key_len)
                        : eddy_base64_encode(r->key, r->key_len, b);
  if (rc == 0 && !r->key_is_json)
    rc = eddy_buf_putc(b, '"');
  if (rc == 0)
    rc = eddy_buf_puts(b, r->value_is_json ? ",\"value\":" : ",\"value_base64\":\"");
  if (rc == 0)
    rc = r->value_is_json ? eddy_buf_append(b, r->value, r->value_len)
                          : eddy_base64_encode(r->value, r->value_len, b);
  if (rc == 0)
    rc = eddy_buf_puts(b, r->value_is_json ? "}\n" : "\"}\n");
  if (rc != 0)
    return rc;
  if (fwrite(b->p, 1, b->len, s->file) != b->len)
    return eddy_error_set(err, EDDY_EIO, "write failed: %m");
  s->acked++;
  return 0;
}

int gen_sink_write(gen_sink_t *s, const gen_record_t *r, eddy_error_t **err) {
  s->written++;
  if (s->rk == NULL)
    return write_line(s, r, err);
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        s->rk, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(r->key, r->key_len),
        RD_KAFKA_V_VALUE((void *)(uintptr_t)r->value, r->value_len),
        RD_KAFKA_V_TIMESTAMP(r->timestamp_ms), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
      break;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      s->written--;
      return eddy_error_set(err, EDDY_EKAFKA, "produce to %s: %s", r->topic, rd_kafka_err2str(e));
    }
    rd_kafka_poll(s->rk, 50);
  }
  rd_kafka_poll(s->rk, 0);
  return 0;
}

void gen_sink_wait(gen_sink_t *s, int ms) {
  if (s->rk != NULL)
    rd_kafka_poll(s->rk, ms);
  else if (ms > 0)
    usleep((useconds_t)ms * 1000);
}

void gen_sink_counts(const gen_sink_t *s, long long *written, long long *acked,
                     long long *failed) {
  *written = s->written;
  *acked = s->acked;
  *failed = s->failed;
}

int gen_sink_close(gen_sink_t *s, int timeout_ms, eddy_error_t **err) {
  if (s == NULL)
    return 0;
  int rc = 0;
  if (s->rk != NULL) {
    rd_kafka_flush(s->rk, timeout_ms);
    int left = rd_kafka_outq_len(s->rk);
    if (s->failed > 0)
      rc = eddy_error_set(err, EDDY_EKAFKA, "%lld of %lld messages not delivered (first: %s)",
                          s->failed, s->written, s->first_error);
    else if (left > 0 || s->acked != s->written)
      rc = eddy_error_set(err, EDDY_ETIMEOUT,
                          "%lld of %lld messages not acknowledged within %d ms",
                          s->written - s->acked, s->written, timeout_ms);
    rd_kafka_destroy(s->rk);
  } else {
    if (fflush(s->file) != 0)
      rc = eddy_error_set(err, EDDY_EIO, "write failed: %m");
    if (s->own_file && fclose(s->file) != 0 && rc == 0)
      rc = eddy_error_set(err, EDDY_EIO, "write failed: %m");
  }
  eddy_buf_free(&s->line);
  eddy_free(s);
  return rc;
}
