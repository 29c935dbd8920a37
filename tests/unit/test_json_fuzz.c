/*
 * Random mutations of valid Debezium events (fixed seed, 100k iterations):
 * flipped bits, replaced, inserted and deleted bytes, truncations and
 * duplicated slices. Every result must be success, EDDY_EDECODE or (for a
 * null payload) EDDY_ENOENT, never a crash, a leak or a read past the
 * message (each message sits in an exactly-sized heap buffer; run the
 * sanitizer build to check the last point).
 *
 * cJSON, an independent parser, is the oracle: whatever eddy accepts must
 * be JSON that cJSON accepts too, and the values eddy extracted must equal
 * what cJSON finds at the same paths.
 */
#include <cJSON.h>
#include <math.h>

#include "test_serde_fixture.h"

enum { OP, TS_MS, A_ID, A_STATUS, A_AMOUNT, S_TABLE, B_ID, N_FIELDS };

static const eddy_field_t fields[N_FIELDS] = {
  [OP] = {"op", T_STR},
  [TS_MS] = {"ts_ms", T_TS},
  [A_ID] = {"after.id", T_INT},
  [A_STATUS] = {"after.status", T_STR},
  [A_AMOUNT] = {"after.total_amount", T_DEC(10, 2)},
  [S_TABLE] = {"source.table", T_STR},
  [B_ID] = {"before.id", T_INT},
};

/* A plain-JSON view of the same bytes: untyped and nested types. */
static const eddy_type_t any_type = T_ANY;
static const eddy_field_t json_fields[] = {
  {"after", T_ANY},
  {"after.tags", {.kind = EDDY_T_ARRAY, .elem = &any_type}},
  {"payload.after.created_at", T_TS},
  {"source", T_ANY},
  {"payload", T_ANY},
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static const char *const tokens[] = {
  "\"", "\\", "\\u", "\\ud800", "\\udc00", "{", "}", "[", "]", ":", ",", "null", "true",
  "1e999", "-", "0", ".5", "\xff", "\xc3", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "\x01", " ",
  "\"after\":null,", "\"op\":\"d\",", "[[[[[[[[", "}}}}", "\"schema\":", "\"payload\":",
  "\"BOI=\"", "9223372036854775808", "\\\"", "\\n",
};

/* Apply one random mutation to buf (len bytes, capacity cap). @returns the new length. */
static size_t mutate(char *buf, size_t len, size_t cap) {
  size_t at = rnd_below(len + 1), n;
  switch (rnd_below(7)) {
  case 0: /* flip a bit */
    if (len)
      buf[rnd_below(len)] ^= (char)(1u << rnd_below(8));
    return len;
  case 1: /* replace a byte */
    if (len)
      buf[rnd_below(len)] = (char)rnd();
    return len;
  case 2: /* insert a token */ {
    const char *t = tokens[rnd_below(sizeof(tokens) / sizeof(tokens[0]))];
    n = strlen(t);
    if (len + n > cap)
      return len;
    memmove(buf + at + n, buf + at, len - at);
    memcpy(buf + at, t, n);
    return len + n;
  }
  case 3: /* delete a range */
    n = rnd_below(len - (at < len ? at : len) + 1);
    if (n > 16)
      n = 1 + n % 16;
    if (at + n > len)
      return len;
    memmove(buf + at, buf + at + n, len - at - n);
    return len - n;
  case 4: /* truncate */
    return at;
  case 5: /* duplicate a slice */ {
    size_t from = rnd_below(len + 1);
    n = rnd_below(len - from + 1);
    if (n > 64)
      n = 64;
    if (len + n > cap)
      return len;
    char tmp[64];
    memcpy(tmp, buf + from, n);
    memmove(buf + at + n, buf + at, len - at);
    memcpy(buf + at, tmp, n);
    return len + n;
  }
  default: /* swap two bytes */
    if (len > 1) {
      size_t a = rnd_below(len), b = rnd_below(len);
      char c = buf[a];
      buf[a] = buf[b];
      buf[b] = c;
    }
    return len;
  }
}

/* ---- the oracle -------------------------------------------------------- */

static bool key_is(const cJSON *item, const char *k) {
  return item->string != NULL && strcmp(item->string, k) == 0;
}

/* The member eddy reads at k1.k2 (k2 may be NULL): the last occurrence
 * wins, and members of repeated k1 objects accumulate. NULL when absent. */
static const cJSON *member(const cJSON *obj, const char *k1, const char *k2) {
  const cJSON *found = NULL;
  for (const cJSON *a = obj->child; a != NULL; a = a->next) {
    if (!key_is(a, k1))
      continue;
    if (k2 == NULL) {
      found = a;
      continue;
    }
    if (!cJSON_IsObject(a))
      continue;
    for (const cJSON *b = a->child; b != NULL; b = b->next)
      if (key_is(b, k2))
        found = b;
  }
  return found;
}

static void check_string(const eddy_value_t *v, const cJSON *j, const char *name) {
  if (j == NULL || cJSON_IsNull(j)) {
    if (v->kind != EDDY_T_NULL)
      eddy_test_fail(__FILE__, __LINE__, "%s: eddy has a value, cJSON none", name);
    return;
  }
  if (!cJSON_IsString(j) || v->kind != EDDY_T_STRING)
    eddy_test_fail(__FILE__, __LINE__, "%s: kinds differ (eddy %d)", name, v->kind);
  if (memchr(v->u.s, '\0', v->len) != NULL)
    return; /* cJSON's strings end at an escaped NUL */
  if (strlen(j->valuestring) != v->len || memcmp(j->valuestring, v->u.s, v->len) != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s: eddy \"%.*s\", cJSON \"%s\"", name, (int)v->len,
                   v->u.s, j->valuestring);
}

/* Numbers are compared where a double holds them exactly. */
static void check_number(const eddy_value_t *v, const cJSON *j, int64_t mul, const char *name) {
  if (j == NULL || cJSON_IsNull(j)) {
    if (v->kind != EDDY_T_NULL)
      eddy_test_fail(__FILE__, __LINE__, "%s: eddy has a value, cJSON none", name);
    return;
  }
  if (!cJSON_IsNumber(j) || v->kind == EDDY_T_NULL)
    eddy_test_fail(__FILE__, __LINE__, "%s: kinds differ (eddy %d)", name, v->kind);
  double d = j->valuedouble;
  if (fabs(d) < 9e15 / (double)mul && (double)(int64_t)d == d && d * (double)mul != (double)v->u.i)
    eddy_test_fail(__FILE__, __LINE__, "%s: eddy %" PRId64 ", cJSON %.17g", name, v->u.i, d);
}

/* Numbers longer than 63 characters exceed cJSON's number buffer. */
static bool has_long_number(const char *p, size_t len) {
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    run = strchr("0123456789+-eE.", p[i]) && p[i] ? run + 1 : 0;
    if (run >= 60)
      return true;
  }
  return false;
}

