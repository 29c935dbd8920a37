/*
 * A compact binary encoding of scalar values, for store keys and values
 * (group keys, accumulator state). Each value is self-delimiting, so a key
 * is simply the values one after another:
 *
 *   +-------+-----------------------------------------------------------+
 *   | tag 1 | payload                                                   |
 *   +-------+-----------------------------------------------------------+
 *     tag = eddy_kind_t
 *     NULL                    (none)
 *     BOOL                    0 | 1
 *     INT, TIMESTAMP, DURATION  8 bytes, big-endian, sign bit flipped
 *     DECIMAL                 scale 1, unscaled 16 bytes big-endian, sign flipped
 *     DOUBLE                  8 bytes, IEEE bits big-endian (-0.0 as 0.0, one NaN)
 *     STRING, BYTES           length (LEB128 varint), bytes
 *
 * Equal values of one column type encode to equal bytes (decimals are
 * rescaled to the column's scale first, see eddy_codec_normalize()).
 */
#ifndef EDDY_SERDE_CODEC_H
#define EDDY_SERDE_CODEC_H

#include "eddy/error.h"
#include "eddy/store.h"
#include "eddy/value.h"

/*
 * A row of eddy's internal repartition topics: EDDY_CODEC_ROW_V1, then the
 * row's values in layout order, each as above. Only eddy writes and reads
 * these topics, so they skip JSON; rows with arrays or structs go as JSON.
 */
#define EDDY_CODEC_ROW_V1 0xE1

/** Append \p v (a scalar) to \p out. @returns 0, EDDY_ENOMEM, or EDDY_EINVAL for
 * arrays, structs and ANY. */
int eddy_codec_put(eddy_buf_t *out, const eddy_value_t *v);
/**
 * Read one value at *p (advancing it) from a buffer ending at \p end.
 * Strings and bytes borrow from the buffer. @returns 0 or EDDY_EDECODE.
 */
int eddy_codec_get(const uint8_t **p, const uint8_t *end, eddy_value_t *v);
/**
 * Bring \p v to the canonical form of its column type \p t: a decimal at
 * the type's scale, 0.0 for -0.0. @returns 0 or EDDY_EOVERFLOW.
 */
int eddy_codec_normalize(eddy_value_t *v, const eddy_type_t *t);

/** Append the row \p vals (\p cnt scalars) in the row encoding. @returns 0, EDDY_ENOMEM or
 * EDDY_EINVAL. */
int eddy_codec_put_row(eddy_buf_t *out, const eddy_value_t *vals, uint32_t cnt);
/**
 * Read a row of layout \p f from \p p (\p len bytes) into \p vals: each value
 * of its column's type or null (decimals at the column's scale); strings and
 * bytes borrow from \p p. @returns 0, or EDDY_EDECODE with \p err set.
 */
int eddy_codec_get_row(const void *p, size_t len, const eddy_fields_t *f, eddy_value_t *vals,
                       eddy_error_t **err);

#endif
