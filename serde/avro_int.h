/*
 * Avro decoder internals shared by serde/decode_avro*.c.
 *
 * The wanted paths live in a JSON decoder's trie (decoder_int.h), built by
 * eddy_decoder_new() from a copy of the spec: one trie, one set of rules for
 * paths and for the unit an envelope's ts_ms/ts_us/ts_ns field implies.
 *
 * Per writer schema id, a plan: a small tree of actions compiled from the
 * writer schema and the trie together.
 *
 *   RECORD   kids[first + i] is the action of writer field i, in order
 *   UNION    kids[first + k] is the action of branch k
 *   MULTI    several actions over the same datum (a column and some of its
 *            members, or two columns on one path): each starts at the same
 *            byte
 *   VALUE    read the datum into vals[field] as the declared type
 *   SKIP     step over the datum (nothing below it is wanted)
 *   NOP      a null datum: the slots stay null
 *
 * Running a plan needs no look-ups by name: it walks the bytes and the
 * actions in step.
 */
#ifndef EDDY_SERDE_AVRO_INT_H
#define EDDY_SERDE_AVRO_INT_H

#include "serde/avro.h"
#include "serde/decoder_int.h"

/** Nesting limit while skipping or reading a datum (records, arrays, maps, unions). */
#define EDDY__AVRO_MAX_DEPTH 64
/** Items of zero encoded size (null, empty records) one array or map may hold. */
#define EDDY__AVRO_MAX_EMPTY_ITEMS 65536

/** What a writer type means beyond its Avro type: logical type or Connect name. */
typedef struct {
  uint8_t logical;        /* EDDY__LG_* (decoder_int.h) */
  int16_t scale;          /* decimal scale, -1 when the schema does not say */
} eddy__avro_sem_t;

enum { EDDY__A_SKIP, EDDY__A_NOP, EDDY__A_VALUE, EDDY__A_RECORD, EDDY__A_UNION, EDDY__A_MULTI };

typedef struct {
  uint8_t op;             /* EDDY__A_* */
  uint8_t unit;           /* VALUE: EDDY__U_* implied by the field's name */
  eddy__avro_sem_t sem;   /* VALUE: of w */
  int32_t field;          /* VALUE: the layout field */
  uint32_t first, cnt;    /* RECORD, UNION, MULTI: kids[first .. first + cnt) */
  const eddy_sr_node_t *w;/* the writer type */
} eddy__avro_act_t;

/** One writer schema compiled against the decoder's paths. */
typedef struct {
  int id;
  const eddy_sr_schema_t *schema;
  eddy__avro_act_t *acts;
  uint32_t act_cnt, act_cap;
  uint32_t *kids;
  uint32_t kid_cnt, kid_cap;
  uint32_t root;          /* action of the whole datum */
} eddy__avro_plan_t;

struct eddy_avro_decoder_s {
  eddy_decode_spec_t spec;     /* the caller's spec, format changed for the trie */
  eddy_format_t format;        /* the caller's format */
  eddy_decoder_t *trie;        /* the wanted paths (decoder_int.h) */
  eddy_sr_client_t *registry;  /* may be NULL */
  eddy__avro_plan_t **plans;   /* open addressing by id; cap is a power of two */
  uint32_t plan_cnt, plan_cap;
  eddy__avro_plan_t *last;     /* the plan used last (most records share one id) */
};

/** A cursor over one datum, and where its values go. */
typedef struct {
  const uint8_t *p, *end;
  const uint8_t *base;         /* the Kafka value: byte offsets in messages count from here */
  eddy_value_t *vals;
  eddy_arena_t *arena;
  eddy_error_t **err;
  const eddy_avro_decoder_t *d;
  const eddy__avro_plan_t *plan;
  int depth;
} eddy__avro_rd_t;

/** How to read one datum: the declared type, the writer type and what else is known. */
typedef struct {
  const eddy_type_t *type;
  const eddy_sr_node_t *w;
  eddy__avro_sem_t sem;
  uint8_t unit;                /* EDDY__U_* from the field's name */
  const char *path;            /* dotted name for messages */
} eddy__avro_vspec_t;

/* decode_avro_plan.c */
/** Compile \p schema for the decoder's paths. @returns 0, EDDY_ENOMEM. */
int eddy__avro_plan_new(eddy__avro_plan_t **out, const eddy_avro_decoder_t *d, int id,
                        const eddy_sr_schema_t *schema);
void eddy__avro_plan_destroy(eddy__avro_plan_t *p);
/** The logical type or Connect/Debezium semantic name of \p w. */
eddy__avro_sem_t eddy__avro_sem(const eddy_sr_node_t *w);
/** "long (io.debezium.time.MicroTime)" into \p buf. */
const char *eddy__avro_type_name(const eddy_sr_node_t *w, const eddy__avro_sem_t *sem,
                                 char *buf, size_t size);