static void oracle(const fx_t *fx, const char *p, size_t len) {
  if (has_long_number(p, len))
    return;
  char *z = malloc(len + 1);
  memcpy(z, p, len);
  z[len] = '\0';
  cJSON *root = cJSON_ParseWithLengthOpts(z, len + 1, NULL, 1);
  if (root == NULL)
    eddy_test_fail(__FILE__, __LINE__, "eddy accepted what cJSON rejects: %.*s", (int)len, p);
  const cJSON *env = root;
  if (cJSON_IsObject(root) && root->child &&
      (key_is(root->child, "schema") || key_is(root->child, "payload"))) {
    env = NULL;
    for (const cJSON *c = root->child; c && env == NULL; c = c->next)
      if (key_is(c, "payload"))
        env = c;
  }
  if (fx->rc == 0 && env != NULL && cJSON_IsObject(env)) {
    check_string(&fx->vals[OP], member(env, "op", NULL), "op");
    check_string(&fx->vals[A_STATUS], member(env, "after", "status"), "after.status");
    check_string(&fx->vals[S_TABLE], member(env, "source", "table"), "source.table");
    check_number(&fx->vals[A_ID], member(env, "after", "id"), 1, "after.id");
    check_number(&fx->vals[B_ID], member(env, "before", "id"), 1, "before.id");
    check_number(&fx->vals[TS_MS], member(env, "ts_ms", NULL), 1000, "ts_ms");
  }
  cJSON_Delete(root);
  free(z);
}

/* ---- the run ----------------------------------------------------------- */

static const char *const seed_files[] = {
  "debezium/orders_create_schemas_off.json",
  "debezium/orders_snapshot_schemas_off.json",
  "debezium/orders_update_schemas_on.json",
  "debezium/products_create_scale3_schemas_on.json",
};

static void check_message(const fx_t *fx, size_t len) {
  const char *m = fx->err->msg, *at = strstr(m, "at byte ");
  if (at != NULL && strtoull(at + 8, NULL, 10) > len)
    eddy_test_fail(__FILE__, __LINE__, "offset past the end (%zu bytes): %s", len, m);
}

EDDY_TEST(fuzz_mutated_debezium_events) {
  enum { SEEDS = sizeof(seed_files) / sizeof(seed_files[0]), ITERATIONS = 100000 };
  char *seed[SEEDS];
  size_t seed_len[SEEDS], cap = 0;
  for (int i = 0; i < SEEDS; i++) {
    seed[i] = fx_read_file(seed_files[i], &seed_len[i]);
    cap = seed_len[i] > cap ? seed_len[i] : cap;
  }
  cap += 1024;
  char *buf = malloc(cap);
  fx_t fx, js;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, fields, N_FIELDS);
  fx_open(&js, EDDY_FMT_JSON, json_fields, 5);
  long ok = 0, bad = 0, tomb = 0;
  for (int it = 0; it < ITERATIONS; it++) {
    int s = (int)rnd_below(SEEDS);
    size_t len = seed_len[s];
    memcpy(buf, seed[s], len);
    for (size_t m = 1 + rnd_below(3); m > 0; m--)
      len = mutate(buf, len, cap);
    int rc = fx_decode_n(&fx, buf, len);
    if (rc == 0) {
      ok++;
      oracle(&fx, buf, len);
    } else if (rc == EDDY_EDECODE) {
      bad++;
      check_message(&fx, len);
    } else if (rc == EDDY_ENOENT) {
      tomb++;
    } else {
      eddy_test_fail(__FILE__, __LINE__, "iteration %d: rc %d", it, rc);
    }
    rc = fx_decode_n(&js, buf, len);
    ASSERT_TRUE(rc == 0 || rc == EDDY_EDECODE || rc == EDDY_ENOENT);
  }
  fprintf(stderr, "fuzz: %ld decoded, %ld rejected, %ld tombstones\n", ok, bad, tomb);
  /* The mutations must exercise both outcomes substantially. */
  ASSERT_TRUE(ok > ITERATIONS / 20);
  ASSERT_TRUE(bad > ITERATIONS / 4);
  fx_close(&fx);
  fx_close(&js);
  free(buf);
  for (int i = 0; i < SEEDS; i++)
    free(seed[i]);
  EDDY_ASSERT_NO_LEAKS();
}
