/*
 * `eddy gen ecommerce`: a shop's users, products, orders, order_items and
 * user_events (page views).
 *
 * The shop starts with 40 products in 8 categories (creates). Every tick
 * with nothing due signs up a new user, who then browses in bursts: 3 to 12
 * page views 5 to 60 s apart, then an idle gap of 3 to 28 minutes (40%) or
 * 32 to 90 minutes (60%) of event time, so 30-minute session windows both
 * form and join up; a few views arrive late and merge two sessions. A burst ends with an order 45% of the time: one
 * transaction of the order (pending, total = sum of its items), its 1 to 4
 * items at the products' prices, and one stock decrease per product. Orders
 * move pending -> processing -> completed (85%) or cancelled as updates
 * with the full before row (REPLICA IDENTITY FULL). A product whose stock
 * falls to 5 or less is restocked (+20 to 60) 10 to 90 minutes later, so
 * stock passes through low, critical and often zero before coming back.
 */
#include <stdio.h>
#include <string.h>

#include "tools/gen.h"

enum { T_USERS, T_PRODUCTS, T_ORDERS, T_ITEMS, T_EVENTS };

enum { U_ID, U_EMAIL, U_FIRST, U_LAST, U_CREATED, U_UPDATED, U_STATUS };
enum { P_ID, P_NAME, P_CATEGORY, P_PRICE, P_STOCK, P_CREATED, P_UPDATED };
enum { O_ID, O_USER, O_TOTAL, O_STATUS, O_CREATED, O_UPDATED };
enum { I_ID, I_ORDER, I_PRODUCT, I_QTY, I_PRICE, I_CREATED };
enum { E_ID, E_USER, E_TYPE, E_PAGE, E_CREATED };

#define TS(n) {n, GEN_TIMESTAMP, 0, 0, true}

static const gen_column_t users_cols[] = {
    {"user_id", GEN_INT, 0, 0, false}, {"email", GEN_STRING, 0, 0, false},
    {"first_name", GEN_STRING, 0, 0, true}, {"last_name", GEN_STRING, 0, 0, true},
    TS("created_at"), TS("updated_at"), {"status", GEN_STRING, 0, 0, true}};
static const gen_column_t products_cols[] = {
    {"product_id", GEN_INT, 0, 0, false}, {"name", GEN_STRING, 0, 0, false},
    {"category", GEN_STRING, 0, 0, true}, {"price", GEN_DECIMAL, 10, 2, false},
    {"stock_quantity", GEN_INT, 0, 0, true}, TS("created_at"), TS("updated_at")};
static const gen_column_t orders_cols[] = {
    {"order_id", GEN_INT, 0, 0, false}, {"user_id", GEN_INT, 0, 0, true},
    {"total_amount", GEN_DECIMAL, 10, 2, false}, {"status", GEN_STRING, 0, 0, true},
    TS("created_at"), TS("updated_at")};
static const gen_column_t items_cols[] = {
    {"item_id", GEN_INT, 0, 0, false}, {"order_id", GEN_INT, 0, 0, true},
    {"product_id", GEN_INT, 0, 0, true}, {"quantity", GEN_INT, 0, 0, false},
    {"unit_price", GEN_DECIMAL, 10, 2, false}, TS("created_at")};
static const gen_column_t events_cols[] = {
    {"event_id", GEN_INT, 0, 0, false}, {"user_id", GEN_INT, 0, 0, true},
    {"event_type", GEN_STRING, 0, 0, true}, {"page", GEN_STRING, 0, 0, true},
    TS("created_at")};

static const gen_table_t tables[] = {
    {"users", users_cols, 7},       {"products", products_cols, 7},
    {"orders", orders_cols, 6},     {"order_items", items_cols, 6},
    {"user_events", events_cols, 5}};

#define PRODUCT_CNT 40
#define MINUTE_US (60 * 1000000LL)
#define SECOND_US 1000000LL

static const char *const categories[8] = {"electronics", "books",  "clothing", "home",
                                          "garden",      "sports", "toys",     "beauty"};
static const char *const adjectives[5] = {"Classic", "Compact", "Deluxe", "Eco", "Pro"};
static const char *const nouns[8] = {"Headphones", "Novel", "Jacket", "Lamp",
                                     "Hose",       "Ball",  "Puzzle", "Serum"};
static const char *const first_names[12] = {"Ada", "Ben", "Chloe", "Dev", "Elif", "Femi",
                                            "Gus", "Hana", "Ivan", "Jun", "Kofi", "Lena"};
static const char *const last_names[12] = {"Adams", "Brown", "Chen",  "Diaz",  "Evans", "Fox",
                                           "Garcia", "Hall", "Ito",   "Jones", "Khan",  "Lopez"};
