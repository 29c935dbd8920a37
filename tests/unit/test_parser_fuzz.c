/*
 * The compiler never crashes on garbage: random bytes, random soups of DSL
 * tokens and random mutations of valid programs (fixed seeds, 10,000 cases
 * each) produce either a plan or exactly one error diagnostic with a valid
 * location, and never leak. Run under ASan/UBSan in the sanitizer build.
 */
#include "dsl/dsl.h"
#include "eddy/error.h"
#include "eddy_test.h"

#define CASES 10000

static uint64_t rng_state;

static uint64_t rnd(void) {   /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

typedef struct {
  int errors, warnings;
  bool bad_location;
  eddy_buf_t text;
} observed_t;

static void observe(void *opaque, const eddy_diag_t *d) {
  observed_t *o = opaque;
  if (d->severity == EDDY_DIAG_ERROR)
    o->errors++;
  else
    o->warnings++;
  if (d->message == NULL || d->message[0] == '\0' || d->file == NULL)
    o->bad_location = true;
  if (d->line != 0 && (d->col < 1 || d->line_text == NULL || d->col > d->line_len + 1 ||
                       d->span < 1))
    o->bad_location = true;
  eddy_diag_format(d, &o->text);   /* formatting must cope too */
}

static void compile_one(const char *text, size_t len, int *ok_cnt) {
  observed_t o = {0};
  eddy_topology_t *topo = NULL;
  int rc = eddy_topology_compile(&topo, "fuzz.eddy", text, len, observe, &o);
  if (rc == 0) {
    ASSERT_TRUE(topo != NULL);
    ASSERT_EQ(0, o.errors);
    eddy_buf_t out = {0};
    ASSERT_OK(eddy_plan_describe(eddy_topology_plan(topo), &out));
    ASSERT_OK(eddy_plan_describe_dot(eddy_topology_plan(topo), &out));
    eddy_buf_free(&out);
    (*ok_cnt)++;
  } else {
    ASSERT_TRUE(topo == NULL);
    ASSERT_TRUE(rc == EDDY_EPARSE || rc == EDDY_ETYPE);
    if (o.errors != 1)
      eddy_test_fail(__FILE__, __LINE__, "%d errors for:\n%.*s\n%.*s", o.errors, (int)len, text,
                     (int)o.text.len, o.text.p);
  }
  ASSERT_FALSE(o.bad_location);
  eddy_topology_destroy(topo);
  eddy_buf_free(&o.text);
}

EDDY_TEST(fuzz_random_bytes) {
  rng_state = 0x9e3779b97f4a7c15ULL;
  char buf[256];
  int ok = 0;
  for (int i = 0; i < CASES; i++) {
    size_t len = below(sizeof(buf));
    for (size_t j = 0; j < len; j++) {
      uint32_t r = below(10);   /* mostly printable, sometimes anything */
      buf[j] = r < 7 ? (char)(32 + below(95)) : r < 9 ? "\n\"|().,`#-"[below(10)] : (char)below(256);
    }
    compile_one(buf, len, &ok);
  }
  EDDY_ASSERT_NO_LEAKS();
}

static const char *const vocabulary[] = {
    "stream", "table", "global", "app", "from", "format", "schema", "key", "event-time", "on",
    "error", "dlq", "skip", "fail", "decimal", "precise", "debezium-json", "json", "string",
    "avro", "debezium-avro", "int", "bigint", "double", "bool", "bytes", "date", "timestamp",
    "array", "struct", "where", "select", "flatten", "as", "by", "merge", "check", "else", "to",
    "kafka", "stdout", "postgres", "group", "window", "tumbling", "hopping", "session", "gap",
    "advance", "grace", "aggregate", "emit", "final", "changes", "join", "left", "outer",
    "within", "over", "rows", "range", "preceding", "exclude", "current", "dedupe", "of",
    "and", "or", "not", "is", "null", "in", "true", "false", "case", "when", "then", "end",
    "cast", "rowtime", "headers", "orders", "o2", "x", "id", "amount", "tags", "after",
    "before", "after.amount", "after.id", "item", "lower", "length", "round", "coalesce",
    "sum", "count", "|", ",", ".", "(", ")", "[", "]", "<", "<=", ">", ">=", "==", "!=", "=",
    "+", "-", "*", "/", "%", "0", "1", "42", "12.50", "1.5e3", "-7", "500ms", "30s", "5m",
    "\"o\"", "\"orders\"", "\"x\"", "\"2024-01-01T00:00:00Z\"", "`id`", "\n", "# c\n", "<", ">",
};

static const char *const prefixes[] = {
    "",
    "stream orders from \"o\" format debezium-json schema (id int, amount decimal(10,2), "
    "tags array<string>, ts timestamp(3))\n",
    "stream orders from \"o\" format json schema (id int, amount decimal(10,2), "
    "tags array<struct<id int, name string>>)\nstream o2 from \"p\" format json schema "
    "(id int, amount decimal(10,2), tags array<struct<id int, name string>>)\n",
};

EDDY_TEST(fuzz_token_soup) {
  rng_state = 0x2545f4914f6cdd1dULL;
  size_t nvocab = sizeof(vocabulary) / sizeof(vocabulary[0]);
  eddy_buf_t b = {0};
  int ok = 0;
  for (int i = 0; i < CASES; i++) {
    eddy_buf_clear(&b);
    eddy_buf_puts(&b, prefixes[below(3)]);
    if (below(2) == 0)
      eddy_buf_puts(&b, below(2) ? "orders | " : "x = orders | ");
    uint32_t n = 1 + below(40);
    for (uint32_t j = 0; j < n; j++) {
      eddy_buf_puts(&b, vocabulary[below((uint32_t)nvocab)]);
      eddy_buf_putc(&b, ' ');
    }
    if (below(2) == 0)
      eddy_buf_puts(&b, "| to stdout");
    compile_one(b.p, b.len, &ok);
  }
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

static const char *const seeds[] = {
    "app shop\n"
    "stream orders from \"ecommerce.public.orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total decimal(10,2), status string,\n"
    "          items array<struct<sku string, qty int>>, updated_at timestamp)\n"
    "  event-time after.updated_at key after.order_id on error skip\n"
    "valid = orders | check after.total >= 0 else \"negative total\"\n"
    "done = valid | where after.status == \"completed\" and before.status != \"completed\"\n"
    "  | select order_id = after.order_id, amount = after.total * 1.2, k = key, t = rowtime\n"
    "done | to kafka \"orders.done\" key order_id\n"
    "valid | flatten after.items as item | select sku = item.sku, n = item.qty\n"
    "  | key by sku | to postgres sku_counts key (sku)\n",
    "stream a from \"a\" format json schema (id int, v double, s string)\n"
    "stream b from \"b\" format json schema (id int, v double, s string)\n"
    "both = a | merge b\n"
    "both | where v > 1.5e3 or s in (\"x\", \"y\") and not s is null\n"
    "  | select id, c = case when v > 1 then \"big\" else \"small\" end, l = length(s)\n"
    "  | to stdout\n",
};

EDDY_TEST(fuzz_mutated_programs) {
  rng_state = 0x853c49e6748fea9bULL;
  eddy_buf_t b = {0};
  int ok = 0;
  for (int i = 0; i < CASES; i++) {
    const char *seed = seeds[below(2)];
    eddy_buf_clear(&b);
    eddy_buf_puts(&b, seed);
    uint32_t edits = 1 + below(4);
    for (uint32_t e = 0; e < edits && b.len > 0; e++) {
      size_t at = below((uint32_t)b.len);
      uint32_t kind = below(3);
      if (kind == 0) {          /* delete a short run */
        size_t n = 1 + below(8);
        n = at + n > b.len ? b.len - at : n;
        memmove(b.p + at, b.p + at + n, b.len - at - n);
        b.len -= n;
      } else if (kind == 1) {   /* overwrite a byte */
        b.p[at] = "()|.,\"=<>x1 \n-`#"[below(16)];
      } else {                  /* duplicate a run */
        size_t n = 1 + below(12);
        n = at + n > b.len ? b.len - at : n;
        char tmp[16];
        memcpy(tmp, b.p + at, n);
        eddy_buf_reserve(&b, n);
        memmove(b.p + at + n, b.p + at, b.len - at);
        memcpy(b.p + at, tmp, n);
        b.len += n;
      }
    }
    compile_one(b.p, b.len, &ok);
  }
  fprintf(stderr, "%d of %d mutated programs still compile\n", ok, CASES);
  ASSERT_TRUE(ok > 0);   /* the mutations reach the checker and planner too */
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}
