/*
 * Typed values: what expressions compute, decoders produce and encoders
 * write. A value is a small struct copied by value; strings, bytes and
 * arrays point into memory owned by someone else (the consumed message or
 * the batch arena): whoever keeps a value beyond the batch copies it.
 *
 * Time is in microseconds everywhere: TIMESTAMP is µs since the Unix epoch
 * (UTC), DURATION is µs. Kafka's millisecond timestamps are scaled on entry.
 *
 * DECIMAL is exact: a 128-bit unscaled integer and a scale (digits after the
 * point), so DECIMAL(10,2) sums never round.
 */
#ifndef EDDY_VALUE_H
#define EDDY_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/alloc.h"
#include "eddy/error.h"

__extension__ typedef __int128 eddy_i128;

#define EDDY_USEC ((int64_t)1)
#define EDDY_MSEC ((int64_t)1000)
#define EDDY_SEC ((int64_t)1000000)
#define EDDY_MIN (60 * EDDY_SEC)
#define EDDY_HOUR (60 * EDDY_MIN)
#define EDDY_DAY (24 * EDDY_HOUR)

/** Largest decimal precision (digits) eddy computes with. */
#define EDDY_DECIMAL_MAX_PRECISION 38

typedef enum {
  EDDY_T_NULL = 0,   /* the type of the literal null; as a value kind: "is null" */
  EDDY_T_BOOL,
  EDDY_T_INT,        /* int64 */
  EDDY_T_DECIMAL,    /* exact, precision/scale */
  EDDY_T_DOUBLE,
  EDDY_T_STRING,     /* UTF-8, not NUL-terminated */
  EDDY_T_BYTES,
  EDDY_T_TIMESTAMP,  /* µs since epoch, UTC */
  EDDY_T_DURATION,   /* µs */
  EDDY_T_ARRAY,      /* elements of type elem */
  EDDY_T_STRUCT,     /* named fields */
  EDDY_T_ANY,        /* unknown until run time (e.g. json without a declared column) */
  EDDY_T__COUNT
} eddy_kind_t;

typedef struct eddy_type_s eddy_type_t;
typedef struct eddy_field_s eddy_field_t;

/** A struct type's or a row's fields, in order. Arena-owned (compile time). */
typedef struct eddy_fields_s {
  uint32_t cnt;
  const eddy_field_t *items;
} eddy_fields_t;

/** A type. Small; passed by value. Nested parts are arena-owned. */
struct eddy_type_s {
  uint8_t kind;               /* eddy_kind_t */
  uint8_t precision;          /* DECIMAL: total digits (1..38) */
  uint8_t scale;              /* DECIMAL: digits after the point */
  const eddy_type_t *elem;    /* ARRAY: element type */
  const eddy_fields_t *fields;/* STRUCT: fields */
};

struct eddy_field_s {
  const char *name;
  eddy_type_t type;
};

typedef struct eddy_value_s {
  uint8_t kind;     /* eddy_kind_t; EDDY_T_NULL means the value is null */
  uint8_t scale;    /* DECIMAL */
  uint32_t len;     /* STRING/BYTES: bytes; ARRAY: elements; STRUCT: fields */
  union {
    bool b;
    int64_t i;      /* INT, TIMESTAMP (µs), DURATION (µs) */
    double d;
    eddy_i128 dec;  /* DECIMAL unscaled value */
    const char *s;  /* STRING */
    const uint8_t *bytes;
    const struct eddy_value_s *items; /* ARRAY elements / STRUCT field values */
  } u;
} eddy_value_t;

/* ---- constructors ------------------------------------------------------ */

