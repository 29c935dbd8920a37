/*
 * A small test runner. Define tests with EDDY_TEST(name); each runs in its own
 * process (fork), so a crash fails one test, not the file. Run a subset by
 * naming tests on the command line. Assertions print both values.
 *
 *   EDDY_TEST(decimal_add_exact) {
 *     ASSERT_EQ(3, 1 + 2);
 *     EDDY_ASSERT_NO_LEAKS();
 *   }
 */
#ifndef EDDY_TEST_H
#define EDDY_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/alloc.h"

typedef void (*eddy_test_fn)(void);
void eddy_test_register(const char *name, eddy_test_fn fn, const char *file);

#define EDDY_TEST(name)                                                      \
  static void eddy_test_##name(void);                                        \
  __attribute__((constructor)) static void eddy_test_reg_##name(void) {     \
    eddy_test_register(#name, eddy_test_##name, __FILE__);                   \
  }                                                                          \
  static void eddy_test_##name(void)

void eddy_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define ASSERT_TRUE(c)                                                       \
  do {                                                                       \
    if (!(c))                                                                \
      eddy_test_fail(__FILE__, __LINE__, "expected true: %s", #c);           \
  } while (0)

#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))

#define ASSERT_EQ(expected, actual)                                          \
  do {                                                                       \
    int64_t e_ = (int64_t)(expected), a_ = (int64_t)(actual);                \
    if (e_ != a_)                                                            \
      eddy_test_fail(__FILE__, __LINE__, "%s == %s: expected %" PRId64       \
                     ", got %" PRId64, #expected, #actual, e_, a_);          \
  } while (0)

#define ASSERT_NE(unexpected, actual)                                        \
  do {                                                                       \
    int64_t e_ = (int64_t)(unexpected), a_ = (int64_t)(actual);              \
    if (e_ == a_)                                                            \
      eddy_test_fail(__FILE__, __LINE__, "%s != %s: both are %" PRId64,      \
                     #unexpected, #actual, a_);                              \
  } while (0)

#define ASSERT_OK(rc)                                                        \
  do {                                                                       \
    int64_t r_ = (int64_t)(rc);                                              \
    if (r_ != 0)                                                             \
      eddy_test_fail(__FILE__, __LINE__, "%s: expected 0, got %" PRId64,     \
                     #rc, r_);                                               \
  } while (0)

#define ASSERT_DBL_EQ(expected, actual, eps)                                 \
  do {                                                                       \
    double e_ = (expected), a_ = (actual);                                   \
    if (!(e_ - a_ <= (eps) && a_ - e_ <= (eps)))                             \
      eddy_test_fail(__FILE__, __LINE__, "%s ~= %s: expected %.17g, got %.17g", \
                     #expected, #actual, e_, a_);                            \
  } while (0)

#define ASSERT_STR_EQ(expected, actual)                                      \
  do {                                                                       \
    const char *e_ = (expected), *a_ = (actual);                             \
    if (e_ == NULL || a_ == NULL || strcmp(e_, a_) != 0)                     \
      eddy_test_fail(__FILE__, __LINE__, "%s == %s:\n  expected \"%s\"\n  got      \"%s\"", \
                     #expected, #actual, e_ ? e_ : "(null)", a_ ? a_ : "(null)"); \
  } while (0)

/** Compare \p len bytes at \p actual with the string \p expected. */
#define ASSERT_MEM_EQ(expected, actual, len)                                 \
  do {                                                                       \
    const char *e_ = (expected);                                             \
    size_t l_ = (len);                                                       \
    if (strlen(e_) != l_ || memcmp(e_, (actual), l_) != 0)                   \
      eddy_test_fail(__FILE__, __LINE__, "%s: expected \"%s\", got \"%.*s\"", \
                     #actual, e_, (int)l_, (const char *)(actual));          \
  } while (0)

/** Every eddy_malloc must have been freed by the end of a test. */
#define EDDY_ASSERT_NO_LEAKS()                                               \
  do {                                                                       \
    long l_ = eddy_alloc_live();                                             \
    if (l_ != 0)                                                             \
      eddy_test_fail(__FILE__, __LINE__, "%ld eddy allocations leaked", l_); \
  } while (0)

/** A timeout in ms scaled by EDDY_TEST_TIMEOUT_SCALE (slow machines, sanitizers). */
int eddy_test_tmout(int ms);

/** A free TCP port on 127.0.0.1 (bound then released). */
int eddy_test_free_port(void);

/** Directory for this test's files, created fresh under $TMPDIR. Caller frees. */
char *eddy_test_tmpdir(const char *tag);

/** Remove \p path and everything below it (no error when it does not exist). */
void eddy_test_rmtree(const char *path);

#endif
