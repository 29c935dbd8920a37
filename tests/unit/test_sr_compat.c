/*
 * The compatibility checker against a table of schema-evolution cases.
 *
 * Each case names an old and a new schema and the two verdicts the Avro
 * specification's "Schema Resolution" section gives:
 *   B: can the NEW schema (reader) read data written with the OLD one?
 *   F: can the OLD schema (reader) read data written with the NEW one?
 * The expected verdict for every mode follows: NONE always passes; BACKWARD
 * needs B, FORWARD needs F, FULL needs both; with a single previous version
 * the _TRANSITIVE modes agree with their plain forms. The reason for each
 * verdict is written beside the case, from the specification's rules.
 */
#include "eddy_test.h"
#include "schema-registry/avro_schema.h"

#define R1(fields) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" fields "]}"
#define F(name, type) "{\"name\":\"" name "\",\"type\":" type "}"
#define FD(name, type, def) "{\"name\":\"" name "\",\"type\":" type ",\"default\":" def "}"
#define ENUM(syms) "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[" syms "]}"
#define ENUMD(syms, def) \
  "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[" syms "],\"default\":\"" def "\"}"

typedef struct {
  const char *what;
  const char *old_schema;
  const char *new_schema;
  bool backward;   /* new reads old */
  bool forward;    /* old reads new */
} evolution_t;