static const char *const statuses[4] = {"pending", "processing", "completed", "cancelled"};

enum { A_VIEW, A_LATE_VIEW, A_ORDER, A_RESTOCK };

typedef struct {
  int id;
  char name[GEN_STR_MAX];
  int category;
  int64_t price_cents, stock, created_at, updated_at;
  int64_t sold;               /* units sold since the last restock */
  bool restock_pending;
} product_t;

typedef struct {
  gen_rand_t rnd;
  gen_heap_t heap;
  gen_queue_t out;
  product_t products[PRODUCT_CNT];
  bool started;
  int64_t next_user, next_order, next_item, next_event, next_tx;
} shop_t;

static int create(void **state, uint64_t seed) {
  shop_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return EDDY_ENOMEM;
  s->rnd.s = seed;
  s->next_user = s->next_order = s->next_item = s->next_event = s->next_tx = 1;
  *state = s;
  return 0;
}

static void destroy(void *state) {
  shop_t *s = state;
  if (s == NULL)
    return;
  gen_heap_free(&s->heap);
  gen_queue_free(&s->out);
  eddy_free(s);
}

static void event_init(gen_event_t *ev, int table, char op, int64_t now, int64_t tx) {
  memset(ev, 0, sizeof(*ev));
  ev->table = table;
  ev->op = op;
  ev->time_us = now;
  ev->tx_id = tx;
  ev->has_after = true;
}

static void product_row(const product_t *p, gen_row_t *r) {
  gen_set_int(r, P_ID, p->id);
  gen_set_str(r, P_NAME, p->name);
  gen_set_str(r, P_CATEGORY, categories[p->category]);
  gen_set_int(r, P_PRICE, p->price_cents);
  gen_set_int(r, P_STOCK, p->stock);
  gen_set_int(r, P_CREATED, p->created_at);
  gen_set_int(r, P_UPDATED, p->updated_at);
}

/* The opening transaction: the catalogue. */
static int start(shop_t *s, int64_t now) {
  int64_t tx = s->next_tx++;
  for (int i = 0; i < PRODUCT_CNT; i++) {
    product_t *p = &s->products[i];
    p->id = i + 1;
    p->category = i % 8;
    snprintf(p->name, sizeof(p->name), "%s %s %d", adjectives[gen_rand_range(&s->rnd, 0, 4)],
             nouns[p->category], p->id);
    p->price_cents = gen_rand_range(&s->rnd, 199, 24999);
    p->stock = gen_rand_range(&s->rnd, 12, 60);
    p->created_at = p->updated_at = now;
    gen_event_t ev;
    event_init(&ev, T_PRODUCTS, 'c', now, tx);
    product_row(p, &ev.after);
    if (gen_queue_push(&s->out, &ev) != 0)
      return EDDY_ENOMEM;
  }
  s->started = true;
  return 0;
}

static int schedule(shop_t *s, int kind, int64_t due, const int64_t *args, int arg_cnt) {
  gen_action_t a = {.due_us = due, .kind = kind};
  for (int i = 0; i < arg_cnt; i++)
    a.arg[i] = args[i];
  return gen_heap_push(&s->heap, a);
}

