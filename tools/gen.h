/*
 * `eddy gen`: deterministic generators of Debezium change events.
 *
 * A model (ecommerce, fraud, temperature) describes its tables and makes
 * one change event per call of its next() on a simulated clock; the driver
 * (gen.c) advances the clock, encodes each event as Debezium writes it
 * (gen_debezium.c: JSON with or without the Connect schema; gen_avro.c:
 * the AvroConverter's envelope in the Confluent wire format) and produces
 * it to Kafka or dumps it as JSON lines (gen_out.c).
 *
 * Everything random comes from one splitmix64 stream seeded by --seed, and
 * no model looks at the wall clock, so the same options give the same bytes.
 */
#ifndef EDDY_TOOLS_GEN_H
#define EDDY_TOOLS_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/alloc.h"
#include "eddy/error.h"

/* ---- randomness ------------------------------------------------------------------- */

typedef struct {
  uint64_t s;
} gen_rand_t;

static inline uint64_t gen_rand_u64(gen_rand_t *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/** Uniform integer in [lo, hi]. */
static inline int64_t gen_rand_range(gen_rand_t *r, int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)(hi - lo) + 1;
  return lo + (int64_t)(gen_rand_u64(r) % span);
}

/** Uniform double in [0, 1). */
static inline double gen_rand_unit(gen_rand_t *r) {
  return (double)(gen_rand_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/** true with probability \p p. */
static inline bool gen_rand_chance(gen_rand_t *r, double p) { return gen_rand_unit(r) < p; }

/* ---- tables, rows, events ---------------------------------------------------------- */

typedef enum {
  GEN_INT,        /* PostgreSQL integer/serial: Connect int32 */
  GEN_STRING,     /* varchar: Connect string */
  GEN_DECIMAL,    /* numeric(p,s), precise mode: bytes, org.apache.kafka.connect.data.Decimal */
  GEN_TIMESTAMP,  /* timestamp: int64 io.debezium.time.MicroTimestamp (µs) */
  GEN_DOUBLE      /* double precision: Connect float64 */
} gen_type_t;

typedef struct {
  const char *name;
  gen_type_t type;
  int precision, scale;   /* GEN_DECIMAL */
  bool optional;          /* nullable column */
} gen_column_t;

/** A source table; its primary key is the first column. */
typedef struct {
  const char *name;
  const gen_column_t *cols;
  int col_cnt;
} gen_table_t;

#define GEN_COLS_MAX 8
#define GEN_STR_MAX 64

typedef struct {
  int64_t i;              /* GEN_INT; GEN_DECIMAL unscaled; GEN_TIMESTAMP µs */
  double d;               /* GEN_DOUBLE */
  char s[GEN_STR_MAX];    /* GEN_STRING */
  bool null;
} gen_val_t;

typedef struct {
  gen_val_t v[GEN_COLS_MAX];
} gen_row_t;

typedef struct {
  int table;              /* index into the model's tables */
  char op;                /* 'c', 'u', 'd' or 'r' */
  bool has_before, has_after;
  gen_row_t before, after;
  int64_t time_us;        /* event time: ts_ms, source.ts_ms and the Kafka timestamp */
  int64_t tx_id;          /* source.txId: the events of one transaction share it */
} gen_event_t;

static inline void gen_set_int(gen_row_t *r, int col, int64_t v) {
  r->v[col].null = false;
  r->v[col].i = v;
}
void gen_set_str(gen_row_t *r, int col, const char *s);
static inline void gen_set_double(gen_row_t *r, int col, double v) {
  r->v[col].null = false;
  r->v[col].d = v;
}

/* ---- models ----------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *default_prefix;
  const char *summary;
  const gen_table_t *tables;
  int table_cnt;
  /** @returns 0 and *state, or EDDY_ENOMEM. */
  int (*create)(void **state, uint64_t seed);
  void (*destroy)(void *state);
  /**
   * Make the next event at simulated time \p now_us (non-decreasing between
   * calls). The event's time may be earlier than now (the later events of a
   * transaction keep its commit time) but never earlier than the previous
   * event's. @returns 0 or EDDY_ENOMEM.
   */
  int (*next)(void *state, int64_t now_us, gen_event_t *ev);
} gen_model_t;

extern const gen_model_t eddy__gen_ecommerce;
extern const gen_model_t eddy__gen_fraud;
extern const gen_model_t eddy__gen_temperature;

/* ---- scheduling helpers shared by the models (gen_sched.c) ------------------------- */

/** A future action of a model: due time, insertion order, kind and arguments. */
typedef struct {
  int64_t due_us;
  uint64_t seq;
  int kind;
  int64_t arg[6];
} gen_action_t;

typedef struct {
  gen_action_t *items;
  int cnt, cap;
  uint64_t next_seq;
} gen_heap_t;

/** Add \p a (its seq is assigned). @returns 0 or EDDY_ENOMEM. */
int gen_heap_push(gen_heap_t *h, gen_action_t a);
/** The earliest action (ties: first pushed), or NULL when empty. */
const gen_action_t *gen_heap_top(const gen_heap_t *h);
void gen_heap_pop(gen_heap_t *h, gen_action_t *out);
void gen_heap_free(gen_heap_t *h);

/** A FIFO of events made ahead (the rest of a transaction). */
typedef struct {
  gen_event_t *items;
  int head, cnt, cap;
} gen_queue_t;

int gen_queue_push(gen_queue_t *q, const gen_event_t *ev);
bool gen_queue_pop(gen_queue_t *q, gen_event_t *out);
void gen_queue_free(gen_queue_t *q);

/* ---- encoding (gen_debezium.c, gen_avro.c) ----------------------------------------- */

typedef struct {
  const char *prefix;     /* topic prefix and Debezium server name */
  bool schemas;           /* JSON converter schemas.enable */
} gen_enc_conf_t;

/** Append the record key: {"<pk>":v} (with schemas, wrapped with its schema). */
int gen_json_key(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                 eddy_buf_t *out);
/** Append the Debezium envelope as the JSON converter writes it. */
int gen_json_value(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                   eddy_buf_t *out);
/** Append a JSON string literal (quotes and escapes). */
int gen_json_str(eddy_buf_t *out, const char *s);
/** Append Debezium's precise decimal: base64 of the minimal big-endian two's complement. */
int gen_decimal_b64(eddy_buf_t *out, int64_t unscaled);
/** Minimal big-endian two's-complement bytes of \p v into \p b (9 bytes room). @returns count. */
int gen_decimal_bytes(int64_t v, uint8_t b[9]);

/** Append the AvroConverter's envelope schema of \p t (Avro JSON text). */
int gen_avro_schema(const gen_enc_conf_t *c, const gen_table_t *t, eddy_buf_t *out);
/** Append the Avro binary datum of \p ev (no wire header). */
int gen_avro_datum(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                   eddy_buf_t *out);
/** Append the AvroConverter's key schema of \p t: record `<prefix>.public.<table>.Key`. */
int gen_avro_key_schema(const gen_enc_conf_t *c, const gen_table_t *t, eddy_buf_t *out);
/** Append the Avro binary datum of \p ev's key (no wire header). */
int gen_avro_key_datum(const gen_table_t *t, const gen_event_t *ev, eddy_buf_t *out);

#endif