static const evolution_t cases[] = {
    /* Identical schemas resolve trivially. */
    {"same schema", R1(F("a", "\"int\"")), R1(F("a", "\"int\"")), true, true},
    /* Fields match by name; order is irrelevant. */
    {"fields reordered", R1(F("a", "\"int\"") "," F("b", "\"string\"")),
     R1(F("b", "\"string\"") "," F("a", "\"int\"")), true, true},
    /* New reader gets the default; old reader ignores the writer-only field. */
    {"add field with default", R1(F("a", "\"int\"")),
     R1(F("a", "\"int\"") "," FD("b", "\"string\"", "\"x\"")), true, true},
    /* New reader has no value and no default for b. Old reader skips b. */
    {"add field without default", R1(F("a", "\"int\"")),
     R1(F("a", "\"int\"") "," F("b", "\"string\"")), false, true},
    /* New reader skips b; old reader uses b's default. */
    {"remove field with default", R1(F("a", "\"int\"") "," FD("b", "\"int\"", "0")),
     R1(F("a", "\"int\"")), true, true},
    /* New reader skips b; old reader needs b and has no default. */
    {"remove field without default", R1(F("a", "\"int\"") "," F("b", "\"int\"")),
     R1(F("a", "\"int\"")), true, false},
    /* Adding an optional field with a null default resolves both ways. */
    {"add optional field", R1(F("a", "\"int\"")),
     R1(F("a", "\"int\"") "," FD("o", "[\"null\",\"string\"]", "null")), true, true},
    /* int is promoted to long; long cannot be read as int. */
    {"int to long", R1(F("a", "\"int\"")), R1(F("a", "\"long\"")), true, false},
    {"int to float", R1(F("a", "\"int\"")), R1(F("a", "\"float\"")), true, false},
    {"int to double", R1(F("a", "\"int\"")), R1(F("a", "\"double\"")), true, false},
    {"long to float", R1(F("a", "\"long\"")), R1(F("a", "\"float\"")), true, false},
    {"long to double", R1(F("a", "\"long\"")), R1(F("a", "\"double\"")), true, false},
    {"float to double", R1(F("a", "\"float\"")), R1(F("a", "\"double\"")), true, false},
    /* Narrowing: new reader cannot read the wider old type; old reads new by promotion. */
    {"long to int", R1(F("a", "\"long\"")), R1(F("a", "\"int\"")), false, true},
    {"double to float", R1(F("a", "\"double\"")), R1(F("a", "\"float\"")), false, true},
    {"float to int", R1(F("a", "\"float\"")), R1(F("a", "\"int\"")), false, true},
    /* string and bytes promote to each other. */
    {"string to bytes", R1(F("a", "\"string\"")), R1(F("a", "\"bytes\"")), true, true},
    {"bytes to string", R1(F("a", "\"bytes\"")), R1(F("a", "\"string\"")), true, true},
    /* No rule matches int and string, nor boolean and int. */
    {"int to string", R1(F("a", "\"int\"")), R1(F("a", "\"string\"")), false, false},
    {"boolean to int", R1(F("a", "\"boolean\"")), R1(F("a", "\"int\"")), false, false},
    /* New reader knows every old symbol; old reader lacks C and has no default. */
    {"enum add symbol", ENUM("\"A\",\"B\""), ENUM("\"A\",\"B\",\"C\""), true, false},
    /* The old reader's enum default absorbs the unknown symbol C. */
    {"enum add symbol, old has default", ENUMD("\"A\",\"B\"", "A"), ENUM("\"A\",\"B\",\"C\""),
     true, true},
    /* New reader lacks B (no default); old reader knows every new symbol. */
    {"enum remove symbol", ENUM("\"A\",\"B\""), ENUM("\"A\""), false, true},
    /* The new reader's default absorbs B. */
    {"enum remove symbol, new has default", ENUM("\"A\",\"B\""), ENUMD("\"A\"", "A"), true,
     true},
    /* Enums match by unqualified name only. */
    {"enum renamed",
     ENUM("\"A\""), "{\"type\":\"enum\",\"name\":\"F\",\"symbols\":[\"A\"]}", false, false},
    /* Reader union picks the T branch; a null written by the new schema has no
       branch in the old (non-union) reader. */
    {"make field optional", R1(F("a", "\"int\"")), R1(F("a", "[\"null\",\"int\"]")), true,
     false},
    {"make field required", R1(F("a", "[\"null\",\"int\"]")), R1(F("a", "\"int\"")), false,
     true},
    /* Every old branch exists in the new union; long has no branch in the old one. */
    {"union add branch", R1(F("u", "[\"int\",\"string\"]")),
     R1(F("u", "[\"int\",\"string\",\"boolean\"]")), true, false},
    {"union remove branch", R1(F("u", "[\"int\",\"string\",\"boolean\"]")),
     R1(F("u", "[\"int\",\"string\"]")), false, true},
    /* Branch resolution uses promotion: int in the old union reads as long. */
    {"union branch promoted", R1(F("u", "[\"null\",\"int\"]")), R1(F("u", "[\"null\",\"long\"]")),
     true, false},
    /* A writer union against a non-union reader: every branch must resolve. */
    {"union to single type", "[\"int\",\"string\"]", "\"int\"", false, true},
    /* Nested records resolve recursively. */
    {"nested add field with default",
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[" F("x", "\"int\"") "]}")),
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[" F("x", "\"int\"") "," FD(
                   "y", "\"int\"", "1") "]}")),
     true, true},
    {"nested add field without default",
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[" F("x", "\"int\"") "]}")),
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[" F("x", "\"int\"") "," F(
                   "y", "\"int\"") "]}")),
     false, true},
    /* Records match by unqualified name. */
    {"nested record renamed",
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[]}")),
     R1(F("n", "{\"type\":\"record\",\"name\":\"M\",\"fields\":[]}")), false, false},
    /* A reader alias may name the writer's type; the old reader has no alias. */
    {"record renamed with alias",
     R1(F("n", "{\"type\":\"record\",\"name\":\"N\",\"fields\":[]}")),
     R1(F("n", "{\"type\":\"record\",\"name\":\"M\",\"aliases\":[\"N\"],\"fields\":[]}")), true,
     false},
    /* Namespaces do not take part in matching: unqualified names are equal. */
    {"namespace changed",
     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":[" F("x", "\"int\"") "]}",
     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"b\",\"fields\":[" F("x", "\"int\"") "]}",
     true, true},
    /* A renamed field is a removed field plus an added one, neither with default. */
    {"field renamed", R1(F("a", "\"int\"")), R1(F("b", "\"int\"")), false, false},
    /* A reader field alias names the writer's field; the old reader lacks it. */
    {"field renamed with alias", R1(F("a", "\"int\"")),
     R1("{\"name\":\"b\",\"type\":\"int\",\"aliases\":[\"a\"]}"), true, false},
    /* Arrays and maps resolve their items and values. */
    {"array items int to long", "{\"type\":\"array\",\"items\":\"int\"}",
     "{\"type\":\"array\",\"items\":\"long\"}", true, false},
    {"map values string to int", "{\"type\":\"map\",\"values\":\"string\"}",
     "{\"type\":\"map\",\"values\":\"int\"}", false, false},
    {"array to map", "{\"type\":\"array\",\"items\":\"int\"}",
     "{\"type\":\"map\",\"values\":\"int\"}", false, false},
    {"array of records add field without default",
     "{\"type\":\"array\",\"items\":" R1(F("a", "\"int\"")) "}",
     "{\"type\":\"array\",\"items\":" R1(F("a", "\"int\"") "," F("b", "\"int\"")) "}", false,
     true},
    /* Fixed needs the same name and size. */
    {"fixed same", "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}",
     "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}", true, true},
    {"fixed size changed", "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}",
     "{\"type\":\"fixed\",\"name\":\"X\",\"size\":32}", false, false},
    /* Logical types resolve by their underlying type ... */
    {"timestamp-millis added to long", R1(F("t", "\"long\"")),
     R1(F("t", "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}")), true, true},
    {"date removed from int", R1(F("d", "{\"type\":\"int\",\"logicalType\":\"date\"}")),
     R1(F("d", "\"int\"")), true, true},
    /* ... except decimals, which match only with equal precision and scale. */
    {"decimal precision changed",
     R1(F("m", "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}")),
     R1(F("m", "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":2}")),
     false, false},
    {"decimal unchanged",
     R1(F("m", "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}")),
     R1(F("m", "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}")),
     true, true},
    /* Recursive types: the walk terminates and sees the added field's default. */
    {"recursive list add field with default",
     "{\"type\":\"record\",\"name\":\"L\",\"fields\":[" F("v", "\"int\"") "," F(
         "next", "[\"null\",\"L\"]") "]}",
     "{\"type\":\"record\",\"name\":\"L\",\"fields\":[" F("v", "\"int\"") "," F(
         "next", "[\"null\",\"L\"]") "," FD("w", "\"int\"", "0") "]}",
     true, true},
};

