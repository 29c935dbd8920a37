/* `eddy gen`: the output sinks (Kafka producer or JSON lines). */
#ifndef EDDY_TOOLS_GEN_OUT_H
#define EDDY_TOOLS_GEN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/error.h"

typedef struct {
  const char *topic;
  const void *key;
  size_t key_len;
  bool key_is_json;       /* JSON lines: embed the key, else base64 it */
  const void *value;
  size_t value_len;
  bool value_is_json;     /* JSON lines: embed the value, else base64 it */
  int64_t timestamp_ms;
} gen_record_t;

typedef struct gen_sink_s gen_sink_t;

/** A producer on \p bootstrap; \p props are extra "key=value" settings (NULL-terminated). */
int gen_sink_open_kafka(gen_sink_t **out, const char *bootstrap, const char *const *props,
                        eddy_error_t **err);
/** JSON lines on \p path ("-": stdout). */
int gen_sink_open_file(gen_sink_t **out, const char *path, eddy_error_t **err);
/** Copies the record. */
int gen_sink_write(gen_sink_t *s, const gen_record_t *r, eddy_error_t **err);
/** Serve delivery reports for up to \p ms (a file sink just sleeps). */
void gen_sink_wait(gen_sink_t *s, int ms);
void gen_sink_counts(const gen_sink_t *s, long long *written, long long *acked,
                     long long *failed);
/**
 * Flush (waiting up to \p timeout_ms for acknowledgements) and free. NULL-safe.
 * @returns 0 only when every record written was acknowledged.
 */
int gen_sink_close(gen_sink_t *s, int timeout_ms, eddy_error_t **err);

#endif
