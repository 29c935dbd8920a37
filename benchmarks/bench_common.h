/*
 * Shared benchmark helpers: clocks, peak RSS, the final `BENCH` line, a
 * Debezium order-event generator and the raw librdkafka passthrough
 * baseline every throughput benchmark compares itself with in the same run.
 */
#ifndef EDDY_BENCH_COMMON_H
#define EDDY_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/** Monotonic seconds. */
double bench_now(void);
/** Peak resident set size of this process in MiB (VmHWM). */
double bench_peak_rss_mb(void);
/** Current resident set size in MiB (VmRSS). */
double bench_rss_mb(void);
/** Abort with a message (benchmarks have no recovery). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/** Base64 of \p n bytes into \p out (room for 4 * ceil(n / 3) + 1). */
void bench_b64(const unsigned char *p, int n, char *out);

/**
 * Write a ~500-byte Debezium JSON (schemas off) order update event number
 * \p i into \p buf: before/after with order_id, user_id, total_amount
 * (precise decimal, base64), status, timestamps and filler columns.
 * @returns its length.
 */
int bench_order_event(uint64_t i, char *buf, size_t size);

/**
 * Transaction \p i at event time \p ts (µs), a Debezium create of
 * transactions(id, user_id, amount, merchant, location, created_at, status),
 * keyed {"user_id":u} (Debezium's message.key.columns, as topologies/README.md
 * advises: the fraud agents need each user's transactions in order), of
 * \p users users; amounts 5.00 to 200.00, 1 in 100 between 600 and 6,000; every 97th
 * transaction starts a burst of 8 by one user. Value into \p buf (@returns its
 * length), key into \p key (*klen).
 */
int bench_transaction_event(uint64_t i, int64_t ts, unsigned users, char *buf, size_t size,
                            char *key, size_t ksize, int *klen);

/** Produce \p n order events to \p topic as fast as possible (keyed by order). */
void bench_produce_orders(const char *bootstrap, const char *topic, uint64_t n);

/**
 * The raw baseline: one librdkafka consumer (group \p group) reads \p n
 * records of \p in_topic and one producer writes each unchanged to
 * \p out_topic. @returns records per second from the first record consumed
 * to the last output acknowledged.
 */
double bench_passthrough(const char *bootstrap, const char *in_topic, const char *out_topic,
                         const char *group, uint64_t n);

#endif
