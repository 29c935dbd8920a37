/*
 * Golden tests for the topology compiler, in the style of jq.test:
 *
 * tests/dsl/NAME.test files hold cases separated by lines starting with "%%":
 *
 *   %%FAIL                  a topology that must not compile; after
 *   <topology lines>        %%EXPECT come the exact first lines of the
 *   %%EXPECT                diagnostics (file named test.eddy), with
 *   <expected output>       line:col, the source line and the caret,
 *                           up to a blank line
 *
 *   %%OK                    a topology that must compile; an optional
 *   <topology lines>        %%EXPECT lists its warnings exactly
 *
 * docs/dsl.md: every ```eddy block must compile; a ```eddy fail block must
 * fail, and the ```text block right after it holds the expected first
 * lines of the diagnostics (file named example.eddy). So the docs'
 * examples are tested.
 */
#include <dirent.h>

#include "dsl/dsl.h"
#include "eddy/error.h"
#include "eddy_test.h"

typedef struct {
  const char *origin;      /* "errors.test:12" for messages */
  bool expect_ok;
  const char *file;        /* the name the topology is compiled under */
  char *text;
  char *expected;          /* NULL: not checked */
} golden_case_t;

static void collect(void *opaque, const eddy_diag_t *d) {
  eddy_diag_format(d, opaque);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  eddy_buf_t b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    eddy_buf_append(&b, chunk, n);
  fclose(f);
  char *s = eddy_strndup(b.p ? b.p : "", b.len);
  eddy_buf_free(&b);
  return s;
}

/* Strip trailing newlines/spaces so that blank lines between cases don't matter. */
static void rtrim(eddy_buf_t *b) {
  while (b->len > 0 && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == ' '))
    b->len--;
}

/* @returns 0 when the case passes, 1 (with a report on stderr) otherwise. */
static int run_case(const golden_case_t *gc) {
  eddy_buf_t out = {0};
  eddy_topology_t *topo = NULL;
  int rc = eddy_topology_compile(&topo, gc->file, gc->text, strlen(gc->text), collect, &out);
  eddy_topology_destroy(topo);
  int failed = 0;
  if ((rc == 0) != gc->expect_ok) {
    fprintf(stderr, "%s: expected %s, got rc=%d:\n%.*s\n", gc->origin,
            gc->expect_ok ? "success" : "an error", rc, (int)out.len, out.p ? out.p : "");
    failed = 1;
  } else if (gc->expected != NULL) {
    size_t n = strlen(gc->expected);
    bool prefix = out.len >= n && memcmp(out.p, gc->expected, n) == 0 &&
                  (out.len == n || out.p[n] == '\n');
    rtrim(&out);
    /* errors: the first lines must match; warnings of an OK case: all of them */
    if (!prefix || (gc->expect_ok && out.len != n)) {
      fprintf(stderr, "%s: diagnostics differ\n--- expected\n%s\n--- got\n%.*s\n", gc->origin,
              gc->expected, (int)out.len, out.p ? out.p : "");
      failed = 1;
    }
  }
  eddy_buf_free(&out);
  return failed;
}

/* ---- tests/dsl/NAME.test -------------------------------------------------- */

static char *take_until_marker(char **cursor) {
  eddy_buf_t b = {0};
  char *s = *cursor;
  while (*s != '\0' && !(s[0] == '%' && s[1] == '%')) {   /* s is at a line start */
    char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s + 1) : strlen(s);
    eddy_buf_append(&b, s, len);
    s += len;
  }
  *cursor = s;
  rtrim(&b);
  char *r = eddy_strndup(b.p ? b.p : "", b.len);
  eddy_buf_free(&b);
  return r;
}

static int line_of(const char *base, const char *p) {
  int line = 1;
  for (; base < p; base++)
    line += *base == '\n';
  return line;
}

/* The next "%%" at the start of a line. */
static char *next_marker(char *text, char *s) {
  for (; (s = strstr(s, "%%")) != NULL; s += 2)
    if (s == text || s[-1] == '\n')
      return s;
  return NULL;
}

