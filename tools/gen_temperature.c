/*
 * `eddy gen temperature`: readings of 20 sensors in 5 offices.
 *
 * The sensors report in turn (each round in a new random order), so at the
 * default 10 events per second of event time each sensor reports every 2 s.
 * A reading drifts by up to ±0.15 °C around its office's baseline (20.5 to
 * 22.5 °C); now and then (0.2% of readings) a sensor overheats for 15 to 40
 * readings, climbing towards 10 to 15 °C above the baseline, or (0.1%) goes
 * cold towards 8 °C below it, then returns: material for threshold alerts
 * and windowed averages.
 */
#include <string.h>

#include "tools/gen.h"

enum { R_ID, R_SENSOR, R_OFFICE, R_TEMP, R_CREATED };

static const gen_column_t cols[] = {
    {"id", GEN_INT, 0, 0, false},            {"sensor_id", GEN_INT, 0, 0, false},
    {"office", GEN_STRING, 0, 0, true},      {"temperature", GEN_DECIMAL, 5, 2, true},
    {"created_at", GEN_TIMESTAMP, 0, 0, true}};

static const gen_table_t tables[] = {{"sensor_readings", cols, 5}};

static const char *const offices[5] = {"london", "paris", "berlin", "madrid", "warsaw"};

#define SENSOR_CNT 20

typedef struct {
  int64_t centi, baseline, episode_left, episode_target;
} sensor_t;

typedef struct {
  gen_rand_t rnd;
  sensor_t sensors[SENSOR_CNT];
  int order[SENSOR_CNT];
  int pos;
  int64_t next_id;
} building_t;

static int create(void **state, uint64_t seed) {
  building_t *b = eddy_calloc(1, sizeof(*b));
  if (b == NULL)
    return EDDY_ENOMEM;
  b->rnd.s = seed;
  b->next_id = 1;
  int64_t base[5];
  for (int o = 0; o < 5; o++)
    base[o] = gen_rand_range(&b->rnd, 2050, 2250);
  for (int i = 0; i < SENSOR_CNT; i++) {
    b->sensors[i].baseline = base[i % 5];
    b->sensors[i].centi = base[i % 5] + gen_rand_range(&b->rnd, -50, 50);
  }
  b->pos = SENSOR_CNT;
  *state = b;
  return 0;
}

static void destroy(void *state) { eddy_free(state); }

static void shuffle(building_t *b) {
  for (int i = 0; i < SENSOR_CNT; i++)
    b->order[i] = i;
  for (int i = SENSOR_CNT - 1; i > 0; i--) {
    int j = (int)gen_rand_range(&b->rnd, 0, i);
    int t = b->order[i];
    b->order[i] = b->order[j];
    b->order[j] = t;
  }
  b->pos = 0;
}

static void step(building_t *b, sensor_t *s) {
  if (s->episode_left == 0) {
    double r = gen_rand_unit(&b->rnd);
    if (r < 0.002) {
      s->episode_left = gen_rand_range(&b->rnd, 15, 40);
      s->episode_target = s->baseline + gen_rand_range(&b->rnd, 1000, 1500);
    } else if (r < 0.003) {
      s->episode_left = gen_rand_range(&b->rnd, 15, 40);
      s->episode_target = s->baseline - 800;
    }
  }
  int64_t target = s->baseline;
  if (s->episode_left > 0) {
    target = s->episode_target;
    s->episode_left--;
  }
  s->centi += (target - s->centi) / 4 + gen_rand_range(&b->rnd, -15, 15);
}

static int next(void *state, int64_t now, gen_event_t *ev) {
  building_t *b = state;
  if (b->pos == SENSOR_CNT)
    shuffle(b);
  int idx = b->order[b->pos++];
  sensor_t *s = &b->sensors[idx];
  step(b, s);
  memset(ev, 0, sizeof(*ev));
  ev->op = 'c';
  ev->time_us = now;
  ev->tx_id = b->next_id;
  ev->has_after = true;
  gen_set_int(&ev->after, R_ID, b->next_id++);
  gen_set_int(&ev->after, R_SENSOR, idx + 1);
  gen_set_str(&ev->after, R_OFFICE, offices[idx % 5]);
  gen_set_int(&ev->after, R_TEMP, s->centi);
  gen_set_int(&ev->after, R_CREATED, now);
  return 0;
}

const gen_model_t eddy__gen_temperature = {
    .name = "temperature",
    .default_prefix = "office",
    .summary = "sensor_readings of 20 sensors in 5 offices",
    .tables = tables,
    .table_cnt = 1,
    .create = create,
    .destroy = destroy,
    .next = next,
};