static int signup(shop_t *s, int64_t now) {
  int64_t id = s->next_user++;
  const char *first = first_names[gen_rand_range(&s->rnd, 0, 11)];
  const char *last = last_names[gen_rand_range(&s->rnd, 0, 11)];
  char email[GEN_STR_MAX];
  snprintf(email, sizeof(email), "%s.%s%lld@example.com", first, last, (long long)id);
  for (char *c = email; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  gen_event_t ev;
  event_init(&ev, T_USERS, 'c', now, s->next_tx++);
  gen_set_int(&ev.after, U_ID, id);
  gen_set_str(&ev.after, U_EMAIL, email);
  gen_set_str(&ev.after, U_FIRST, first);
  gen_set_str(&ev.after, U_LAST, last);
  gen_set_int(&ev.after, U_CREATED, now);
  gen_set_int(&ev.after, U_UPDATED, now);
  gen_set_str(&ev.after, U_STATUS, "active");
  int64_t args[2] = {id, gen_rand_range(&s->rnd, 3, 12)};
  int rc = gen_queue_push(&s->out, &ev);
  return rc ? rc : schedule(s, A_VIEW, now + gen_rand_range(&s->rnd, 2, 30) * SECOND_US, args, 2);
}


/* Pick up to 4 distinct products in stock and their quantities; @returns the count. */
static int pick_items(shop_t *s, int idx[4], int64_t qty[4]) {
  int want = (int)gen_rand_range(&s->rnd, 1, 4), n = 0;
  for (int tries = 0; tries < 12 && n < want; tries++) {
    int p = (int)gen_rand_range(&s->rnd, 0, PRODUCT_CNT - 1);
    bool dup = false;
    for (int i = 0; i < n; i++)
      dup = dup || idx[i] == p;
    if (dup || s->products[p].stock <= 0)
      continue;
    int64_t q = gen_rand_range(&s->rnd, 1, 3);
    idx[n] = p;
    qty[n] = q < s->products[p].stock ? q : s->products[p].stock;
    n++;
  }
  return n;
}

static int push_item(shop_t *s, int64_t now, int64_t tx, int64_t order_id, const product_t *p,
                     int64_t qty) {
  gen_event_t ev;
  event_init(&ev, T_ITEMS, 'c', now, tx);
  gen_set_int(&ev.after, I_ID, s->next_item++);
  gen_set_int(&ev.after, I_ORDER, order_id);
  gen_set_int(&ev.after, I_PRODUCT, p->id);
  gen_set_int(&ev.after, I_QTY, qty);
  gen_set_int(&ev.after, I_PRICE, p->price_cents);
  gen_set_int(&ev.after, I_CREATED, now);
  return gen_queue_push(&s->out, &ev);
}

/* One stock change of product \p p by \p delta, as an update with the full before row. */
static int push_stock(shop_t *s, int64_t now, int64_t tx, product_t *p, int64_t delta) {
  gen_event_t ev;
  event_init(&ev, T_PRODUCTS, 'u', now, tx);
  ev.has_before = true;
  product_row(p, &ev.before);
  p->stock += delta;
  p->updated_at = now;
  product_row(p, &ev.after);
  return gen_queue_push(&s->out, &ev);
}

static void order_row(const int64_t *a, gen_row_t *r) {
  gen_set_int(r, O_ID, a[0]);
  gen_set_int(r, O_USER, a[1]);
  gen_set_int(r, O_TOTAL, a[2]);
  gen_set_str(r, O_STATUS, statuses[a[3]]);
  gen_set_int(r, O_CREATED, a[4]);
  gen_set_int(r, O_UPDATED, a[5]);
}

static int place_order(shop_t *s, int64_t user, int64_t now) {
  int idx[4];
  int64_t qty[4], total = 0;
  int n = pick_items(s, idx, qty);
  if (n == 0)
    return 0;
  for (int i = 0; i < n; i++)
    total += qty[i] * s->products[idx[i]].price_cents;
  int64_t tx = s->next_tx++;
  int64_t args[6] = {s->next_order++, user, total, 0, now, now};
  gen_event_t ev;
  event_init(&ev, T_ORDERS, 'c', now, tx);
  order_row(args, &ev.after);
  int rc = gen_queue_push(&s->out, &ev);
  for (int i = 0; rc == 0 && i < n; i++)
    rc = push_item(s, now, tx, args[0], &s->products[idx[i]], qty[i]);
  for (int i = 0; rc == 0 && i < n; i++) {
    product_t *p = &s->products[idx[i]];
    rc = push_stock(s, now, tx, p, -qty[i]);
    p->sold += qty[i];
    if (rc == 0 && p->stock <= 5 && !p->restock_pending) {
      int64_t pa[1] = {idx[i]};
      p->restock_pending = true;
      rc = schedule(s, A_RESTOCK, now + gen_rand_range(&s->rnd, 10, 90) * MINUTE_US, pa, 1);
    }
  }
  return rc ? rc : schedule(s, A_ORDER, now + gen_rand_range(&s->rnd, 1, 10) * MINUTE_US, args, 6);
}

/* pending -> processing -> completed | cancelled. */
static int advance_order(shop_t *s, gen_action_t *a, int64_t now) {
  gen_event_t ev;
  event_init(&ev, T_ORDERS, 'u', now, s->next_tx++);
  ev.has_before = true;
  order_row(a->arg, &ev.before);
  a->arg[3] = a->arg[3] == 0 ? 1 : (gen_rand_chance(&s->rnd, 0.85) ? 2 : 3);
  a->arg[5] = now;
  order_row(a->arg, &ev.after);
  int rc = gen_queue_push(&s->out, &ev);
  if (rc == 0 && a->arg[3] == 1)
    rc = schedule(s, A_ORDER, now + gen_rand_range(&s->rnd, 2, 20) * MINUTE_US, a->arg, 6);
  return rc;
}

/* One page view of \p user seen by the database at \p now, made on the client at \p at. */
static int push_view(shop_t *s, int64_t user, int64_t at, int64_t now) {
  static const char *const pages[4] = {"/", "/cart", "/search", "/account"};
  char page[GEN_STR_MAX];
  int64_t r = gen_rand_range(&s->rnd, 0, 9);
  if (r < 5)
    snprintf(page, sizeof(page), "/products/%lld", (long long)gen_rand_range(&s->rnd, 1, 40));
  else if (r < 7)
    snprintf(page, sizeof(page), "/category/%s", categories[gen_rand_range(&s->rnd, 0, 7)]);
  else
    snprintf(page, sizeof(page), "%s", pages[gen_rand_range(&s->rnd, 0, 3)]);
  gen_event_t ev;
  event_init(&ev, T_EVENTS, 'c', now, s->next_tx++);
  gen_set_int(&ev.after, E_ID, s->next_event++);
  gen_set_int(&ev.after, E_USER, user);
  gen_set_str(&ev.after, E_TYPE, "page_view");
  gen_set_str(&ev.after, E_PAGE, page);
  gen_set_int(&ev.after, E_CREATED, at);
  return gen_queue_push(&s->out, &ev);
}

/*
 * The end of a burst: maybe an order, then the idle gap before the next one.
 * A quarter of the gaps between 32 and 58 minutes get a view made offline in
 * their middle and synced a few minutes after the next burst began: its
 * created_at lies within 30 minutes of both bursts, so in event time it
 * merges two sessions that had each been complete.
 */
static int end_burst(shop_t *s, int64_t user, int64_t now) {
  int rc = 0;
  if (gen_rand_chance(&s->rnd, 0.45) && (rc = place_order(s, user, now)) != 0)
    return rc;
  int64_t gap = gen_rand_chance(&s->rnd, 0.4) ? gen_rand_range(&s->rnd, 3 * 60, 28 * 60)
                                               : gen_rand_range(&s->rnd, 32 * 60, 90 * 60);
  int64_t args[3] = {user, gen_rand_range(&s->rnd, 3, 12), 0};
  rc = schedule(s, A_VIEW, now + gap * SECOND_US, args, 2);
  if (rc == 0 && gap >= 32 * 60 && gap <= 58 * 60 && gen_rand_chance(&s->rnd, 0.25)) {
    args[2] = now + gap / 2 * SECOND_US;
    rc = schedule(s, A_LATE_VIEW, now + (gap + gen_rand_range(&s->rnd, 60, 300)) * SECOND_US,
                  args, 3);
  }
  return rc;
}

static int view(shop_t *s, gen_action_t *a, int64_t now) {
  int rc = push_view(s, a->arg[0], now, now);
  if (rc != 0)
    return rc;
  if (--a->arg[1] > 0)
    return schedule(s, A_VIEW, now + gen_rand_range(&s->rnd, 5, 60) * SECOND_US, a->arg, 2);
  return end_burst(s, a->arg[0], now);
}

static int restock(shop_t *s, gen_action_t *a, int64_t now) {
  product_t *p = &s->products[a->arg[0]];
  p->restock_pending = false;
  /* 20 to 60 units, plus 1 to 2 times what sold since the last restock: busy shops
     restock more, so products are in stock most of the time at any event rate. */
  int64_t qty = gen_rand_range(&s->rnd, 20, 60);
  qty += p->sold * gen_rand_range(&s->rnd, 100, 200) / 100;
  p->sold = 0;
  return push_stock(s, now, s->next_tx++, p, qty);
}

static int run(shop_t *s, gen_action_t *a, int64_t now) {
  switch (a->kind) {
  case A_VIEW:
    return view(s, a, now);
  case A_LATE_VIEW:
    return push_view(s, a->arg[0], a->arg[2], now);
  case A_ORDER:
    return advance_order(s, a, now);
  default:
    return restock(s, a, now);
  }
}

#define MAX_USERS 10000000

static int next(void *state, int64_t now, gen_event_t *ev) {
  shop_t *s = state;
  int rc = s->started ? 0 : start(s, now);
  while (rc == 0 && !gen_queue_pop(&s->out, ev)) {
    const gen_action_t *top = gen_heap_top(&s->heap);
    if (top != NULL && (top->due_us <= now || s->next_user > MAX_USERS)) {
      gen_action_t a;
      gen_heap_pop(&s->heap, &a);
      rc = run(s, &a, now);
    } else {
      rc = signup(s, now);
    }
  }
  return rc;
}

const gen_model_t eddy__gen_ecommerce = {
    .name = "ecommerce",
    .default_prefix = "ecommerce",
    .summary = "users, products, orders, order_items, user_events",
    .tables = tables,
    .table_cnt = 5,
    .create = create,
    .destroy = destroy,
    .next = next,
};