static eddy_sr_schema_t *parse(const char *text) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  if (eddy_sr_schema_parse(&s, text, strlen(text), &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "cannot parse %s: %s", text, eddy_error_msg(err));
  return s;
}

static bool expected_for(eddy_sr_compat_t level, const evolution_t *c) {
  switch (level) {
  case EDDY_SR_COMPAT_NONE: return true;
  case EDDY_SR_COMPAT_BACKWARD:
  case EDDY_SR_COMPAT_BACKWARD_TRANSITIVE: return c->backward;
  case EDDY_SR_COMPAT_FORWARD:
  case EDDY_SR_COMPAT_FORWARD_TRANSITIVE: return c->forward;
  default: return c->backward && c->forward;
  }
}

EDDY_TEST(compat_table_every_mode) {
  int checked = 0;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    eddy_sr_schema_t *old_s = parse(cases[i].old_schema), *new_s = parse(cases[i].new_schema);
    const eddy_sr_schema_t *prev[1] = {old_s};
    for (int l = EDDY_SR_COMPAT_NONE; l <= EDDY_SR_COMPAT_FULL_TRANSITIVE; l++) {
      eddy_sr_msgs_t why = {0};
      bool got = eddy_sr_compat_check((eddy_sr_compat_t)l, new_s, prev, 1, NULL, &why);
      bool want = expected_for((eddy_sr_compat_t)l, &cases[i]);
      if (got != want)
        eddy_test_fail(__FILE__, __LINE__, "case '%s' mode %s: expected %s, got %s (%s)",
                       cases[i].what, eddy_sr_compat_name((eddy_sr_compat_t)l),
                       want ? "compatible" : "incompatible", got ? "compatible" : "incompatible",
                       why.cnt ? why.items[0] : "no message");
      /* an incompatible verdict always says why */
      ASSERT_EQ(!got, why.cnt > 0);
      eddy_sr_msgs_free(&why);
      checked++;
    }
    eddy_sr_schema_destroy(old_s);
    eddy_sr_schema_destroy(new_s);
  }
  ASSERT_TRUE(sizeof(cases) / sizeof(cases[0]) >= 25);
  ASSERT_EQ(7 * (int)(sizeof(cases) / sizeof(cases[0])), checked);
  EDDY_ASSERT_NO_LEAKS();
}

/* v1 {a}, v2 adds b with a default, v3 drops b's default: v3 reads v2 (b is
   there) but not v1 (b missing, no default). */
EDDY_TEST(compat_backward_transitive_sees_older_versions) {
  eddy_sr_schema_t *v1 = parse(R1(F("a", "\"int\"")));
  eddy_sr_schema_t *v2 = parse(R1(F("a", "\"int\"") "," FD("b", "\"string\"", "\"\"")));
  eddy_sr_schema_t *v3 = parse(R1(F("a", "\"int\"") "," F("b", "\"string\"")));
  const eddy_sr_schema_t *prev[2] = {v1, v2};
  int failed_at = 99;
  ASSERT_TRUE(eddy_sr_compat_check(EDDY_SR_COMPAT_BACKWARD, v3, prev, 2, &failed_at, NULL));
  ASSERT_EQ(-1, failed_at);
  ASSERT_FALSE(eddy_sr_compat_check(EDDY_SR_COMPAT_BACKWARD_TRANSITIVE, v3, prev, 2, &failed_at,
                                    NULL));
  ASSERT_EQ(0, failed_at);
  ASSERT_FALSE(eddy_sr_compat_check(EDDY_SR_COMPAT_FULL_TRANSITIVE, v3, prev, 2, NULL, NULL));
  ASSERT_TRUE(eddy_sr_compat_check(EDDY_SR_COMPAT_FORWARD_TRANSITIVE, v3, prev, 2, NULL, NULL));
  eddy_sr_schema_destroy(v1);
  eddy_sr_schema_destroy(v2);
  eddy_sr_schema_destroy(v3);
  EDDY_ASSERT_NO_LEAKS();
}

