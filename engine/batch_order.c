/*
 * The order in which a stream thread processes one consumed batch when its
 * topology joins: records of one partition stay in offset order, and among
 * the partitions the record with the smallest timestamp goes first, as
 * Kafka Streams' partition group does. So a stream record is processed
 * after the table updates with earlier timestamps that the batch holds,
 * whatever order the fetches came back in. Consumer events (errors) go
 * first. The timestamp is the Kafka record's (for eddy's repartition topics
 * it is the event time).
 */
#include <string.h>

#include "engine/app_int.h"

typedef struct {
  const void *topic;            /* rd_kafka_topic_t handle */
  int32_t partition;
  size_t head;                  /* its next message in the batch (SIZE_MAX: none left) */
  size_t last;                  /* its last message seen while grouping */
} group_t;

bool eddy__plan_has_joins(const eddy_plan_t *plan) {
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_JOIN)
      return true;
  return false;
}

static int64_t timestamp(const rd_kafka_message_t *m) {
  return m->err ? INT64_MIN : rd_kafka_message_timestamp(m, NULL);
}

/* Index of the group of \p m (added when new; \p groups has room for every message). */
static size_t group_of(group_t *groups, size_t *cnt, const rd_kafka_message_t *m) {
  for (size_t g = 0; g < *cnt; g++)
    if (groups[g].topic == (const void *)m->rkt && groups[g].partition == m->partition)
      return g;
  groups[*cnt] = (group_t){.topic = m->rkt, .partition = m->partition, .head = SIZE_MAX,
                           .last = SIZE_MAX};
  return (*cnt)++;
}

int eddy__batch_order(rd_kafka_message_t **msgs, size_t n) {
  if (n < 2)
    return 0;
  group_t *groups = eddy_malloc(n * sizeof(*groups));
  size_t *next = eddy_malloc(n * sizeof(size_t));      /* next message of the same group */
  rd_kafka_message_t **out = eddy_malloc(n * sizeof(*out));
  if (groups == NULL || next == NULL || out == NULL) {
    eddy_free(groups), eddy_free(next), eddy_free(out);
    return EDDY_ENOMEM;
  }
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++) {
    group_t *g = &groups[group_of(groups, &cnt, msgs[i])];
    next[i] = SIZE_MAX;
    if (g->head == SIZE_MAX)
      g->head = i;
    else
      next[g->last] = i;
    g->last = i;
  }
  for (size_t k = 0; k < n; k++) {
    size_t best = SIZE_MAX;
    for (size_t g = 0; g < cnt; g++)
      if (groups[g].head != SIZE_MAX &&
          (best == SIZE_MAX || timestamp(msgs[groups[g].head]) < timestamp(msgs[groups[best].head])))
        best = g;
    size_t i = groups[best].head;
    out[k] = msgs[i];
    groups[best].head = next[i];
  }
  memcpy(msgs, out, n * sizeof(*out));
  eddy_free(groups), eddy_free(next), eddy_free(out);
  return 0;
}