static inline eddy_value_t eddy_null(void) { eddy_value_t v = {0}; return v; }
static inline eddy_value_t eddy_bool(bool b) { eddy_value_t v = {.kind = EDDY_T_BOOL}; v.u.b = b; return v; }
static inline eddy_value_t eddy_int(int64_t i) { eddy_value_t v = {.kind = EDDY_T_INT}; v.u.i = i; return v; }
static inline eddy_value_t eddy_double(double d) { eddy_value_t v = {.kind = EDDY_T_DOUBLE}; v.u.d = d; return v; }
static inline eddy_value_t eddy_timestamp(int64_t us) { eddy_value_t v = {.kind = EDDY_T_TIMESTAMP}; v.u.i = us; return v; }
static inline eddy_value_t eddy_duration(int64_t us) { eddy_value_t v = {.kind = EDDY_T_DURATION}; v.u.i = us; return v; }
static inline eddy_value_t eddy_decimal(eddy_i128 unscaled, uint8_t scale) {
  eddy_value_t v = {.kind = EDDY_T_DECIMAL, .scale = scale}; v.u.dec = unscaled; return v;
}
/** A string value borrowing \p len bytes at \p s. */
static inline eddy_value_t eddy_string(const char *s, size_t len) {
  eddy_value_t v = {.kind = EDDY_T_STRING, .len = (uint32_t)len}; v.u.s = s; return v;
}
static inline eddy_value_t eddy_bytes(const uint8_t *p, size_t len) {
  eddy_value_t v = {.kind = EDDY_T_BYTES, .len = (uint32_t)len}; v.u.bytes = p; return v;
}
static inline bool eddy_is_null(const eddy_value_t *v) { return v->kind == EDDY_T_NULL; }

/* ---- types ------------------------------------------------------------- */

static inline eddy_type_t eddy_type(eddy_kind_t kind) { eddy_type_t t = {.kind = (uint8_t)kind}; return t; }
static inline eddy_type_t eddy_type_decimal(uint8_t precision, uint8_t scale) {
  eddy_type_t t = {.kind = EDDY_T_DECIMAL, .precision = precision, .scale = scale}; return t;
}
/** @returns "int", "decimal", "string", ... (static). */
const char *eddy_kind_name(eddy_kind_t kind);
/** Write a type as the DSL spells it ("decimal(10,2)", "array<string>") into \p buf. */
void eddy_type_format(const eddy_type_t *t, char *buf, size_t size);
/** @returns true when both types are the same (deep). */
bool eddy_type_equal(const eddy_type_t *a, const eddy_type_t *b);
/** @returns the index of field \p name in \p f (exact match) or -1. */
int eddy_fields_find(const eddy_fields_t *f, const char *name);

/* ---- comparison, hashing, formatting ----------------------------------- */

/**
 * Total order used by comparisons, min/max, sorting and grouping: null
 * first; numbers (int, decimal, double) compare by numeric value across
 * kinds; strings and bytes bytewise; other kinds by kind then value.
 * @returns <0, 0 or >0.
 */
int eddy_value_cmp(const eddy_value_t *a, const eddy_value_t *b);
/** @returns true when equal under eddy_value_cmp (decimal 1.50 == 1.5 == int 1? no: 1.5 != 1). */
bool eddy_value_eq(const eddy_value_t *a, const eddy_value_t *b);
/** A 64-bit hash consistent with eddy_value_eq (1.50 and 1.5 hash alike). */
uint64_t eddy_value_hash(const eddy_value_t *v, uint64_t seed);
/** Append a human/JSON-ish rendering (strings unquoted) to \p out. */
int eddy_value_format(const eddy_value_t *v, eddy_buf_t *out);
/** Deep-copy \p v's referenced bytes/elements into \p arena. */
int eddy_value_copy(eddy_value_t *dst, const eddy_value_t *src, eddy_arena_t *arena);

/* ---- decimals ---------------------------------------------------------- */

/** Rescale \p v to \p scale (rounding half away from zero when reducing). EDDY_EOVERFLOW past 38 digits. */
int eddy_decimal_rescale(eddy_i128 v, uint8_t from, uint8_t to, eddy_i128 *out);
/** Parse "-123.4500" into unscaled + scale. @returns 0, EDDY_EINVAL or EDDY_EOVERFLOW. */
int eddy_decimal_parse(const char *s, size_t len, eddy_i128 *unscaled, uint8_t *scale);
/** Format into \p buf (at least 42 bytes), e.g. "-0.05". @returns length. */
int eddy_decimal_format(eddy_i128 unscaled, uint8_t scale, char *buf, size_t size);
/** @returns the decimal as a double (rounded). */
double eddy_decimal_to_double(eddy_i128 unscaled, uint8_t scale);

/* ---- time -------------------------------------------------------------- */

/** Parse ISO-8601 "2024-01-02T03:04:05.123456Z" / "+01:00" / space separator / date only. */
int eddy_timestamp_parse(const char *s, size_t len, int64_t *us);
/** Format µs as "2024-01-02T03:04:05.123456Z" (fraction trimmed to ms or µs as needed). */
int eddy_timestamp_format(int64_t us, char *buf, size_t size);

#endif
