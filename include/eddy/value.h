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

/* ---- additions: decimal arithmetic, exact helpers ---------------------- */

/*
 * Decimal arithmetic on (unscaled, scale) pairs. Every result is checked
 * against 38 digits: |unscaled| >= 10^38 is EDDY_EOVERFLOW, never a wrap.
 * Scales are 0..38. Rounding is half away from zero.
 */

/** @returns 10^n for n <= 38 (0 otherwise). */
eddy_i128 eddy_decimal_pow10(unsigned n);
/** @returns the number of decimal digits of |v| (1 for 0). */
int eddy_decimal_digits(eddy_i128 v);
/** @returns true when |v| has at most \p precision digits. */
bool eddy_decimal_fits(eddy_i128 v, unsigned precision);
/** a + b at scale max(sa, sb) into *out / *scale. */
int eddy_decimal_add(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale);
/** a - b at scale max(sa, sb). */
int eddy_decimal_sub(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale);
/** a * b, exact then rounded to \p scale (256-bit intermediate: no spurious overflow). */
int eddy_decimal_mul(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, uint8_t scale,
                     eddy_i128 *out);
/** a / b rounded to \p scale. EDDY_EDIVZERO when b is 0. */
int eddy_decimal_div(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, uint8_t scale,
                     eddy_i128 *out);
/** a % b (sign of a, like C and SQL) at scale max(sa, sb). EDDY_EDIVZERO when b is 0. */
int eddy_decimal_mod(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale);
/** Exact numeric comparison of a/10^sa and b/10^sb (any i128, scales <= 38). */
int eddy_decimal_cmp(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb);
/** Exact numeric comparison of a/10^sa with the double \p d (NaN sorts above all numbers). */
int eddy_decimal_cmp_double(eddy_i128 a, uint8_t sa, double d);
/**
 * Convert \p d to a decimal at \p scale. Like PostgreSQL, d is first read
 * at 15 significant digits (so 0.1 is 0.1, 2.675 is 2.675), then rounded
 * half away from zero. EDDY_EINVAL for NaN/infinity, EDDY_EOVERFLOW past 38 digits.
 */
int eddy_decimal_from_double(double d, uint8_t scale, eddy_i128 *out);
/**
 * The exact value of \p d as a normalized decimal (no trailing zeros in
 * the fraction) when one with scale <= 38 exists. @returns false otherwise.
 */
bool eddy_decimal_from_double_exact(double d, eddy_i128 *out, uint8_t *scale);
/** Round to an integer (half away from zero). EDDY_EOVERFLOW outside int64. */
int eddy_decimal_to_int(eddy_i128 v, uint8_t scale, int64_t *out);

/* ---- additions: values -------------------------------------------------- */

/** Like eddy_value_format(), with struct field names taken from \p type (may be NULL). */
int eddy_value_format_typed(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out);

/* ---- additions: calendar and durations --------------------------------- */

/** Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d 1..31). */
int64_t eddy_days_from_civil(int64_t y, unsigned m, unsigned d);
/** The date of day \p days since 1970-01-01. */
void eddy_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/**
 * Truncate \p us to \p unit: microsecond, millisecond, second, minute, hour,
 * day, week (ISO: Monday), month, quarter, year (case-insensitive, plural
 * accepted). @returns 0 or EDDY_EINVAL for an unknown unit.
 */
int eddy_timestamp_trunc(int64_t us, const char *unit, size_t unit_len, int64_t *out);
/**
 * A calendar field of \p us: year, quarter, month, week (ISO week number),
 * day, doy, dow (0 = Sunday), isodow (1 = Monday), hour, minute, second,
 * millisecond (0..999), microsecond (0..999999), epoch (seconds).
 * @returns 0 or EDDY_EINVAL for an unknown unit.
 */
int eddy_timestamp_part(int64_t us, const char *unit, size_t unit_len, int64_t *out);
/** @returns true when \p unit names a unit eddy_timestamp_trunc()/_part() accepts. */
bool eddy_timestamp_unit_valid(const char *unit, size_t unit_len, bool for_trunc);
/**
 * Parse a duration: one or more <int><unit> groups, units us, ms, s, m, h, d
 * ("1h30m", "250ms", "-5s"). @returns 0, EDDY_EINVAL or EDDY_EOVERFLOW.
 */
int eddy_duration_parse(const char *s, size_t len, int64_t *us);
/** Format a duration the way eddy_duration_parse() reads it ("1h30m", "0s"). @returns length. */
int eddy_duration_format(int64_t us, char *buf, size_t size);

#endif
