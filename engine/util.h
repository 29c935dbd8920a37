/* Small shared helpers: did-you-mean suggestions, clocks, saturating time arithmetic,
 * listen addresses. */
#ifndef EDDY_ENGINE_UTIL_H
#define EDDY_ENGINE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** Levenshtein distance between two strings (bytes). */
size_t eddy_edit_distance(const char *a, const char *b);
/**
 * The candidate closest to \p name when it is close enough to be a likely
 * typo (distance <= max(1, len/3)); NULL otherwise.
 */
const char *eddy_suggest(const char *name, const char *const *candidates, size_t cnt);

/** Monotonic clock in µs. */
int64_t eddy_clock_monotonic_us(void);
/** Wall clock in µs since the epoch. */
int64_t eddy_clock_wall_us(void);

/** a + b, saturated at the int64 bounds (window and time arithmetic). */
static inline int64_t eddy_sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

/**
 * Split a listen address "host:port", "[v6]:port", ":port" or
 * "localhost:port" (the last two mean 127.0.0.1) into \p host (capacity
 * \p cap) and \p port (0..65535). @returns 0, or -1 if it is malformed.
 */
int eddy_parse_listen(const char *arg, char *host, size_t cap, int *port);

#endif