static int run_test_file(const char *path, const char *name, int *cases) {
  char *text = slurp(path), *s = text;
  ASSERT_TRUE(text != NULL);
  int failures = 0;
  while ((s = next_marker(text, s)) != NULL) {
    bool fail = strncmp(s, "%%FAIL", 6) == 0, ok = strncmp(s, "%%OK", 4) == 0;
    ASSERT_TRUE(fail || ok);
    char origin[256];
    snprintf(origin, sizeof(origin), "%s:%d", name, line_of(text, s));
    s = strchr(s, '\n');
    ASSERT_TRUE(s != NULL);
    s++;
    golden_case_t gc = {.origin = origin, .expect_ok = ok, .file = "test.eddy"};
    gc.text = take_until_marker(&s);
    if (strncmp(s, "%%EXPECT", 8) == 0) {
      char *nl = strchr(s, '\n');
      s = nl != NULL ? nl + 1 : s + strlen(s);
      gc.expected = take_until_marker(&s);
      char *blank = strstr(gc.expected, "\n\n");   /* comments may follow a blank line */
      if (blank != NULL)
        *blank = '\0';
    }
    ASSERT_TRUE(fail == false || gc.expected != NULL);
    failures += run_case(&gc);
    (*cases)++;
    eddy_free(gc.text);
    eddy_free(gc.expected);
  }
  eddy_free(text);
  return failures;
}

EDDY_TEST(golden_error_files) {
  const char *root = getenv("EDDY_SOURCE_DIR");
  ASSERT_TRUE(root != NULL);
  char dir[1024];
  snprintf(dir, sizeof(dir), "%s/tests/dsl", root);
  DIR *d = opendir(dir);
  ASSERT_TRUE(d != NULL);
  int failures = 0, cases = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    size_t n = strlen(ent->d_name);
    if (n < 5 || strcmp(ent->d_name + n - 5, ".test") != 0)
      continue;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
    failures += run_test_file(path, ent->d_name, &cases);
  }
  closedir(d);
  fprintf(stderr, "%d golden cases, %d failed\n", cases, failures);
  ASSERT_EQ(0, failures);
  ASSERT_TRUE(cases >= 30);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- docs/dsl.md ------------------------------------------------------- */

/* The body of the fenced block starting at the line after *cursor's fence. */
static char *fenced_body(char **cursor) {
  char *s = strchr(*cursor, '\n');
  ASSERT_TRUE(s != NULL);
  s++;
  char *end = strstr(s, "\n```");
  ASSERT_TRUE(end != NULL);
  char *body = eddy_strndup(s, (size_t)(end - s + 1));
  *cursor = end + 4;
  return body;
}

EDDY_TEST(docs_examples_compile) {
  const char *root = getenv("EDDY_SOURCE_DIR");
  ASSERT_TRUE(root != NULL);
  char path[1024];
  snprintf(path, sizeof(path), "%s/docs/dsl.md", root);
  char *text = slurp(path), *s = text;
  ASSERT_TRUE(text != NULL);
  int failures = 0, ok_cnt = 0, fail_cnt = 0;
  while ((s = strstr(s, "\n```eddy")) != NULL) {
    s++;
    char origin[256];
    snprintf(origin, sizeof(origin), "docs/dsl.md:%d", line_of(text, s));
    bool fail = strncmp(s, "```eddy fail", 12) == 0;
    golden_case_t gc = {.origin = origin, .expect_ok = !fail, .file = "example.eddy"};
    gc.text = fenced_body(&s);
    if (fail) {
      while (*s == '\n' || *s == ' ')
        s++;
      ASSERT_TRUE(strncmp(s, "```text", 7) == 0);
      eddy_buf_t b = {0};
      char *body = fenced_body(&s);
      eddy_buf_puts(&b, body);
      rtrim(&b);
      gc.expected = eddy_strndup(b.p, b.len);
      eddy_buf_free(&b);
      eddy_free(body);
    }
    failures += run_case(&gc);
    fail ? fail_cnt++ : ok_cnt++;
    eddy_free(gc.text);
    eddy_free(gc.expected);
  }
  eddy_free(text);
  fprintf(stderr, "docs/dsl.md: %d examples compile, %d fail as documented, %d mismatches\n",
          ok_cnt, fail_cnt, failures);
  ASSERT_EQ(0, failures);
  ASSERT_TRUE(ok_cnt >= 10);
  EDDY_ASSERT_NO_LEAKS();
}
