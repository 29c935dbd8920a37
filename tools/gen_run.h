/* `eddy gen`: options and the generating loop (gen_run.c), parsed by gen.c. */
#ifndef EDDY_TOOLS_GEN_RUN_H
#define EDDY_TOOLS_GEN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/gen.h"

#define GEN_MAX_PROPS 64

typedef struct {
  const gen_model_t *model;
  double rate;              /* wall-clock events per second; 0 = as fast as possible */
  double event_rate;        /* events per second of event time */
  long long count;          /* < 0: no limit */
  int64_t duration_us;      /* < 0: no limit (event time) */
  uint64_t seed;
  int64_t start_us;         /* event time of the first event */
  bool schemas, avro, avro_keys, quiet;
  const char *registry, *bootstrap, *prefix, *output;
  const char *props[GEN_MAX_PROPS + 1];
  int prop_cnt;
} gen_opts_t;

/** Generate and write the events. @returns the process exit code. */
int gen_run(const gen_opts_t *o);

#endif
