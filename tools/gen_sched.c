/* `eddy gen`: the action heap and event queue the models schedule with. */
#include <string.h>

#include "tools/gen.h"

void gen_set_str(gen_row_t *r, int col, const char *s) {
  size_t n = strlen(s);
  if (n >= GEN_STR_MAX)
    n = GEN_STR_MAX - 1;
  memcpy(r->v[col].s, s, n);
  r->v[col].s[n] = '\0';
  r->v[col].null = false;
}

static bool before(const gen_action_t *a, const gen_action_t *b) {
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void swap(gen_action_t *a, gen_action_t *b) {
  gen_action_t t = *a;
  *a = *b;
  *b = t;
}

int gen_heap_push(gen_heap_t *h, gen_action_t a) {
  if (h->cnt == h->cap) {
    int cap = h->cap ? h->cap * 2 : 64;
    gen_action_t *n = eddy_realloc(h->items, (size_t)cap * sizeof(*n));
    if (n == NULL)
      return EDDY_ENOMEM;
    h->items = n;
    h->cap = cap;
  }
  a.seq = h->next_seq++;
  int i = h->cnt++;
  h->items[i] = a;
  while (i > 0 && before(&h->items[i], &h->items[(i - 1) / 2])) {
    swap(&h->items[i], &h->items[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  return 0;
}

const gen_action_t *gen_heap_top(const gen_heap_t *h) {
  return h->cnt > 0 ? &h->items[0] : NULL;
}

void gen_heap_pop(gen_heap_t *h, gen_action_t *out) {
  *out = h->items[0];
  h->items[0] = h->items[--h->cnt];
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->cnt && before(&h->items[l], &h->items[m]))
      m = l;
    if (r < h->cnt && before(&h->items[r], &h->items[m]))
      m = r;
    if (m == i)
      break;
    swap(&h->items[i], &h->items[m]);
    i = m;
  }
}

void gen_heap_free(gen_heap_t *h) {
  eddy_free(h->items);
  memset(h, 0, sizeof(*h));
}

int gen_queue_push(gen_queue_t *q, const gen_event_t *ev) {
  if (q->cnt == q->cap) {
    int cap = q->cap ? q->cap * 2 : 16;
    gen_event_t *n = eddy_malloc((size_t)cap * sizeof(*n));
    if (n == NULL)
      return EDDY_ENOMEM;
    for (int i = 0; i < q->cnt; i++)
      n[i] = q->items[(q->head + i) % q->cap];
    eddy_free(q->items);
    q->items = n;
    q->head = 0;
    q->cap = cap;
  }
  q->items[(q->head + q->cnt) % q->cap] = *ev;
  q->cnt++;
  return 0;
}

bool gen_queue_pop(gen_queue_t *q, gen_event_t *out) {
  if (q->cnt == 0)
    return false;
  *out = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->cnt--;
  return true;
}

void gen_queue_free(gen_queue_t *q) {
  eddy_free(q->items);
  memset(q, 0, sizeof(*q));
}
