/*
 * Decoder internals shared by serde/decode*.c.
 *
 * A decoder holds a trie of the wanted paths: one node per path component,
 * children linked as siblings. Decoding walks the document and the trie
 * together; members without a node are skipped. A node may carry a field
 * (the value at that path goes into vals[field]) and children at the same
 * time (a struct column and some of its members both wanted).
 *
 * With schemas.enable the Connect schema sent with each message is read
 * into one eddy__sinfo_t per field (the type, Debezium/Connect logical name
 * and decimal scale at that path). Debezium repeats the same schema text in
 * every message, so the last schema's bytes are kept and a byte-identical
 * schema is not parsed again.
 */
#ifndef EDDY_SERDE_DECODER_INT_H
#define EDDY_SERDE_DECODER_INT_H

#include "serde/json.h"
#include "serde/serde.h"

/* Connect schema types ("type" of a field schema). */
enum {
  EDDY__CT_NONE = 0,
  EDDY__CT_INT8, EDDY__CT_INT16, EDDY__CT_INT32, EDDY__CT_INT64,
  EDDY__CT_FLOAT32, EDDY__CT_FLOAT64, EDDY__CT_BOOLEAN, EDDY__CT_STRING, EDDY__CT_BYTES,
  EDDY__CT_ARRAY, EDDY__CT_MAP, EDDY__CT_STRUCT,
  EDDY__CT_OTHER
};

/* Logical (semantic) names of a field schema ("name"). */
enum {
  EDDY__LG_NONE = 0,
  EDDY__LG_DECIMAL,       /* org.apache.kafka.connect.data.Decimal */
  EDDY__LG_VARDECIMAL,    /* io.debezium.data.VariableScaleDecimal */
  EDDY__LG_DATE,          /* days since epoch */
  EDDY__LG_TS_MS,         /* io.debezium.time.Timestamp, connect Timestamp */
  EDDY__LG_TS_US,         /* io.debezium.time.MicroTimestamp */
  EDDY__LG_TS_NS,         /* io.debezium.time.NanoTimestamp */
  EDDY__LG_TS_ISO,        /* ZonedTimestamp, IsoTimestamp, IsoDate: strings */
  EDDY__LG_TIME_MS,       /* io.debezium.time.Time, connect Time: ms past midnight */
  EDDY__LG_TIME_US,       /* MicroTime */
  EDDY__LG_TIME_NS,       /* NanoTime */
  EDDY__LG_TIME_ISO,      /* ZonedTime, IsoTime: strings */
  EDDY__LG_DUR_US,        /* MicroDuration */
  EDDY__LG_DUR_NS,        /* NanoDuration */
  EDDY__LG_OTHER          /* any other name: the plain type applies */
};

/* Time units of JSON numbers read as timestamps or durations. */
enum { EDDY__U_DEFAULT = 0, EDDY__U_DAYS, EDDY__U_MS, EDDY__U_US, EDDY__U_NS };

/** What the schema says about one field (or an array's elements). */
typedef struct {
  uint8_t ctype;          /* EDDY__CT_* */
  uint8_t logical;        /* EDDY__LG_* */
  int16_t scale;          /* decimal scale from parameters.scale, -1 when absent */
} eddy__stype_t;

typedef struct {
  bool present;           /* the schema described this field */
  eddy__stype_t type;
  eddy__stype_t elem;     /* ARRAY: the items' schema */
} eddy__sinfo_t;

typedef struct {
  const char *name;       /* path component (not NUL-terminated in the index) */
  uint32_t name_len;
  int32_t field;          /* first field at exactly this path, or -1 */
  int32_t first_child;    /* node index, or -1 */
  int32_t next_sibling;   /* node index, or -1 */
  const char *path;       /* dotted path, for messages */
} eddy__node_t;

struct eddy_decoder_s {
  const eddy_decode_spec_t *spec;
  uint32_t field_cnt;
  eddy__node_t *nodes;    /* nodes[0] is the root (the top-level object) */
  uint32_t node_cnt, node_cap;
  int32_t *dup_next;      /* per field: next field with the same path, or -1 */
  uint8_t *unit;          /* per field: EDDY__U_* implied by the name (ts_ms ...) */
  eddy_arena_t *arena;    /* names and paths built at construction */
  /* schemas.enable */
  eddy__sinfo_t *sinfo;   /* per field */
  char *schema_text;      /* bytes of the last schema parsed, or NULL */
  size_t schema_len, schema_cap;
  bool schema_null;       /* that schema was JSON null */
};