/* v1 has c without default, v2 gives c a default, v3 removes c: v2 can read
   v3 (default) but v1 cannot (c missing, no default). */
EDDY_TEST(compat_forward_transitive_sees_older_versions) {
  eddy_sr_schema_t *v1 = parse(R1(F("a", "\"int\"") "," F("c", "\"int\"")));
  eddy_sr_schema_t *v2 = parse(R1(F("a", "\"int\"") "," FD("c", "\"int\"", "0")));
  eddy_sr_schema_t *v3 = parse(R1(F("a", "\"int\"")));
  const eddy_sr_schema_t *prev[2] = {v1, v2};
  int failed_at = 99;
  ASSERT_TRUE(eddy_sr_compat_check(EDDY_SR_COMPAT_FORWARD, v3, prev, 2, &failed_at, NULL));
  ASSERT_TRUE(eddy_sr_compat_check(EDDY_SR_COMPAT_FULL, v3, prev, 2, NULL, NULL));
  ASSERT_FALSE(eddy_sr_compat_check(EDDY_SR_COMPAT_FORWARD_TRANSITIVE, v3, prev, 2, &failed_at,
                                    NULL));
  ASSERT_EQ(0, failed_at);
  ASSERT_TRUE(eddy_sr_compat_check(EDDY_SR_COMPAT_BACKWARD_TRANSITIVE, v3, prev, 2, NULL, NULL));
  eddy_sr_schema_destroy(v1);
  eddy_sr_schema_destroy(v2);
  eddy_sr_schema_destroy(v3);
  EDDY_ASSERT_NO_LEAKS();
}

static bool contains(const eddy_sr_msgs_t *m, const char *needle) {
  for (int i = 0; i < m->cnt; i++)
    if (strstr(m->items[i], needle) != NULL)
      return true;
  return false;
}

EDDY_TEST(compat_messages_say_why) {
  eddy_sr_schema_t *old_s = parse(R1(F("a", "\"int\"") "," F("e", ENUM("\"A\",\"B\""))));
  eddy_sr_schema_t *new_s = parse(R1(F("a", "\"string\"") "," F("e", ENUM("\"A\"")) "," F(
      "z", "\"int\"")));
  eddy_sr_msgs_t why = {0};
  ASSERT_FALSE(eddy_sr_compat_can_read(eddy_sr_schema_root(new_s), eddy_sr_schema_root(old_s),
                                       "new", "old", &why));
  ASSERT_EQ(3, why.cnt);
  ASSERT_TRUE(contains(&why, "READER_FIELD_MISSING_DEFAULT_VALUE"));
  ASSERT_TRUE(contains(&why, "The field 'z' at path '/fields/2'"));
  ASSERT_TRUE(contains(&why, "TYPE_MISMATCH"));
  ASSERT_TRUE(contains(&why, "'/fields/0/type'"));
  ASSERT_TRUE(contains(&why, "MISSING_ENUM_SYMBOLS"));
  ASSERT_TRUE(contains(&why, "[B]"));
  eddy_sr_msgs_free(&why);
  eddy_sr_schema_destroy(old_s);
  eddy_sr_schema_destroy(new_s);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(compat_level_names_round_trip) {
  for (int l = EDDY_SR_COMPAT_NONE; l <= EDDY_SR_COMPAT_FULL_TRANSITIVE; l++) {
    eddy_sr_compat_t back;
    ASSERT_OK(eddy_sr_compat_parse(eddy_sr_compat_name((eddy_sr_compat_t)l), &back));
    ASSERT_EQ(l, back);
  }
  eddy_sr_compat_t x;
  ASSERT_OK(eddy_sr_compat_parse("full_transitive", &x));
  ASSERT_EQ(EDDY_SR_COMPAT_FULL_TRANSITIVE, x);
  ASSERT_EQ(EDDY_EINVAL, eddy_sr_compat_parse("SIDEWAYS", &x));
  ASSERT_EQ(EDDY_EINVAL, eddy_sr_compat_parse(NULL, &x));
}