/* decode_avro_read.c: the binary format */
int eddy__avro_truncated(eddy__avro_rd_t *r);
int eddy__avro_malformed(eddy__avro_rd_t *r, const uint8_t *at, const char *what);
/** A zigzag varint (Avro int or long). */
int eddy__avro_long(eddy__avro_rd_t *r, int64_t *out);
/** A varint that must fit an Avro int. */
int eddy__avro_int(eddy__avro_rd_t *r, int32_t *out);
/** A length-prefixed byte run (bytes, string): *p points into the payload. */
int eddy__avro_span(eddy__avro_rd_t *r, const uint8_t **p, size_t *len);
/** Fixed-width float/double, little-endian. */
int eddy__avro_float(eddy__avro_rd_t *r, double *out);
int eddy__avro_double(eddy__avro_rd_t *r, double *out);
int eddy__avro_boolean(eddy__avro_rd_t *r, bool *out);
/** Read a union's branch index and return its branch node. */
int eddy__avro_branch(eddy__avro_rd_t *r, const eddy_sr_node_t *u, const eddy_sr_node_t **out);
/**
 * The next block count of an array or map (0 ends it). Negative counts
 * (followed by the block's byte size) are returned as positive. The count
 * must fit the bytes left, unless \p items (NULL for a map) can be empty;
 * \p total adds up the counts, and bounds the items of zero size.
 */
int eddy__avro_block(eddy__avro_rd_t *r, const eddy_sr_node_t *items, int64_t *cnt,
                     int64_t *total);
/** Step over one datum of type \p w. */
int eddy__avro_skip(eddy__avro_rd_t *r, const eddy_sr_node_t *w);
/** Run action \p act of the current plan. */
int eddy__avro_run(eddy__avro_rd_t *r, uint32_t act);

/* decode_avro_value.c: one datum as a declared type */
int eddy__avro_read(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out);
/** "<path>: schema type <w> does not match declared <type>" as EDDY_EDECODE. */
int eddy__avro_mismatch(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs);
/** "<path>: <what> is out of range for <type>" as EDDY_EDECODE. */
int eddy__avro_range(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, const char *what);

/* decode_avro_time.c */
int eddy__avro_read_timestamp(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs,
                              eddy_value_t *out);
int eddy__avro_read_duration(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs,
                             eddy_value_t *out);

/* decode_avro_decimal.c */
int eddy__avro_read_decimal(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out);
/** Unscaled value and scale of a decimal-like datum (bytes, fixed, VariableScaleDecimal,
 *  int, long, string, float, double); any other writer type, or a value that is not
 *  a number, is EDDY_EDECODE naming the column. */
int eddy__avro_decimal_parts(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_i128 *v,
                             int32_t *scale);

/* decode_avro_any.c */
/** An untyped column: the datum's own type decides; composites become JSON text. */
int eddy__avro_read_any(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out);

/* ---- the encoder (encode_avro*.c) ------------------------------------------------------ */

/**
 * The written record as a tree: dotted column names nest ("after.id" is
 * field "id" of record "after"). A leaf is a layout column; a group is a
 * record of its children, in the order their first column appears.
 */
typedef struct {
  const char *name;       /* the Avro field name (sanitised) */
  const char *key;        /* the path component it came from */
  int32_t field;          /* leaf: layout column; group: -1 */
  int32_t first_child;    /* group: node index, or -1 */
  int32_t next_sibling;   /* node index, or -1 */
} eddy__avro_enode_t;

struct eddy_avro_encoder_s {
  eddy_arena_t *arena;          /* everything below */
  const eddy_fields_t *layout;  /* borrowed */
  const char *subject;          /* <topic>-value */
  const char *name;             /* record name (no namespace) */
  const char *space;            /* namespace, or NULL */
  eddy__avro_enode_t *nodes;    /* nodes[0] is the root record */
  uint32_t node_cnt, node_cap;
  char *schema;                 /* the Avro schema text */
  eddy_sr_client_t *registry;   /* may be NULL */
  int id;                       /* 0 until registered */
};

/* encode_avro_write.c */
/** Append the Avro datum of \p vals (the encoder's layout). EDDY_EINVAL names the column. */
int eddy__avro_write_row(const eddy_avro_encoder_t *enc, const eddy_value_t *vals,
                         eddy_buf_t *out, eddy_error_t **err);
/** Append \p v as an Avro long (zigzag varint). */
int eddy__avro_put_long(eddy_buf_t *out, int64_t v);
/** Append the minimal big-endian two's-complement bytes of \p v, length first. */
int eddy__avro_put_decimal(eddy_buf_t *out, eddy_i128 v);

#endif
