/*
 * Internal topics, made before the stream threads start:
 *
 *   <app>-<node>-repartition   one per group by, as many partitions as the
 *                              grouped sub-topology's sources have (the
 *                              most of any of its topics)
 *   <app>-<store>-changelog    one per store, as many partitions as the
 *                              store's sub-topology has tasks; compacted
 *                              (window stores: compact,delete, retention =
 *                              window size + grace + 1 day)
 *
 * On a real cluster they are created through the admin API; the embedded
 * broker has none, so `eddy run --embedded` and the tests hand the app a
 * creator callback. An existing topic is fine when its partition count is
 * the one needed, and an error otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/app_int.h"
#include "engine/util.h"

#define METADATA_TIMEOUT_MS 10000
#define SOURCE_WAIT_MS 30000
#define RETENTION_MARGIN_MS (24LL * 3600 * 1000)

static int partition_count(rd_kafka_t *rk, const char *topic, int *cnt, eddy_error_t **err) {
  return eddy_topic_partitions(rk, topic, METADATA_TIMEOUT_MS, cnt, err);
}

/* A source topic must exist to size the internal topics: wait a while for it. */
static int source_partitions(eddy_app_t *app, rd_kafka_t *rk, const char *topic, int *cnt,
                             eddy_error_t **err) {
  int64_t deadline = eddy_clock_monotonic_us() + SOURCE_WAIT_MS * EDDY_MSEC;
  for (;;) {
    int rc = partition_count(rk, topic, cnt, err);
    if (rc != 0 || *cnt > 0)
      return rc;
    if (eddy_clock_monotonic_us() > deadline || atomic_load(&app->stop))
      return eddy_error_set(err, EDDY_ECONFIG, "source topic '%s' does not exist; it is needed "
                            "to size the internal topics of '%s' (create it first)", topic,
                            app->app_id);
    usleep(200 * 1000);
  }
}

static int admin_create(rd_kafka_t *rk, const char *topic, int partitions, eddy_error_t **err) {
  char errstr[256];
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, errstr, sizeof(errstr));
  if (nt == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "topic %s: %s", topic, errstr);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(ao, METADATA_TIMEOUT_MS, NULL, 0);
  rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, METADATA_TIMEOUT_MS + 1000);
  rd_kafka_resp_err_t e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && res != NULL) {
    size_t cnt;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
    if (cnt == 1)
      e = rd_kafka_topic_result_error(tr[0]);
  }
  int rc = e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0
           : e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS
               ? EDDY_EEXIST
               : eddy_kafka_error(err, e, "creating an internal topic");
  if (ev != NULL)
    rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(ao);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return rc;
}

static int ensure_repartition(eddy_app_t *app, rd_kafka_t *rk, const char *topic, int partitions,
                              eddy_error_t **err) {
  eddy_error_t *cerr = NULL;
  int have = 0;
  /* A topic made beforehand (by an operator, or on a cluster without CreateTopics) is used
   * as it is, once its partition count is right. */
  int rc = partition_count(rk, topic, &have, err);
  if (rc == 0 && have > 0)
    rc = EDDY_EEXIST;
  else if (rc == 0)
    rc = app->create_topic != NULL
             ? app->create_topic(app->create_opaque, topic, partitions, &cerr)
             : admin_create(rk, topic, partitions, &cerr);
  if (rc != 0 && rc != EDDY_EEXIST) {
    eddy_error_set(err, rc, "%s", cerr ? eddy_error_msg(cerr) : eddy_strerror(rc));
    eddy_error_destroy(cerr);
    return rc;
  }
  eddy_error_destroy(cerr);
  rc = rc == EDDY_EEXIST && have == 0 ? partition_count(rk, topic, &have, err) : 0;
  if (rc == 0 && have != 0 && have != partitions)
    return eddy_error_set(err, EDDY_ECONFIG, "internal topic %s has %d partitions, the "
                          "application needs %d", topic, have, partitions);
  return rc;
}

static bool has_join(const eddy_plan_t *plan, uint32_t s) {
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_JOIN && plan->nodes[i]->subtopology == s)
      return true;
  return false;
}

/* A join's subtopology reads partition p of every topic in task p: they must agree. */
static int copartition(eddy_app_t *app, rd_kafka_t *rk, uint32_t s, eddy_error_t **err) {
  const eddy_plan_t *plan = app->plan;
  const eddy_plan_node_t *join = NULL;
  for (uint32_t i = 0; i < plan->node_cnt && join == NULL; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_JOIN && plan->nodes[i]->subtopology == s)
      join = plan->nodes[i];
  const eddy_subtopology_t *sub = &plan->subtopologies[s];
  const char *first = NULL;
  int first_cnt = 0;
  for (uint32_t i = 0; join != NULL && i < sub->source_cnt; i++) {
    const eddy_plan_source_t *src = &plan->sources[sub->sources[i]];
    for (uint32_t t = 0; !src->internal && t < src->topic_cnt; t++) {
      int n = 0;
      int rc = source_partitions(app, rk, src->topics[t], &n, err);
      if (rc != 0)
        return rc;
      if (first != NULL && n != first_cnt)
        return eddy_error_set(err, EDDY_ECONFIG, "%s joins co-partitioned topics with different "
                              "partition counts: '%s' has %d, '%s' has %d (give them the same "
                              "count)", join->name, first, first_cnt, src->topics[t], n);
      first = first != NULL ? first : src->topics[t];
      first_cnt = first_cnt != 0 ? first_cnt : n;
    }
  }
  return 0;
}

