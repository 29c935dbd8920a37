/*
 * Global tables in a stream thread: a consumer of its own, outside the
 * group, assigned every partition of the global tables' topics from the
 * beginning. At start-up the thread reads them up to the end offsets it
 * sees then, before it processes any record, so a stream record finds every
 * row that existed when the application started; afterwards each loop
 * turn applies whatever arrived, without waiting. The copy lives in memory
 * (operators/join_global.c) and is rebuilt from the topics at every start.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/app_int.h"
#include "engine/util.h"

#define METADATA_TIMEOUT_MS 10000
#define POLL_BATCH 1000

/* Every partition of every global topic, from the beginning; *ends: their end offsets. */
static int assign_all(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t **out,
                      eddy_error_t **err) {
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
  const char *const *topics = eddy_exec_global_topics(t->exec);
  for (size_t i = 0; topics[i] != NULL; i++) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(t->global_consumer, topics[i], NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(t->global_consumer, 0, rkt, &md,
                                              METADATA_TIMEOUT_MS);
    rd_kafka_topic_destroy(rkt);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && (md->topic_cnt != 1 || md->topics[0].err != 0))
      e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    for (int p = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && p < md->topics[0].partition_cnt; p++)
      rd_kafka_topic_partition_list_add(parts, topics[i], md->topics[0].partitions[p].id)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    if (md != NULL)
      rd_kafka_metadata_destroy(md);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(parts);
      return eddy_kafka_error(err, e, "reading the global table topics");
    }
  }
  rd_kafka_resp_err_t e = rd_kafka_assign(t->global_consumer, parts);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_topic_partition_list_destroy(parts);
    return eddy_kafka_error(err, e, "assigning the global table topics");
  }
  *out = parts;
  return 0;
}

static int apply(eddy_stream_thread_t *t, rd_kafka_message_t *m, eddy_error_t **err) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return m->err ? 0 : eddy_exec_global_apply(t->exec, m, err);
  return eddy_kafka_error(err, m->err, "consuming a global table");
}

/* Read until every partition reached the end offset it had at the start. */
static int read_to_end(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t *parts,
                       long long *records, eddy_error_t **err) {
  int64_t *ends = eddy_calloc((size_t)parts->cnt + 1, sizeof(int64_t));
  if (ends == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int left = 0, rc = 0;
  for (int i = 0; rc == 0 && i < parts->cnt; i++) {
    int64_t lo, hi;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
        t->global_consumer, parts->elems[i].topic, parts->elems[i].partition, &lo, &hi,
        METADATA_TIMEOUT_MS);
    rc = e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : eddy_kafka_error(err, e, "global table offsets");
    ends[i] = hi > lo ? hi : 0;   /* 0: nothing to read */
    left += hi > lo;
  }
  while (rc == 0 && left > 0 && !atomic_load(&t->app->stop)) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(t->global_consumer, 100);
    if (m == NULL)
      continue;
    rc = apply(t, m, err);
    *records += m->err == 0;
    for (int i = 0; rc == 0 && i < parts->cnt; i++)
      if (ends[i] > 0 && m->rkt != NULL && m->partition == parts->elems[i].partition &&
          strcmp(rd_kafka_topic_name(m->rkt), parts->elems[i].topic) == 0 &&
          (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->offset + 1 >= ends[i])) {
        ends[i] = 0;   /* done */
        left--;
      }
    rd_kafka_message_destroy(m);
  }
  eddy_free(ends);
  return rc;
}

int eddy__global_start(eddy_stream_thread_t *t, eddy_error_t **err) {
  if (!eddy_exec_has_globals(t->exec))
    return 0;
  int64_t t0 = eddy_clock_monotonic_us();
  rd_kafka_topic_partition_list_t *parts = NULL;
  long long records = 0;
  int rc = eddy__thread_side_consumer(t, "global", &t->global_consumer, err);
  rc = rc == 0 ? assign_all(t, &parts, err) : rc;
  rc = rc == 0 ? read_to_end(t, parts, &records, err) : rc;
  rc = rc == 0 ? eddy_exec_global_commit(t->exec, err) : rc;
  if (rc == 0)
    eddy_log(&t->app->log, EDDY_LOG_INFO, "thread", "%s/%d: global tables ready: %lld record(s) "
             "from %d partition(s) in %.2f s", t->app->app_id, t->index, records, parts->cnt,
             (double)(eddy_clock_monotonic_us() - t0) / 1e6);
  if (parts != NULL)
    rd_kafka_topic_partition_list_destroy(parts);
  return rc;
}

int eddy__global_poll(eddy_stream_thread_t *t, eddy_error_t **err) {
  if (t->global_consumer == NULL)
    return 0;
  int rc = 0, applied = 0;
  for (int i = 0; rc == 0 && i < POLL_BATCH; i++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(t->global_consumer, 0);
    if (m == NULL)
      break;
    rc = apply(t, m, err);
    applied += m->err == 0;
    rd_kafka_message_destroy(m);
  }
  return rc == 0 && applied > 0 ? eddy_exec_global_commit(t->exec, err) : rc;
}
