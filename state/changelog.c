/*
 * Changelog writers and topic creation. A writer produces the records a
 * store's cache flushes to <app>-<store>-changelog, partition = the task's
 * partition, on a producer the runtime owns, and learns the offsets they got
 * from delivery reports (rd_kafka_resp_err_t becomes eddy_error_t here).
 */
#include <stdio.h>
#include <string.h>

#include "eddy/alloc.h"
#include "state/store_int.h"

struct eddy_changelog_s {
  eddy_delivery_sink_t sink;   /* first: messages carry &sink as their opaque */
  rd_kafka_t *rk;
  rd_kafka_topic_t *rkt;
  char *topic;
  int32_t partition;
  _Atomic int64_t sent;
  _Atomic int64_t delivered;   /* reports received, ok or not */
  _Atomic int64_t acked_offset;
  _Atomic int first_error;     /* rd_kafka_resp_err_t of the first failed delivery */
};

void eddy_delivery_dispatch(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
  (void)rk;
  (void)opaque;
  eddy_delivery_sink_t *sink = msg->_private;
  if (sink != NULL && sink->on_delivery != NULL)
    sink->on_delivery(sink, msg);
}

static void on_delivery(eddy_delivery_sink_t *sink, const rd_kafka_message_t *msg) {
  eddy_changelog_t *cl = (eddy_changelog_t *)sink;
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    int none = 0;
    atomic_compare_exchange_strong(&cl->first_error, &none, (int)msg->err);
  } else {
    int64_t cur = atomic_load(&cl->acked_offset);
    while (msg->offset > cur && !atomic_compare_exchange_weak(&cl->acked_offset, &cur, msg->offset))
      ;
  }
  atomic_fetch_add(&cl->delivered, 1);
}

int eddy_changelog_topic_name(char *buf, size_t cap, const char *app, const char *store) {
  int n = snprintf(buf, cap, "%s-%s-changelog", app, store);
  return n < 0 || (size_t)n >= cap ? EDDY_ERANGE : 0;
}

int eddy_changelog_new(eddy_changelog_t **out, rd_kafka_t *producer, const char *topic,
                       int32_t partition, eddy_error_t **err) {
  *out = NULL;
  if (producer == NULL || topic == NULL || partition < 0)
    return eddy_error_set(err, EDDY_EINVAL, "changelog: producer, topic and partition needed");
  eddy_changelog_t *cl = eddy_calloc(1, sizeof(*cl));
  if (cl == NULL || (cl->topic = eddy_strdup(topic)) == NULL) {
    eddy_free(cl);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  cl->rkt = rd_kafka_topic_new(producer, topic, NULL);
  if (cl->rkt == NULL) {
    eddy_free(cl->topic);
    eddy_free(cl);
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", false, "changelog topic %s: %s", topic,
                             rd_kafka_err2str(rd_kafka_last_error()));
  }
  cl->sink.on_delivery = on_delivery;
  cl->rk = producer;
  cl->partition = partition;
  cl->acked_offset = EDDY_OFFSET_NONE;
  *out = cl;
  return 0;
}

void eddy_changelog_destroy(eddy_changelog_t *cl) {
  if (cl == NULL)
    return;
  rd_kafka_topic_destroy(cl->rkt);
  eddy_free(cl->topic);
  eddy_free(cl);
}

int eddy_changelog_send(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                        eddy_error_t **err) {
  eddy_changelog_t *cl = opaque;
  /* a zero-length value must stay a value, not become a tombstone */
  static const uint8_t empty[1];
  void *vp = value == NULL ? NULL : (void *)(value->p ? value->p : empty);
  size_t vlen = value == NULL ? 0 : value->len;
  for (int waited_ms = 0;; waited_ms += 10) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        cl->rk, RD_KAFKA_V_RKT(cl->rkt), RD_KAFKA_V_PARTITION(cl->partition),
        RD_KAFKA_V_KEY(key.p, key.len), RD_KAFKA_V_VALUE(vp, vlen),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(time > 0 ? time / 1000 : 0),
        RD_KAFKA_V_OPAQUE(&cl->sink), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      atomic_fetch_add(&cl->sent, 1);
      return 0;
    }
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || waited_ms >= 60000)
      return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", e == RD_KAFKA_RESP_ERR__QUEUE_FULL,
                               "changelog %s [%d]: produce: %s", cl->topic, (int)cl->partition,
                               rd_kafka_err2str(e));
    rd_kafka_poll(cl->rk, 10);  /* serves delivery reports, frees queue space */
  }
}

int eddy_changelog_check(eddy_changelog_t *cl, eddy_error_t **err) {
  int e = atomic_load(&cl->first_error);
  if (e != 0)
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", false, "changelog %s [%d]: delivery: %s",
                             cl->topic, (int)cl->partition,
                             rd_kafka_err2str((rd_kafka_resp_err_t)e));
  int64_t in_flight = eddy_changelog_in_flight(cl);
  if (in_flight > 0)
    return eddy_error_set(err, EDDY_ESTATE,
                          "changelog %s [%d]: %lld records not yet delivered (flush the producer "
                          "before committing stores)", cl->topic, (int)cl->partition,
                          (long long)in_flight);
  return 0;
}

