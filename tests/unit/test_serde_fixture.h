/*
 * Shared helpers of the serde tests: a decoder over a hand-written layout,
 * messages copied into exactly-sized heap buffers (so that AddressSanitizer
 * catches any read past the end), and value assertions.
 */
#ifndef EDDY_TEST_SERDE_FIXTURE_H
#define EDDY_TEST_SERDE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy_test.h"
#include "serde/serde.h"

#define FX_MAX_FIELDS 64

typedef struct {
  eddy_fields_t layout;
  eddy_decode_spec_t spec;
  eddy_decoder_t *dec;
  eddy_arena_t *arena;
  eddy_value_t vals[FX_MAX_FIELDS];
  eddy_error_t *err;
  char *copy;   /* the last message, malloc'ed to its exact size */
  size_t copy_len;
  int rc;
} fx_t;

static inline void fx_open_spec(fx_t *fx, eddy_format_t fmt, eddy_decimal_mode_t mode,
                                const eddy_field_t *fields, uint32_t cnt,
                                const char *const *const *paths, const uint8_t *wanted) {
  memset(fx, 0, sizeof(*fx));
  ASSERT_TRUE(cnt <= FX_MAX_FIELDS);
  fx->layout.cnt = cnt;
  fx->layout.items = fields;
  fx->spec.format = fmt;
  fx->spec.decimal_mode = mode;
  fx->spec.layout = &fx->layout;
  fx->spec.paths = paths;
  fx->spec.wanted = wanted;
  ASSERT_OK(eddy_decoder_new(&fx->dec, &fx->spec, &fx->err));
  fx->arena = eddy_arena_new(4096);
}

static inline void fx_open(fx_t *fx, eddy_format_t fmt, const eddy_field_t *fields,
                           uint32_t cnt) {
  fx_open_spec(fx, fmt, EDDY_DECIMAL_PRECISE, fields, cnt, NULL, NULL);
}

/* Decode \p len bytes at \p p (NULL: a null Kafka value). */
static inline int fx_decode_n(fx_t *fx, const void *p, size_t len) {
  eddy_error_destroy(fx->err);
  fx->err = NULL;
  free(fx->copy);
  fx->copy = NULL;
  eddy_arena_reset(fx->arena);
  fx->copy_len = len;
  if (p != NULL) {
    fx->copy = malloc(len ? len : 1);
    memcpy(fx->copy, p, len);
  }
  fx->rc = eddy_decoder_decode(fx->dec, fx->copy, len, fx->vals, fx->arena, &fx->err);
  /* The contract: an error always comes with a message, success never does. */
  if (fx->rc == EDDY_EDECODE)
    ASSERT_TRUE(fx->err != NULL && fx->err->msg[0] != '\0');
  else
    ASSERT_TRUE(fx->err == NULL);
  return fx->rc;
}

static inline int fx_decode(fx_t *fx, const char *json) {
  return fx_decode_n(fx, json, strlen(json));
}

static inline void fx_close(fx_t *fx) {
  eddy_error_destroy(fx->err);
  eddy_decoder_destroy(fx->dec);
  eddy_arena_destroy(fx->arena);
  free(fx->copy);
  memset(fx, 0, sizeof(*fx));
}

/* Read a whole file (test vectors under tests/data); caller frees. */
static inline char *fx_read_file(const char *rel, size_t *len) {
  const char *src = getenv("EDDY_SOURCE_DIR");
  char path[4096];
  if (src != NULL) {
    snprintf(path, sizeof(path), "%s/tests/data/%s", src, rel);
  } else { /* run by hand: this header sits in tests/unit/ */
    const char *slash = strrchr(__FILE__, '/');
    int n = slash ? (int)(slash - __FILE__) : 0;
    snprintf(path, sizeof(path), "%.*s/../data/%s", n, __FILE__, rel);
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    eddy_test_fail(__FILE__, __LINE__, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)size + 1);
  if (fread(buf, 1, (size_t)size, f) != (size_t)size)
    eddy_test_fail(__FILE__, __LINE__, "short read on %s", path);
  fclose(f);
  buf[size] = '\0';
  *len = (size_t)size;
  return buf;
}

#define ASSERT_DECODE_OK(fx, json)                                                     \
  do {                                                                                 \
    int rc_ = fx_decode((fx), (json));                                                 \
    if (rc_ != 0)                                                                      \
      eddy_test_fail(__FILE__, __LINE__, "decode failed (%d): %s", rc_,                \
                     eddy_error_msg((fx)->err));                                       \
  } while (0)

#define ASSERT_DECODE_ERR(fx, json, message)                                           \
  do {                                                                                 \
    ASSERT_EQ(EDDY_EDECODE, fx_decode((fx), (json)));                                  \
    ASSERT_STR_EQ((message), (fx)->err->msg);                                          \
  } while (0)

#define ASSERT_NULLV(v) ASSERT_EQ(EDDY_T_NULL, (v).kind)

#define ASSERT_INTV(expected, v)                                                       \
  do {                                                                                 \
    ASSERT_EQ(EDDY_T_INT, (v).kind);                                                   \
    ASSERT_EQ((expected), (v).u.i);                                                    \
  } while (0)

#define ASSERT_TSV(expected, v)                                                        \
  do {                                                                                 \
    ASSERT_EQ(EDDY_T_TIMESTAMP, (v).kind);                                             \
    ASSERT_EQ((expected), (v).u.i);                                                    \
  } while (0)

/* Decimals compared as (unscaled, scale); unscaled must fit int64 here. */
#define ASSERT_DECV(unscaled, scale_, v)                                               \
  do {                                                                                 \
    ASSERT_EQ(EDDY_T_DECIMAL, (v).kind);                                               \
    ASSERT_EQ((scale_), (v).scale);                                                    \
    ASSERT_TRUE((v).u.dec == (eddy_i128)(unscaled));                                   \
  } while (0)

#define ASSERT_STRV(expected, v)                                                       \
  do {                                                                                 \
    ASSERT_EQ(EDDY_T_STRING, (v).kind);                                                \
    ASSERT_MEM_EQ((expected), (v).u.s, (v).len);                                       \
  } while (0)

/* Types, spelled briefly in layouts. */
#define T_INT {.kind = EDDY_T_INT}
#define T_STR {.kind = EDDY_T_STRING}
#define T_BOOL {.kind = EDDY_T_BOOL}
#define T_DBL {.kind = EDDY_T_DOUBLE}
#define T_BYTES {.kind = EDDY_T_BYTES}
#define T_ANY {.kind = EDDY_T_ANY}
#define T_DEC(p, s) {.kind = EDDY_T_DECIMAL, .precision = (p), .scale = (s)}
#define T_TS {.kind = EDDY_T_TIMESTAMP}
#define T_TS_MS {.kind = EDDY_T_TIMESTAMP, .scale = 3}
#define T_TS_NS {.kind = EDDY_T_TIMESTAMP, .scale = 9}
#define T_DATE {.kind = EDDY_T_TIMESTAMP, .precision = 1}
#define T_DUR {.kind = EDDY_T_DURATION}

#endif