/** One decode call's state. */
typedef struct {
  eddy__json_t j;
  eddy_decoder_t *d;
  eddy_value_t *vals;
  eddy_arena_t *arena;
  const eddy__sinfo_t *sinfo; /* per field when this message carried a schema, else NULL */
  bool debezium;
} eddy__dctx_t;

/** How to read one value: its declared type and what else is known. */
typedef struct {
  const eddy_type_t *type;
  const eddy__stype_t *stype; /* schema type, or NULL */
  const eddy__stype_t *selem; /* schema of array elements, or NULL */
  uint8_t unit;               /* EDDY__U_* from the field name */
  const char *path;           /* dotted name for messages */
} eddy__vspec_t;

/* decoder.c */
int eddy__decode_object(eddy__dctx_t *c, int32_t node);
int eddy__decode_field(eddy__dctx_t *c, int32_t field);
int32_t eddy__node_child(const eddy_decoder_t *d, int32_t node, const char *name, size_t len);
/** Resolve a (possibly escaped) key to a child node of \p node, or -1. */
int32_t eddy__node_child_key(eddy__dctx_t *c, int32_t node, const eddy__jstr_t *key);

/* decode_debezium.c */
int eddy__decode_debezium(eddy__dctx_t *c);

/* decode_schema.c */
/** Read the Connect schema at the cursor (the value of "schema"). */
int eddy__schema_read(eddy__dctx_t *c);
const char *eddy__stype_name(const eddy__stype_t *s, char *buf, size_t size);
/** The EDDY__LG_* of a Kafka Connect / Debezium schema name, EDDY__LG_OTHER if unknown. */
uint8_t eddy__connect_logical(const char *name, size_t len);
/** The EDDY__U_* a numeric time value is read in: \p unit (from the field's
 * name) when set, else what the declared column type says. */
int eddy__declared_unit(uint8_t unit, const eddy_type_t *type);

/* decode_value.c */
/** Read the value at the cursor into *out as \p vs says. */
int eddy__value_read(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out);
/** "<path>: expected <kind>, got <what is at the cursor>" as EDDY_EDECODE. */
int eddy__value_mismatch(eddy__dctx_t *c, const eddy__vspec_t *vs, const char *expected);
/** "<path>: <what is at \p at> is out of range for <type>" as EDDY_EDECODE. */
int eddy__value_range(eddy__dctx_t *c, const eddy__vspec_t *vs, const char *at);
/** "<path>: schema type <t> does not match declared <type>" as EDDY_EDECODE. */
int eddy__schema_mismatch(eddy__dctx_t *c, const eddy__vspec_t *vs);
/** The schema type of \p vs when the message described it, else NULL. */
static inline const eddy__stype_t *eddy__vs_stype(const eddy__vspec_t *vs) {
  return vs->stype && vs->stype->ctype != EDDY__CT_NONE ? vs->stype : NULL;
}
static inline bool eddy__ct_int(int ct) { return ct >= EDDY__CT_INT8 && ct <= EDDY__CT_INT64; }
static inline bool eddy__ct_float(int ct) { return ct == EDDY__CT_FLOAT32 || ct == EDDY__CT_FLOAT64; }

/* decode_time.c */
int eddy__read_timestamp(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out);
int eddy__read_duration(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out);

/* decode_decimal.c */
int eddy__read_decimal(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out);
/** Exact decimal from JSON number text or "-12.50": unscaled, and scale (may be < 0 or > 38). */
int eddy__num_decimal(const char *p, size_t len, eddy_i128 *unscaled, int32_t *scale);
/** Integer text (no fraction) to int64. @returns 0, EDDY_ERANGE or EDDY_EINVAL. */
int eddy__num_int(const char *p, size_t len, int64_t *out);
/** Big-endian two's-complement bytes to a signed 128-bit integer. */
int eddy__decimal_from_bytes(const uint8_t *b, size_t n, eddy_i128 *out);
/** Rescale with SQL rounding (half away from zero). EDDY_EOVERFLOW past 38 digits. */
int eddy__decimal_fit(eddy_i128 v, int32_t from, int32_t to, eddy_i128 *out);
/** @returns 10^n for n in 0..38. */
eddy_i128 eddy__pow10(int n);

/* base64.c */
/**
 * Decode base64 into \p dst (room for len / 4 * 3 + 3 bytes).
 * @returns 0 with *n set, or EDDY_EDECODE.
 */
int eddy__base64_decode_to(const char *s, size_t len, uint8_t *dst, size_t *n);

#endif
