/*
 * `eddy gen fraud`: card transactions of 100 users.
 *
 * Each user has a usual amount (15 to 200) and a home city; an ordinary
 * transaction is 0.5 to 1.5 times the usual amount, at a random merchant,
 * mostly in the home city. 2% of the transactions of a user with at least
 * 3 earlier ones are anomalous: 4 to 8 times the usual amount and at least
 * 500 (what the anomaly agent looks for). 1% of the ticks start a burst:
 * 6 to 9 transactions of one user 1 to 6 s apart (all within 60 s, what the
 * velocity agent counts); in 40% of the bursts the last one is over 4000,
 * which scores 40 + 50 and raises a velocity alert.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/gen.h"

enum { X_ID, X_USER, X_AMOUNT, X_MERCHANT, X_LOCATION, X_CREATED, X_STATUS };

static const gen_column_t cols[] = {
    {"id", GEN_INT, 0, 0, false},           {"user_id", GEN_INT, 0, 0, true},
    {"amount", GEN_DECIMAL, 10, 2, false},  {"merchant", GEN_STRING, 0, 0, true},
    {"location", GEN_STRING, 0, 0, true},   {"created_at", GEN_TIMESTAMP, 0, 0, true},
    {"status", GEN_STRING, 0, 0, true}};

static const gen_table_t tables[] = {{"transactions", cols, 7}};

static const char *const merchants[12] = {
    "Amazon",   "Tesco",      "Shell",   "Starbucks", "IKEA",   "Apple Store",
    "Zara",     "Uber",       "Netflix", "Lidl",      "Airbnb", "MediaMarkt"};
static const char *const cities[10] = {"London", "Paris",  "Berlin", "Madrid", "Rome",
                                       "Lisbon", "Vienna", "Prague", "Dublin", "Oslo"};

#define USER_CNT 100
#define SECOND_US 1000000LL

typedef struct {
  int64_t usual_cents, count;
  int home;
} payer_t;

typedef struct {
  gen_rand_t rnd;
  gen_heap_t heap;
  payer_t users[USER_CNT];
  int64_t next_id;
} bank_t;

static int create(void **state, uint64_t seed) {
  bank_t *b = eddy_calloc(1, sizeof(*b));
  if (b == NULL)
    return EDDY_ENOMEM;
  b->rnd.s = seed;
  b->next_id = 1;
  for (int i = 0; i < USER_CNT; i++) {
    /* Roughly log-uniform between 15 and 200. */
    double f = gen_rand_unit(&b->rnd);
    b->users[i].usual_cents = (int64_t)(1500.0 * pow(200.0 / 15.0, f));
    b->users[i].home = (int)gen_rand_range(&b->rnd, 0, 9);
  }
  *state = b;
  return 0;
}

static void destroy(void *state) {
  bank_t *b = state;
  if (b == NULL)
    return;
  gen_heap_free(&b->heap);
  eddy_free(b);
}

static int64_t ordinary(bank_t *b, const payer_t *u) {
  return u->usual_cents * gen_rand_range(&b->rnd, 50, 150) / 100;
}

/* Schedule a burst of 6 to 9 transactions of user \p uid, the first at \p now. */
static int start_burst(bank_t *b, int uid, int64_t now) {
  int n = (int)gen_rand_range(&b->rnd, 6, 9);
  bool big = gen_rand_chance(&b->rnd, 0.4);
  int64_t t = now;
  for (int i = 0; i < n; i++) {
    gen_action_t a = {.due_us = t, .kind = 0};
    a.arg[0] = uid;
    a.arg[1] = (big && i == n - 1) ? gen_rand_range(&b->rnd, 400100, 900000)
                                   : ordinary(b, &b->users[uid]);
    if (gen_heap_push(&b->heap, a) != 0)
      return EDDY_ENOMEM;
    t += gen_rand_range(&b->rnd, 1, 6) * SECOND_US;
  }
  return 0;
}

static void emit(bank_t *b, int uid, int64_t cents, int64_t now, gen_event_t *ev) {
  payer_t *u = &b->users[uid];
  memset(ev, 0, sizeof(*ev));
  ev->table = 0;
  ev->op = 'c';
  ev->time_us = now;
  ev->tx_id = b->next_id;
  ev->has_after = true;
  int city = gen_rand_chance(&b->rnd, 0.9) ? u->home : (int)gen_rand_range(&b->rnd, 0, 9);
  gen_set_int(&ev->after, X_ID, b->next_id++);
  gen_set_int(&ev->after, X_USER, uid + 1);
  gen_set_int(&ev->after, X_AMOUNT, cents);
  gen_set_str(&ev->after, X_MERCHANT, merchants[gen_rand_range(&b->rnd, 0, 11)]);
  gen_set_str(&ev->after, X_LOCATION, cities[city]);
  gen_set_int(&ev->after, X_CREATED, now);
  gen_set_str(&ev->after, X_STATUS, gen_rand_chance(&b->rnd, 0.97) ? "approved" : "declined");
  u->count++;
}

static int next(void *state, int64_t now, gen_event_t *ev) {
  bank_t *b = state;
  const gen_action_t *top = gen_heap_top(&b->heap);
  if (top == NULL || top->due_us > now) {
    int uid = (int)gen_rand_range(&b->rnd, 0, USER_CNT - 1);
    payer_t *u = &b->users[uid];
    if (gen_rand_chance(&b->rnd, 0.01)) {
      if (start_burst(b, uid, now) != 0)
        return EDDY_ENOMEM;
    } else {
      int64_t cents = ordinary(b, u);
      if (u->count >= 3 && gen_rand_chance(&b->rnd, 0.02)) {
        cents = u->usual_cents * gen_rand_range(&b->rnd, 4, 8);
        if (cents < 50100)
          cents = gen_rand_range(&b->rnd, 50100, 300000);
      }
      emit(b, uid, cents, now, ev);
      return 0;
    }
  }
  gen_action_t a;
  gen_heap_pop(&b->heap, &a);
  emit(b, (int)a.arg[0], a.arg[1], now, ev);
  return 0;
}

const gen_model_t eddy__gen_fraud = {
    .name = "fraud",
    .default_prefix = "ecommerce",
    .summary = "transactions (with anomalous amounts and bursts)",
    .tables = tables,
    .table_cnt = 1,
    .create = create,
    .destroy = destroy,
    .next = next,
};