int64_t eddy_changelog_acked_offset(const eddy_changelog_t *cl) {
  return atomic_load(&((eddy_changelog_t *)cl)->acked_offset);
}

int64_t eddy_changelog_in_flight(const eddy_changelog_t *cl) {
  eddy_changelog_t *c = (eddy_changelog_t *)cl;
  return atomic_load(&c->sent) - atomic_load(&c->delivered);
}

/* ---- topic creation --------------------------------------------------------- */

/* Partition count of an existing topic, through a metadata request. */
int eddy_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int *cnt,
                          eddy_error_t **err) {
  /* The cluster's topic list: asking for one topic by name may auto-create it. */
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", true, "metadata of %s: %s", topic,
                             rd_kafka_err2str(e));
  *cnt = 0;
  for (int i = 0; i < md->topic_cnt; i++)
    if (strcmp(md->topics[i].topic, topic) == 0 && md->topics[i].err == 0)
      *cnt = md->topics[i].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return 0;
}

static rd_kafka_NewTopic_t *new_topic(const eddy_changelog_topic_t *spec, eddy_error_t **err) {
  char errstr[256], retention[32];
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(spec->topic, spec->partition_cnt,
                                                  spec->replication_factor, errstr,
                                                  sizeof(errstr));
  if (nt == NULL) {
    eddy_error_set(err, EDDY_EINVAL, "changelog topic %s: %s", spec->topic, errstr);
    return NULL;
  }
  if (spec->retention_ms < 0) {
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
  } else {
    snprintf(retention, sizeof(retention), "%lld", (long long)spec->retention_ms);
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact,delete");
    rd_kafka_NewTopic_set_config(nt, "retention.ms", retention);
  }
  return nt;
}

/* CreateTopics through the admin API; TOPIC_ALREADY_EXISTS is *exists = true. */
static int admin_create(rd_kafka_t *rk, const eddy_changelog_topic_t *spec, int timeout_ms,
                        bool *exists, eddy_error_t **err) {
  rd_kafka_NewTopic_t *nt = new_topic(spec, err);
  if (nt == NULL)
    return EDDY_EINVAL;
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(ao, timeout_ms, NULL, 0);
  rd_kafka_AdminOptions_set_operation_timeout(ao, timeout_ms, NULL, 0);
  rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
  rd_kafka_resp_err_t e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  const char *msg = ev ? rd_kafka_event_error_string(ev) : "timed out";
  const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && res != NULL) {
    size_t cnt;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
    if (cnt == 1 && rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      e = rd_kafka_topic_result_error(tr[0]);
      msg = rd_kafka_topic_result_error_string(tr[0]);
    }
  }
  *exists = e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
  int rc = 0;
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && !*exists)
    rc = eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", e == RD_KAFKA_RESP_ERR__TIMED_OUT,
                           "create changelog topic %s: %s", spec->topic,
                           msg ? msg : rd_kafka_err2str(e));
  if (ev != NULL)
    rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(ao);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return rc;
}

int eddy_changelog_topic_ensure(rd_kafka_t *rk, const eddy_changelog_topic_t *spec,
                                eddy_topic_create_fn create, void *opaque, int timeout_ms,
                                eddy_error_t **err) {
  if (spec->topic == NULL || spec->partition_cnt < 1)
    return eddy_error_set(err, EDDY_EINVAL, "changelog topic: name and partitions needed");
  bool exists = false;
  int rc, have = 0;
  /* A topic made beforehand (by an operator, or on a cluster without CreateTopics) is used
   * as it is, once its partition count is right. */
  if (rk != NULL && (rc = eddy_topic_partitions(rk, spec->topic, timeout_ms, &have, err)) != 0)
    return rc;
  if (have > 0) {
    exists = true;
  } else if (create != NULL) {
    eddy_error_t *cerr = NULL;
    rc = create(opaque, spec->topic, spec->partition_cnt, &cerr);
    exists = rc == EDDY_EEXIST;
    if (rc != 0 && !exists) {
      if (cerr == NULL)
        return eddy_error_set(err, rc, "create changelog topic %s: %s", spec->topic,
                              eddy_strerror(rc));
      if (err != NULL && *err == NULL) {
        *err = cerr;
        cerr = NULL;
      }
      eddy_error_destroy(cerr);
      return rc;
    }
    eddy_error_destroy(cerr);
  } else {
    if (rk == NULL)
      return eddy_error_set(err, EDDY_EINVAL, "changelog topic %s: no client to create it",
                            spec->topic);
    rc = admin_create(rk, spec, timeout_ms, &exists, err);
    if (rc != 0)
      return rc;
  }
  if (!exists || rk == NULL)
    return 0;
  int cnt = 0;
  rc = eddy_topic_partitions(rk, spec->topic, timeout_ms, &cnt, err);
  if (rc != 0)
    return rc;
  if (cnt != spec->partition_cnt)
    return eddy_error_set(err, EDDY_ECONFIG,
                          "changelog topic %s has %d partitions, the application needs %d",
                          spec->topic, cnt, spec->partition_cnt);
  return 0;
}
