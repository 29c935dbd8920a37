/*
 * The harness of the benchmarks that run eddy applications: the embedded
 * broker in a child process (with every topic, internal ones included,
 * made up front: it has no CreateTopics), the applications in another, so
 * that the engine's peak RSS is its own.
 */
#ifndef EDDY_BENCH_ENGINE_H
#define EDDY_BENCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
  const char *name;                 /* for messages and the state directory */
  const char *const *topologies;    /* topology texts, one application each; NULL-ended */
  const char *const *topics;        /* external topics to create; NULL-ended */
  int partitions;                   /* of every topic */
  int budget_mb;                    /* state.memory.bytes */
  bool eos;                         /* processing.guarantee=exactly_once_v2 */
  const char *settings;             /* more settings, "key=value;key=value", or NULL */
  uint64_t records_in;              /* done when the applications consumed this many */
} bench_engine_conf_t;

typedef struct {
  double rate;         /* input events per second, first consumed to last commit */
  double peak_mb;      /* the engine process's peak RSS */
  double budget_mb;    /* its state.memory.bytes */
} bench_engine_result_t;

/** Event \p i: value into buf (@returns its length), key into key (*klen). */
typedef int (*bench_event_fn)(uint64_t i, char *buf, size_t size, char *key, size_t ksize,
                              int *klen);

/** Start the broker process; its bootstrap servers go to \p bootstrap. */
pid_t bench_engine_broker(const bench_engine_conf_t *c, char *bootstrap, size_t size);
void bench_engine_broker_stop(pid_t broker);

/**
 * Run the applications in a child process until they consumed
 * c->records_in records and committed, for \p n input events.
 * EDDY_BENCH_SET="key=value;..." adds settings after c->settings.
 */
void bench_engine_measure(const bench_engine_conf_t *c, const char *bootstrap, uint64_t n,
                          bench_engine_result_t *out);

/**
 * The whole throughput run: the broker, \p n events of \p event produced
 * to \p input, the raw passthrough baseline over them, then the
 * applications (bench_engine_measure), reporting per-thread CPU on stderr.
 * @returns the baseline's events per second.
 */
double bench_engine_compare(const bench_engine_conf_t *c, const char *input, uint64_t n,
                            bench_event_fn event, bench_engine_result_t *out);
/** The last two lines: BENCH <name>_rss ... and BENCH <name> events_per_s=... ratio=... */
void bench_engine_report(const char *name, const bench_engine_result_t *r, double baseline);

/** Run the applications in a child process until bench_engine_kill(). */
pid_t bench_engine_spawn(const bench_engine_conf_t *c, const char *bootstrap);
/** SIGTERM: the applications stop after their batch, commit, and the process exits. */
void bench_engine_kill(pid_t engine);

/** Print CPU seconds per thread of process \p pid to stderr. */
void bench_thread_cpu(const char *what, int pid, double wall);

/**
 * Produce \p n events to \p topic in batches of equal size: the embedded
 * broker returns one produced batch per partition per fetch, so partitions
 * written in batches of different sizes would be read at different speeds
 * of event time, and that skew (not the engine) would decide how many
 * records arrive late.
 */
void bench_produce_batched(const char *bootstrap, const char *topic, uint64_t n,
                           bench_event_fn event);

/** The text of topologies/<name> of the source tree (EDDY_SOURCE_DIR); free() it. */
char *bench_topology_file(const char *name);

/** bench_event_fn of bench_order_event, keyed {"order_id":i}. */
int bench_order_record(uint64_t i, char *buf, size_t size, char *key, size_t ksize, int *klen);

#endif