/*
 * Partitions per subtopology (memoised in parts[], 0: not yet known): the
 * most of its topics, where a repartition topic has as many as its reading
 * subtopology needs -- so the repartition topics feeding one join and the
 * source topics read with them all get the same count (co-partitioning).
 */
static int size_subtopology(eddy_app_t *app, rd_kafka_t *rk, uint32_t s, int *parts,
                            int depth, eddy_error_t **err) {
  const eddy_plan_t *plan = app->plan;
  const eddy_subtopology_t *sub = &plan->subtopologies[s];
  if (parts[s] != 0)
    return 0;
  if (depth > (int)plan->subtopology_cnt)
    return eddy_error_set(err, EDDY_ESTATE, "sub-topology %u reads its own output", s);
  int most = 0, external = 0;
  for (uint32_t i = 0; i < sub->source_cnt; i++) {
    const eddy_plan_source_t *src = &plan->sources[sub->sources[i]];
    for (uint32_t t = 0; t < src->topic_cnt; t++) {
      int n = 0;
      int rc = src->internal
                   ? size_subtopology(app, rk, src->repartition->subtopology, parts, depth + 1, err)
                   : source_partitions(app, rk, src->topics[t], &n, err);
      if (rc != 0)
        return rc;
      n = src->internal ? parts[src->repartition->subtopology] : n;
      most = n > most ? n : most;
      external = !src->internal && n > external ? n : external;
    }
  }
  /* a join reading a source topic directly: the repartition topics must match it */
  parts[s] = has_join(plan, s) && external > 0 ? external : most;
  return copartition(app, rk, s, err);
}

/* Every repartition topic, with as many partitions as its reader needs. */
static int ensure_repartitions(eddy_app_t *app, rd_kafka_t *rk, int *parts, eddy_error_t **err) {
  const eddy_plan_t *plan = app->plan;
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind != EDDY_NODE_REPARTITION)
      continue;
    const eddy_plan_source_t *in = &plan->sources[n->u.repartition.source];
    int rc = size_subtopology(app, rk, in->subtopology, parts, 0, err);
    char topic[512];
    eddy_plan_internal_topic(topic, sizeof(topic), app->app_id, in->name);
    rc = rc == 0 ? ensure_repartition(app, rk, topic, parts[in->subtopology], err) : rc;
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int ensure_changelogs(eddy_app_t *app, rd_kafka_t *rk, const int *parts,
                             eddy_error_t **err) {
  for (uint32_t i = 0; i < app->plan->store_cnt; i++) {
    const eddy_plan_store_t *ps = &app->plan->stores[i];
    char topic[512];
    if (ps->source_topic != NULL)
      continue;   /* a table restored from its source topic */
    if (eddy_changelog_topic_name(topic, sizeof(topic), app->app_id, ps->name) != 0)
      return eddy_error_set(err, EDDY_ERANGE, "%s: changelog topic name too long", ps->name);
    eddy_changelog_topic_t spec = {
        .topic = topic, .partition_cnt = parts[ps->subtopology], .replication_factor = -1,
        .retention_ms = ps->kind == EDDY_PLAN_STORE_WINDOW
                            ? ps->retention / EDDY_MSEC + RETENTION_MARGIN_MS : -1};
    int rc = eddy_changelog_topic_ensure(rk, &spec, app->create_topic, app->create_opaque,
                                         METADATA_TIMEOUT_MS, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/*
 * `eddy run --bootstrap` against a separate embedded broker: it has no
 * CreateTopics (the request would time out), so internal topics must have
 * been made up front (`eddy broker --topic NAME:PARTITIONS`); the callback
 * only finds them.
 */
static int find_on_embedded(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  (void)partitions;
  int have = 0;
  int rc = partition_count(opaque, topic, &have, err);
  if (rc == 0 && have == 0)
    rc = eddy_error_set(err, EDDY_ECONFIG, "internal topic %s does not exist and the embedded "
                        "broker cannot create topics: start it with --topic %s:%d", topic,
                        topic, partitions);
  return rc == 0 ? EDDY_EEXIST : rc;
}

int eddy__app_topics(eddy_app_t *app, eddy_error_t **err) {
  const eddy_plan_t *plan = app->plan;
  if (plan->store_cnt == 0 && plan->subtopology_cnt <= 1)
    return 0;
  rd_kafka_t *rk = app->threads[0].producer;
  if (app->create_topic == NULL && eddy_kafka_embedded(rk, METADATA_TIMEOUT_MS)) {
    app->create_topic = find_on_embedded;
    app->create_opaque = rk;
  }
  int *parts = eddy_calloc(plan->subtopology_cnt + 1, sizeof(int));
  int rc = parts != NULL ? ensure_repartitions(app, rk, parts, err) : EDDY_ENOMEM;
  for (uint32_t s = 0; rc == 0 && s < plan->subtopology_cnt; s++)
    if (eddy_plan_subtopology_stateful(plan, s))
      rc = size_subtopology(app, rk, s, parts, 0, err);
  if (rc == 0)
    rc = ensure_changelogs(app, rk, parts, err);
  eddy_free(parts);
  return rc;
}
